"""Link previews: each page's own lead sentence as its description (OpenGraph, Twitter, search engines).

sphinxext-opengraph would take the first characters of the page's text, which on a source page is
its catalogue table. We give it the first real paragraph, cut at a sentence, without citation marks.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.application import Sphinx

MAX_LENGTH = 200


def lead_sentences(text: str, limit: int = MAX_LENGTH) -> str:
    text = " ".join(text.split())
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z“\"(])", text)
    lead = sentences[0]
    for sentence in sentences[1:]:
        if len(lead) + 1 + len(sentence) > limit:
            break
        lead += " " + sentence
    if len(lead) > limit:
        lead = lead[:limit].rsplit(" ", 1)[0] + "…"
    return lead


def first_paragraph(doctree: nodes.document) -> nodes.paragraph | None:
    for paragraph in doctree.findall(nodes.paragraph):
        if isinstance(paragraph.parent, nodes.section) and len(paragraph.astext().split()) >= 6:
            return paragraph
    return None


def describe_page(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.current_document.docname
    metadata = app.env.metadata[docname]
    if "og:description" in metadata:
        return
    paragraph = first_paragraph(doctree)
    if paragraph is not None:
        metadata["og:description"] = lead_sentences(paragraph.astext())


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", describe_page)
