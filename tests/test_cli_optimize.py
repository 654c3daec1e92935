"""`reeplan optimize` and `reeplan frontier` on the bundled data (few samples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeplan.cli import app

runner = CliRunner()


def test_optimize_json_respects_budget() -> None:
    res = runner.invoke(app, ["optimize", "--budget", "1e9", "--samples", "18",
                              "--scenario", "april-2025-controls", "--scenario",
                              "heavy-ree-embargo", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["cost_usd"] <= 1e9 * (1 + 1e-9)
    assert data["expected_loss"] <= data["baseline_loss"] + 1e-6
    assert data["solver"]["termination"] == "optimal"
    assert {r["project"] for r in data["why"]} >= set(data["selection"])
    for award in data["awards"]:
        if award["option"] != "purchase":
            assert award["project"] in data["selection"]


def test_frontier_writes_chart(tmp_path: Path) -> None:
    res = runner.invoke(app, ["frontier", "--max-budget", "2e9", "--points", "3", "--samples",
                              "9", "--scenario", "april-2025-controls", "--chart",
                              str(tmp_path / "f"), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)["frontier"]
    assert [r["budget_usd"] for r in rows] == pytest.approx([0, 1e9, 2e9])
    assert rows[0]["cost_usd"] == 0
    assert rows[-1]["objective"] <= rows[0]["objective"] + 1e-9
    assert (tmp_path / "f.png").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["optimize", "--budget", "-1"], "--budget"),
    (["optimize", "--scenario", "no-such-scenario", "--samples", "5"], "no-such-scenario"),
    (["frontier", "--points", "1"], "--points must be at least 2"),
    (["optimize", "--cvar", "1.5"], "--cvar"),
])
def test_bad_options_exit_1(args: list[str], message: str) -> None:
    res = runner.invoke(app, args)
    assert res.exit_code == 1, res.output
    assert message in res.output
    assert "Traceback" not in res.output


def test_optimize_json_stdout_is_pure_json() -> None:
    """Through a real process: the solver's banner (written to file descriptor 1 from C++)
    must not reach stdout ahead of the JSON."""
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "reeplan", "optimize", "--budget", "1e9", "--samples", "12",
         "--scenario", "april-2025-controls", "--json"],
        capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["cost_usd"] <= 1e9 * (1 + 1e-9)


def test_optimize_objective_value_runs_on_the_bundled_data() -> None:
    """Issue 14: `reeplan optimize --objective value`, with the other objectives beside it."""
    res = runner.invoke(app, ["optimize", "--objective", "value", "--compare-objectives",
                              "--samples", "30", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["objective_name"] == "value"
    assert data["objective_unit"] == "$M"
    assert data["value_floor_per_bn"] == pytest.approx(1000.0)  # $1 of output per $1
    weights = {r["group"]: r for r in data["weights_per_t"]}
    assert weights["DyTb"]["defense_per_t"] >= weights["DyTb"]["civil_per_t"] > 0
    assert data["expected_loss"] <= data["baseline_loss"] + 1e-6
    rows = {r["optimised_for"]: r for r in data["by_objective"]}
    assert set(rows) == {"value", "tonnes", "defense"}
    # the value portfolio avoids at least as much value, net of its cost at the floor, as the
    # portfolios chosen for the other objectives (it is optimal for that objective)
    def net(r: dict) -> float:
        return r["avoided_value"] - 1000.0 * r["scored_cost_usd"] / 1e9
    assert net(rows["value"]) >= max(net(rows["tonnes"]), net(rows["defense"])) - 1e-6 * abs(
        net(rows["value"])) - 1.0
    assert "weighted shortfall by" not in json.dumps(data["why"])
