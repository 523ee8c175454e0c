"""List every public URL and anchor of a built site, one per line: the published-URL contract.

Usage: python -m scripts.published_urls _build/html > published-urls.txt   (or `make urls`)

Public: every page, and every id in a page's article (sections, entries, measures, figures,
events, source paragraphs, glossary terms, diagrams), except ids that Sphinx or our citation
numbering generate and that may change with any edit (cite-N, ref-..., idN, index-N), and the ids
of the directories' filter (a form control, not a place in the text).
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

UNSTABLE_ID = re.compile(r"^(cite-\d+|ref-.+|id\d+|index-\d+|kb-dir-filter|kb-dir-count)$")
SKIPPED_PAGES = {"search.html", "genindex.html"}
HEADER = """\
# The published-URL contract of the Norway Health Export Knowledge Base.
# Every URL below, relative to the site root, must keep resolving: a test fails when one is no
# longer in the build. To move or rename a page, add a redirect in conf.py (`redirects`); to
# retire an anchor, keep an element with that id. After adding pages or anchors, run `make urls`.
"""


class IdCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth_in_article = 0
        self.ids: list[str] = []
        self.has_article = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "article" and "bd-article" in (attributes.get("class") or ""):
            self.depth_in_article = 1
            self.has_article = True
            return
        if self.depth_in_article:
            if tag not in {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "source"}:
                self.depth_in_article += 1
            if attributes.get("id"):
                self.ids.append(attributes["id"])

    def handle_endtag(self, tag: str) -> None:
        if self.depth_in_article:
            self.depth_in_article -= 1


def page_urls(site: Path, page: Path) -> list[str]:
    relative = page.relative_to(site).as_posix()
    collector = IdCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    anchors = [i for i in dict.fromkeys(collector.ids) if not UNSTABLE_ID.match(i)]
    return [relative, *(f"{relative}#{anchor}" for anchor in anchors)]


def published_urls(site: Path) -> list[str]:
    urls: list[str] = []
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        if relative.startswith("_") or relative in SKIPPED_PAGES:
            continue
        urls.extend(page_urls(site, page))
    return urls


def main() -> None:
    site = Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html")
    if not (site / "index.html").is_file():
        sys.exit(f"{site}/index.html not found: build the site first (make html)")
    sys.stdout.write(HEADER + "\n".join(published_urls(site)) + "\n")


if __name__ == "__main__":
    main()
