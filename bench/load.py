"""`make load`: wrk against deploy/nginx.conf on loopback, over a mix of pages and assets.

Bounded: LOAD_SECONDS (default 15) with LOAD_CONNECTIONS (default 32) connections on 2 threads.
Prints requests per second and latency percentiles; fails unless every response was 2xx.

    .venv/bin/python bench/load.py [BUILD_DIR=_build]
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from deploy import nginx_local  # run as `python -m bench.load` from the root

# A reader's mix: pages (with their entries and sources), the shared assets, the search index, the data.
MIX = ["/", "/index.html", "/agreements.html", "/export-initiative.html", "/ecosystem.html",
       "/directory/organisations.html", "/directory/people.html", "/key-figures.html", "/glossary.html",
       "/sources/market-report.html", "/search.html", "/_static/kb-search-index.js", "/_static/kb.css",
       "/_static/styles/pydata-sphinx-theme.css", "/_static/scripts/bootstrap.js",
       "/_static/kb-diagrams.css", "/_data/knowledge-base.json", "/_static/favicon.svg"]
LUA = """
paths = {%s}
counter = 0
non2xx = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
response = function(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
"""


def main() -> None:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "_build").resolve()
    seconds = int(os.environ.get("LOAD_SECONDS", "15"))
    connections = int(os.environ.get("LOAD_CONNECTIONS", "32"))
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: `make load` installs it (Debian package wrk)")
    for path in MIX:
        local = build / "html" / (path.lstrip("/") or "index.html")
        if not local.is_file():
            sys.exit(f"{local} is missing: build the site first (make load does)")
    with tempfile.TemporaryDirectory(prefix="kb-load-") as work:
        script = Path(work) / "mix.lua"
        script.write_text(LUA % ", ".join(f'"{p}"' for p in MIX), encoding="utf-8")
        port = nginx_local.free_port()
        server = nginx_local.start(build, port, Path(work))
        try:
            run = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                                  f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True)
        finally:
            server.terminate()
            server.wait()
    output = run.stdout
    requests = int(re.search(r"(\d+) requests in", output)[1])
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    transfer = re.search(r"Transfer/sec:\s+(\S+)", output)[1]
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, flags=re.M))
    errors = re.search(r"Socket errors: (.*)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    print(f"Load run: wrk, {seconds} s, {connections} connections, 2 threads, {len(MIX)} URLs "
          f"(pages and assets, gzip accepted), nginx on loopback, {os.cpu_count()} CPUs\n")
    print("| requests | requests/s | transfer/s | p50 | p75 | p90 | p99 | socket errors | non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|")
    print(f"| {requests} | {per_second:.0f} | {transfer} | {percentiles.get('50')} | {percentiles.get('75')} | "
          f"{percentiles.get('90')} | {percentiles.get('99')} | {errors[1] if errors else 'none'} | "
          f"{non2xx[1] if non2xx else 0} |")
    if errors or non2xx:
        sys.exit("The load run had errors or non-2xx responses")


if __name__ == "__main__":
    main()
