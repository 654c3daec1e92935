"""Strict loading of project and package files: clear errors naming file, field and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.finance._data import SOURCES
from typer.testing import CliRunner

from reeplan.cli import app
from reeplan.errors import DataError
from reeplan.finance.loader import (
    list_package_presets,
    load_package,
    load_projects,
    presets_dir,
    resolve_project,
)
from reeplan.finance.sourced import provenance

GOOD = """\
id: small
name: Small grant
project: aclara-louisiana
source_id: fin_asm_alt_packages
grade: D
instruments:
  - id: g
    kind: grant
    year: 2026.0
    amount_musd: 40
"""


def _write(tmp_path: Path, text: str, name: str = "pkg.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(DataError) as info:
        load_package(path, source_ids=SOURCES)
    return [str(p) for p in info.value.problems]


def test_finance_presets_load_and_every_number_is_sourced() -> None:
    projects = load_projects(source_ids=SOURCES)
    expected = {
        "mp-10x",
        "mp-mountain-pass-hree",
        "energy-fuels-phase2",
        "usar-stillwater",
        "vulcan-magnets",
        "aclara-louisiana",
        "lynas-texas",
        "ucore-louisiana",
        "noveon-expansion",
    }
    assert expected <= set(projects)
    known = SOURCES
    for project in projects.values():
        rows = provenance(project)
        assert rows, project.id
        assert all(r.source_id in known and r.grade for r in rows), project.id
    assert {"mp-2025", "mp-10x-grant", "mp-10x-guarantee"} <= set(list_package_presets())
    for pid in list_package_presets():
        pkg = load_package(pid, source_ids=SOURCES)
        assert pkg.project in projects
        assert all(r.source_id in known for r in provenance(pkg)), pid


def test_finance_good_user_file_loads(tmp_path: Path) -> None:
    pkg = load_package(_write(tmp_path, GOOD), source_ids=SOURCES)
    assert pkg.instruments[0].amount_musd.value == 40.0
    assert pkg.instruments[0].amount_musd.source_id is None  # inherits the package's source


@pytest.mark.parametrize(
    ("edit", "field", "words"),
    [
        (
            ("amount_musd: 40", "amount_musd: 40\n    colour: red"),
            "instruments.0.colour",
            "unknown key",
        ),
        (("amount_musd: 40", "amount_musd: forty"), "instruments.0.amount_musd", "valid number"),
        (("    amount_musd: 40\n", ""), "instruments.0.amount_musd", "required field is missing"),
        (("kind: grant", "kind: gift"), "instruments.0.kind", "grant"),
        (
            ("source_id: fin_asm_alt_packages", "source_id: no_such_source"),
            "source_id",
            "no_such_source",
        ),
        (
            ("amount_musd: 40", "amount_musd: {value: 40, source_id: nope, grade: D}"),
            "instruments.0.amount_musd.source_id",
            "'nope' is not in sources.csv",
        ),
        (("name: Small grant", "name: Small grant\nname: Again"), "name", "duplicate key"),
        (("source_id: fin_asm_alt_packages\n", ""), "instruments.0.amount_musd", "no source"),
    ],
)
def test_finance_bad_package_names_file_field_line(
    tmp_path: Path, edit: tuple[str, str], field: str, words: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*edit, 1))
    problems = _problems(path)
    hit = [p for p in problems if f"field '{field}'" in p]
    assert hit, problems
    assert all(p.startswith("pkg.yaml") for p in problems)
    assert words in hit[0]
    assert "(line " in hit[0]


def test_finance_bad_yaml_and_missing_files(tmp_path: Path) -> None:
    problems = _problems(_write(tmp_path, "id: [unclosed\n"))
    assert "invalid YAML (line" in problems[0]
    with pytest.raises(DataError, match="presets: mp-10x-grant"):
        load_package("no-such-preset", source_ids=SOURCES)
    with pytest.raises(DataError, match="does not exist"):
        load_package(tmp_path / "missing.yaml", source_ids=SOURCES)


def test_finance_user_projects_file(tmp_path: Path) -> None:
    text = (presets_dir() / "projects.yaml").read_text()
    path = _write(tmp_path, text, "mine.yaml")
    assert resolve_project(f"{path}:lynas-texas", source_ids=SOURCES).id == "lynas-texas"
    with pytest.raises(DataError, match="holds 9 projects"):
        resolve_project(str(path), source_ids=SOURCES)
    bad = _write(
        tmp_path, text.replace("    build_years: 1.75\n", "    build_years: -1\n", 1), "bad.yaml"
    )
    with pytest.raises(DataError) as info:
        load_projects(bad, source_ids=SOURCES)
    (p,) = info.value.problems
    assert p.file == "bad.yaml"
    assert p.field == "projects.energy-fuels-phase2.build_years"
    assert "must be zero or more" in p.message
    with pytest.raises(DataError, match="no preset project 'nope'"):
        resolve_project("nope", source_ids=SOURCES)


def test_finance_cli_bad_package_exits_1_without_traceback(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("amount_musd: 40", "amount_musd: 40\n    colour: red"))
    result = CliRunner().invoke(
        app, ["finance", "aclara-louisiana", "--package", str(path), "--samples", "50"]
    )
    assert result.exit_code == 1
    assert "pkg.yaml" in result.output
    assert "instruments.0.colour" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["finance", "nope"], 1),
        (["finance", "mp-10x", "--format", "xml"], 1),
        (["finance", "compare", "mp-10x"], 2),  # the parser: --package is required
        (["finance", "mp-10x", "extra"], 2),
    ],
)
def test_finance_cli_errors_exit_1_or_usage_2(argv: list[str], code: int) -> None:
    result = CliRunner().invoke(app, argv)
    assert result.exit_code == code, result.output
    assert "rror" in result.output
    assert "Traceback" not in result.output


def test_finance_compare_has_its_own_help_page() -> None:
    own = CliRunner().invoke(app, ["finance", "compare", "--help"])
    group = CliRunner().invoke(app, ["finance", "--help"])
    assert own.exit_code == group.exit_code == 0
    assert own.output != group.output
    assert "finance compare [OPTIONS]" in own.output
    assert "common random numbers" in own.output
    assert "compare" in group.output
    assert "appraise" in group.output
