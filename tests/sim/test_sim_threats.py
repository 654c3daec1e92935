"""The threat model (issue 13 §1): calibration, draws, determinism, effect on shortfall, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
import yaml
from typer.testing import CliRunner

from reeplan.errors import ScenarioError
from reeplan.sim import run_simulation
from reeplan.sim.threat_draws import ThreatSampler, draw_events
from reeplan.sim.threats import (
    calc_calibration,
    compile_threats,
    default_model_path,
    load_history,
    load_threat_model,
    load_threat_scenario,
    rate_draw,
)


@pytest.fixture(scope="module")
def model():
    return load_threat_model()


def test_calibration_matches_the_history(model) -> None:
    """The model's expected number of events over the history window matches the history's
    count within the stated 90 % interval, by the table and by simulation."""
    hist = load_history(model)
    n = len(hist.counted())
    assert n == 4  # 2010 quotas, 2023 technology, April and October 2025
    assert hist.window.years == 16
    cal = calc_calibration(model).set_index("quantity")
    rate = cal.loc["export-control event rate (per year)"]
    assert rate["posterior"] == "Gamma(4.5, 16)"
    assert rate["p5"] < n / 16 < rate["p95"]
    window = cal.loc["events over the history window (16 y)"]
    assert window["mean"] == pytest.approx(4.5)
    assert window["p5"] <= n <= window["p95"]
    rng = np.random.default_rng(0)
    counts = rng.poisson(rate_draw(model, rng, 200_000) * 16)
    assert counts.mean() == pytest.approx(window["mean"], rel=0.02)
    lo, hi = np.percentile(counts, [5, 95])
    assert lo <= n <= hi
    assert (lo, hi) == (window["p5"], window["p95"])


def test_shocks_lie_within_the_horizon(model, bundled_net) -> None:
    _, _, net = bundled_net
    comp = compile_threats(model, net)
    ev = draw_events(comp.sampler, 3, 0, 250)
    q0, q1 = 4.0, 64.0  # 2026Q1 and 2041Q1 on the 2025Q1 axis
    starts = ev["start"][ev["valid"]]
    assert len(starts) > 100
    assert (starts >= q0).all()
    assert (starts < q1).all()
    P = ev["P"]
    assert (P["first_shock"] >= q0).all()
    for key, path in P.items():
        if key.endswith((".deny", ".mil", ".loss")):
            assert path.shape == (250, net.n_quarters)
            assert (path[:, :4] == 0).all(), key
            assert ((path >= 0) & (path <= 1)).all(), key
    assert ev["count"].mean() == pytest.approx(0.281 * 15, rel=0.25)


def test_same_seed_same_draws_and_result(model, bundled_net) -> None:
    _, _, net = bundled_net
    comp = compile_threats(model, net)
    a, b = comp.sampler(7, 1, 250), comp.sampler(7, 1, 250)
    c = comp.sampler(8, 1, 250)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["first_shock"], c["first_shock"])
    r1 = run_simulation(net, comp, 6, 5)
    r2 = run_simulation(net, compile_threats(model, net), 6, 5)
    assert np.array_equal(r1.data["shortfall"].values, r2.data["shortfall"].values)


def test_higher_event_rate_raises_expected_shortfall(bundled_net) -> None:
    _, _, net = bundled_net
    low = load_threat_model(rate_multiplier=0.5)
    high = load_threat_model(rate_multiplier=3.0)
    unmet = []
    for m in (low, high):
        res = run_simulation(net, compile_threats(m, net), 250, 1)
        d = res.data
        heavy = d["use_element"].isin(["Dy", "Tb"])  # the elements export controls bind first
        unmet.append(float(d["unmet"].sel(stockpile="with").where(heavy, 0.0).sum("use")
                           .mean()))
    assert unmet[1] > 1.5 * unmet[0] > 0


def test_load_threat_scenario_runs_through_run_simulation(bundled_net) -> None:
    ds, _, net = bundled_net
    res = load_threat_scenario(None, ds, net, samples=4, seed=0)
    assert res.data["shortfall"].shape[0] == 4
    assert res.diagnostics["first_shock"].shape == (4,)
    assert res.provenance["threat_history"]


def test_every_parameter_overridable_and_strict(tmp_path: Path) -> None:
    raw = yaml.safe_load(default_model_path().read_text())
    raw["history"] = str(default_model_path().parent / raw["history"])
    raw["export_controls"]["rate_prior"] = {"shape": 1.0, "rate": 4.0,
                                            "source": "assumption: test prior"}
    raw["export_controls"]["duration_years"] = 3.0
    p = tmp_path / "m.yaml"
    p.write_text(yaml.safe_dump(raw))
    m = load_threat_model(p)
    assert m.export_controls.duration_years == 3.0
    cal = calc_calibration(m).set_index("quantity")
    assert cal.loc["export-control event rate (per year)", "posterior"] == "Gamma(5, 20)"
    raw["export_controls"]["surprise"] = 1
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError, match=r"surprise|Extra"):
        load_threat_model(p)
    del raw["export_controls"]["surprise"]
    raw["export_controls"]["rate_prior"]["rate"] = float("inf")
    p.write_text(yaml.safe_dump(raw))
    with pytest.raises(ScenarioError):
        load_threat_model(p)


def test_sampler_is_vectorised_and_picklable(model, bundled_net) -> None:
    import pickle

    _, _, net = bundled_net
    sm = compile_threats(model, net).sampler
    assert isinstance(sm, ThreatSampler)
    again = pickle.loads(pickle.dumps(sm))
    assert np.array_equal(again(0, 0, 10)["first_shock"], sm(0, 0, 10)["first_shock"])


def test_threats_show_cli() -> None:
    from reeplan.cli.threats import register

    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app)
    r = CliRunner().invoke(app, ["threats", "show", "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["calibration"][0]["posterior"] == "Gamma(4.5, 16)"
    assert any(p["parameter"].startswith("myanmar_feed") for p in data["parameters"])
    r = CliRunner().invoke(app, ["threats", "show"])
    assert r.exit_code == 0
    assert "Calibration" in r.output
    r = CliRunner().invoke(app, ["threats", "show", "nope.yaml"])
    assert r.exit_code == 1
