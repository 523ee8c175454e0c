"""Send readers only what the pages use: purged theme stylesheets, no Bootstrap bundle, no unused files.

After the pages are written (``build-finished``), over the whole output folder:

- **Stylesheets.** The theme's big stylesheets (:data:`PURGED`: pydata-sphinx-theme, sphinx-book-theme,
  sphinx-design, Sphinx's basic, pygments) keep only the rules whose selectors can match: every class,
  id and element a selector names must occur in some page, or as a word in one of the site's scripts
  (the classes scripts add at run time: dark mode, the sidebars' states, dropdowns, search, previews).
  Attribute selectors (``html[data-theme=dark]``), pseudo-classes and ``@media`` (print) are kept as
  such; ``:not()``/``:is()`` arguments never cause a rule to go. Our own ``kb-*.css`` is left alone.
  ``theme.css`` only ``@import``-ed ``basic.css``: it now holds it and the other purged theme
  stylesheets (:data:`MERGED`), in the pages' order: one render-blocking request instead of six.
- **Scripts.** The theme's ``bootstrap.js`` (Bootstrap and Popper, 23 KB gzip) served the colour-mode
  dropdown, tooltips and the back-to-top button: ``kb-ui.js`` does the first and last, the browser
  shows ``title`` tooltips. Sphinx's and the theme's head scripts are deferred (none is needed for
  the first paint; ``kb-mode.js``, which is, stays in the head). ``design-tabs.js`` only on pages with tabs.
- **Unused files.** Source maps (and their ``sourceMappingURL`` comments) go; any file in ``_static``
  that no page, and no stylesheet or script a page uses, names is removed (the theme's Font Awesome
  web fonts, launch-button logos, translation catalogues, ...).
- **Cache busting.** A changed file gets a new ``?v=`` checksum in every page that links it, so the
  year-long ``immutable`` caching of ``deploy/nginx.conf`` stays correct.

It runs on every build over every page (not just the pages an incremental build rewrote), so an
incremental build gives the same output as a clean one.
"""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.builders.html._assets import _JavaScript
from sphinx.util import logging

logger = logging.getLogger(__name__)

PURGED = ("styles/pydata-sphinx-theme.css", "styles/sphinx-book-theme.css", "sphinx-design.min.css", "basic.css",
          "pygments.css")
THEME_IMPORT = ("styles/theme.css", "basic.css")  # theme.css is `@import "../basic.css"` and nothing else
# After the purge, these join theme.css (in the order the pages link them, right after it): one
# render-blocking request instead of five.
MERGED = ("styles/pydata-sphinx-theme.css", "pygments.css", "styles/sphinx-book-theme.css", "sphinx-design.min.css")
BOOTSTRAP = re.compile(r'<script defer src="([^"]*?)scripts/bootstrap\.js\?digest=\w+"></script>')
OUR_UI = "kb-ui.js"
TEXT_SUFFIXES = {".html", ".css", ".js", ".mjs", ".json", ".svg", ".txt", ".xml"}
SOURCE_MAP_COMMENT = re.compile(r"\n?(?://# sourceMappingURL=[^\n]*|/\*# sourceMappingURL=[^*]*\*/)\s*$")
# Classes that only ever appear in combination with what a script computes: kept whatever the scan finds.
SAFELIST = {"show", "showing", "hiding", "active", "open", "collapsed", "collapsing", "hide", "scrolled",
            "highlighted", "dropdown-menu-dark", "d-none", "d-print-none"}
WORD = re.compile(r"[A-Za-z_][\w-]*")


# --- scripts --------------------------------------------------------------------------------------

def lighter_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not app.config.kb_slim_assets or not isinstance(scripts, list):
        return
    body = str(context.get("body", ""))
    lighter = []
    for script in scripts:
        name = str(script.filename or "")
        if name.endswith("design-tabs.js") and "sd-tab-set" not in body:
            continue
        if name and not {"defer", "async", "type"} & set(script.attributes) and "body" not in script.attributes:
            script = _JavaScript(script.filename, priority=script.priority, **{**script.attributes, "defer": "defer"})
        lighter.append(script)
    scripts[:] = lighter


# --- what the pages use ---------------------------------------------------------------------------

def used_names(outdir: Path, scripts: list[Path]) -> tuple[set[str], set[str], set[str]]:
    """(classes, ids, elements) named by the pages, each widened by every word of the site's scripts."""
    classes: set[str] = set(SAFELIST)
    ids: set[str] = set()
    elements: set[str] = {"html", "body", "head"}
    for page in outdir.rglob("*.html"):
        html = page.read_text(encoding="utf-8", errors="replace")
        for value in re.findall(r'\sclass\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', html):
            classes.update((value[0] or value[1]).split())
        ids.update(v[0] or v[1] for v in re.findall(r'\sid\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', html))
        elements.update(tag.lower() for tag in re.findall(r"<([A-Za-z][\w:-]*)", html))
    words: set[str] = set()
    for script in scripts:
        words.update(WORD.findall(script.read_text(encoding="utf-8", errors="replace")))
    return classes | words, ids | words, elements | {w.lower() for w in words}


