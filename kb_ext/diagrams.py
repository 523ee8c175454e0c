"""Diagrams generated from the data: ``{kb-diagram} name`` draws one as SVG at build time, plus its text version.

No name or number is typed into a diagram: they come from data/*.yaml and the source texts, so a
diagram changes with its data. The directive turns the records into a plain spec (names, values,
entry anchors) kept on a ``kb_diagram`` node; when the page is written the anchors become links
through the ``kb`` domain (``entry_uri``), and ``diagram_drawing`` lays the spec out as two inline
SVGs, wide and narrow (``kb-diagrams.css`` shows the one that fits the column). So a diagram is in the
HTML as built: readable with JavaScript off, selectable, searchable and printable. Each diagram has a
caption and a text alternative with the same information (with citations), except the timeline,
whose table follows it on the page.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
from html import escape
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

from .data import KnowledgeBaseData, Record
from .diagram_drawing import draw
from .domain import KnowledgeBaseDomain
from .entities import MEASURES_TEXT, DataDirective, display_name, entity_ref
from .state import source_texts

logger = logging.getLogger(__name__)

DATA_DIR = "_data"  # beside the JSON export: the chart's data as CSV


class kb_diagram(nodes.General, nodes.Element):
    """A diagram's spec (``kind``, ``spec``, ``anchors``); links resolved and SVG drawn when the page is written."""


@dataclass
class Diagram:
    """What to draw (a drawing kind and its spec) plus the same content in words."""

    kind: str
    spec: dict[str, Any]
    caption: str
    text_items: list[list[nodes.Node]] = field(default_factory=list)
    csv: str | None = None  # the chart's data, offered for download


def anchors_of(value: Any) -> list[str]:
    """Every ``anchor`` in a spec, in order: the entries the diagram links to."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("anchor"), str):
            found.append(value["anchor"])
        for item in value.values():
            found.extend(anchors_of(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(anchors_of(item))
    return list(dict.fromkeys(found))


class DiagramDirective(DataDirective):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Any]] = {}
    generators: ClassVar[dict[str, Callable[[DiagramDirective], Diagram]]] = {}

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
        drawing = kb_diagram(name=name, kind=diagram.kind, spec=diagram.spec, anchors=anchors_of(diagram.spec),
                             csv=diagram.csv, hrefs={}, csv_href=None)
        self.set_source_info(drawing)
        figure += drawing
        figure += nodes.caption("", diagram.caption)
        if diagram.text_items:
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


def item(record: Record) -> dict[str, str]:
    return {"label": display_name(record), "anchor": record["id"]}


@diagram("ecosystem")
def ecosystem(d: DiagramDirective) -> Diagram:
    """One focused view per organisation that others relate to: who relates to it, how, in the texts' words."""
    data: KnowledgeBaseData = d.data
    orgs = {o["id"]: o for o in data.organisations}
    targets: dict[str, dict[str, list[str]]] = {}  # target -> source -> labels
    items = []
    for org in data.organisations:
        for relation in org.get("relations", []):
            targets.setdefault(relation["to"], {}).setdefault(org["id"], []).append(relation["label"])
            items.append(d.cited([entity_ref("", display_name(org), target=org["id"]),
                                  nodes.Text(f" — {relation['label']} → "),
                                  entity_ref("", display_name(orgs[relation["to"]]), target=relation["to"])],
                                 relation, "label", relation["cite"]))
    views = []
    for target_id, sources in targets.items():
        groups: dict[str, list[dict[str, str]]] = {}
        for source_id, labels in sources.items():
            groups.setdefault("; ".join(labels), []).append(item(orgs[source_id]))
        views.append({**item(orgs[target_id]),
                      "groups": [{"label": label, "sources": members} for label, members in groups.items()]})
    views.sort(key=lambda v: -sum(len(g["sources"]) for g in v["groups"]))  # stable: data order among equals
    spec = {"label": "Ecosystem map: how the texts relate the organisations", "targets": views}
    return Diagram("ecosystem", spec, "How the texts relate the organisations of the ecosystem: each view shows the "
                   "organisations related to one (at the bottom), with the relation in the texts' words. "
                   "Each box links to its entry.", items)


