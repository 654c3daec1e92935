"""The CLI: summary output, table display, and bad input (exit 1, file/row/field, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reeplan.cli import app
from tests.conftest import replace_in

runner = CliRunner()
SKIP = ["--skip", "simulate", "--skip", "finance", "--skip", "optimize",
        "--skip", "consequences"]


def test_run_on_tiny_dataset(tiny_dir: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--data", str(tiny_dir), "--no-store", *SKIP,
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "China mined 60%" in text  # China's mine share 60/100
    assert "HHI 0.46" in text  # HHI 0.6² + 0.3² + 0.1²
    assert "imports 75%" in text  # NIR (100 − 25)/100
    assert "Findings" in res.output
    assert len(res.output.splitlines()) < 25  # a short summary, not 60 headline lines
    assert f"wrote {tmp_path / 'out' / 'brief.html'}" in res.output.replace("\n", "")


def test_run_json(tiny_dir: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--data", str(tiny_dir), "--json", "--no-store", *SKIP,
                              "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["headlines"]["china_mine_share"] == 0.6
    assert data["headlines"]["us_nir_compounds_metals"] == 0.75
    assert len(data["files"]) == 3


def test_data_show_csv(tiny_dir: Path) -> None:
    res = runner.invoke(app, ["data", "show", "facilities", "--data", str(tiny_dir),
                              "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[0].startswith("id,name,owner,country,stage")
    assert "mine_usa" in res.stdout


def test_data_show_unknown_table(tiny_dir: Path) -> None:
    res = runner.invoke(app, ["data", "show", "nope", "--data", str(tiny_dir)])
    assert res.exit_code == 1
    assert "unknown table 'nope'" in res.output
    assert "Traceback" not in res.output


def test_data_show_bad_format(tiny_dir: Path) -> None:
    res = runner.invoke(app, ["data", "show", "facilities", "--data", str(tiny_dir),
                              "--format", "xml"])
    assert res.exit_code == 1
    assert "--format must be one of" in res.output


def test_data_check_lists_three_planted_errors(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "facilities.csv", "operating", "running")
    replace_in(tiny_dir / "compositions.csv", "Nd,0.2", "Nd,0.4")
    replace_in(tiny_dir / "awards.csv", "DoD,direct_loan,src_a", "DoD,direct_loan,src_zz")
    res = runner.invoke(app, ["data", "check", str(tiny_dir)])
    assert res.exit_code == 1
    assert "3 problem(s)" in res.output
    assert "facilities.csv, row 1, field 'status'" in res.output
    assert "compositions.csv, row 1, field 'share'" in res.output
    assert "awards.csv, row 1, field 'source_id'" in res.output
    assert "Traceback" not in res.output


def test_data_check_ok(tiny_dir: Path) -> None:
    res = runner.invoke(app, ["data", "check", str(tiny_dir)])
    assert res.exit_code == 0, res.output
    assert "is valid" in res.output


def test_data_check_overlay(tiny_dir: Path, tmp_path: Path) -> None:
    over = tmp_path / "over"
    over.mkdir()
    (over / "reserves.csv").write_text(
        "id,country,value,vintage,source_id,grade\nres_usa,USA,-1,x,src_a,A\n"
    )
    res = runner.invoke(app, ["data", "check", str(over), "--overlay-of", str(tiny_dir)])
    assert res.exit_code == 1
    assert "reserves.csv, row 1, field 'value'" in res.output


def test_missing_data_folder_exit_1(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--data", str(tmp_path / "none")])
    assert res.exit_code == 1
    assert "does not exist" in res.output
    assert "Traceback" not in res.output


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.output.startswith("reeplan ")


def test_data_show_compact_and_columns(tiny_dir: Path) -> None:
    res = runner.invoke(app, ["data", "show", "facilities", "--data", str(tiny_dir)],
                        env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    assert "more column(s) not shown" in res.output
    res = runner.invoke(app, ["data", "show", "facilities", "--data", str(tiny_dir),
                              "--columns", "id,start_year"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert ",0" not in res.output  # years as integers, not 2,025
    bad = runner.invoke(app, ["data", "show", "facilities", "--columns", "nope"])
    assert bad.exit_code == 1


def test_exposure_fits_80_columns() -> None:
    res = runner.invoke(app, ["exposure", "--element", "Dy"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80


def test_finance_prints_terms_and_refuses_other_project() -> None:
    res = runner.invoke(app, ["finance", "mp-10x", "--package", "mp-2025", "--samples", "20"],
                        env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "floor price $110/kg" in text
    assert "volumes" in text
    assert "tenor" in text
    assert "Treasury +" in text
    bad = runner.invoke(app, ["finance", "vulcan-magnets", "--package", "mp-2025",
                              "--samples", "20"])
    assert bad.exit_code == 1
    assert "--force" in " ".join(bad.output.split())
    forced = runner.invoke(app, ["finance", "vulcan-magnets", "--package", "mp-2025",
                                 "--samples", "20", "--force", "--format", "json"])
    assert forced.exit_code == 0, forced.output
    json.loads(forced.stdout)


def test_help_defaults_are_the_settings_defaults() -> None:
    """Every "[default: X]" an option's help shows for a setting is that setting's default (one
    default per setting), and the help renders it (rich would swallow unescaped brackets)."""
    import re

    import typer.main

    from reeplan.settings import Settings

    defaults = {k: f.default for k, f in Settings.model_fields.items()}
    checked = 0

    def walk(cmd) -> None:
        nonlocal checked
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)
        for p in getattr(cmd, "params", []):
            m = re.search(r"\[default: ([^\]]+)\]", p.help or "")
            if m and p.name in defaults:
                shown, want = m.group(1), defaults[p.name]
                assert type(want)(float(shown) if isinstance(want, float) else shown) == want, \
                    (cmd.name, p.name, shown, want)
                checked += 1

    walk(typer.main.get_command(app))
    assert checked >= 15
    res = runner.invoke(app, ["simulate", "--help"], terminal_width=200)
    assert "[default: 1000]" in res.output
    assert "[default: 20250404]" in res.output
