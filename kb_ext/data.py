"""The knowledge base's structured data (data/*.yaml): loaded once per build, validated with file and line.

Every organisation, person, figure, event and measure is defined here once. Pages refer to them by id;
directories, tables and diagrams are generated from them. Prose fields are MyST Markdown, parsed
where they are shown.

Validation happens when the files are loaded, before any page is read, and reports every problem
with the line of the item at fault:

- YAML itself: syntax, duplicate keys (YAML would silently keep the last), empty files;
- the shape, against one definition, ``data/schema/data-files.schema.json`` (unknown or misspelt keys,
  wrong types, missing keys, ``[]`` where records are required); the TypedDicts below describe the
  same records for the code, and a test keeps the two equal;
- the links between records (ids, relations, affiliations, themes, measure numbers);
- every reference inside the prose (``{e}``, ``{fig}``, ``{measure}``, ``{ref}``, ``{src}``) and every
  cited spelling, role and quote, through the one citation grammar (:mod:`kb_ext.grammar`).
"""


import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import yaml
from sphinx.errors import SphinxError

from . import grammar

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FILES = ("organisations", "people", "figures", "events", "measures", "themes")
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "schema" / "data-files.schema.json"
MEASURES_TEXT = "fifteen-measures-launch"  # the source text whose paragraphs word the measures
ROLE = re.compile(r"\{(?P<role>[a-z][\w:-]*)\}`(?P<body>[^`]*)`")
EXPLICIT = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
RAW_HTML = re.compile(r"<[A-Za-z/!?]")
LABEL_RE = re.compile(r"^\((?P<label>[^()\s]+)\)=\s*$", re.M)  # MyST's "(label)=" target lines


class DataError(SphinxError):
    category = "Knowledge base data error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


# --- The records, as the code sees them (same shape as the JSON Schema) -------------------------------

class NameEntry(TypedDict):
    name: str
    cite: str


class Relation(TypedDict):
    to: str
    label: str
    cite: str


class Organisation(TypedDict):
    id: str
    names: list[NameEntry]
    kind: str
    kind_cite: str
    kind_quote: str
    country: NotRequired[str]
    country_cite: NotRequired[str]
    country_quote: NotRequired[str]
    delegation: NotRequired[bool]
    relations: NotRequired[list[Relation]]
    facts: NotRequired[list[str]]


class RoleEntry(TypedDict):
    role: str
    cite: str


class Person(TypedDict):
    id: str
    names: list[NameEntry]
    country: NotRequired[str]
    country_cite: NotRequired[str]
    country_quote: NotRequired[str]
    roles: NotRequired[list[RoleEntry]]
    affiliations: NotRequired[list[str]]
    facts: NotRequired[list[str]]


class FigureCite(TypedDict):
    cite: str
    quote: str


class Figure(TypedDict):
    id: str
    value: str
    meaning: str
    usd: NotRequired[str]
    nok_billion: NotRequired[float]
    year: NotRequired[int | str]
    cites: NotRequired[list[FigureCite]]
    computed: NotRequired[str]


class Event(TypedDict):
    id: str
    when: str
    sort: str
    title: str
    body: list[str]


class Measure(TypedDict):
    number: int
    paragraph: int
    theme: str
    related: NotRequired[list[str]]


class Theme(TypedDict):
    id: str
    title: str
    summary: NotRequired[str]


RECORD_TYPES: dict[str, type] = {"organisation": Organisation, "person": Person, "figure": Figure, "event": Event,
                                 "measure": Measure, "theme": Theme, "name": NameEntry, "relation": Relation,
                                 "role": RoleEntry, "figure_cite": FigureCite}


