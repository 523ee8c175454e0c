"""Machine-readable data: the knowledge base as versioned JSON, with its JSON Schema, in ``_data/``.

Written when an HTML build finishes, from the same data and citations the pages show; each record
carries its canonical URL. Prose fields are given as plain text (roles resolved to their words).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from .citations import TARGET_RE, parse_paragraphs
from .data import KnowledgeBaseData, Record
from .domain import KnowledgeBaseDomain
from .entities import MEASURES_TEXT, directory_of, display_name
from .state import kb_data, source_texts

SCHEMA_VERSION = "1.0.0"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "data" / "schema" / "knowledge-base.schema.json"
EXPORT_DIR = "_data"
ROLE = re.compile(r"\{(?P<role>[a-z]+)\}`(?P<body>[^`]*)`")


def plain(text: str, data: KnowledgeBaseData) -> str:
    """Markdown from the data as plain text: citations dropped, references replaced by their words."""
    entities = data.entities()

    def words(match: re.Match[str]) -> str:
        role, body = match["role"], match["body"]
        explicit = re.match(r"^(.*?)\s*<([^<>]+)>$", body)
        if role == "src":
            return ""
        if role == "ref":
            return "the notes on the sources"
        if explicit:
            return explicit[1]
        if role == "e":
            return display_name(entities[body])
        if role == "fig":
            return data.figure(body)["value"]
        if role == "measure":
            return f"measure {body}"
        return body

    text = ROLE.sub(words, text)
    text = re.sub(r"\[([^\]]+)\]\{[^}]*\}", r"\1", text)  # [words]{.class}
    text = re.sub(r"\s*,\s*\)", ")", text)  # "(figures, {src}…)" without the citation
    return " ".join(text.replace("**", "").split())


def citation_list(value: str) -> list[dict[str, Any]]:
    match = TARGET_RE.match(value)
    return [{"source": match["text"], "paragraph": n} for n in parse_paragraphs(match["paras"])] if match else []


def cites_in(text: str, data: KnowledgeBaseData) -> list[dict[str, Any]]:
    """The paragraphs a piece of Markdown cites: its {src} roles, and the first citation of each {fig}."""
    found = []
    for match in ROLE.finditer(text):
        target = re.sub(r"^.*<([^<>]+)>$", r"\1", match["body"])
        if match["role"] == "src":
            found.extend(citation_list(target))
        elif match["role"] == "fig" and data.figure(target).get("cites"):
            found.extend(citation_list(data.figure(target)["cites"][0]["cite"]))
    return found


def export(app: Sphinx, exception: Exception | None) -> None:
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

    def names(record: Record) -> list[dict[str, Any]]:
        return [{"name": n["name"], **citation_list(n["cite"])[0]} for n in record["names"]]

    def facts(record: Record, key: str = "facts") -> list[dict[str, Any]]:
        return [{"text": plain(f, data), "citations": cites_in(f, data)} for f in record.get(key, [])]

    organisations = [{
        "id": o["id"], "url": entry_url(o["id"]), "name": display_name(o), "names": names(o),
        "kind": o["kind"], "country": o.get("country"), "directory": directory_of(o),
        "relations": [{"to": r["to"], "label": r["label"], "citations": citation_list(r["cite"])}
                      for r in o.get("relations", [])],
        "facts": facts(o),
    } for o in data.organisations]
    people = [{
        "id": p["id"], "url": entry_url(p["id"]), "name": display_name(p), "names": names(p),
        "roles": [{"role": r["role"], **citation_list(r["cite"])[0]} for r in p.get("roles", [])],
        "affiliations": p.get("affiliations", []), "facts": facts(p),
    } for p in data.people]
    figures = [{
        "id": f["id"], "url": entry_url(f["id"]), "value": f["value"], "usd": f.get("usd"),
        "year": str(f["year"]) if "year" in f else None, "meaning": plain(f["meaning"], data),
        "computed": plain(f["computed"], data) if "computed" in f else None,
        "nok_billion": f.get("nok_billion"),
        "citations": [{**citation_list(c["cite"])[0], "quote": c["quote"]} for c in f.get("cites", [])],
    } for f in data.figures]
    events = [{
        "id": e["id"], "url": entry_url(e["id"]), "when": e["when"], "sort": e["sort"], "title": e["title"],
        "description": " ".join(plain(b, data) for b in e["body"]),
        "citations": [c for b in e["body"] for c in cites_in(b, data)],
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
    shutil.copyfile(SCHEMA_FILE, out / "knowledge-base.schema.json")


def setup(app: Sphinx) -> None:
    app.connect("build-finished", export)
