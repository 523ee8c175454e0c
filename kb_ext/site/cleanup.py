"""Keep the published folder to what readers need, and the same from every build.

pydata-sphinx-theme and sphinx-book-theme ship Jinja macro files (``*macros.html``) in their static
folders; Sphinx copies them into ``_static`` as if they were pages. They are templates, not assets:
invalid HTML that nothing links to, so they are left out, as is the empty ``_sources`` folder, and
the theme's ``fontawesome.js`` (1.5 MB), which our layout no longer loads (``kb-icons.css`` draws the
icons).
"""

from __future__ import annotations

import pickle
import queue
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

SITEMAP_STATE = "kb-sitemap-links.pickle"  # in the doctrees folder, beside the environment
INDEX_ENTRIES_STATE = "kb-search-index-entries.pickle"


def _load_state(app: Sphinx, name: str) -> Any:
    try:
        with open(Path(app.doctreedir, name), "rb") as file:
            return pickle.load(file)  # noqa: S301 (our own file, written by the previous build)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def _save_state(app: Sphinx, name: str, state: Any) -> None:
    Path(app.doctreedir).mkdir(parents=True, exist_ok=True)
    with open(Path(app.doctreedir, name), "wb") as file:
        pickle.dump(state, file)


def stop_a_failed_build(app: Sphinx, exception: Exception | None) -> None:
    """With -W, a build whose pages already warned has failed: its output is incomplete (an entry
    missing, a citation dropped), and the finishing steps (JSON export, redirects, sitemap) would work
    on it and could only add a crash to the author's mistakes. Stop here, with the warnings as the
    report; scripts/build.py then keeps the last good site."""
    if exception is None and getattr(app, "_fail_on_warnings", False) and getattr(app, "_warncount", 0):
        count = app._warncount  # noqa: SLF001
        logger.info(f"build failed: {count} problem{'s' if count != 1 else ''} (warnings treated as errors); "
                    "the finishing steps (export, sitemap, redirects) were skipped")
        raise SystemExit(1)


def drop_template_leftovers(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    static = Path(app.outdir, "_static")
    for leftover in [*static.glob("*macros.html"), *static.glob("scripts/fontawesome.js*")]:
        leftover.unlink()
    sources = Path(app.outdir, "_sources")
    if sources.is_dir() and not any(sources.iterdir()):  # html_copy_source is off; Sphinx still makes it
        sources.rmdir()


def sort_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """sphinx-sitemap lists only the pages written by this run (an incremental build rewrites a few),
    in the order the writers finished them (which varies under -j). Complete it with the pages of the
    previous builds that still exist, in name order, so every build gives the sitemap a clean one does."""
    links = getattr(app, "sitemap_links", None)
    if exception is not None or links is None or app.builder.name != "html":
        return
    written: dict[str, Any] = {}
    while True:
        try:
            link, last_updated = links.get_nowait()
        except queue.Empty:
            break
        written[link] = last_updated
    previous: dict[str, tuple[str, Any]] = _load_state(app, SITEMAP_STATE) or {}
    suffix = app.config.html_file_suffix or ".html"
    current = {link: (link.removesuffix(suffix), last_updated) for link, last_updated in written.items()}
    for link, (docname, last_updated) in previous.items():
        if link not in current and docname in app.env.all_docs:
            current[link] = (docname, last_updated)
    _save_state(app, SITEMAP_STATE, current)
    for link in sorted(current):
        links.put((link, current[link][1]))


def complete_search_index_entries(app: Sphinx) -> list[Any]:
    """Sphinx's search index keeps the index entries (``indexentries``) only of the pages written by this
    run: on an incremental build those of every other page were lost. Keep them between builds, for the
    pages that still exist, in name order (serial and -j builds feed pages in different orders).
    Runs on html-collect-pages, after every page is fed and before the index is written."""
    indexer = getattr(app.builder, "indexer", None)
    if indexer is None or app.builder.name != "html":
        return []
    entries: dict[str, Any] = indexer._index_entries  # noqa: SLF001 (no public API for it)
    previous: dict[str, Any] = _load_state(app, INDEX_ENTRIES_STATE) or {}
    merged = {docname: value for docname, value in previous.items() if docname in app.env.all_docs}
    merged.update(entries)
    entries.clear()
    entries.update(sorted(merged.items()))
    _save_state(app, INDEX_ENTRIES_STATE, dict(entries))
    return []


def setup(app: Sphinx) -> None:
    app.connect("build-finished", stop_a_failed_build, priority=1)  # before every other finishing step
    app.connect("build-finished", drop_template_leftovers)
    app.connect("build-finished", sort_sitemap, priority=400)  # before sphinx-sitemap writes (500)
    app.connect("html-collect-pages", complete_search_index_entries)
