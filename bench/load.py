"""`make load`: wrk against deploy/nginx.conf on loopback, over a mix of pages and assets, twice: with
every response compressed on the fly (gzip_static off) and with the build's ready-made .gz files
(gzip_static on, as deployed). Same mix, same connections, same duration, one after the other.

Bounded: LOAD_SECONDS (default 15) per run with LOAD_CONNECTIONS (default 32) connections on 2 threads.
Prints requests per second and latency percentiles for both; fails unless every response was 2xx.

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
# Assets a build no longer has (e.g. a script the diagrams no longer need) are left out of the run.
MIX = ["/", "/index.html", "/agreements.html", "/export-initiative.html", "/ecosystem.html",
       "/directory/organisations.html", "/directory/people.html", "/key-figures.html", "/glossary.html",
       "/sources/market-report.html", "/search.html", "/_static/kb-search-index.js", "/_static/kb.css",
       "/_static/styles/theme.css", "/_static/scripts/pydata-sphinx-theme.js", "/_static/kb-ui.js",
       "/_static/kb-diagrams.css", "/_data/knowledge-base.json", "/_static/favicon.svg"]
LUA = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], {["Accept-Encoding"] = "gzip"})
end
"""
MODES = {"on the fly (gzip_static off)": False, "ready-made .gz (gzip_static on)": True}


def run(build: Path, mix: list[str], ready_made: bool, seconds: int, connections: int, wrk: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory(prefix="kb-load-") as work:
        script = Path(work) / "mix.lua"
        script.write_text(LUA % ", ".join(f'"{p}"' for p in mix), encoding="utf-8")
        port = nginx_local.free_port()
        server = nginx_local.start(build, port, Path(work), ready_made=ready_made)
        try:
            output = subprocess.run([wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script),
                                     f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
        finally:
            nginx_local.stop(server)
    errors = re.search(r"Socket errors: (.*)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    return {"requests": re.search(r"(\d+) requests in", output)[1], "per_second": f"{per_second:.0f}",
            "transfer": re.search(r"Transfer/sec:\s+(\S+)", output)[1],
            **dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, flags=re.M)),
            "errors": errors[1] if errors else "none", "non2xx": non2xx[1] if non2xx else "0"}


def main() -> None:
    build = Path(sys.argv[1] if len(sys.argv) > 1 else "_build").resolve()
    seconds = int(os.environ.get("LOAD_SECONDS", "15"))
    connections = int(os.environ.get("LOAD_CONNECTIONS", "32"))
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: `make load` installs it (Debian package wrk)")
    if not (build / "html" / "index.html").is_file():
        sys.exit(f"{build / 'html'} has no site: build it first (make load does)")
    mix = [path for path in MIX if (build / "html" / (path.lstrip("/") or "index.html")).is_file()]
    left_out = sorted(set(MIX) - set(mix))
    results = {name: run(build, mix, ready_made, seconds, connections, wrk) for name, ready_made in MODES.items()}
    print(f"Load run: wrk, {seconds} s each, {connections} connections, 2 threads, {len(mix)} URLs "
          f"(pages and assets, gzip accepted), nginx on loopback, {os.cpu_count()} CPUs"
          + (f"; not in this build: {', '.join(left_out)}" if left_out else "") + "\n")
    print("| compression | requests | requests/s | transfer/s | p50 | p75 | p90 | p99 | socket errors | non-2xx |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(f"| {name} | {r['requests']} | {r['per_second']} | {r['transfer']} | {r.get('50')} | {r.get('75')} | "
              f"{r.get('90')} | {r.get('99')} | {r['errors']} | {r['non2xx']} |")
    if any(r["errors"] != "none" or r["non2xx"] != "0" for r in results.values()):
        sys.exit("The load run had errors or non-2xx responses")


if __name__ == "__main__":
    main()