@diagram("delegation")
def delegation(d: DiagramDirective) -> Diagram:
    data = d.data
    text = source_texts(d.env)["norway-germany-agreement"]
    areas = [p for p in text.paragraphs if p.text.startswith("- ")]
    companies = [o for o in data.organisations if o.get("delegation")]
    german = [o for o in data.organisations if o.get("country") == "Germany"]
    spec = {"label": "The Norway–Germany delegation", "sections": [
        {"title": "Norwegian delegation", "class": "kb-box kb-no", "columns": {"wide": 4, "narrow": 2},
         "items": [item(o) for o in companies]},
        {"title": "Focus areas of the agreement, as listed", "class": "kb-box kb-area", "columns": {"wide": 3, "narrow": 1},
         "items": [{"label": p.text.removeprefix("- ")} for p in areas]},
        {"title": "German organisations named in the text", "class": "kb-box kb-de", "columns": {"wide": 3, "narrow": 2},
         "items": [item(o) for o in german]},
    ]}
    items = [
        [nodes.Text("Norwegian delegation: "), *joined(companies), *d.cite(companies[0], "delegation",
                                                                          "norway-germany-agreement#p2")],
        [nodes.Text("Focus areas, as listed: " + "; ".join(p.text.removeprefix("- ") for p in areas)),
         *d.cite(companies[0], "delegation", f"norway-germany-agreement#p{areas[0].number}-{areas[-1].number}")],
        [nodes.Text("The German healthcare players, investors and participants the text names: "), *joined(german),
         *d.cite(german[0], "country", "norway-germany-agreement#p2,p9-10")],
    ]
    return Diagram("delegation", spec, "The delegation to Berlin: the Norwegian companies, the agreement's focus areas "
                   "as listed, and the German healthcare players, investors and participants the text names, side by "
                   "side (the layout is ours: the text does not connect the groups). Each name links to its entry.", items)


def joined(records: list[Record]) -> list[nodes.Node]:
    parts: list[nodes.Node] = []
    for index, record in enumerate(records):
        if index:
            parts.append(nodes.Text(", "))
        parts.append(entity_ref("", display_name(record), target=record["id"]))
    return parts


@diagram("timeline")
def timeline(d: DiagramDirective) -> Diagram:
    """Dated events in order down a line, undated ones apart; the table below the diagram has the details."""
    events = sorted(d.data.events, key=lambda e: e["sort"])
    undated = [e for e in events if e["sort"].startswith("9999")]
    dated = [e for e in events if e not in undated]
    spec = {"label": "Timeline of the events in the texts",
            "dated": [{"when": e["when"], "title": e["title"], "anchor": e["id"]} for e in dated],
            "undated_title": "Not dated in the texts",
            "undated": [{"title": e["title"], "anchor": e["id"]} for e in undated]}
    return Diagram("timeline", spec, "The events of the texts in date order; events the texts do not date are "
                   "apart, at the end. Each links to its row in the table below, with the details and sources.")


@diagram("export-revenue")
def export_revenue(d: DiagramDirective) -> Diagram:
    figures = [d.data.figure(f) for f in ("export-revenue-2021", "export-revenue-2023", "export-target-2030")]
    texts = source_texts(d.env)
    cited: dict[str, set[int]] = {}
    for figure in figures:
        for cite in figure["cites"]:
            text_id, _, paragraph = cite["cite"].partition("#p")
            cited.setdefault(text_id, set()).add(int(paragraph))
    source = "Sources: " + "; ".join(f"{texts[t].title}, ¶ {', '.join(str(p) for p in sorted(ps))}"
                                     for t, ps in cited.items())
    points = [{"year": f["year"], "value": f["nok_billion"], "short": f"{f['nok_billion']:g}",
               "target": f["id"].startswith("export-target"), "anchor": f["id"], "title": f"{f['year']}: {f['value']}"}
              for f in figures]
    spec = {"label": "Export revenue (health industry, or health and life science, as each text says), NOK billion: "
                     "2021 and 2023 actual, 2030 target",
            "title": "Export revenue (scope as each text says)", "unit": "NOK billion", "points": points,
            "actual_label": "Actual", "target_label": "Target", "source": source}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["year", "kind", "nok_billion", "as_stated", "sources"])
    for f in figures:
        writer.writerow([f["year"], "target" if f["id"].startswith("export-target") else "actual", f["nok_billion"],
                         f["value"], " ".join(c["cite"] for c in f["cites"])])
    items = [[nodes.Text(f"{f['year']}{' (target)' if f['id'].startswith('export-target') else ''}: "),
              entity_ref("", f["value"], target=f["id"]),
              *d.cite(f["cites"][0], "quote", f["cites"][0]["cite"], f["cites"][0]["quote"])] for f in figures]
    return Diagram("chart", spec, "Export revenue in 2021 and 2023, and the 2030 target, in NOK billion, on a time "
                   "axis to scale. Each bar links to its key figure.", items, csv=out.getvalue())


@diagram("measures")
def measures(d: DiagramDirective) -> Diagram:
    text = source_texts(d.env)[MEASURES_TEXT]
    themes = []
    items = []
    for theme in d.data.themes:
        members = [m for m in d.data.measures if m["theme"] == theme["id"]]
        themes.append({"title": theme["title"], "anchor": f"theme-{theme['id']}", "measures": [
            {"number": m["number"], "anchor": f"measure-{m['number']}",
             "text": re.sub(r"^\d+\.\s*", "", text.paragraph(m["paragraph"]).text)} for m in members]})
        refs: list[nodes.Node] = [nodes.Text(f"{theme['title']}: ")]
        for index, measure in enumerate(members):
            if index:
                refs.append(nodes.Text(", "))
            refs.append(entity_ref("", f"measure {measure['number']}", target=f"measure-{measure['number']}"))
        items.append(refs)
    spec = {"label": "The fifteen measures by theme", "themes": themes}
    return Diagram("measures", spec, "The fifteen measures, grouped by theme (the grouping is editorial), in the "
                   "launch text's words. Each links to the measure.", items)


