"""What a reader needs to cite, share and date a page: the edition, the page's last update, "Cite this".

- The edition is the date of the commit built (``SOURCE_DATE_EPOCH``, set by the Makefile from git),
  so one commit is one edition; the footer names it and its year.
- Each page's last update is its latest commit (sphinx-last-updated-by-git), data files included for
  the pages built from ``data/*.yaml``. Without a git work tree (a copy of the project, an unpacked
  source archive) the extension is not loaded and pages say which edition they belong to instead,
  so the build still passes under ``-W``.
- "Cite this": ``theme/templates/kb-page-meta.html`` puts one button under each page with the page's
  published address (``html_baseurl``, never a ``file://`` path), title, site name and edition as
  data attributes; ``theme/static/kb-reader.js`` adds a small "Cite" button to every entry and
  source paragraph and fills one shared dialog from those attributes (plain text and BibTeX).
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


GIT_DATES = "sphinx_last_updated_by_git"


def edition_epoch() -> int:
    return int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)


def edition_date() -> str:
    """The edition as an ISO date (the commit's date, UTC)."""
    return time.strftime("%Y-%m-%d", time.gmtime(edition_epoch()))


def in_git_work_tree(path: Path) -> bool:
    try:
        result = subprocess.run(["git", "-C", str(path), "rev-parse", "--is-inside-work-tree"],
                                capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "true"


def page_context(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                 doctree: nodes.document | None) -> None:
    context["kb_edition"] = edition_date()
    context["kb_edition_year"] = edition_date()[:4]
    context["kb_site_name"] = app.config.project
    context["kb_page_url"] = app.config.html_baseurl + app.builder.get_target_uri(pagename)
    # The git extension's date (its handler runs first); None for generated pages or without git.
    updated = context.get("last_updated") if GIT_DATES in app.extensions else None
    context["kb_last_updated"] = updated
    if pagename == "search":
        # Nothing on the search page to preview, cite or filter; it stays within its weight budget.
        for key in ("script_files", "css_files"):
            if isinstance(context.get(key), list):
                context[key][:] = [f for f in context[key] if "kb-reader." not in str(getattr(f, "filename", f) or "")]


def setup(app: Sphinx) -> None:
    if in_git_work_tree(Path(app.confdir)):
        app.setup_extension(GIT_DATES)
    app.add_js_file("kb-reader.js", priority=700, defer="defer")
    app.add_css_file("kb-reader.css", priority=900)  # after html_css_files (800): kb.css
    app.connect("html-page-context", page_context, priority=900)
