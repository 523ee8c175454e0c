"""The quality gate's checks, as functions: the gate tests run them on the real site, and the
gate's own tests run them on copies of it with planted defects, so none of them can silently pass."""

from __future__ import annotations

import json
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from conftest import ROOT

# The axe-core release pinned in the Makefile (AXE_VERSION), fetched and checksummed by `make test-deps`.
AXE_VERSION = re.search(r"^AXE_VERSION := (\S+)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)[1]
AXE = ROOT / ".vendor" / "test" / f"axe-{AXE_VERSION}.min.js"
VNU = ROOT / ".vendor" / "test" / "vnu.jar"
EXTERNAL_LINKS = ROOT / "tests" / "external-links.txt"
VNU_FILTERS = ROOT / "tests" / "vnu-filters.txt"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]  # WCAG 2.2 AA: target size (2.5.8)


# --- In the browser ------------------------------------------------------------------------------

def page_findings(page, visit, width: int) -> list[str]:
    """What a visit may not do: errors, failed or foreign requests, sideways scrolling on a phone."""
    findings = visit.problems()
    if width <= 400:
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        if overflow > 1:
            findings.append(f"scrolls sideways by {overflow}px")
    return findings


def axe_violations(page) -> list[str]:
    # Evaluated through the browser's debugging protocol, which our Content Security Policy (rightly)
    # does not cover: a <script> tag with axe inline would be refused.
    # Colours are measured at rest: a transition still running (the theme fades colours when the mode is
    # applied) would be measured half-way.
    page.evaluate("document.getAnimations().forEach((animation) => animation.finish())")
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {', '.join(n['target'][0] for n in v['nodes'][:3])}"
            for v in result["violations"]]


# --- On the files ----------------------------------------------------------------------------------

class LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name in ("id", "name") if tag == "a" else ("id",):
            if attributes.get(name):
                self.ids.add(attributes[name])
        for name in ("href", "src"):
            value = attributes.get(name)
            if value and not (tag == "link" and attributes.get("rel") in {"canonical", "alternate"}):
                self.links.append(value)


def allowed_external_links() -> set[str]:
    lines = EXTERNAL_LINKS.read_text(encoding="utf-8").splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def broken_links(site: Path, hosted_only: set[str] = frozenset()) -> list[str]:
    """Every href and src, fragments included, against the files and their ids; external ones allowlisted."""
    parsed: dict[Path, LinkCollector] = {}

    def parse(path: Path) -> LinkCollector:
        if path not in parsed:
            collector = LinkCollector()
            collector.feed(path.read_text(encoding="utf-8"))
            parsed[path] = collector
        return parsed[path]

    allowed = allowed_external_links()
    broken = []
    for page in sorted(site.rglob("*.html")):
        relative = page.relative_to(site).as_posix()
        if relative in hosted_only:
            continue
        for link in parse(page).links:
            url = urlparse(link)
            if url.scheme in {"http", "https"} or link.startswith("//"):
                if not any(link.startswith(prefix) for prefix in allowed):
                    broken.append(f"{relative}: external link {link} is not in {EXTERNAL_LINKS.name}")
                continue
            if url.scheme in {"mailto", "data", "javascript"}:
                continue
            target = page if not url.path else (page.parent / unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{relative}: {link} -> missing file")
                continue
            if url.fragment and target.suffix == ".html" and unquote(url.fragment) not in parse(target).ids:
                broken.append(f"{relative}: {link} -> missing anchor #{url.fragment}")
    return broken


def vnu_filters() -> list[tuple[re.Pattern[str], str]]:
    filters = []
    for line in VNU_FILTERS.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            pattern, _, reason = line.partition("  # ")
            filters.append((re.compile(pattern.strip()), reason.strip()))
    return filters


def html_errors(pages: list[Path]) -> list[str]:
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json", *map(str, pages)],
                            capture_output=True, text=True, check=False)
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    filters = vnu_filters()
    return [f"{unquote(urlparse(m['url']).path)}:{m.get('lastLine', '?')}: {m['message']}"
            for m in messages if not any(f.search(m["message"]) for f, _ in filters)]
