"""`make bench`: build times and page weights, measured, printed as one table and saved as JSON.

Timings on shared machines are noisy, so each is the median (with min and max) of several runs
(BENCH_RUNS, default 5), and every ratio compares numbers taken in the same run, the builds with and
without our extensions taken in turn. Builds run on a throw-away copy of the project, so nothing here
touches the working tree.

    .venv/bin/python bench/run.py [--scales 1,10,50] [--runs 5] [--only lighthouse] [--site _build]

Lighthouse 12 (installed by `make bench` into .vendor/lighthouse) scores every page of the site in
`--site` (the `make html` output) served by deploy/nginx.conf through deploy/nginx_local.py: mobile,
Lighthouse's default throttling. BENCH_ONLY=lighthouse (or --only lighthouse) runs only that part.
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import gzip
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
from scripts.project_copy import copy_project  # run as `python -m bench.run` from the root
from bench import search_timing  # (search: index size and query timing, issue 17)
from kb_ext.site.compress import READY_MADE
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE = ROOT / ".vendor" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
LIGHTHOUSE_METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP",
                      "total-blocking-time": "TBT", "cumulative-layout-shift": "CLS"}
PAGE_TYPES = {"home": "index.html", "content page": "notes-on-sources.html", "source text": "sources/market-report.html",
              "directory": "directory/organisations.html", "search": "search.html",
              "diagram page": "ecosystem.html"}
EDITED_PAGE = "docs/timeline.md"
WRITTEN = re.compile(r"^writing output\.\.\. \[\s*\d+%\] (\S+)", re.M)


def add_synthetic_content(project: Path, scale: int) -> int:
    """(scale - 1) copies' worth of extra pages that cite the real texts and name entities from the
    data, in sections the size of the real site (as a growing site would be organised)."""
    import yaml

    real_pages = len(list((project / "docs").rglob("*.md")))
    catalogue = yaml.safe_load((project / "source_texts" / "catalogue.yaml").read_text(encoding="utf-8"))
    texts = [(entry["id"], sum(1 for line in (project / "source_texts" / entry["file"]).read_text(
        encoding="utf-8").splitlines() if line.strip())) for entry in catalogue["texts"]]
    entities = [o["id"] for o in yaml.safe_load((project / "data" / "organisations.yaml").read_text(encoding="utf-8"))]
    count = real_pages * (scale - 1)
    sections = []
    for number in range(count):
        section = f"section-{number // real_pages:03d}"
        if not sections or sections[-1] != section:
            sections.append(section)
            (project / "docs" / "synthetic" / section).mkdir(parents=True)
            (project / "docs" / "synthetic" / section / "index.md").write_text(
                f"# Synthetic {section}\n\n```{{toctree}}\n:glob:\n\npage-*\n```\n", encoding="utf-8")
        paragraphs = []
        for offset in range(4):
            text_id, length = texts[(number + offset) % len(texts)]
            entity = entities[(number * 3 + offset) % len(entities)]
            paragraphs.append(f"Synthetic paragraph {offset + 1} about {{e}}`{entity}`, resting on the "
                              f"text.{{src}}`{text_id}#p{(number + offset) % length + 1}`")
        (project / "docs" / "synthetic" / section / f"page-{number:05d}.md").write_text(
            f"# Synthetic page {number}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (project / "docs" / "synthetic" / "index.md").write_text(
        "# Synthetic pages\n\n```{toctree}\n:glob:\n\nsection-*/index\n```\n", encoding="utf-8")
    with (project / "docs" / "index.md").open("a", encoding="utf-8") as index:
        index.write("\n```{toctree}\n:hidden:\n\nsynthetic/index\n```\n")
    return count


def sphinx(project: Path, out: Path, *, jobs: str, plain: bool = False, clean: bool = True) -> tuple[float, str]:
    conf = project / "bench" / "plain" if plain else project
    command = [sys.executable, "-m", "sphinx", "-b", "html", str(project / "docs"), str(out), "-c", str(conf),
               "-j", jobs, *(["-E"] if clean else [])]
    env = {**os.environ, "PYTHONHASHSEED": "0", "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=project, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"build failed: {' '.join(command)}\n{result.stderr[-3000:]}")
    return elapsed, result.stdout


def stats(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def clean_builds(project: Path, scratch: Path, runs: int, jobs: str) -> tuple[dict[str, float], dict[str, float], Path]:
    """Clean builds with our extensions and without, taken in turn (ours, plain, ours, ...), so what else
    the machine does weighs on both alike. Returns both timings and the last output with ours."""
    def folder(side: str, run: int) -> Path:
        return scratch / f"out-{project.name}-{side}-{jobs}-{run}"

    times: dict[str, list[float]] = {"kb": [], "plain": []}  # kb: ours
    for run in range(runs):
        for side in times:
            shutil.rmtree(folder(side, run), ignore_errors=True)
            times[side].append(sphinx(project, folder(side, run), jobs=jobs, plain=side == "plain")[0])
    return stats(times["kb"]), stats(times["plain"]), folder("kb", runs - 1)


def different_files(one: Path, other: Path) -> list[str]:
    names = sorted({p.relative_to(one).as_posix() for p in one.rglob("*") if p.is_file()}
                   | {p.relative_to(other).as_posix() for p in other.rglob("*") if p.is_file()})
    return [n for n in names if n != ".buildinfo" and not n.startswith(".doctrees/") and not (
        (one / n).is_file() and (other / n).is_file() and filecmp.cmp(one / n, other / n, shallow=False))]


def rebuilds(project: Path, out: Path, jobs: str, runs: int) -> dict[str, object]:
    """No-op rebuilds, and rebuilds after editing one page, on a finished build."""
    noop, edited, written = [], [], []
    for _ in range(runs):
        noop.append(sphinx(project, out, jobs=jobs, clean=False)[0])
        page = project / EDITED_PAGE
        page.write_text(page.read_text(encoding="utf-8") + "\nEdited for the benchmark.\n", encoding="utf-8")
        elapsed, log = sphinx(project, out, jobs=jobs, clean=False)
        edited.append(elapsed)
        written = WRITTEN.findall(log)
    return {"noop": stats(noop), "one_page_edited": stats(edited), "pages_rewritten": written}


def gzip_bytes(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 6, mtime=0))


def growth(project: Path, out: Path) -> dict[str, float]:
    """What grows with the content: each page's own HTML, the search index; against the Markdown."""
    pages = [gzip_bytes(p) for p in out.rglob("*.html") if "_static" not in p.relative_to(out).parts]
    index = out / "_static" / "kb-search-index.js"
    return {"pages": len(pages), "content_bytes": sum(p.stat().st_size for p in (project / "docs").rglob("*.md")),
            "median_page_gzip": statistics.median(pages), "max_page_gzip": max(pages),
            "search_index_gzip": gzip_bytes(index) if index.is_file() else 0,
            "static_gzip": sum(gzip_bytes(p) for p in (out / "_static").rglob("*") if p.is_file() and p.suffix not in READY_MADE)}


