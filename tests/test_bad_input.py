"""Bad scenario and package YAML, bad CLI options and bad output paths (issue 17).

Every case must end in a clear error naming the file and field (exit code 1 on the command line),
never a traceback, a hang, or silently accepted data.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reeplan.brief.render import write_brief
from reeplan.cli import app
from reeplan.errors import DataError, ScenarioError
from reeplan.finance.loader import load_package, presets_dir
from reeplan.io.yaml import YamlDoc
from reeplan.sim.loader import load_scenario
from reeplan.sim.presets import preset_path

runner = CliRunner()

SCENARIO = preset_path("april-2025-controls").read_text(encoding="utf-8")
PACKAGE = (presets_dir() / "packages" / "mp-2025.yaml").read_text(encoding="utf-8")
SOURCES = {"mp_8k_2025_07", "fin_mp_10q_q3_2025", "fin_asm_mp_ndpr_volume",
           "fin_asm_mp_full_production", "fin_asm_mp_loan_terms", "fin_asm_warrant_inputs",
           "fin_treasury_2025_07_07", "fin_osc_nofa_2024", "fin_usc_4533", "fin_usc_4534",
           "fin_irc_11b", "fin_treasury_2025_07_22"}


def alias_bomb(levels: int = 99) -> tuple[str, str]:
    """YAML lines defining a "billion laughs" bomb (2**levels values) and the alias to it."""
    lines = ["a0: &a0 [lol, lol]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n", f"*a{levels - 1}"


def scenario_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(path)
    return [str(p) for p in exc.value.problems]


def package_problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "package.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as exc:
        load_package(path, source_ids=SOURCES)
    return [str(p) for p in exc.value.problems]


def with_field(text: str, after: str, line: str) -> str:
    """Insert ``line`` after the first line containing ``after`` (same indentation)."""
    i = text.index(after)
    end = text.index("\n", i) + 1
    indent = re.match(r"\s*", text[text.rindex("\n", 0, i) + 1:])[0]
    return text[:end] + indent + line + "\n" + text[end:]


# -- YAML limits: bombs, aliases in includes, nesting, NUL bytes --------------------------------


@pytest.mark.timeout(30)
def test_alias_bomb_in_includes_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    body, ref = alias_bomb()
    probs = scenario_problems(
        tmp_path, body + f"name: x\ntitle: t\nsources: [s]\nincludes: [{ref}]\n")
    assert any("alias bomb" in p for p in probs), probs


@pytest.mark.timeout(30)
def test_alias_bomb_in_package_is_a_problem_not_a_hang(tmp_path: Path) -> None:
    body, ref = alias_bomb()
    probs = package_problems(
        tmp_path, body + f"id: x\nname: n\nproject: mp-10x\ninstruments: {ref}\nnote: {ref}\n")
    assert any("alias bomb" in p for p in probs), probs


def test_recursive_alias_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: &a [1, *a]\n")
    doc = YamlDoc(path)
    assert doc.data is None
    assert any("recursive alias" in p.message for p in doc.problems)


def test_alias_in_includes_names_the_field(tmp_path: Path) -> None:
    probs = scenario_problems(
        tmp_path, "x: &x [a, b]\nname: y\ntitle: t\nsources: [s]\nincludes: [*x]\n")
    assert any("includes[0]" in p for p in probs), probs


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["scenario", "package"])
def test_deep_nesting_and_nul_bytes(tmp_path: Path, kind: str) -> None:
    check = scenario_problems if kind == "scenario" else package_problems
    assert any("nesting deeper" in p for p in check(tmp_path, "[" * 10000))
    text = SCENARIO if kind == "scenario" else PACKAGE
    assert any("NUL byte" in p for p in check(tmp_path, text + "\x00"))


# -- scenario files ------------------------------------------------------------------------


def test_scenario_duplicate_key(tmp_path: Path) -> None:
    text = SCENARIO.replace("title:", "title: first\ntitle:", 1)
    assert any("field 'title': duplicate key" in p for p in scenario_problems(tmp_path, text))


@pytest.mark.parametrize("when", ["1800-01-01", "2200-01-01", "2200Q1", "1800-05"])
def test_scenario_dates_far_outside_the_horizon(tmp_path: Path, when: str) -> None:
    text = SCENARIO.replace("start: 2025-04-04", f"start: {when}", 1)
    probs = scenario_problems(tmp_path, text)
    assert any("export_controls[0].start" in p and "horizon" in p for p in probs), probs


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("probability: true", "export_controls[0].probability"),
        ("probability: .nan", "export_controls[0].probability"),
        ("duration_years: .inf", "export_controls[0].duration_years"),
        ("probability: {dist: uniform, low: .nan, high: 1}", "export_controls[0].probability"),
        ("probability: {dist: beta, a: .inf, b: 2}", "export_controls[0].probability"),
    ],
)
def test_scenario_booleans_nan_and_inf_are_rejected(tmp_path: Path, line: str,
                                                    field: str) -> None:
    text = with_field(SCENARIO, "    source: usgs_mcs2026_re", line)
    probs = scenario_problems(tmp_path, text)
    assert any(field in p for p in probs), probs


def test_scenario_approval_rate_nan(tmp_path: Path) -> None:
    text = re.sub(r"approval_rate: \{dist: uniform[^}]*\}", "approval_rate: .nan", SCENARIO,
                  count=1)
    probs = scenario_problems(tmp_path, text)
    assert any("export_controls[0].approval_rate" in p and "finite" in p for p in probs), probs


@pytest.mark.parametrize("value", ["-5", "2025.0", "true", "3000"])
def test_scenario_through_fiscal_year(tmp_path: Path, value: str) -> None:
    probs = scenario_problems(tmp_path, SCENARIO + f"stockpile: {{through_fiscal_year: {value}}}\n")
    assert any("stockpile.through_fiscal_year" in p for p in probs), probs


def test_scenario_long_name_in_file_is_a_problem(tmp_path: Path) -> None:
    text = SCENARIO.replace("name: april-2025-controls", "name: " + "a" * 300)
    probs = scenario_problems(tmp_path, text)
    assert any("field 'name'" in p for p in probs)
    assert all(len(p) < 400 for p in probs)  # the value is not echoed whole


def test_scenario_long_name_on_the_command_line() -> None:
    res = runner.invoke(app, ["simulate", "a" * 300, "--samples", "10"])
    assert res.exit_code == 1, res.output
    assert "File name too long" not in res.output or "not a usable" in res.output
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


# -- package files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("amount_musd: 400", "amount_musd: -400", "instruments.2.amount_musd"),
        ("amount_musd: 400", "amount_musd: .nan", "instruments.2.amount_musd"),
        ("amount_musd: 400", "amount_musd: .inf", "instruments.2.amount_musd"),
        ("amount_musd: 400", "amount_musd: true", "instruments.2.amount_musd"),
        ("year: 2025.52", "year: .nan", "instruments.0.year"),
        ("year: 2025.52", "year: 1800", "instruments.0.year"),
        ("upside_share: 0.30", "upside_share: 2", "instruments.0.upside_share"),
        ("strike_usd_per_kg: 110", "strike_usd_per_kg: -.inf", "instruments.0.strike_usd_per_kg"),
    ],
)
def test_package_bad_numbers(tmp_path: Path, old: str, new: str, field: str) -> None:
    probs = package_problems(tmp_path, PACKAGE.replace(old, new, 1))
    assert any(f"field '{field}'" in p and "(line " in p for p in probs), probs


@pytest.mark.parametrize("share", ["2", "-0.5", ".nan"])
def test_package_grant_cost_share(tmp_path: Path, share: str) -> None:
    text = PACKAGE.replace(
        "instruments:\n",
        "instruments:\n  - id: g\n    kind: grant\n    year: 2026\n    amount_musd: 10\n"
        f"    cost_share: {share}\n", 1)
    probs = package_problems(tmp_path, text)
    assert any("instruments.0.cost_share" in p for p in probs), probs


def test_package_for_another_project_is_refused_without_force(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(PACKAGE.replace("project: mp-10x", "project: some-other-project"))
    res = runner.invoke(app, ["finance", "mp-10x", "--package", str(path), "--samples", "10"])
    assert res.exit_code == 1, res.output
    assert "some-other-project" in res.output
    assert "--force" in res.output
    assert "Traceback" not in res.output


# -- outputs: checked before any work, OS errors as messages -------------------------------------

TINY = Path(__file__).parent / "data" / "tiny"
SKIP = ["--skip", "simulate", "--skip", "finance", "--skip", "optimize",
        "--skip", "consequences"]


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder nobody may write in (root ignores permission bits: /proc refuses files)."""
    import os

    if os.geteuid() == 0:
        return Path("/proc/reeplan-test")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder / "out"


