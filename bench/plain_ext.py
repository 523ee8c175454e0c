"""The benchmark's baseline: our roles and directives, doing nothing.

The same pages build with this instead of kb_ext, so `make bench` can compare the cost of our
extensions (citations, source pages, entities, diagrams...) with Sphinx and the theme alone.
"""

from __future__ import annotations

from typing import Any

from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx.application import Sphinx

ROLES = ("src", "e", "fig", "measure")
DIRECTIVES = ("entity-directory", "kb-diagram", "key-figures", "key-figures-downloads", "measure-list",
              "measure-themes", "offline-downloads", "source-coverage", "source-meta", "timeline")


def text_role(name: str, rawtext: str, text: str, lineno: int, inliner: Any, options: Any = None,
              content: Any = None) -> tuple[list[nodes.Node], list[nodes.system_message]]:
    return [nodes.Text(text.split("<")[0].strip())], []


class NothingDirective(Directive):
    optional_arguments = 10
    final_argument_whitespace = True
    has_content = True
    option_spec = None  # any option

    def run(self) -> list[nodes.Node]:
        return []


class PlainSourceText(Directive):
    """The text itself, one paragraph a line, so source pages carry the same words as ours."""

    required_arguments = 1
    has_content = True

    def run(self) -> list[nodes.Node]:
        config = self.state.document.settings.env.config
        catalogue = Path(config.kb_catalogue)
        entry = next(t for t in yaml.safe_load(catalogue.read_text(encoding="utf-8"))["texts"]
                     if t["id"] == self.arguments[0])
        lines = (catalogue.parent / entry["file"]).read_text(encoding="utf-8").splitlines()
        return [nodes.paragraph("", line) for line in lines if line.strip()]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("source-text", PlainSourceText)
    for role in ROLES:
        app.add_role(role, text_role)
    for directive in DIRECTIVES:
        app.add_directive(directive, NothingDirective)
    app.add_config_value("kb_catalogue", "", "env")
    app.add_config_value("kb_data_dir", "", "env")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
