"""Page weight budgets, from what Chromium actually requests, and what the slimming must not break.

Sizes are deterministic, so they are tested; timings are not (they live in `make bench`). The slimming
(kb_ext/site/purge.py: purged theme stylesheets, kb-ui.js for Bootstrap's bundle, deferred scripts,
unused files removed) is checked against a build without it: same computed styles on the same pages,
in light, dark, phone and print; and the colour-mode dropdown, the sidebars, search and print work."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

import brotli
import pytest

from conftest import ROOT, sphinx_build
from kb_ext.site.compress import READY_MADE

NO_DIAGRAM_BUDGET = 100 * 1024  # gzip bytes of everything a cold load of a page requests
DIAGRAM_BUDGET = 200 * 1024
TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".xml"}
ICONS_CSS = ROOT / "theme" / "static" / "kb-icons.css"
ICON_MODIFIERS = {"fa-solid", "fa-lg", "fa-fw"}
COMPARED_PAGES = ["index.html", "glossary.html", "directory/organisations.html", "sources/market-report.html",
                  "search.html", "genindex.html"]
STYLE_PROPERTIES = ["display", "visibility", "position", "float", "color", "background-color", "background-image",
                    "font-family", "font-size", "font-weight", "font-style", "line-height", "text-decoration-line",
                    "margin-top", "margin-right", "margin-bottom", "margin-left", "padding-top", "padding-right",
                    "padding-bottom", "padding-left", "border-top-width", "border-bottom-width", "border-left-color",
                    "width", "height", "opacity", "z-index", "list-style-type", "flex-direction", "justify-content",
                    "mask-image", "content"]
COMPUTED = """(props) => {
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, script, style')) continue;
    const s = getComputedStyle(el);
    const b = getComputedStyle(el, '::before');
    out.push([el.tagName + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.'),
              props.map(p => s.getPropertyValue(p)).concat([b.getPropertyValue('content'), b.getPropertyValue('mask-image')])]);
  }
  return out;
}"""


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


@dataclass
class ColdLoad:
    weight: int  # gzip bytes of every file requested
    files: list[Path]
    has_diagram: bool


def cold_load(page_path: Path, browser) -> ColdLoad:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    has_diagram = page.locator("figure.kb-diagram svg").count() > 0
    page.wait_for_load_state("networkidle")
    context.close()
    files = [Path(unquote(urlparse(u).path)) for u in dict.fromkeys(requested) if u.startswith("file://")]
    files = [f for f in files if f.is_file()]
    return ColdLoad(sum(gzip_size(f) for f in files), files, has_diagram)


@pytest.fixture(scope="module")
def cold_loads(html_pages: list[Path], browser) -> dict[Path, ColdLoad]:
    return {html: cold_load(html, browser) for html in html_pages}


def over_budget(built_site: Path, loads: dict[Path, ColdLoad], diagrams: bool, budget: int) -> list[str]:
    return [f"{html.relative_to(built_site)}: {load.weight / 1024:.0f} KB gzip > {budget / 1024:.0f} KB"
            for html, load in loads.items() if load.has_diagram == diagrams and load.weight > budget]


def test_every_page_without_diagrams_within_100_kb(built_site: Path, cold_loads: dict[Path, ColdLoad]) -> None:
    assert any(not load.has_diagram for load in cold_loads.values())
    over = over_budget(built_site, cold_loads, False, NO_DIAGRAM_BUDGET)
    assert not over, "\n".join(over)


def test_every_page_with_diagrams_within_200_kb(built_site: Path, cold_loads: dict[Path, ColdLoad]) -> None:
    over = over_budget(built_site, cold_loads, True, DIAGRAM_BUDGET)
    assert any(load.has_diagram for load in cold_loads.values())
    assert not over, "\n".join(over)


def test_no_page_loads_what_it_does_not_use(built_site: Path, cold_loads: dict[Path, ColdLoad]) -> None:
    for html, load in cold_loads.items():
        names = {f.name for f in load.files}
        assert "mermaid.min.js" not in names, f"{html.name} loads mermaid: diagrams are drawn at build time"
        if not load.has_diagram:
            assert "kb-diagrams.css" not in names, f"{html.name} loads the diagrams' styles without a diagram"
        if html.name != "search.html":
            assert "kb-search-index.js" not in names, f"{html.name} loads the search index"
        assert not names & {"fontawesome.js", "bootstrap.js", "design-tabs.js", "basic.css"}, html.name
        assert not any(f.suffix in {".woff", ".woff2", ".map"} for f in load.files), html.name


def test_no_unused_files_in_static(built_site: Path, cold_loads: dict[Path, ColdLoad]) -> None:
    """Every file in _static is requested by some page, or named by a page or by a file a page requested
    (e.g. the share card in the OpenGraph tags, a script's own assets)."""
    requested = {f.resolve() for load in cold_loads.values() for f in load.files}
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in built_site.rglob("*.html")
             if "_static" not in p.parts]
    texts += [f.read_text(encoding="utf-8", errors="replace") for f in requested if f.suffix in TEXT_SUFFIXES]
    named = "\n".join(texts)
    static = built_site / "_static"
    unused = [p.relative_to(static).as_posix() for p in static.rglob("*")
              if p.is_file() and p.suffix not in READY_MADE and p.resolve() not in requested and p.name not in named]
    assert not unused, f"files no page uses: {unused}"
    assert not list(static.rglob("*.map")), "source maps are published"