# --- the purge ------------------------------------------------------------------------------------

def split_top_level(text: str, separator: str = ",") -> list[str]:
    parts, depth, current, quote = [], 0, [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts


def without_functions_and_attributes(selector: str) -> str:
    """The selector less attribute selectors, pseudo-classes and pseudo-elements (with their arguments)."""
    out, index = [], 0
    while index < len(selector):
        char = selector[index]
        if char == "\\":
            out.append(selector[index:index + 2])
            index += 2
            continue
        if char == "[" or (char == ":" and re.match(r":{1,2}[\w-]+\(", selector[index:])):
            opening, closing = ("[", "]") if char == "[" else ("(", ")")
            start = selector.index(opening, index)
            depth, index = 0, start
            while index < len(selector):
                depth += selector[index] == opening
                depth -= selector[index] == closing
                index += 1
                if depth == 0:
                    break
            out.append(" " if char == "[" and selector[start - 1:start].isspace() else "")
            continue
        if char == ":":
            match = re.match(r":{1,2}[\w-]+", selector[index:])
            index += match.end() if match else 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def unescape(name: str) -> str:
    return re.sub(r"\\([0-9a-fA-F]{1,6}\s?|.)",
                  lambda m: chr(int(m[1], 16)) if re.fullmatch(r"[0-9a-fA-F]{1,6}\s?", m[1]) else m[1], name)


def selector_can_match(selector: str, classes: set[str], ids: set[str], elements: set[str]) -> bool:
    plain = without_functions_and_attributes(selector)
    for name in re.findall(r"\.((?:\\.|[\w-])+)", plain):
        if unescape(name) not in classes:
            return False
    for name in re.findall(r"#((?:\\.|[\w-])+)", plain):
        if unescape(name) not in ids:
            return False
    for compound in re.split(r"[\s>+~]+", plain):
        tag = re.match(r"[A-Za-z][\w-]*", compound)
        if tag and "|" not in compound and tag[0].lower() not in elements:
            return False
    return True


def purge_css(css: str, classes: set[str], ids: set[str], elements: set[str]) -> str | None:
    """The stylesheet with only the rules that can match; None if it does not parse cleanly."""
    import tinycss2

    def rules(nodes: list[Any]) -> list[str] | None:
        kept: list[str] = []
        for node in nodes:
            if node.type == "error":
                return None
            if node.type == "qualified-rule":
                selectors = [s.strip() for s in split_top_level(tinycss2.serialize(node.prelude))]
                selectors = [s for s in selectors if s and selector_can_match(s, classes, ids, elements)]
                if selectors:
                    kept.append(",".join(selectors) + "{" + tinycss2.serialize(node.content).strip() + "}")
            elif node.type == "at-rule":
                name = node.lower_at_keyword
                head = "@" + node.at_keyword + tinycss2.serialize(node.prelude).rstrip()
                if node.content is None:
                    kept.append(head + ";")
                elif name in {"media", "supports", "layer", "container", "document"}:
                    inner = rules(tinycss2.parse_rule_list(node.content, skip_comments=True, skip_whitespace=True))
                    if inner is None:
                        return None
                    if inner:
                        kept.append(head + "{" + "".join(inner) + "}")
                else:  # @font-face, @keyframes, @page, @property ...: as they are, sorted out below
                    kept.append(head + "{" + tinycss2.serialize(node.content).strip() + "}")
        return kept

    parsed = rules(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    if parsed is None:
        return None
    # Web fonts no kept rule names; and Font Awesome's, whose icons kb-icons.css draws as SVG masks.
    def family(rule: str) -> str:
        match = re.search(r"font-family:\s*([^;}]+)", rule)
        return unescape(match[1]).strip().strip("\"'") if match else ""

    faces = [rule for rule in parsed if rule.startswith("@font-face")]
    others = "\n".join(rule for rule in parsed if not rule.startswith("@font-face"))
    for face in faces:
        name = family(face)
        if not name or name.startswith("Font Awesome") or name not in unescape(others):
            parsed.remove(face)
    text = "\n".join(parsed)
    # Animations no kept rule runs.
    for keyframes in re.findall(r"@(?:-webkit-)?keyframes\s+([\w-]+)\{", text):
        rest = re.sub(r"@(?:-webkit-)?keyframes\s+" + re.escape(keyframes) + r"\{", "", text)
        if not re.search(r"(?<![\w-])" + re.escape(keyframes) + r"(?![\w-])", rest):
            text = "\n".join(rule for rule in text.split("\n")
                             if not re.match(r"@(?:-webkit-)?keyframes\s+" + re.escape(keyframes) + r"\{", rule))
    return text + "\n"


# --- unused files ---------------------------------------------------------------------------------

def unused_static_files(outdir: Path) -> list[Path]:
    """Files in _static that no page names, nor any stylesheet or script named (transitively)."""
    static = outdir / "_static"
    # .gz: compress.py's business; kb-*: our own files, each written for the pages that load it (the
    # search index is named by our search page's template, which a project on another theme may lack)
    files = [p for p in static.rglob("*") if p.is_file() and p.suffix != ".gz" and not p.name.startswith("kb-")]
    mentioned = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in outdir.rglob("*")
                          if p.is_file() and p.suffix in TEXT_SUFFIXES and static not in p.parents)
    used: set[Path] = set()
    changed = True
    while changed:
        changed = False
        for path in files:
            if path in used:
                continue
            relative = path.relative_to(static).as_posix()
            if relative in mentioned or (path.name in mentioned and len(path.name) > 6):
                used.add(path)
                changed = True
                if path.suffix in TEXT_SUFFIXES:
                    mentioned += "\n" + path.read_text(encoding="utf-8", errors="replace")
    return sorted(set(files) - used)


def rebased(css_file: Path, target: Path) -> str:
    """The stylesheet's text with its relative url()s pointing from `target`'s folder instead."""
    import posixpath

    def rebase(match: re.Match[str]) -> str:
        url = match[2]
        if re.match(r"^(?:[a-z]+:|/|#)", url):
            return match[0]
        moved = posixpath.relpath(posixpath.normpath(posixpath.join(css_file.parent.as_posix(), url)),
                                  target.parent.as_posix())
        return f"url({match[1]}{moved}{match[1]})"

    return re.sub(r"""url\((['"]?)([^'")]+)\1\)""", rebase, css_file.read_text(encoding="utf-8"))


def checksum(path: Path) -> str:
    return f"{zlib.crc32(path.read_bytes()) & 0xFFFFFFFF:08x}"


def slim_site(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html" or not app.config.kb_slim_assets:
        return
    outdir = Path(app.outdir)
    static = outdir / "_static"
    pages = [p for p in outdir.rglob("*.html") if static not in p.parents]

    # Bootstrap's bundle out, our small script in.
    ui = static / OUR_UI
    if ui.is_file():
        for page in pages:
            html = page.read_text(encoding="utf-8")
            lighter = BOOTSTRAP.sub(lambda m: f'<script defer src="{m[1]}{OUR_UI}?v=0"></script>', html)
            if lighter != html:
                page.write_text(lighter, encoding="utf-8")

    changed = [OUR_UI]
    for path in static.rglob("*.map"):
        path.unlink()
    for path in [*static.rglob("*.js"), *static.rglob("*.css")]:
        text = path.read_text(encoding="utf-8", errors="replace")
        stripped = SOURCE_MAP_COMMENT.sub("\n", text)
        if stripped != text:
            path.write_text(stripped, encoding="utf-8")
            changed.append(path.relative_to(static).as_posix())

    scripts = [p for p in static.rglob("*.js") if p.name != "bootstrap.js"]
    classes, ids, elements = used_names(outdir, scripts)
    for relative in PURGED:
        path = static / relative
        if not path.is_file():
            continue
        purged = purge_css(path.read_text(encoding="utf-8"), classes, ids, elements)
        if purged is None:
            logger.info("purge: %s does not parse cleanly; left whole", relative)
            continue
        path.write_text(purged, encoding="utf-8")
        changed.append(relative)
    theme, imported = (static / name for name in THEME_IMPORT)
    if theme.is_file() and imported.is_file() and "@import" in theme.read_text(encoding="utf-8"):
        merged = [rebased(imported, theme)]
        for relative in MERGED:
            if (static / relative).is_file():
                merged.append(rebased(static / relative, theme))
        theme.write_text("\n".join(merged), encoding="utf-8")
        changed.append(THEME_IMPORT[0])
        links = re.compile(r'\n?[ \t]*<link\b[^>]*\bhref="[^"]*_static/(?:' + "|".join(map(re.escape, MERGED))
                           + r')\?(?:v|digest)=\w+"[^>]*>')
        for page in pages:
            html = page.read_text(encoding="utf-8")
            fewer = links.sub("", html)
            if fewer != html:
                page.write_text(fewer, encoding="utf-8")

    for path in unused_static_files(outdir):
        path.unlink()
    for folder in sorted((p for p in static.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()

    # New checksums where the content changed, in every page.
    for page in pages:
        html = page.read_text(encoding="utf-8")
        updated = html
        for relative in changed:
            if (static / relative).is_file():
                updated = re.sub(r"(_static/" + re.escape(relative) + r")\?(?:v|digest)=\w+",
                                 lambda m, r=relative: f"{m[1]}?v={checksum(static / r)}", updated)
        if updated != html:
            page.write_text(updated, encoding="utf-8")


def setup(app: Sphinx) -> None:
    # Off only to compare with the theme's own assets (tests/test_performance.py).
    app.add_config_value("kb_slim_assets", True, "html", types=(bool, int))
    app.connect("html-page-context", lighter_scripts, priority=950)
    app.connect("build-finished", slim_site, priority=800)
