"""Pack the offline editions from a finished build: `make offline` runs this.

    python -m scripts.offline_editions BUILD_DIR OUT_DIR

BUILD_DIR holds ``html/`` (the site) and ``singlehtml/`` (the single-page edition). OUT_DIR gets the
site as a zip, the single-page edition as a zip, and a PDF that Chromium prints from the single page.
The zips are deterministic: fixed timestamps (the commit's), fixed order and permissions, so one
commit gives the same bytes on any machine. The PDF carries its print date, so it is not.
"""

from __future__ import annotations

import os
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from kb_ext.site.compress import READY_MADE
from kb_ext.site.downloads import edition_name  # run as `python -m scripts.offline_editions` from the root

CHROMIUM = "/usr/bin/chromium"
ZIP_EPOCH_MIN = 315532800  # 1980-01-01: a zip cannot store an earlier date
# Not part of a copy read from disk: 404.html is for web servers (root-absolute links), .buildinfo
# is Sphinx's incremental-build record, *.gz and *.br are the web server's ready-made compressed copies.
LEFT_OUT = {"404.html", ".buildinfo"}
README = """{title}
{underline}

Open index.html in this folder with any web browser.

{promise}
Nothing is fetched from the internet.

Edition: {name}
The knowledge base online: {base_url}
"""
# What each edition has, and only that: the single page has no search page and no general index.
PROMISES = {
    "site": ("Everything works from disk with no network at all: every page, the navigation,\n"
             "search, light and dark mode, the diagrams, the glossary and the index."),
    "single-page": ("Every page of the site, in reading order, in one file that works from disk with\n"
                    "no network: the navigation (to each part of the file), light and dark mode, the\n"
                    "diagrams and the glossary. It has no search and no general index: use your\n"
                    "browser's Find (Ctrl+F) instead."),
}
FOOTER = ('<div style="font-size:8px;width:100%;padding:0 12mm;color:#444;display:flex;'
          'justify-content:space-between"><span>Norway Health Export Knowledge Base</span>'
          '<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>')


def pack(folder: Path, archive_path: Path, top: str, readme: str) -> None:
    epoch = max(int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0), ZIP_EPOCH_MIN)
    date_time = time.gmtime(epoch)[:6]
    files = sorted((p for p in folder.rglob("*")
                    if p.is_file() and p.name not in LEFT_OUT and p.suffix not in READY_MADE),
                   key=lambda p: p.relative_to(folder).as_posix())
    with zipfile.ZipFile(archive_path, "w") as archive:
        def add(name: str, data: bytes) -> None:
            info = zipfile.ZipInfo(f"{top}/{name}", date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below mean the same everywhere
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data, compresslevel=9)

        add("README.txt", readme.encode("utf-8"))
        for path in files:
            add(path.relative_to(folder).as_posix(), path.read_bytes())


def print_pdf(single_page: Path, pdf_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(color_scheme="light", viewport={"width": 1100, "height": 1400})
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                   else route.abort())
        page.goto(single_page.as_uri(), wait_until="load")
        page.emulate_media(media="print")
        page.pdf(path=str(pdf_path), format="A4", print_background=True, display_header_footer=True,
                 header_template="<span></span>", footer_template=FOOTER, outline=True, tagged=True,
                 margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
        browser.close()


def human(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size > 1024 * 1024 else f"{size / 1024:.0f} KB"


def main(build: Path, out: Path) -> None:
    name = edition_name()
    base_url = os.environ.get("KB_BASE_URL", "https://norway-health-export.example/")
    out.mkdir(parents=True, exist_ok=True)
    for edition, folder, title, promise in (
            (name, build / "html", "Norway Health Export Knowledge Base, offline edition", PROMISES["site"]),
            (f"{name}-single-page", build / "singlehtml", "Norway Health Export Knowledge Base, single-page edition",
             PROMISES["single-page"])):
        if not (folder / "index.html").is_file():
            sys.exit(f"{folder / 'index.html'} is missing: build the site first (make offline does)")
        readme = README.format(title=title, underline="=" * len(title), name=edition, base_url=base_url,
                               promise=promise)
        pack(folder, out / f"{edition}.zip", edition, readme)
    print_pdf(build / "singlehtml" / "index.html", out / f"{name}.pdf")
    print("Offline editions:")
    for path in sorted(out.glob(f"{name}*")):
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {human(path.stat().st_size)}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
