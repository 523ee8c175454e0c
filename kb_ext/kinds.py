"""The kinds of entity, defined in one place: adding a kind means one entry here and its data file.

A kind names its data file (``data/<data_file>.yaml``, loaded by :mod:`kb_ext.data`), the
``{entity-directory}`` argument that lists its entries (the page holding that directive is where its
entries live: the ``kb`` domain records it), a display name, the key under which the JSON export
lists it, and which records of the data file belong to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .data import KnowledgeBaseData, Record


@dataclass(frozen=True)
class EntityKind:
    name: str  # the {entity-directory} argument, e.g. "companies"
    data_file: str  # data/<data_file>.yaml
    display: str  # e.g. "Companies"
    export_key: str  # the JSON export's list that holds its records
    belongs: Callable[[Record], bool] = lambda record: True

    def records(self, data: KnowledgeBaseData) -> list[Record]:
        return [r for r in records_of_file(data, self.data_file) if self.belongs(r)]


def records_of_file(data: KnowledgeBaseData, data_file: str) -> list[Record]:
    records: list[Record] = getattr(data, data_file)
    return records


KINDS: tuple[EntityKind, ...] = (
    EntityKind("organisations", "organisations", "Organisations", "organisations",
               lambda record: record.get("kind") != "company"),
    EntityKind("companies", "organisations", "Companies", "organisations",
               lambda record: record.get("kind") == "company"),
    EntityKind("people", "people", "People", "people"),
)
BY_NAME = {kind.name: kind for kind in KINDS}
ENTITY_FILES = tuple(dict.fromkeys(kind.data_file for kind in KINDS))


def kind_of(record: Record) -> EntityKind:
    """The kind of an entity record: the first kind of its data file that claims it."""
    for kind in KINDS:
        if record.path.endswith(f"{kind.data_file}.yaml") and kind.belongs(record):
            return kind
    raise LookupError(f"{record.where()}: no entity kind in kb_ext/kinds.py takes this record")


def entities(data: KnowledgeBaseData) -> dict[str, Record]:
    """Everything a ``{e}`` reference may name, by id, over every kind (worked out once per load)."""
    cached: dict[str, Record] | None = data.__dict__.get("_kb_entities")
    if cached is None:
        cached = data.__dict__["_kb_entities"] = {
            r["id"]: r for data_file in ENTITY_FILES for r in records_of_file(data, data_file)}
    return cached


def display_name(record: Record | dict[str, Any]) -> str:
    """An entity's name on the site: the first spelling in its data."""
    return str(record["names"][0]["name"])
