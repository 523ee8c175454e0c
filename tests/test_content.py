"""The knowledge base's content, checked on the built site against the data and the source texts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from conftest import ROOT

DATA = ROOT / "data"
VERBATIM_PAGES = ("sources/",)  # the source texts are shown as they are, names unlinked
# Blocks that are not the site's own statements: verbatim text, quoted spellings, generated lists of
# citations, and what is marked editorial (our grouping or our method, not a claim about the world).
EXEMPT_CLASSES = {"kb-verbatim", "kb-source-text", "kb-references", "kb-entry-details", "kb-source-meta",
                  "kb-excerpt", "mermaid", "kb-quoted", "kb-editorial", "kb-event-title",
                  "kb-downloads"}  # the list of offline editions is about the site, not the texts


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def article(page: BeautifulSoup) -> Tag:
    return page.select_one("article.bd-article")


def content_pages(built_site: Path) -> list[Path]:
    pages = []
    for path in sorted(built_site.rglob("*.html")):
        relative = path.relative_to(built_site).as_posix()
        if relative.startswith(("_static", *VERBATIM_PAGES)) or relative in {"search.html", "genindex.html"}:
            continue
        if 'class="bd-article"' not in path.read_text(encoding="utf-8"):
            continue  # redirect stubs
        pages.append(path)
    return pages


def entities() -> list[dict]:
    return [*load("organisations"), *load("people")]


def entry_page(entity: dict) -> str:
    if "roles" in entity or "affiliations" in entity or entity in load("people"):
        return "directory/people.html"
    return "directory/companies.html" if entity.get("kind") == "company" else "directory/organisations.html"


def test_every_entity_has_an_entry_with_every_spelling(built_site: Path) -> None:
    pages: dict[str, BeautifulSoup] = {}
    for entity in entities():
        name = entry_page(entity)
        page = pages.setdefault(name, soup(built_site / name))
        entry = page.find(id=entity["id"])
        assert entry is not None, f"{entity['id']} has no entry on {name}"
        text = entry.get_text(" ")
        for spelling in entity["names"]:
            assert spelling["name"] in text, f"{entity['id']}: spelling {spelling['name']!r} not shown"
        assert entry.select("sup.kb-cite"), f"{entity['id']}: entry has no citation"


def test_every_spelling_is_in_the_general_index(built_site: Path) -> None:
    index = soup(built_site / "genindex.html").get_text(" ")
    for entity in entities():
        for spelling in entity["names"]:
            assert spelling["name"] in index, f"{spelling['name']!r} ({entity['id']}) missing from the index"


def test_all_fifteen_measures_verbatim_with_anchors(built_site: Path) -> None:
    page = soup(built_site / "export-initiative.html")
    text = (ROOT / "source_texts" / "fifteen-measures-launch.txt").read_text(encoding="utf-8").splitlines()
    for number in range(1, 16):
        section = page.find(id=f"measure-{number}")
        assert section is not None, f"measure-{number} anchor missing"
        line = next(line for line in text if line.startswith(f"{number}. "))
        assert line.removeprefix(f"{number}. ") in section.get_text(), f"measure {number} not verbatim"


def test_every_figure_and_event_has_an_anchor_and_citation(built_site: Path) -> None:
    figures = soup(built_site / "key-figures.html")
    for figure in load("figures"):
        row = figures.find(id=figure["id"])
        assert row is not None, figure["id"]
        assert row.select("sup.kb-cite") or "computed" in figure, f"figure {figure['id']} uncited"
    timeline = soup(built_site / "timeline.html")
    for event in load("events"):
        row = timeline.find(id=event["id"])
        assert row is not None and row.select("sup.kb-cite"), f"event {event['id']} missing or uncited"


def exempt(node: Tag) -> bool:
    for parent in [node, *node.parents]:
        if not isinstance(parent, Tag):
            continue
        if parent.name in {"a", "h1", "h2", "h3", "code", "script", "style", "figcaption", "dt"}:
            return True
        if EXEMPT_CLASSES & set(parent.get("class", [])):
            return True
    return False


def test_no_page_names_an_entity_without_linking_it(built_site: Path) -> None:
    spellings = sorted({s["name"] for e in entities() for s in e["names"] if len(s["name"]) > 3},
                       key=len, reverse=True)
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(s) for s in spellings) + r")(?![\w-])")
    unlinked: list[str] = []
    for path in content_pages(built_site):
        body = article(soup(path))
        for text in body.find_all(string=True):
            if exempt(text.parent):
                continue
            for match in pattern.finditer(str(text)):
                unlinked.append(f"{path.relative_to(built_site)}: {match.group(1)!r} in “{str(text).strip()[:80]}”")
    assert not unlinked, "\n".join(unlinked)


def test_every_factual_paragraph_carries_a_citation(built_site: Path) -> None:
    """A paragraph, list item or table row that links an entry, or states a number, cites a source."""
    uncited: list[str] = []
    for path in content_pages(built_site):
        body = article(soup(path))
        for block in body.select("p, li, tr"):
            if EXEMPT_CLASSES & set(block.get("class", [])) or block.find_parent(class_=list(EXEMPT_CLASSES)):
                continue
            if block.name == "p" and block.find_parent(["li", "td", "th"]):
                continue  # judged with its list item or row
            if block.name == "li" and (block.find_parent("nav") or block.select_one("ul, ol")):
                continue
            text = " ".join(t for t in block.find_all(string=True) if not t.find_parent("code")).strip()
            states_something = bool(re.search(r"\d", text)) or bool(block.select("a.kb-entity"))
            if not states_something or block.select("sup.kb-cite") or block.select("a.kb-entity + sup.kb-cite"):
                continue
            if block.find_parent("thead") or "kb-diagram-text" in str(block.find_parent("div") or ""):
                continue
            uncited.append(f"{path.relative_to(built_site)}: “{text[:100]}”")
    assert not uncited, "\n".join(uncited)


@pytest.mark.parametrize("text_id", ["norway-germany-agreement", "cluster-cooperation", "fifteen-measures-launch",
                                     "market-report", "national-export-team"])
def test_every_citation_resolves_and_every_paragraph_has_its_anchor(built_site: Path, text_id: str) -> None:
    source = soup(built_site / "sources" / f"{text_id}.html")
    lines = [line for line in (ROOT / "source_texts" / f"{text_id}.txt").read_text(encoding="utf-8").split("\n")
             if line.strip()]
    for number, line in enumerate(lines, start=1):
        para = source.find(id=f"p{number}")
        assert para is not None, f"{text_id}#p{number} missing"
        assert para.select_one(".kb-para-text").get_text() == line, f"{text_id}#p{number} not verbatim"
    assert source.find(id=f"p{len(lines) + 1}") is None
    for path in built_site.rglob("*.html"):
        for link in soup(path).select("a.kb-cite-link"):
            href = link["href"]
            if f"{text_id}.html#" in href:
                anchor = href.split("#")[1]
                assert source.find(id=anchor) is not None, f"{path.name}: citation to missing {href}"
