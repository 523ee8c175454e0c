"""The ``kb`` domain: the one owner of where everything lives and of every link to it.

Pages register objects while they are read: entries (entities, figures, measures, events, themes),
source texts and their paragraphs. Roles (``{e}``, ``{fig}``, ``{measure}``, ``{src}``) and generated
content only ever emit ``pending_xref`` nodes of this domain; :meth:`resolve_xref` turns them into
links with :func:`sphinx.util.nodes.make_refnode`, and :meth:`get_objects` lists every object, so
``objects.inv`` comes from here. Entries and paragraphs are also kept as standard labels, under the
names published since the first edition, so ``{ref}`` and intersphinx keep resolving them.

Pages are read in any order and, with ``-j``, in several processes: each page's registrations are
kept per page, and which page holds an object is decided after the merge, in
:meth:`check_consistency`, in name order, so serial and parallel builds decide (and warn) alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Set
from typing import Any, NamedTuple

from docutils import nodes
from sphinx import addnodes
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.nodes import make_refnode

from .grammar import paragraph_ranges
from .nodes import DOMAIN, citation_marker

logger = logging.getLogger(__name__)

ENTRY_TYPES = ("entity", "figure", "measure", "event", "theme")
SOURCE_TYPES = ("source", "paragraph")
# Labels Sphinx adds for indices this site does not have (no Python domain content): they would
# point at py-modindex.html, which is never written.
UNWRITTEN_LABELS = ("modindex", "py-modindex")


class Citation(NamedTuple):
    text_id: str
    paragraph: int
    marker_id: str  # the id of the marker on the citing page: target of the backlink


class Registration(NamedTuple):
    objtype: str
    name: str
    anchor: str
    title: str
    line: int | None = None


class Location(NamedTuple):
    docname: str
    anchor: str
    title: str


class KnowledgeBaseDomain(Domain):
    name = DOMAIN
    label = "Knowledge base"
    object_types = {
        "entity": ObjType("entity", "e", "entry"),
        "figure": ObjType("figure", "fig", "entry"),
        "measure": ObjType("measure", "measure", "entry"),
        "event": ObjType("event", "entry"),
        "theme": ObjType("theme", "entry"),
        "source": ObjType("source text", "source"),
        "paragraph": ObjType("source paragraph", "src", "paragraph"),
    }
    initial_data: dict[str, Any] = {
        "citations": {},  # docname -> [Citation]
        "registered": {},  # docname -> [Registration], in reading order: what the page says it holds
        "coverage_pages": {},  # docname -> True, for pages that summarise citation coverage
        "mentions": {},  # docname -> sorted entry anchors the page links to
        "prose": {},  # docname -> {Markdown of a data field: (words as parts, cited (text, paragraph))}
        # Decided from "registered" (first page in name order wins), see check_consistency:
        "objects": {},  # (objtype, name) -> Location
        "entries": {},  # entry anchor -> docname
        "source_pages": {},  # text id -> docname of the page that shows it
    }
    data_version = 2
    dangling_warnings = {
        **{objtype: "%(target)r has no entry on any page" for objtype in (*ENTRY_TYPES, "entry")},
        "paragraph": "no page shows the source text of paragraph %(target)r",
        "source": "no page shows source text %(target)r",
    }

    @staticmethod
    def of(env: BuildEnvironment) -> KnowledgeBaseDomain:
        return env.domains[DOMAIN]  # type: ignore[return-value]

    # -- what the pages registered ------------------------------------------------------------------

    @property
    def citations(self) -> dict[str, list[Citation]]:
        return self.data["citations"]

    @property
    def source_pages(self) -> dict[str, str]:
        return self.data["source_pages"]

    @property
    def coverage_pages(self) -> dict[str, bool]:
        return self.data["coverage_pages"]

    @property
    def entry_pages(self) -> dict[str, str]:
        """Entry anchor -> the page that holds the entry (the one answer to "where is it")."""
        return self.data["entries"]

    @property
    def objects(self) -> dict[tuple[str, str], Location]:
        return self.data["objects"]

    def register(self, docname: str, objtype: str, name: str, anchor: str, title: str,
                 line: int | None = None) -> None:
        """Record that ``docname`` holds object ``name``; which page wins is decided after the merge."""
        self.data["registered"].setdefault(docname, []).append(Registration(objtype, name, anchor, title, line))
        self._decide(docname, Registration(objtype, name, anchor, title, line))

    def note_entry(self, anchor: str, docname: str, objtype: str = "entity", title: str = "") -> None:
        self.register(docname, objtype, anchor, anchor, title or anchor)

    def _decide(self, docname: str, reg: Registration) -> None:
        key = (reg.objtype, reg.name)
        if key in self.objects:
            return
        self.objects[key] = Location(docname, reg.anchor, reg.title)
        if reg.objtype in ENTRY_TYPES:
            self.entry_pages.setdefault(reg.anchor, docname)
        elif reg.objtype == "source":
            self.source_pages.setdefault(reg.name, docname)

    def note_prose(self, docname: str, markdown: str, parts: list[Any], cited: list[tuple[str, int]]) -> None:
        """What a data field's Markdown became on ``docname``: its words and the paragraphs it cites."""
        self.data["prose"].setdefault(docname, {})[markdown] = (parts, cited)

    def prose(self, markdown: str, cites_as_text: bool = False) -> tuple[str, list[tuple[str, int]]] | None:
        """A data field's Markdown as shown (plain words, ``{ref}`` as the label's title) and its
        citations; None if no page shows it. ``cites_as_text``: each citation marker as words too,
        "[<text title>, paragraph 2]", for text whose grammar needs it ("counted from the list in …")."""
        for docname in sorted(self.data["prose"]):
            if markdown in self.data["prose"][docname]:
                parts, cited = self.data["prose"][docname][markdown]
                words = " ".join("".join(self._prose_word(part, cites_as_text) for part in parts).split())
                return words.replace("( [", "(["), list(cited)
        return None

    def _prose_word(self, part: str | tuple[str, str], cites_as_text: bool) -> str:
        if isinstance(part, str):
            return part
        kind, value = part
        if kind == "cite":
            if not cites_as_text:
                return ""
            text_id, listed = value.split("#")
            source = self.objects.get(("source", text_id))
            numbers = [int(n) for n in listed.split(",")]
            plural = "s" if len(numbers) > 1 else ""
            return f" [{source.title if source else text_id}, paragraph{plural} {paragraph_ranges(numbers)}]"
        return self.env.domains.standard_domain.labels.get(value, ("", "", value))[2]

    def entry_uri(self, builder: Any, fromdocname: str, anchor: str) -> str | None:
        """The link from ``fromdocname`` to an entry (entity, figure, measure, event, theme), or None."""
        page = self.entry_pages.get(anchor)
        if page is None:
            return None
        return builder.get_relative_uri(fromdocname, page) + "#" + anchor

    def entry_title(self, anchor: str) -> str | None:
        """An entry's title as readers see it (plain words: no Markdown), e.g. for a diagram's tooltip."""
        for objtype in ENTRY_TYPES:
            location = self.objects.get((objtype, anchor))
            if location is not None:
                return location.title
        return None

    def paragraph_uri(self, builder: Any, fromdocname: str, text_id: str, paragraph: int | None = None) -> str | None:
        """The link from ``fromdocname`` to a source text's page, or to one of its paragraphs; or None."""
        page = self.source_pages.get(text_id)
        if page is None:
            return None
        uri = builder.get_relative_uri(fromdocname, page)
        return f"{uri}#p{paragraph}" if paragraph else uri

    # -- incremental and parallel builds -----------------------------------------------------------

    def clear_doc(self, docname: str) -> None:
        for key in ("citations", "coverage_pages", "mentions", "registered", "prose"):
            self.data[key].pop(docname, None)
        for key in ("source_pages", "entries"):
            for name, page in list(self.data[key].items()):
                if page == docname:
                    del self.data[key][name]
        for key, location in list(self.objects.items()):
            if location.docname == docname:
                del self.objects[key]

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in ("citations", "coverage_pages", "mentions", "registered", "prose"):
            for docname in docnames:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]
        for docname in sorted(docnames):
            for reg in otherdata["registered"].get(docname, []):
                self._decide(docname, reg)

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        cited = [
            Citation(marker["text_id"], number, marker["ids"][0])
            for marker in document.findall(citation_marker)
            for number in marker["paragraphs"]
        ]
        if cited:
            self.citations[docname] = cited
        mentioned = sorted({ref["reftarget"] for ref in document.findall(addnodes.pending_xref)
                            if ref.get("refdomain") == DOMAIN and ref.get("reftype") != "paragraph"})
        if mentioned:
            self.data["mentions"][docname] = mentioned

    def check_consistency(self) -> None:
        """After every page is read and merged: every claim but the first (in name order) on an object
        is a duplicate, reported here, so -j and serial builds warn alike."""
        self.decide(report=True)

    def decide(self, report: bool = False) -> None:
        """Decide which page holds each object: the first, in name order, of the pages that claim it."""

        def warn(message: str, location: tuple[str, int | None], subtype: str) -> None:
            if report:
                logger.warning(message, location=location, type="kb", subtype=subtype)
        objects: dict[tuple[str, str], Location] = {}
        entries: dict[str, str] = {}
        sources: dict[str, str] = {}
        anchors: dict[str, tuple[str, str]] = {}  # entry anchor -> (docname, objtype), across entry kinds
        std = self.env.domains.standard_domain
        for docname in sorted(self.data["registered"]):
            for reg in self.data["registered"][docname]:
                location = (docname, reg.line)
                key = (reg.objtype, reg.name)
                if reg.objtype == "source" and key in objects:
                    warn(f"source text {reg.name!r} is already shown on {objects[key].docname!r}", location, "source")
                    continue
                if reg.objtype in ENTRY_TYPES:
                    if reg.anchor in anchors:
                        first, kind = anchors[reg.anchor]
                        warn(f"duplicate {reg.objtype} id {reg.name!r}: the {kind} {reg.name!r} is already on "
                             f"{first!r}", location, "entity")
                        continue
                    anchors[reg.anchor] = (docname, reg.objtype)
                    label = std.anonlabels.get(reg.name)
                    if label is not None and label != (docname, reg.anchor):
                        warn(f"entry id {reg.name!r} is already a label in {label[0]!r}: rename the label or the id",
                             location, "entity")
                        continue
                if key in objects:
                    continue  # a paragraph of a text already placed: reported once, for the text
                objects[key] = Location(docname, reg.anchor, reg.title)
                if reg.objtype in ENTRY_TYPES:
                    entries[reg.anchor] = docname
                elif reg.objtype == "source":
                    sources[reg.name] = docname
        self.data["objects"], self.data["entries"], self.data["source_pages"] = objects, entries, sources
        self.publish_labels()

    def publish_labels(self) -> None:
        """The published ``{ref}``/intersphinx labels of entries and paragraphs, as the domain decided.
        Sphinx's labels for a module index this site never writes are dropped."""
        std = self.env.domains.standard_domain
        for name in UNWRITTEN_LABELS:
            std.labels.pop(name, None)
            std.anonlabels.pop(name, None)
        for (objtype, name), location in self.objects.items():
            if objtype == "source":
                continue
            if std.anonlabels.get(name, (location.docname, location.anchor)) != (location.docname, location.anchor):
                continue  # a hand-written label of that name: reported in check_consistency
            std.labels[name] = (location.docname, location.anchor, location.title)
            std.anonlabels[name] = (location.docname, location.anchor)

    # -- resolving links -----------------------------------------------------------------------------

    def find(self, typ: str, target: str) -> tuple[str, Location] | None:
        """The object a reference of role ``typ`` names: ``entry`` finds any kind of entry."""
        for objtype in ENTRY_TYPES if typ == "entry" else self.objtypes_for_role(typ) or [typ]:
            location = self.objects.get((objtype, target))
            if location is not None:
                return objtype, location
        return None

    def resolve_xref(self, env: BuildEnvironment, fromdocname: str, builder: Any, typ: str, target: str,
                     node: addnodes.pending_xref, contnode: nodes.Element) -> nodes.reference | None:
        found = self.find(typ, target)
        if found is None:
            return None
        objtype, location = found
        # The role's words, without the inline that carried them: <a class="… kb-entity">Name</a>.
        content = list(contnode.children) if isinstance(contnode, nodes.inline) and not contnode["classes"] else contnode
        reference = make_refnode(builder, fromdocname, location.docname, location.anchor, content)
        if objtype in ENTRY_TYPES:
            reference["classes"].append("kb-entity")
        return reference

    def resolve_any_xref(self, env: BuildEnvironment, fromdocname: str, builder: Any, target: str,
                         node: addnodes.pending_xref, contnode: nodes.Element) -> list[tuple[str, nodes.reference]]:
        results = []
        for objtype in self.object_types:
            location = self.objects.get((objtype, target))
            if location is not None:
                reference = make_refnode(builder, fromdocname, location.docname, location.anchor, contnode,
                                         location.title)
                results.append((f"{DOMAIN}:{objtype}", reference))
        return results

    def get_objects(self) -> Iterator[tuple[str, str, str, str, str, int]]:
        # Priority -1: in objects.inv, not in the search index (which the search module builds itself).
        for (objtype, name), location in sorted(self.objects.items()):
            yield name, location.title, objtype, location.docname, location.anchor, -1

    # -- backlinks -----------------------------------------------------------------------------------

    def citing_pages(self, text_id: str, paragraph: int) -> dict[str, str]:
        """Page -> id of its first marker citing that paragraph, pages in name order."""
        pages: dict[str, str] = {}
        for docname in sorted(self.citations):
            for citation in self.citations[docname]:
                if citation.text_id == text_id and citation.paragraph == paragraph:
                    pages.setdefault(docname, citation.marker_id)
        return pages

    def cited_paragraphs(self, text_id: str) -> set[int]:
        return {c.paragraph for cited in self.citations.values() for c in cited if c.text_id == text_id}

    def pages_mentioning(self, anchor: str) -> list[str]:
        return sorted(page for page, anchors in self.data["mentions"].items() if anchor in anchors)

    def backlinks_by_text(self) -> dict[str, list[tuple[str, int, str]]]:
        """What the source pages show as backlinks, per text: compared between builds to re-write only what changed."""
        snapshot: dict[str, list[tuple[str, int, str]]] = {}
        for docname in sorted(self.citations):
            for citation in self.citations[docname]:
                snapshot.setdefault(citation.text_id, []).append((docname, citation.paragraph, citation.marker_id))
        return snapshot

    def backlinks_by_entry(self) -> dict[str, list[str]]:
        return {anchor: self.pages_mentioning(anchor)
                for anchor in sorted({a for anchors in self.data["mentions"].values() for a in anchors})}

    def pages_linking_to(self, anchors: Iterable[str], text_ids: Iterable[str]) -> set[str]:
        """Pages whose links go to any of these entries or source texts: re-written when those move."""
        anchors, text_ids = set(anchors), set(text_ids)
        pages = {page for page, mentioned in self.data["mentions"].items() if anchors.intersection(mentioned)}
        pages |= {page for page, cited in self.citations.items() if any(c.text_id in text_ids for c in cited)}
        return pages


