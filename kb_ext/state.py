"""Build inputs that are not pages: the source catalogue and the data, loaded and verified once per build.

Every input outside ``docs/`` is a config value (so another project, such as the test project, names
its own) and a tracked dependency: a page notes each input it shows (:func:`note_texts`,
:func:`note_data`), and Sphinx re-reads exactly those pages when the file changes. The security-headers
file is shown by every page (its policy is each page's ``<meta>``): a change re-reads every page.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from .catalogue import CatalogueError, SourceText, load_catalogue
from .data import FILES as DATA_FILES
from .data import DataError, KnowledgeBaseData, load_data

logger = logging.getLogger(__name__)

PROJECT = Path(__file__).resolve().parent.parent  # defaults only: conf.py names each input itself
DEFAULT_SECURITY_HEADERS = PROJECT / "deploy" / "security-headers.conf"
DEFAULT_SCHEMA = PROJECT / "data" / "schema" / "knowledge-base.schema.json"


def catalogue_path(app: Sphinx) -> Path:
    return Path(app.confdir, app.config.kb_catalogue)


def data_dir(app: Sphinx) -> Path:
    return Path(app.confdir, app.config.kb_data_dir)


def security_headers_path(app: Sphinx) -> Path:
    return Path(app.confdir, app.config.kb_security_headers)


def load_inputs(app: Sphinx) -> None:
    # Verified on every build, incremental ones included: a tampered text must never slip through.
    app.env.kb_inputs = {"catalogue": catalogue_path(app).resolve(), "data": data_dir(app).resolve()}
    try:
        app.env.kb_sources = load_catalogue(catalogue_path(app))
        app.env.kb_data = load_data(data_dir(app), app.env.kb_sources, Path(app.srcdir), app.config.kb_data_required)
    except (CatalogueError, DataError) as error:
        # An input error, not a crash: say what and where (each problem, file and line), and stop before
        # anything is written.
        for problem in getattr(error, "problems", [str(error)]):
            logger.error(f"{error.category}: {problem}")
        raise SystemExit(2) from error


def outdated_on_input_change(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Every page carries the hosting policy: a changed security-headers file re-reads them all.
    (The other inputs are dependencies of the pages that show them: Sphinx finds those itself.)"""
    path = security_headers_path(app)
    digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
    if getattr(env, "kb_headers_digest", None) == digest:
        return []
    first_build = not hasattr(env, "kb_headers_digest")
    env.kb_headers_digest = digest
    return [] if first_build else sorted(env.found_docs)


def note_inputs(env: BuildEnvironment, paths: list[Path]) -> None:
    docname = env.current_document.docname
    noted = env.dependencies.get(docname, set())
    for path in paths:
        if path not in noted:
            env.note_dependency(path)


def note_texts(env: BuildEnvironment, *text_ids: str) -> None:
    """The current page shows (or quotes) these source texts: it depends on them and on the catalogue."""
    catalogue = env.kb_inputs["catalogue"]
    note_inputs(env, [catalogue, *(catalogue.parent / env.kb_sources[t].file for t in text_ids if t in env.kb_sources)])


def note_data(env: BuildEnvironment, *names: str) -> None:
    """The current page shows records of these data files (``data/<name>.yaml``)."""
    note_inputs(env, [env.kb_inputs["data"] / f"{name}.yaml" for name in names])


def source_texts(env: BuildEnvironment) -> dict[str, SourceText]:
    return env.kb_sources


def kb_data(env: BuildEnvironment) -> KnowledgeBaseData:
    return env.kb_data


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_catalogue", "source_texts/catalogue.yaml", "env", types=frozenset({str}))
    app.connect("builder-inited", load_inputs)
    app.add_config_value("kb_data_dir", "data", "env", types=frozenset({str}))
    app.add_config_value("kb_security_headers", str(DEFAULT_SECURITY_HEADERS), "html", types=frozenset({str}))
    app.add_config_value("kb_schema", str(DEFAULT_SCHEMA), "html", types=frozenset({str}))
    # The data files that must hold at least one record (all of them, unless a project says otherwise).
    app.add_config_value("kb_data_required", list(DATA_FILES), "env", types=frozenset({list, tuple}))
    app.connect("env-get-outdated", outdated_on_input_change)
