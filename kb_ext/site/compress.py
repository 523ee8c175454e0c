"""Ready-made compression: a ``.gz`` beside every text file of the site, for nginx's ``gzip_static``.

Written last (``build-finished``, after every handler that writes or rewrites files), at the highest
level (9), once per build instead of once per request. Deterministic (no name, mtime 0 in the gzip
header), so two builds give the same bytes. A ``.gz`` whose file is gone, or that would not be smaller
than its file, is removed; files below nginx's ``gzip_min_length`` (512 bytes) get none.
"""

from __future__ import annotations

import gzip
from pathlib import Path

from sphinx.application import Sphinx

COMPRESSED = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".xml", ".map"}
MIN_SIZE = 512  # deploy/nginx.conf: gzip_min_length


def compressible(path: Path) -> bool:
    return path.is_file() and path.suffix in COMPRESSED and path.stat().st_size >= MIN_SIZE


def write_gzip_files(site: Path) -> int:
    """Write (or refresh) every .gz under `site`; remove stale ones. Returns how many exist."""
    for stale in site.rglob("*.gz"):
        original = stale.with_suffix("")
        if not compressible(original):
            stale.unlink()
    count = 0
    for path in sorted(site.rglob("*")):
        if not compressible(path):
            continue
        data = path.read_bytes()
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        target = path.with_name(path.name + ".gz")
        if len(packed) >= len(data):
            target.unlink(missing_ok=True)
            continue
        if not target.is_file() or target.read_bytes() != packed:
            target.write_bytes(packed)
        count += 1
    return count


def compress_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.name == "html":
        write_gzip_files(Path(app.outdir))


def setup(app: Sphinx) -> None:
    app.connect("build-finished", compress_site, priority=990)
