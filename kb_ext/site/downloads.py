"""The offline editions' names and the ``{offline-downloads}`` directive that links to them.

`make offline` builds the editions after the site (the site cannot contain its own zip), and the
hosting recipes publish them in ``downloads/`` beside the site. So the links are absolute, on the
published address: they work on the hosted site, and a downloaded copy, which already is the
offline edition, does not need them.
"""

from __future__ import annotations

import os
import time

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

PROJECT_SLUG = "norway-health-export-kb"


def edition_name() -> str:
    """Project name and the date of the commit built (SOURCE_DATE_EPOCH), so a commit names one edition."""
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    return f"{PROJECT_SLUG}-{time.strftime('%Y-%m-%d', time.gmtime(epoch))}"


def edition_files() -> list[tuple[str, str]]:
    """(file name, what it is) of each offline edition."""
    name = edition_name()
    return [
        (f"{name}.zip", "The whole site as a zip: unzip it anywhere and open index.html. "
                        "Pages, search, diagrams and dark mode work with no network."),
        (f"{name}-single-page.zip", "The single-page edition: every page in one HTML file, for reading end to end."),
        (f"{name}.pdf", "The PDF edition, printed from the single-page edition, with the diagrams."),
    ]


class OfflineDownloadsDirective(SphinxDirective):
    has_content = False

    def run(self) -> list[nodes.Node]:
        base = self.config.html_baseurl + "downloads/"
        items = nodes.bullet_list(classes=["kb-downloads"])
        for file_name, description in edition_files():
            para = nodes.paragraph()
            para += nodes.reference("", file_name, refuri=base + file_name)
            para += nodes.Text(f": {description}")
            items += nodes.list_item("", para)
        return [items]


def setup(app: Sphinx) -> None:
    app.add_directive("offline-downloads", OfflineDownloadsDirective)
