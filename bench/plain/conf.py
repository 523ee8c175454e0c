"""The project's conf.py with kb_ext swapped for bench.plain_ext (the benchmark's baseline)."""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
globals().update({k: v for k, v in runpy.run_path(str(ROOT / "conf.py")).items() if not k.startswith("__")})
extensions = [e for e in extensions if e != "kb_ext"] + ["bench.plain_ext"]  # noqa: F821
