"""The built site in a real Chromium, opened from disk with the network cut off."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_theme_mode_switch_has_no_console_errors_and_keeps_diagrams(built_site: Path, open_page) -> None:
    page, visit = open_page((built_site / "index.html").as_uri(), color_scheme="dark")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.evaluate("document.documentElement.dataset.mode = 'light'")
    assert not visit.problems()


@pytest.mark.parametrize(("query", "expected_page"), [
    ("Kjerkhol", "directory/people.html"),
    ("Startuplab", "directory/organisations.html"),
    ("Nortrials", "glossary.html"),
])
def test_search_works_from_disk(built_site: Path, open_page, query: str, expected_page: str) -> None:
    page, visit = open_page((built_site / "search.html").as_uri() + f"?q={query}")
    page.wait_for_selector("#search-results ul.search li", timeout=15000)
    links = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    assert any(expected_page in link for link in links), links
    assert not visit.problems()