def no_traceback(res) -> None:
    assert "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception


def test_run_out_is_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "a-file"
    target.write_text("keep me")
    res = runner.invoke(app, ["run", "--data", str(TINY), "--no-store", *SKIP,
                              "--out", str(target)])
    assert res.exit_code == 1
    assert "--out" in res.output
    assert "not a folder" in res.output
    assert "summary" not in res.output  # failed before any work: no progress bar
    assert target.read_text() == "keep me"
    no_traceback(res)


def test_run_out_in_a_read_only_folder(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--data", str(TINY), "--no-store", *SKIP,
                              "--out", str(unwritable_folder(tmp_path))])
    assert res.exit_code == 1
    assert "--out" in res.output
    assert "cannot write" in res.output
    no_traceback(res)


@pytest.mark.parametrize(
    "args",
    [
        ["exposure", "--sankey", "{file}/sankey"],
        ["exposure", "--heatmap", "{ro}/heat"],
        ["exposure", "--sankey", ""],
        ["simulate", "heavy-ree-embargo", "--samples", "10", "--fan", "{file}/fan.png"],
        ["simulate", "heavy-ree-embargo", "--samples", "10", "--fan", "{dir}"],
        ["frontier", "--points", "3", "--samples", "10", "--chart", "{ro}/chart"],
    ],
)
def test_figure_paths_are_checked_before_any_work(tmp_path: Path, args: list[str]) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    values = {"file": str(a_file), "ro": str(unwritable_folder(tmp_path)),
              "dir": str(tmp_path)}
    res = runner.invoke(app, [a.format(**values) for a in args])
    assert res.exit_code == 1, res.output
    assert args[-2] in res.output  # the option is named
    no_traceback(res)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", "--year", "2039"], "--year 2039"),
        (["run", "--year", "1999"], "--year"),
        (["run", "--budget", "inf"], "--budget"),
        (["run", "--budget", "nan"], "--budget"),
        (["run", "--samples", "0"], "--samples"),
        (["frontier", "--points", "1000000"], "--points"),
        (["frontier", "--points", "1"], "--points"),
    ],
)
def test_bad_option_values_fail_before_any_work(tmp_path: Path, args: list[str],
                                                words: str) -> None:
    extra = ["--no-store", "--data", str(TINY), "--out", str(tmp_path / "out")] \
        if args[0] == "run" else []
    res = runner.invoke(app, [*args, *extra])
    assert res.exit_code == 1, res.output
    assert words in res.output
    assert not (tmp_path / "out").exists()
    no_traceback(res)


