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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.builders.html._assets import _JavaScript
from sphinx.util import logging

from .compress import READY_MADE

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

def used_names(pages: Iterable[str], scripts: list[Path]) -> tuple[set[str], set[str], set[str]]:
    """(classes, ids, elements) named by the pages' HTML, each widened by every word of the site's scripts."""
    classes: set[str] = set(SAFELIST)
    ids: set[str] = set()
    elements: set[str] = {"html", "body", "head"}
    for html in pages:
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
    if not any(char in text for char in "([\"'"):  # nothing nested: most selector lists
        return text.split(separator)
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
    if not any(char in selector for char in "[(\\"):  # no arguments to skip: most selectors
        return re.sub(r":{1,2}[\w-]+", "", selector) if ":" in selector else selector
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
    if "\\" not in name:  # no escapes: nearly every name
        return name
    return re.sub(r"\\([0-9a-fA-F]{1,6}\s?|.)",
                  lambda m: chr(int(m[1], 16)) if re.fullmatch(r"[0-9a-fA-F]{1,6}\s?", m[1]) else m[1], name)


KEYFRAMES_HEADER = re.compile(r"@(?:-webkit-)?keyframes\s+([\w-]+)\{")
CLASS_NAME = re.compile(r"\.((?:\\.|[\w-])+)")
ID_NAME = re.compile(r"#((?:\\.|[\w-])+)")
COMBINATOR = re.compile(r"[\s>+~]+")
ELEMENT = re.compile(r"[A-Za-z][\w-]*")


def selector_can_match(selector: str, classes: set[str], ids: set[str], elements: set[str]) -> bool:
    plain = without_functions_and_attributes(selector)
    for name in CLASS_NAME.findall(plain):
        if unescape(name) not in classes:
            return False
    for name in ID_NAME.findall(plain):
        if unescape(name) not in ids:
            return False
    for compound in COMBINATOR.split(plain):
        tag = ELEMENT.match(compound)
        if tag and "|" not in compound and tag[0].lower() not in elements:
            return False
    return True


@dataclass
class CssBlock:
    """A rule of a stylesheet: its prelude (selectors, or an at-rule's head) and its block; `rules` holds
    the parsed inner rules of a conditional at-rule (@media, @supports...), `body` its raw text otherwise."""
    prelude: str
    body: str | None  # None: a statement at-rule ending in ";" (@import, @charset)
    rules: list[CssBlock] | None = None


NESTING_AT_RULES = {"media", "supports", "layer", "container", "document"}
_STRING = r""""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"""
CSS_COMMENT = re.compile(r"(" + _STRING + r")|/\*.*?\*/", re.S)  # a comment, unless inside a string
_STRING_OR_ESCAPE = _STRING + r"|\\."
# From a position, skip text, strings and escapes up to the next structural character (group 1): in a
# list of rules "{", "}" or ";"; inside a block read as text (declarations, @keyframes) only braces.
NEXT_IN_RULES = re.compile(r"(?:" + _STRING_OR_ESCAPE + r"""|[^{};"'\\])*([{};])""", re.S)
NEXT_IN_BLOCK = re.compile(r"(?:" + _STRING_OR_ESCAPE + r"""|[^{}"'\\])*([{}])""", re.S)


def css_blocks(css: str) -> list[CssBlock] | None:
    """The stylesheet's rules, nested at-rules parsed too; None if braces do not balance.

    Only the block structure is parsed (strings, escapes and comments respected): a full CSS
    tokenizer (tinycss2) spent half a second of every build on the values of declarations,
    which the purge never looks at."""
    css = CSS_COMMENT.sub(lambda m: m[1] or "", css)
    top: list[CssBlock] = []
    # Open blocks: [list the finished block joins, its prelude, where its body starts, its inner
    # rules (None: the block is read as text), depth of braces inside a block read as text]
    open_blocks: list[list[Any]] = []
    start = position = 0
    while True:
        as_text = bool(open_blocks) and open_blocks[-1][3] is None
        match = (NEXT_IN_BLOCK if as_text else NEXT_IN_RULES).match(css, position)
        if match is None:
            break
        token, at = match[1], match.start(1)
        position = match.end()
        if as_text:
            block = open_blocks[-1]
            if token == "{" or block[4]:
                block[4] += 1 if token == "{" else -1
                continue
        siblings = open_blocks[-1][3] if open_blocks else top
        if token == "{":
            prelude = css[start:at].strip()
            at_rule = re.match(r"@([\w-]+)", prelude)
            inner = [] if at_rule and at_rule[1].lower() in NESTING_AT_RULES else None
            open_blocks.append([siblings, prelude, position, inner, 0])
        elif token == ";":
            prelude = css[start:at].strip()
            if prelude and not prelude.startswith("@"):
                return None
            if prelude:
                siblings.append(CssBlock(prelude, None))
        else:  # "}"
            if not open_blocks or (css[start:at].strip() and open_blocks[-1][3] is not None):
                return None
            parent, prelude, body_start, inner, _ = open_blocks.pop()
            parent.append(CssBlock(prelude, css[body_start:at].strip(), inner))
        start = position
    if open_blocks or css[start:].strip():
        return None
    return top


