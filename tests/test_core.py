"""The core (issue 14), on the tiny project and on the real site: one domain resolves every reference,
duplicates are found alike serially and under -j, every input outside docs/ is a tracked dependency,
and no output carries raw role markup."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sphinx.util.inventory import InventoryFile

ROOT = Path(__file__).resolve().parent.parent
ROOTS = Path(__file__).parent / "roots"
BASE = "https://norway-health-export.example/"
RAW_ROLE = re.compile(r"\{(?:e|src|fig|measure|ref)\}`")

FIGURE = """- id: widget-count
  value: 42 widgets
  meaning: "How many widgets {e}`widget-works` makes."
  cites:
    - {cite: tiny#p3, quote: 42 widgets}
"""


@pytest.fixture
def kb_project(tmp_path: Path) -> Path:
    project = tmp_path / "kb"
    shutil.copytree(ROOTS / "kb", project)
    shutil.copyfile(ROOT / "deploy" / "security-headers.conf", project / "security-headers.conf")
    with (project / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('kb_security_headers = "security-headers.conf"\n')
    (project / "data" / "figures.yaml").write_text(FIGURE, encoding="utf-8")
    (project / "figures.md").write_text("# Figures\n\n```{key-figures}\n```\n", encoding="utf-8")
    index = (project / "index.md").read_text(encoding="utf-8")
    (project / "index.md").write_text(index.replace("orgs\n", "orgs\nfigures\n"), encoding="utf-8")
    return project


def warnings_of(app: Any) -> list[str]:
    text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
    # (Warnings about re-registered directives come from building twice in one process: not the project's.)
    return sorted(line for line in text.splitlines() if "WARNING" in line and "is already registered" not in line)


# -- duplicates: found after the merge, so serial and parallel builds report the same -----------------

def test_duplicates_are_reported_alike_serially_and_in_parallel(make_app: Callable[..., Any], kb_project: Path,
                                                                 tmp_path: Path) -> None:
    (kb_project / "source-again.md").write_text("# Again\n\n```{source-text} tiny\n```\n", encoding="utf-8")
    (kb_project / "orgs-again.md").write_text("# Again\n\n```{entity-directory} organisations\n```\n", encoding="utf-8")
    (kb_project / "figures-again.md").write_text("# Again\n\n```{key-figures}\n```\n", encoding="utf-8")
    for page in ("extra-1", "extra-2", "extra-3"):  # Sphinx reads in parallel from six pages on
        (kb_project / f"{page}.md").write_text(f"# {page}\n\nWords.\n", encoding="utf-8")
    index = (kb_project / "index.md").read_text(encoding="utf-8")
    (kb_project / "index.md").write_text(index.replace(
        "orgs\n", "orgs\nsource-again\norgs-again\nfigures-again\nextra-1\nextra-2\nextra-3\n"), encoding="utf-8")
    reported = {}
    for jobs in (1, 2):
        app = make_app("html", srcdir=kb_project, builddir=tmp_path / f"out-{jobs}", freshenv=True, parallel=jobs)
        app.build()
        reported[jobs] = warnings_of(app)
    assert reported[1] == reported[2]
    assert any("source text 'tiny' is already shown on 'source'" in w and "source-again" in w for w in reported[1])
    assert any("duplicate entity id 'widget-works'" in w and "orgs-again" in w for w in reported[1])
    assert any("duplicate figure id 'widget-count'" in w and "figures-again" in w for w in reported[1])
    assert len(reported[1]) == 3, reported[1]


# -- the domain: references, objects, inventory -----------------------------------------------------------

def test_every_role_is_a_pending_xref_of_the_kb_domain(make_app: Callable[..., Any], kb_project: Path) -> None:
    from sphinx import addnodes

    (kb_project / "cites.md").write_text(
        "# Cites\n\nA claim.{src}`tiny#p1` By {e}`widget-works`: {fig}`widget-count`.\n", encoding="utf-8")
    app = make_app("html", srcdir=kb_project, freshenv=True)
    app.build()
    assert warnings_of(app) == []
    doctree = app.env.get_doctree("cites")
    from kb_ext.nodes import citation_marker

    xrefs = [(x["refdomain"], x["reftype"], x["reftarget"]) for x in doctree.findall(addnodes.pending_xref)]
    assert ("kb", "entity", "widget-works") in xrefs and ("kb", "figure", "widget-count") in xrefs
    assert len(list(doctree.findall(citation_marker))) == 2  # the {src}, and the {fig}'s own citation
    html = (Path(app.outdir) / "cites.html").read_text(encoding="utf-8")
    assert re.search(r'<a class="[^"]*kb-entity[^"]*" href="orgs.html#widget-works">widgets</a>', html)
    assert re.search(r'href="figures.html#widget-count">42 widgets</a>', html)
    assert re.search(r'<sup class="kb-cite" id="cite-1">\[<a class="[^"]*kb-cite-link[^"]*" href="source.html#p1"',
                     html)
    domain = app.env.domains["kb"]
    objects = {(name, objtype): (docname, anchor) for name, _, objtype, docname, anchor, _ in domain.get_objects()}
    assert objects[("widget-works", "entity")] == ("orgs", "widget-works")
    assert objects[("tiny-p3", "paragraph")] == ("source", "p3")
    assert objects[("tiny", "source")] == ("source", "")
    assert domain.entry_uri(app.builder, "cites", "widget-count") == "figures.html#widget-count"
    assert domain.entry_pages["widget-works"] == "orgs"


def test_markers_and_paragraph_numbers_render_in_every_builder(make_app: Callable[..., Any], kb_project: Path,
                                                               tmp_path: Path) -> None:
    for builder in ("text", "singlehtml"):
        app = make_app(builder, srcdir=kb_project, builddir=tmp_path / builder, freshenv=True)
        app.build()
        assert warnings_of(app) == [], builder
    text = (tmp_path / "text" / "text" / "cites.txt").read_text(encoding="utf-8")
    assert "A claim.^[1 (source: A tiny text, paragraph 1)]" in text
    single = (tmp_path / "singlehtml" / "singlehtml" / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<sup class="kb-cite" id="cite-1">\[<a class="[^"]*kb-cite-link[^"]*" href="#p1"', single)
    assert re.search(r'<a class="[^"]*kb-para-num[^"]*" href="#p1"', single)


def test_inventory_keeps_every_published_label_and_names_no_missing_page(built_site: Path) -> None:
    inventory = InventoryFile.loads((built_site / "objects.inv").read_bytes(), uri=BASE).data
    labels = inventory["std:label"]
    for missing in ("modindex", "py-modindex"):
        assert missing not in labels
    for domain, entries in inventory.items():
        for name, item in entries.items():
            page = item.uri.removeprefix(BASE).partition("#")[0]
            assert (built_site / page).is_file(), f"{domain} {name}: {item.uri}"
    for kind in ("kb:entity", "kb:figure", "kb:measure", "kb:event", "kb:theme", "kb:paragraph", "kb:source"):
        assert inventory.get(kind), f"objects.inv lists no {kind}"
    for name, item in inventory["kb:entity"].items():
        assert labels[name].uri == item.uri, f"{name}: the std label and the kb object disagree"


CODE = re.compile(r'<code[ >].*?</code>|<pre[ >].*?</pre>', re.S)  # markup shown as code: meant
DIAGRAM = re.compile(r'<figure[^>]*class="[^"]*kb-diagram.*?</figure>', re.S)


def raw_markup(built_site: Path, *, diagrams: bool) -> list[str]:
    offenders = []
    for path in built_site.rglob("*"):
        if path.suffix not in {".html", ".js", ".json", ".txt", ".xml", ".csv"}:
            continue
        if "_static" in path.parts and not path.name.startswith("kb-search-index"):  # the theme's files
            continue
        text = CODE.sub("", path.read_text(encoding="utf-8", errors="replace"))
        text = "\n".join(DIAGRAM.findall(text)) if diagrams else DIAGRAM.sub("", text)
        match = RAW_ROLE.search(text)
        if match:
            offenders.append(f"{path.relative_to(built_site)}: …{text[max(0, match.start() - 60):match.end() + 40]}…")
    return offenders


def test_no_raw_role_markup_in_any_output_file(built_site: Path) -> None:
    offenders = raw_markup(built_site, diagrams=False)
    assert not offenders, "\n".join(offenders[:10])


def test_no_raw_role_markup_in_diagram_titles(built_site: Path) -> None:
    offenders = raw_markup(built_site, diagrams=True)
    assert not offenders, "\n".join(offenders[:10])


# -- incremental builds: an input re-builds the pages that show it, and no others --------------------

def written_pages(outdir: Path) -> dict[str, int]:
    return {p.relative_to(outdir).as_posix(): p.stat().st_mtime_ns for p in outdir.glob("*.html")
            if p.name not in {"genindex.html", "search.html"}}


def rebuilt_after(make_app: Callable[..., Any], project: Path, edit: Callable[[Path], None]) -> set[str]:
    app = make_app("html", srcdir=project, freshenv=True)
    app.build()
    before = written_pages(Path(app.outdir))
    time.sleep(0.05)
    edit(project)
    app = make_app("html", srcdir=project)
    app.build()
    assert warnings_of(app) == []
    after = written_pages(Path(app.outdir))
    return {page for page in after if after[page] != before.get(page)}


def append(path: str, text: str) -> Callable[[Path], None]:
    def edit(project: Path) -> None:
        with (project / path).open("a", encoding="utf-8") as handle:
            handle.write(text)
    return edit


def retitle_text(project: Path) -> None:
    catalogue = project / "source_texts" / "catalogue.yaml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8").replace("A tiny text", "A small text"), encoding="utf-8")


def edit_headers(project: Path) -> None:
    headers = project / "security-headers.conf"
    headers.write_text(headers.read_text(encoding="utf-8").replace("default-src 'self'", "default-src 'none'"),
                       encoding="utf-8")


# (index.html holds the toctree of the re-read pages: Sphinx re-writes a re-read page's toctree parent.)
@pytest.mark.parametrize(("edit", "expected"), [
    # the catalogue: the source page, the pages that cite the text (its title is in their references)
    (retitle_text, {"source.html", "cites.html", "orgs.html", "figures.html", "index.html"}),
    # organisations: the directory, the pages naming the entity, the source page (a new citation's backlink)
    (append("data/organisations.yaml", '    - "Also makes gadgets.{src}`tiny#p3`"\n'),
     {"orgs.html", "cites.html", "figures.html", "source.html", "index.html"}),
    (lambda p: (p / "data" / "figures.yaml").write_text(FIGURE.replace("makes.", "builds."), encoding="utf-8"),
     {"figures.html", "index.html"}),
    (edit_headers, {"index.html", "source.html", "cites.html", "orgs.html", "figures.html"}),
], ids=["catalogue", "entities", "figures", "security-headers"])
def test_editing_an_input_rebuilds_exactly_the_pages_that_show_it(make_app: Callable[..., Any], kb_project: Path,
                                                                   edit: Callable[[Path], None],
                                                                   expected: set[str]) -> None:
    assert rebuilt_after(make_app, kb_project, edit) == expected


def test_editing_a_static_file_rewrites_exactly_the_pages_linking_it(make_app: Callable[..., Any],
                                                                     kb_project: Path) -> None:
    (kb_project / "static").mkdir()
    (kb_project / "static" / "all.css").write_text("p { margin: 0 }\n", encoding="utf-8")
    (kb_project / "static" / "only.js").write_text("// one page\n", encoding="utf-8")
    with (kb_project / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('html_static_path = ["static"]\nhtml_css_files = ["all.css"]\n'
                   "def setup(app):\n"
                   "    app.connect('html-page-context', lambda app, page, *_: "
                   "app.add_js_file('only.js') if page == 'cites' else None)\n")
    # (and index.html, the toctree parent Sphinx re-writes with any updated page)
    assert rebuilt_after(make_app, kb_project, append("static/only.js", "// changed\n")) == {"cites.html", "index.html"}
    assert rebuilt_after(make_app, kb_project, append("static/all.css", "a { color: red }\n")) == {
        "index.html", "source.html", "cites.html", "orgs.html", "figures.html"}


def test_scripts_and_bench_import_the_package_without_path_hacks() -> None:
    for folder in ("scripts", "bench"):
        for path in (ROOT / folder).glob("*.py"):
            assert "sys.path.insert" not in path.read_text(encoding="utf-8"), path
    result = subprocess.run([sys.executable, "-c", "import kb_ext, kb_ext.site.patches"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_no_import_circle_in_the_core() -> None:
    import ast

    package = ROOT / "kb_ext"
    graph: dict[str, set[str]] = {}
    for path in package.rglob("*.py"):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if path.name == "__init__.py" else 0)]
                target = ".".join([*base, node.module] if node.module else base)
                imported.add(target)
        graph[module] = imported

    def visit(module: str, trail: tuple[str, ...]) -> None:
        for target in graph.get(module, ()):
            if target in trail:
                if not target.endswith(("kb_ext", "kb_ext.site")):  # a package importing its modules
                    raise AssertionError(" -> ".join([*trail[trail.index(target):], target]))
                continue
            visit(target, (*trail, target))

    for module in graph:
        visit(module, (module,))


# -- the single-page edition ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def single_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("single")
    command = [sys.executable, "-m", "sphinx", "-M", "singlehtml", str(ROOT / "docs"), str(out), "-c", str(ROOT),
               "-W", "--keep-going", "-n", "-E"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "singlehtml" / "index.html"


def test_single_page_has_the_site_title_navigation_and_landing_links(single_page: Path) -> None:
    from bs4 import BeautifulSoup

    html = single_page.read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one(".logo__title").get_text(strip=True) == "Norway Health Export Knowledge Base"
    sections = soup.select("nav.bd-docs-nav ul.bd-sidenav")
    assert len(sections) >= 3 and all(section.select("li a") for section in sections), "empty navigation section"
    ids = [element["id"] for element in soup.select("[id]")]
    assert len(ids) == len(set(ids)), "repeated ids"
    broken = sorted({a["href"] for a in soup.select('a[href^="#"]') if len(a["href"]) > 1
                     and a["href"][1:] not in set(ids)})
    assert not broken, broken[:10]
    assert not soup.select('a[href*="search.html"], a[href*="genindex.html"]'), "links to pages it does not have"
    readme = subprocess.run([sys.executable, "-c", "from scripts.offline_editions import PROMISES; "
                             "print(PROMISES['single-page'])"], capture_output=True, text=True, cwd=ROOT,
                            check=True).stdout
    assert "no search and no general index" in readme
