"""Machine-readable data: the knowledge base as versioned JSON, with its JSON Schema, in ``_data/``.

Written when an HTML build finishes, from the same data and citations the pages show; each record
carries its canonical URL. Prose fields are given as plain text (roles resolved to their words).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.util import logging

from .grammar import parse_target
from .data import Record
from .domain import KnowledgeBaseDomain
from .entities import MEASURES_TEXT, computation
from .kinds import display_name, kind_of
from .state import kb_data, source_texts

logger = logging.getLogger(__name__)

SCHEMA_VERSION = "1.0.0"
EXPORT_DIR = "_data"


def cited(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"source": text_id, "paragraph": paragraph} for text_id, paragraph in pairs]


def export(app: Sphinx, exception: BaseException | None) -> None:  # noqa: C901 (one record shape per kind)
    # The single-page edition ships the same export (URLs of the published site), so its links resolve.
    if exception is not None or app.builder.name not in {"html", "singlehtml"}:
        return
    env = app.env
    data = kb_data(env)
    texts = source_texts(env)
    domain = KnowledgeBaseDomain.of(env)
    base = app.config.html_baseurl

    def url(docname: str, anchor: str = "") -> str:
        return base + docname + ".html" + (f"#{anchor}" if anchor else "")

    def entry_url(anchor: str) -> str:
        return url(domain.entry_pages[anchor], anchor)

    def shown(markdown: str) -> tuple[str, list[tuple[str, int]]]:
        """A Markdown field as the pages show it: from the parsed nodes the domain kept, never re-parsed."""
        found = domain.prose(markdown)
        if found is None:
            logger.warning(f"no page shows {markdown[:60]!r}: left out of the export", type="kb", subtype="export")
            return "", []
        return found

    def plain(markdown: str) -> str:
        return shown(markdown)[0]

    def cites_in(markdown: str) -> list[dict[str, Any]]:
        return cited(shown(markdown)[1])

    def citation_list(target: str) -> list[dict[str, Any]]:
        """A data field's citation (``text#p3`` or ``text#p3-5``), as the domain's citation records read it."""
        text_id, paragraphs = parse_target(target)  # checked when the data was loaded
        return cited([(text_id, n) for n in paragraphs])

    def names(record: Record) -> list[dict[str, Any]]:
        return [{"name": n["name"], **citation_list(n["cite"])[0]} for n in record["names"]]

    def facts(record: Record, key: str = "facts") -> list[dict[str, Any]]:
        return [{"text": plain(f), "citations": cites_in(f)} for f in record.get(key, [])]

    organisations = [{
        "id": o["id"], "url": entry_url(o["id"]), "name": display_name(o), "names": names(o),
        "kind": o["kind"], "country": o.get("country"), "directory": kind_of(o).name,
        "relations": [{"to": r["to"], "label": r["label"], "citations": citation_list(r["cite"])}
                      for r in o.get("relations", [])],
        "facts": facts(o),
    } for o in data.organisations]
    people = [{
        "id": p["id"], "url": entry_url(p["id"]), "name": display_name(p), "names": names(p),
        "country": p.get("country"),
        "roles": [{"role": r["role"], **citation_list(r["cite"])[0]} for r in p.get("roles", [])],
        "affiliations": p.get("affiliations", []), "facts": facts(p),
    } for p in data.people]
    figures = [{
        "id": f["id"], "url": entry_url(f["id"]), "value": f["value"], "usd": f.get("usd"),
        "year": str(f["year"]) if "year" in f else None, "meaning": plain(f["meaning"]),
        "computed": computation(domain, f),
        "nok_billion": f.get("nok_billion"),
        "citations": [{**citation_list(c["cite"])[0], "quote": c["quote"]} for c in f.get("cites", [])],
    } for f in data.figures]
    events = [{
        "id": e["id"], "url": entry_url(e["id"]), "when": e["when"], "sort": e["sort"], "title": e["title"],
        "description": " ".join(plain(b) for b in e["body"]),
        "citations": [c for b in e["body"] for c in cites_in(b)],
    } for e in sorted(data.events, key=lambda e: e["sort"])]
    launch = texts.get(MEASURES_TEXT)
    measures = [] if launch is None else [{
        "number": m["number"], "url": entry_url(f"measure-{m['number']}"),
        "text": launch.paragraph(m["paragraph"]).text.removeprefix(f"{m['number']}. "),
        "theme": m["theme"], "citations": [{"source": launch.id, "paragraph": m["paragraph"]}],
    } for m in data.measures]
    sources = [{
        "id": t.id, "url": url(domain.source_pages[t.id]), "title": t.title, "title_editorial": t.title_editorial,
        "author": t.author, "publisher": t.publisher, "date": t.date, "original_file": t.original_file,
        "sha256": t.sha256, "paragraphs": len(t.paragraphs),
    } for t in texts.values() if t.id in domain.source_pages]
    citations = [{"page": url(docname), "source": text_id, "paragraph": paragraph,
                  "paragraph_url": url(domain.source_pages[text_id], f"p{paragraph}")}
                 for docname in sorted(domain.citations)
                 for text_id, paragraph in sorted({(c.text_id, c.paragraph) for c in domain.citations[docname]})]
    document = {
        "$schema": "knowledge-base.schema.json", "schema_version": SCHEMA_VERSION, "site": base,
        "sources": sources, "organisations": organisations, "people": people, "figures": figures,
        "events": events, "measures": measures, "citations": citations,
    }
    out = Path(app.outdir, EXPORT_DIR)
    out.mkdir(exist_ok=True)
    (out / "knowledge-base.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    shutil.copyfile(Path(app.confdir, app.config.kb_schema), out / "knowledge-base.schema.json")


def setup(app: Sphinx) -> None:
    app.connect("build-finished", export)
