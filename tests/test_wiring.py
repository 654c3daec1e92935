"""One path for inputs, settings and results (issue 11): the dataset reaches finance, one seed and
one meaning of ``samples`` everywhere, strict JSON from every command, the README session runs."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeplan.cli import app
from reeplan.finance.inputs import finance_inputs
from reeplan.io.readers import bundled_data_dir, load_dataset
from reeplan.optimize.build import evaluate_options
from reeplan.settings import Settings
from reeplan.workflows.appraise import award_costs

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]


def _strict(text: str) -> object:
    """json.loads that rejects NaN and Infinity (they are not JSON)."""

    def reject(token: str) -> None:
        msg = f"non-JSON constant {token}"
        raise ValueError(msg)

    return json.loads(text, parse_constant=reject)


@pytest.fixture(scope="module")
def pessimistic_overlay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An overlay that lowers the completion probability of planned, financed projects."""
    with (bundled_data_dir() / "parameters.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    row = next(r for r in rows if r["id"] == "completion_prob_planned_financed")
    row["value"], row["low"] = "0.2", "0.1"  # the analyst's own value and range
    out = tmp_path_factory.mktemp("overlay")
    with (out / "parameters.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)
    return out


def test_overlay_reaches_the_award_costs(pessimistic_overlay: Path) -> None:
    base = award_costs(load_dataset(), samples=200, seed=3, packages=["mp-2025"])
    over = award_costs(load_dataset(None, [pessimistic_overlay]), samples=200, seed=3,
                       packages=["mp-2025"])
    before = float(base.table["expected_cost_musd"].iloc[0])
    after = float(over.table["expected_cost_musd"].iloc[0])
    assert before != pytest.approx(after, rel=1e-3)
    # the CLI takes the same overlay
    args = ["finance", "mp-10x", "--package", "mp-2025", "--samples", "200", "--seed", "3",
            "--format", "json"]
    res_b = runner.invoke(app, args)
    res_o = runner.invoke(app, [*args, "--overlay", str(pessimistic_overlay)])
    assert res_b.exit_code == 0, res_b.output
    assert res_o.exit_code == 0, res_o.output
    cost_b = _strict(res_b.stdout)["cost_to_government"]["total"]["expected_cost_musd"]
    cost_o = _strict(res_o.stdout)["cost_to_government"]["total"]["expected_cost_musd"]
    assert cost_b == pytest.approx(before)
    assert cost_o == pytest.approx(after)


def test_same_seed_same_award_costs_everywhere() -> None:
    ds = load_dataset()
    st = Settings()
    costs = award_costs(ds, samples=150, seed=st.seed).table.set_index("package")
    res = runner.invoke(app, ["finance", "mp-10x", "--package", "mp-2025", "--samples", "150",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    cli = _strict(res.stdout)["cost_to_government"]["total"]["expected_cost_musd"]
    assert cli == pytest.approx(costs.loc["mp-2025", "expected_cost_musd"], rel=1e-12)
    options = evaluate_options(finance_inputs(ds), 150, st.seed).set_index("option")
    assert options.loc["preset:mp-2025", "cost_usd"] / 1e6 == pytest.approx(cli, rel=1e-12)


def test_optimize_and_run_recommend_the_same_portfolio(tmp_path: Path) -> None:
    common = ["--scenario", "heavy-ree-embargo", "--samples", "40", "--seed", "11",
              "--budget", "2e9"]
    opt = runner.invoke(app, ["optimize", *common, "--json"])
    assert opt.exit_code == 0, opt.output
    doc = _strict(opt.stdout)
    run = runner.invoke(app, ["run", *common, "--no-store", "--json", "--skip", "finance",
                              "--out", str(tmp_path)])
    assert run.exit_code == 0, run.output
    heads = _strict(run.stdout)["headlines"]
    assert heads["portfolio_cost"] == pytest.approx(doc["cost_usd"], rel=1e-9)
    brief = _strict((tmp_path / "brief.json").read_text(encoding="utf-8"))
    section = next(s for s in brief["sections"] if s["name"] == "portfolio")
    assert {r["project"]: r["option"] for r in section["tables"]["awards"]} == doc["selection"]
    assert doc["samples_per_scenario"] == 40


@pytest.mark.parametrize("args", [
    ["exposure", "--element", "Dy", "--format", "json"],
    ["data", "show", "parameters", "--format", "json"],
    ["scenarios", "list", "--format", "json"],
    ["scenarios", "show", "heavy-ree-embargo", "--format", "json"],
    ["simulate", "heavy-ree-embargo", "--samples", "20", "--format", "json"],
    ["finance", "mp-10x", "--package", "mp-2025", "--samples", "50", "--format", "json"],
    ["finance", "compare", "mp-10x", "--package", "mp-2025", "--package", "mp-10x-grant",
     "--samples", "50", "--format", "json"],
])
def test_json_output_is_strict_json(args: list[str]) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    _strict(res.stdout)


def test_simulate_json_writes_never_reached_as_null() -> None:
    res = runner.invoke(app, ["simulate", "myanmar-feed-loss", "--samples", "20",
                              "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = _strict(res.stdout)
    values = [r["tts_years_p50"] for r in doc["time_to_survive"]]
    assert None in values  # uses with no shortfall before 2040
    for row in doc["time_to_survive"]:  # every null says why, in words
        for key, value in list(row.items()):
            if value is None and not key.endswith("_reason"):
                assert row[f"{key}_reason"] == (
                    "no shortfall before the end of 2040" if key.startswith("tts_")
                    else "still short at the end of 2040" if key.startswith("ttr_")
                    else row[f"{key}_reason"])
    assert any(k.endswith("_reason") for r in doc["time_to_survive"] for k in r)
    assert "inf" not in res.stdout.replace("info", "")


def test_readme_python_session_runs() -> None:
    """The README's ten-line Python session, executed as written."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block is not None, "the README has no ```python block"
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 12
    scope: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), scope)
    best = scope["best"]
    assert best.result.cost <= 1e9 + 1e-6
    assert best.result.expected_loss <= best.result.baseline_loss + 1e-9
