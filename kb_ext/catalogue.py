"""The catalogue of source texts: load it, verify every text byte for byte, split into paragraphs.

A paragraph is one non-blank line of a text. One of the five texts separates paragraphs by single
newlines and the others by blank lines; "one line, one paragraph" is the rule that fits all five.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sphinx.errors import SphinxError

from .data import Problems, Record, line_loader  # the data files' loader: lines, and duplicate keys refused

REQUIRED_KEYS = ("id", "file", "original_file", "title", "title_editorial", "author", "publisher", "date", "sha256")


class CatalogueError(SphinxError):
    category = "Source text catalogue error"


@dataclass(frozen=True)
class Paragraph:
    number: int
    text: str
    line: int  # line number in the text file, for editors checking against the raw file


@dataclass(frozen=True)
class SourceText:
    id: str
    file: str
    original_file: str
    title: str
    title_editorial: bool
    author: str | None
    publisher: str | None
    date: str | None
    sha256: str
    paragraphs: tuple[Paragraph, ...] = field(repr=False)

    def paragraph(self, number: int) -> Paragraph:
        return self.paragraphs[number - 1]


def split_paragraphs(text: str) -> tuple[Paragraph, ...]:
    paragraphs = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            paragraphs.append(Paragraph(len(paragraphs) + 1, line.rstrip("\r"), line_number))
    return tuple(paragraphs)


def load_catalogue(catalogue_path: Path) -> dict[str, SourceText]:
    """Read the catalogue and every text it lists; refuse anything that is not exactly as recorded."""
    if not catalogue_path.is_file():
        raise CatalogueError(f"{catalogue_path}: catalogue file not found")
    problems = Problems()
    try:
        data = yaml.load(catalogue_path.read_text(encoding="utf-8"),  # noqa: S506 (a safe loader)
                         Loader=line_loader(str(catalogue_path), problems))
    except yaml.YAMLError as exc:
        raise CatalogueError(f"{catalogue_path}: not valid YAML: {exc}") from exc
    if problems.items:
        raise CatalogueError("; ".join(problems.items))
    entries = data.get("texts") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogueError(f"{catalogue_path}: expected a non-empty list under 'texts'")

    texts: dict[str, SourceText] = {}
    listed = {entry.get("file") for entry in entries if isinstance(entry, dict)}
    for stray in sorted(catalogue_path.parent.glob("*.txt")):
        if stray.name not in listed:
            raise CatalogueError(
                f"{stray}:1: source text is not in the catalogue ({catalogue_path.name}): every text the site may "
                "cite needs an entry (id, file, sha256, ...); add one, or move the file out of the folder"
            )
    for position, entry in enumerate(entries, start=1):
        where = f"{catalogue_path}:{entry.line}" if isinstance(entry, Record) else f"{catalogue_path}: entry {position}"
        if not isinstance(entry, dict):
            raise CatalogueError(f"{where}: expected a mapping")
        missing = [key for key in REQUIRED_KEYS if key not in entry]
        if missing:
            raise CatalogueError(f"{where} ({entry.get('id', '?')}): missing keys {', '.join(missing)}")
        unknown = [key for key in entry if key not in REQUIRED_KEYS]
        if unknown:
            raise CatalogueError(f"{catalogue_path}:{entry.line_of(unknown[0])}: unknown key {unknown[0]!r} "
                                 f"(the keys of an entry are: {', '.join(REQUIRED_KEYS)})")
        text_id = entry["id"]
        if text_id in texts:
            raise CatalogueError(f"{catalogue_path}:{entry.line_of('id')}: duplicate id {text_id!r}")
        text_path = catalogue_path.parent / entry["file"]
        if not text_path.is_file():
            raise CatalogueError(f"{text_path}: source text listed in the catalogue as {text_id!r} is missing")
        raw = text_path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise CatalogueError(
                f"{text_path}: SHA-256 is {digest}, the catalogue records {entry['sha256']} "
                f"({catalogue_path.name}:{entry.line_of('sha256')}). "
                "Source texts are immutable: restore the original bytes (typos are noted on the site, never fixed)."
            )
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CatalogueError(f"{text_path}: not UTF-8: {exc}") from exc
        texts[text_id] = SourceText(
            **{key: entry[key] for key in REQUIRED_KEYS},  # plain values, whatever the loader's mapping type
            paragraphs=split_paragraphs(decoded),
        )
    return texts


def catalogue_digest(catalogue_path: Path) -> str:
    """A fingerprint of the catalogue; the texts themselves are pinned by their checksums in it."""
    return hashlib.sha256(catalogue_path.read_bytes()).hexdigest()
