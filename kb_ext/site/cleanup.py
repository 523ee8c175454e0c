"""Keep the published folder to what readers need, and the same from every build.

pydata-sphinx-theme and sphinx-book-theme ship Jinja macro files (``*macros.html``) in their static
folders; Sphinx copies them into ``_static`` as if they were pages. They are templates, not assets:
invalid HTML that nothing links to, so they are left out, as is the empty ``_sources`` folder, and
the theme's ``fontawesome.js`` (1.5 MB), which our layout no longer loads (``kb-icons.css`` draws the
icons).
"""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx


def drop_template_leftovers(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir, "_static")
    for leftover in [*static.glob("*macros.html"), *static.glob("scripts/fontawesome.js*")]:
        leftover.unlink()
    sources = Path(app.outdir, "_sources")
    if sources.is_dir() and not any(sources.iterdir()):  # html_copy_source is off; Sphinx still makes it
        sources.rmdir()


def setup(app: Sphinx) -> None:
    app.connect("build-finished", drop_template_leftovers)
