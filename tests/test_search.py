"""Search from disk (issue 17): a reader's queries and the results they expect, in Chromium, from file://.

The table below is written from readers' tasks, not from the ranking code: someone looking for an
organisation by name, by part of a name, by another spelling the texts use or with a typo; a figure
as the texts write it; a measure by number; a topic. Each query must put the expected entry first.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import yaml

from conftest import ROOT, copy_project

INDEX = "_static/kb-search-index.js"
RESULTS = "#search-results ul.search > li"

# query, the link the first result must have (page and anchor), and why a reader types it.
TOP_RESULTS = [
    ("Innovation Norway", "directory/organisations.html#innovation-norway", "an organisation by its name"),
    ("innovation norway", "directory/organisations.html#innovation-norway", "in lower case"),
    ("Innovaton Norway", "directory/organisations.html#innovation-norway", "with a typo"),
    ("Vestre", "directory/people.html#jan-christian-vestre", "a minister by surname"),
    ("Jan Kristian Vestre", "directory/people.html#jan-christian-vestre", "the launch text's spelling"),
    ("Kjerkhol", "directory/people.html#ingvild-kjerkol", "the other spelling of a minister's name"),
    ("Ingvild Kjerkol", "directory/people.html#ingvild-kjerkol", "her name as spelt elsewhere"),
    ("Hakon Haugli", "directory/people.html#hakon-haugli", "Håkon without the ring"),
    ("Bjornbeth", "directory/people.html#bjorn-atle-lein-bjornbeth", "ø typed as o"),
    ("Varslot", "directory/people.html#tone-varslot-stave", "part of a person's name"),
    ("NHT", "directory/organisations.html#norway-health-tech", "an abbreviation the texts use"),
    ("Norway Helth Tech", "directory/organisations.html#norway-health-tech", "a cluster, with a typo"),
    ("NSCC", "directory/organisations.html#norwegian-smart-care-cluster", "the other cluster's abbreviation"),
    ("Startup Lab", "directory/organisations.html#startuplab", "the texts' other spelling of Startuplab"),
    ("Startupl", "directory/organisations.html#startuplab", "a prefix, as typed so far"),
    ("Vitalth", "directory/companies.html#vitalthings", "a prefix of a company's name"),
    ("Charite", "directory/organisations.html#charite", "Charité without the accent"),
    ("Team Norway", "directory/organisations.html#team-norway", "an initiative by name"),
    ("Oslo Science Park", "directory/organisations.html#oslo-science-park", "a place by name"),
    ("measure 9", "export-initiative.html#measure-9", "a measure by number"),
    ("measure 15", "export-initiative.html#measure-15", "the last measure"),
    ("measures", "export-initiative.html#measures", "the list of measures, not one of them"),
    ("Bundling of digital products", "export-initiative.html#measure-3", "a measure by its wording"),
    ("780", "key-figures.html#annual-grants-and-loans", "an amount as the text writes it"),
    ("657", "key-figures.html#life-science-companies-2022", "a count as the text writes it"),
    ("NOK 27 billion", "key-figures.html#export-revenue-2023", "an amount with its currency"),
    ("NOK 11.3 billion", "key-figures.html#research-council-annual", "an amount with decimals"),
    ("USD 68.69 million", "key-figures.html#annual-grants-and-loans", "the texts' own USD conversion"),
    ("25.5 per cent", "key-figures.html#largest-exporters-share", "a share"),
    ("2023", "timeline.html#event-export-2023", "what happened in a year"),
    ("fireside chat", "glossary.html#term-fireside-chat", "a term to look up"),
    ("SMEs", "glossary.html#term-SME", "a term in the plural"),
    ("Hele Norge eksporterer", "glossary.html#term-Hele-Norge-eksporterer", "a Norwegian name"),
    ("export reform", "glossary.html#term-export-reform", "a policy term"),
    ("doubling", "notes-on-sources.html#note-doubling", "a topic the notes discuss"),
    ("clinical trials", "market-report.html#market-report-research", "a topic of the market report"),
    ("germany", "timeline.html#event-agreement-signing", "a country: the event that names it"),
    ("money", "export-initiative.html#money", "a section by its heading"),
    ("read it offline", "about.html#about-offline", "how to use the site"),
]


def results(page) -> list[dict[str, str]]:
    return page.eval_on_selector_all(RESULTS, """items => items.map(li => ({
        href: li.querySelector('a').getAttribute('href'), first: li.firstElementChild.tagName,
        kind: (li.querySelector('.kb-result-kind') || {}).textContent,
        snippet: (li.querySelector('.kb-result-snippet') || {}).innerHTML || '',
        html: li.innerHTML}))""")


def search(page, site: Path, query: str) -> list[dict[str, str]]:
    """Type the query into the search page's field (opening the page with ?q= if not there yet)."""
    if not page.url.startswith((site / "search.html").as_uri()):
        page.goto((site / "search.html").as_uri() + "?q=" + quote(query), wait_until="load")
    else:
        page.locator(".kb-search input[name=q]").fill(query)
    page.wait_for_function("q => window.kbSearch && window.kbSearch.last && window.kbSearch.last.query === q",
                           arg=query, timeout=15000)
    return results(page)