def test_exit_code_2_for_usage_errors_and_1_for_bad_values(capsys) -> None:
    from reeplan.cli import main

    for argv, code in ((["run", "--no-such-option"], 2), (["run", "--samples", "abc"], 2),
                       (["run", "--samples", "0", "--no-store"], 1)):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert exc.value.code == code, argv
    assert "Traceback" not in capsys.readouterr().err


def test_store_password_is_never_printed(tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", "--data", str(TINY), *SKIP, "--out", str(tmp_path / "o"),
                              "--store", "postgresql://u:S3CRETPW@127.0.0.1:1/db"])
    assert res.exit_code == 1
    assert "S3CRETPW" not in res.output
    assert "***" in res.output


def test_mask_secrets() -> None:
    from reeplan.cli.common import mask_secrets

    assert mask_secrets("x postgresql+psycopg://u:PW@h:5/db y") == \
        "x postgresql+psycopg://u:***@h:5/db y"
    assert "abc" not in mask_secrets("host=h password=abc user=u")


# -- a run: published all at once, provenance without local paths -------------------------------


def test_run_publishes_one_run_and_keeps_no_absolute_paths(tmp_path: Path) -> None:
    import json

    out = tmp_path / "out"
    store = tmp_path / "runs.sqlite"
    res = runner.invoke(app, ["run", "--data", str(TINY), *SKIP, "--out", str(out),
                              "--store", str(store), "--json"])
    assert res.exit_code == 0, res.output
    latest = out / "latest"
    assert latest.is_symlink()
    for name in ("brief.html", "brief.xlsx", "brief.json"):
        assert (out / name).resolve().parent == latest.resolve()
    text = (out / "brief.json").read_text(encoding="utf-8")
    prov = json.loads(text)["provenance"]
    assert prov["dataset_paths"] == ["tiny"]
    assert str(tmp_path) not in text
    assert not list((out / "runs").glob(".staging-*"))


