"""The offline editions, as `make offline` makes them: the site zip, the single-page edition, the PDF.

`make offline` runs twice, into two empty folders: the zips must be the same bytes. The site zip is
unzipped into an empty folder and every page visited from file:// with any other request aborted.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

import gate
from conftest import DIAGRAMS_DRAWN, ROOT

MEASURES_TEXT = ROOT / "source_texts" / "fifteen-measures-launch.txt"


def make_offline(out: Path) -> str:
    result = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), f"OUT={out}", "offline"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"make offline failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    first, second = tmp_path_factory.mktemp("offline-1"), tmp_path_factory.mktemp("offline-2")
    report = make_offline(first)
    make_offline(second)
    editions = first / "offline"
    return {"report": report, "editions": editions, "again": second / "offline", "site": first / "html",
            "site_zip": next(p for p in editions.glob("*.zip") if not p.stem.endswith("-single-page")),
            "single_zip": next(editions.glob("*-single-page.zip")), "pdf": next(editions.glob("*.pdf"))}


def unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(into)
    (top,) = into.iterdir()
    return top


@pytest.fixture(scope="module")
def unzipped_site(offline: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unzip(offline["site_zip"], tmp_path_factory.mktemp("unzipped-site"))


@pytest.fixture(scope="module")
def unzipped_single_page(offline: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unzip(offline["single_zip"], tmp_path_factory.mktemp("unzipped-single"))


def test_two_runs_give_byte_identical_zips(offline: dict) -> None:
    for archive in offline["editions"].glob("*.zip"):
        again = offline["again"] / archive.name
        assert again.read_bytes() == archive.read_bytes(), f"{archive.name} differs between two runs"


def test_names_readme_and_reported_sizes(offline: dict) -> None:
    name = offline["site_zip"].stem
    assert re.fullmatch(r"norway-health-export-kb-\d{4}-\d{2}-\d{2}", name)
    with zipfile.ZipFile(offline["site_zip"]) as opened:
        names = opened.namelist()
        assert all(n.startswith(f"{name}/") for n in names)
        assert "open index.html" in opened.read(f"{name}/README.txt").decode().lower()
        assert f"{name}/index.html" in names and f"{name}/search.html" in names
    for edition in (offline["site_zip"], offline["single_zip"], offline["pdf"]):
        assert re.search(rf"{re.escape(edition.name)}\s+[\d.]+ (KB|MB)", offline["report"]), edition.name


def test_the_site_links_to_the_editions(offline: dict) -> None:
    about = (offline["site"] / "about.html").read_text(encoding="utf-8")
    for edition in (offline["site_zip"], offline["single_zip"], offline["pdf"]):
        assert f"/downloads/{edition.name}\"" in about, edition.name
    assert 'href="about.html#about-offline"' in (offline["site"] / "index.html").read_text(encoding="utf-8")


def test_every_page_of_the_unzipped_site_works_from_disk(unzipped_site: Path, open_page) -> None:
    findings = []
    for html in sorted(unzipped_site.rglob("*.html")):
        page, visit = open_page(html.as_uri())
        page.wait_for_function(DIAGRAMS_DRAWN, timeout=20000)
        page.wait_for_load_state("networkidle")
        findings += [f"{html.relative_to(unzipped_site)}: {p}" for p in visit.problems()]
        page.close()
    assert not findings, "\n".join(findings)
    assert not gate.broken_links(unzipped_site), "broken links in the unzipped site"


@pytest.mark.parametrize(("query", "expected"), [
    ("Startuplab", "directory/organisations.html"), ("Vestre", "directory/people.html"), ("Nortrials", "glossary.html")])
def test_search_in_the_unzipped_site(unzipped_site: Path, open_page, query: str, expected: str) -> None:
    page, visit = open_page((unzipped_site / "search.html").as_uri() + f"?q={query}")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    links = page.locator("#search-results ul.search li a").evaluate_all("as => as.map(a => a.href)")
    assert any(expected in link for link in links), links
    assert not visit.problems()


def test_dark_mode_redirects_glossary_and_index_in_the_unzipped_site(unzipped_site: Path, open_page) -> None:
    page, visit = open_page((unzipped_site / "timeline.html").as_uri(), color_scheme="dark")
    page.wait_for_function(DIAGRAMS_DRAWN, timeout=20000)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page, _ = open_page((unzipped_site / "measures.html").as_uri())
    page.wait_for_url("**/export-initiative.html#measures")
    page, _ = open_page((unzipped_site / "genindex.html").as_uri())
    assert page.get_by_role("link", name=re.compile("Innovation Norway")).count()
    page, _ = open_page((unzipped_site / "glossary.html").as_uri())
    assert page.locator("dl.glossary dt").count() >= 5
    assert not visit.problems()


def test_the_single_page_edition(unzipped_single_page: Path, open_page) -> None:
    assert [p.name for p in unzipped_single_page.glob("*.html")] == ["index.html"]
    assert not gate.broken_links(unzipped_single_page)
    html = (unzipped_single_page / "index.html").read_text(encoding="utf-8")
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "repeated ids in the single page"
    page, visit = open_page((unzipped_single_page / "index.html").as_uri())
    page.wait_for_function(DIAGRAMS_DRAWN, timeout=30000)
    assert page.locator("figure.kb-diagram svg:visible").count() == 6
    # A citation on one page leads to the paragraph of the source text, within the one file.
    page.locator("sup.kb-cite a").first.click()
    target = page.evaluate("decodeURIComponent(location.hash.slice(1))")
    assert page.locator(f"[id='{target}']").evaluate("e => e.classList.contains('kb-para')")
    # A diagram's node leads to its entry, within the one file.
    page.locator("#diagram-ecosystem svg a").first.click()
    assert page.evaluate("document.getElementById(decodeURIComponent(location.hash.slice(1))) !== null")
    assert not visit.problems()


def pdf_text(pdf: Path, *pages: str) -> str:
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_pdf_opens_and_has_every_measure(offline: dict) -> None:
    info = subprocess.run(["pdfinfo", str(offline["pdf"])], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])
    assert 60 <= pages <= 400, f"{pages} pages"
    text = " ".join(pdf_text(offline["pdf"]).split())
    for line in MEASURES_TEXT.read_text(encoding="utf-8").splitlines():
        if re.match(r"\d+\. ", line):
            assert " ".join(line.split()) in text, f"measure missing from the PDF: {line}"
    assert "Page 2 of" in text, "no page numbers"
    assert "Contents" in text


def test_a_rendered_pdf_page_shows_a_diagram(offline: dict, tmp_path: Path) -> None:
    """The export revenue chart's bars, drawn at build time, are on the page whose text has its caption."""
    pdf = offline["pdf"]
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(pdf)], capture_output=True,
                                                              text=True, check=True).stdout)[1])
    number = next(n for n in range(1, pages + 1)
                  if "Export revenue in 2021 and 2023" in pdf_text(pdf, "-f", str(n), "-l", str(n)))
    subprocess.run(["pdftoppm", "-r", "50", "-f", str(number), "-l", str(number), str(pdf),
                    str(tmp_path / "page")], check=True)
    (image,) = tmp_path.glob("page*.ppm")
    data = image.read_bytes()
    header = data.split(b"\n", 3)
    width, height = map(int, header[1].split())
    pixels = header[3]
    assert len(pixels) == width * height * 3
    bar_blue = sum(1 for i in range(0, len(pixels), 3)
                   if pixels[i + 2] > 150 and pixels[i + 2] - pixels[i] > 80 and pixels[i + 1] < 140)
    assert bar_blue > 0.005 * width * height, f"no diagram drawn on PDF page {number} ({bar_blue} blue pixels)"