def purge_css(css: str, classes: set[str], ids: set[str], elements: set[str]) -> str | None:
    """The stylesheet with only the rules that can match; None if it does not parse cleanly."""
    can_match: dict[str, bool] = {}

    def rules(blocks: list[CssBlock]) -> list[str]:
        kept: list[str] = []
        for block in blocks:
            if block.body is None:
                kept.append(block.prelude + ";")
            elif block.rules is not None:
                inner = rules(block.rules)
                if inner:
                    kept.append(block.prelude + "{" + "".join(inner) + "}")
            elif block.prelude.startswith("@"):  # @font-face, @keyframes, @page, @property ...: sorted out below
                kept.append(block.prelude + "{" + block.body + "}")
            else:
                selectors = []
                for selector in split_top_level(block.prelude):
                    selector = selector.strip()
                    if selector and selector not in can_match:
                        can_match[selector] = selector_can_match(selector, classes, ids, elements)
                    if selector and can_match[selector]:
                        selectors.append(selector)
                if selectors:
                    kept.append(",".join(selectors) + "{" + block.body + "}")
        return kept

    blocks = css_blocks(css)
    if blocks is None:
        return None
    parsed = rules(blocks)
    # Web fonts no kept rule names; and Font Awesome's, whose icons kb-icons.css draws as SVG masks.
    def family(rule: str) -> str:
        match = re.search(r"font-family:\s*([^;}]+)", rule)
        return unescape(match[1]).strip().strip("\"'") if match else ""

    faces = [rule for rule in parsed if rule.startswith("@font-face")]
    others = unescape("\n".join(rule for rule in parsed if not rule.startswith("@font-face")))
    for face in faces:
        name = family(face)
        if not name or name.startswith("Font Awesome") or name not in others:
            parsed.remove(face)
    text = "\n".join(parsed)
    # Animations no kept rule runs: a @keyframes name that occurs nowhere but in @keyframes headers.
    headers = Counter(KEYFRAMES_HEADER.findall(text))
    if headers:
        words = Counter(re.findall(r"[\w-]+", text))
        unused = {name for name, count in headers.items() if words[name] <= count}
        if unused:
            text = "\n".join(rule for rule in text.split("\n")
                             if not (header := KEYFRAMES_HEADER.match(rule)) or header[1] not in unused)
    return text + "\n"


# --- unused files ---------------------------------------------------------------------------------

PATH_LIKE = re.compile(r"[\w.~@%+-]+(?:/[\w.~@%+-]+)*")
STATIC_PATH = re.compile(r"_static/([\w.~@%+-]+(?:/[\w.~@%+-]+)*)")


def named_paths(text: str) -> set[str]:
    """Every path-like word of the text and each of its tails ("a/b/c.css": also "b/c.css", "c.css")."""
    tails: set[str] = set()
    for word in set(PATH_LIKE.findall(text)):
        if "." not in word:  # every file in _static has a suffix, so a name without a dot names none
            continue
        parts = word.split("/")
        tails.update("/".join(parts[index:]) for index in range(len(parts)))
    return tails


def unused_static_files(outdir: Path, pages: dict[Path, str] | None = None) -> list[Path]:
    """Files in _static that no page names, nor any stylesheet or script named (transitively).

    A file counts as named when its path below _static, or its file name if longer than six
    characters, occurs as a path or the tail of one (in an href, a url(), a script's string).
    `pages`: texts of files not yet written back (the pages, as slim_site has rewritten them)."""
    pages = pages or {}
    static = outdir / "_static"
    # .gz, .br: compress.py's business; kb-*: our own files, each written for the pages that load it (the
    # search index is named by our search page's template, which a project on another theme may lack)
    files = [p for p in static.rglob("*") if p.is_file() and p.suffix not in READY_MADE and not p.name.startswith("kb-")]
    named: set[str] = set()
    for path in outdir.rglob("*"):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES or static in path.parents:
            continue
        text = pages[path] if path in pages else path.read_text(encoding="utf-8", errors="replace")
        # A page names a static file only by its path under _static/ (every word of 1.5 MB of pages
        # was a tenth of a second); other files (sitemap, data exports) are read whole.
        named |= set(STATIC_PATH.findall(text)) if path.suffix == ".html" else named_paths(text)
    used: set[Path] = set()
    changed = True
    while changed:
        changed = False
        for path in files:
            if path in used:
                continue
            if path.relative_to(static).as_posix() in named or (len(path.name) > 6 and path.name in named):
                used.add(path)
                changed = True
                if path.suffix in TEXT_SUFFIXES:
                    named |= named_paths(path.read_text(encoding="utf-8", errors="replace"))
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
    # Every page is read once, changed in memory, and written back once at the end if it changed.
    written = {p: p.read_text(encoding="utf-8") for p in outdir.rglob("*.html") if static not in p.parents}
    pages = dict(written)

    # Bootstrap's bundle out, our small script in.
    if (static / OUR_UI).is_file():
        for page, html in pages.items():
            pages[page] = BOOTSTRAP.sub(lambda m: f'<script defer src="{m[1]}{OUR_UI}?v=0"></script>', html)

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
    classes, ids, elements = used_names(pages.values(), scripts)
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
        for page, html in pages.items():
            pages[page] = links.sub("", html)

    for path in unused_static_files(outdir, pages):
        path.unlink()
    for folder in sorted((p for p in static.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        if not any(folder.iterdir()):
            folder.rmdir()

    # New checksums where the content changed, in every page.
    checksums = {relative: checksum(static / relative) for relative in changed if (static / relative).is_file()}
    if checksums:
        linked = re.compile(r"(_static/(" + "|".join(map(re.escape, checksums)) + r"))\?(?:v|digest)=\w+")
        for page, html in pages.items():
            pages[page] = linked.sub(lambda m: f"{m[1]}?v={checksums[m[2]]}", html)
    for page, html in pages.items():
        if html != written[page]:
            page.write_text(html, encoding="utf-8")


def setup(app: Sphinx) -> None:
    # Off only to compare with the theme's own assets (tests/test_performance.py).
    app.add_config_value("kb_slim_assets", True, "html", types=(bool, int))
    app.connect("html-page-context", lighter_scripts, priority=950)
    app.connect("build-finished", slim_site, priority=800)
