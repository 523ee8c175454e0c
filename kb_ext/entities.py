"""Entities on pages: ``{e}``, ``{fig}`` and ``{measure}`` references, and the directories built from data.

``{e}`norway-health-tech``` links to an entry with its display name (the first spelling in the data);
``{e}`NHT <norway-health-tech>``` uses another spelling, which must be one the texts use.
``{fig}`export-revenue-2021``` shows a figure as the texts state it, linked and cited.
``{entity-directory} organisations|companies|people``, ``{key-figures}``, ``{timeline}`` and
``{measure-list}`` generate the reference sections from the data, with anchors, index entries,
labels for ``{ref}``/intersphinx, and "appears on" backlinks.
"""

from __future__ import annotations

import re
import unicodedata

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import ReferenceRole, SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from .citations import DATA_ORIGIN, make_citation
from .data import FILES, KnowledgeBaseData, Record
from .domain import KnowledgeBaseDomain
from .kinds import BY_NAME, ENTITY_FILES, KINDS, display_name, kind_of
from .kinds import entities as all_entities
from .nodes import citation_marker, directory_tools, entity_backlinks, kb_xref
from .state import kb_data, note_data, note_texts, source_texts

logger = logging.getLogger(__name__)

DIRECTORIES = tuple(kind.name for kind in KINDS)
MEASURES_TEXT = "fifteen-measures-launch"  # the source text whose paragraphs are the measures' wording

__all__ = ["DIRECTORIES", "MEASURES_TEXT", "DataDirective", "directory_of", "display_name", "entity_ref"]


def entity_ref(rawsource: str, text: str, *, target: str, reftype: str = "entry") -> nodes.Node:
    """A link to an entry (entity, figure, measure, event, theme) by id: a ``pending_xref`` of the kb
    domain, which decides where the entry lives when the page is written."""
    return kb_xref(reftype, target, text, rawsource=rawsource)


def directory_of(record: Record) -> str:
    """The ``{entity-directory}`` that lists an entity (see kb_ext/kinds.py)."""
    return kind_of(record).name


COMPUTED_PREFIX = "**Computed by the editors:** "


def computation(domain: KnowledgeBaseDomain, figure: Record) -> str | None:
    """How the editors computed a figure, as the page words it, its citations as words too ("counted
    from the list in [text, paragraph 2]"); None for a figure a text states."""
    if "computed" not in figure:
        return None
    shown = domain.prose(COMPUTED_PREFIX + figure["computed"], cites_as_text=True)
    return shown[0].removeprefix("Computed by the editors: ") if shown else ""


def prose_parts(parsed: list[nodes.Node]) -> tuple[list[str | tuple[str, str]], list[tuple[str, int]]]:
    """Parsed Markdown as a reader sees it: its words (a ``{ref}`` without its own words stays
    ``("ref", label)``, to be named once every page is read; a citation marker is ``("cite",
    "text-id#3,4")``, for words that need it to make sense), and the paragraphs it cites."""
    parts: list[str | tuple[str, str]] = []
    cited: list[tuple[str, int]] = []

    def walk(node: nodes.Node) -> None:
        if isinstance(node, citation_marker):
            cited.extend((node["text_id"], number) for number in node["paragraphs"])
            parts.append(("cite", f"{node['text_id']}#{','.join(map(str, node['paragraphs']))}"))
            return
        if isinstance(node, nodes.problematic):
            return
        if isinstance(node, addnodes.pending_xref) and node.get("refdomain") == "std" and not node.get("refexplicit"):
            parts.append(("ref", node["reftarget"]))
            return
        if isinstance(node, nodes.Text):
            parts.append(node.astext())
            return
        for child in node.children:
            walk(child)

    for top in parsed:
        walk(top)
    return parts, cited


def plain_text(parsed: list[nodes.Node]) -> str:
    """Parsed Markdown as plain words: references as their words, citation markers dropped."""
    parts, _ = prose_parts(parsed)
    return " ".join("".join(p if isinstance(p, str) else p[1] for p in parts).split())


def without_article(name: str) -> str:
    """Prose may say "the Research Council" where the text has "Research Council", or the reverse."""
    return name.removeprefix("the ").removeprefix("The ")


def first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


def short_meaning(parsed: list[nodes.Node]) -> str:
    """A figure's meaning as an index term or tooltip: its first clause, before any aside in brackets,
    semicolon or colon (asides hold the {ref}s to the notes, whose titles are only known later)."""
    return re.split(r"\s*[(;:]", first_sentence(plain_text(parsed)), maxsplit=1)[0].rstrip(" ,")