def index_data(site: Path) -> dict:
    text = (site / INDEX).read_text(encoding="utf-8")
    return json.loads(text[text.index("=") + 1:].strip().rstrip(";"))


def test_readers_queries_find_what_they_mean_first(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "search.html").as_uri())
    wrong = []
    for query, expected, why in TOP_RESULTS:
        found = search(page, built_site, query)
        if not found or found[0]["href"] != expected:
            wrong.append(f"{query!r} ({why}): expected {expected}, got {[r['href'] for r in found[:3]]}")
    assert len(TOP_RESULTS) >= 25
    assert not wrong, "\n".join(wrong)
    assert not visit.problems()


def test_results_are_entries_labelled_by_kind_with_their_link_first(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "search.html").as_uri())
    expected = {"Innovation Norway": "Organisation", "Vitalthings": "Company", "Vestre": "Person",
                "measure 9": "Measure 9", "NOK 27 billion": "Figure", "fireside chat": "Term",
                "Article on the national team": "Event"}
    for query, kind in expected.items():
        found = search(page, built_site, query)
        assert found[0]["kind"] == kind, (query, found[0])
    kinds = {r["kind"] for r in search(page, built_site, "un-Norwegian to focus on a few")}
    assert any(re.fullmatch(r"Source text ¶\d+", k) for k in kinds), kinds
    assert "Section" in {r["kind"] for r in search(page, built_site, "focus areas")}
    for result in search(page, built_site, "norway"):
        assert result["first"] == "A", result  # as Sphinx's own results: the link comes first


def test_snippets_mark_the_matched_words(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "search.html").as_uri())
    for query in ("Innovation Norway", "Kjerkhol", "780", "clinical trials", "Innovaton"):
        found = search(page, built_site, query)
        assert found, query
        for result in found:
            assert result["snippet"].strip(), (query, result["href"])
            assert "<mark>" in result["html"], (query, result["href"])
    typo = search(page, built_site, "Innovaton")[0]
    assert "<mark>Innovation</mark>" in typo["snippet"]  # the word as the text writes it is marked
    entry = search(page, built_site, "Startup Lab")[0]
    assert "<mark>Startup</mark> <mark>Lab</mark>" in entry["html"]  # the spelling that matched


def test_no_result_twice_and_counts_by_kind(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "search.html").as_uri())
    for query in ("norway", "health", "2023", "cluster", "export revenue"):
        found = search(page, built_site, query)
        links = [r["href"] for r in found]
        assert len(links) == len(set(links)), f"{query}: {[l for l in links if links.count(l) > 1]}"
    search(page, built_site, "cluster")
    total = int(re.match(r"(\d+) results?", page.inner_text(".kb-search-summary"))[1])
    counts = page.eval_on_selector_all(".kb-kind-filter", "bs => bs.map(b => b.textContent)")
    assert counts[0] == f"all {total}"
    assert sum(int(c.split()[0]) for c in counts[1:]) == total
    people = next(c for c in counts if c.endswith(("person", "people", "organisations")))
    page.get_by_role("button", name=people).click()
    shown = {r["kind"] for r in results(page)}
    assert len(shown) == 1 and len(results(page)) == int(people.split()[0]), shown


