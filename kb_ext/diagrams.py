"""Diagrams generated from the data: ``{kb-diagram} name`` draws one with mermaid, plus its text version.

No name or number is typed into a diagram: they come from data/*.yaml and the source texts, so a
diagram changes with its data. Each diagram has a caption, a text alternative with the same
information (for screen readers, and for readers without JavaScript), and click targets that are the
entries' own anchors.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinxcontrib.mermaid import mermaid

from .data import KnowledgeBaseData, Record
from .entities import MEASURES_TEXT, DataDirective, directory_of, display_name, entity_ref
from .state import source_texts

logger = logging.getLogger(__name__)

MEASURES_PAGE = "export-initiative"
KEY_FIGURES_PAGE = "key-figures"
TIMELINE_PAGE = "timeline"


@dataclass
class Diagram:
    """Mermaid code plus the same content in words: (text with entity refs, citation) items."""

    code: list[str]
    caption: str
    text_items: list[list[nodes.Node]] = field(default_factory=list)


def label(text: str) -> str:
    """Text safe inside a quoted mermaid label."""
    return text.replace('"', "#quot;").replace("\n", " ")


def node_id(anchor: str) -> str:
    return "n_" + anchor.replace("-", "_")


class DiagramDirective(DataDirective):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {}
    generators: ClassVar[dict[str, Callable[[DiagramDirective], Diagram]]] = {}

    def href(self, page: str, anchor: str) -> str:
        here = posixpath.dirname(self.env.current_document.docname)
        return posixpath.relpath(page, here or ".") + f".html#{anchor}"

    def entity_href(self, record: Record) -> str:
        return self.href(f"directory/{directory_of(record)}", record["id"])

    def click(self, mermaid_id: str, href: str, tooltip: str) -> str:
        return f'  click {mermaid_id} href "{href}" "{label(tooltip)}"'

    def cited(self, parts: list[nodes.Node], record: Record, key: str, cite: str, quote: str | None = None) -> list[nodes.Node]:
        return [*parts, *self.cite(record, key, cite, quote)]

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        generator = self.generators.get(name)
        if generator is None:
            logger.warning(f"unknown diagram {name!r} (one of {', '.join(sorted(self.generators))})",
                           location=self.get_location(), type="kb", subtype="diagram")
            return []
        diagram = generator(self)
        figure = nodes.figure(ids=[f"diagram-{name}"], classes=["kb-diagram"])
        chart = mermaid()
        chart["code"] = "\n".join(diagram.code)
        chart["options"] = {}
        figure += chart
        figure += nodes.caption("", diagram.caption)
        words = nodes.container(classes=["kb-diagram-text"])
        words += nodes.paragraph("", "", nodes.strong("", "The diagram in words:"))
        items = nodes.bullet_list()
        for parts in diagram.text_items:
            items += nodes.list_item("", nodes.paragraph("", "", *parts))
        words += items
        figure += words
        return [figure]


def diagram(name: str) -> Callable[[Callable[[DiagramDirective], Diagram]], Callable[[DiagramDirective], Diagram]]:
    def register(generator: Callable[[DiagramDirective], Diagram]) -> Callable[[DiagramDirective], Diagram]:
        DiagramDirective.generators[name] = generator
        return generator

    return register


def ecosystem_group(org: Record) -> str:
    kind = org["kind"]
    if "cluster" in kind:
        return "Clusters"
    if any(word in kind for word in ("incubator", "technology transfer", "collaborative arena", "science park")):
        return "At Oslo Science Park"
    return "Government, public bodies and funders"


@diagram("ecosystem")
def ecosystem(d: DiagramDirective) -> Diagram:
    data: KnowledgeBaseData = d.data
    orgs = {o["id"]: o for o in data.organisations}
    related = {o["id"] for o in data.organisations if o.get("relations")}
    related |= {r["to"] for o in data.organisations for r in o.get("relations", [])}
    code = ["flowchart TB", "  accTitle: Ecosystem map", "  accDescr: How the texts relate the organisations"]
    groups: dict[str, list[Record]] = {}
    for org_id in sorted(related):
        groups.setdefault(ecosystem_group(orgs[org_id]), []).append(orgs[org_id])
    for index, (group, members) in enumerate(sorted(groups.items())):
        code.append(f'  subgraph g{index}["{label(group)}"]')
        code.extend(f'    {node_id(o["id"])}["{label(display_name(o))}"]' for o in members)
        code.append("  end")
    items = []
    for org in data.organisations:
        for relation in org.get("relations", []):
            code.append(f'  {node_id(org["id"])} -->|"{label(relation["label"])}"| {node_id(relation["to"])}')
            items.append(d.cited([entity_ref("", display_name(org), target=org["id"]),
                                  nodes.Text(f" — {relation['label']} → "),
                                  entity_ref("", display_name(orgs[relation["to"]]), target=relation["to"])],
                                 relation, "label", relation["cite"]))
    code.extend(d.click(node_id(o), d.entity_href(orgs[o]), display_name(orgs[o])) for o in sorted(related))
    return Diagram(code, "How the texts relate the organisations of the ecosystem. Each box links to its entry.", items)


@diagram("delegation")
def delegation(d: DiagramDirective) -> Diagram:
    data = d.data
    text = source_texts(d.env)["norway-germany-agreement"]
    areas = [p for p in text.paragraphs if p.text.startswith("- ")]
    companies = [o for o in data.organisations if o.get("delegation")]
    german = [o for o in data.organisations if o.get("country") == "Germany"]
    code = ["flowchart LR", "  accTitle: The Norway–Germany delegation",
            "  accDescr: Norwegian companies, the agreement's focus areas and German organisations"]
    code.append('  subgraph no["Norwegian delegation"]')
    code.extend(f'    {node_id(o["id"])}["{label(display_name(o))}"]' for o in companies)
    code.append("  end")
    code.append('  subgraph focus["Focus areas of the agreement, as listed"]')
    code.extend(f'    area{p.number}["{label(p.text.removeprefix("- "))}"]' for p in areas)
    code.append("  end")
    code.append('  subgraph de["German organisations and investors"]')
    code.extend(f'    {node_id(o["id"])}["{label(display_name(o))}"]' for o in german)
    code.append("  end")
    code.append("  no --- focus --- de")
    code.extend(d.click(node_id(o["id"]), d.entity_href(o), display_name(o)) for o in [*companies, *german])
    items = [
        [nodes.Text("Norwegian delegation: "), *joined(companies), *d.cite(companies[0], "delegation",
                                                                          "norway-germany-agreement#p2")],
        [nodes.Text("Focus areas, as listed: " + "; ".join(p.text.removeprefix("- ") for p in areas)),
         *d.cite(companies[0], "delegation", f"norway-germany-agreement#p{areas[0].number}-{areas[-1].number}")],
        [nodes.Text("German organisations and investors: "), *joined(german),
         *d.cite(german[0], "country", "norway-germany-agreement#p2,p9-10")],
    ]
    return Diagram(code, "The delegation to Berlin: Norwegian companies, the agreement's focus areas, German partners.", items)


def joined(records: list[Record]) -> list[nodes.Node]:
    parts: list[nodes.Node] = []
    for index, record in enumerate(records):
        if index:
            parts.append(nodes.Text(", "))
        parts.append(entity_ref("", display_name(record), target=record["id"]))
    return parts


@diagram("timeline")
def timeline(d: DiagramDirective) -> Diagram:
    """A vertical chain, not mermaid's timeline: fourteen events side by side would not fit a phone."""
    events = sorted(d.data.events, key=lambda e: e["sort"])
    code = ["flowchart TB", "  accTitle: Timeline", "  accDescr: The dated events of the texts, in order"]
    items = []
    previous = None
    for event in events:
        when = "Undated" if event["sort"].startswith("9999") else event["when"]
        code.append(f'  {node_id(event["id"])}["<b>{label(when)}</b><br/>{label(event["title"])}"]')
        if previous:
            code.append(f"  {previous} --> {node_id(event['id'])}")
        previous = node_id(event["id"])
        code.append(d.click(node_id(event["id"]), d.href(TIMELINE_PAGE, event["id"]), event["title"]))
        items.append([nodes.Text(f"{when}: "), entity_ref("", event["title"], target=event["id"])])
    return Diagram(code, "The events of the texts in order; undated events last. Each links to its row below.", items)


