"""The strict build, made atomic: a failed build never leaves a half-written site.

    python scripts/build.py [--project DIR] [--out _build] [--builder html] [more sphinx-build options]

Sphinx writes pages as it goes, so a build that fails half-way (``-W --keep-going``) would leave a
mix of new and old files that looks fine. Here Sphinx builds into a fresh staging folder
(``<out>/.staging-<builder>-<pid>/``, with its own doctrees); only if it succeeds does the new site
replace ``<out>/<builder>`` (and, for html, ``<out>/nginx``), by renames, so pages that no longer exist
disappear. If it fails, the last good site stays byte for byte as it was, the staging folder is
removed, and the build ends with a short summary: how many problems, each as ``file:line: message``.

The options are those of `make html`: ``-W --keep-going -n -E`` (CI builds with ``-E``: an
incremental build does not re-report the warnings of unchanged pages).
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRICT = ["-W", "--keep-going", "-n", "-E"]
PROBLEM = re.compile(r"^(?:(?P<where>\S.*?:\d+): )?(?P<level>WARNING|ERROR|CRITICAL): (?P<message>.*?)(?: \[[\w.-]+\])?$")
CRASH = ("Traceback (most recent call last)", "Exception occurred", "The full traceback has been saved")


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically (Linux renameat2 RENAME_EXCHANGE); False if not available."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def publish(new: Path, current: Path) -> None:
    """Put ``new`` where ``current`` is, by renames; the old one is then deleted."""
    if not current.exists():
        new.rename(current)
        return
    if exchange(new, current):  # readers never see a missing or half-replaced folder
        shutil.rmtree(new)
        return
    old = current.with_name(f".old-{current.name}-{os.getpid()}")
    current.rename(old)
    new.rename(current)
    shutil.rmtree(old)


def relative(location: str, project: Path) -> str:
    for base in (project, Path.cwd()):
        prefix = str(base.resolve()) + os.sep
        if location.startswith(prefix):
            return location[len(prefix):]
    return location


ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes, should a terminal setting slip through --no-color


def problems_in(lines: list[str], project: Path) -> list[str]:
    problems = []
    for line in lines:
        match = PROBLEM.match(ANSI.sub("", line).rstrip())
        if match:
            where = relative(match["where"], project) + ": " if match["where"] else ""
            message = re.sub(r"^[A-Z][\w ]* error: ", "", match["message"])  # "Knowledge base data error: path:line: ..."
            if not where and re.match(r"^\S+:\d+: ", message):
                location, _, message = message.partition(": ")
                where = relative(location, project) + ": "
            problems.append(f"{where}{message}")
    if any(marker in line for line in lines for marker in CRASH):
        problems.append("the build crashed: that is a bug in the build (kb_ext), not in your text; "
                        "the traceback is above, please report it")
    return list(dict.fromkeys(problems))


def remove_leftovers(out: Path) -> None:
    """Staging or old folders of builds that were killed (their process is gone)."""
    for leftover in [*out.glob(".staging-*"), *out.glob(".old-*")]:
        pid = leftover.name.rsplit("-", 1)[-1]
        try:
            os.kill(int(pid), 0)
        except (ValueError, ProcessLookupError):
            shutil.rmtree(leftover, ignore_errors=True)
        except PermissionError:
            pass


def build(project: Path, out: Path, builder: str, extra: list[str]) -> int:
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    staging = out / f".staging-{builder}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", builder, str(project / "docs"), str(staging / builder),
               "-d", str(staging / "doctrees"), "-c", str(project), "--no-color", *STRICT, *extra]
    stderr: list[str] = []
    try:
        with subprocess.Popen(command, cwd=project, stderr=subprocess.PIPE, text=True, bufsize=1) as process:
            assert process.stderr is not None
            for line in process.stderr:
                sys.stderr.write(line)
                stderr.append(line)
        code = process.returncode
        problems = problems_in(stderr, project)
        if code == 0 and not problems:
            publish(staging / builder, out / builder)
            if (staging / "nginx").is_dir():  # written beside the html by kb_ext/site/hosting.py
                publish(staging / "nginx", out / "nginx")
            print(f"Build succeeded: {out / builder} replaced by the new build.")
            return 0
    except KeyboardInterrupt:
        print(f"\nInterrupted: {out / builder} was left as it was.", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    count = len(problems) or 1
    print(f"\nBuild failed: {count} problem{'s' if count != 1 else ''}. "
          f"{out / builder} was left as it was (the last good build, or none); nothing was published.",
          file=sys.stderr)
    for problem in problems or [f"sphinx-build stopped with exit status {code}; see its output above"]:
        print(f"  {problem}", file=sys.stderr)
    return code or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, default=ROOT, help="the project folder (conf.py, docs/, data/)")
    parser.add_argument("--out", type=Path, default=None, help="the output folder (default: <project>/_build)")
    parser.add_argument("--builder", default="html", help="html (default) or singlehtml")
    args, extra = parser.parse_known_args()
    project = args.project.resolve()
    out = (args.out or project / "_build").resolve()
    return build(project, out, args.builder, extra)


if __name__ == "__main__":
    sys.exit(main())