def builds(scales: list[int], runs: int, scratch: Path) -> list[dict[str, object]]:
    rows = []
    for scale in scales:
        project = copy_project(scratch / f"project-{scale}x")
        # Byte-compiled once, as any installed package is: with PYTHONDONTWRITEBYTECODE set (as on our
        # machines) every run would otherwise compile kb_ext's modules again (0.05 s of each build).
        for package in ("kb_ext", "bench"):  # what the builds import (conf.py is executed, not imported)
            compileall.compile_dir(project / package, quiet=1)
        extra = add_synthetic_content(project, scale) if scale > 1 else 0
        outputs, rows_here = {}, []
        for jobs in ("1", "auto"):
            ours, plain, outputs[jobs] = clean_builds(project, scratch, runs, jobs)
            rows_here.append({"scale": scale, "extra_pages": extra, "jobs": jobs, "clean": ours,
                              "clean_without_extensions": plain, "ratio": ours["median"] / plain["median"]})
        rows_here[-1]["serial_equals_parallel"] = different_files(outputs["1"], outputs["auto"]) or True
        rows_here[0]["growth"] = growth(project, outputs["1"])
        if scale == 1:
            for row in rows_here:
                row |= rebuilds(project, outputs[row["jobs"]], row["jobs"], runs)
        rows += rows_here
        print(f"  measured {scale}x", file=sys.stderr)
    return rows


