"""The key figures as data: ``_data/key-figures.csv`` and ``_data/key-figures.json``, from ``data/figures.yaml``.

One row per figure and source paragraph (a figure stated by two texts has two rows; a figure the
editors computed has one row, without source, with how it was computed). The columns are described
in ``data/schema/key-figures.schema.json``, published beside the files. ``{key-figures-downloads}``
links them from the key-figures page. Written when the HTML build finishes, from the same data the
page shows, so the files and the page cannot disagree.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from ..domain import KnowledgeBaseDomain
from ..entities import computation
from ..grammar import parse_target
from ..state import kb_data, source_texts
from .cite import edition_date

EXPORT_DIR = "_data"
SCHEMA_FILE = Path(__file__).resolve().parents[2] / "data" / "schema" / "key-figures.schema.json"
COLUMNS = ("id", "value", "amount", "unit", "usd", "year", "meaning", "computed", "computation",
           "source", "source_title", "paragraph", "quote", "paragraph_url", "url")
NUMBER = r"(\d+(?:\.\d+)?)"
UNITS = [  # (pattern on the value as stated, unit); the first that matches wins
    (re.compile(rf"^(?:about |over |more than |roughly )?NOK {NUMBER} (billion|million)$"), "NOK {1}"),
    (re.compile(r"^NOK [\d.]+ to [\d.]+ (billion|million)$"), "NOK {0}"),
    (re.compile(rf"^(?:about )?{NUMBER} (per cent|times)$"), "{1}"),
    (re.compile(rf"^(?:more than )?{NUMBER} ([a-z]+)$"), "{1}"),
    (re.compile(rf"^{NUMBER}$"), ""),
]


def amount_and_unit(value: str) -> tuple[str, str]:
    """The number and unit of a figure as stated ("NOK 22 billion" -> "22", "NOK billion"); a figure
    stated in words ("Thirty", "two-thirds") keeps its words in ``value`` and has no amount."""
    for pattern, unit in UNITS:
        match = pattern.match(value)
        if match:
            groups = match.groups()
            amount = groups[0] if groups and re.fullmatch(NUMBER, groups[0]) else ""
            return amount, unit.format(*groups)
    return "", ""


def rows(app: Sphinx) -> list[dict[str, Any]]:
    data = kb_data(app.env)
    texts = source_texts(app.env)
    domain = KnowledgeBaseDomain.of(app.env)
    base = app.config.html_baseurl

    def plain(markdown: str) -> str:  # as the pages show it (the domain keeps the parsed words)
        shown = domain.prose(markdown)
        return shown[0] if shown else ""

    result = []
    for figure in data.figures:
        amount, unit = amount_and_unit(figure["value"])
        page = domain.entry_pages.get(figure["id"])
        common = {
            "id": figure["id"], "value": figure["value"], "amount": amount, "unit": unit,
            "usd": figure.get("usd", ""), "year": str(figure.get("year", "")),
            "meaning": plain(figure["meaning"]), "computed": "computed" in figure,
            "computation": computation(domain, figure) or "",
            "url": f"{base}{page}.html#{figure['id']}" if page else "",
        }
        if "computed" in figure or not figure.get("cites"):
            result.append({**common, "source": "", "source_title": "", "paragraph": "", "quote": "",
                           "paragraph_url": ""})
            continue
        for cite in figure["cites"]:
            text_id, paragraphs = parse_target(cite["cite"])
            for paragraph in paragraphs:
                source_page = domain.source_pages.get(text_id)
                result.append({
                    **common, "source": text_id, "source_title": texts[text_id].title, "paragraph": paragraph,
                    "quote": cite["quote"],
                    "paragraph_url": f"{base}{source_page}.html#p{paragraph}" if source_page else "",
                })
    return result


def to_csv(table: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in table:
        writer.writerow({**row, "computed": "true" if row["computed"] else "false"})
    return out.getvalue()


def write_files(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name not in {"html", "singlehtml"}:
        return
    table = rows(app)
    out = Path(app.outdir, EXPORT_DIR)
    out.mkdir(exist_ok=True)
    (out / "key-figures.csv").write_text(to_csv(table), encoding="utf-8", newline="")
    document = {"$schema": "key-figures.schema.json", "site": app.config.html_baseurl, "edition": edition_date(),
                "columns": list(COLUMNS), "figures": table}
    (out / "key-figures.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                                          encoding="utf-8")
    shutil.copyfile(SCHEMA_FILE, out / "key-figures.schema.json")


class KeyFiguresDownloadsDirective(SphinxDirective):
    """Links to the key figures as CSV and JSON, and to the schema that describes their columns."""

    def run(self) -> list[nodes.Node]:
        prefix = "../" * self.env.current_document.docname.count("/") + EXPORT_DIR + "/"
        para = nodes.paragraph(classes=["kb-data-downloads"])
        para += nodes.Text("The table as data: ")
        for position, (name, label) in enumerate((("key-figures.csv", "CSV"), ("key-figures.json", "JSON"),
                                                  ("key-figures.schema.json", "the columns described"))):
            if position:
                para += nodes.Text(", " if position < 2 else "; ")
            para += nodes.reference("", label, refuri=prefix + name, classes=["kb-download"])
        para += nodes.Text(". One row per figure and source paragraph; computed figures are flagged.")
        return [para]


def setup(app: Sphinx) -> None:
    app.add_directive("key-figures-downloads", KeyFiguresDownloadsDirective)
    app.connect("build-finished", write_files)