@diagram("national-team")
def national_team(d: DiagramDirective) -> Diagram:
    size = d.data.figure("national-team-size")
    large = d.data.figure("segment-large-threshold")
    growth = d.data.figure("segment-growth-range")
    spec = {"label": "The national team and its two segments",
            "team": {"label": f"National team: {size['value']}", "anchor": size["id"], "entry_title": True},
            "children": [
                {"label": f"Segment: {large['value']} export revenue in 2023 (count not stated)", "anchor": large["id"],
                 "entry_title": True},
                {"label": f"Segment: {growth['value']} (count not stated)", "anchor": growth["id"],
                 "entry_title": True},
                {"label": "Also invited: several companies below these thresholds "
                          "(whether they are among the team, the text does not say)", "dashed": True},
            ]}
    items = [[nodes.Text("National team: "), entity_ref("", size["value"], target=size["id"]),
              *d.cite(size["cites"][0], "quote", size["cites"][0]["cite"], size["cites"][0]["quote"])],
             [nodes.Text("First segment, export revenue in 2023: "), entity_ref("", large["value"], target=large["id"]),
              *d.cite(large["cites"][0], "quote", large["cites"][0]["cite"], large["cites"][0]["quote"])],
             [nodes.Text("Second segment: "), entity_ref("", growth["value"], target=growth["id"]),
              *d.cite(growth["cites"][0], "quote", growth["cites"][0]["cite"], growth["cites"][0]["quote"])],
             [nodes.Text("Also invited: several companies with export revenue below these thresholds (whether "
                         "they are among the team, and to what, the text does not say)"),
              *d.cite(size, "value", "national-export-team#p12", "invited several companies with export revenue below this")]]
    return Diagram("team", spec, "The national team and its two segments; the text gives the thresholds, not the "
                   "counts. Each box links to its key figure.", items)


# ---------------------------------------------------------------- writing


def entitle(spec: Any, domain: KnowledgeBaseDomain) -> None:
    """Boxes marked ``entry_title`` take their tooltip from the domain: the entry's title as readers see
    it (plain words, references resolved), never the data's Markdown."""
    if isinstance(spec, dict):
        if spec.pop("entry_title", False):
            spec["title"] = domain.entry_title(spec["anchor"]) or ""
        for value in spec.values():
            entitle(value, domain)
    elif isinstance(spec, list):
        for value in spec:
            entitle(value, domain)


# Set on a page's doctree by resolve_links: whether its stylesheet is needed is then known without a
# second walk over the whole page (on pages with none, next_node(kb_diagram) visited every node).
HAS_DIAGRAMS = "kb_has_diagrams"


def resolve_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Each diagram's entry anchors -> links from this page, through the domain; the chart's CSV written."""
    domain = KnowledgeBaseDomain.of(app.env)
    for node in doctree.findall(kb_diagram):
        doctree[HAS_DIAGRAMS] = True
        hrefs = {}
        for anchor in node["anchors"]:
            uri = domain.entry_uri(app.builder, docname, anchor)
            if uri is None:
                logger.warning(f"diagram {node['name']!r}: no entry {anchor!r} to link to",
                               location=node, type="kb", subtype="diagram")
                continue
            hrefs[anchor] = uri
        node["hrefs"] = hrefs
        entitle(node["spec"], domain)
        if node["csv"] and app.builder.format == "html":
            folder = Path(app.outdir, DATA_DIR)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{node['name']}.csv").write_text(node["csv"], encoding="utf-8")
            here = posixpath.dirname(docname)
            node["csv_href"] = posixpath.relpath(f"{DATA_DIR}/{node['name']}.csv", here or ".")


def visit_kb_diagram_html(translator: Any, node: kb_diagram) -> None:
    translator.body.append(f'<div class="kb-diagram-drawing">{draw(node["kind"], node["spec"], node["hrefs"])}</div>')
    if node["csv_href"]:
        translator.body.append(f'<p class="kb-diagram-download"><a href="{escape(node["csv_href"])}" download>'
                               "Download the chart's data (CSV)</a></p>")
    raise nodes.SkipNode


def skip(translator: Any, node: nodes.Node) -> None:
    raise nodes.SkipNode


def add_diagram_style(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: nodes.document | None) -> None:
    if doctree is not None and doctree.get(HAS_DIAGRAMS):
        app.add_css_file("kb-diagrams.css", priority=600)


def setup(app: Sphinx) -> None:
    app.add_node(kb_diagram, html=(visit_kb_diagram_html, None), latex=(skip, None), text=(skip, None),
                 man=(skip, None), texinfo=(skip, None))
    app.add_directive("kb-diagram", DiagramDirective)
    app.connect("doctree-resolved", resolve_links)
    app.connect("html-page-context", add_diagram_style)
