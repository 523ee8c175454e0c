"""Link previews: each page's own lead sentence as its description (OpenGraph, Twitter, search engines).

sphinxext-opengraph would take the first characters of the page's text, which on a source page is
its catalogue table. We give it the first real paragraph, cut at a sentence, without citation marks.
"""

from __future__ import annotations

import html
import re
from typing import Any

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


def describe_for_search_engines(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                                doctree: nodes.document | None) -> None:
    """``<meta name="description">`` says what og:description says. sphinxext-opengraph would fill it from
    the page's first characters (a source page's catalogue table, citation numbers and all) unless the
    page has one already: so it has one, from the same lead sentences. Runs before opengraph (500)."""
    description = app.env.metadata.get(pagename, {}).get("og:description") if doctree is not None else None
    if description and 'name="description"' not in context.get("metatags", ""):  # a page may set its own
        context["metatags"] = (context.get("metatags", "")
                               + f'<meta name="description" content="{html.escape(description)}" />\n')


GENERATED_PAGES = {"genindex": "Index of every organisation, person, figure and measure named on the site.",
                   "search": "Search the Norway Health Export Knowledge Base."}


def tag_generated_page(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                       doctree: nodes.document | None) -> None:
    """sphinxext-opengraph skips pages without a doctree (index, search); they get the same tags here."""
    if doctree is not None or pagename not in GENERATED_PAGES or app.builder.name != "html":
        return
    if "sphinxext.opengraph" not in app.extensions:
        return
    config = app.config
    page_url = config.html_baseurl + app.builder.get_target_uri(pagename)
    tags = {
        "og:title": context.get("title") or pagename, "og:type": "website", "og:url": page_url,
        "og:site_name": config.ogp_site_name, "og:description": GENERATED_PAGES[pagename],
        "og:image": config.html_baseurl + config.ogp_image, "og:image:alt": config.ogp_image_alt,
    }
    meta = "".join(f'<meta property="{key}" content="{html.escape(str(value))}" />\n' for key, value in tags.items())
    meta += f'<meta name="description" content="{html.escape(GENERATED_PAGES[pagename])}" />\n'
    context["metatags"] = context.get("metatags", "") + meta


def keep_read_metadata(app: Sphinx, env: Any, docnames: set[str], other: Any) -> None:
    """Under -j, sphinx-notfound-page merges a worker's whole ``metadata`` dict (its collector's
    ``merge_other``), so a worker that did not read 404 overwrites the 404 page's metadata, our
    description included, with its own stub. Put back what each worker read, after every merge."""
    kept = env.__dict__.setdefault("kb_read_metadata", {})
    for docname in docnames:
        kept[docname] = other.metadata[docname]
    env.metadata.update(kept)


def forget_read_metadata(app: Sphinx, env: Any) -> list[str]:
    env.__dict__.pop("kb_read_metadata", None)
    return []


def setup(app: Sphinx) -> None:
    app.connect("doctree-read", describe_page)
    app.connect("env-merge-info", keep_read_metadata, priority=900)  # after the collectors' merges (500)
    app.connect("env-updated", forget_read_metadata)
    app.connect("html-page-context", tag_generated_page)
    app.connect("html-page-context", describe_for_search_engines, priority=400)
