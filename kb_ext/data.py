"""The knowledge base's structured data (data/*.yaml): loaded once per build, validated with file and line.

Every organisation, person, figure, event and measure is defined here once. Pages refer to them by id;
directories, tables and diagrams are generated from them. Prose fields are MyST Markdown, parsed
where they are shown, so their ``{src}`` citations are checked like any page's.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sphinx.errors import SphinxError

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CITE_RE = re.compile(r"^[a-z0-9-]+#p\d+(?:-\d+)?(?:,\s*p\d+(?:-\d+)?)*$")
FILES = ("organisations", "people", "figures", "events", "measures", "themes")


class DataError(SphinxError):
    category = "Knowledge base data error"


class Record(dict):  # type: ignore[type-arg]
    """A YAML mapping that remembers where it and each of its keys stand in the file."""

    path: str = ""
    line: int = 0
    key_lines: dict[str, int]

    def where(self, key: str | None = None) -> str:
        return f"{self.path}:{self.key_lines.get(key, self.line) if key else self.line}"

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


def _loader_for(path: str) -> type[yaml.SafeLoader]:
    class LineLoader(yaml.SafeLoader):
        pass

    def construct_record(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Record:
        record = Record(loader.construct_mapping(node, deep=True))
        record.path = path
        record.line = node.start_mark.line + 1
        record.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        return record

    LineLoader.add_constructor("tag:yaml.org,2002:map", construct_record)
    return LineLoader


@dataclass
class KnowledgeBaseData:
    organisations: list[Record]
    people: list[Record]
    figures: list[Record]
    events: list[Record]
    measures: list[Record]
    themes: list[Record]
    digest: str

    def entities(self) -> dict[str, Record]:
        """Everything a ``{e}`` reference may name, by id."""
        return {r["id"]: r for r in [*self.organisations, *self.people]}

    def figure(self, figure_id: str) -> Record | None:
        return next((f for f in self.figures if f["id"] == figure_id), None)


def require(record: Record, key: str, kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    if key not in record:
        if optional:
            return None
        raise DataError(f"{record.where()}: missing '{key}'")
    value = record[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise DataError(f"{record.where(key)}: '{key}' must be {names}, not {type(value).__name__}")
    return value


def check_cite(record: Record, key: str, value: str) -> None:
    if not CITE_RE.match(value):
        raise DataError(f"{record.where(key)}: '{value}' is not a paragraph reference like 'market-report#p14'")


def check_names(record: Record) -> None:
    names = require(record, "names", list)
    if not names:
        raise DataError(f"{record.where('names')}: at least one name is needed")
    for name in names:
        require(name, "name", str)
        check_cite(name, "cite", require(name, "cite", str))


def check_facts(record: Record, key: str = "facts") -> None:
    for fact in require(record, key, list, optional=True) or []:
        if not isinstance(fact, str) or ("{src}" not in fact and "{fig}" not in fact):
            raise DataError(f"{record.where(key)}: every entry of '{key}' is Markdown with at least one citation "
                            "({src} or a {fig}, which cites itself)")


def validate(data: KnowledgeBaseData) -> None:
    seen: dict[str, str] = {}
    for record in [*data.organisations, *data.people, *data.figures, *data.events]:
        record_id = require(record, "id", str)
        if not ID_RE.match(record_id):
            raise DataError(f"{record.where('id')}: id '{record_id}' must be lower-case words joined by hyphens")
        if record_id in seen:
            raise DataError(f"{record.where('id')}: duplicate id '{record_id}' (first at {seen[record_id]})")
        seen[record_id] = record.where("id")

    for org in data.organisations:
        check_names(org)
        require(org, "kind", str)
        check_cite(org, "kind_cite", require(org, "kind_cite", str))
        require(org, "country", str, optional=True)
        check_facts(org)
        for relation in require(org, "relations", list, optional=True) or []:
            if require(relation, "to", str) not in seen:
                raise DataError(f"{relation.where('to')}: unknown organisation id '{relation['to']}'")
            require(relation, "label", str)
            check_cite(relation, "cite", require(relation, "cite", str))
    for person in data.people:
        check_names(person)
        for role in require(person, "roles", list, optional=True) or []:
            require(role, "role", str)
            check_cite(role, "cite", require(role, "cite", str))
        for org_id in require(person, "affiliations", list, optional=True) or []:
            if org_id not in seen or not any(o["id"] == org_id for o in data.organisations):
                raise DataError(f"{person.where('affiliations')}: unknown organisation id '{org_id}'")
        check_facts(person)
    for figure in data.figures:
        require(figure, "value", str)
        require(figure, "meaning", str)
        require(figure, "year", (int, str), optional=True)
        if "computed" in figure:
            require(figure, "computed", str)
        else:
            cites = require(figure, "cites", list)
            for cite in cites:
                check_cite(cite, "cite", require(cite, "cite", str))
                require(cite, "quote", str)
    for event in data.events:
        require(event, "when", str)
        require(event, "sort", str)
        require(event, "title", str)
        check_facts(event, "body")
    theme_ids = {require(t, "id", str) for t in data.themes}
    for theme in data.themes:
        require(theme, "title", str)
    numbers = []
    for measure in data.measures:
        numbers.append(require(measure, "number", int))
        require(measure, "paragraph", int)
        if require(measure, "theme", str) not in theme_ids:
            raise DataError(f"{measure.where('theme')}: unknown theme '{measure['theme']}' (see themes.yaml)")
        check_facts(measure, "related")
    if numbers != list(range(1, len(numbers) + 1)):
        raise DataError(f"{data.measures[0].path}: measures must be numbered 1, 2, 3, … in order")


def load_data(data_dir: Path) -> KnowledgeBaseData:
    loaded: dict[str, list[Record]] = {}
    digest = hashlib.sha256()
    for name in FILES:
        path = data_dir / f"{name}.yaml"
        if not path.is_file():
            raise DataError(f"{path}: data file missing")
        raw = path.read_bytes()
        digest.update(raw)
        try:
            content = yaml.load(raw.decode("utf-8"), Loader=_loader_for(str(path)))  # noqa: S506 (safe loader)
        except yaml.YAMLError as exc:
            raise DataError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(content, list) or not all(isinstance(item, Record) for item in content):
            raise DataError(f"{path}: expected a list of mappings")
        loaded[name] = content
    data = KnowledgeBaseData(**loaded, digest=digest.hexdigest())
    validate(data)
    return data
