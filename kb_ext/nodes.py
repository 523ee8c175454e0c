"""The knowledge base's own doctree nodes: placeholders that exist between reading and writing only.

Every one of them is replaced by standard docutils nodes before a writer sees it (by the domain's
reference resolution and by post-transforms), so html, singlehtml and text builders need no visitors.
They live here, apart from the roles and directives that make them and the domain that reads them,
so that no module has to import another in a circle.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes

DOMAIN = "kb"


class citation_marker(nodes.Inline, nodes.Element):
    """A ``{src}`` citation: one ``pending_xref`` per cited paragraph, numbered on read, resolved by the
    ``kb`` domain and turned into a superscript by :class:`kb_ext.citations.CitationMarkers`."""


class references_list(nodes.General, nodes.Element):
    """The generated list of cited paragraphs at the end of a page."""


class entity_backlinks(nodes.General, nodes.Element):
    """Placeholder for "appears on …" under an entry; filled in when the page is written."""


class paragraph_backlinks(nodes.General, nodes.Element):
    """Placeholder for "cited on …" under a source paragraph; filled in when the page is written."""


class coverage_summary(nodes.General, nodes.Element):
    """Placeholder for the coverage of one text (``text_id``) or of all texts; filled in when written."""


class directory_tools(nodes.General, nodes.Element):
    """Where a directory's filter and A–Z strip go: ``letters`` is [(letter, id of its first entry or
    ""), …], ``count`` the number of entries. kb_ext.site.navigation writes the HTML (the script only
    wires it up, so nothing moves once the page is shown); other builders drop it."""


def kb_xref(reftype: str, target: str, text: str, *, rawsource: str = "", **attributes: object) -> addnodes.pending_xref:
    """A reference to an object of the ``kb`` domain, resolved when the page is written."""
    node = addnodes.pending_xref(rawsource, refdomain=DOMAIN, reftype=reftype, reftarget=target,
                                 refexplicit=True, refwarn=True, **attributes)
    node += nodes.inline(text, text)
    return node


def paragraph_name(text_id: str, number: int) -> str:
    """The object name (and the ``{ref}``/intersphinx label) of a source paragraph."""
    return f"{text_id}-p{number}"


def paragraph_anchor(number: int) -> str:
    return f"p{number}"


ALL = (citation_marker, references_list, entity_backlinks, paragraph_backlinks, coverage_summary, directory_tools)
