"""Page weight budgets, from what Chromium actually requests. Sizes are deterministic, so they are
tested; timings are not (they live in `make bench`)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from conftest import ROOT

NO_DIAGRAM_BUDGET = 150 * 1024  # gzip bytes of everything a cold load of a page requests
DIAGRAM_BUDGET = 1100 * 1024
ICONS_CSS = ROOT / "theme" / "static" / "kb-icons.css"
ICON_MODIFIERS = {"fa-solid", "fa-lg", "fa-fw"}


def gzip_size(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))


def weigh(page_path: Path, browser) -> tuple[int, list[str], bool]:
    """(gzip bytes of all files a cold load of the page requested, their names, whether it has a diagram)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    has_diagram = page.locator("pre.mermaid").count() > 0
    if has_diagram:
        page.wait_for_selector("pre.mermaid.kb-rendered svg", timeout=20000)
    page.wait_for_load_state("networkidle")
    context.close()
    files = [Path(unquote(urlparse(u).path)) for u in dict.fromkeys(requested) if u.startswith("file://")]
    return sum(gzip_size(f) for f in files if f.is_file()), [f.name for f in files], has_diagram


def test_every_page_within_its_weight_budget(built_site: Path, html_pages: list[Path], browser) -> None:
    over = []
    for html in html_pages:
        weight, files, has_diagram = weigh(html, browser)
        budget = DIAGRAM_BUDGET if has_diagram else NO_DIAGRAM_BUDGET
        if weight > budget:
            over.append(f"{html.relative_to(built_site)}: {weight / 1024:.0f} KB gzip > {budget / 1024:.0f} KB")
        if not has_diagram:
            assert "mermaid.min.js" not in files, f"{html.name} loads mermaid without a diagram"
        if html.name != "search.html":
            assert "kb-search-index.js" not in files, f"{html.name} loads the search index"
        assert "fontawesome.js" not in files
    assert not over, "\n".join(over)


def test_every_icon_the_theme_uses_has_a_rule(built_site: Path) -> None:
    rules = set(re.findall(r"\.(fa-[a-z0-9-]+) \{ --kb-icon", ICONS_CSS.read_text(encoding="utf-8")))
    used: set[str] = set()
    for html in built_site.rglob("*.html"):
        for classes in re.findall(r'class="([^"]*\bfa-solid\b[^"]*)"', html.read_text(encoding="utf-8")):
            used |= {c for c in classes.split() if c.startswith("fa-")} - ICON_MODIFIERS
    assert used, "no icons found: has the theme changed how it marks them up?"
    assert used <= rules, f"icons without a rule in {ICONS_CSS.name}: {sorted(used - rules)}"
