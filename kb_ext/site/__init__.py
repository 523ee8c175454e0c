"""Adapters from the knowledge-base core to the theme and to hosting.

The core (``kb_ext``: inputs, domain, roles, directives, nodes) knows nothing of these. Each module
here adapts the built site to one outside concern: the hosting policy, link
previews, the theme's navigation, cleaning the output folder, the single-page edition, downloads.
"""

from __future__ import annotations

from sphinx.application import Sphinx

from .. import references
from . import assets, cite, cleanup, compress, downloads, figures_data, hosting, navigation, patches, previews, purge, single_page


def setup(app: Sphinx) -> None:
    patches.setup(app)
    assets.setup(app)
    previews.setup(app)
    cleanup.setup(app)
    hosting.setup(app)
    downloads.setup(app)
    navigation.setup(app)
    single_page.setup(app)
    references.setup(app)
    cite.setup(app)
    figures_data.setup(app)
    purge.setup(app)
    compress.setup(app)
