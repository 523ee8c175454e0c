"""Paragraph-level citations: the ``{src}`` role, per-page numbering and the references list.

Writers cite ``{src}`market-report#p14``` or, with an exact quote the build checks,
``{src}`657 companies <market-report#p14>```. Several paragraphs: ``#p14,p16`` or ``#p14-16``;
several quotes: separate them with `` | ``. Who cites what is recorded by
:class:`~kb_ext.domain.KnowledgeBaseDomain`, so parallel and incremental builds see the same backlinks.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform
from sphinx.util import logging
from sphinx.util.docutils import ReferenceRole

from .catalogue import SourceText
from .domain import KnowledgeBaseDomain
from .references import references_list as rendered_references
from .state import source_texts

logger = logging.getLogger(__name__)

TARGET_RE = re.compile(r"^(?P<text>[a-z0-9-]+)#(?P<paras>p\d+(?:-\d+)?(?:,\s*p\d+(?:-\d+)?)*)$")
EXCERPT_WORDS = 24


class citation_marker(nodes.Inline, nodes.Element):
    """A citation as written; numbered on read, turned into links when the page is written."""


class references_list(nodes.General, nodes.Element):
    """The generated list of cited paragraphs at the end of a page."""


def normalise_space(text: str) -> str:
    return " ".join(text.split())


def parse_paragraphs(spec: str) -> list[int]:
    numbers: list[int] = []
    for part in spec.split(","):
        first, _, last = part.strip().removeprefix("p").partition("-")
        numbers.extend(range(int(first), int(last or first) + 1))
    return list(dict.fromkeys(numbers))


def excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    parts = text.split()
    return " ".join(parts) if len(parts) <= words else " ".join(parts[:words]) + " …"


def paragraph_label(source: SourceText, number: int) -> str:
    return f"{source.title}, paragraph {number}"


# While Markdown from data/*.yaml is parsed, warnings name the data file and line, not the page.
DATA_ORIGIN: ContextVar[str | None] = ContextVar("DATA_ORIGIN", default=None)  # "path:line"


def make_citation(env: Any, target: str, quotes: list[str], location: Any) -> citation_marker | None:
    """A citation marker for ``target``, or None after a warning at ``location`` if it does not hold."""
    location = DATA_ORIGIN.get() or location

    def fail(message: str) -> None:
        logger.warning(message, location=location, type="kb", subtype="citation")

    match = TARGET_RE.match(target.strip())
    if not match:
        return fail(f"citation {target!r} is not of the form 'text-id#p12' (or '#p12,p14', '#p12-14')")
    texts = source_texts(env)
    text_id = match["text"]
    if text_id not in texts:
        return fail(f"citation names unknown source text {text_id!r} (known: {', '.join(sorted(texts))})")
    source = texts[text_id]
    paragraphs = parse_paragraphs(match["paras"])
    out_of_range = [n for n in paragraphs if not 1 <= n <= len(source.paragraphs)]
    if out_of_range:
        return fail(f"citation {target!r}: paragraph {out_of_range[0]} is out of range "
                    f"({text_id} has paragraphs 1-{len(source.paragraphs)})")
    quotes = [normalise_space(q) for q in quotes]
    cited_text = [normalise_space(source.paragraph(n).text) for n in paragraphs]
    for quote in quotes:
        if not any(quote in text for text in cited_text):
            return fail(f"citation {target!r}: quote {quote!r} does not occur in the cited paragraph(s)")
    return citation_marker("", text_id=text_id, paragraphs=paragraphs, quotes=quotes)


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
        section = nodes.section(ids=["references"], names=["references"])
        section += nodes.title("", "References")
        section += references_list(cited=list(numbers))
        # Inside the page's top section, so it is a second-level heading listed in the page's contents.
        (self.document.next_node(nodes.section) or self.document).append(section)


def source_uri(app: Sphinx, fromdocname: str, text_id: str, paragraph: int | None = None) -> str | None:
    page = KnowledgeBaseDomain.of(app.env).source_pages.get(text_id)
    if page is None:
        return None
    uri = app.builder.get_relative_uri(fromdocname, page)
    return f"{uri}#p{paragraph}" if paragraph else uri


def resolve_citations(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    texts = source_texts(app.env)
    for marker in doctree.findall(citation_marker):
        marker["uris"] = []
        for paragraph in marker["paragraphs"]:
            uri = source_uri(app, docname, marker["text_id"], paragraph)
            if uri is None:
                logger.warning(f"no page shows source text {marker['text_id']!r}", location=marker,
                               type="kb", subtype="citation")
                uri = ""
            marker["uris"].append(uri)

    # The references list: rendered by kb_ext.site.references (each paragraph in full, the page's quotes
    # marked), which the reference previews read.
    quotes: dict[tuple[str, int], list[str]] = {}
    for marker in doctree.findall(citation_marker):
        for paragraph in marker["paragraphs"]:
            quotes.setdefault((marker["text_id"], paragraph), []).extend(marker["quotes"])
    for placeholder in list(doctree.findall(references_list)):
        placeholder.replace_self(rendered_references(
            placeholder["cited"], quotes, texts, lambda text_id, n: source_uri(app, docname, text_id, n) or ""))


def visit_citation_marker_html(translator: Any, node: citation_marker) -> None:
    source = source_texts(translator.builder.env)[node["text_id"]]
    links = []
    for number, paragraph, uri in zip(node["numbers"], node["paragraphs"], node["uris"], strict=True):
        label = paragraph_label(source, paragraph)
        tooltip = label + "".join(f": “{q}”" for q in node["quotes"])
        links.append(
            f'<a class="kb-cite-link" href="{translator.attval(uri)}" title="{translator.attval(tooltip)}"'
            f' aria-label="{translator.attval(f"Reference {number}: {label}")}">{number}</a>'
        )
    translator.body.append(f'<sup class="kb-cite" id="{node["ids"][0]}">[{",".join(links)}]</sup>')
    raise nodes.SkipNode


def visit_citation_marker_text(translator: Any, node: citation_marker) -> None:
    translator.add_text("[" + ",".join(str(n) for n in node["numbers"]) + "]")
    raise nodes.SkipNode


def setup(app: Sphinx) -> None:
    app.add_role("src", SourceCitationRole())
    app.add_node(citation_marker, html=(visit_citation_marker_html, None),
                 text=(visit_citation_marker_text, None))
    app.add_node(references_list)
    app.add_transform(NumberCitations)
    app.connect("doctree-resolved", resolve_citations)
