"""The cross-document data of the knowledge base, owned by one Sphinx domain.

Pages are read in any order and, with ``-j``, in several processes; whatever one page needs to know
about the others (who cites a paragraph, which page shows a source text) lives here, with
``clear_doc`` and ``merge_domaindata`` keeping it right for incremental and parallel builds.
"""

from __future__ import annotations

from collections.abc import Set
from typing import Any, NamedTuple

from docutils import nodes
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment


class Citation(NamedTuple):
    text_id: str
    paragraph: int
    marker_id: str  # the id of the marker on the citing page: target of the backlink


class KnowledgeBaseDomain(Domain):
    name = "kb"
    label = "Knowledge base"
    initial_data: dict[str, Any] = {
        "citations": {},  # docname -> [Citation]
        "source_pages": {},  # text id -> docname of the page that shows it
        "coverage_pages": {},  # docname -> True, for pages that summarise citation coverage
        "entries": {},  # entry anchor (entity, figure, measure, event id) -> docname of its entry
        "mentions": {},  # docname -> sorted entry anchors the page links to
    }

    @staticmethod
    def of(env: BuildEnvironment) -> KnowledgeBaseDomain:
        return env.domains["kb"]  # type: ignore[return-value]

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
        return self.data["entries"]

    def entry_uri(self, builder: Any, fromdocname: str, anchor: str) -> str | None:
        """The link from ``fromdocname`` to an entry (entity, figure, measure, event, theme), or None."""
        page = self.entry_pages.get(anchor)
        if page is None:
            return None
        return builder.get_relative_uri(fromdocname, page) + "#" + anchor

    def note_entry(self, anchor: str, docname: str) -> None:
        self.entry_pages[anchor] = docname

    def clear_doc(self, docname: str) -> None:
        for key in ("citations", "coverage_pages", "mentions"):
            self.data[key].pop(docname, None)
        for key in ("source_pages", "entries"):
            for name, page in list(self.data[key].items()):
                if page == docname:
                    del self.data[key][name]

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for key in ("citations", "coverage_pages", "mentions"):
            for docname in docnames:
                if docname in otherdata[key]:
                    self.data[key][docname] = otherdata[key][docname]
        for key in ("source_pages", "entries"):
            for name, page in otherdata[key].items():
                if page in docnames:
                    self.data[key][name] = page

    def process_doc(self, env: BuildEnvironment, docname: str, document: nodes.document) -> None:
        from .citations import citation_marker  # the marker node belongs to the citations module

        cited = [
            Citation(marker["text_id"], number, marker["ids"][0])
            for marker in document.findall(citation_marker)
            for number in marker["paragraphs"]
        ]
        if cited:
            self.citations[docname] = cited
        from .entities import entity_ref

        mentioned = sorted({ref["target"] for ref in document.findall(entity_ref)})
        if mentioned:
            self.data["mentions"][docname] = mentioned

    def resolve_any_xref(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

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


def pages_with_changed_backlinks(app: Any, env: BuildEnvironment) -> list[str]:
    """Pages whose backlinks changed since the last build: re-written, not re-read (env-get-updated)."""
    domain = KnowledgeBaseDomain.of(env)
    now = {"texts": domain.backlinks_by_text(), "entries": domain.backlinks_by_entry()}
    before: dict[str, Any] = getattr(env, "kb_backlinks_written", {"texts": {}, "entries": {}})
    env.kb_backlinks_written = now
    pages: set[str] = set()
    for text_id in set(now["texts"]) | set(before["texts"]):
        if now["texts"].get(text_id) != before["texts"].get(text_id):
            pages.update([domain.source_pages[text_id]] if text_id in domain.source_pages else [])
            pages.update(domain.coverage_pages)
    for anchor in set(now["entries"]) | set(before["entries"]):
        if now["entries"].get(anchor) != before["entries"].get(anchor) and anchor in domain.entry_pages:
            pages.add(domain.entry_pages[anchor])
    return sorted(pages)
