"""Paragraph-level citations: the ``{src}`` role, per-page numbering and the references list.

Writers cite ``{src}`market-report#p14``` or, with an exact quote the build checks,
``{src}`657 companies <market-report#p14>```. Several paragraphs: ``#p14,p16`` or ``#p14-16``;
several quotes: separate them with `` | ``. Who cites what is recorded by
:class:`~kb_ext.domain.KnowledgeBaseDomain`, so parallel and incremental builds see the same backlinks.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import ReferenceRole

from . import grammar
from .catalogue import SourceText
from .domain import KnowledgeBaseDomain
from .nodes import citation_marker, kb_xref, paragraph_name, references_list
from .references import references_list as rendered_references
from .state import note_texts, source_texts

logger = logging.getLogger(__name__)

HIDDEN = "visually-hidden"  # the theme's (Bootstrap's) class: read by screen readers, not shown

__all__ = ["citation_marker", "make_citation", "references_list"]


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def paragraph_label(source: SourceText, number: int) -> str:
    return f"{source.title}, paragraph {number}"


# While Markdown from data/*.yaml is parsed, warnings name the data file and line, not the page.
DATA_ORIGIN: ContextVar[str | None] = ContextVar("DATA_ORIGIN", default=None)  # "path:line"


def make_citation(env: Any, target: str, quotes: list[str], location: Any) -> citation_marker | None:
    """A citation marker for ``target``, or None after a warning at ``location`` if it does not hold."""
    location = DATA_ORIGIN.get() or location

    def fail(message: str) -> None:
        logger.warning(message, location=location, type="kb", subtype="citation")

    try:
        checked = grammar.check_citation(source_texts(env), target, quotes)
    except grammar.CitationError as error:
        return fail(str(error))
    return citation_marker("", text_id=checked.text_id, paragraphs=checked.paragraphs, quotes=checked.quotes)


class SourceCitationRole(ReferenceRole):
    """``{src}`[exact quote <]text-id#pN[>]```: a checked pointer to source paragraphs."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        quotes = self.title.split(" | ") if self.has_explicit_title else []
        node = make_citation(self.env, self.target, quotes, self.get_location())
        if node is None:
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        self.set_source_info(node)
        return [node], []


class NumberCitations(SphinxTransform):
    """Number each cited paragraph once per page, in reading order, and append the references list."""

    default_priority = 800

    def apply(self, **kwargs: Any) -> None:
        numbers: dict[tuple[str, int], int] = {}
        for index, marker in enumerate(self.document.findall(citation_marker), start=1):
            marker["ids"] = [f"cite-{index}"]
            marker["numbers"] = [
                numbers.setdefault((marker["text_id"], n), len(numbers) + 1) for n in marker["paragraphs"]
            ]
        if not numbers:
            return
        note_texts(self.env, *{text_id for text_id, _ in numbers})  # quotes checked, titles and excerpts shown
        section = nodes.section(ids=["references"], names=["references"])
        section += nodes.title("", "References")
        quotes: dict[tuple[str, int], list[str]] = {}
        for marker in self.document.findall(citation_marker):
            for n in marker["paragraphs"]:
                quotes.setdefault((marker["text_id"], n), []).extend(marker["quotes"])
        # The page's quotes of each paragraph go with the list: marked in its items (kb_ext/references.py)
        section += references_list(cited=list(numbers), quotes=[[t, n, q] for (t, n), q in quotes.items()])
        # Inside the page's top section, so it is a second-level heading listed in the page's contents.
        (self.document.next_node(nodes.section) or self.document).append(section)


def source_uri(app: Sphinx, fromdocname: str, text_id: str, paragraph: int | None = None) -> str | None:
    return KnowledgeBaseDomain.of(app.env).paragraph_uri(app.builder, fromdocname, text_id, paragraph)


class CitationLinks(SphinxPostTransform):
    """One reference per cited paragraph, to the paragraph's object in the kb domain, its number as its
    words. Added when the page is written, so the read doctree (and any text taken from it) has no numbers."""

    default_priority = 5  # before Sphinx's ReferencesResolver (10)

    def run(self, **kwargs: Any) -> None:
        for marker in self.document.findall(citation_marker):
            marker.children = []
            for number, paragraph in zip(marker["numbers"], marker["paragraphs"], strict=True):
                marker += kb_xref("paragraph", paragraph_name(marker["text_id"], paragraph), str(number))


class CitationMarkers(SphinxPostTransform):
    """Each citation marker as standard nodes, once the domain has resolved its links:
    ``<sup class="kb-cite" id="cite-N">[<a class="kb-cite-link" title="…">1<span class="visually-hidden">
    …</span></a>]</sup>``. The visible number starts the link's accessible name (WCAG 2.5.3)."""

    default_priority = 20  # after Sphinx's ReferencesResolver (10)

    def run(self, **kwargs: Any) -> None:
        texts = source_texts(self.env)
        for marker in list(self.document.findall(citation_marker)):
            source = texts[marker["text_id"]]
            sup = nodes.superscript("", "", classes=["kb-cite"], ids=marker["ids"])
            sup += nodes.Text("[")
            for position, (link, paragraph) in enumerate(zip(marker.children, marker["paragraphs"], strict=True)):
                if position:
                    sup += nodes.Text(",")
                number = link.astext()
                if isinstance(link, nodes.reference):
                    label = paragraph_label(source, paragraph)
                    link["classes"].append("kb-cite-link")
                    link["reftitle"] = label + "".join(f": “{q}”" for q in marker["quotes"])
                    link.children = []
                    link += nodes.Text(number)
                    # no-search: words for screen readers, kept out of the search index (Sphinx's class)
                    link += nodes.inline("", f" (source: {label})", classes=[HIDDEN, "no-search"])
                    sup += link
                else:  # unresolved: Sphinx has warned; the number stays, unlinked
                    sup += nodes.Text(number)
            sup += nodes.Text("]")
            marker.replace_self(sup)


def resolve_citations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    texts = source_texts(app.env)
    for placeholder in list(doctree.findall(references_list)):
        quotes = {(text_id, n): marked for text_id, n, marked in placeholder.get("quotes", [])}
        placeholder.replace_self(rendered_references(
            placeholder["cited"], quotes, texts, lambda text_id, n: source_uri(app, docname, text_id, n) or ""))


def setup(app: Sphinx) -> None:
    app.add_role("src", SourceCitationRole())
    app.add_node(citation_marker)
    app.add_node(references_list)
    app.add_transform(NumberCitations)
    app.add_post_transform(CitationLinks)
    app.add_post_transform(CitationMarkers)
    app.connect("doctree-resolved", resolve_citations)
