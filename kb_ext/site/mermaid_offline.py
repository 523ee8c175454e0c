"""Mermaid diagrams that render offline: a local classic script instead of the plugin's CDN module.

sphinxcontrib-mermaid imports mermaid as an ES module from an inline script. Chromium refuses module
imports over ``file://`` and a strict Content Security Policy refuses inline scripts, so we drop the
plugin's script and load ``mermaid.min.js`` (fetched by ``make vendor``, pinned by checksum) plus our
own small renderer, as plain files, on the pages that have a diagram and nowhere else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.errors import SphinxError
from sphinxcontrib import mermaid as mermaid_plugin

from .patches import drop_mermaid_plugin_script

VENDOR_DIR = Path(__file__).resolve().parent.parent.parent / ".vendor" / "static"
MERMAID_FILE = "vendor/mermaid.min.js"


class MissingVendorFile(SphinxError):
    category = "Missing vendored asset"


def check_vendor(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    if not (VENDOR_DIR / MERMAID_FILE).is_file():
        raise MissingVendorFile(f"{VENDOR_DIR / MERMAID_FILE} is missing: run `make vendor` (or `make html`)")
    app.config.html_static_path.append(str(VENDOR_DIR))


def add_diagram_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                        doctree: nodes.document | None) -> None:
    if doctree is None or doctree.next_node(mermaid_plugin.mermaid) is None:
        return
    app.add_js_file(MERMAID_FILE, priority=600, defer="defer")
    app.add_js_file("kb-diagrams.js", priority=601, defer="defer")


def setup(app: Sphinx) -> None:
    app.setup_extension("sphinxcontrib.mermaid")
    drop_mermaid_plugin_script(app)
    app.connect("builder-inited", check_vendor)
    app.connect("html-page-context", add_diagram_scripts)
