"""The page's "References" list as a reader sees it: each cited paragraph in full, its quotes marked.

The list is built when the page is written, from the source texts. Each item is also what the
reference preview (``theme/static/kb-reader.js``) shows when a reader hovers, focuses or taps a
citation marker: the script finds the item whose link has the marker's address, so the preview
needs no request, works from ``file://``, and the page carries each paragraph once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


class quote_mark(nodes.Inline, nodes.TextElement):
    """Words of a paragraph that a citation on the page quotes; ``<mark>`` in HTML."""


def visit_quote_mark_html(translator: Any, node: quote_mark) -> None:
    translator.body.append('<mark class="kb-quote">')


def depart_quote_mark_html(translator: Any, node: quote_mark) -> None:
    translator.body.append("</mark>")


def quoted_spans(text: str, quotes: Iterable[str]) -> list[tuple[int, int]]:
    """Where the quotes occur in ``text`` (every occurrence), merged where they overlap or touch."""
    spans = []
    for quote in {q for q in quotes if q}:
        start = text.find(quote)
        while start != -1:
            spans.append((start, start + len(quote)))
            start = text.find(quote, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def marked_text(text: str, quotes: Iterable[str]) -> list[nodes.Node]:
    """``text`` as nodes, the quoted words in :class:`quote_mark`."""
    result: list[nodes.Node] = []
    position = 0
    for start, end in quoted_spans(text, quotes):
        if start > position:
            result.append(nodes.Text(text[position:start]))
        result.append(quote_mark("", text[start:end]))
        position = end
    if position < len(text):
        result.append(nodes.Text(text[position:]))
    return result


def references_list(
    cited: Iterable[tuple[str, int]],
    quotes: dict[tuple[str, int], list[str]],
    texts: dict[str, Any],
    uri_of: Callable[[str, int], str],
) -> nodes.enumerated_list:
    """``ol.kb-references``: one item per cited paragraph (``id="ref-<text>-p<N>"``), in citation order,
    with a link to the paragraph and its whole text, the page's quotes of it marked."""
    items = nodes.enumerated_list(classes=["kb-references"])
    for text_id, paragraph in cited:
        source = texts[text_id]
        item = nodes.list_item(ids=[f"ref-{text_id}-p{paragraph}"])
        para = nodes.paragraph(classes=["kb-ref-head"])
        para += nodes.reference("", f"{source.title}, ¶{paragraph}", refuri=uri_of(text_id, paragraph),
                                internal=True, classes=["kb-ref-link"])
        item += para
        full = " ".join(source.paragraph(paragraph).text.split())
        body = nodes.paragraph(classes=["kb-excerpt", "kb-ref-text"])
        body += nodes.Text("“")
        body.extend(marked_text(full, quotes.get((text_id, paragraph), [])))
        body += nodes.Text("”")
        item += body
        items += item
    return items


def setup(app: Sphinx) -> None:
    app.add_node(quote_mark, html=(visit_quote_mark_html, depart_quote_mark_html),
                 text=(lambda t, n: None, lambda t, n: None))