@diagram("export-revenue")
def export_revenue(d: DiagramDirective) -> Diagram:
    figures = [d.data.figure(f) for f in ("export-revenue-2021", "export-revenue-2023", "export-target-2030")]
    years = ", ".join(f'"{f["year"]}{" target" if f["id"].startswith("export-target") else ""}"' for f in figures)
    values = ", ".join(str(f["nok_billion"]) for f in figures)
    top = max(f["nok_billion"] for f in figures)
    code = ["xychart-beta", '  title "Health-industry exports, NOK billion"', f"  x-axis [{years}]",
            f'  y-axis "NOK billion" 0 --> {top + 10}', f"  bar [{values}]"]
    items = [[nodes.Text(f"{f['year']}: "), entity_ref("", f["value"], target=f["id"]),
              *d.cite(f["cites"][0], "quote", f["cites"][0]["cite"], f["cites"][0]["quote"])] for f in figures]
    return Diagram(code, "Export revenue in 2021 and 2023, and the 2030 target, in NOK billion.", items)


@diagram("measures")
def measures(d: DiagramDirective) -> Diagram:
    text = source_texts(d.env)[MEASURES_TEXT]
    code = ["flowchart LR", "  accTitle: The fifteen measures by theme", "  accDescr: Each measure under its theme"]
    items = []
    for theme in d.data.themes:
        members = [m for m in d.data.measures if m["theme"] == theme["id"]]
        code.append(f'  t_{theme["id"]}(["{label(theme["title"])}"])')
        for measure in members:
            wording = text.paragraph(measure["paragraph"]).text
            code.append(f'  t_{theme["id"]} --> {node_id("measure-" + str(measure["number"]))}["{label(wording)}"]')
        refs: list[nodes.Node] = [nodes.Text(f"{theme['title']}: ")]
        for index, measure in enumerate(members):
            if index:
                refs.append(nodes.Text(", "))
            refs.append(entity_ref("", f"measure {measure['number']}", target=f"measure-{measure['number']}"))
        items.append(refs)
    for measure in d.data.measures:
        anchor = f"measure-{measure['number']}"
        code.append(d.click(node_id(anchor), d.href(MEASURES_PAGE, anchor), f"Measure {measure['number']}"))
    return Diagram(code, "The fifteen measures, grouped by theme (the grouping is editorial). Each links to the measure.", items)


