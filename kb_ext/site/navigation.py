"""Sidebar navigation that screen readers can name.

pydata-sphinx-theme wraps each sidebar entry with children in ``<details>``, whose ``<summary>``
holds only a decorative chevron: an unnamed button (axe ``summary-name``). The theme builds that
HTML in its ``generate_toctree_html`` template function; the wrapping of that function is a patch
(:func:`kb_ext.site.patches.wrap_theme_toctree`), and here we give every such summary an accessible
name from the entry it opens.
"""

from __future__ import annotations

from typing import Any

from bs4 import BeautifulSoup
from sphinx.application import Sphinx

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


def setup(app: Sphinx) -> None:
    # After pydata-sphinx-theme (default priority 500) has put its function into the context.
    app.connect("html-page-context", wrap_toctree, priority=600)
