"""What a strict host needs from the build: no inline scripts, the CSP as a <meta> tag, redirects for nginx.

- The Content-Security-Policy is defined once, in ``deploy/security-headers.conf`` (the nginx
  header). Every page carries it as a ``<meta>`` tag too, less the directives a ``<meta>`` cannot
  carry, so the copy read from disk runs under the same rules.
- pydata-sphinx-theme adds two inline scripts to every page (``DOCUMENTATION_OPTIONS.pagename`` and
  ``.search_as_you_type``); they serve its version switcher and search-as-you-type, which this site
  does not use, so they are left out. The theme's inline light/dark script is our ``kb-mode.js``.
- The redirect stubs (sphinx-reredirects) keep one inline script, which carries a link's #anchor
  over to the new address; each stub's policy pins it by its SHA-256.
- ``_build/nginx/redirects.conf``: the same redirects as real 301s, for ``deploy/nginx.conf``.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
import re
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ConfigError
from sphinx.util import logging

from .patches import drop_theme_inline_scripts

logger = logging.getLogger(__name__)

HEADERS_FILE = Path(__file__).resolve().parent.parent.parent / "deploy" / "security-headers.conf"
META_IGNORED = ("frame-ancestors", "report-uri", "report-to", "sandbox")
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def header_policy(path: Path = HEADERS_FILE) -> str:
    """The Content-Security-Policy of the headers file; ConfigError (with file and line) if it has none."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}:1: cannot read the security headers: {error}") from error
    match = re.search(r'^\s*add_header Content-Security-Policy "([^"]+)"', text, re.M)
    if match is None:
        raise ConfigError(f"{path}:1: no line 'add_header Content-Security-Policy \"...\"': every page carries "
                          "that policy as a <meta>, so the file must define it")
    line = text.count("\n", 0, match.start(1)) + 1
    if "script-src" not in match[1]:
        raise ConfigError(f"{path}:{line}: the Content-Security-Policy has no script-src directive")
    return match[1]


def read_policy(app: Sphinx) -> None:
    """Read once per build from conf.py's ``kb_security_headers`` (a tracked input, see kb_ext/state.py:
    editing it re-reads every page, incremental builds included)."""
    try:
        app.kb_header_policy = header_policy(Path(app.confdir, app.config.kb_security_headers))  # type: ignore[attr-defined]
    except ConfigError as error:
        logger.error(f"Security headers error: {error}")
        raise SystemExit(2) from error


def meta_policy(extra_script_sources: tuple[str, ...] = (), policy: str | None = None) -> str:
    directives = []
    for directive in (policy or header_policy()).split(";"):
        name = directive.split()[0] if directive.strip() else ""
        if not name or name in META_IGNORED:
            continue
        if name == "script-src" and extra_script_sources:
            directive = directive.rstrip() + " " + " ".join(extra_script_sources)
        directives.append(directive.strip())
    return "; ".join(directives)


def no_inline_scripts(app: Sphinx, pagename: str, templatename: str, context: dict[str, Any],
                      doctree: Any) -> None:
    drop_theme_inline_scripts(context)  # a patch of the theme: kb_ext/site/patches.py
    context["kb_csp"] = meta_policy(policy=app.kb_header_policy)  # type: ignore[attr-defined]


def redirect_target(source: str, target: str) -> str:
    """A redirect's target as a path from the site root (targets in conf.py are relative to the old page)."""
    if re.match(r"^[a-z]+://", target):
        return target
    path, _, anchor = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    return "/" + resolved + (f"#{anchor}" if anchor else "")


def pin_stubs_and_write_nginx_redirects(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.name != "html":
        return
    redirects: dict[str, str] = getattr(app.config, "redirects", {})  # sphinx-reredirects may be absent
    lines = ["# Written by the build (kb_ext/site/hosting.py) from conf.py `redirects`: moved pages as 301s.\n"]
    for source, target in sorted(redirects.items()):
        stub = Path(app.outdir, source + ".html")
        if not stub.is_file():
            logger.warning(f"redirect {source!r} -> {target!r}: no stub page was written for it "
                           "(is {source!r} also a page?)", location="conf.py", type="kb", subtype="redirect")
            continue
        html = stub.read_text(encoding="utf-8")
        hashes = tuple(f"'sha256-{base64.b64encode(hashlib.sha256(m.encode()).digest()).decode()}'"
                       for m in INLINE_SCRIPT.findall(html))
        meta = f'<meta http-equiv="Content-Security-Policy" content="{meta_policy(hashes, app.kb_header_policy)}">\n'
        if "Content-Security-Policy" not in html:
            stub.write_text(html.replace('<meta charset="utf-8">\n', '<meta charset="utf-8">\n' + meta, 1),
                            encoding="utf-8")
        lines.append(f"location = /{source}.html {{ return 301 {redirect_target(source, target)}; }}\n")
    nginx = Path(app.outdir).parent / "nginx"
    nginx.mkdir(exist_ok=True)
    (nginx / "redirects.conf").write_text("".join(lines), encoding="utf-8")


def setup(app: Sphinx) -> None:
    app.connect("builder-inited", read_policy)
    app.connect("html-page-context", no_inline_scripts, priority=900)
    app.connect("build-finished", pin_stubs_and_write_nginx_redirects)
