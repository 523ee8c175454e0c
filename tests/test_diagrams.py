"""Diagrams: drawn at build time from the data, readable as a reader sees them.

At 1280 and 390 px, light and dark, JavaScript on and off, each diagram is in the page as SVG with
its labels as text, fits its column, keeps its labels at a readable size (12 px on a desktop, 10 on a
phone), has no two labels overlapping and no label spilling out of its box, shows no raw markup, and
keeps a text contrast of 4.5:1. Screenshots of each go to ``_build/screenshots/``. The links lead to
entries, the PDF prints the labels at 6 pt or more, and a page with diagrams stays light.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from conftest import ROOT, sphinx_build

DIAGRAM_PAGES = {
    "ecosystem.html": ["ecosystem"],
    "agreements.html": ["delegation"],
    "timeline.html": ["timeline"],
    "export-initiative.html": ["export-revenue", "measures", "national-team"],
}
MIN_CONTRAST = 4.5
MIN_LABEL_PX = {1280: 12, 390: 10}
MIN_PDF_PT = 6
PAGE_BUDGET = 200 * 1024  # gzip bytes of everything a cold load of a page with diagrams requests
SCREENSHOTS = ROOT / "_build" / "screenshots"


def data(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))


def expected_labels(diagram: str) -> list[str]:
    """Words each diagram must show, read from the data and the texts, never typed here."""
    orgs = {o["id"]: o for o in data("organisations")}
    name = lambda record: record["names"][0]["name"]  # noqa: E731
    figures = {f["id"]: f for f in data("figures")}
    if diagram == "ecosystem":
        related = {r["to"] for o in orgs.values() for r in o.get("relations", [])}
        related |= {o["id"] for o in orgs.values() if o.get("relations")}
        return [name(orgs[i]) for i in sorted(related)] + [r["label"] for o in orgs.values() for r in o.get("relations", [])]
    if diagram == "delegation":
        lines = (ROOT / "source_texts" / "norway-germany-agreement.txt").read_text(encoding="utf-8").splitlines()
        return ([name(o) for o in orgs.values() if o.get("delegation") or o.get("country") == "Germany"]
                + [line.removeprefix("- ") for line in lines if line.startswith("- ")])
    if diagram == "timeline":
        return [e["title"] for e in data("events")] + [e["when"] for e in data("events") if not e["sort"].startswith("9999")]
    if diagram == "export-revenue":
        return [f"{figures[f][k]}" for f in ("export-revenue-2021", "export-revenue-2023", "export-target-2030")
                for k in ("year", "nok_billion")]
    if diagram == "measures":
        lines = (ROOT / "source_texts" / "fifteen-measures-launch.txt").read_text(encoding="utf-8").splitlines()
        return [t["title"] for t in data("themes")] + [re.sub(r"^\d+\.\s*", "", line) for line in lines
                                                        if re.match(r"^\d+\. ", line)]
    if diagram == "national-team":
        return [figures[f]["value"] for f in ("national-team-size", "segment-large-threshold", "segment-growth-range")]
    raise AssertionError(diagram)


def squeeze(text: str) -> str:
    return "".join(text.split())


# Everything measured in the page, for the one SVG of a figure that is showing.
MEASURE_JS = """
(figure) => {
  const svgs = [...figure.querySelectorAll('.kb-diagram-drawing > svg')];
  const shown = svgs.filter((s) => s.getBoundingClientRect().width > 0 && getComputedStyle(s).display !== 'none');
  if (shown.length !== 1) return {error: `${shown.length} SVGs showing (of ${svgs.length})`};
  const svg = shown[0];
  const rgb = (c) => { const m = (c || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let pageBg = null;
  for (let n = figure; n && !pageBg; n = n.parentElement) { const c = rgb(getComputedStyle(n).backgroundColor); if (c && c.a > 0.5) pageBg = c; }
  pageBg = pageBg || {r: 255, g: 255, b: 255, a: 1};
  const shapes = [...svg.querySelectorAll('rect, circle')];
  const inside = (r, x, y) => x >= r.left - 0.5 && x <= r.right + 0.5 && y >= r.top - 0.5 && y <= r.bottom + 0.5;
  const texts = [...svg.querySelectorAll('text')];
  const scale = svg.getScreenCTM().a;
  const labels = texts.map((t) => {
    const r = t.getBoundingClientRect();
    const style = getComputedStyle(t);
    const cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
    // the text's background: the last filled shape under its centre, drawn before it; else the page
    let bg = pageBg, box = null;
    for (const s of shapes) {
      if (!(s.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)) continue;
      const sr = s.getBoundingClientRect();
      const fill = rgb(style && getComputedStyle(s).fill);
      if (inside(sr, cx, cy) && fill && fill.a > 0.5) { bg = fill; box = s.tagName === 'rect' && s.closest('a, g') === t.closest('a, g') ? sr : box; }
      if (inside(sr, cx, cy) && s.tagName === 'rect' && s.parentElement === t.parentElement) box = sr;
    }
    return {text: t.textContent, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
            px: parseFloat(style.fontSize) * scale, contrast: ratio(rgb(style.fill), bg),
            box: box ? {left: box.left, right: box.right, top: box.top, bottom: box.bottom} : null};
  });
  const column = figure.getBoundingClientRect();
  const s = svg.getBoundingClientRect();
  const titles = [...svg.querySelectorAll('title')].map((t) => t.textContent);
  return {layout: svg.getAttribute('class'), svg: {left: s.left, right: s.right, width: s.width},
          column: {left: column.left, right: column.right, width: column.width}, labels, titles,
          text: svg.textContent, filter: getComputedStyle(svg).filter,
          links: [...svg.querySelectorAll('a')].map((a) => a.getAttribute('href'))};
}
"""


def overlap(a: dict, b: dict) -> float:
    w = min(a["right"], b["right"]) - max(a["left"], b["left"])
    h = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
    return w * h if w > 0 and h > 0 else 0.0


def check_diagram(measured: dict, diagram: str, width: int) -> list[str]:
    if "error" in measured:
        return [f"{diagram}: {measured['error']}"]
    problems = []
    text = squeeze(measured["text"])
    for label in expected_labels(diagram):
        if squeeze(label) not in text:
            problems.append(f"{diagram}: label {label!r} not drawn")
    if "`" in measured["text"] + " ".join(measured["titles"]) or re.search(r"\{[a-z]+\}", measured["text"] + " ".join(measured["titles"])):
        problems.append(f"{diagram}: raw markup in a label or tooltip")
    svg, column = measured["svg"], measured["column"]
    if svg["left"] < column["left"] - 0.5 or svg["right"] > column["right"] + 0.5:
        problems.append(f"{diagram}: {svg['width']:.0f} px wide in a {column['width']:.0f} px column")
    if measured["filter"] not in ("none", ""):
        problems.append(f"{diagram}: a CSS filter ({measured['filter']}) alters the colours")
    labels = measured["labels"]
    for label in labels:
        if label["px"] < MIN_LABEL_PX[width]:
            problems.append(f"{diagram}: {label['text']!r} is {label['px']:.1f} px < {MIN_LABEL_PX[width]} px")
        if label["contrast"] < MIN_CONTRAST:
            problems.append(f"{diagram}: {label['text']!r} contrast {label['contrast']:.2f} < {MIN_CONTRAST}")
        if label["right"] > column["right"] + 0.5 or label["left"] < column["left"] - 0.5:
            problems.append(f"{diagram}: {label['text']!r} runs out of the column")
        box = label["box"]
        if box and (label["left"] < box["left"] - 0.5 or label["right"] > box["right"] + 0.5):
            problems.append(f"{diagram}: {label['text']!r} spills out of its box")
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            if overlap(a, b) > 1:
                problems.append(f"{diagram}: {a['text']!r} overlaps {b['text']!r}")
    return problems


@pytest.fixture(scope="module")
def view(browser):
    """Open a page in a fresh context: width, colour scheme, JavaScript on or off."""
    contexts = []

    def opener(url: str, width: int, mode: str, javascript: bool):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=mode,
                                      java_script_enabled=javascript)
        contexts.append(context)
        context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
        page = context.new_page()
        page.goto(url, wait_until="load")
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_diagram_reads_as_drawn(built_site: Path, view, width: int, mode: str, javascript: bool) -> None:
    problems: list[str] = []
    for name, diagrams in DIAGRAM_PAGES.items():
        page = view((built_site / name).as_uri(), width, mode, javascript)
        if javascript:
            assert page.evaluate("document.documentElement.dataset.theme") == mode
            # for the screenshots: no smooth scrolling, no sticky header over a tall diagram
            page.add_style_tag(content="html { scroll-behavior: auto !important; } "
                               ".bd-header, .bd-header-article, .bd-header-announcement { position: static !important; }")
        for diagram in diagrams:
            figure = page.locator(f"#diagram-{diagram}")
            problems += [f"{name}: {p}" for p in check_diagram(figure.evaluate(MEASURE_JS), diagram, width)]
            if javascript:
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                figure.locator(".kb-diagram-drawing").screenshot(path=str(SCREENSHOTS / f"{diagram}-{width}-{mode}.png"))
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            problems.append(f"{name}: the page scrolls sideways by {overflow} px")
        page.close()
    assert not problems, "\n".join(problems)


def test_every_box_links_to_its_entry_by_keyboard(built_site: Path, view) -> None:
    missing = []
    for name in DIAGRAM_PAGES:
        page = view((built_site / name).as_uri(), 1280, "light", True)
        hrefs = page.eval_on_selector_all(".kb-diagram-drawing svg a", "els => els.map(a => a.href.baseVal)")
        assert hrefs, f"{name}: no linked boxes"
        for href in hrefs:
            target = urlparse(page.evaluate("(h) => new URL(h, document.baseURI).href", href))
            path = Path(unquote(target.path))
            if not target.fragment or not path.is_file() or f'id="{target.fragment}"' not in path.read_text(encoding="utf-8"):
                missing.append(f"{name}: {href}")
        # The links are in the tab order: from the caption's figure, Tab reaches the first box.
        first = page.locator(".kb-svg-wide a").first
        first.focus()
        assert page.evaluate("document.activeElement.closest('svg') !== null")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('svg') !== null || document.activeElement.tagName === 'A'")
        page.close()
    assert not missing, missing
    html = (built_site / "agreements.html").read_text(encoding="utf-8")
    drawing = html[html.index('id="diagram-delegation"'):]
    drawing = drawing[:drawing.index("</svg>")]
    companies = [o for o in data("organisations") if o.get("delegation")]
    assert all(f'#{o["id"]}"' in drawing for o in companies), "a delegation company without its link"


def test_the_chart_data_downloads_as_csv(built_site: Path) -> None:
    html = (built_site / "export-initiative.html").read_text(encoding="utf-8")
    href = re.search(r'class="kb-diagram-download"><a href="([^"]+)"', html)[1]
    rows = (built_site / href).read_text(encoding="utf-8").splitlines()
    figures = {f["id"]: f for f in data("figures")}
    assert rows[0].startswith("year,kind,nok_billion")
    assert f"2030,target,{figures['export-target-2030']['nok_billion']}," in rows[3]
    assert rows[1].startswith(f"2021,actual,{figures['export-revenue-2021']['nok_billion']},")


def test_data_is_drawn_as_text_never_as_markup() -> None:
    from kb_ext.diagram_drawing import LAYOUTS, draw_delegation

    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>&amp;'
    spec = {"label": hostile, "sections": [{"title": hostile, "class": "kb-box", "columns": {"wide": 2, "narrow": 1},
                                            "items": [{"label": hostile, "anchor": "x", "title": hostile}]}]}
    for layout in LAYOUTS:
        svg = ET.fromstring(draw_delegation(spec, layout, {"x": 'a.html#x"><img src=y>'}))
        tags = {e.tag.split("}")[-1] for e in svg.iter()}
        assert tags <= {"svg", "a", "g", "rect", "text", "title"}, tags
        assert squeeze(hostile) in squeeze("".join(svg.itertext()))
        assert svg.find(".//{http://www.w3.org/2000/svg}a").get("href") == 'a.html#x"><img src=y>'


def test_a_diagram_follows_its_data(tmp_path: Path) -> None:
    """Rename an organisation in the data only: the ecosystem diagram changes with no page edited."""
    from conftest import copy_project

    project = copy_project(tmp_path / "project")
    organisations = project / "data" / "organisations.yaml"
    text = organisations.read_text(encoding="utf-8")
    # a spelling the texts use, moved to the front: the display name changes
    changed = text.replace("    - {name: Norway Health Tech, cite: norway-germany-agreement#p5}\n    - {name: NHT, cite: cluster-cooperation#p13}",
                           "    - {name: NHT, cite: cluster-cooperation#p13}\n    - {name: Norway Health Tech, cite: norway-germany-agreement#p5}")
    assert changed != text
    organisations.write_text(changed, encoding="utf-8")
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    html = unescape((tmp_path / "out" / "html" / "ecosystem.html").read_text(encoding="utf-8"))
    diagram = html[html.index('id="diagram-ecosystem"'):]
    assert re.search(r'<a href="[^"]*#norway-health-tech"[^>]*><title>NHT</title>', diagram)


def test_a_page_with_diagrams_is_light(built_site: Path, browser) -> None:
    for name in DIAGRAM_PAGES:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        requested: list[str] = []
        context.on("request", lambda r: requested.append(r.url))
        page = context.new_page()
        page.goto((built_site / name).as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        context.close()
        files = [Path(unquote(urlparse(u).path)) for u in dict.fromkeys(requested) if u.startswith("file://")]
        weight = sum(len(gzip.compress(f.read_bytes(), compresslevel=6, mtime=0)) for f in files if f.is_file())
        assert weight <= PAGE_BUDGET, f"{name}: {weight / 1024:.0f} KB gzip > {PAGE_BUDGET / 1024:.0f} KB"
        assert not any("mermaid" in f.name for f in files), f"{name} loads mermaid"


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The single-page edition and its PDF, printed as `make offline` prints it."""
    out = tmp_path_factory.mktemp("single")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-M", "singlehtml", str(ROOT / "docs"), str(out), "-c", str(ROOT),
         "-W", "--keep-going", "-n", "-E"], capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    single = out / "singlehtml" / "index.html"
    pdf = out / "edition.pdf"
    printing = subprocess.run([sys.executable, "-c", "import sys; from scripts.offline_editions import print_pdf; "
                               "from pathlib import Path; print_pdf(Path(sys.argv[1]), Path(sys.argv[2]))",
                               str(single), str(pdf)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert printing.returncode == 0, printing.stderr[-3000:]
    return single, pdf


def pdf_words(pdf: Path) -> list[tuple[int, float, float, float, float, float, str]]:
    """(page, page width, xMin, yMin, xMax, yMax, word) of every word, in points."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    words = []
    for number, page in enumerate(re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', html, re.S), start=1):
        for x0, y0, x1, y1, word in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page[1]):
            words.append((number, float(page[0]), float(x0), float(y0), float(x1), float(y1), unescape(word)))
    return words


def smallest_window(words: list[tuple], wanted: set[str]) -> tuple[int, int] | None:
    """The shortest run of words that holds every word of ``wanted``: where the diagram is printed."""
    counts: dict[str, int] = {}
    have, best, left = 0, None, 0
    for right, word in enumerate(words):
        if word[6] in wanted:
            counts[word[6]] = counts.get(word[6], 0) + 1
            have += counts[word[6]] == 1
        while have == len(wanted):
            if best is None or right - left < best[1] - best[0]:
                best = (left, right)
            gone = words[left][6]
            if gone in wanted:
                counts[gone] -= 1
                have -= counts[gone] == 0
            left += 1
    return best


def test_the_pdf_prints_each_diagram_whole_and_legible(printed: tuple[Path, Path]) -> None:
    single, pdf = printed
    html = single.read_text(encoding="utf-8")
    words = pdf_words(pdf)
    problems = []
    for diagram in [d for ds in DIAGRAM_PAGES.values() for d in ds]:
        start = html.index(f'id="diagram-{diagram}"')
        svg = html[start:][:html[start:].index("</svg>") + 6]
        svg = svg[svg.index("<svg"):]
        label_words = {w for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text") for w in "".join(t.itertext()).split()}
        window = smallest_window(words, label_words)
        if window is None:
            problems.append(f"{diagram}: labels missing from the PDF")
            continue
        printed_words = words[window[0]:window[1] + 1]
        if len({w[0] for w in printed_words}) > 1:
            problems.append(f"{diagram}: split across PDF pages {sorted({w[0] for w in printed_words})}")
        for page, page_width, x0, y0, x1, y1, word in printed_words:
            if word in label_words and y1 - y0 < MIN_PDF_PT:
                problems.append(f"{diagram}: {word!r} printed {y1 - y0:.1f} pt high")
            if x1 > page_width or x0 < 0:
                problems.append(f"{diagram}: {word!r} off the page")
    assert not problems, "\n".join(problems)
