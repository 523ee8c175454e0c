"""The repository's nginx configuration, run for real on a loopback port against the real build:
headers, the Content Security Policy (in Chromium, on every page), compression, caching, content
types, the 404 page and the redirects."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import brotli

import pytest

from conftest import DIAGRAMS_DRAWN, ROOT

sys.path.insert(0, str(ROOT / "deploy"))
import nginx_local  # noqa: E402

sys.path.insert(0, str(ROOT))
from kb_ext.site.hosting import header_policy  # noqa: E402

REDIRECTS = {"/measures.html": "/export-initiative.html#measures",
             "/fifteen-measures.html": "/export-initiative.html#measures",
             "/directory/organizations.html": "/directory/organisations.html"}


@pytest.fixture(scope="module")
def served(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """A copy of the build (plus a file of each download type) behind nginx."""
    build = tmp_path_factory.mktemp("nginx-build")
    shutil.copytree(built_site, build / "html")
    shutil.copytree(built_site.parent / "nginx", build / "nginx")
    (build / "html" / "downloads").mkdir()
    (build / "html" / "downloads" / "edition.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (build / "html" / "downloads" / "edition.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (build / "html" / "_static" / "module.mjs").write_text("export const answer = 42;\n", encoding="utf-8")
    port = nginx_local.free_port()
    process = nginx_local.start(build, port, tmp_path_factory.mktemp("nginx-run"))
    yield port, build / "html"
    process.terminate()
    process.wait(timeout=10)


def get(port: int, path: str, **headers: str) -> tuple[http.client.HTTPResponse, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


def test_security_headers_on_pages_assets_errors_and_redirects(served: tuple[int, Path]) -> None:
    port, _ = served
    for path in ("/", "/glossary.html", "/_static/kb.css", "/no-such-page.html", "/measures.html"):
        response, _ = get(port, path)
        assert response.getheader("Content-Security-Policy") == header_policy(), path
        assert response.getheader("X-Content-Type-Options") == "nosniff", path
        assert response.getheader("Referrer-Policy") == "strict-origin-when-cross-origin", path
        assert response.getheader("Permissions-Policy"), path
        assert response.getheader("X-Frame-Options") == "DENY", path
        assert not response.getheader("Server", "").startswith("nginx/"), "version disclosed"


SECURITY_HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "Permissions-Policy",
                    "X-Frame-Options")


@pytest.mark.parametrize(("path", "headers", "status"), [
    ("/glossary.html", {}, 200),
    ("/glossary.html", {"Accept-Encoding": "gzip"}, 200),
    ("/glossary.html", {"Range": "bytes=0-9"}, 206),
    ("/glossary.html", {"Range": "bytes=99999999-"}, 416),
    ("/_static/kb.css", {"Range": "bytes=99999999-"}, 416),
    ("/downloads/edition.pdf", {"Range": "bytes=99999999-"}, 416),
    ("/_static/kb.css", {}, 200),
    ("/downloads/edition.zip", {}, 200),
    ("/no-such-page.html", {}, 404),
    ("/measures.html", {}, 301),
])
def test_each_security_header_exactly_once(served: tuple[int, Path], path: str, headers: dict[str, str],
                                           status: int) -> None:
    """nginx runs its header filters a second time for a 416 (range not satisfiable): the headers
    must not be added twice."""
    port, _ = served
    response, _ = get(port, path, **headers)
    assert response.status == status, path
    names = [name.lower() for name, _ in response.getheaders()]
    for header in (*SECURITY_HEADERS, "Cache-Control"):
        expected = 0 if header == "Cache-Control" and status == 301 else 1
        assert names.count(header.lower()) in ({1} if expected else {0, 1}), (path, status, header, names)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as stopped.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[-1][:1] != "Z"


def served_by(wrapper: int, port: int) -> tuple[int, Path]:
    """(nginx master's pid, its prefix folder) once the wrapper's nginx answers on the port."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            get(port, "/")
        except OSError:
            time.sleep(0.1)
            continue
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().split(") ")[-1].split()
                # nginx rewrites its command line into one string: "nginx: master process … -p DIR …"
                command = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").split()
            except OSError:
                continue
            if int(fields[1]) == wrapper and b"-p" in command:
                return int(stat.parent.name), Path(command[command.index(b"-p") + 1].decode())
    raise AssertionError("the wrapper's nginx never answered")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_local_wrapper_stops_nginx_and_cleans_up_when_signalled(served: tuple[int, Path],
                                                                    signum: signal.Signals) -> None:
    """Started in the background by a shell (which makes it ignore SIGINT), then stopped with a
    signal: nginx must stop, the port close and the temporary folder go."""
    _, site = served
    port = nginx_local.free_port()
    shell = subprocess.Popen(
        ["bash", "-c", f'"{sys.executable}" "{ROOT / "deploy" / "nginx_local.py"}" "{site.parent}" {port} & '
                       'echo "wrapper $!"; wait'],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    nginx_pid = None
    try:
        wrapper = int(shell.stdout.readline().split()[1])
        nginx_pid, work = served_by(wrapper, port)
        assert alive(nginx_pid)
        os.kill(wrapper, signum)
        shell.wait(timeout=15)
        deadline = time.monotonic() + 5
        while alive(nginx_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(nginx_pid), f"nginx still runs after {signum.name} to the wrapper"
        assert not work.exists(), f"{work} left behind after {signum.name}"
        with pytest.raises(OSError):
            get(port, "/")
    finally:
        if shell.poll() is None:
            os.killpg(shell.pid, signal.SIGKILL)
            shell.wait()
        if nginx_pid and alive(nginx_pid):  # left running by a broken wrapper: not by the test run too
            os.kill(nginx_pid, signal.SIGQUIT)


def test_the_policy_is_strict_and_the_pages_carry_it(served: tuple[int, Path]) -> None:
    port, _ = served
    policy = header_policy()
    script_src = re.search(r"script-src ([^;]+)", policy)[1]
    assert script_src.split() == ["'self'"], script_src
    assert "unsafe-eval" not in policy and "frame-ancestors 'none'" in policy
    _, body = get(port, "/glossary.html")
    meta = re.search(rb'<meta http-equiv="Content-Security-Policy" content="([^"]+)"', body)
    assert meta is not None
    assert meta[1].decode() == policy.replace("; frame-ancestors 'none'", "")


def test_status_codes_index_and_404_page(served: tuple[int, Path]) -> None:
    port, _ = served
    response, body = get(port, "/")
    assert response.status == 200 and b"<title>Norway Health Export Knowledge Base" in body
    response, body = get(port, "/directory/")
    assert response.status == 200 and b"Directory" in body
    for missing in ("/no-such-page.html", "/deep/no/such/page", "/.buildinfo", "/404.html"):
        response, body = get(port, missing)
        assert response.status == 404, missing
        assert b"There is no page at this address" in body, missing
    response, _ = get(port, "/glossary.html")
    assert response.status == 200


def test_redirects_of_the_url_contract(served: tuple[int, Path]) -> None:
    port, _ = served
    for old, new in REDIRECTS.items():
        response, _ = get(port, old)
        assert response.status == 301 and response.getheader("Location") == new, old
        target, _ = get(port, new.split("#")[0])
        assert target.status == 200, new


def test_compression(served: tuple[int, Path]) -> None:
    port, _ = served
    for path in ("/glossary.html", "/_static/kb.css", "/_static/kb-diagrams.css", "/_static/kb-search-index.js",
                 "/_data/knowledge-base.json"):  # (the favicon is under gzip_min_length)
        response, body = get(port, path, **{"Accept-Encoding": "gzip"})
        assert response.getheader("Content-Encoding") == "gzip", path
        assert "Accept-Encoding" in response.getheader("Vary", ""), path
        assert gzip.decompress(body), path
    response, body = get(port, "/glossary.html")
    assert response.getheader("Content-Encoding") is None and body.startswith(b"\n<!DOCTYPE html>")


def test_ready_made_gzip_served_with_content_length(served: tuple[int, Path]) -> None:
    """nginx sends the build's own .gz (gzip_static): the very bytes of the file, with a Content-Length,
    not compressed on the fly (which is chunked, without one); a client without gzip gets the file."""
    port, site = served
    for path in ("/glossary.html", "/_static/styles/theme.css", "/_static/kb-ui.js", "/_static/kb-search-index.js",
                 "/_data/knowledge-base.json", "/sitemap.xml", "/"):
        local = site / (path.lstrip("/") or "index.html")
        response, body = get(port, path, **{"Accept-Encoding": "gzip"})
        assert response.getheader("Content-Encoding") == "gzip", path
        assert response.getheader("Content-Length") == str(len(body)), f"{path}: no Content-Length"
        assert body == local.with_name(local.name + ".gz").read_bytes(), f"{path}: compressed on the fly"
        response, body = get(port, path)
        assert response.getheader("Content-Encoding") is None and body == local.read_bytes(), path


def test_ready_made_brotli_for_browsers_that_accept_it(served: tuple[int, Path]) -> None:
    """A browser that accepts Brotli (as every current one does over HTTPS) gets the build's own .br
    (brotli_static), with a Content-Length and Vary; one that accepts only gzip still gets the .gz."""
    port, site = served
    for path in ("/glossary.html", "/_static/styles/theme.css", "/_static/kb-search-index.js",
                 "/_data/knowledge-base.json", "/"):
        local = site / (path.lstrip("/") or "index.html")
        response, body = get(port, path, **{"Accept-Encoding": "gzip, deflate, br"})
        assert response.getheader("Content-Encoding") == "br", path
        assert response.getheader("Content-Length") == str(len(body)), f"{path}: no Content-Length"
        assert "Accept-Encoding" in response.getheader("Vary", ""), path
        assert body == local.with_name(local.name + ".br").read_bytes(), path
        assert brotli.decompress(body) == local.read_bytes(), path
        response, body = get(port, path, **{"Accept-Encoding": "gzip"})
        assert response.getheader("Content-Encoding") == "gzip", path


def test_content_types(served: tuple[int, Path]) -> None:
    port, _ = served
    expected = {"/glossary.html": "text/html", "/_static/kb.css": "text/css",
                "/_static/kb-mode.js": "application/javascript", "/_static/module.mjs": "text/javascript",
                "/_data/knowledge-base.json": "application/json", "/_static/favicon.svg": "image/svg+xml",
                "/_static/share-card.png": "image/png", "/downloads/edition.zip": "application/zip",
                "/downloads/edition.pdf": "application/pdf", "/objects.inv": "application/octet-stream"}
    for path, content_type in expected.items():
        response, _ = get(port, path)
        assert response.status == 200, path
        assert response.getheader("Content-Type", "").split(";")[0] == content_type, path


def test_cache_lifetimes(served: tuple[int, Path]) -> None:
    port, site = served
    html = (site / "glossary.html").read_text(encoding="utf-8")
    versioned = re.search(r'href="(_static/[^"]+\?(?:v|digest)=[^"]+)"', html)[1]
    response, _ = get(port, "/" + versioned)
    assert response.getheader("Cache-Control") == "public, max-age=31536000, immutable"
    response, _ = get(port, "/_static/share-card.png")
    assert response.getheader("Cache-Control") == "public, max-age=3600"
    response, _ = get(port, "/glossary.html")
    assert response.getheader("Cache-Control") == "no-cache" and response.getheader("ETag")
    response, _ = get(port, "/downloads/edition.zip")
    assert response.getheader("Cache-Control") == "public, max-age=86400"


def test_every_page_under_the_policy_in_chromium(served: tuple[int, Path], open_page) -> None:
    """CSP violations show as console errors; every diagram must still render."""
    port, site = served
    findings = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        if relative.startswith("_static") or relative == "404.html":
            continue
        page, visit = open_page(f"http://127.0.0.1:{port}/{relative}")
        page.wait_for_function(DIAGRAMS_DRAWN, timeout=20000)
        page.wait_for_load_state("networkidle")
        findings += [f"{relative}: {p}" for p in visit.problems()]
        page.close()
    page, visit = open_page(f"http://127.0.0.1:{port}/search.html?q=Vestre")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    findings += [f"search: {p}" for p in visit.problems()]
    assert not findings, "\n".join(findings)


def test_a_planted_inline_script_is_refused(served: tuple[int, Path], open_page) -> None:
    port, site = served
    planted = site / "planted.html"
    text = (site / "glossary.html").read_text(encoding="utf-8")
    planted.write_text(text.replace("</article>", "<script>document.title = 'ran'</script></article>", 1),
                       encoding="utf-8")
    page, visit = open_page(f"http://127.0.0.1:{port}/planted.html")
    assert page.title() != "ran"
    assert any("Content Security Policy" in error for error in visit.console_errors)
    planted.unlink()