@diagram("national-team")
def national_team(d: DiagramDirective) -> Diagram:
    size = d.data.figure("national-team-size")
    large = d.data.figure("segment-large-threshold")
    growth = d.data.figure("segment-growth-range")
    code = ["flowchart TD", "  accTitle: The national team's segments",
            "  accDescr: The national team and its two segments by export revenue in 2023",
            f'  team["National team: {label(size["value"])}"]',
            f'  large["Segment: {label(large["value"])} export revenue in 2023 (count not stated)"]',
            f'  growth["Segment: {label(growth["value"])} (count not stated)"]',
            '  invited["Also invited: several companies below these thresholds"]',
            "  team --> large", "  team --> growth", "  team -.- invited",
            d.click("team", d.href(KEY_FIGURES_PAGE, size["id"]), size["meaning"]),
            d.click("large", d.href(KEY_FIGURES_PAGE, large["id"]), large["meaning"]),
            d.click("growth", d.href(KEY_FIGURES_PAGE, growth["id"]), growth["meaning"])]
    items = [[nodes.Text("National team: "), entity_ref("", size["value"], target=size["id"]),
              *d.cite(size["cites"][0], "quote", size["cites"][0]["cite"], size["cites"][0]["quote"])],
             [nodes.Text("First segment, export revenue in 2023: "), entity_ref("", large["value"], target=large["id"]),
              *d.cite(large["cites"][0], "quote", large["cites"][0]["cite"], large["cites"][0]["quote"])],
             [nodes.Text("Second segment: "), entity_ref("", growth["value"], target=growth["id"]),
              *d.cite(growth["cites"][0], "quote", growth["cites"][0]["cite"], growth["cites"][0]["quote"])],
             [nodes.Text("Also invited: several companies with export revenue below these thresholds"),
              *d.cite(size, "value", "national-export-team#p12", "invited several companies with export revenue below this")]]
    return Diagram(code, "The national team and its two segments; the text gives the thresholds, not the counts.", items)


def setup(app: Sphinx) -> None:
    app.add_directive("kb-diagram", DiagramDirective)
