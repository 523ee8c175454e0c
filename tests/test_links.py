"""Links partners rely on: the URL contract, redirects, canonical URLs, sitemap, previews, inventory, data."""

from __future__ import annotations

import json
import re
import runpy
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
import yaml
from bs4 import BeautifulSoup
from sphinx.util.inventory import InventoryFile

from conftest import ROOT

from scripts.published_urls import published_urls

CONFIG = runpy.run_path(str(ROOT / "conf.py"))
BASE = CONFIG["html_baseurl"]


def contract() -> list[str]:
    lines = (ROOT / "published-urls.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def ids_of(page: Path) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', page.read_text(encoding="utf-8")))


def article_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if 'class="bd-article"' in p.read_text(encoding="utf-8"))


def test_every_published_url_still_resolves(built_site: Path) -> None:
    lost = []
    for url in contract():
        page, _, anchor = url.partition("#")
        path = built_site / page
        if not path.is_file():
            lost.append(f"{url}: the page is gone (add a redirect for {page[:-5]!r} in conf.py `redirects`)")
        elif anchor and anchor not in ids_of(path):
            lost.append(f"{url}: the anchor is gone from {page} (keep an element with id {anchor!r}, "
                        "e.g. a heading label `({anchor})=` in MyST)")
    assert not lost, "Published URLs no longer resolve:\n" + "\n".join(lost)


def test_the_contract_lists_every_current_public_url(built_site: Path) -> None:
    missing = sorted(set(published_urls(built_site)) - set(contract()))
    assert not missing, ("New public URLs are not in published-urls.txt; run `make urls` and commit it:\n"
                         + "\n".join(missing[:40]))


@pytest.mark.parametrize(("old", "target"), sorted(CONFIG["redirects"].items()))
def test_redirect_lands_on_the_right_page_and_anchor_from_disk(built_site: Path, open_page, old: str,
                                                               target: str) -> None:
    page, visit = open_page((built_site / f"{old}.html").as_uri())
    page.wait_for_url(re.compile(r".*" + re.escape(target.split("#")[0].split("/")[-1]) + r".*"), timeout=10000)
    expected = (built_site / old).parent.joinpath(target.split("#")[0]).resolve().as_uri()
    assert page.url.split("#")[0] == expected
    if "#" in target:
        assert page.url.endswith("#" + target.split("#")[1])
        assert page.locator(f"#{target.split('#')[1]}").count() == 1
    assert not visit.problems()


def test_redirect_carries_the_anchor_along(built_site: Path, open_page) -> None:
    page, _ = open_page((built_site / "directory" / "organizations.html").as_uri() + "#innovation-norway")
    page.wait_for_url(re.compile(r".*organisations\.html#innovation-norway$"), timeout=10000)


def test_canonical_link_and_previews_on_every_page(built_site: Path) -> None:
    for name in article_pages(built_site):
        html = BeautifulSoup((built_site / name).read_text(encoding="utf-8"), "html.parser")
        canonical = html.select_one('link[rel="canonical"]')
        assert canonical and canonical["href"] == BASE + name, name
        for prop in ("og:title", "og:description", "og:image", "og:url", "og:site_name"):
            tag = html.select_one(f'meta[property="{prop}"]')
            assert tag and tag["content"].strip(), f"{name}: {prop} missing"
        description = html.select_one('meta[property="og:description"]')["content"]
        assert not description.startswith(("Title,", "Skip")), f"{name}: description is not a lead sentence"
        image = html.select_one('meta[property="og:image"]')["content"]
        assert (built_site / image.removeprefix(BASE)).is_file(), image


def test_sitemap_lists_every_page_exactly_once(built_site: Path) -> None:
    tree = ElementTree.parse(built_site / "sitemap.xml")
    locations = [loc.text for loc in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert len(locations) == len(set(locations))
    expected = {BASE + name for name in article_pages(built_site) if name not in {"search.html", "genindex.html",
                                                                              "404.html"}}
    assert set(locations) == expected


def test_inventory_resolves_every_entry_measure_and_source_paragraph(built_site: Path) -> None:
    inventory = InventoryFile.loads((built_site / "objects.inv").read_bytes(), uri=BASE).data["std:label"]
    data = {name: yaml.safe_load((ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))
            for name in ("organisations", "people", "figures", "events")}
    labels = [record["id"] for records in data.values() for record in records]
    labels += [f"measure-{n}" for n in range(1, 16)]
    catalogue = yaml.safe_load((ROOT / "source_texts" / "catalogue.yaml").read_text(encoding="utf-8"))["texts"]
    for text in catalogue:
        lines = [line for line in (ROOT / "source_texts" / text["file"]).read_text(encoding="utf-8").split("\n")
                 if line.strip()]
        labels += [f"{text['id']}-p{n}" for n in range(1, len(lines) + 1)]
    for label in labels:
        assert label in inventory, f"{label} is not in objects.inv"
        item = inventory[label]
        page, _, anchor = item.uri.removeprefix(BASE).partition("#")
        assert anchor in ids_of(built_site / page), f"{label}: {item.uri} does not resolve"
        assert item.display_name not in {"", "-", label}, f"{label} has no readable display name"


def test_json_export_validates_and_every_url_exists(built_site: Path) -> None:
    document = json.loads((built_site / "_data" / "knowledge-base.json").read_text(encoding="utf-8"))
    schema = json.loads((built_site / "_data" / "knowledge-base.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema)
    urls = [r["url"] for key in ("sources", "organisations", "people", "figures", "events", "measures")
            for r in document[key]] + [c["paragraph_url"] for c in document["citations"]]
    for url in urls:
        page, _, anchor = url.removeprefix(BASE).partition("#")
        assert (built_site / page).is_file(), url
        assert not anchor or anchor in ids_of(built_site / page), url


def test_json_export_refuses_a_broken_record(built_site: Path) -> None:
    document = json.loads((built_site / "_data" / "knowledge-base.json").read_text(encoding="utf-8"))
    schema = json.loads((built_site / "_data" / "knowledge-base.schema.json").read_text(encoding="utf-8"))
    del document["measures"][3]["text"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)


def test_hosting_recipes_parse_and_call_existing_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, flags=re.M))
    for recipe in (ROOT / ".readthedocs.yaml", ROOT / ".github" / "workflows" / "pages.yml"):
        text = recipe.read_text(encoding="utf-8")
        yaml.safe_load(text)
        # A command that starts with make (after `run:`, a list dash or `&&`, and any VAR=value).
        calls = re.findall(r"(?:run:|^\s*-|&&)\s*(?:\w+=\S+\s+)*make ([a-z][a-z-]*)", text, flags=re.M)
        assert calls, f"{recipe.name} calls no make target"
        for target in calls:
            assert target in targets, f"{recipe.name} calls `make {target}`, which the Makefile lacks"


def test_404_page_offers_search_and_home(built_site: Path) -> None:
    html = (built_site / "404.html").read_text(encoding="utf-8")
    assert 'href="/index.html"' in html and "search" in html.lower()
