"""Adapters from the knowledge-base core to the theme and to hosting.

The core (``kb_ext``: inputs, domain, roles, directives, nodes) knows nothing of these. Each module
here adapts the built site to one outside concern: the hosting policy, offline diagrams, link
previews, the theme's navigation, cleaning the output folder, the single-page edition, downloads.
"""

from __future__ import annotations

from sphinx.application import Sphinx

from .. import references
from . import cite, cleanup, downloads, figures_data, hosting, mermaid_offline, navigation, previews, single_page


def setup(app: Sphinx) -> None:
    mermaid_offline.setup(app)
    previews.setup(app)
    cleanup.setup(app)
    hosting.setup(app)
    downloads.setup(app)
    navigation.setup(app)
    single_page.setup(app)
    references.setup(app)
    cite.setup(app)
    figures_data.setup(app)
