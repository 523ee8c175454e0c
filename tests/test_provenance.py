"""Paragraph-level provenance, on a tiny Sphinx project: each rule, and each error with file and line."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOTS = Path(__file__).parent / "roots"


@pytest.fixture
def kb_project(tmp_path: Path) -> Path:
    project = tmp_path / "kb"
    shutil.copytree(ROOTS / "kb", project)
    return project


@pytest.fixture
def build(make_app: Callable[..., Any], kb_project: Path) -> Callable[..., tuple[Any, str]]:
    def run(**files: str) -> tuple[Any, str]:
        for name, content in files.items():
            (kb_project / name).write_text(content, encoding="utf-8")
        app = make_app("html", srcdir=kb_project, freshenv=True)
        app.build()
        return app, app.warning.getvalue()

    return run


def page(app: Any, name: str) -> str:
    return (Path(app.outdir) / f"{name}.html").read_text(encoding="utf-8")


def test_source_page_has_one_anchor_per_non_blank_line(build: Callable[..., tuple[Any, str]]) -> None:
    app, warnings = build()
    assert warnings == ""
    html = page(app, "source")
    assert re.findall(r'<div class="kb-para[^"]*" id="(p\d+)"', html) == ["p1", "p2", "p3", "p4"]
    assert re.search(r'<a class="kb-para-num[^"]*" href="#p4"', html), "the paragraph number is a permalink"
    assert "  Indented last line." in html, "text is kept verbatim, leading spaces included"


def test_source_text_is_shown_literally_never_interpreted(build: Callable[..., tuple[Any, str]]) -> None:
    app, _ = build()
    html = page(app, "source")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; **not bold** *nor italic*." in html
    assert "<strong>not bold" not in html and "<em>nor italic" not in html


def test_citation_links_to_the_paragraph_with_accessible_name(build: Callable[..., tuple[Any, str]]) -> None:
    app, _ = build()
    html = page(app, "cites")
    first = re.search(r'<sup class="kb-cite" id="cite-1">(.*?)</sup>', html).group(1)
    assert 'href="source.html#p1"' in first
    # The accessible name starts with the visible number (WCAG 2.5.3), then names the source.
    assert re.search(r'>1<span class="visually-hidden[^"]*"> \(source: A tiny text, paragraph 1\)</span></a>', first)
    assert "aria-label" not in first
    quoted = re.search(r'<sup class="kb-cite" id="cite-2">(.*?)</sup>', html).group(1)
    assert 'title="A tiny text, paragraph 3: “42 widgets”"' in quoted
    several = re.search(r'<sup class="kb-cite" id="cite-3">(.*?)</sup>', html).group(1)
    assert several.count("<a ") == 2 and 'href="source.html#p2"' in several


def test_references_list_each_cited_paragraph_once(build: Callable[..., tuple[Any, str]]) -> None:
    app, _ = build()
    html = page(app, "cites")
    references = html[html.index('id="references"'):]
    assert re.findall(r'<li id="(ref-[^"]+)"', references) == ["ref-tiny-p1", "ref-tiny-p3", "ref-tiny-p2"]
    assert "A tiny text, ¶3</a></p>" in references
    assert "“The third line³ has <mark class=\"kb-quote\">42 widgets</mark>.”" in references, "whole text, quote marked"


def test_backlinks_and_coverage_on_the_source_page(build: Callable[..., tuple[Any, str]]) -> None:
    app, _ = build()
    html = page(app, "source")
    p1 = html[html.index('id="p1"'):html.index('id="p2"')]
    assert 'Cited on: <a class="reference internal" href="cites.html#cite-1">Cites</a>' in p1
    assert "3 of 4 paragraphs cited; not yet cited: ¶ 4" in html


def test_entity_reference_links_to_its_entry_and_backlinks(build: Callable[..., tuple[Any, str]]) -> None:
    app, _ = build()
    assert 'href="orgs.html#widget-works">widgets</a>' in page(app, "cites")
    entry = page(app, "orgs")
    assert 'id="widget-works"' in entry
    assert 'Appears on: <a class="reference internal" href="cites.html">Cites</a>' in entry


@pytest.mark.parametrize(
    ("citation", "message"),
    [
        ("{src}`nosuch#p1`", "citation names unknown source text 'nosuch'"),
        ("{src}`tiny#p9`", "citation 'tiny#p9': paragraph 9 is out of range (tiny has paragraphs 1-4)"),
        ("{src}`43 widgets <tiny#p3>`", "citation 'tiny#p3': quote '43 widgets' does not occur"),
        ("{src}`tiny-p3`", "is not of the form 'text-id#p12'"),
        ("{e}`nobody`", "unknown entity id 'nobody'"),
    ],
)
def test_bad_citation_warns_with_file_and_line(build: Callable[..., tuple[Any, str]], citation: str,
                                               message: str) -> None:
    _, warnings = build(**{"cites.md": f"# Cites\n\nFine.{{src}}`tiny#p1`\n\nBroken claim.{citation}\n"})
    assert re.search(r"cites\.md:5: WARNING: .*" + re.escape(message), warnings), warnings


def test_bad_quote_in_data_warns_with_the_data_file_and_line(kb_project: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    data = kb_project / "data" / "organisations.yaml"
    data.write_text(data.read_text(encoding="utf-8").replace("42 widgets", "41 widgets"), encoding="utf-8")
    # Checked when the data is loaded (kb_ext/data.py): an error that stops the build before any page.
    result = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", str(kb_project), str(tmp_path / "out"), "-q"],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert re.search(r"organisations\.yaml:\d+: .*quote '41 widgets' does not occur",
                     result.stderr), result.stderr


def test_incremental_build_updates_backlinks(make_app: Callable[..., Any], kb_project: Path) -> None:
    app = make_app("html", srcdir=kb_project, freshenv=True)
    app.build()
    assert "cites.html#cite-1" in page(app, "source")
    (kb_project / "cites.md").write_text("# Cites\n\nNow only the third.{src}`tiny#p3`\n", encoding="utf-8")
    app = make_app("html", srcdir=kb_project)
    app.build()
    source = page(app, "source")
    p1 = source[source.index('id="p1"'):source.index('id="p2"')]
    assert "Cited on" not in p1
    assert "1 of 4 paragraphs cited" in source


def test_parallel_and_serial_builds_give_the_same_pages(make_app: Callable[..., Any], kb_project: Path,
                                                         tmp_path: Path) -> None:
    outputs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out-{jobs}"
        app = make_app("html", srcdir=kb_project, builddir=out, freshenv=True, parallel=jobs)
        app.build()
        outputs[jobs] = {name: page(app, name) for name in ("index", "source", "cites", "orgs")}
    assert outputs[1] == outputs[2]
