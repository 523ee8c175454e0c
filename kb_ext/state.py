"""Build inputs that are not pages: the source catalogue and the data, loaded and verified once per build."""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging

from .catalogue import CatalogueError, SourceText, catalogue_digest, load_catalogue
from .data import FILES as DATA_FILES
from .data import DataError, KnowledgeBaseData, load_data

logger = logging.getLogger(__name__)


def catalogue_path(app: Sphinx) -> Path:
    return Path(app.confdir, app.config.kb_catalogue)


def data_dir(app: Sphinx) -> Path:
    return Path(app.confdir, app.config.kb_data_dir)


def load_inputs(app: Sphinx) -> None:
    # Verified on every build, incremental ones included: a tampered text must never slip through.
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
    """Any page may cite a text or show data, so a changed catalogue or data file re-reads every page."""
    digest = catalogue_digest(catalogue_path(app)) + env.kb_data.digest
    if getattr(env, "kb_inputs_digest", None) == digest:
        return []
    env.kb_inputs_digest = digest
    return sorted(env.found_docs)


def source_texts(env: BuildEnvironment) -> dict[str, SourceText]:
    return env.kb_sources


def kb_data(env: BuildEnvironment) -> KnowledgeBaseData:
    return env.kb_data


def setup(app: Sphinx) -> None:
    app.add_config_value("kb_catalogue", "source_texts/catalogue.yaml", "env", types=frozenset({str}))
    app.connect("builder-inited", load_inputs)
    app.add_config_value("kb_data_dir", "data", "env", types=frozenset({str}))
    # The data files that must hold at least one record (all of them, unless a project says otherwise).
    app.add_config_value("kb_data_required", list(DATA_FILES), "env", types=frozenset({list, tuple}))
    app.connect("env-get-outdated", outdated_on_input_change)