def test_empty_state_helps(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "search.html").as_uri())
    assert search(page, built_site, "xyzzy") == []
    box = page.inner_text("#search-results")
    assert "Nothing matches" in box and "selected enough categories" not in box
    links = page.eval_on_selector_all("#search-results a", "as => as.map(a => a.getAttribute('href'))")
    assert "directory/index.html" in links and "glossary.html" in links
    search(page, built_site, "Innovasjon")  # the Norwegian spelling: not in the texts, two letters off
    similar = page.eval_on_selector_all(".kb-search-similar a", "as => as.map(a => a.getAttribute('href'))")
    assert "directory/organisations.html#innovation-norway" in similar
    assert not visit.problems()


def test_keyboard_type_arrows_and_enter(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "search.html").as_uri())
    assert page.evaluate("document.activeElement === document.querySelector('.kb-search input[name=q]')")
    page.keyboard.type("Vestre")
    page.wait_for_selector(RESULTS)
    page.keyboard.press("ArrowDown")
    first = page.evaluate("document.activeElement.getAttribute('href')")
    assert first == "directory/people.html#jan-christian-vestre"
    page.keyboard.press("ArrowDown")
    second = page.evaluate("document.activeElement.getAttribute('href')")
    assert second and second != first
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.press("Enter")  # Enter in the field searches (and stays on the page)
    assert page.locator(RESULTS).count() > 0
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url("**/directory/people.html#jan-christian-vestre")
    assert not visit.problems()


def test_header_search_box_leads_to_the_search_page(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "glossary.html").as_uri())
    page.locator(".search-button-field").first.click()
    dialog_field = page.locator("#pst-search-dialog input[name=q]")
    dialog_field.fill("Nortrials")
    dialog_field.press("Enter")
    page.wait_for_url("**/search.html?q=Nortrials*")
    page.wait_for_selector(RESULTS)
    assert results(page)[0]["href"] == "directory/organisations.html#nortrials"
    assert not visit.problems()


GAP_AFTER_MAGNIFIER = """(form) => {
    const icon = form.querySelector('.fa-magnifying-glass').getBoundingClientRect();
    const input = form.querySelector('input');
    return input.getBoundingClientRect().left + parseFloat(getComputedStyle(input).paddingLeft) - icon.right; }"""


@pytest.mark.parametrize("width", [1280, 390])
def test_magnifier_leaves_the_query_readable(built_site: Path, open_page, width: int) -> None:
    page, _ = open_page((built_site / "search.html").as_uri() + "?q=Vestre", width=width)
    gap = page.locator(".kb-search form.bd-search").evaluate(GAP_AFTER_MAGNIFIER)
    assert gap >= 2, f"the icon overlaps the query's first letter by {-gap}px on the search page"
    page, _ = open_page((built_site / "glossary.html").as_uri(), width=width)
    page.keyboard.press("Control+k")  # the theme's search dialog, on every page
    page.wait_for_function("document.querySelector('#pst-search-dialog').open")
    gap = page.locator("#pst-search-dialog form.bd-search").evaluate(GAP_AFTER_MAGNIFIER)
    assert gap >= 2, f"the icon overlaps the query's first letter by {-gap}px in the header's search dialog"


@pytest.mark.parametrize("width", [1280, 390])
def test_over_http_and_on_a_phone(built_site: Path, http_site: str, open_page, width: int) -> None:
    page, visit = open_page(f"{http_site}/search.html?q=Innovaton%20Norway", width=width)
    page.wait_for_selector(RESULTS, timeout=15000)
    assert results(page)[0]["href"] == "directory/organisations.html#innovation-norway"
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    page.locator(".kb-search input[name=q]").fill("measure 9")
    page.wait_for_function("document.querySelector('#search-results li a').getAttribute('href').endsWith('measure-9')")
    assert not visit.problems()


