"""Static files (theme CSS and JS, vendored files) as tracked inputs of the pages using them.

Each page links its scripts and style sheets with a checksum (``?v=…``), so a page must be written
again when a file it links changes, or it keeps the old checksum. Sphinx re-writes a page only when
its source changes; here each build records which static files each page links and their digests
(in the doctree folder), and the next build re-writes exactly the pages linking a changed file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

RECORD = "kb-page-assets.json"

_linked: dict[str, list[str]] = {}  # pagename -> static files it links, collected while writing


def static_file(app: Sphinx, name: str) -> Path | None:
    """Our file behind a page's ``_static/…`` link, or None (a file of Sphinx or the theme)."""
    for folder in reversed(app.config.html_static_path):  # later folders win, as when Sphinx copies them
        path = Path(app.confdir, folder, name.removeprefix("_static/"))
        if path.is_file():
            return path
    return None


def digest(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path is not None else ""


def record_path(app: Sphinx) -> Path:
    return Path(app.doctreedir, RECORD)


def note_linked_assets(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                       doctree: Any) -> None:
    names = [getattr(f, "filename", "") for key in ("script_files", "css_files") for f in context.get(key, [])]
    _linked[pagename] = sorted({name.partition("?")[0] for name in names if name and "://" not in name})


def pages_with_changed_assets(app: Sphinx, env: BuildEnvironment) -> list[str]:
    path = record_path(app)
    if app.builder.format != "html" or not path.is_file():
        return []
    try:
        before = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return []
    changed = {name for name, old in before.get("digests", {}).items() if digest(static_file(app, name)) != old}
    return sorted(page for page, names in before.get("pages", {}).items()
                  if page in env.all_docs and changed.intersection(names))


def save_record(app: Sphinx, exception: BaseException | None) -> None:
    if exception is not None or app.builder.format != "html" or not _linked:
        return
    path = record_path(app)
    try:
        record = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except ValueError:
        record = {}
    pages = {**record.get("pages", {}), **_linked}
    files = {name: static_file(app, name) for linked in pages.values() for name in linked}
    record = {"pages": {page: [n for n in linked if files[n]] for page, linked in pages.items()},
              "digests": {name: digest(path) for name, path in sorted(files.items()) if path is not None}}
    path.write_text(json.dumps(record, indent=0, sort_keys=True), encoding="utf-8")
    _linked.clear()


def setup(app: Sphinx) -> None:
    app.connect("html-page-context", note_linked_assets, priority=950)  # after every handler added its files
    app.connect("env-get-updated", pages_with_changed_assets)
    app.connect("build-finished", save_record)