def page_weights(site: Path, runs: int) -> list[dict[str, object]]:
    from playwright.sync_api import sync_playwright

    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for kind, name in PAGE_TYPES.items():
            diagram_ms = []
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                requested: list[str] = []
                context.on("request", lambda r, requested=requested: requested.append(r.url))
                page = context.new_page()
                page.goto((site / name).as_uri(), wait_until="load")
                if page.locator("figure.kb-diagram svg").count():  # drawn at build time: in the page as loaded
                    diagram_ms.append(page.evaluate("performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"))
                page.wait_for_load_state("networkidle")
                context.close()
            files = [Path(unquote(urlparse(u).path)) for u in dict.fromkeys(requested) if u.startswith("file://")]
            files = [f for f in files if f.is_file()]
            rows.append({"page": kind, "file": name, "requests": len(files),
                         "raw_bytes": sum(f.stat().st_size for f in files),
                         "gzip_bytes": sum(len(gzip.compress(f.read_bytes(), 6, mtime=0)) for f in files),
                         "diagram_ms": stats(diagram_ms) if diagram_ms else None})
        browser.close()
    return rows


def lighthouse_pages(site: Path) -> list[str]:
    """Every page a reader can land on: not _static, not the 404 page, not the moved-page stubs
    (they redirect at once)."""
    pages = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        if relative.startswith("_static/") or relative == "404.html":
            continue
        if 'http-equiv="refresh"' in html.read_text(encoding="utf-8")[:3000]:
            continue
        pages.append(relative)
    return pages


def lighthouse(build: Path, runs: int) -> list[dict[str, object]]:
    """Lighthouse performance and accessibility for every page, served by deploy/nginx.conf."""
    from deploy import nginx_local

    if not LIGHTHOUSE.exists():
        sys.exit(f"{LIGHTHOUSE} is missing: `make bench` installs it")
    if not (build / "html" / "index.html").is_file():
        sys.exit(f"{build / 'html'} has no site: run `make html` first")
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    rows = []
    with tempfile.TemporaryDirectory(prefix="kb-lighthouse-") as work:
        port = nginx_local.free_port()
        server = nginx_local.start(build, port, Path(work))
        try:
            for relative in lighthouse_pages(build / "html"):
                scores: dict[str, list[float]] = {}
                for _ in range(runs):
                    run = subprocess.run(
                        [str(LIGHTHOUSE), f"http://127.0.0.1:{port}/{relative}", "--output=json", "--output-path=stdout",
                         "--only-categories=performance,accessibility", "--quiet",
                         "--chrome-flags=--headless=new --no-sandbox --disable-gpu"],
                        capture_output=True, text=True, env=env, check=False)
                    if run.returncode != 0:
                        sys.exit(f"lighthouse failed on {relative}:\n{run.stderr[-2000:]}")
                    report_json = json.loads(run.stdout)
                    values = {"performance": report_json["categories"]["performance"]["score"] * 100,
                              "accessibility": report_json["categories"]["accessibility"]["score"] * 100}
                    for audit, name in LIGHTHOUSE_METRICS.items():
                        values[name] = report_json["audits"][audit]["numericValue"]
                    blocking = report_json["audits"].get("render-blocking-resources", {})
                    values["render_blocking_ms"] = (blocking.get("details") or {}).get("overallSavingsMs", 0)
                    for key, value in values.items():
                        scores.setdefault(key, []).append(value)
                row = {"page": relative, **{k: statistics.median(v) for k, v in scores.items()}}
                rows.append(row)
                print(f"  lighthouse {relative}: {row['performance']:.0f} / {row['accessibility']:.0f}", file=sys.stderr)
        finally:
            nginx_local.stop(server)
    return rows


def report_lighthouse(rows: list[dict[str, object]], runs: int) -> None:
    print(f"\nLighthouse 12, mobile, default throttling, deploy/nginx.conf on loopback (median of {runs})")
    print(f"{'page':<40} {'perf.':>5} {'a11y':>5} {'FCP ms':>7} {'LCP ms':>7} {'TBT ms':>7} {'CLS':>6} "
          f"{'blocking ms':>11}")
    for row in rows:
        print(f"{row['page']:<40} {row['performance']:5.0f} {row['accessibility']:5.0f} {row['FCP']:7.0f} "
              f"{row['LCP']:7.0f} {row['TBT']:7.0f} {row['CLS']:6.3f} {row['render_blocking_ms']:11.0f}")
    if rows:
        print(f"{'lowest':<40} {min(r['performance'] for r in rows):5.0f} "
              f"{min(r['accessibility'] for r in rows):5.0f}")