def test_index_has_every_entry_and_paragraph_once(built_site: Path) -> None:
    index = index_data(built_site)
    pages = index["pages"]
    links = [pages[r[1]][0] + ("#" + r[2] if r[2] else "") for r in index["records"]]
    assert "404.html" not in {p[0] for p in pages}  # the server's not-found page is no result
    assert len(links) == len(set(links))
    kinds = {}
    for record, link in zip(index["records"], links, strict=True):
        kinds.setdefault(record[0], set()).add(link.split("#")[-1])
    data = {name: yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))
            for name in ("organisations", "people", "figures", "events", "measures")}
    entities = kinds.get("o", set()) | kinds.get("c", set()) | kinds.get("h", set())
    assert {o["id"] for o in data["organisations"]} | {p["id"] for p in data["people"]} <= entities
    assert {f["id"] for f in data["figures"]} <= kinds["f"]
    assert {e["id"] for e in data["events"]} <= kinds["e"]
    assert {f"measure-{m['number']}" for m in data["measures"]} == kinds["m"]
    assert "term-Nortrials" in kinds["g"] and "note-vestre" in kinds["x"]
    catalogue = yaml.safe_load((ROOT / "source_texts" / "catalogue.yaml").read_text(encoding="utf-8"))
    paragraphs = sum(sum(1 for line in (ROOT / "source_texts" / t["file"]).read_text(encoding="utf-8").split("\n")
                         if line.strip()) for t in catalogue["texts"])
    assert sum(1 for r in index["records"] if r[0] == "s") == paragraphs
    # Reading text only: no citation markers, no warnings of the build, no unresolved references.
    for record in index["records"]:
        if pages[record[1]][0] != "about.html":  # which explains the markers, with "[1]" in its prose
            assert not re.search(r"\[\d+(,\d+)*\]", record[5]), record[:4]
        assert "\x01" not in json.dumps(record) and "Duplicate implicit target" not in record[5], record[:4]


def test_index_size_and_no_sphinx_index(built_site: Path) -> None:
    raw = (built_site / INDEX).read_bytes()
    assert len(gzip.compress(raw, 6, mtime=0)) <= 150 * 1024
    assert not (built_site / "searchindex.js").exists()
    html = (built_site / "search.html").read_text(encoding="utf-8")
    assert "searchtools.js" not in html and "<script>" not in html


def build(project: Path, out: Path, *extra: str) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0"}
    result = subprocess.run([sys.executable, "-m", "sphinx", "-M", "html", str(project / "docs"), str(out), "-c",
                             str(project), "-W", "--keep-going", "-n", *extra],
                            capture_output=True, text=True, env=env, cwd=project, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]


def test_index_after_an_incremental_build_equals_a_clean_one(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    build(project, tmp_path / "incremental", "-E")
    page = project / "docs" / "timeline.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n## Zebrafish section\n\nQuagga words.\n",
                    encoding="utf-8")
    build(project, tmp_path / "incremental")
    build(project, tmp_path / "clean", "-E", "-j", "2")
    incremental = (tmp_path / "incremental" / "html" / INDEX).read_bytes()
    assert incremental == (tmp_path / "clean" / "html" / INDEX).read_bytes()
    assert b"Zebrafish section" in incremental and b"Innovation Norway" in incremental


def test_long_result_lists_show_more_on_request(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "search.html").as_uri())
    search(page, built_site, "norway")
    total = int(re.match(r"(\d+) results", page.inner_text(".kb-search-summary"))[1])
    assert total > 30 and len(results(page)) == 30
    while page.locator(".kb-search-more").count():
        page.locator(".kb-search-more").click()
    links = [r["href"] for r in results(page)]
    assert len(links) == total == len(set(links))
    assert not visit.problems()


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_results_and_empty_state_pass_axe(built_site: Path, open_page, mode: str) -> None:
    import gate

    for query in ("Innovaton Norway", "xyzzy"):
        page, _ = open_page((built_site / "search.html").as_uri() + "?q=" + quote(query), color_scheme=mode)
        page.wait_for_function("window.kbSearch && window.kbSearch.last", timeout=15000)
        assert not gate.axe_violations(page), (query, mode)
