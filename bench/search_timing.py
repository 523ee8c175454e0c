"""Search, measured: the index's size and how fast results appear after typing, in Chromium, from disk.

`make bench` calls this on the sites it builds (1x, 10x, 50x content). On its own:

    .venv/bin/python -m bench.search_timing                 # the site in _build/html
    .venv/bin/python -m bench.search_timing --scales 1,10   # builds throw-away copies at those sizes

Timing: the search page is opened from file://; for each of QUERIES the field gets the query and an
input event, as typing does, and the clock stops when the results are in the page and a frame has
been drawn. The first query also loads the index (the page loads it at the first key press) and is
reported apart; the target (100 ms) is for the median of all of them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
INDEX = Path("_static") / "kb-search-index.js"
QUERIES = ["Innovation Norway", "Vestre", "Innovaton Norway", "Kjerkhol", "NHT", "Startupl", "measure 9", "780",
           "657", "NOK 27 billion", "2023", "fireside chat", "health data", "clinical trials", "Bjornbeth",
           "export reform", "Team Norway", "cluster", "norway", "xyzzy"]
TARGET_MS = 100

TIME_QUERY = """async (query) => {
  const input = document.querySelector('.kb-search input[name=q]');
  const started = performance.now();
  const rendered = new Promise(done => document.addEventListener('kb-search:rendered', e => done(e.detail),
                                                                   {once: true}));
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const detail = await rendered;
  await new Promise(done => requestAnimationFrame(() => setTimeout(done, 0)));
  return {ms: performance.now() - started, results: detail.count};
}"""


def index_size(site: Path) -> dict[str, int]:
    raw = (site / INDEX).read_bytes()
    text = raw.decode("utf-8")
    records = len(json.loads(text[text.index("=") + 1:].strip().rstrip(";"))["records"])
    return {"raw_bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, 6, mtime=0)), "records": records}


def query_timing(site: Path, rounds: int = 3) -> dict[str, object]:
    """Milliseconds from the input event to drawn results: the first query (loads the index), and the
    median and maximum over QUERIES, each round in a fresh page."""
    from playwright.sync_api import sync_playwright

    firsts, times = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for _ in range(rounds):
            page = browser.new_page()
            page.goto((site / "search.html").as_uri(), wait_until="load")
            for position, query in enumerate(QUERIES):
                ms = page.evaluate(TIME_QUERY, query)["ms"]
                (firsts if position == 0 else times).append(ms)
            page.close()
        browser.close()
    return {"first_ms": statistics.median(firsts), "median_ms": statistics.median(times), "max_ms": max(times),
            "queries": len(QUERIES), "rounds": rounds}


def measure(site: Path) -> dict[str, object]:
    return {**index_size(site), **query_timing(site)}


def measure_outputs(scratch: Path) -> list[dict[str, object]]:
    """For bench/run.py: every clean serial build it made (one per content scale)."""
    rows = []
    for out in scratch.glob("out-project-*x-kb-1-0"):
        scale = int(re.search(r"project-(\d+)x", out.name)[1])
        rows.append({"scale": scale, **measure(out)})
    return sorted(rows, key=lambda row: row["scale"])


def report(rows: list[dict[str, object]]) -> None:
    print(f"\nSearch (bench/search_timing.py): index size, and ms from typing to drawn results, in Chromium "
          f"from disk (target: median ≤ {TARGET_MS} ms)")
    print(f"{'content':>8} {'records':>8} {'raw KB':>8} {'gzip KB':>8} {'first query':>12} {'median':>8} {'max':>8}")
    for row in rows:
        print(f"{str(row['scale']) + 'x':>8} {row['records']:>8} {row['raw_bytes'] / 1024:8.0f} "
              f"{row['gzip_bytes'] / 1024:8.1f} {row['first_ms']:12.1f} {row['median_ms']:8.1f} {row['max_ms']:8.1f}")


def build_scaled(scale: int, scratch: Path) -> Path:
    from bench.run import add_synthetic_content
    from scripts.project_copy import copy_project

    project = copy_project(scratch / f"project-{scale}x")
    if scale > 1:
        add_synthetic_content(project, scale)
    out = scratch / f"out-project-{scale}x-kb-1-0"
    env = {**os.environ, "PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", str(project / "docs"), str(out), "-c", str(project),
                    "-E", "-q"], env=env, cwd=project, check=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--scales", help="build copies with this much content (e.g. 1,10) instead of using SITE")
    args = parser.parse_args()
    if args.scales:
        with tempfile.TemporaryDirectory(prefix="kb-search-bench-") as scratch:
            for scale in sorted({int(s) for s in args.scales.split(",")}):
                build_scaled(scale, Path(scratch))
            rows = measure_outputs(Path(scratch))
    else:
        rows = [{"scale": 1, **measure(Path(args.site))}]
    report(rows)


if __name__ == "__main__":
    main()
