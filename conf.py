"""Sphinx configuration of the Norway Health Export Knowledge Base (pages in docs/, run from the root)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

project = "Norway Health Export Knowledge Base"
author = "The knowledge base editors"
copyright = "the knowledge base editors; source texts belong to their publishers"
language = "en"

extensions = [
    "myst_parser",
    "sphinx_design",
    "sphinx_reredirects",
    "sphinx_sitemap",
    "sphinxext.opengraph",
    "notfound.extension",
    "kb_ext",
]

# Where the site is published. One setting; a deployment overrides it with KB_BASE_URL.
html_baseurl = os.environ.get("KB_BASE_URL", "https://norway-health-export.example/").rstrip("/") + "/"

kb_catalogue = str(ROOT / "source_texts" / "catalogue.yaml")
kb_data_dir = str(ROOT / "data")
kb_security_headers = str(ROOT / "deploy" / "security-headers.conf")
kb_schema = str(ROOT / "data" / "schema" / "knowledge-base.schema.json")

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", ".venv", "**/README.md"]
templates_path = [str(ROOT / "theme" / "templates")]
html_static_path = [str(ROOT / "theme" / "static")]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist", "attrs_inline", "attrs_block"]
myst_heading_anchors = 3

nitpicky = True

html_theme = "sphinx_book_theme"
html_title = project
html_favicon = str(ROOT / "theme" / "static" / "favicon.svg")
# Each page's last update comes from git (kb_ext/site/cite.py loads sphinx-last-updated-by-git in a work tree).
html_last_updated_fmt = "%Y-%m-%d"
git_last_updated_timezone = "UTC"
html_show_sourcelink = False
html_copy_source = False
html_show_search_summary = False  # summaries are fetched in the background, which fails from file://
html_context = {"default_mode": "auto"}
html_css_files = ["kb-icons.css", "kb.css"]
html_sidebars = {"**": ["navbar-logo.html", "search-button-field.html", "kb-sidebar-nav-bs.html"]}
html_theme_options = {
    "navbar_persistent": [],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "search_bar_text": "Search the knowledge base…",
    # The sidebar lists the top-level pages and the current page's own branch, not every page of every
    # section: each page's navigation then stays small as the site grows (make bench: linear growth).
    "collapse_navbar": True,
    # Under each page: its last update and "Cite this page"; the footer: the edition, the year, the Index.
    "article_footer_items": ["kb-page-meta.html"],
    "footer_content_items": ["kb-footer.html"],
}

# Stable links: every published URL stays valid. A moved page gets an entry here (old docname ->
# new target, relative to the old page), and published-urls.txt lists what must keep resolving.
redirects = {
    "measures": "export-initiative.html#measures",
    "fifteen-measures": "export-initiative.html#measures",
    "directory/organizations": "organisations.html",
}
redirect_html_template_file = str(ROOT / "theme" / "redirect.html")

sitemap_url_scheme = "{link}"
sitemap_excludes = ["search.html", "genindex.html", "404.html"]

ogp_site_url = html_baseurl
ogp_site_name = project
ogp_image = "_static/share-card.png"
ogp_image_alt = "Norway Health Export Knowledge Base"
ogp_description_length = 240
ogp_custom_meta_tags = ['<meta name="twitter:card" content="summary_large_image" />']
ogp_social_cards = {"enable": False}

notfound_urls_prefix = "/"
