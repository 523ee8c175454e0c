"""Local Sphinx extensions of the Norway Health Export Knowledge Base, one module per concern."""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx

from . import citations, collection, diagrams, domain, entities, export, grammar, site, sources, state


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_domain(domain.KnowledgeBaseDomain)
    state.setup(app)
    citations.setup(app)
    grammar.setup(app)  # integrity: roles MyST left as text
    sources.setup(app)
    entities.setup(app)
    diagrams.setup(app)
    export.setup(app)
    site.setup(app)
    app.setup_extension("kb_ext.search")  # search page and its index (issue 17)
    app.connect("env-get-updated", domain.pages_with_changed_backlinks)
    collection.setup(app)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True, "env_version": 3}