class Record(dict):  # type: ignore[type-arg]
    """A YAML mapping (one of the TypedDicts above) that remembers where it and its keys and items stand."""

    path: str = ""
    line: int = 0
    key_lines: dict[str, int]
    item_lines: dict[str, list[int]]  # key -> line of each item of a list value

    def where(self, key: str | None = None) -> str:
        return f"{self.path}:{self.key_lines.get(key, self.line) if key else self.line}"

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)

    def line_for(self, key: str, value: Any = None) -> int:
        """The line of ``value`` where it stands under ``key``: a fact's own line in a list of facts,
        else the key's line."""
        items = self.get(key)
        if isinstance(items, list) and value is not None:
            for index, item in enumerate(items):
                if item is value or item == value:
                    return self.item_line(key, index)
        return self.line_of(key)

    def item_line(self, key: str, index: int) -> int:
        lines = self.item_lines.get(key, [])
        return lines[index] if index < len(lines) else self.line_of(key)


@dataclass
class KnowledgeBaseData:
    organisations: list[Record]  # each an Organisation
    people: list[Record]  # each a Person
    figures: list[Record]  # each a Figure
    events: list[Record]  # each an Event
    measures: list[Record]  # each a Measure
    themes: list[Record]  # each a Theme
    digest: str

    def entities(self) -> dict[str, Record]:
        """Everything a ``{e}`` reference may name, by id."""
        return {r["id"]: r for r in [*self.organisations, *self.people]}

    def figure(self, figure_id: str) -> Record | None:
        return next((f for f in self.figures if f["id"] == figure_id), None)


# --- Loading ---------------------------------------------------------------------------------------------