def test_ready_made_gzip_and_brotli_beside_every_text_file(built_site: Path) -> None:
    """Every page and text asset of at least nginx's gzip_min_length has a .gz and a .br twin with the
    same content, the .gz written deterministically (no name, no time) so zips and rebuilds stay
    byte-identical."""
    missing, wrong = [], []
    for path in built_site.rglob("*"):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or path.stat().st_size < 512:
            continue
        twin = path.with_name(path.name + ".gz")
        if not twin.is_file():
            missing.append(path.relative_to(built_site).as_posix())
            continue
        packed = twin.read_bytes()
        if gzip.decompress(packed) != path.read_bytes() or packed[4:8] != b"\0\0\0\0" or packed[3] & 0x08:
            wrong.append(twin.relative_to(built_site).as_posix())
        twin = path.with_name(path.name + ".br")
        if not twin.is_file():
            missing.append(twin.relative_to(built_site).as_posix())
        elif brotli.decompress(twin.read_bytes()) != path.read_bytes():
            wrong.append(twin.relative_to(built_site).as_posix())
    assert not missing, f"no .gz or .br beside: {missing}"
    assert not wrong, f".gz or .br out of date, or .gz not deterministic: {wrong}"
    orphans = [p for suffix in READY_MADE for p in built_site.rglob(f"*{suffix}") if not p.with_suffix("").is_file()]
    assert not orphans, orphans


def test_nothing_render_blocking_but_the_colour_mode(built_site: Path, html_pages: list[Path]) -> None:
    """In <head>, only kb-mode.js (light or dark before the first paint) runs before the page is drawn;
    the other scripts are deferred (the search page keeps Sphinx's own order)."""
    for html in html_pages:
        if html.name == "search.html":
            continue
        head = html.read_text(encoding="utf-8").split("</head>")[0]
        blocking = [s for s in re.findall(r"<script\b[^>]*\bsrc=\"([^\"]+)\"[^>]*>", head)
                    if "kb-mode.js" not in s and not re.search(r'<script\b[^>]*\b(defer|async)\b[^>]*src="'
                                                               + re.escape(s), head)]
        if "http-equiv=\"refresh\"" in head:  # a moved-page stub: nothing to draw
            continue
        assert not blocking, f"{html.relative_to(built_site)}: render-blocking {blocking}"
    assert head.count("<link") and "@import" not in (built_site / "_static" / "styles" / "theme.css").read_text()


