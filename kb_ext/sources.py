"""Source pages: each text verbatim, one numbered, linkable paragraph per line, with backlinks and coverage.

``{source-meta} text-id`` shows the catalogue data and the citation coverage of a text,
``{source-text} text-id`` the text itself, ``{source-coverage}`` a coverage table of all texts.
The text is put in the doctree as plain text nodes, so nothing in it is ever interpreted as markup.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from .catalogue import SourceText
from .citations import paragraph_label
from .domain import KnowledgeBaseDomain
from .grammar import paragraph_ranges
from .nodes import coverage_summary, paragraph_anchor, paragraph_backlinks, paragraph_name
from .state import note_texts, source_texts

logger = logging.getLogger(__name__)

NOT_STATED = "not stated"


def paragraph_label_name(text_id: str, number: int) -> str:
    """The ``{ref}`` / intersphinx label of a source paragraph."""
    return paragraph_name(text_id, number)


def paragraph_number(number: int) -> nodes.inline:
    """The visible number of a source paragraph, itself a permalink to the paragraph (standard nodes),
    in the paragraph's gutter."""
    link = nodes.reference("", str(number), refid=paragraph_anchor(number), internal=True,
                           classes=["kb-para-num"], reftitle=f"Paragraph {number}: permalink")
    return nodes.inline("", "", link, classes=["kb-para-gutter"])


class SourceTextDirectiveBase(SphinxDirective):
    required_arguments = 1
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def source(self) -> SourceText | None:
        texts = source_texts(self.env)
        text_id = self.arguments[0]
        if text_id not in texts:
            logger.warning(f"unknown source text {text_id!r} (known: {', '.join(sorted(texts))})",
                           location=self.get_location(), type="kb", subtype="source")
            return None
        note_texts(self.env, text_id)
        return texts[text_id]


class SourceMetaDirective(SourceTextDirectiveBase):
    def run(self) -> list[nodes.Node]:
        source = self.source()
        if source is None:
            return []
        title = source.title + (" (descriptive title, written by the editors: the text has none)"
                                if source.title_editorial else "")
        rows = [
            ("Title", title),
            ("Author", source.author or NOT_STATED),
            ("Publisher", source.publisher or NOT_STATED),
            ("Date", source.date or NOT_STATED),
            ("Original file name", source.original_file),
            ("SHA-256", source.sha256),
            ("Paragraphs", f"{len(source.paragraphs)} (one per non-blank line)"),
        ]
        fields = nodes.field_list(classes=["kb-source-meta"])
        for name, value in rows:
            body = nodes.paragraph("", value)
            if name == "SHA-256":
                body = nodes.paragraph("", "", nodes.literal("", value))
            fields += nodes.field("", nodes.field_name("", name), nodes.field_body("", body))
        coverage = nodes.field("", nodes.field_name("", "Cited on this site"),
                               nodes.field_body("", coverage_summary(text_id=source.id)))
        fields += coverage
        return [fields]


class SourceTextDirective(SourceTextDirectiveBase):
    def run(self) -> list[nodes.Node]:
        source = self.source()
        if source is None:
            return []
        domain = KnowledgeBaseDomain.of(self.env)
        docname = self.env.current_document.docname
        # A text shown on two pages is reported once all pages are read (KnowledgeBaseDomain.check_consistency).
        domain.register(docname, "source", source.id, "", source.title, self.lineno)
        # support_smartquotes=False: the text is verbatim, so its straight quotes stay straight.
        wrapper = nodes.container(classes=["kb-source-text"], support_smartquotes=False)
        for paragraph in source.paragraphs:
            anchor = paragraph_anchor(paragraph.number)
            block = nodes.container(ids=[anchor], classes=["kb-para"])
            block += paragraph_number(paragraph.number)
            block += nodes.paragraph("", paragraph.text, classes=["kb-para-text"])
            block += paragraph_backlinks(text_id=source.id, paragraph=paragraph.number)
            wrapper += block
            domain.register(docname, "paragraph", paragraph_name(source.id, paragraph.number), anchor,
                            paragraph_label(source, paragraph.number), self.lineno)
        return [wrapper]


class SourceCoverageDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        KnowledgeBaseDomain.of(self.env).coverage_pages[self.env.current_document.docname] = True
        note_texts(self.env, *source_texts(self.env))
        return [coverage_summary(text_id=None)]


def page_link(app: Sphinx, fromdocname: str, todocname: str, anchor: str = "") -> nodes.reference:
    uri = app.builder.get_relative_uri(fromdocname, todocname) + (f"#{anchor}" if anchor else "")
    title = app.env.titles[todocname].astext() if todocname in app.env.titles else todocname
    return nodes.reference("", title, refuri=uri, internal=True)


def coverage_sentence(domain: KnowledgeBaseDomain, source: SourceText) -> str:
    own_pages = {*domain.source_pages.values(), "sources/index"}  # a source page's own summary is not a use of the text
    cited = {c.paragraph for doc, cs in domain.citations.items() if doc not in own_pages for c in cs if c.text_id == source.id}
    total = len(source.paragraphs)
    uncited = [p.number for p in source.paragraphs if p.number not in cited]
    text = f"{len(cited)} of {total} paragraphs cited"
    return text + (f"; not yet cited: ¶ {paragraph_ranges(uncited)}" if uncited else "")


def fill_source_pages(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    domain = KnowledgeBaseDomain.of(app.env)
    texts = source_texts(app.env)
    for placeholder in list(doctree.findall(paragraph_backlinks)):
        pages = domain.citing_pages(placeholder["text_id"], placeholder["paragraph"])
        if not pages:
            placeholder.parent.remove(placeholder)
            continue
        para = nodes.paragraph(classes=["kb-backlinks"])
        para += nodes.Text("Cited on: ")
        for index, (page, marker_id) in enumerate(pages.items()):
            if index:
                para += nodes.Text(", ")
            para += page_link(app, docname, page, marker_id)
        placeholder.replace_self(para)

    for placeholder in list(doctree.findall(coverage_summary)):
        if placeholder["text_id"] is not None:
            placeholder.replace_self(nodes.paragraph("", coverage_sentence(domain, texts[placeholder["text_id"]])))
            continue
        placeholder.replace_self(coverage_table(app, docname, domain, texts))


def coverage_table(app: Sphinx, docname: str, domain: KnowledgeBaseDomain,
                   texts: dict[str, SourceText]) -> nodes.table:
    table = nodes.table(classes=["kb-coverage"])
    group = nodes.tgroup(cols=2)
    table += group
    group += nodes.colspec(colwidth=1)
    group += nodes.colspec(colwidth=2)
    head = nodes.thead()
    head += nodes.row("", *(nodes.entry("", nodes.paragraph("", h)) for h in ("Source text", "Citation coverage")))
    group += head
    body = nodes.tbody()
    for text_id, source in texts.items():
        page = domain.source_pages.get(text_id)
        name = nodes.paragraph("", "", page_link(app, docname, page)) if page else nodes.paragraph("", source.title)
        body += nodes.row("", nodes.entry("", name), nodes.entry("", nodes.paragraph("", coverage_sentence(domain, source))))
    group += body
    return table


def setup(app: Sphinx) -> None:
    app.add_node(paragraph_backlinks)
    app.add_node(coverage_summary)
    app.add_directive("source-meta", SourceMetaDirective)
    app.add_directive("source-text", SourceTextDirective)
    app.add_directive("source-coverage", SourceCoverageDirective)
    app.connect("doctree-resolved", fill_source_pages)
