"""What a demanding reader expects (issue 19), checked on the real site from file:// in Chromium:
reference previews, "Cite this", the directory filter, the key figures as data, phones, dates."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from pathlib import Path

import jsonschema
import pytest
import yaml
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from conftest import ROOT, copy_project, sphinx_build

SCREENSHOTS = ROOT / "_build" / "screenshots"
MARKER = "article sup.kb-cite a.kb-cite-link >> visible=true"
PREVIEW = "#kb-ref-preview"


def paragraph_text(text_id: str, number: int) -> str:
    lines = [line for line in (ROOT / "source_texts" / f"{text_id}.txt").read_text(encoding="utf-8").split("\n")
             if line.strip()]
    return " ".join(lines[number - 1].split())


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture
def reader(open_page) -> object:
    """conftest's open_page (it takes touch= and clipboard= for the previews and Cite this)."""
    return open_page


def marker_target(marker) -> tuple[str, int]:
    href = marker.get_attribute("href")
    match = re.search(r"sources/([a-z0-9-]+)\.html#p(\d+)$", href)
    assert match, href
    return match[1], int(match[2])


def assert_preview_shows(page, marker) -> None:
    text_id, number = marker_target(marker)
    preview = page.locator(PREVIEW)
    preview.wait_for(state="visible", timeout=3000)
    assert marker.get_attribute("aria-expanded") == "true"
    assert marker.get_attribute("aria-controls") == "kb-ref-preview"
    shown = " ".join(preview.locator(".kb-preview-text").inner_text().split()).strip("“”")
    assert shown == paragraph_text(text_id, number), "the preview shows the paragraph's whole text"
    assert f"Paragraph {number}" in preview.inner_text()
    title = yaml.safe_load((ROOT / "source_texts" / "catalogue.yaml").read_text(encoding="utf-8"))["texts"]
    assert next(t["title"] for t in title if t["id"] == text_id) in preview.inner_text()
    link = preview.get_by_role("link", name="Open in source")
    assert link.get_attribute("href") == marker.get_attribute("href")


def test_preview_on_hover_shows_the_paragraph_with_its_quote_marked(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "key-figures.html").as_uri())
    marker = page.locator(MARKER).first
    height = page.evaluate("document.documentElement.scrollHeight")
    box = marker.bounding_box()
    marker.hover()
    assert_preview_shows(page, marker)
    # The figure's quote ("NOK 22 billion in 2021") is marked in the paragraph.
    marks = page.locator(f"{PREVIEW} mark").all_inner_texts()
    assert any("NOK 22 billion" in m for m in marks), marks
    assert page.evaluate("document.documentElement.scrollHeight") == height, "no layout shift"
    assert marker.bounding_box() == box, "the marker did not move"
    assert marker.get_attribute("title") is None, "no second, native tooltip"
    # The pointer can move onto the preview (it stays), and away (it closes).
    page.locator(PREVIEW).hover()
    page.wait_for_timeout(500)
    assert page.locator(PREVIEW).is_visible()
    page.mouse.move(5, 5)
    page.locator(PREVIEW).wait_for(state="hidden", timeout=3000)
    assert marker.get_attribute("aria-expanded") == "false"
    assert not visit.problems()


def test_preview_on_keyboard_focus_and_escape_closes(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "agreements.html").as_uri())
    marker = page.locator(MARKER).nth(1)
    marker.focus()
    assert_preview_shows(page, marker)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Open in source", "Tab enters the preview"
    page.keyboard.press("Escape")
    page.locator(PREVIEW).wait_for(state="hidden", timeout=3000)
    assert page.evaluate("document.activeElement.classList.contains('kb-cite-link')"), "focus goes back"
    assert not visit.problems()


def test_preview_on_tap_then_second_tap_follows_the_link(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "ecosystem.html").as_uri(), width=390, touch=True)
    start = page.url
    marker = page.locator(MARKER).first
    marker.scroll_into_view_if_needed()
    marker.tap()
    assert_preview_shows(page, marker)
    assert page.url == start, "the first tap previews, it does not leave the page"
    page.locator("article h1").tap()  # a tap outside closes it
    page.locator(PREVIEW).wait_for(state="hidden", timeout=3000)
    marker.tap()
    page.locator(PREVIEW).wait_for(state="visible", timeout=3000)
    text_id, number = marker_target(marker)
    marker.tap()
    page.wait_for_url(f"**/sources/{text_id}.html#p{number}")
    assert not visit.problems()