PROV = {"code_version": "test", "dataset_digest": "0" * 64, "seed": 1}


def test_failed_publish_leaves_the_previous_brief(tmp_path: Path) -> None:
    from reeplan.brief.model import RunResult, Section

    out = tmp_path / "out"
    first = RunResult([Section("summary", "Summary", tables={"t": pd.DataFrame({"a": [1]})})],
                      PROV | {"run": "first"})
    write_brief(first, out)
    before = (out / "brief.json").read_text()

    def boom() -> None:
        raise KeyboardInterrupt("interrupted by SIGTERM")

    second = RunResult([Section("summary", "Summary")], PROV | {"run": "second"})
    with pytest.raises(KeyboardInterrupt):
        write_brief(second, out, before_publish=boom)
    assert (out / "brief.json").read_text() == before
    assert len(list((out / "runs").iterdir())) == 1  # no staging folder left behind


def test_excel_text_cells_are_never_formulas(tmp_path: Path) -> None:
    import openpyxl

    from reeplan.brief.model import RunResult, Section

    evil = ['=HYPERLINK("http://example.com","x")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)"]
    result = RunResult([Section("summary", "Summary", tables={
        "sources": pd.DataFrame({"title": evil, "value": [1.0, 2.0, 3.0, 4.0]})})],
        PROV | {"note": "=1+1"})
    write_brief(result, tmp_path / "out")
    book = openpyxl.load_workbook(tmp_path / "out" / "brief.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    titles = [c.value for c in cells if isinstance(c.value, str)]
    assert evil[0] in titles  # kept exactly, as text
    assert any(c.data_type == "n" and c.value == 2.0 for c in cells)  # numbers stay numbers


def test_rich_markup_in_data_is_printed_literally() -> None:
    from rich.console import Console

    from reeplan.cli.common import rich_table

    console = Console(record=True, width=200)
    console.print(rich_table(pd.DataFrame({"[bold]country": ["China [/bold]",
                                                             "[link=https://x]y[/link]"]})))
    text = console.export_text()
    assert "China [/bold]" in text
    assert "[link=https://x]y[/link]" in text


def test_control_character_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    """Found by the YAML fuzz: PyYAML's reader raised outside the reader's ``try``."""
    probs = package_problems(tmp_path, PACKAGE.replace("\n", "\x1b\n", 1))
    assert any("invalid YAML" in p for p in probs), probs


def test_a_bug_exits_1_with_a_message_and_a_traceback_file(monkeypatch, capsys) -> None:
    """The catch-all of ``main``: an unexpected exception is reported as a bug, not dumped."""
    import reeplan.cli.exposure as exposure_cli
    from reeplan.cli import main

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planted bug")

    monkeypatch.setattr(exposure_cli, "load", boom)
    monkeypatch.delenv("REEPLAN_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["exposure", "--data", str(TINY)])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: planted bug" in err
    assert "Traceback" not in err
    path = Path(err.split("The traceback is in ")[1].split(";")[0])
    assert "planted bug" in path.read_text(encoding="utf-8")
    assert "Traceback" in path.read_text(encoding="utf-8")
    path.unlink()
