"""Bad input never yields a site that looks fine (issue 15).

Citation grammar, data validated at load with the line at fault, the catalogue complete, data inert in
every output, incremental builds equal to clean ones, and the atomic build: a failed `make html`
leaves the last good site byte for byte and ends with a short list of problems, file and line each.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, copy_project

ROOTS = Path(__file__).parent / "roots"
BUILD_SCRIPT = ROOT / "scripts" / "build.py"


# ------------------------------------------------------------------------------------------------
# The tiny project (tests/roots/kb), built in-process, strict.

@pytest.fixture
def kb_project(tmp_path: Path) -> Path:
    project = tmp_path / "kb"
    shutil.copytree(ROOTS / "kb", project)
    return project


def strict_build(project: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", str(project), str(out),
                           "-d", str(out.parent / f"{out.name}-doctrees"), "-W", "--keep-going", "-n", "-E", "-q",
                           *extra], capture_output=True, text=True, env=env, check=False)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def assert_clean_failure(result: subprocess.CompletedProcess[str], location: str, message: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output and "Exception occurred" not in output, output[-3000:]
    assert re.search(re.escape(location) + r"(:\d+)?:? .*" + re.escape(message), output), output[-3000:]


# ------------------------------------------------------------------------------------------------
# 4. Citation grammar, on pages.

@pytest.mark.parametrize(
    ("citation", "message"),
    [
        ("{src}`tiny#p3-1`", "range 'p3-1' is reversed"),
        ("{src}`tiny#p2-2`", "range 'p2-2' is empty"),
        ("{src}`tiny#p0`", "paragraphs are numbered from 1"),
        ("{src}`tiny#p1,`", "is not of the form"),
        ("{src}`tiny#1`", "is not of the form"),
        ("{src}`Tiny#p1`", "is not of the form"),
        ("{src}``", "role {src} has empty or unterminated content"),
        ("{src}`w <tiny#p3>`", "is too short to be evidence"),
        ("{src}`idget <tiny#p3>`", "only occurs inside longer words"),
        ("{src}`third line³ has 42 <tiny#p1>`", "it occurs in tiny#p3: cite that paragraph"),
        ("{src}`alert(“x”) <tiny#p2>`", "differs from the text only in apostrophe, quotation-mark or "
                                       "dash style: the text has 'alert(\"x\")'"),
    ],
)
def test_citation_grammar_refuses(kb_project: Path, tmp_path: Path, citation: str, message: str) -> None:
    (kb_project / "cites.md").write_text(f"# Cites\n\nFine.{{src}}`tiny#p1`\n\nBroken claim.{citation}\n",
                                         encoding="utf-8")
    result = strict_build(kb_project, tmp_path / "out")
    assert_clean_failure(result, f"{kb_project / 'cites.md'}:5", message)


def test_citation_grammar_accepts_whole_words_and_ranges(kb_project: Path, tmp_path: Path) -> None:
    (kb_project / "cites.md").write_text(
        "# Cites\n\nA.{src}`tiny#p1-3`\n\nB.{src}`42 widgets <tiny#p3>`\n\nC.{src}`tiny#p1, p3`\n\n"
        "D.{src}`The third line³ | widgets <tiny#p3>`\n", encoding="utf-8")
    result = strict_build(kb_project, tmp_path / "out")
    assert result.returncode == 0, result.stderr


def test_market_report_reversed_range_fails_in_the_real_grammar() -> None:
    from kb_ext import grammar

    with pytest.raises(grammar.CitationError, match="reversed"):
        grammar.parse_target("market-report#p5-3")
    assert grammar.parse_target("market-report#p3-5, p9") == ("market-report", [3, 4, 5, 9])


# ------------------------------------------------------------------------------------------------
# 3. Data validated when loaded: every problem, at the line of the item at fault, no traceback.

FACT = '    - "Makes widgets.{src}`42 widgets <tiny#p3>`"\n'


@pytest.mark.parametrize(
    ("new_text", "needle", "message"),
    [
        ("  kind: maker\n  kind: company\n", "kind: company", "duplicate key 'kind' (first at line 4)"),
        ("  relatoins: []\n  kind: maker\n", "relatoins", "unknown key 'relatoins' (did you mean 'relations'?)"),
        ("  kind: 42\n", "kind: 42", "'kind' is a number: expected plain text"),
        ("  kind: maker\n  relations:\n    - {to: widget-works, label: '\"><img src=x onerror=alert(1)>', "
         "cite: tiny#p3}\n", "onerror", "'relations.label' is '\"><img src=x onerror=alert(1)>': expected plain text without"),
        ("  kind: maker\n  relations:\n    - {to: nobody-at-all, label: makes, cite: tiny#p3}\n", "nobody-at-all",
         "unknown organisation id 'nobody-at-all'"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"Made by {e}`nobody`.{src}`tiny#p1`\"\n",
         "{e}`nobody`", "unknown entity id 'nobody'"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"Reversed.{src}`tiny#p3-1`\"\n",
         "p3-1", "range 'p3-1' is reversed"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"Empty.{src}``\"\n",
         "Empty.", "role {src} is empty"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"See {fig}`no-such-figure`.\"\n",
         "no-such-figure", "unknown figure id 'no-such-figure'"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"See {measure}`3`.{src}`tiny#p1`\"\n",
         "{measure}`3`", "there is no measure '3'"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"See {ref}`no-such-label`.{src}`tiny#p1`\"\n",
         "no-such-label", "unknown label 'no-such-label'"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"Bold <b>claim</b>.{src}`tiny#p1`\"\n",
         "<b>claim", "raw HTML in the data's Markdown"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"No citation at all.\"\n",
         "No citation", "needs at least one citation"),
        ("  kind: maker\n  facts:\n    - \"Fine.{src}`tiny#p1`\"\n    - \"Other paragraph.{src}`42 widgets <tiny#p1>`\"\n",
         "Other paragraph", "it occurs in tiny#p3"),
    ],
)
def test_bad_data_is_refused_at_the_line_of_the_item(kb_project: Path, tmp_path: Path, new_text: str, needle: str,
                                                     message: str) -> None:
    data = kb_project / "data" / "organisations.yaml"
    text = data.read_text(encoding="utf-8").replace(FACT, "").replace("  facts:\n", "")
    data.write_text(text.replace("  kind: maker\n", new_text), encoding="utf-8")
    result = strict_build(kb_project, tmp_path / "out")
    assert_clean_failure(result, f"{data}:{line_of(data, needle)}", message)
    assert not (tmp_path / "out" / "index.html").exists(), "stopped before any page is written"


@pytest.mark.parametrize(("content", "message"), [("", "the file is empty"), ("[]\n", "no records"),
                                                  ("- id: x\n  - y\n", "not valid YAML"),
                                                  ("{id: x}\n", "the file holds a mapping: expected a list")])
def test_empty_or_malformed_data_file_is_refused(kb_project: Path, tmp_path: Path, content: str, message: str) -> None:
    data = kb_project / "data" / "organisations.yaml"
    data.write_text(content, encoding="utf-8")
    result = strict_build(kb_project, tmp_path / "out")
    assert_clean_failure(result, str(data), message)


def test_record_types_and_schema_describe_the_same_records() -> None:
    import json
    import typing

    from kb_ext import data

    schema = json.loads(data.SCHEMA_FILE.read_text(encoding="utf-8"))
    for name, record_type in data.RECORD_TYPES.items():
        definition = schema["$defs"][name]
        hints = typing.get_type_hints(record_type)
        assert set(hints) == set(definition["properties"]), name
        assert set(record_type.__required_keys__) == set(definition["required"]), name
    assert set(schema["properties"]) == set(data.FILES)


# ------------------------------------------------------------------------------------------------
# 5. Every text in source_texts/ is catalogued.

def test_uncatalogued_source_text_is_an_error(kb_project: Path, tmp_path: Path) -> None:
    stray = kb_project / "source_texts" / "sixth.txt"
    stray.write_text("A text nobody catalogued.\n", encoding="utf-8")
    result = strict_build(kb_project, tmp_path / "out")
    assert_clean_failure(result, f"{stray}:1", "source text is not in the catalogue (catalogue.yaml)")


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("    title_editorial: true\n", "    title_editorial: true\n    title: Another title\n", "Another title",
     "duplicate key 'title'"),
    ("    author: null\n", "    author: null\n    autor: someone\n", "autor", "unknown key 'autor'"),
])
def test_catalogue_entry_errors_name_their_line(kb_project: Path, tmp_path: Path, old: str, new: str, needle: str,
                                                message: str) -> None:
    catalogue = kb_project / "source_texts" / "catalogue.yaml"
    edit(catalogue, old, new)
    result = strict_build(kb_project, tmp_path / "out")
    assert_clean_failure(result, f"{catalogue}:{line_of(catalogue, needle)}", message)


# ------------------------------------------------------------------------------------------------
# 1 and 8. The atomic build (scripts/build.py, what `make html` runs), ten faults each alone in a copy
# of the project after a good build: a clear error at the file and line, no traceback, and the last
# good _build/html unchanged byte for byte. One copy, one good build; each fault is undone after.

def run_build(project: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, str(BUILD_SCRIPT), "--project", str(project)], capture_output=True,
                          text=True, env=env, cwd=project, check=False)


def snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def good_copy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    project = copy_project(tmp_path_factory.mktemp("integrity") / "project")
    result = run_build(project)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Build succeeded" in result.stdout
    yield project


def append(path: Path, text: str) -> int:
    """Append a paragraph; the line number it starts at."""
    before = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    path.write_text(before + text + "\n", encoding="utf-8")
    return before.count("\n") + 1


def insert_after(path: Path, needle: str, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if needle in line) + 1
    lines.insert(index, text)
    path.write_text("".join(lines), encoding="utf-8")
    return index + 1


def fault_paragraph_out_of_range(p: Path) -> tuple[str, int, str]:
    return "docs/about.md", append(p / "docs/about.md", "A claim.{src}`market-report#p999`"), "paragraph 999 is out of range"


def fault_reversed_range(p: Path) -> tuple[str, int, str]:
    return "docs/about.md", append(p / "docs/about.md", "A claim.{src}`market-report#p5-3`"), "range 'p5-3' is reversed"


def fault_empty_src(p: Path) -> tuple[str, int, str]:
    return "docs/about.md", append(p / "docs/about.md", "A claim.{src}``"), "role {src} has empty or unterminated content"


def fault_unknown_entity_in_fact(p: Path) -> tuple[str, int, str]:
    line = insert_after(p / "data/organisations.yaml", "  facts:", '    - "Works with {e}`nobody-at-all`.{src}`cluster-cooperation#p6`"\n')
    return "data/organisations.yaml", line, "unknown entity id 'nobody-at-all'"


def fault_duplicate_key(p: Path) -> tuple[str, int, str]:
    line = insert_after(p / "data/organisations.yaml", "  kind: ", "  kind: company\n")
    return "data/organisations.yaml", line, "duplicate key 'kind'"


def fault_unknown_key(p: Path) -> tuple[str, int, str]:
    line = insert_after(p / "data/organisations.yaml", "  kind: ", "  relatoins: []\n")
    return "data/organisations.yaml", line, "unknown key 'relatoins' (did you mean 'relations'?)"


def fault_uncatalogued_text(p: Path) -> tuple[str, int, str]:
    (p / "source_texts/sixth.txt").write_text("A sixth text.\n", encoding="utf-8")
    return "source_texts/sixth.txt", 1, "source text is not in the catalogue"


def fault_empty_figures_file(p: Path) -> tuple[str, int, str]:
    (p / "data/figures.yaml").write_text("", encoding="utf-8")
    return "data/figures.yaml", 1, "the file is empty"


def fault_no_figures(p: Path) -> tuple[str, int, str]:
    (p / "data/figures.yaml").write_text("[]\n", encoding="utf-8")
    return "data/figures.yaml", 1, "no records"


def fault_hostile_diagram_label(p: Path) -> tuple[str, int, str]:
    path = p / "data/organisations.yaml"
    text = path.read_text(encoding="utf-8")  # the first relation's label, whatever its words
    path.write_text(re.sub(r'label: "[^"]*"', lambda _: """label: '"><img src=x onerror=alert(1)>'""", text, count=1),
                    encoding="utf-8")
    return "data/organisations.yaml", line_of(path, "onerror"), "expected plain text without '<', '>'"


def fault_headers_without_policy(p: Path) -> tuple[str, int, str]:
    edit(p / "deploy/security-headers.conf", "add_header Content-Security-Policy", "add_header Content-Security-Polic")
    return "deploy/security-headers.conf", 1, "no line 'add_header Content-Security-Policy"


def fault_entries_without_a_page(p: Path) -> tuple[str, int, str]:
    """The key-figures table taken off its page: every {fig} loses its target, and the build-finished
    handlers (export, redirects, sitemap) must not crash on the half-made site."""
    edit(p / "docs/key-figures.md", "```{key-figures}\n```\n", "")
    return ("data/events.yaml", line_of(p / "data/events.yaml", "{fig}`export-revenue-2021`"),
            "'export-revenue-2021' has no entry on any page")


FAULTS = [fault_paragraph_out_of_range, fault_reversed_range, fault_empty_src, fault_unknown_entity_in_fact,
          fault_duplicate_key, fault_unknown_key, fault_uncatalogued_text, fault_empty_figures_file,
          fault_no_figures, fault_hostile_diagram_label, fault_headers_without_policy, fault_entries_without_a_page]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.__name__.removeprefix("fault_") for f in FAULTS])
def test_fault_fails_cleanly_and_keeps_the_last_good_site(good_copy: Path, fault: Callable[[Path], tuple[str, int, str]]) -> None:
    site = good_copy / "_build" / "html"
    before = snapshot(site)
    originals = {name: (good_copy / name).read_bytes() for name in ("docs/about.md", "data/organisations.yaml",
                                                                    "data/figures.yaml", "deploy/security-headers.conf",
                                                                    "docs/key-figures.md")}
    try:
        file, line, message = fault(good_copy)
        result = run_build(good_copy)
    finally:
        for name, content in originals.items():
            (good_copy / name).write_bytes(content)
        (good_copy / "source_texts/sixth.txt").unlink(missing_ok=True)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "Traceback" not in output and "Exception occurred" not in output, output[-5000:]
    summary = result.stderr[result.stderr.index("Build failed"):]
    assert re.search(rf"^  {re.escape(file)}:{line}: .*{re.escape(message)}", summary, re.M), summary
    assert snapshot(site) == before, "the last good site must stay byte for byte"
    assert not list((good_copy / "_build").glob(".staging-*")), "no staging folder left behind"


def test_changed_security_headers_simply_rebuild(good_copy: Path) -> None:
    headers = good_copy / "deploy" / "security-headers.conf"
    edit(headers, "object-src 'none';", "object-src 'none'; media-src 'self';")
    result = run_build(good_copy)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = list((good_copy / "_build" / "html").rglob("*.html"))
    stale = [p.name for p in pages if "_static" not in p.parts and "media-src 'self'" not in p.read_text(encoding="utf-8")]
    assert not stale, f"pages without the new policy: {stale[:5]}"


def test_pages_that_no_longer_exist_disappear(good_copy: Path) -> None:
    scratch = good_copy / "docs" / "scratch.md"
    scratch.write_text("---\norphan: true\n---\n# Scratch\n\nA page for a while.\n", encoding="utf-8")
    try:
        assert run_build(good_copy).returncode == 0
        assert (good_copy / "_build" / "html" / "scratch.html").is_file()
    finally:
        scratch.unlink()
    result = run_build(good_copy)
    assert result.returncode == 0, result.stderr[-3000:]
    assert not (good_copy / "_build" / "html" / "scratch.html").exists()


# ------------------------------------------------------------------------------------------------
# 7. Incremental equals clean, and -j 2 equals serial: every output file (but .buildinfo), compared
# generically, so whatever a helper adds to the output (search index, diagrams, exports) is covered.

def sphinx(project: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Sphinx as `make html` runs it, without -E unless asked: the doctrees sit beside the output."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000", "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", str(project / "docs"), str(out / "html"),
                           "-d", str(out / "doctrees"), "-c", str(project), "-W", "--keep-going", "-n", *extra],
                          capture_output=True, text=True, env=env, cwd=project, check=False)


def differences(first: Path, second: Path) -> list[str]:
    one, two = snapshot(first), snapshot(second)
    one.pop(".buildinfo", None)
    two.pop(".buildinfo", None)
    return sorted({*one, *two} - {name for name in one if one.get(name) == two.get(name)})


@pytest.fixture(scope="module")
def incremental_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("incremental")
    project = copy_project(base / "project")
    result = sphinx(project, base / "incremental")
    assert result.returncode == 0, result.stderr[-3000:]
    return project


def edit_page(p: Path) -> None:
    append(p / "docs/about.md", "One more sentence, about nothing in particular.{src}`market-report#p1`")


def edit_data(p: Path) -> None:
    edit(p / "data/organisations.yaml", "Located in {e}`oslo-science-park`.", "Located in {e}`oslo-science-park`, Oslo.")


def edit_catalogue(p: Path) -> None:
    edit(p / "source_texts/catalogue.yaml", 'title: "Clusters joining forces for international success"',
         'title: "Clusters joining forces for international success (edited)"')


def edit_headers(p: Path) -> None:
    edit(p / "deploy/security-headers.conf", "object-src 'none';", "object-src 'none'; media-src 'self';")


EDITS = [edit_page, edit_data, edit_catalogue, edit_headers]


@pytest.mark.parametrize("change", EDITS, ids=[e.__name__ for e in EDITS])
def test_incremental_build_equals_clean_build(incremental_copy: Path, change: Callable[[Path], None]) -> None:
    change(incremental_copy)
    base = incremental_copy.parent
    incremental = sphinx(incremental_copy, base / "incremental")
    assert incremental.returncode == 0, incremental.stderr[-3000:]
    clean = base / f"clean-{change.__name__}"
    result = sphinx(incremental_copy, clean, "-E")
    assert result.returncode == 0, result.stderr[-3000:]
    assert differences(base / "incremental" / "html", clean / "html") == []


def test_parallel_build_equals_serial_build(incremental_copy: Path) -> None:
    base = incremental_copy.parent
    serial = sphinx(incremental_copy, base / "serial", "-E")
    parallel = sphinx(incremental_copy, base / "parallel", "-E", "-j", "2")
    assert serial.returncode == 0 and parallel.returncode == 0, parallel.stderr[-3000:]
    assert differences(base / "serial" / "html", base / "parallel" / "html") == []


# ------------------------------------------------------------------------------------------------
# 6. Data is inert in every output. The tiny project gets organisations whose names (quoted from the
# text, as names must be) and relation label are hostile; the same project with harmless words is
# the control. Every output file must have exactly the control's elements and attributes, the JSON
# export and search index must carry the strings as data, and Chromium (no CSP) must run none of it.

HOSTILE_NAMES = ('"><img src=x onerror=alert(1)>', "</script><script>alert(2)</script>")
HARMLESS_NAMES = ("Harmless Maker One", "Harmless Maker Two")
HOSTILE_LABEL = "\"' onmouseover=alert(3) x=\" javascript:alert(4) {{7*7}} ]] &amp; &lt;"
HARMLESS_LABEL = "supplies parts to the other maker"


def inert_project(base: Path, names: tuple[str, str], label: str) -> Path:
    project = base / "kb"
    shutil.copytree(ROOTS / "kb", project)
    text = project / "source_texts" / "tiny.txt"
    text.write_bytes(text.read_bytes() + f"Makers named {names[0]} and {names[1]} say hello.\n".encode())
    catalogue = project / "source_texts" / "catalogue.yaml"
    old_sha = yaml.safe_load(catalogue.read_text(encoding="utf-8"))["texts"][0]["sha256"]
    edit(catalogue, old_sha, hashlib.sha256(text.read_bytes()).hexdigest())
    orgs = project / "data" / "organisations.yaml"
    records = yaml.safe_load(orgs.read_text(encoding="utf-8"))
    for number, name in enumerate(names, start=1):
        records.append({"id": f"maker-{number}", "names": [{"name": name, "cite": "tiny#p5"}], "kind": "maker",
                        "kind_cite": "tiny#p5", "kind_quote": "say hello", "facts": [f"Says hello to {{e}}`widget-works`.{{src}}`hello <tiny#p5>`"]})
    records[1]["relations"] = [{"to": "maker-2", "label": label, "cite": "tiny#p5"}]
    orgs.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (project / "diagram.md").write_text("# Diagram\n\n```{kb-diagram} ecosystem\n```\n", encoding="utf-8")
    # A page whose lead sentence, hence its OpenGraph description, holds both names.
    (project / "makers.md").write_text("# Makers\n\nThe makers {e}`maker-1` and {e}`maker-2` say hello to all of "
                                       "you.{src}`hello <tiny#p5>`\n", encoding="utf-8")
    edit(project / "index.md", "orgs\n", "orgs\ndiagram\nmakers\n")
    (project / "directory").mkdir()
    with (project / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write(f'\nextensions += ["sphinxext.opengraph"]\nhtml_baseurl = "https://example.org/"\n'
                   f'ogp_site_url = html_baseurl\nogp_image = "_static/share-card.png"\nhtml_static_path = [{str(ROOT / "theme" / "static")!r}]\n')
    return project


def structure(folder: Path) -> dict[str, list[str]]:
    """Per HTML file: every element and attribute name, sorted (values are data, names are markup)."""
    from bs4 import BeautifulSoup

    shapes = {}
    for page in sorted(folder.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        shapes[page.relative_to(folder).as_posix()] = sorted(
            [tag.name for tag in soup.find_all(True)] + [f"{tag.name}@{a}" for tag in soup.find_all(True) for a in tag.attrs])
    return shapes


@pytest.fixture(scope="module")
def inert_builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    outputs = {}
    for kind, names, label in (("hostile", HOSTILE_NAMES, HOSTILE_LABEL), ("harmless", HARMLESS_NAMES, HARMLESS_LABEL)):
        base = tmp_path_factory.mktemp(kind)
        project = inert_project(base, names, label)
        result = strict_build(project, base / "out")
        assert result.returncode == 0, result.stderr[-3000:]
        outputs[kind] = base / "out"
    return outputs


def test_hostile_data_adds_no_element_or_attribute_to_any_page(inert_builds: dict[str, Path]) -> None:
    hostile, harmless = structure(inert_builds["hostile"]), structure(inert_builds["harmless"])
    assert hostile.keys() == harmless.keys()
    # The kinds of element and attribute must be the same, and so must the count of each risky kind; other
    # counts may differ (a longer name wraps onto more lines of a diagram box: more <tspan>s).
    injected = {page: sorted(set(hostile[page]) ^ set(harmless[page])) for page in hostile
                if set(hostile[page]) != set(harmless[page])}
    assert not injected, injected
    risky = {page: {tag: (hostile[page].count(tag), harmless[page].count(tag)) for tag in RISKY
                    if hostile[page].count(tag) != harmless[page].count(tag)} for page in hostile}
    assert not any(risky.values()), risky
    orgs = (inert_builds["hostile"] / "orgs.html").read_text(encoding="utf-8")
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in orgs, "the name is shown, as text"
    from bs4 import BeautifulSoup

    from kb_ext.grammar import STYLE

    makers = BeautifulSoup((inert_builds["hostile"] / "makers.html").read_text(encoding="utf-8"), "html.parser")
    description = makers.find("meta", property="og:description")["content"].translate(STYLE)
    assert all(name in description for name in HOSTILE_NAMES), description


def test_hostile_data_is_data_in_the_json_export_and_search_index(inert_builds: dict[str, Path]) -> None:
    import json

    export = json.loads((inert_builds["hostile"] / "_data" / "knowledge-base.json").read_text(encoding="utf-8"))
    assert {o["name"] for o in export["organisations"]} >= set(HOSTILE_NAMES)
    assert HOSTILE_LABEL in [r["label"] for o in export["organisations"] for r in o["relations"]]
    index = (inert_builds["hostile"] / "_static" / "kb-search-index.js").read_text(encoding="utf-8")
    payload = json.loads(index[index.index("=") + 1:index.rindex(";")])
    from kb_ext.grammar import STYLE

    titles = {row[3].translate(STYLE) for row in payload["records"]}
    assert set(HOSTILE_NAMES) <= titles, "names reach the index as strings, not markup"
    # (kb-search-index.js is loaded with <script src>, never inlined, so a "</script>" in it ends nothing; were it
    # inlined into a page, test_hostile_data_adds_no_element_or_attribute_to_any_page would see the new elements.)


RENDERED_SHAPE = """() => [...document.querySelectorAll('*')].flatMap(e =>
    [e.tagName.toLowerCase(), ...[...e.attributes].map(a => e.tagName.toLowerCase() + '@' + a.name.toLowerCase())])"""
RISKY = ("script", "img", "iframe", "object", "embed", "a", "style", "link", "meta", "form", "input", "svg", "image")


def test_hostile_data_runs_nothing_in_chromium(inert_builds: dict[str, Path], browser: Any) -> None:
    """Rendered, scripts run and diagrams drawn, with the CSP removed: the pages hold the same kinds of
    elements and attributes as the harmless control, and no script of the data runs."""
    from collections import Counter

    from conftest import DIAGRAMS_DRAWN

    for site in inert_builds.values():
        for page in site.rglob("*.html"):  # the CSP would stop an injected script: test without it
            html = page.read_text(encoding="utf-8")
            page.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html), encoding="utf-8")
    dialogs: list[str] = []
    shapes: dict[str, dict[str, Counter[str]]] = {}
    for kind, site in inert_builds.items():
        context = browser.new_context()
        try:
            for name in ("orgs", "makers", "diagram", "cites", "index", "genindex", "search"):
                tab = context.new_page()
                tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
                tab.goto((site / f"{name}.html").as_uri(), wait_until="load")
                tab.wait_for_function(DIAGRAMS_DRAWN, timeout=20000)
                for box in tab.locator("svg text, svg foreignObject, svg g, .kb-entity").all()[:60]:
                    box.dispatch_event("mouseover")
                shapes.setdefault(name, {})[kind] = Counter(tab.evaluate(RENDERED_SHAPE))
                tab.close()
        finally:
            context.close()
    assert dialogs == [], f"data ran as script: {dialogs}"
    injected = {}
    for name, kinds in shapes.items():
        hostile, harmless = kinds["hostile"], kinds["harmless"]
        extra = sorted(set(hostile) - set(harmless))
        risky = {tag: (hostile[tag], harmless[tag]) for tag in RISKY if hostile[tag] != harmless[tag]}
        if extra or risky:
            injected[name] = (extra, risky)
    assert not injected, injected