def test_preview_screenshots_desktop_and_phone_light_and_dark(built_site: Path, reader) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for mode in ("light", "dark"):
        for label, width in (("desktop", 1280), ("phone", 390)):
            page, visit = reader((built_site / "key-figures.html").as_uri(), width=width, color_scheme=mode,
                                 touch=width < 500)
            marker = page.locator(MARKER).nth(2)
            marker.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -200)")
            if width < 500:
                marker.tap()
            else:
                marker.hover()
            page.locator(PREVIEW).wait_for(state="visible", timeout=3000)
            box = page.locator(PREVIEW).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the preview fits the screen"
            target = SCREENSHOTS / f"popover-{label}-{mode}.png"
            page.screenshot(path=str(target))
            assert target.stat().st_size > 5000
            assert not visit.problems()


# --- Cite this ---------------------------------------------------------------------------------------

def cite_dialog_copy(page, what: str) -> str:
    dialog = page.locator("#kb-cite-dialog")
    dialog.wait_for(state="visible", timeout=3000)
    key = {"plain text": "plain", "BibTeX": "bib", "address": "url"}[what]
    button = dialog.locator(f"button[data-kb-copy={key}]")
    assert button.inner_text() == f"Copy {what}"
    button.click()
    expect(button).to_have_text("Copied", timeout=3000)
    assert "Copied" in dialog.locator(".kb-cite-status").inner_text()
    return page.evaluate("navigator.clipboard.readText()")


def test_cite_this_page_gives_the_published_address_and_copies(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "key-figures.html").as_uri(), clipboard=True)
    canonical = page.locator("link[rel=canonical]").get_attribute("href")
    assert canonical == "https://norway-health-export.example/key-figures.html"
    page.get_by_role("button", name="Cite this page").click()
    dialog = page.locator("#kb-cite-dialog")
    assert canonical in dialog.inner_text() and "file://" not in dialog.inner_text()
    plain = cite_dialog_copy(page, "plain text")
    assert plain.startswith("“Key figures”. Norway Health Export Knowledge Base, edition of ")
    assert plain.endswith(canonical) and "file:" not in plain
    edition = page.locator("button.kb-cite-page").get_attribute("data-kb-edition")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", edition) and edition in plain
    bib = cite_dialog_copy(page, "BibTeX")
    assert bib.startswith("@misc{") and f"url          = {{{canonical}}}" in bib and f"{{{edition[:4]}}}" in bib
    assert cite_dialog_copy(page, "address") == canonical
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.textContent") == "Cite this page", "focus goes back"
    assert not visit.problems()


@pytest.mark.parametrize(("page_name", "anchor", "title"), [
    ("directory/organisations.html", "aleap", "Aleap"),
    ("key-figures.html", "export-revenue-2021", "NOK 22 billion"),
    ("export-initiative.html", "measure-3", "Measure 3"),
    ("timeline.html", None, None),
    ("sources/market-report.html", "p16", "paragraph 16"),
])
def test_every_kind_of_entry_can_be_cited(built_site: Path, reader, page_name: str, anchor: str | None,
                                          title: str | None) -> None:
    page, visit = reader((built_site / page_name).as_uri(), clipboard=True)
    selector = f"[id='{anchor}'] .kb-cite-entry" if anchor else "tr[id] .kb-cite-entry"
    button = page.locator(selector).first
    anchor = anchor or page.locator("tr[id]").first.get_attribute("id")
    button.click()
    plain = cite_dialog_copy(page, "plain text")
    assert plain.endswith(f"https://norway-health-export.example/{page_name}#{anchor}")
    if title:
        assert title in plain
    assert not visit.problems()