def pages_with_changed_backlinks(app: Any, env: BuildEnvironment) -> list[str]:
    """Pages to re-write (not re-read) since the last build (env-get-updated): those whose backlinks
    changed, and those linking to an entry or text that moved to another page."""
    domain = KnowledgeBaseDomain.of(env)
    domain.decide()  # reported by check_consistency; decided here too, before the environment is saved
    now = {"texts": domain.backlinks_by_text(), "entries": domain.backlinks_by_entry(),
           "places": {"entries": dict(domain.entry_pages), "sources": dict(domain.source_pages)}}
    before: dict[str, Any] = getattr(env, "kb_backlinks_written", {"texts": {}, "entries": {}, "places": {}})
    env.kb_backlinks_written = now
    pages: set[str] = set()
    for text_id in set(now["texts"]) | set(before["texts"]):
        if now["texts"].get(text_id) != before["texts"].get(text_id):
            pages.update([domain.source_pages[text_id]] if text_id in domain.source_pages else [])
            pages.update(domain.coverage_pages)
    for anchor in set(now["entries"]) | set(before["entries"]):
        if now["entries"].get(anchor) != before["entries"].get(anchor) and anchor in domain.entry_pages:
            pages.add(domain.entry_pages[anchor])
    places_before = before.get("places") or {"entries": {}, "sources": {}}
    if places_before["entries"] or places_before["sources"]:
        moved = {a for a in set(now["places"]["entries"]) | set(places_before["entries"])
                 if now["places"]["entries"].get(a) != places_before["entries"].get(a)}
        texts = {t for t in set(now["places"]["sources"]) | set(places_before["sources"])
                 if now["places"]["sources"].get(t) != places_before["sources"].get(t)}
        pages |= domain.pages_linking_to(moved, texts)
    return sorted(page for page in pages if page in env.all_docs)