class Problems:
    """Every problem found, as ``path:line: message``, in the order found."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, line: int, message: str) -> None:
        self.items.append(f"{path}:{line}: {message}")

    def at(self, record: Record, key: str | None, message: str, index: int | None = None) -> None:
        line = record.item_line(key, index) if key is not None and index is not None else \
            record.line_of(key) if key is not None else record.line
        self.add(record.path, line, message)


# libyaml's parser where PyYAML has it (its wheels do): the pure-Python one took a tenth of a build.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _loader_for(path: str, problems: Problems) -> type[yaml.SafeLoader]:
    class LineLoader(_SAFE_LOADER):  # type: ignore[valid-type,misc]
        pass

    def construct_record(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Record:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    problems.add(path, line, f"duplicate key {key_node.value!r} (first at line {seen[key_node.value]}): "
                                             "YAML would silently keep the last one; keep one")
                seen.setdefault(key_node.value, line)
        record = Record(loader.construct_mapping(node, deep=True))
        record.path = path
        record.line = node.start_mark.line + 1
        record.key_lines = {k.value: k.start_mark.line + 1 for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
        record.item_lines = {k.value: [item.start_mark.line + 1 for item in v.value]
                             for k, v in node.value
                             if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.SequenceNode)}
        return record

    LineLoader.add_constructor("tag:yaml.org,2002:map", construct_record)
    return LineLoader


line_loader = _loader_for  # also reads the source catalogue (kb_ext/catalogue.py)


def _line_at(content: Any, path: Iterable[Any], default: int) -> tuple[int, Any]:
    """The line of the item a JSON path points at, and that item."""
    line, node, parent, parent_key = default, content, None, None
    for step in path:
        if isinstance(node, Record) and isinstance(step, str):
            line = node.line_of(step)
            parent, parent_key, node = node, step, node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            item = node[step]
            if isinstance(item, Record):
                line = item.line
            elif isinstance(parent, Record) and parent_key is not None:
                line = parent.item_line(parent_key, step)
            parent, parent_key, node = None, None, item
        else:
            break
    return line, node


def _expected(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    """A schema's description, following its $ref."""
    if "description" in schema:
        return str(schema["description"])
    ref = schema.get("$ref", "")
    if ref.startswith("#/$defs/"):
        return _expected(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return ""


def _type_name(value: Any) -> str:
    return {dict: "a mapping", Record: "a mapping", list: "a list", str: "text", int: "a number", float: "a number",
            bool: "true/false", type(None): "nothing"}.get(type(value), type(value).__name__)


@lru_cache(maxsize=2)
def _validator(schema_text: str) -> Any:
    """One validator per schema text (building one compiles the schema's references), not one per file."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(schema_text))


def check_shape(name: str, path: str, content: Any, problems: Problems, required: bool) -> None:
    validator = _validator(SCHEMA_FILE.read_text(encoding="utf-8"))
    root = validator.schema
    for error in sorted(validator.iter_errors({name: content}), key=lambda e: [str(p) for p in e.absolute_path]):
        steps = list(error.absolute_path)[1:]
        line, value = _line_at(content, steps, 1)
        where = ".".join(str(s) for s in steps if isinstance(s, str)) or "record"
        expected = _expected(error.schema, root)
        hint = f": expected {expected}" if expected else ""
        if error.validator == "additionalProperties" and isinstance(value, Record):
            allowed = list(error.schema.get("properties", {}))
            for key in [k for k in value if k not in allowed]:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                did_you_mean = f" (did you mean {close[0]!r}?)" if close else ""
                problems.add(path, value.line_of(key), f"unknown key {key!r}{did_you_mean}; "
                                                       f"the keys of this record are: {', '.join(allowed)}")
        elif error.validator == "required":
            missing = [k for k in error.validator_value if isinstance(value, Mapping) and k not in value]
            problems.add(path, line, f"missing {', '.join(repr(k) for k in missing)} in this {where}")
        elif error.validator == "oneOf":
            problems.add(path, line, f"this record needs exactly one of 'cites' and 'computed'{hint}")
        elif error.validator == "type" and not steps:
            problems.add(path, line, f"the file holds {_type_name(value)}: expected a list of records ('- id: ...')")
        elif error.validator == "type":
            problems.add(path, line, f"{where!r} is {_type_name(value)}{hint or ' but must be ' + str(error.validator_value)}")
        elif error.validator == "minItems":
            problems.add(path, line, f"{where!r} is empty{hint}")
        else:
            problems.add(path, line, f"{where!r} is {value!r}{hint}")
    if isinstance(content, list) and not content and required:
        problems.add(path, 1, "no records: this file must hold at least one (a list of mappings, '- id: ...')")


# --- References inside the data --------------------------------------------------------------------------

def known_labels(srcdir: Path | None) -> set[str] | None:
    """The ``(label)=`` targets the pages define, for ``{ref}`` in the data; None if no pages are known."""
    if srcdir is None or not srcdir.is_dir():
        return None
    labels: set[str] = set()
    for page in srcdir.rglob("*.md"):
        if "_build" in page.parts:
            continue
        labels.update(m["label"] for m in LABEL_RE.finditer(page.read_text(encoding="utf-8")))
    return labels


class References:
    """Checks the citations and references inside the data, each at its own line."""

    def __init__(self, data: KnowledgeBaseData, texts: Mapping[str, Any] | None, labels: set[str] | None,
                 problems: Problems) -> None:
        self.data, self.texts, self.problems = data, texts, problems
        self.entities = data.entities()
        self.figures = {f["id"]: f for f in data.figures}
        self.labels = labels
        if labels is not None:  # entries and source paragraphs are labels too
            labels.update(self.entities, self.figures, (e["id"] for e in data.events),
                          (f"measure-{m['number']}" for m in data.measures), (f"theme-{t['id']}" for t in data.themes),
                          (f"{t}-p{p.number}" for t, source in (texts or {}).items() for p in source.paragraphs))

    def cite(self, record: Record, key: str, target: Any, quotes: list[str], index: int | None = None) -> None:
        if not isinstance(target, str) or self.texts is None:
            return  # the shape check has said so, or there are no texts to check against
        try:
            grammar.check_citation(self.texts, target, quotes)
        except grammar.CitationError as error:
            self.problems.at(record, key, str(error), index)

    def prose(self, record: Record, key: str, text: Any, index: int | None = None) -> None:
        if not isinstance(text, str):
            return

        def fail(message: str) -> None:
            self.problems.at(record, key, message, index)

        if RAW_HTML.search(ROLE.sub("", text)):
            fail("raw HTML in the data's Markdown would be published as markup: write the words instead")
        cited = False
        for match in ROLE.finditer(text):
            role, body = match["role"], match["body"]
            explicit = EXPLICIT.match(body)
            title, target = (explicit["title"], explicit["target"]) if explicit else (None, body)
            if not body.strip():
                fail(f"role {{{role}}} is empty: write it as {{{role}}}`target`")
                continue
            if role == "src":
                cited = True
                self.cite(record, key, target, grammar.split_quotes(title) if title else [], index)
            elif role == "e":
                entity = self.entities.get(target)
                if entity is None:
                    close = difflib.get_close_matches(target, list(self.entities), n=1)
                    fail(f"unknown entity id {target!r} in {{e}}`{body}`" + (f" (did you mean {close[0]!r}?)" if close else
                                                                          ": expected the id of an organisation or person"))
                elif title is not None:
                    spellings = [n["name"] for n in entity.get("names", []) if isinstance(n, Mapping)]
                    bare = {s.removeprefix("the ").removeprefix("The ") for s in spellings}
                    if title.removeprefix("the ").removeprefix("The ") not in bare:
                        fail(f"{title!r} is not a spelling of {target!r} used by the texts ({', '.join(spellings)})")
            elif role == "fig":
                cited = True
                if target not in self.figures:
                    fail(f"unknown figure id {target!r} in {{fig}}`{body}`: expected an id from figures.yaml")
            elif role == "measure":
                count = len(self.data.measures)
                if not target.isdigit() or not 1 <= int(target) <= count:
                    fail(f"there is no measure {target!r} (measures are 1-{count})")
            elif role == "ref" and self.labels is not None and ":" not in target and target not in self.labels:
                fail(f"unknown label {target!r} in {{ref}}`{body}`: expected a '({target})=' target on a page, "
                     "an entry id or a source paragraph label like 'market-report-p14'")
        for role in grammar.unparsed_roles(ROLE.sub("", text)):
            fail(f"role {{{role}}} has empty or unterminated content: write it as {{{role}}}`target`")
        if key in ("facts", "body") and not cited:
            fail(f"every entry of {key!r} needs at least one citation ({{src}}, or a {{fig}}, which cites itself)")

    def prose_list(self, record: Record, key: str) -> None:
        items = record.get(key)
        if isinstance(items, list):
            for index, text in enumerate(items):
                self.prose(record, key, text, index)

    def names(self, record: Record) -> None:
        for name in record.get("names") or []:
            if isinstance(name, Record) and isinstance(name.get("name"), str):
                self.cite(name, "cite", name.get("cite"), [name["name"]])


def check_links(data: KnowledgeBaseData, texts: Mapping[str, Any] | None, labels: set[str] | None,
                problems: Problems) -> None:
    seen: dict[str, str] = {}
    for record in [*data.organisations, *data.people, *data.figures, *data.events]:
        record_id = record.get("id")
        if not isinstance(record_id, str):
            continue
        if record_id in seen:
            problems.at(record, "id", f"duplicate id {record_id!r} (first at {seen[record_id]})")
        seen.setdefault(record_id, record.where("id"))
    org_ids = {o.get("id") for o in data.organisations}
    refs = References(data, texts, labels, problems)

    for org in data.organisations:
        refs.names(org)
        refs.cite(org, "kind_cite", org.get("kind_cite"), [org["kind_quote"]] if isinstance(org.get("kind_quote"), str) else [])
        if "country_cite" in org:
            refs.cite(org, "country_cite", org.get("country_cite"),
                      [org["country_quote"]] if isinstance(org.get("country_quote"), str) else [])
        refs.prose_list(org, "facts")
        for relation in org.get("relations") or []:
            if not isinstance(relation, Record):
                continue
            if isinstance(relation.get("to"), str) and relation["to"] not in org_ids:
                problems.at(relation, "to", f"unknown organisation id {relation['to']!r} in 'to'")
            refs.cite(relation, "cite", relation.get("cite"), [])
    for person in data.people:
        refs.names(person)
        if "country_cite" in person:
            refs.cite(person, "country_cite", person.get("country_cite"),
                      [person["country_quote"]] if isinstance(person.get("country_quote"), str) else [])
        for role in person.get("roles") or []:
            if isinstance(role, Record) and isinstance(role.get("role"), str):
                refs.cite(role, "cite", role.get("cite"), [role["role"]])
        for index, org_id in enumerate(person.get("affiliations") or []):
            if org_id not in org_ids:
                problems.at(person, "affiliations", f"unknown organisation id {org_id!r} in 'affiliations'", index)
        refs.prose_list(person, "facts")
    for figure in data.figures:
        refs.prose(figure, "meaning", figure.get("meaning"))
        refs.prose(figure, "computed", figure.get("computed"))
        for cite in figure.get("cites") or []:
            if isinstance(cite, Record) and isinstance(cite.get("quote"), str):
                refs.cite(cite, "cite", cite.get("cite"), [cite["quote"]])
    for event in data.events:
        refs.prose_list(event, "body")
    theme_ids = {t.get("id") for t in data.themes}
    launch = (texts or {}).get(MEASURES_TEXT)
    for position, measure in enumerate(data.measures, start=1):
        if measure.get("number") != position:
            problems.at(measure, "number", f"measure number {measure.get('number')!r}: expected {position} "
                                           "(measures are numbered 1, 2, 3, … in order)")
        if isinstance(measure.get("theme"), str) and measure["theme"] not in theme_ids:
            problems.at(measure, "theme", f"unknown theme {measure['theme']!r}: expected one of "
                                          f"{', '.join(sorted(str(t) for t in theme_ids))} (themes.yaml)")
        paragraph = measure.get("paragraph")
        if launch is not None and isinstance(paragraph, int) and not 1 <= paragraph <= len(launch.paragraphs):
            problems.at(measure, "paragraph", f"paragraph {paragraph} is out of range "
                                              f"({MEASURES_TEXT} has paragraphs 1-{len(launch.paragraphs)})")
        refs.prose_list(measure, "related")


def load_data(data_dir: Path, texts: Mapping[str, Any] | None = None, srcdir: Path | None = None,
              required: Iterable[str] = FILES) -> KnowledgeBaseData:
    """Load and check every data file; DataError listing every problem (``path:line: message``) if any.

    ``texts`` (the catalogue) lets the citations be checked; ``srcdir`` (the pages) the ``{ref}`` labels;
    ``required`` names the files that must hold at least one record.
    """
    problems = Problems()
    loaded: dict[str, list[Record]] = {}
    digest = hashlib.sha256()
    required = set(required)
    for name in FILES:
        path = data_dir / f"{name}.yaml"
        if not path.is_file():
            problems.add(str(path), 1, "data file missing")
            loaded[name] = []
            continue
        raw = path.read_bytes()
        digest.update(raw)
        try:
            content = yaml.load(raw.decode("utf-8"), Loader=_loader_for(str(path), problems))  # noqa: S506 (safe loader)
        except UnicodeDecodeError as exc:
            problems.add(str(path), 1, f"not UTF-8: {exc}")
            content = None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.add(str(path), mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")
            content = None
        if content is None:
            problems.add(str(path), 1, "the file is empty: expected a list of records ('- id: ...')")
            content = None
        if content is not None:
            check_shape(name, str(path), content, problems, name in required)
        loaded[name] = [r for r in content if isinstance(r, Record)] if isinstance(content, list) else []
    data = KnowledgeBaseData(**loaded, digest=digest.hexdigest())
    check_links(data, texts, known_labels(srcdir), problems)
    if problems.items:
        raise DataError(problems.items)
    return data