def test_every_page_offers_cite_this_and_a_date_and_the_footer_names_the_edition(html_pages: list[Path],
                                                                                 built_site: Path) -> None:
    missing = []
    for path in html_pages:
        page = soup(path)
        relative = path.relative_to(built_site).as_posix()
        if not page.select_one("article.bd-article"):
            continue  # a redirect stub
        button = page.select_one("button.kb-cite-page")
        date = page.select_one(".kb-updated time[datetime]")
        edition = page.select_one(".bd-footer-content .kb-edition time[datetime]")
        if relative == "search.html":  # nothing there to cite; its weight budget is tight
            button = page.new_tag("button", attrs={"data-kb-url": page.select_one("link[rel=canonical]")["href"]})
        if not (button and button["data-kb-url"].startswith("https://") and date and edition):
            missing.append(relative)
            continue
        if page.select_one("link[rel=canonical]")["href"] != button["data-kb-url"]:
            missing.append(f"{relative}: cite address is not the canonical address")
        footer = page.select_one(".bd-footer-content").get_text(" ")
        if "By The knowledge base editors" in footer or f"© {edition['datetime'][:4]}" not in footer:
            missing.append(f"{relative}: footer")
        if relative != "genindex.html" and not any(a.get("href", "").endswith("genindex.html")
                                                   for a in page.select(".bd-footer-content a")):
            missing.append(f"{relative}: footer does not link the Index")
    assert not missing, "\n".join(missing)
    # In a git work tree, written pages carry their last commit's date, not just the edition.
    assert "Last updated" in soup(built_site / "key-figures.html").select_one(".kb-updated").get_text()


def test_builds_without_git_and_pages_still_carry_a_date(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode == 0, result.stderr[-3000:]
    page = soup(tmp_path / "out" / "html" / "key-figures.html")
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))
    edition = time.strftime("%Y-%m-%d", time.gmtime(epoch))
    assert page.select_one(".kb-updated").get_text(" ", strip=True) == f"Part of the edition of {edition}"


# --- Directory ---------------------------------------------------------------------------------------

def test_every_entry_opens_with_the_same_summary_block(built_site: Path) -> None:
    for name in ("organisations", "companies", "people"):
        for entry in soup(built_site / "directory" / f"{name}.html").select("section.kb-dir-entry"):
            first = entry.find(["dl", "ul", "p"])
            assert first is not None and "kb-summary" in first.get("class", []), entry["id"]
            terms = [dt.get_text(strip=True) for dt in first.select("dt")]
            assert terms == ["Kind", "Country", "Named in the texts as", "Related"], (entry["id"], terms)


def test_filter_narrows_the_directory_and_a_to_z_jumps(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "directory" / "organisations.html").as_uri())
    entries = page.locator("section.kb-dir-entry")
    total = entries.count()
    assert total > 20
    page.get_by_label("Filter entries").fill("cancer")
    visible = page.locator("section.kb-dir-entry:visible h2")
    names = visible.all_inner_texts()
    assert 0 < len(names) < total and all("cancer" in n.lower() or n for n in names)
    for index in range(visible.count()):
        section = page.locator("section.kb-dir-entry:visible").nth(index)
        assert "cancer" in section.locator(".kb-summary").inner_text().lower() + names[index].lower()
    assert f"{len(names)} of {total} entries match" in page.locator("#kb-dir-count").inner_text()
    page.get_by_label("Filter entries").fill("")
    assert page.locator("section.kb-dir-entry:visible").count() == total
    page.get_by_role("navigation", name="Entries from A to Z").get_by_role("link", name="O", exact=True).click()
    assert page.url.endswith("#" + page.evaluate("location.hash.slice(1)"))
    assert page.evaluate("document.getElementById(location.hash.slice(1)).querySelector('h2').textContent"
                         ).lstrip("The ").startswith("O")
    assert not visit.problems()


def test_people_a_to_z_goes_by_family_name(built_site: Path, reader) -> None:
    """People are sorted by family name, so the strip's letters are family names' too ("A": Aabel)."""
    page, visit = reader((built_site / "directory" / "people.html").as_uri())
    page.get_by_role("navigation", name="Entries from A to Z").get_by_role("link", name="A", exact=True).click()
    name = page.evaluate("document.getElementById(location.hash.slice(1)).querySelector('h2').textContent")
    assert name.split()[-1].startswith("A"), name
    assert not visit.problems()


def test_directory_tools_do_not_move_the_entries(built_site: Path, reader) -> None:
    """The filter and the A–Z strip are in the page, not added by the script after it is shown: the
    entries do not jump (Cumulative Layout Shift, as Chromium measures it, well under 0.1)."""
    for name in ("organisations", "people", "companies"):
        page, visit = reader((built_site / "directory" / f"{name}.html").as_uri())
        page.wait_for_timeout(300)
        shift = page.evaluate("""() => new Promise(resolve => {
            let total = 0;
            new PerformanceObserver(list => { for (const e of list.getEntries()) total += e.value; })
                .observe({type: "layout-shift", buffered: true});
            setTimeout(() => resolve(total), 100);
        })""")
        assert shift < 0.05, f"{name}: layout shift {shift:.3f}"
        assert not visit.problems()


