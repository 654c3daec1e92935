"""The portfolio MILP against exhaustive enumeration, invariants, the hub rule, infeasibility."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr

from reeplan.errors import InfeasibleError
from reeplan.optimize.evaluate import calc_cvar, enumerate_optimum, evaluate_selection
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec, random_instance
from reeplan.optimize.model import SolverStatus, solve_portfolio

EXACT = {"cost_tiebreak": 0.0, "mip_gap": 1e-9}


@pytest.mark.parametrize(("seed", "n_projects", "n_options", "extra"), [
    (1, 6, 2, {}),
    (2, 7, 2, {"budget_per_year": 300e6}),
    (3, 5, 3, {"fund_cap": 150e6}),
    (4, 6, 2, {"cvar_alpha": 0.8, "cvar_lambda": 0.5}),
    (5, 12, 1, {}),
    (6, 6, 2, {"max_per_project": 350e6, "defense_weight": 25.0}),
    (7, 6, 2, {"objective": "value", "group_weights": {"NdPr": (3.0, 5.0), "DyTb": (0.0, 40.0)},
               "min_value_per_bn": 0.0}),
])
def test_optimum_equals_enumeration(seed: int, n_projects: int, n_options: int,
                                    extra: dict) -> None:
    inst = random_instance(n_projects, n_options, n_samples=15, n_years=5, seed=seed)
    spec = PortfolioSpec(budget=0.9e9, **{"fund_cap": None, **EXACT, **extra})
    res = solve_portfolio(inst, spec)
    best, _best_sel = enumerate_optimum(inst, spec)
    assert res.status is SolverStatus.OPTIMAL
    assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    obj, cost = evaluate_selection(inst, spec, res.selection)
    assert obj + spec.cost_weight * cost == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert cost <= spec.budget * (1 + 1e-9)


def test_more_budget_never_worse() -> None:
    inst = random_instance(6, 2, n_samples=10, n_years=4, seed=11)
    objs = [solve_portfolio(inst, PortfolioSpec(budget=b, fund_cap=None, **EXACT)).objective
            for b in (0.0, 2e8, 5e8, 1e9, 3e9)]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(objs))
    assert objs[-1] < objs[0]


def test_forcing_a_project_never_improves() -> None:
    inst = random_instance(7, 2, n_samples=20, seed=12)
    spec = PortfolioSpec(budget=8e8, fund_cap=None, **EXACT)
    free = solve_portfolio(inst, spec)
    for p in inst.projects:
        forced = solve_portfolio(inst, spec.model_copy(update={"force_in": (p,)}))
        assert forced.objective >= free.objective - 1e-6
        assert p in forced.selection


def _hub_instance(separation_project: bool) -> PortfolioInputs:
    """One group, one sample, one year. No adversary-free separation exists; project 'mag' adds
    500 t of magnet capacity, project 'sep' adds 400 t of separation capacity."""
    stages = ["mining", "separation", "metal", "magnet"]
    projects = ["mag", "sep"] if separation_project else ["mag"]
    cap = np.zeros((len(projects), 1, 4))
    cap[0, 0, 3] = 500.0
    if separation_project:
        cap[1, 0, 1] = 400.0
    ds = xr.Dataset(
        {
            "cost": (("project", "option", "year"), np.full((len(projects), 1, 1), 1e8)),
            "liability": (("project", "option"), np.zeros((len(projects), 1))),
            "available": (("project", "option"), np.ones((len(projects), 1), bool)),
            "capacity": (("project", "group", "stage"), cap),
            "online": (("project", "option", "year", "sample"), np.ones((len(projects), 1, 1, 1))),
            "base": (("group", "stage", "year"), np.array([[[1000.0], [0.0], [1000.0], [0.0]]])),
            "stage_factor": (("stage",), np.ones(4)),
            "demand": (("group", "year"), np.array([[600.0]])),
            "defense": (("group", "year"), np.array([[100.0]])),
            "adversary_supply": (("group", "year", "sample"), np.zeros((1, 1, 1))),
            "weight": (("sample",), np.ones(1)),
            "stockpile_cost": (("group",), np.zeros(1)),
            "stockpile_max": (("group",), np.zeros(1)),
        },
        coords={"project": projects, "option": ["grant"], "year": [2030], "sample": [0],
                "group": ["NdPr"], "stage": stages})
    return PortfolioInputs(ds)


def test_hub_rule_magnet_plant_without_oxide_adds_nothing() -> None:
    spec = PortfolioSpec(budget=1e9, fund_cap=None, **EXACT)
    alone = _hub_instance(separation_project=False)
    assert evaluate_selection(alone, spec, {"mag": "grant"})[0] == \
        evaluate_selection(alone, spec, {})[0]
    res = solve_portfolio(alone, spec.model_copy(update={"cost_tiebreak": 1e-12}))
    assert res.selection == {}  # nothing to gain, so not worth its cost
    both = _hub_instance(separation_project=True)
    sel = {"mag": "grant", "sep": "grant"}
    # served = min(mining 1000, separation 400, metal 1000, magnet 500) = 400
    # loss = civil 1·(600 − 400) + (10 − 1)·(100 − 400)⁺ = 200
    assert evaluate_selection(both, spec, sel)[0] == pytest.approx(200.0)
    assert solve_portfolio(both, spec).selection == sel


def test_infeasible_forced_projects_over_budget() -> None:
    inst = random_instance(5, 1, n_samples=5, seed=3)
    cheapest = float(inst.data["cost"].sum("year").min())
    spec = PortfolioSpec(budget=cheapest * 0.5, fund_cap=None,
                         force_in=tuple(inst.projects[:2]))
    with pytest.raises(InfeasibleError, match="Budget-total") as exc:
        solve_portfolio(inst, spec)
    assert any("Budget-total" in f for f in exc.value.families)


def test_infeasible_force_in_and_out() -> None:
    inst = random_instance(3, 1, n_samples=5, seed=3)
    spec = PortfolioSpec(budget=1e9, force_in=("p00",), force_out=("p00",))
    with pytest.raises(InfeasibleError, match="Award-force-in/Award-force-out"):
        solve_portfolio(inst, spec)


def test_stockpile_serves_defense_only() -> None:
    inst = random_instance(4, 1, n_samples=10, seed=5, stockpile=True)
    spec = PortfolioSpec(budget=2e8, fund_cap=None, **EXACT)
    res = solve_portfolio(inst, spec)
    sol = res.solution
    d = inst.data
    # civilian (total) shortfall is exactly the unmet demand after served and adversary supply
    expected_u = np.maximum(d["demand"] - sol["served"] - d["adversary_supply"], 0.0)
    assert np.allclose(sol["shortfall"], expected_u, atol=1e-6)
    # releases never exceed defense demand nor what was bought
    assert bool((sol["release"] <= d["defense"] + 1e-6).all())
    assert bool((sol["release"].sum("year") <= sol["stockpile"] + 1e-6).all())
    if float(sol["stockpile"].sum()) > 0:
        assert float(sol["shortfall_defense"].sum()) < float(np.maximum(
            d["defense"] - sol["served"] - d["adversary_supply"], 0.0).sum())


def test_cvar_closed_form() -> None:
    loss = np.array([0.0, 10.0, 20.0, 30.0])
    w = np.full(4, 0.25)
    assert calc_cvar(loss, w, 0.5) == pytest.approx(25.0)
    assert calc_cvar(loss, w, 0.75) == pytest.approx(30.0)


def test_result_reports_solver() -> None:
    inst = random_instance(5, 2, n_samples=10, seed=8)
    res = solve_portfolio(inst, PortfolioSpec(budget=5e8))
    assert res.solver["name"] == "highs"
    assert res.solver["termination"] == "optimal"
    assert res.timings["solve_s"] >= 0
    assert res.timings["build_s"] >= 0
    assert res.cost_total == pytest.approx(float(res.cost_by_year.sum()))


@pytest.mark.parametrize(("seed", "extra"), [
    (21, {}),
    (22, {"cvar_alpha": 0.8}),
    (23, {"budget_per_year": 2.5e8}),
    (24, {"objective": "defense", "group_weights": {"NdPr": (0.0, 3.1), "DyTb": (0.0, 19.2)},
          "min_value_per_bn": 0.5}),
])
def test_benders_equals_extensive_form(seed: int, extra: dict) -> None:
    """The decomposition reaches the extensive MILP's optimum (stockpile included)."""
    from reeplan.optimize.solve import optimize

    inst = random_instance(6, 2, n_samples=30, n_years=5, seed=seed, stockpile=True)
    spec = PortfolioSpec(budget=8e8, fund_cap=None, **{**EXACT, "mip_gap": 1e-6}, **extra)
    ext = optimize(inst, spec, method="extensive")
    ben = optimize(inst, spec, method="benders")
    assert ben.solver["termination"] == "optimal"
    assert ben.objective == pytest.approx(ext.objective, rel=1e-5)
    assert ben.cost <= spec.budget * (1 + 1e-9)


def test_frontier_is_monotone() -> None:
    from reeplan.optimize.solve import calc_frontier

    inst = random_instance(5, 2, n_samples=10, n_years=4, seed=31)
    table = calc_frontier(inst, PortfolioSpec(budget=1e9, fund_cap=None), 1e9, points=4)
    assert list(table["budget_usd"]) == pytest.approx([0, 1e9 / 3, 2e9 / 3, 1e9])
    assert (table["objective"].diff().dropna() <= 1e-9).all()
    assert table.loc[0, "cost_usd"] == 0.0