class EntityRole(ReferenceRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        entity = all_entities(kb_data(self.env)).get(self.target)
        if entity is None:
            logger.warning(f"unknown entity id {self.target!r}", location=DATA_ORIGIN.get() or self.get_location(),
                           type="kb", subtype="entity")
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        note_data(self.env, kind_of(entity).data_file)
        spellings = [n["name"] for n in entity["names"]]
        text = self.title if self.has_explicit_title else spellings[0]
        if without_article(text) not in {without_article(s) for s in spellings}:
            logger.warning(f"{text!r} is not a spelling of {self.target!r} used by the texts ({', '.join(spellings)})",
                           location=DATA_ORIGIN.get() or self.get_location(), type="kb", subtype="entity")
        node = entity_ref(self.rawtext, text, target=self.target, reftype="entity")
        self.set_source_info(node)
        return [node], []


class FigureRole(ReferenceRole):
    """A figure as stated, linked to its row in the key figures, followed by its citation."""

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        note_data(self.env, "figures")
        figure = kb_data(self.env).figure(self.target)
        if figure is None:
            logger.warning(f"unknown figure id {self.target!r}", location=DATA_ORIGIN.get() or self.get_location(),
                           type="kb", subtype="figure")
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        text = self.title if self.has_explicit_title else figure["value"]
        result: list[nodes.Node] = [entity_ref(self.rawtext, text, target=figure["id"], reftype="figure")]
        if "cites" in figure:
            cite = figure["cites"][0]
            marker = make_citation(self.env, cite["cite"], [cite["quote"]], self.get_location())  # data origin wins
            if marker is not None:
                result.append(marker)
        for node in result:
            self.set_source_info(node)
        return result, []


class MeasureRole(ReferenceRole):
    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        note_data(self.env, "measures")
        count = len(kb_data(self.env).measures)
        if not self.target.isdigit() or not 1 <= int(self.target) <= count:
            logger.warning(f"there is no measure {self.target!r} (measures are 1-{count})",
                           location=DATA_ORIGIN.get() or self.get_location(), type="kb", subtype="measure")
            return [nodes.problematic(self.rawtext, self.rawtext)], []
        text = self.title if self.has_explicit_title else f"measure {self.target}"
        node = entity_ref(self.rawtext, text, target=f"measure-{self.target}", reftype="measure")
        self.set_source_info(node)
        return [node], []


class DataDirective(SphinxDirective):
    """Shared helpers for directives that render records from data/*.yaml."""

    data_files: ClassVar[tuple[str, ...]] = FILES  # what the directive shows: the page depends on them

    @property
    def data(self) -> KnowledgeBaseData:
        note_data(self.env, *self.data_files)
        return kb_data(self.env)

    def markdown(self, record: Record, key: str, text: str) -> list[nodes.Node]:
        """Parse Markdown from the data, so warnings point at the YAML file and line it came from."""
        line = record.line_for(key, text)  # a fact's own line, not its list's key
        token = DATA_ORIGIN.set(f"{record.path}:{line}")
        try:
            parsed = nested_parse_to_nodes(self.state, text, source=record.path, offset=line - 1,
                                           allow_section_headings=False)
        finally:
            DATA_ORIGIN.reset(token)
        for top in parsed:  # so that warnings at resolve time (an unknown {ref} label) name the data file too
            for node in top.findall(nodes.Element):
                node.source, node.line = record.path, line
        # What the export says of this Markdown: the words and citations of the nodes, not the Markdown.
        KnowledgeBaseDomain.of(self.env).note_prose(self.env.current_document.docname, text, *prose_parts(parsed))
        if len(parsed) == 1 and isinstance(parsed[0], nodes.paragraph):
            return list(parsed[0].children)
        return parsed

    def paragraph(self, record: Record, key: str, text: str, classes: list[str] | None = None) -> nodes.paragraph:
        para = nodes.paragraph(classes=classes or [])
        para.extend(self.markdown(record, key, text))
        return para

    def register(self, anchor: str, title: str, index_terms: list[str], objtype: str = "entity") -> list[nodes.Node]:
        """Make ``anchor`` an entry of this page: an object of the kb domain (which also publishes it as a
        label for ``{ref}``/intersphinx), in the general index. Duplicates are reported after all pages
        are read (KnowledgeBaseDomain.check_consistency)."""
        KnowledgeBaseDomain.of(self.env).register(self.env.current_document.docname, objtype, anchor, anchor,
                                                  title, self.lineno)
        if not index_terms:
            return []
        # In a "single" index entry "a; b" means entry a, sub-entry b: a semicolon of ours must not split it.
        terms = dict.fromkeys(term.replace(";", ",") for term in index_terms)
        return [addnodes.index(entries=[("single", term, anchor, "", None) for term in terms])]

    def cite(self, record: Record, key: str, target: str, quote: str | None = None) -> list[nodes.Node]:
        marker = make_citation(self.env, target, [quote] if quote else [], f"{record.path}:{record.line_of(key)}")
        return [marker] if marker is not None else []

    def section(self, anchor: str, title: str) -> nodes.section:
        section = nodes.section(ids=[anchor], names=[anchor], classes=["kb-entry"])
        section += nodes.title("", title)
        return section


def sort_key(name: str, *, people: bool) -> str:
    """Directory order: organisations by name without a leading "The"; people by family name (the last
    word once "et al." is set aside), so that "Dr." and first names play no part."""
    if not people:
        return name.removeprefix("The ").removeprefix("the ").casefold()
    words = name.removesuffix(" et al.").split()
    return " ".join([words[-1], *words[:-1]]).casefold()


AZ = [*"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "#"]


def az_letter(key: str) -> str:
    """The A–Z strip's letter of a sort key: its first letter without accents, "#" for anything else."""
    first = unicodedata.normalize("NFD", key[:1]).upper()[:1]
    return first if first in AZ[:-1] else "#"


class EntityDirectoryDirective(DataDirective):
    data_files = ENTITY_FILES
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        directory = self.arguments[0]
        if directory not in DIRECTORIES:
            logger.warning(f"unknown directory {directory!r} (one of {', '.join(DIRECTORIES)})",
                           location=self.get_location(), type="kb", subtype="entity")
            return []
        records = BY_NAME[directory].records(self.data)
        keys = {r["id"]: sort_key(display_name(r), people=directory == "people") for r in records}
        records.sort(key=lambda r: keys[r["id"]])
        entries = [self.entry(record) for record in records]
        firsts: dict[str, str] = {}
        for record, section in zip(records, entries, strict=True):
            letter = az_letter(keys[record["id"]])
            section["classes"].append(f"kb-az-{'other' if letter == '#' else letter}")
            firsts.setdefault(letter, record["id"])
        letters = [(letter, firsts.get(letter, "")) for letter in AZ if letter != "#" or "#" in firsts]
        return [directory_tools(letters=letters, count=len(entries)), *entries]

    def entry(self, record: Record) -> nodes.section:
        """One entry: the same summary block for every kind (kind, country, names, related entries), then
        what the texts say of it. ``kb-dir-entry`` lets the directory's filter and A–Z strip find it."""
        names = [n["name"] for n in record["names"]]
        section = self.section(record["id"], display_name(record))
        section["classes"].append("kb-dir-entry")
        section.extend(self.register(record["id"], display_name(record), names))
        details = nodes.definition_list(classes=["kb-entry-details", "kb-summary"])

        def row(term: str, *content: nodes.Node) -> None:
            para = nodes.paragraph()
            para.extend(content)
            details.append(nodes.definition_list_item(
                "", nodes.term("", term), nodes.definition("", para)))

        kind: list[nodes.Node] = []
        if "kind" in record:
            kind.append(nodes.Text(record["kind"]))
            kind.extend(self.cite(record, "kind_cite", record["kind_cite"], record.get("kind_quote")))
        else:
            kind.append(nodes.Text("person"))
            for position, role in enumerate(record.get("roles", [])):
                kind.append(nodes.Text(": " if not position else "; "))
                kind.append(nodes.Text(role["role"]))
                kind.extend(self.cite(role, "role", role["cite"], role["role"]))
        row("Kind", *kind)
        if record.get("country"):
            row("Country", nodes.Text(record["country"]),
                *self.cite(record, "country_cite", record["country_cite"], record.get("country_quote")))
        else:
            row("Country", nodes.Text("not stated in the texts"))

        spelled: list[nodes.Node] = []
        for position, name in enumerate(record["names"]):
            if position:
                spelled.append(nodes.Text("; "))
            spelled.append(nodes.emphasis("", name["name"]))
            spelled.extend(self.cite(name, "name", name["cite"], name["name"]))
        row("Named in the texts as", *spelled)

        related: list[nodes.Node] = []
        entities = all_entities(self.data)
        for relation in record.get("relations", []):
            if related:
                related.append(nodes.Text("; "))
            related.append(nodes.Text(relation["label"] + " "))
            related.append(entity_ref("", display_name(entities[relation["to"]]), target=relation["to"], reftype="entity"))
            related.extend(self.cite(relation, "label", relation["cite"]))
        for other in self.data.organisations:  # relations the texts give from another entry to this one
            for relation in other.get("relations", []):
                if relation["to"] != record["id"] or other["id"] == record["id"]:
                    continue
                if related:
                    related.append(nodes.Text("; "))
                related.append(entity_ref("", display_name(other), target=other["id"], reftype="entity"))
                related.append(nodes.Text(f" {relation['label']} {display_name(record)}"))
                related.extend(self.cite(relation, "label", relation["cite"]))
        for org_id in record.get("affiliations", []):
            if related:
                related.append(nodes.Text("; "))
            related.append(nodes.Text("named with "))
            related.append(entity_ref("", display_name(entities[org_id]), target=org_id, reftype="entity"))
        row("Related", *(related or [nodes.Text("none recorded")]))

        section += details
        facts = record.get("facts", [])
        if facts:
            said = nodes.bullet_list(classes=["kb-facts"])
            for fact in facts:
                said += nodes.list_item("", self.paragraph(record, "facts", fact))
            section += said
        section += entity_backlinks(target=record["id"])
        return section


class KeyFiguresDirective(DataDirective):
    data_files = ("figures",)

    def run(self) -> list[nodes.Node]:
        table = nodes.table(classes=["kb-key-figures"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (3, 6, 1, 2):
            group += nodes.colspec(colwidth=width)
        group += nodes.thead("", nodes.row("", *(nodes.entry("", nodes.paragraph("", h))
                                                 for h in ("Figure", "Meaning", "Year", "Source"))))
        body = nodes.tbody()
        group += body
        for figure in self.data.figures:
            row = nodes.row(ids=[figure["id"]])
            value = nodes.paragraph()
            meaning = [self.paragraph(figure, "meaning", figure["meaning"])]
            said = short_meaning(meaning)  # the words shown, not the Markdown written
            value.extend(self.register(figure["id"], f"{figure['value']}: {said}", [f"{figure['value']} ({said})"],
                                       objtype="figure"))
            value += nodes.strong("", figure["value"])
            if figure.get("usd"):
                value += nodes.Text(f" ({figure['usd']})")
            if "computed" in figure:
                meaning.append(self.paragraph(figure, "computed", COMPUTED_PREFIX + figure["computed"],
                                              classes=["kb-computed"]))
            source = nodes.paragraph()
            for cite in figure.get("cites", []):
                source.extend(self.cite(cite, "quote", cite["cite"], cite["quote"]))
            if "computed" in figure:
                source += nodes.Text("computed")
            row += nodes.entry("", value)
            row += nodes.entry("", *meaning)
            row += nodes.entry("", nodes.paragraph("", str(figure.get("year", "—"))))
            row += nodes.entry("", source)
            body += row
        return [table]


class TimelineDirective(DataDirective):
    data_files = ("events",)

    def run(self) -> list[nodes.Node]:
        table = nodes.table(classes=["kb-timeline"])
        group = nodes.tgroup(cols=2)
        table += group
        group += nodes.colspec(colwidth=2)
        group += nodes.colspec(colwidth=7)
        group += nodes.thead("", nodes.row("", *(nodes.entry("", nodes.paragraph("", h)) for h in ("When", "What"))))
        body = nodes.tbody()
        group += body
        for event in sorted(self.data.events, key=lambda e: e["sort"]):
            row = nodes.row(ids=[event["id"]])
            when = nodes.paragraph()
            when.extend(self.register(event["id"], f"{event['when']}: {event['title']}", [event["title"]],
                                      objtype="event"))
            when += nodes.Text(event["when"])
            what = [nodes.paragraph("", "", nodes.strong("", event["title"]), classes=["kb-event-title"])]
            what.extend(self.paragraph(event, "body", text) for text in event["body"])
            row += nodes.entry("", when)
            row += nodes.entry("", *what)
            body += row
        return [table]


class MeasureListDirective(DataDirective):
    data_files = ("measures", "themes")
    option_spec: ClassVar[dict[str, Any]] = {"source": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        text_id = self.options.get("source", MEASURES_TEXT)
        note_texts(self.env, text_id)
        source = source_texts(self.env)[text_id]
        themes = {t["id"]: t for t in self.data.themes}
        sections = []
        for measure in self.data.measures:
            number = measure["number"]
            paragraph = source.paragraph(measure["paragraph"]).text
            prefix = f"{number}. "
            if not paragraph.startswith(prefix):
                logger.warning(f"paragraph {measure['paragraph']} of {text_id} does not start with {prefix!r}",
                               location=measure.where("paragraph"), type="kb", subtype="measure")
            wording = paragraph.removeprefix(prefix)
            anchor = f"measure-{number}"
            section = self.section(anchor, f"Measure {number}")
            section.extend(self.register(anchor, f"Measure {number}: {wording}", [f"Measure {number}: {wording}"],
                                         objtype="measure"))
            quote = nodes.block_quote(classes=["kb-verbatim"], support_smartquotes=False)
            text = nodes.paragraph("", wording)
            text.extend(self.cite(measure, "paragraph", f"{text_id}#p{measure['paragraph']}", wording))
            quote += text
            section += quote
            theme = nodes.paragraph()
            theme += nodes.strong("", "Theme (editorial grouping): ")
            theme += entity_ref("", themes[measure["theme"]]["title"], target=f"theme-{measure['theme']}",
                                reftype="theme")
            section += theme
            for related in measure.get("related", []):
                section += self.paragraph(measure, "related", related)
            sections.append(section)
        return sections


class MeasureThemesDirective(DataDirective):
    """The editorial grouping of the measures: one row per theme, each linking its measures."""

    data_files = ("themes", "measures")

    def run(self) -> list[nodes.Node]:
        table = nodes.table(classes=["kb-measure-themes", "kb-editorial"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (2, 5, 3):
            group += nodes.colspec(colwidth=width)
        group += nodes.thead("", nodes.row("", *(nodes.entry("", nodes.paragraph("", h))
                                                 for h in ("Theme", "What the measures address", "Measures"))))
        body = nodes.tbody()
        group += body
        for theme in self.data.themes:
            anchor = f"theme-{theme['id']}"
            row = nodes.row(ids=[anchor])
            title = nodes.paragraph()
            title.extend(self.register(anchor, f"Theme: {theme['title']}", [], objtype="theme"))
            title += nodes.strong("", theme["title"])
            measures = nodes.paragraph()
            for position, measure in enumerate(m for m in self.data.measures if m["theme"] == theme["id"]):
                if position:
                    measures += nodes.Text(", ")
                measures += entity_ref("", str(measure["number"]), target=f"measure-{measure['number']}",
                                       reftype="measure")
            row += nodes.entry("", title)
            row += nodes.entry("", nodes.paragraph("", theme.get("summary", "")))
            row += nodes.entry("", measures)
            body += row
        return [table]


def resolve_entity_refs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """"Appears on …" under each entry (the links themselves are resolved by the kb domain)."""
    domain = KnowledgeBaseDomain.of(app.env)
    for placeholder in list(doctree.findall(entity_backlinks)):
        pages = [p for p in domain.pages_mentioning(placeholder["target"]) if p != docname]
        if not pages:
            placeholder.parent.remove(placeholder)
            continue
        para = nodes.paragraph(classes=["kb-backlinks"])
        para += nodes.Text("Appears on: ")
        for position, page in enumerate(pages):
            if position:
                para += nodes.Text(", ")
            title = app.env.titles[page].astext() if page in app.env.titles else page
            para += nodes.reference("", title, refuri=app.builder.get_relative_uri(docname, page), internal=True)
        placeholder.replace_self(para)


def setup(app: Sphinx) -> None:
    app.add_node(entity_backlinks)
    app.add_role("e", EntityRole())
    app.add_role("fig", FigureRole())
    app.add_role("measure", MeasureRole())
    app.add_directive("entity-directory", EntityDirectoryDirective)
    app.add_directive("key-figures", KeyFiguresDirective)
    app.add_directive("timeline", TimelineDirective)
    app.add_directive("measure-list", MeasureListDirective)
    app.add_directive("measure-themes", MeasureThemesDirective)
    app.connect("doctree-resolved", resolve_entity_refs)