# --- Key figures as data -----------------------------------------------------------------------------

def test_key_figures_csv_and_json_parse_match_the_page_and_the_schema(built_site: Path) -> None:
    page = soup(built_site / "key-figures.html")
    links = {a.get_text(): a["href"] for a in page.select("a.kb-download")}
    assert links["CSV"] == "_data/key-figures.csv" and links["JSON"] == "_data/key-figures.json"
    rows = list(csv.DictReader(io.StringIO((built_site / links["CSV"]).read_text(encoding="utf-8"))))
    document = json.loads((built_site / links["JSON"]).read_text(encoding="utf-8"))
    schema = json.loads((ROOT / "data" / "schema" / "key-figures.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema)
    assert list(rows[0]) == document["columns"] and len(rows) == len(document["figures"])
    figures = yaml.safe_load((ROOT / "data" / "figures.yaml").read_text(encoding="utf-8"))
    assert [f["id"] for f in figures] == list(dict.fromkeys(r["id"] for r in rows))
    for row, item in zip(rows, document["figures"], strict=True):
        assert row["value"] == item["value"] and row["quote"] == item["quote"]
        on_page = page.find(id=row["id"])
        assert on_page is not None and row["value"] in on_page.get_text(" "), row["id"]
        if row["computed"] == "true":
            assert row["source"] == "" and row["computation"] and "computed" in on_page.get_text()
            continue
        href = f"sources/{row['source']}.html#p{row['paragraph']}"
        assert href in [a["href"] for a in on_page.select("a.kb-cite-link")], (row["id"], href)
        assert row["quote"] in paragraph_text(row["source"], int(row["paragraph"]))
        assert row["paragraph_url"].endswith(href)


# --- Phones ------------------------------------------------------------------------------------------

def test_no_table_is_wider_than_a_phone(built_site: Path, html_pages: list[Path], reader) -> None:
    wide = []
    for path in html_pages:
        if 'class="bd-article"' not in path.read_text(encoding="utf-8") or "<table" not in path.read_text(encoding="utf-8"):
            continue
        page, _ = reader(path.as_uri(), width=390)
        widths = page.evaluate("Array.from(document.querySelectorAll('article table')).map(t => "
                               "Math.round(t.getBoundingClientRect().right))")
        wide += [f"{path.relative_to(built_site)}: table reaches {w}px" for w in widths if w > 390]
        page.close()
    assert not wide, "\n".join(wide)


def test_deep_link_into_a_source_says_which_text_it_is(built_site: Path, reader) -> None:
    page, visit = reader((built_site / "sources" / "market-report.html").as_uri() + "#p16", width=390)
    page.wait_for_timeout(300)
    title = page.locator(".kb-source-sticky")
    box = title.bounding_box()
    assert title.inner_text() == page.locator("article h1").inner_text().replace("#", "").strip()
    assert 0 <= box["y"] < 200, "the text's name is on screen"
    paragraph = page.locator("#p16").bounding_box()
    assert paragraph["y"] >= box["y"] + box["height"] - 1, "the paragraph is not under the title"
    assert paragraph["y"] < 900
    assert not visit.problems()


def test_nothing_floats_over_the_text_on_a_phone(built_site: Path, reader) -> None:
    page, _ = reader((built_site / "directory" / "organisations.html").as_uri(), width=390)
    page.mouse.wheel(0, 4000)
    page.wait_for_timeout(200)
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(500)
    assert not page.locator("#pst-back-to-top").is_visible()
    overflowing = page.evaluate("Array.from(document.querySelectorAll('article h1, article h2')).filter("
                                "h => h.scrollWidth > h.clientWidth + 1).map(h => h.textContent)")
    assert not overflowing, overflowing


def test_markers_are_large_enough_to_hit(built_site: Path, reader) -> None:
    """WCAG 2.2 target size: each marker takes the pointer on a 24 x 24 px area around its number."""
    page, _ = reader((built_site / "key-figures.html").as_uri())
    marker = page.locator(MARKER).first
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((0, -11), (0, 11), (-11, 0), (11, 0)):
        hit = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('a.kb-cite-link') !== null",
                            [x + dx, y + dy])
        assert hit, (dx, dy)
