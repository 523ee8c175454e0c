"""Shared fixtures: one real, strict build of the site and one Chromium for the whole run."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from scripts.project_copy import copy_project  # noqa: F401  (re-exported for the tests)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]

pytest_plugins = ["sphinx.testing.fixtures"]


def sphinx_build(project: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """The strict build, exactly as `make html` runs it, of the project at `project`."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "1700000000"),
           "PYTHONHASHSEED": "0"}
    command = [sys.executable, "-m", "sphinx", "-M", "html", str(project / "docs"), str(out), "-c", str(project),
               "-W", "--keep-going", "-n", "-E", *extra]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=project, check=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    result = sphinx_build(ROOT, out)
    assert result.returncode == 0, f"strict build failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    return out / "html"


# True once every diagram on the page is there as SVG (drawn at build time: at once; none on the page: at once).
DIAGRAMS_DRAWN = "[...document.querySelectorAll('figure.kb-diagram')].every((f) => f.querySelector('svg'))"

# 404.html is served by the web server for any missing address, at any depth, so its links are
# root-absolute (/_static/...): it is meant for the hosted site, not for reading from disk.
HOSTED_ONLY_PAGES = {"404.html"}


@pytest.fixture(scope="session")
def html_pages(built_site: Path) -> list[Path]:
    return sorted(p for p in built_site.rglob("*.html")
                  if "_static" not in p.parts and p.relative_to(built_site).as_posix() not in HOSTED_ONLY_PAGES)


@dataclass
class Visit:
    """What one page visit did: console errors, uncaught exceptions and requests we refused."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [*self.console_errors, *self.page_errors,
                *(f"request left file://: {u}" for u in self.blocked_requests),
                *(f"request failed: {u}" for u in self.failed_requests)]


def left_behind(request: object) -> bool:
    """A page that redirects (our moved-page stubs) aborts its own load: not a failure."""
    return request.is_navigation_request() and request.failure == "net::ERR_ABORTED"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, which installs Debian's chromium")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def open_page(browser: object) -> Iterator[object]:
    """Open a page of ours (file:// or our loopback server) in a fresh context; any other request is
    aborted and recorded."""
    contexts = []

    def opener(url: str, *, width: int = 1280, color_scheme: str = "light", touch: bool = False,
               clipboard: bool = False):
        context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=color_scheme,
                                      has_touch=touch, is_mobile=touch)
        contexts.append(context)
        if clipboard:
            context.grant_permissions(["clipboard-read", "clipboard-write"])
        visit = Visit()

        def route(route_):
            if route_.request.url.startswith(("file://", "http://127.0.0.1:")):
                route_.continue_()
            else:
                visit.blocked_requests.append(route_.request.url)
                route_.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: visit.page_errors.append(str(e)))
        page.on("requestfailed", lambda r: visit.failed_requests.append(r.url)
                if r.url.startswith(("file://", "http://127.0.0.1:")) and not left_behind(r) else None)
        page.goto(url, wait_until="load")
        return page, visit

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def http_site(built_site: Path) -> Iterator[str]:
    """The built site over http:// on a free loopback port, for the length of the run."""
    import functools
    import http.server
    import threading

    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