def seconds(s: dict[str, float]) -> str:
    return f"{s['median']:6.2f} ({s['min']:.2f}–{s['max']:.2f})"


def report(result: dict[str, object]) -> None:
    print(f"\nBuild times, seconds: median (min–max) of {result['runs']} runs")
    print(f"{'content':>8} {'-j':>5} {'clean':>20} {'without our ext.':>20} {'ratio':>6} {'no-op':>20} {'1 page edited':>20}")
    for row in result["builds"]:
        noop = seconds(row["noop"]) if "noop" in row else ""
        edited = seconds(row["one_page_edited"]) if "one_page_edited" in row else ""
        print(f"{str(row['scale']) + 'x':>8} {row['jobs']:>5} {seconds(row['clean']):>20} "
              f"{seconds(row['clean_without_extensions']):>20} {row['ratio']:6.2f} {noop:>20} {edited:>20}")
        if "pages_rewritten" in row:
            print(f"{'':>14} after editing {EDITED_PAGE}, rewritten: {', '.join(row['pages_rewritten']) or 'none'}")
        if "serial_equals_parallel" in row:
            same = row["serial_equals_parallel"]
            print(f"{'':>14} -j 1 and -j auto output identical: {'yes' if same is True else 'NO: ' + ', '.join(same)}")
    grown = [row for row in result["builds"] if "growth" in row]
    if grown:
        base = grown[0]["growth"]
        print("\nGrowth with the content (gzip KB; x = compared with 1x; content = the Markdown of docs/)")
        print(f"{'content':>8} {'pages':>6} {'content x':>10} {'median page':>12} {'largest page':>13} "
              f"{'search index':>13} {'index x':>8} {'_static':>8}")
        for row in grown:
            g = row["growth"]
            print(f"{str(row['scale']) + 'x':>8} {g['pages']:>6} {g['content_bytes'] / base['content_bytes']:>10.1f} "
                  f"{g['median_page_gzip'] / 1024:>12.1f} {g['max_page_gzip'] / 1024:>13.1f} "
                  f"{g['search_index_gzip'] / 1024:>13.1f} "
                  f"{g['search_index_gzip'] / max(base['search_index_gzip'], 1):>8.1f} {g['static_gzip'] / 1024:>8.0f}")
    print("\nWhat Chromium loads, per page type (cold, from disk)")
    print(f"{'page':>14} {'requests':>9} {'raw KB':>8} {'gzip KB':>8} {'diagram drawn, ms':>24}")
    for row in result["pages"]:
        drawn = seconds(row["diagram_ms"]).replace("(", "ms (") if row["diagram_ms"] else ""
        print(f"{row['page']:>14} {row['requests']:>9} {row['raw_bytes'] / 1024:8.0f} {row['gzip_bytes'] / 1024:8.0f} "
              f"{drawn:>24}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default=os.environ.get("BENCH_SCALES", "1,10,50"))
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "5")))
    parser.add_argument("--lighthouse-runs", type=int, default=int(os.environ.get("LIGHTHOUSE_RUNS", "1")))
    parser.add_argument("--only", choices=["lighthouse"], default=os.environ.get("BENCH_ONLY") or None)
    parser.add_argument("--site", type=Path, default=ROOT / "_build", help="the make html output folder")
    args = parser.parse_args()
    scales = sorted({int(s) for s in args.scales.split(",")} | {1})
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT, check=False).stdout.strip() or "unknown"
    result: dict[str, object] = {"commit": commit, "runs": args.runs, "cpus": os.cpu_count()}
    if args.only != "lighthouse":
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as scratch:
            result["builds"] = builds(scales, args.runs, Path(scratch))
            site = Path(scratch) / "out-project-1x-kb-1-0"
            result["pages"] = page_weights(site, args.runs)
            result["search"] = search_timing.measure_outputs(Path(scratch))  # search (issue 17)
    result["lighthouse"] = lighthouse(args.site.resolve(), args.lighthouse_runs)
    if args.only != "lighthouse":
        report(result)
        search_timing.report(result["search"])  # search (issue 17)
    report_lighthouse(result["lighthouse"], args.lighthouse_runs)
    name = f"bench-{commit}{'-lighthouse' if args.only else ''}.json"
    target = ROOT / "_build" / "bench" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nSaved {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
