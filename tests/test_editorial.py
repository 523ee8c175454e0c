"""Editorial checks (issue 18): what a quote check on names cannot catch, checked on the data and the built site.

- a kind or country in the data carries a quote, from the cited paragraph, that supports it;
- people are listed by family name, titles such as "Dr." ignored;
- a figure's number word is lower-case in the middle of a sentence;
- the coverage table counts citations on content pages only, and every paragraph it reports as
  unused is explained on its source page;
- a page that relies on one reading of a disputed figure or name links to the note on it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from conftest import ROOT

DATA = ROOT / "data"
TEXTS = ROOT / "source_texts"
CITE = re.compile(r"^(?P<text>[a-z0-9-]+)#p(?P<number>\d+)$")
# Words that state a country in a quote: the country's name, its adjective, or a city in it that the
# texts name (Oslo, Berlin).
COUNTRY_WORDS = {
    "Norway": ("Norway", "Norwegian", "Oslo"),
    "Germany": ("Germany", "German", "Berlin"),
}
HONORIFICS = {"dr.", "dr", "prof.", "prof", "mr.", "ms.", "mrs."}
NUMBER_WORD = re.compile(
    r"^(One|Two|Three|Four|Five|Six|Seven|Eight|Nine|Ten|Eleven|Twelve|Thirteen|Fourteen|Fifteen|Sixteen|"
    r"Seventeen|Eighteen|Nineteen|Twenty|Thirty|Forty|Fifty|Sixty|Seventy|Eighty|Ninety|Hundred)\b")
SENTENCE_START = re.compile(r"(^|[.!?:;]|[\"“‘(\[])$")


def load(name: str) -> list[dict]:
    return yaml.safe_load((DATA / f"{name}.yaml").read_text(encoding="utf-8"))


def paragraphs(text_id: str) -> list[str]:
    lines = (TEXTS / f"{text_id}.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


def paragraph(cite: str) -> str:
    match = CITE.match(cite)
    assert match, f"{cite!r} is not a single paragraph like 'market-report#p14'"
    texts = paragraphs(match["text"])
    number = int(match["number"])
    assert 1 <= number <= len(texts), f"{cite}: the text has {len(texts)} paragraphs"
    return texts[number - 1]


def occurs(quote: str, cite: str) -> bool:
    squash = lambda s: " ".join(s.split())  # noqa: E731
    return squash(quote) in squash(paragraph(cite))


# --- the data ---------------------------------------------------------------------------------------

def test_every_kind_carries_a_quote_from_its_paragraph() -> None:
    problems = []
    for org in load("organisations"):
        quote = org.get("kind_quote")
        if not isinstance(quote, str) or not quote.strip():
            problems.append(f"{org['id']}: kind {org['kind']!r} has no kind_quote from {org['kind_cite']}")
        elif not occurs(quote, org["kind_cite"]):
            problems.append(f"{org['id']}: kind_quote {quote!r} is not in {org['kind_cite']}")
    assert not problems, "\n".join(problems)


def test_every_country_is_stated_by_a_quote_from_its_paragraph() -> None:
    problems = []
    for org in load("organisations"):
        if "country" not in org:
            assert "country_cite" not in org and "country_quote" not in org, f"{org['id']}: citation without country"
            continue
        country, cite, quote = org["country"], org.get("country_cite"), org.get("country_quote")
        countries = country.split(" and ")  # an entry for two bodies, e.g. "Norway and Germany": both named
        if any(c not in COUNTRY_WORDS for c in countries):
            problems.append(f"{org['id']}: unknown country {country!r}")
        elif not cite or not quote:
            problems.append(f"{org['id']}: country {country!r} needs country_cite and country_quote (what text says so?)")
        elif not occurs(quote, cite):
            problems.append(f"{org['id']}: country_quote {quote!r} is not in {cite}")
        else:
            for c in countries:
                if not any(re.search(rf"\b{word}", quote) for word in COUNTRY_WORDS[c]):
                    problems.append(f"{org['id']}: country_quote {quote!r} does not name {c} "
                                    f"(one of {', '.join(COUNTRY_WORDS[c])})")
    assert not problems, "\n".join(problems)


def test_every_role_is_worded_as_its_paragraph_words_it() -> None:
    problems = [f"{person['id']}: role {role['role']!r} is not in {role['cite']}"
                for person in load("people") for role in person.get("roles", [])
                if not occurs(role["role"], role["cite"])]
    assert not problems, "\n".join(problems)


def test_the_checks_above_can_fail() -> None:
    assert not occurs("public body", "national-export-team#p21")  # Innovation Norway's old kind
    assert occurs("the cluster Norway Health Tech", "fifteen-measures-launch#p30")
    assert not any(re.search(rf"\b{w}", "supported by the Technology Communication Foundation")
                   for w in COUNTRY_WORDS["Norway"])


# --- the built site ---------------------------------------------------------------------------------

def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def content_pages(site: Path) -> list[Path]:
    """Pages with an article of their own, other than the source pages (which show the texts)."""
    return [p for p in sorted(site.rglob("*.html"))
            if not p.relative_to(site).as_posix().startswith(("_", "sources/"))
            and 'class="bd-article"' in p.read_text(encoding="utf-8")]


def family_name(name: str) -> str:
    words = [w for w in name.split() if w.casefold() not in HONORIFICS]
    return words[-1].casefold()


def test_people_are_listed_by_family_name_ignoring_titles(built_site: Path) -> None:
    people = load("people")
    expected = [p["id"] for p in sorted(people, key=lambda p: family_name(p["names"][0]["name"]))]
    page = soup(built_site / "directory" / "people.html")
    shown = [s["id"] for s in page.select("article.bd-article section.kb-entry") if s.get("id") in expected]
    assert shown == expected, f"people out of order:\n shown    {shown}\n expected {expected}"


def text_before(link: Tag) -> str:
    block = link.find_parent(["p", "li", "td", "th", "dd", "dt"])
    before = []
    for node in block.descendants:
        if node is link:
            break
        if isinstance(node, str) and not node.find_parent("sup"):
            before.append(str(node))
    return "".join(before).strip()


def test_figure_number_words_are_lower_case_mid_sentence(built_site: Path) -> None:
    problems = []
    for path in content_pages(built_site):
        for link in soup(path).select("article.bd-article a.kb-entity[href*='key-figures.html#']"):
            if not NUMBER_WORD.match(link.get_text()):
                continue
            before = text_before(link)
            if not SENTENCE_START.search(before):
                problems.append(f"{path.relative_to(built_site)}: “…{before[-40:]} {link.get_text()}”")
    assert not problems, "A figure's number word is capitalised mid-sentence (write {fig}`thirty <id>`):\n" \
        + "\n".join(problems)


def test_a_measure_named_at_the_start_of_a_sentence_is_capitalised(built_site: Path) -> None:
    problems = []
    for path in content_pages(built_site):
        for link in soup(path).select("article.bd-article a.kb-entity[href*='#measure-']"):
            if re.match(r"measure \d+", link.get_text()) and re.search(r"(^|[.!?])$", text_before(link)):
                problems.append(f"{path.relative_to(built_site)}: “{link.get_text()} …” (write {{measure}}`Measure 9 <9>`)")
    assert not problems, "\n".join(problems)


def numbers(listing: str) -> set[int]:
    found: set[int] = set()
    for part in re.findall(r"\d+(?:–\d+)?", listing):
        first, _, last = part.partition("–")
        found.update(range(int(first), int(last or first) + 1))
    return found


def coverage(site: Path) -> dict[str, tuple[int, set[int]]]:
    """Source page -> (paragraphs cited, paragraphs reported as not cited), as the coverage table says."""
    rows = {}
    for row in soup(site / "sources" / "index.html").select("table.kb-coverage tbody tr"):
        page = row.select_one("a")["href"].split("#")[0]
        sentence = row.find_all("td")[1].get_text(" ", strip=True)
        cited = int(re.match(r"(\d+) of \d+ paragraphs cited", sentence)[1])
        rows[page.removesuffix(".html")] = (cited, numbers(sentence.partition("not yet cited:")[2]))
    return rows


def test_coverage_counts_only_citations_on_content_pages(built_site: Path) -> None:
    cited: dict[str, set[int]] = {}
    for path in content_pages(built_site):
        for link in soup(path).select("sup.kb-cite a.kb-cite-link"):
            match = re.search(r"sources/([a-z0-9-]+)\.html#p(\d+)$", link["href"])
            if match:
                cited.setdefault(match[1], set()).add(int(match[2]))
    table = coverage(built_site)
    assert set(table) == {p.stem for p in (built_site / "sources").glob("*.html")} - {"index"}
    for text_id, (count, uncited) in table.items():
        total = len(paragraphs(text_id))
        assert count == len(cited.get(text_id, set())), f"{text_id}: table counts {count}, content pages cite " \
            f"{sorted(cited.get(text_id, set()))}"
        assert uncited == set(range(1, total + 1)) - cited.get(text_id, set()), text_id
    # The source pages' own summaries cite paragraphs that no content page cites (e.g. a title): they
    # must not count.
    summary_only = soup(built_site / "sources" / "cluster-cooperation.html").select("sup.kb-cite a.kb-cite-link")
    assert summary_only, "the source page's summary cites nothing: the check above proves nothing"


def test_every_paragraph_not_used_is_explained_on_its_source_page(built_site: Path) -> None:
    for text_id, (_, uncited) in coverage(built_site).items():
        page = soup(built_site / "sources" / f"{text_id}.html")
        section = page.select_one(f"section#not-used-{text_id}")
        assert section is not None, f"sources/{text_id}: no section 'not-used-{text_id}' explaining unused paragraphs"
        explained = {int(m) for item in section.select("li") for m in re.findall(r"^¶ (\d+)", item.get_text())}
        assert explained == uncited, (f"sources/{text_id}: explained {sorted(explained)}, "
                                      f"but not cited on content pages: {sorted(uncited)}")
        for item in section.select("li"):
            assert ":" in item.get_text(), f"sources/{text_id}: “{item.get_text()}” gives no reason"


# A figure or term that rests on one reading of texts that disagree -> the note that sets out both.
RELIANT = [
    ("key-figures.html#allocation-2024", "note-amounts"),
    ("key-figures.html#allocation-2024", "note-one-initiative"),
    ("key-figures.html#annual-grants-and-loans", "note-amounts"),
    ("key-figures.html#export-growth-factor", "note-doubling"),
    ("key-figures.html#focus-areas-stated", "note-focus-areas"),
    ("key-figures.html#measures-count", "note-one-initiative"),
    ("key-figures.html#national-team-size", "note-one-initiative"),
    ("key-figures.html#national-team-size", "note-counts"),
    ("key-figures.html#largest-exporters-count", "note-counts"),
    ("glossary.html#term-Hele-Norge-eksporterer", "note-one-initiative"),
]


@pytest.mark.parametrize(("target", "note"), sorted(RELIANT))
def test_pages_relying_on_one_reading_link_to_the_note(built_site: Path, target: str, note: str) -> None:
    missing = []
    for path in content_pages(built_site):
        relative = path.relative_to(built_site).as_posix()
        if relative in {"notes-on-sources.html", "genindex.html"} or relative == target.split("#")[0]:
            continue
        page = soup(path)
        hrefs = [a.get("href", "") for a in page.select("article.bd-article a")]
        if any(h.endswith(target) for h in hrefs) and not any(h.endswith(f"notes-on-sources.html#{note}") for h in hrefs):
            missing.append(relative)
    assert not missing, f"pages using {target} without linking {note}: {missing}"
