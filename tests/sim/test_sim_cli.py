"""``reeplan simulate`` and ``reeplan scenarios``: output, formats, and exit 1 on bad input."""

from __future__ import annotations

import json

from tests.sim.conftest import DATA, SIMNET
from typer.testing import CliRunner

from reeplan.cli import app

runner = CliRunner()


def test_simulate_bad_scenario_exits_1_with_file_and_field() -> None:
    res = runner.invoke(app, ["simulate", str(DATA / "bad_scenario.yaml"), "--data",
                              str(SIMNET)])
    assert res.exit_code == 1
    assert "Traceback" not in res.output
    assert "bad_scenario.yaml" in res.output
    assert "export_controls[0].forms[1]" in res.output


def test_simulate_unknown_preset_exits_1() -> None:
    res = runner.invoke(app, ["simulate", "no-such-preset", "--data", str(SIMNET)])
    assert res.exit_code == 1
    assert "no such scenario" in res.output


def test_simulate_hand_network_json() -> None:
    res = runner.invoke(app, ["simulate", str(DATA / "hand_ban.yaml"), "--data", str(SIMNET),
                              "--samples", "4", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    tts = {(r["element"], r["sector"], r["stockpile"]): r for r in data["time_to_survive"]}
    assert abs(tts[("Dy", "defense", "without")]["tts_years_p50"] - 2 / 0.875 / 4) < 1e-6
    assert abs(tts[("Dy", "defense", "with")]["tts_years_p50"] - 5 / 0.875 / 4) < 1e-6
    assert data["assumptions"]


def test_simulate_table_prints_shortfall_and_tts(tmp_path) -> None:
    fan = tmp_path / "fan.png"
    res = runner.invoke(app, ["simulate", str(DATA / "hand_ban.yaml"), "--data", str(SIMNET),
                              "--samples", "4", "--fan", str(fan)])
    assert res.exit_code == 0, res.output
    assert "Cumulative unmet US demand" in res.output
    assert "Time to survive" in res.output
    assert fan.stat().st_size > 1000


def test_scenarios_list_and_show() -> None:
    res = runner.invoke(app, ["scenarios", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    names = {r["name"] for r in json.loads(res.stdout)}
    assert {"april-2025-controls", "heavy-ree-embargo", "myanmar-feed-loss"} <= names
    res = runner.invoke(app, ["scenarios", "show", "april-2025-controls"])
    assert res.exit_code == 0, res.output
    assert "cn_2025_04_controls" in res.output
    res = runner.invoke(app, ["scenarios", "show", str(DATA / "bad_scenario.yaml")])
    assert res.exit_code == 1


def test_simulation_section_tables(simnet) -> None:
    from reeplan.brief.sections.simulation import simulation_tables
    from reeplan.workflows.simulate import simulate

    ds, _, net = simnet
    results = simulate(ds, [DATA / "hand_ban.yaml"], samples=4, seed=0, network=net)
    out = simulation_tables(results, net, {})
    assert {"sim_shortfall", "sim_tts", "sim_prices", "sim_fan", "sim_baseline",
            "sim_assumptions"} <= set(out)
    tts = out["sim_tts"].set_index(["element", "sector", "stockpile"])
    assert abs(tts.loc[("Dy", "defense", "with"), "tts_years_p50"] - 5 / 0.875 / 4) < 1e-6
    assert (out["sim_baseline"]["coverage"] > 0.999).all()
    assert set(out["sim_fan"]["element"]) == {"Dy"}
