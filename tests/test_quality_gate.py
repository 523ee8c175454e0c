"""The browser-level quality gate: every page, every mode; accessibility; valid HTML; links; phones.

One build and one Chromium for the whole run. A finding names the page, the mode and the rule.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import gate
from conftest import HOSTED_ONLY_PAGES, ROOT

MODES = [(scheme, scheme_mode, width) for scheme in ("file", "http") for scheme_mode in ("light", "dark")
         for width in (1280, 390)]
SCREENSHOTS = ROOT / "_build" / "screenshots"


def url_of(built_site: Path, http_site: str, page: Path, scheme: str) -> str:
    return page.as_uri() if scheme == "file" else f"{http_site}/{page.relative_to(built_site).as_posix()}"


@pytest.mark.parametrize(("scheme", "mode", "width"), MODES, ids=[f"{s}-{m}-{w}" for s, m, w in MODES])
def test_every_page_in_every_mode(built_site: Path, http_site: str, html_pages: list[Path], open_page,
                                  scheme: str, mode: str, width: int) -> None:
    findings = []
    for html in html_pages:
        page, visit = open_page(url_of(built_site, http_site, html, scheme), width=width, color_scheme=mode)
        page.wait_for_load_state("networkidle")
        findings += [f"{html.relative_to(built_site)} [{scheme} {mode} {width}px]: {f}"
                     for f in gate.page_findings(page, visit, width)]
        page.close()
    assert not findings, "\n".join(findings)


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_accessibility_axe_wcag22_aa(built_site: Path, html_pages: list[Path], open_page, mode: str) -> None:
    findings = []
    for html in html_pages:
        page, _ = open_page(html.as_uri(), color_scheme=mode)
        if page.url.split("#")[0] != html.as_uri():
            page.close()
            continue  # a redirect stub: the page it lands on is checked on its own
        findings += [f"{html.relative_to(built_site)} [{mode}]: {v}" for v in gate.axe_violations(page)]
        page.close()
    assert not findings, "\n".join(findings)


def test_valid_html(html_pages: list[Path]) -> None:
    errors = gate.html_errors(html_pages)
    assert not errors, "\n".join(errors)


def test_links_and_anchors(built_site: Path) -> None:
    broken = gate.broken_links(built_site, HOSTED_ONLY_PAGES)
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("how", ["tap", "keyboard"])
def test_phone_navigation_opens_works_and_closes(built_site: Path, open_page, how: str) -> None:
    page, visit = open_page((built_site / "agreements.html").as_uri(), width=390)
    toggle = page.locator(".primary-toggle:visible").first
    dialog = page.locator("#pst-primary-sidebar-modal")
    if how == "tap":
        toggle.click()
    else:
        toggle.focus()
        page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#pst-primary-sidebar-modal').open", timeout=5000)
    link = dialog.get_by_role("link", name="Key figures")
    assert link.is_visible()
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('#pst-primary-sidebar-modal').open", timeout=5000)
    toggle.click()
    page.wait_for_function("document.querySelector('#pst-primary-sidebar-modal').open", timeout=5000)
    link.click()
    page.wait_for_url("**/key-figures.html")
    assert not visit.problems()


def test_skip_link_and_visible_focus(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "export-initiative.html").as_uri())
    page.keyboard.press("Tab")
    focused = page.evaluate("({text: document.activeElement.textContent.trim(), "
                            "href: document.activeElement.getAttribute('href')})")
    assert focused["text"].lower().startswith("skip to main content") and focused["href"] == "#main-content"
    assert page.locator(":focus").is_visible()
    for _ in range(15):
        page.keyboard.press("Tab")
        # The ring may be drawn on the control or on its visible part (the theme outlines the
        # chevron inside the sidebar's open/close toggles).
        ringed = page.evaluate("[document.activeElement, ...document.activeElement.querySelectorAll('*')]"
                               ".some(e => { const s = getComputedStyle(e); "
                               "return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; })")
        assert ringed, f"no visible focus on {page.evaluate('document.activeElement.outerHTML.slice(0, 80)')}"


def test_screenshots_for_reviewers(built_site: Path, open_page) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name in ("index", "export-initiative"):
        for mode in ("light", "dark"):
            for label, width in (("desktop", 1280), ("phone", 390)):
                page, _ = open_page((built_site / f"{name}.html").as_uri(), width=width, color_scheme=mode)
                target = SCREENSHOTS / f"{name}-{label}-{mode}.png"
                page.screenshot(path=str(target))
                assert target.stat().st_size > 5000
                page.close()


# --- The gate's own tests: each check must fail on a planted defect -------------------------------------

@pytest.fixture
def site_copy(built_site: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "site"
    shutil.copytree(built_site, copy)
    return copy


def plant(site: Path, page: str, html: str) -> Path:
    path = site / page
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("</article>", html + "</article>", 1), encoding="utf-8")
    return path


def test_gate_catches_a_broken_anchor(site_copy: Path) -> None:
    plant(site_copy, "glossary.html", '<a href="key-figures.html#no-such-figure">x</a>')
    assert any("no-such-figure" in b for b in gate.broken_links(site_copy, HOSTED_ONLY_PAGES))


def test_gate_catches_an_image_without_alt(site_copy: Path, open_page) -> None:
    path = plant(site_copy, "glossary.html", '<img src="_static/share-card.png">')
    page, _ = open_page(path.as_uri())
    assert any(v.startswith("image-alt") for v in gate.axe_violations(page))
    assert any("alt" in e for e in gate.html_errors([path]))


def test_gate_catches_a_console_error(site_copy: Path, open_page) -> None:
    (site_copy / "_static" / "planted.js").write_text("console.error('planted');\n", encoding="utf-8")
    path = plant(site_copy, "glossary.html", '<script src="_static/planted.js"></script>')
    page, visit = open_page(path.as_uri())
    assert any("planted" in f for f in gate.page_findings(page, visit, 1280))


def test_gate_catches_a_request_to_another_host(site_copy: Path, open_page) -> None:
    path = plant(site_copy, "glossary.html", '<img alt="" src="https://cdn.example.com/pixel.png">')
    page, visit = open_page(path.as_uri())
    page.wait_for_load_state("networkidle")
    assert any("cdn.example.com" in f for f in gate.page_findings(page, visit, 1280))
    assert any("cdn.example.com" in b for b in gate.broken_links(site_copy, HOSTED_ONLY_PAGES))


def test_gate_catches_sideways_scrolling_on_a_phone(site_copy: Path, open_page) -> None:
    path = plant(site_copy, "glossary.html", '<div style="width:2000px">wide</div>')
    page, visit = open_page(path.as_uri(), width=390)
    assert any("sideways" in f for f in gate.page_findings(page, visit, 390))


def test_gate_catches_wcag22_target_size_and_label_in_name(site_copy: Path, open_page) -> None:
    # Two tiny adjacent links (2.5.8, WCAG 2.2 AA) and a link named otherwise than it reads (2.5.3).
    path = plant(site_copy, "glossary.html",
                 '<p><a href="#a" style="font-size:6px;line-height:6px">1</a>'
                 '<a href="#b" style="font-size:6px;line-height:6px">2</a></p><p>'
                 '<a href="#c" aria-label="Source: a text">3</a></p>')
    page, _ = open_page(path.as_uri())
    violations = gate.axe_violations(page)
    assert any(v.startswith("target-size") for v in violations), violations
    assert any(v.startswith("label-content-name-mismatch") for v in violations), violations
