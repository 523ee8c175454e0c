"""Every change this project makes to a third-party internal, in one place, each with the version it targets.

Each patch below reaches into something its package does not promise to keep (an event listener, a
template function, a builder attribute, a private queue). When one of these packages is upgraded,
this file is the list to re-check; :func:`check_versions` warns when an installed version differs
from the one a patch was written against.
"""

from __future__ import annotations

import pickle
import queue
from functools import wraps
from importlib import metadata
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

# package -> the version the patches below were written and checked against
TARGETS = {
    "sphinx": "9.0.4",
    "pydata-sphinx-theme": "0.20.0",
    "sphinx-book-theme": "1.4.0",
    "sphinx-sitemap": "2.9.0",
}


def installed(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_versions(app: Sphinx) -> None:
    for package, target in TARGETS.items():
        version = installed(package)
        if target and version and version != target:
            logger.info(f"kb_ext/site/patches.py targets {package} {target}; {version} is installed: re-check it")


# -- pydata-sphinx-theme 0.20.0 -------------------------------------------------------------------------

def wrap_theme_toctree(context: dict[str, Any], change: Any) -> None:
    """pydata-sphinx-theme 0.20.0 builds its sidebar in the ``generate_toctree_html`` template function
    (returns a BeautifulSoup tree): wrap it so ``change(soup)`` edits what it returns."""
    generate = context.get("generate_toctree_html")
    if generate is None or change in getattr(generate, "kb_changes", ()):
        return

    @wraps(generate)
    def generate_changed(*args: Any, **kwargs: Any) -> Any:
        html = generate(*args, **kwargs)
        if not isinstance(html, str):
            change(html)
        return html

    generate_changed.kb_changes = (*getattr(generate, "kb_changes", ()), change)  # type: ignore[attr-defined]
    context["generate_toctree_html"] = generate_changed


def single_page_sidebar(context: dict[str, Any], to_in_page: Any) -> None:
    """pydata-sphinx-theme 0.20.0 drops every sidebar entry whose link has a ``#`` ("sub-headers on the
    page"), which on a single page is every entry. On the single page, its ``generate_toctree_html``
    gives Sphinx's own toctree instead, with the theme's list classes and every link pointed (by
    ``to_in_page``) at the id it means within the page."""
    from bs4 import BeautifulSoup

    generate = context.get("generate_toctree_html")
    toctree = context.get("toctree")
    if generate is None or toctree is None:
        return

    @wraps(generate)
    def in_page_sidebar(kind: str, startdepth: int = 1, show_nav_level: int = 1, **kwargs: Any) -> Any:
        if kind != "sidebar":
            return generate(kind, startdepth, show_nav_level, **kwargs)
        soup = BeautifulSoup(toctree(**kwargs), "html.parser")
        for ul in soup("ul", recursive=False):
            ul.attrs["class"] = [*ul.attrs.get("class", []), "nav", "bd-sidenav"]
        for link in soup.find_all("a", href=True):
            link["href"] = to_in_page(link["href"])
        return soup

    context["generate_toctree_html"] = in_page_sidebar


THEME_INLINE_SCRIPTS = ("DOCUMENTATION_OPTIONS.pagename", "DOCUMENTATION_OPTIONS.search_as_you_type")


def drop_theme_inline_scripts(context: dict[str, Any]) -> None:
    """pydata-sphinx-theme 0.20.0 adds two inline scripts to every page (``script_files`` entries
    with a body) for its version switcher and search-as-you-type, which this site does not use."""
    scripts = context.get("script_files")
    if isinstance(scripts, list):
        scripts[:] = [s for s in scripts
                      if s.filename or not str(s.attributes.get("body", "")).lstrip().startswith(THEME_INLINE_SCRIPTS)]


def single_page_without_search_or_index(app: Sphinx) -> None:
    """Sphinx 9.0.4's singlehtml builder inherits html's search and general index, and
    pydata-sphinx-theme 0.20.0 shows a search button: one page has neither page to link to."""
    if app.builder.name != "singlehtml":
        return
    app.builder.search = False  # type: ignore[attr-defined]
    app.config.html_use_index = False
    theme = getattr(app.builder, "theme", None)
    if theme is not None and "disable_search" in theme.get_options():
        app.builder.theme_options = {**app.builder.theme_options, "disable_search": True}  # type: ignore[attr-defined]


# -- sphinx-book-theme 1.4.0 ---------------------------------------------------------------------------

def book_theme_metadata_without_description(app: Sphinx) -> None:
    """sphinx-book-theme 1.4.0's ``add_metadata_to_page`` (an ``html-page-context`` listener) sets a
    ``page_description`` from the text of every section of the page, nested ones again within their
    parents, then keeps 160 characters; no template of either theme, nor ours, reads it (OpenGraph
    writes our descriptions). On this site's long pages that was 0.03 s of every build, in the writers.
    Its listener is given no doctree, the one thing it reads the doctree for; the rest it sets as before."""
    if installed("sphinx-book-theme") is None:
        return
    from sphinx_book_theme import add_metadata_to_page

    def book_theme_metadata_given_no_doctree(app: Sphinx, pagename: str, templatename: str,
                                             context: dict[str, Any], doctree: Any) -> None:
        add_metadata_to_page(app, pagename, templatename, context, None)

    listeners = app.events.listeners["html-page-context"]
    for index, listener in enumerate(listeners):
        if listener.handler is add_metadata_to_page:
            listeners[index] = listener._replace(handler=book_theme_metadata_given_no_doctree)


# -- sphinx 9.0.4 ----------------------------------------------------------------------------------------

def stop_a_failed_build(app: Sphinx, exception: Exception | None) -> None:
    """Sphinx 9.0.4 (private ``_warncount`` and ``_fail_on_warnings``): with -W, a build whose pages already warned has failed: its output is incomplete (an entry
    missing, a citation dropped), and the finishing steps (JSON export, redirects, sitemap) would work
    on it and could only add a crash to the author's mistakes. Stop here, with the warnings as the
    report; scripts/build.py then keeps the last good site."""
    if exception is None and getattr(app, "_fail_on_warnings", False) and getattr(app, "_warncount", 0):
        count = app._warncount  # noqa: SLF001
        logger.info(f"build failed: {count} problem{'s' if count != 1 else ''} (warnings treated as errors); "
                    "the finishing steps (export, sitemap, redirects) were skipped")
        raise SystemExit(1)


# -- sphinx-sitemap -------------------------------------------------------------------------------------

SITEMAP_STATE = "kb-sitemap-links.pickle"  # in the doctrees folder, beside the environment


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


def sort_sitemap(app: Sphinx, exception: Exception | None) -> None:
    """sphinx-sitemap 2.9.0 lists only the pages written by this run (an incremental build rewrites a few),
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


def setup(app: Sphinx) -> None:
    app.connect("build-finished", stop_a_failed_build, priority=1)  # before every other finishing step
    app.connect("builder-inited", check_versions)
    app.connect("builder-inited", book_theme_metadata_without_description)
    app.connect("builder-inited", single_page_without_search_or_index)
    app.connect("build-finished", sort_sitemap, priority=400)  # before sphinx-sitemap writes (500)
