"""The build itself: strict, reproducible, and refusing source texts that are not exactly as received."""

from __future__ import annotations

import filecmp
import hashlib
from pathlib import Path

import yaml

from conftest import ROOT, copy_project, sphinx_build

SHARED_TEXTS = ROOT.parent / "shared" / "source_texts"


def test_catalogue_matches_the_texts_byte_for_byte() -> None:
    catalogue = yaml.safe_load((ROOT / "source_texts" / "catalogue.yaml").read_text(encoding="utf-8"))["texts"]
    assert len(catalogue) == 5
    for entry in catalogue:
        text = ROOT / "source_texts" / entry["file"]
        assert hashlib.sha256(text.read_bytes()).hexdigest() == entry["sha256"], entry["file"]
        original = SHARED_TEXTS / entry["original_file"]
        if original.exists():  # the shared folder is beside the repository on our machines, not in every clone
            assert original.read_bytes() == text.read_bytes(), entry["file"]


def test_strict_build_passes_and_publishes_no_doctrees(built_site: Path) -> None:
    assert (built_site / "index.html").is_file()
    assert not list(built_site.rglob(".doctrees")), "doctrees must stay outside the published folder"
    assert not list(built_site.rglob("*.pickle"))


def test_two_clean_builds_are_byte_identical(built_site: Path, tmp_path: Path) -> None:
    result = sphinx_build(ROOT, tmp_path / "again")
    assert result.returncode == 0, result.stderr[-3000:]
    again = tmp_path / "again" / "html"
    first = sorted(p.relative_to(built_site) for p in built_site.rglob("*") if p.is_file())
    second = sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    assert first == second
    _, mismatch, errors = filecmp.cmpfiles(built_site, again, [str(p) for p in first], shallow=False)
    assert not mismatch and not errors, f"files differ between two clean builds: {mismatch[:10]}"


def test_tampered_source_text_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    text = project / "source_texts" / "market-report.txt"
    text.write_bytes(text.read_bytes().replace(b"657 companies", b"658 companies"))
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode != 0
    assert "market-report.txt" in result.stderr and "SHA-256" in result.stderr
    assert not (tmp_path / "out" / "html" / "index.html").exists(), "no half-written site"


def test_missing_source_text_fails_the_build_naming_the_file(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "source_texts" / "cluster-cooperation.txt").unlink()
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode != 0
    assert "cluster-cooperation.txt" in result.stderr and "missing" in result.stderr


def test_bad_data_fails_the_build_naming_file_and_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    people = project / "data" / "people.yaml"
    lines = people.read_text(encoding="utf-8").splitlines()
    line_number = next(i for i, line in enumerate(lines, 1) if line.startswith("- id: edgar-franke"))
    lines[line_number - 1] = "- id: jan-christian-vestre"
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = sphinx_build(project, tmp_path / "out")
    assert result.returncode != 0
    assert f"people.yaml:{line_number}: duplicate id 'jan-christian-vestre'" in result.stderr
