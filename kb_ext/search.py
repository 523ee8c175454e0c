"""Search from disk: an index of the knowledge base's own entries, written as a script for the search page.

Sphinx's own index (``searchindex.js``) knows pages and words, not entries; its summaries are fetched,
which fails from ``file://``. This module writes ``_static/kb-search-index.js`` instead, read by
``theme/static/kb-search.js`` with a plain ``<script>`` tag (no fetch, no inline script):

* every entry is a record: organisations, companies, people (with every spelling the texts use, from
  ``data/*.yaml``), measures, figures, events, themes, glossary terms, source paragraphs, and every page
  and section, each linking to its own anchor;
* each record carries its title, its other names and its text (the snippet is cut from it in the
  browser, around the words that matched, so nothing is fetched).

Records are collected per page when the page is read (``doctree-read``) and kept in the environment
(``env.kb_search``), purged and merged per document, so an incremental or parallel build gives the
same index as a clean one. The index is assembled from all pages' records when the HTML is written.
Sphinx's own search index is switched off (``builder.search = False``): the search page is ours.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Set
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import docname_join

from .domain import KnowledgeBaseDomain
from .state import kb_data, source_texts

INDEX_FILE = "kb-search-index.js"  # in _static
SEARCH_JS = "kb-search.js"
SEARCH_CSS = "kb-search.css"

# Kinds, as the browser labels them (kb-search.js has the same table).
ORGANISATION, COMPANY, PERSON, MEASURE, FIGURE, EVENT, THEME, TERM, PARAGRAPH, PAGE, SECTION = (
    "o", "c", "h", "m", "f", "e", "t", "g", "s", "p", "x")
DIRECTORY_KINDS = {"organisations": ORGANISATION, "companies": COMPANY, "people": PERSON}

# Rendered text that is not reading text: citation markers and the lists they build, backlinks,
# paragraph numbers, index entries, diagrams' source. Matched by node class name or HTML class, so
# that the search does not depend on how other modules build these nodes.
SKIPPED_NODE_NAMES = {"citation_marker", "references_list", "entity_backlinks", "paragraph_backlinks",
                      "paragraph_number", "coverage_summary", "footnote_reference", "citation_reference",
                      "mermaid", "kb_diagram", "system_message", "comment", "raw", "substitution_definition",
                      "index", "toctree", "target", "meta", "pending_xref_condition",
                      "literal", "literal_block"}  # code: examples of markup, not reading text
SKIPPED_CLASSES = {"kb-cite", "kb-references", "kb-backlinks", "kb-para-number", "mermaid", "toctree-wrapper",
                   "kb-source-meta"}


def skipped(node: nodes.Node) -> bool:
    if type(node).__name__ in SKIPPED_NODE_NAMES:
        return True
    if isinstance(node, nodes.Element):
        if SKIPPED_CLASSES & set(node.get("classes", [])):
            return True
        if node.get("ids") == ["references"]:  # the generated "References" section of a page
            return True
    return False


def clean(text: str) -> str:
    return " ".join(text.split())


class TextCollector:
    """The reading text of a node, without what ``skipped`` leaves out and without ``stop`` nodes."""

    def __init__(self, env: BuildEnvironment, stop: Any) -> None:
        self.env = env
        self.stop = stop

    def text(self, node: nodes.Node) -> str:
        parts: list[str] = []
        self._walk(node, parts, top=True)
        return clean("".join(parts))

    def _walk(self, node: nodes.Node, parts: list[str], top: bool = False) -> None:
        if skipped(node) or (not top and self.stop(node)):
            return
        if isinstance(node, nodes.Text):
            parts.append(node.astext())
            return
        if isinstance(node, addnodes.pending_xref) and not node.get("refexplicit") \
                and node.get("reftype") in {"ref", "doc"}:
            # {ref}`label` or {doc}`page` without a title: the text is the target's title, known only
            # once every page is read (the target may be on a later page): a placeholder until then.
            target = node.get("reftarget", "")
            if node["reftype"] == "doc":
                target = docname_join(node.get("refdoc", ""), target)
            parts.append(f"\x01{node['reftype']}:{target}\x02")
            return
        block = isinstance(node, (nodes.paragraph, nodes.title, nodes.term, nodes.entry, nodes.list_item))
        for child in node.children:
            self._walk(child, parts)
        if block:
            parts.append(" ")


def first_id(node: nodes.Element) -> str:
    ids = node.get("ids", [])
    return ids[0] if ids else ""


def entry_anchor(node: nodes.Node, entries: dict[str, str], docname: str) -> str:
    """The anchor if ``node`` is the element of an entry (a section or table row with the entry's id)."""
    if isinstance(node, (nodes.section, nodes.row)):
        anchor = first_id(node)
        if anchor and entries.get(anchor) == docname:
            return anchor
    return ""


def is_record_node(node: nodes.Node, entries: dict[str, str], docname: str) -> bool:
    """Nodes indexed as records of their own, left out of the text of the section around them."""
    if entry_anchor(node, entries, docname):
        return True
    if isinstance(node, nodes.definition_list_item) and any(first_id(t) for t in node.findall(nodes.term)):
        return "glossary" in node.parent.get("classes", []) if node.parent is not None else False
    return isinstance(node, nodes.container) and "kb-para" in node.get("classes", [])


def entry_record(env: BuildEnvironment, anchor: str, node: nodes.Element, text: str) -> dict[str, Any] | None:
    """An entry's record: its kind, its title, every name the texts give it, and its text."""
    data = kb_data(env)
    entity = data.entities().get(anchor)
    if entity is not None:
        from .entities import directory_of, display_name  # the directories decide who is where

        names = list(dict.fromkeys(n["name"] for n in entity["names"]))
        kind = DIRECTORY_KINDS[directory_of(entity)]
        detail = entity.get("kind", "")
        return {"k": kind, "a": anchor, "t": display_name(entity), "n": names[1:], "x": text, "d": detail}
    figure = data.figure(anchor)
    if figure is not None:
        names = [figure["value"], *([figure["usd"]] if figure.get("usd") else [])]
        return {"k": FIGURE, "a": anchor, "t": figure["value"], "n": names[1:], "x": text}
    event = next((e for e in data.events if e["id"] == anchor), None)
    if event is not None:
        return {"k": EVENT, "a": anchor, "t": event["title"], "n": [], "x": text, "d": event["when"]}
    if anchor.startswith("measure-") and anchor.removeprefix("measure-").isdigit():
        number = anchor.removeprefix("measure-")
        quote = node.next_node(nodes.block_quote)
        wording = TextCollector(env, lambda n: False).text(quote) if quote is not None else ""
        return {"k": MEASURE, "a": anchor, "t": wording or f"Measure {number}", "n": [f"Measure {number}"],
                "x": text, "d": number}
    if anchor.startswith("theme-"):
        theme = next((t for t in data.themes if f"theme-{t['id']}" == anchor), None)
        if theme is not None:
            return {"k": THEME, "a": anchor, "t": theme["title"], "n": [], "x": text}
    return None


def page_records(env: BuildEnvironment, docname: str, doctree: nodes.document) -> list[dict[str, Any]]:
    """Every record of one page, in reading order."""
    entries = KnowledgeBaseDomain.of(env).entry_pages
    shown_texts = {page: text_id for text_id, page in KnowledgeBaseDomain.of(env).source_pages.items()}
    records: list[dict[str, Any]] = []

    def stop_at_records(node: nodes.Node) -> bool:
        return isinstance(node, nodes.section) or is_record_node(node, entries, docname)

    own_text = TextCollector(env, stop_at_records)
    whole_text = TextCollector(env, lambda node: False)

    # Pages and sections: their own text, without sub-sections and without the records inside them.
    for depth_section in doctree.findall(nodes.section):
        if entry_anchor(depth_section, entries, docname) or skipped(depth_section):
            continue
        title = depth_section.next_node(nodes.title)
        if title is None or title.parent is not depth_section:
            continue
        is_page = depth_section.parent is doctree
        body = [c for c in depth_section.children if c is not title]
        text = clean(" ".join(own_text.text(c) if not stop_at_records(c) else "" for c in body))
        records.append({"k": PAGE if is_page else SECTION, "a": "" if is_page else first_id(depth_section),
                        "t": clean(whole_text.text(title)), "n": [], "x": text})

    # Entries: directory entries, measures, figures, events, themes.
    for node in doctree.findall(lambda n: bool(entry_anchor(n, entries, docname))):
        anchor = entry_anchor(node, entries, docname)
        body = [c for c in node.children if not isinstance(c, nodes.title)] if isinstance(node, nodes.section) \
            else [node]
        text = clean(" ".join(whole_text.text(c) for c in body))
        record = entry_record(env, anchor, node, text)
        if record is not None:
            records.append(record)

    # Glossary terms.
    for glossary in doctree.findall(lambda n: isinstance(n, nodes.Element) and "glossary" in n.get("classes", [])
                                    and isinstance(n, nodes.definition_list)):
        for item in glossary.children:
            terms = [t for t in item.findall(nodes.term) if first_id(t)]
            if not terms:
                continue
            definition = item.next_node(nodes.definition)
            text = whole_text.text(definition) if definition is not None else ""
            names = [clean(whole_text.text(t)) for t in terms]
            records.append({"k": TERM, "a": first_id(terms[0]), "t": names[0], "n": names[1:], "x": text})

    # Source paragraphs: the verbatim text, from the catalogue.
    text_id = shown_texts.get(docname)
    if text_id is not None:
        source = source_texts(env)[text_id]
        for paragraph in source.paragraphs:
            records.append({"k": PARAGRAPH, "a": f"p{paragraph.number}", "t": source.title,
                            "n": [], "x": clean(paragraph.text), "d": str(paragraph.number)})
    return records


# --- Keeping the records in the environment (incremental and parallel builds) ----------------------

def store(env: BuildEnvironment) -> dict[str, list[dict[str, Any]]]:
    if not hasattr(env, "kb_search"):
        env.kb_search = {}
    return env.kb_search


def collect(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.current_document.docname
    store(app.env)[docname] = page_records(app.env, docname, doctree)


def purge(app: Sphinx, env: BuildEnvironment, docname: str) -> None:
    store(env).pop(docname, None)


def merge(app: Sphinx, env: BuildEnvironment, docnames: Set[str], other: BuildEnvironment) -> None:
    theirs = store(other)
    for docname in docnames:
        if docname in theirs:
            store(env)[docname] = theirs[docname]


# --- Writing the index --------------------------------------------------------------------------

PLACEHOLDER = re.compile("\x01(ref|doc):([^\x02]*)\x02")


def resolver(env: BuildEnvironment) -> Any:
    """Fills in the titles of {ref} and {doc} references, now that every page is read."""
    labels = env.domains.standard_domain.labels

    def title(match: re.Match[str]) -> str:
        kind, target = match[1], match[2]
        if kind == "doc":
            return clean(env.titles[target].astext()) if target in env.titles else target
        return labels[target][2] if target in labels and labels[target][2] else target

    def resolve(value: Any) -> Any:
        if isinstance(value, str):
            return PLACEHOLDER.sub(title, value) if "\x01" in value else value
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return resolve


def build_index(app: Sphinx) -> dict[str, Any]:
    """All pages' records, in page order, each once (by link), with their page's title and address."""
    env = app.env
    records = store(env)
    pages: list[list[str]] = []
    rows: list[list[Any]] = []
    seen: set[str] = set()
    resolve = resolver(env)
    not_found = getattr(env.config, "notfound_pagename", None)  # the 404 page: only meant for the server
    for docname in sorted(records, key=lambda d: (d != env.config.root_doc, d)):
        if docname not in env.found_docs or docname == not_found or "nosearch" in env.metadata.get(docname, {}):
            continue
        title = clean(env.titles[docname].astext()) if docname in env.titles else docname
        page = len(pages)
        pages.append([app.builder.get_target_uri(docname), title])
        for record in records[docname]:
            link = f"{docname}#{record['a']}"
            if link in seen:
                continue
            seen.add(link)
            row = resolve([record["k"], page, record["a"], record["t"], record["n"], record["x"]])
            if record.get("d"):
                row.append(record["d"])
            rows.append(row)
    return {"version": 1, "pages": pages, "records": rows}


def index_script(index: dict[str, Any]) -> str:
    payload = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return ("/* The knowledge base's search index, written by kb_ext/search.py. */\n"
            f"window.KB_SEARCH_INDEX={payload};\n")


def write_index(app: Sphinx) -> Iterator[tuple[str, dict[str, Any], str]]:
    """html-collect-pages: write the index into _static, then the search page that loads it."""
    if app.builder.name != "html":
        return
    static = Path(app.outdir, "_static")
    static.mkdir(parents=True, exist_ok=True)
    target = static / INDEX_FILE
    script = index_script(build_index(app)).encode("utf-8")
    if not target.is_file() or target.read_bytes() != script:
        temporary = target.with_suffix(".tmp")
        temporary.write_bytes(script)
        temporary.replace(target)
    stale = Path(app.outdir, "searchindex.js")  # Sphinx's own index, from a build before this module
    if stale.is_file():
        stale.unlink()
    yield "search", {}, "search.html"


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12] if path.is_file() else "0"


def search_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                       doctree: nodes.document | None) -> None:
    """The search page's own script, style and index, each with a checksum so caches stay right."""
    if pagename != "search" or app.builder.name != "html":
        return
    static = Path(app.outdir, "_static")
    context["kb_search_assets"] = {
        name: f"_static/{name}?v={checksum(static / name)}" for name in (INDEX_FILE, SEARCH_JS, SEARCH_CSS)}


def without_sphinx_search(app: Sphinx) -> None:
    """Sphinx's own index is not used by anyone: no indexing while writing, no searchindex.js."""
    if app.builder.name == "html":
        app.builder.search = False  # type: ignore[attr-defined]


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", without_sphinx_search)
    app.connect("doctree-read", collect)
    app.connect("env-purge-doc", purge)
    app.connect("env-merge-info", merge)
    app.connect("html-collect-pages", write_index)
    app.connect("html-page-context", search_page_assets)
    return {"version": "1", "env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
