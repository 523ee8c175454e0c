"""Navigation: a sidebar that screen readers can name, and the directories' filter and A–Z strip.

pydata-sphinx-theme wraps each sidebar entry with children in ``<details>``, whose ``<summary>``
holds only a decorative chevron: an unnamed button (axe ``summary-name``). The theme builds that
HTML in its ``generate_toctree_html`` template function; the wrapping of that function is a patch
(:func:`kb_ext.site.patches.wrap_theme_toctree`), and here we give every such summary an accessible
name from the entry it opens.
"""

from __future__ import annotations

from html import escape
from typing import Any

from bs4 import BeautifulSoup
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform

from ..nodes import directory_tools

from .patches import wrap_theme_toctree


def name_toggles(soup: BeautifulSoup) -> None:
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        entry = summary.find_parent("li")
        link = entry.find("a", recursive=False) if entry else None
        label = link.get_text(" ", strip=True) if link else "this section"
        summary["aria-label"] = f"Show or hide the pages under {label}"


def wrap_toctree(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    wrap_theme_toctree(context, name_toggles)


class DirectoryTools(SphinxPostTransform):
    """A directory's filter and A–Z strip, written into the page (``pst-js-only``: shown only where
    scripts run, as the theme hides it otherwise) so that kb-reader.js only wires them up: added by the
    script after the page was shown, they pushed every entry down (Lighthouse: layout shift 0.13–0.18).
    Only in the HTML pages: the single page holds three directories, and one set of ids."""

    default_priority = 800

    def run(self, **kwargs: Any) -> None:
        for placeholder in list(self.document.findall(directory_tools)):
            if self.app.builder.name != "html":
                placeholder.parent.remove(placeholder)
                continue
            letters = "".join(
                f'<li><a href="#{escape(anchor)}">{escape(letter)}</a></li>' if anchor
                else f'<li><span class="kb-az-none">{escape(letter)}</span></li>'
                for letter, anchor in placeholder["letters"])
            html = ('<div class="kb-dir-tools pst-js-only">'
                    '<label for="kb-dir-filter">Filter entries</label>'
                    '<input id="kb-dir-filter" type="search" autocomplete="off" spellcheck="false" '
                    'placeholder="Name, kind, country…" aria-describedby="kb-dir-count">'
                    f'<div id="kb-dir-count" class="kb-dir-count" role="status" aria-live="polite">'
                    f'{placeholder["count"]} entries</div>'
                    f'<nav class="kb-az" aria-label="Entries from A to Z"><ul>{letters}</ul></nav></div>')
            placeholder.replace_self(nodes.raw("", html, format="html"))


def setup(app: Sphinx) -> None:
    app.add_post_transform(DirectoryTools)
    # After pydata-sphinx-theme (default priority 500) has put its function into the context.
    app.connect("html-page-context", wrap_toctree, priority=600)