@pytest.fixture(scope="module")
def unslimmed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site with the theme's own, unpurged assets (Bootstrap's bundle included)."""
    out = tmp_path_factory.mktemp("unslimmed")
    result = sphinx_build(ROOT, out, "-D", "kb_slim_assets=0")
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "html"


@pytest.mark.parametrize(("mode", "width", "media"), [("light", 1280, "screen"), ("dark", 1280, "screen"),
                                                      ("light", 390, "screen"), ("dark", 390, "screen"),
                                                      ("light", 1280, "print")])
def test_purged_styles_look_the_same(built_site: Path, unslimmed_site: Path, open_page, mode: str, width: int,
                                     media: str) -> None:
    """Every element's computed style (and its ::before icon) equals the unpurged site's."""
    differences = []
    for name in COMPARED_PAGES:
        styles = []
        for site in (unslimmed_site, built_site):
            page, _ = open_page((site / name).as_uri(), width=width, color_scheme=mode)
            page.emulate_media(media=media)
            page.wait_for_load_state("networkidle")
            styles.append(page.evaluate(COMPUTED, STYLE_PROPERTIES))
            page.close()
        before, after = styles
        assert len(before) == len(after), f"{name}: the pages differ in elements"
        for (element, values), (_, purged) in zip(before, after):
            for prop, old, new in zip([*STYLE_PROPERTIES, "::before content", "::before mask"], values, purged):
                if old != new:
                    differences.append(f"{name} {element[:60]} {prop}: {old[:60]!r} -> {new[:60]!r}")
    assert not differences, f"{len(differences)} differences, first:\n" + "\n".join(differences[:25])


def test_colour_mode_dropdown_by_mouse_and_keyboard(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "glossary.html").as_uri())
    toggle = page.locator(".theme-switch-button")
    menu = page.locator(".theme-switch-container .dropdown-menu")
    assert not menu.is_visible()
    toggle.click()
    assert menu.is_visible() and toggle.get_attribute("aria-expanded") == "true"
    box, button = menu.bounding_box(), toggle.bounding_box()
    assert box["y"] >= button["y"] + button["height"] - 1, "the menu is not below its button"
    assert abs(box["x"] + box["width"] - button["x"] - button["width"]) < 2, "the menu is not aligned to its button"
    page.get_by_role("button", name="Dark").click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(18, 18, 18)"
    assert toggle.get_attribute("aria-expanded") == "false"
    page.mouse.click(5, 600)
    toggle.focus()
    page.keyboard.press("Enter")
    assert menu.evaluate("m => m.classList.contains('show')")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.mode") == "light"
    page.keyboard.press("Enter")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    toggle.click()
    page.keyboard.press("Escape")
    assert not menu.evaluate("m => m.classList.contains('show')")
    assert page.evaluate("document.activeElement.classList.contains('theme-switch-button')")
    page.reload()
    assert page.evaluate("document.documentElement.dataset.mode") == "light", "the choice is not kept"
    assert not visit.problems()


def test_sidebars_open_and_close(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "glossary.html").as_uri())
    assert page.locator("#pst-primary-sidebar").is_visible() and page.locator("#pst-secondary-sidebar").is_visible()
    page.locator(".primary-toggle:visible").first.click()
    page.locator("#pst-primary-sidebar").wait_for(state="hidden", timeout=5000)
    page.locator(".primary-toggle:visible").first.click()
    page.locator("#pst-primary-sidebar").wait_for(state="visible", timeout=5000)
    phone, phone_visit = open_page((built_site / "glossary.html").as_uri(), width=390)
    assert not phone.locator("#pst-secondary-sidebar").is_visible()
    phone.locator(".secondary-toggle:visible").first.click()
    phone.wait_for_function("() => document.querySelector('#pst-secondary-sidebar-modal').open", timeout=5000)
    assert phone.locator("#pst-secondary-sidebar-modal").get_by_role("link").count()
    phone.keyboard.press("Escape")
    phone.wait_for_function("() => !document.querySelector('#pst-secondary-sidebar-modal').open", timeout=5000)
    assert not visit.problems() and not phone_visit.problems()


def test_print_shows_the_article_without_the_chrome(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "glossary.html").as_uri())
    page.emulate_media(media="print")
    assert page.locator("article").first.is_visible()
    for chrome in (".bd-header", "#pst-primary-sidebar", "#pst-secondary-sidebar", ".skip-link", "#pst-back-to-top"):
        assert not page.locator(chrome).first.is_visible(), f"{chrome} is printed"


def test_every_icon_the_theme_uses_has_a_rule(built_site: Path) -> None:
    rules = set(re.findall(r"\.(fa-[a-z0-9-]+) \{ --kb-icon", ICONS_CSS.read_text(encoding="utf-8")))
    used: set[str] = set()
    for html in built_site.rglob("*.html"):
        for classes in re.findall(r'class="([^"]*\bfa-solid\b[^"]*)"', html.read_text(encoding="utf-8")):
            used |= {c for c in classes.split() if c.startswith("fa-")} - ICON_MODIFIERS
    assert used, "no icons found: has the theme changed how it marks them up?"
    assert used <= rules, f"icons without a rule in {ICONS_CSS.name}: {sorted(used - rules)}"
