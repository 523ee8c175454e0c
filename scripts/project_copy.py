"""A throw-away copy of the project, for builds that change its files (tests, the benchmark)."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("conf.py", "docs", "source_texts", "data", "kb_ext", "theme", "deploy", ".vendor", "bench")


def copy_project(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "npm", "test"))
        else:
            shutil.copy2(source, target / name)
    return target
