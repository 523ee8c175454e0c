"""The single-page edition (``sphinx-build -b singlehtml``): every page in one file, links intact.

Sphinx inlines every page into one document. Ids then repeat (each source text has ``#p1``, each
citing page its ``#references`` and ``#cite-1``), and links to another page's anchor come out as
``#document-<page>#<id>``, which no browser resolves. Once Sphinx has resolved the assembled tree,
we keep the first of each id, give the repeats a page prefix, and point every link (Sphinx's, our
citations', our paragraph permalinks', our diagrams' click targets) at the id it meant.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from ..citations import citation_marker
from ..diagrams import kb_diagram
from ..sources import paragraph_number

DOCUMENT_PREFIX = "#document-"
TOC_HREF = re.compile(r'href="(#document-[^"]+)"')

Anchors = dict[tuple[str, str], str]


def with_pages(node: nodes.Node, page: str) -> Iterator[tuple[nodes.Element, str]]:
    """Every element of the assembled tree with the page it came from."""
    if isinstance(node, addnodes.start_of_file):
        page = node["docname"]
    if isinstance(node, nodes.Element):
        yield node, page
        for child in node.children:
            yield from with_pages(child, page)


def make_ids_unique(tree: nodes.document, root: str) -> Anchors:
    taken: set[str] = set()
    anchors: Anchors = {}
    for element, page in with_pages(tree, root):
        unique_ids = []
        for anchor in element["ids"]:
            unique = anchor if anchor not in taken else f"{page.replace('/', '-')}--{anchor}"
            taken.add(unique)
            anchors.setdefault((page, anchor), unique)
            unique_ids.append(unique)
        element["ids"] = unique_ids
    return anchors


def in_page(uri: str, anchors: Anchors) -> str:
    """``#document-<page>#<id>`` -> ``#<the id's unique name>``; anything else unchanged."""
    if not uri.startswith(DOCUMENT_PREFIX):
        return uri
    page, _, anchor = uri[len(DOCUMENT_PREFIX):].partition("#")
    return "#" + anchors.get((page, anchor), anchor) if anchor else uri


def relative_to_in_page(href: str, page: str, anchors: Anchors) -> str:
    """A diagram's relative link (``../directory/people.html#x``) as a link within the single page."""
    path, _, anchor = href.partition("#")
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)).removesuffix(".html")
    return in_page(f"{DOCUMENT_PREFIX}{target}" + (f"#{anchor}" if anchor else ""), anchors)


def repoint_links(tree: nodes.document, root: str, anchors: Anchors) -> None:
    for element, page in with_pages(tree, root):
        if isinstance(element, nodes.reference):
            if "refid" in element:
                element["refid"] = anchors.get((page, element["refid"]), element["refid"])
            elif "refuri" in element:
                element["refuri"] = in_page(element["refuri"], anchors)
        elif isinstance(element, citation_marker):
            element["uris"] = [in_page(uri, anchors) for uri in element["uris"]]
        elif isinstance(element, paragraph_number):
            element["anchor"] = anchors.get((page, element["anchor"]), element["anchor"])
        elif isinstance(element, kb_diagram):
            element["hrefs"] = {anchor: in_page(uri, anchors) for anchor, uri in element["hrefs"].items()}


def assemble_single_page(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.name != "singlehtml" or docname != app.config.root_doc:
        return
    anchors = make_ids_unique(doctree, docname)
    repoint_links(doctree, docname, anchors)
    app.builder.kb_anchors = anchors  # type: ignore[attr-defined]  # for the theme's contents, below


def repoint_theme_contents(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                           doctree: nodes.document | None) -> None:
    """The theme's contents lists (sidebar, print) come from Sphinx's toc, outside the tree."""
    anchors: Anchors = getattr(app.builder, "kb_anchors", {})
    if app.builder.name == "singlehtml" and isinstance(context.get("toc"), str):
        context["toc"] = TOC_HREF.sub(lambda m: 'href="' + in_page(m[1], anchors) + '"', context["toc"])


def without_search_or_index(app: Sphinx) -> None:
    """One page has no search page or general index to link to: leave out their links and buttons."""
    if app.builder.name != "singlehtml":
        return
    app.builder.search = False  # type: ignore[attr-defined]
    app.config.html_use_index = False
    app.builder.theme_options = {**app.builder.theme_options, "disable_search": True}  # type: ignore[attr-defined]


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", without_search_or_index)
    app.connect("html-page-context", repoint_theme_contents)
    # After our other doctree-resolved handlers have written their links (default priority 500).
    app.connect("doctree-resolved", assemble_single_page, priority=900)
