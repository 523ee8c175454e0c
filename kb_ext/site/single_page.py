"""The single-page edition (``sphinx-build -b singlehtml``): every page in one file, links intact.

Sphinx inlines every page into one document. Ids then repeat (each source text has ``#p1``, each
citing page its ``#references`` and ``#cite-1``), and links to another page's anchor come out as
``#document-<page>#<id>``, which no browser resolves. Once Sphinx has resolved the assembled tree,
we keep the first of each id, give the repeats a page prefix, and point every link (Sphinx's, our
citations', our paragraph permalinks', our diagrams' click targets) at the id it meant.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bs4 import BeautifulSoup
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

from ..diagrams import kb_diagram
from .patches import single_page_sidebar

DOCUMENT_PREFIX = "#document-"

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


def repoint_links(tree: nodes.document, root: str, anchors: Anchors) -> None:
    for element, page in with_pages(tree, root):
        if isinstance(element, nodes.reference):
            if "refid" in element:
                element["refid"] = anchors.get((page, element["refid"]), element["refid"])
            elif "refuri" in element:
                element["refuri"] = in_page(element["refuri"], anchors)
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
    """The theme's title and contents lists (print, "on this page") come from Sphinx's toc, outside the
    tree: the site's title (Sphinx's singlehtml gives none), and every contents link to the id it meant.
    Before the themes' handlers (500, 501), which render the contents once and keep them."""
    if app.builder.name != "singlehtml":
        return
    anchors: Anchors = getattr(app.builder, "kb_anchors", {})
    if context.get("docstitle") is None:
        context["docstitle"] = app.config.html_title or app.config.project
    if isinstance(context.get("toc"), str):
        soup = BeautifulSoup(context["toc"], "html.parser")
        for link in soup.find_all("a", href=True):
            link["href"] = in_page(link["href"], anchors)
        context["toc"] = str(soup)


def repoint_theme_sidebar(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                          doctree: nodes.document | None) -> None:
    """The sidebar's navigation, with links within the page (after the theme defined its functions)."""
    if app.builder.name == "singlehtml":
        anchors: Anchors = getattr(app.builder, "kb_anchors", {})
        single_page_sidebar(context, lambda href: in_page(href, anchors))


def setup(app: Sphinx) -> None:
    app.connect("html-page-context", repoint_theme_contents, priority=450)
    # Before the sidebar's accessible names (navigation.py, 600), after the theme put its functions (500).
    app.connect("html-page-context", repoint_theme_sidebar, priority=550)
    # After our other doctree-resolved handlers have written their links (default priority 500).
    app.connect("doctree-resolved", assemble_single_page, priority=900)
