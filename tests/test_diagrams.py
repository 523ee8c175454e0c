"""Diagrams: drawn from the data, everywhere (http and disk, light and dark, desktop and phone)."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import yaml

from conftest import ROOT

DIAGRAM_PAGES = {
    "ecosystem.html": ["ecosystem"],
    "agreements.html": ["delegation"],
    "timeline.html": ["timeline"],
    "export-initiative.html": ["export-revenue", "measures", "national-team"],
}
MIN_CONTRAST = 4.5
MIN_FONT_PX = 11


def data(name: str) -> list[dict]:
    return yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))


def expected_labels(diagram: str) -> list[str]:
    """Words each diagram must show, read from the data, never typed here."""
    orgs = {o["id"]: o for o in data("organisations")}
    name = lambda record: record["names"][0]["name"]  # noqa: E731
    if diagram == "ecosystem":
        related = {r["to"] for o in orgs.values() for r in o.get("relations", [])}
        related |= {o["id"] for o in orgs.values() if o.get("relations")}
        return [name(orgs[i]) for i in sorted(related)]
    if diagram == "delegation":
        return [name(o) for o in orgs.values() if o.get("delegation") or o.get("country") == "Germany"]
    if diagram == "timeline":
        return [e["title"] for e in data("events")]
    if diagram == "export-revenue":
        figures = {f["id"]: f for f in data("figures")}
        return [str(figures[f]["year"]) for f in ("export-revenue-2021", "export-revenue-2023", "export-target-2030")]
    if diagram == "measures":
        lines = (ROOT / "source_texts" / "fifteen-measures-launch.txt").read_text(encoding="utf-8").splitlines()
        return [t["title"] for t in data("themes")] + [line for line in lines if re.match(r"^\d+\. ", line)]
    if diagram == "national-team":
        figures = {f["id"]: f for f in data("figures")}
        return [figures[f]["value"] for f in ("national-team-size", "segment-large-threshold", "segment-growth-range")]
    raise AssertionError(diagram)


CONTRAST_JS = """
(svg) => {
  const rgb = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  let pageBg = rgb(getComputedStyle(document.body).backgroundColor);
  const filled = (el) => { const f = rgb(getComputedStyle(el).fill || ''); return f && f.a > 0.5 ? f : null; };
  const background = (el) => {
    for (let node = el; node && node !== svg; node = node.parentElement) {
      const bg = rgb(getComputedStyle(node).backgroundColor || '');
      if (bg && bg.a > 0.5) return bg;
      if (node.tagName === 'g' || node.tagName === 'foreignObject') {
        for (const child of node.parentElement ? node.parentElement.children : []) {
          if (child === node) break;
          if (['rect', 'polygon', 'circle', 'ellipse', 'path'].includes(child.tagName) && filled(child)) return filled(child);
        }
        for (const child of node.children) {
          if (child.contains(el)) break;
          if (['rect', 'polygon', 'circle', 'ellipse', 'path'].includes(child.tagName) && filled(child)) return filled(child);
        }
      }
    }
    return pageBg;
  };
  const results = [];
  const texts = [...svg.querySelectorAll('text, foreignObject span, foreignObject p, foreignObject div')]
    .filter((el) => el.textContent.trim() && ![...el.children].some((c) => c.textContent.trim() === el.textContent.trim()));
  for (const el of texts) {
    const style = getComputedStyle(el);
    const fg = rgb(el.tagName === 'text' || el.closest('text') ? style.fill : style.color);
    if (!fg) continue;
    results.push({text: el.textContent.trim().slice(0, 40), ratio: ratio(fg, background(el)),
                  size: parseFloat(style.fontSize) * (svg.getBoundingClientRect().width / (svg.viewBox.baseVal.width || svg.getBoundingClientRect().width))});
  }
  return {results, filter: getComputedStyle(svg).filter};
}
"""


def check_page(page, diagrams: list[str], width: int) -> list[str]:
    problems = []
    for diagram in diagrams:
        figure = page.locator(f"#diagram-{diagram}")
        figure.locator("pre.mermaid.kb-rendered svg").wait_for(timeout=20000)
        svg_text = " ".join(figure.locator("pre.mermaid svg").evaluate("el => el.textContent").split())
        for label in expected_labels(diagram):
            if "".join(label.split()) not in "".join(svg_text.split()):
                problems.append(f"{diagram}: label {label!r} not drawn")
        measured = figure.locator("pre.mermaid svg").evaluate(CONTRAST_JS)
        if measured["filter"] not in ("none", ""):
            problems.append(f"{diagram}: a CSS filter ({measured['filter']}) alters the diagram's colours")
        for item in measured["results"]:
            if item["ratio"] < MIN_CONTRAST:
                problems.append(f"{diagram}: text {item['text']!r} contrast {item['ratio']:.2f} < {MIN_CONTRAST}")
            if width < 600 and item["size"] < MIN_FONT_PX:
                problems.append(f"{diagram}: text {item['text']!r} shrunk to {item['size']:.1f}px on a phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if overflow > 1:
        problems.append(f"page scrolls sideways by {overflow}px")
    return problems


@pytest.mark.parametrize("scheme", ["file", "http"])
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_diagrams_render_everywhere_from_the_data(built_site: Path, http_site: str, open_page, scheme: str,
                                                  mode: str, width: int) -> None:
    problems: list[str] = []
    for name, diagrams in DIAGRAM_PAGES.items():
        url = (built_site / name).as_uri() if scheme == "file" else f"{http_site}/{name}"
        page, visit = open_page(url, width=width, color_scheme=mode)
        assert page.evaluate("document.documentElement.dataset.theme") == mode
        problems += [f"{name}: {p}" for p in check_page(page, diagrams, width)]
        problems += [f"{name}: {p}" for p in visit.problems()]
        page.close()
    assert not problems, "\n".join(problems)


def test_every_diagram_click_target_resolves(built_site: Path, open_page) -> None:
    missing = []
    for name in DIAGRAM_PAGES:
        page, _ = open_page((built_site / name).as_uri())
        page.wait_for_selector("pre.mermaid.kb-rendered svg", timeout=20000)
        hrefs = page.eval_on_selector_all("pre.mermaid svg a", "els => els.map(a => a.href.baseVal || a.getAttribute('href') || a.getAttribute('xlink:href'))")
        assert hrefs or name in {"timeline.html"}, f"{name}: no clickable nodes"
        for href in hrefs:
            target = urlparse(page.evaluate("(h) => new URL(h, document.baseURI).href", href))
            path = Path(unquote(target.path))
            if not path.is_file() or (target.fragment and f'id="{target.fragment}"' not in path.read_text(encoding="utf-8")):
                missing.append(f"{name}: {href}")
        page.close()
    assert not missing, missing


def test_a_diagram_follows_its_data(tmp_path: Path) -> None:
    """Rename an organisation in the data only: the ecosystem diagram changes with no page edited."""
    from conftest import copy_project, sphinx_build

    project = copy_project(tmp_path / "project")
    organisations = project / "data" / "organisations.yaml"
    text = organisations.read_text(encoding="utf-8")
    # a spelling the texts use, moved to the front: the display name changes
    text = text.replace("    - {name: Norway Health Tech, cite: norway-germany-agreement#p5}\n    - {name: NHT, cite: cluster-cooperation#p13}",
                        "    - {name: NHT, cite: cluster-cooperation#p13}\n    - {name: Norway Health Tech, cite: norway-germany-agreement#p5}")
    organisations.write_text(text, encoding="utf-8")
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-2000:]
    html = unescape((tmp_path / "out" / "html" / "ecosystem.html").read_text(encoding="utf-8"))
    diagram = html[html.index('id="diagram-ecosystem"'):]
    assert 'n_norway_health_tech["NHT"]' in diagram
