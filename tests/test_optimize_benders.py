"""The Benders pieces: per-group recourse and its subgradients, the local search, the CVaR of
many loss vectors, warm restarts across budgets, and the solver's clock."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from pydantic import ValidationError

from reeplan.optimize.benders import BendersSolver, solve_benders
from reeplan.optimize.evaluate import calc_cvar, calc_losses, evaluate_selection
from reeplan.optimize.heuristic import Feasibility, calc_objectives, improve_selection
from reeplan.optimize.inputs import PortfolioSpec, random_instance
from reeplan.optimize.recourse import (
    calc_group_recourse,
    calc_recourse,
    calc_year_recourse,
    recourse_arrays,
)
from reeplan.optimize.solve import optimize


def _x_of(choice: np.ndarray, n_k: int) -> np.ndarray:
    x = np.zeros((len(choice), n_k))
    for p, k in enumerate(choice):
        if k >= 0:
            x[p, k] = 1.0
    return x


def test_group_recourse_sums_to_the_sample_loss() -> None:
    inst = random_instance(8, 3, n_samples=25, n_years=6, seed=3, groups=("NdPr", "DyTb", "Sm"))
    spec = PortfolioSpec()
    a = recourse_arrays(inst)
    choice = np.array([0, -1, 2, 1, -1, 0, -1, 2])
    x = _x_of(choice, 3)
    loss_g, _, _ = calc_group_recourse(a, spec, x, np.zeros(3))
    selection = {inst.projects[p]: f"k{k}" for p, k in enumerate(choice) if k >= 0}
    expected = calc_losses(inst, spec, selection).values
    np.testing.assert_allclose(loss_g.sum(0), expected, rtol=1e-12)
    np.testing.assert_allclose(calc_recourse(a, spec, x, np.zeros(3)), expected, rtol=1e-12)


def test_subgradient_cuts_never_overestimate() -> None:
    """ℓ is convex: the cut at any point lies below ℓ everywhere (checked at 200 points)."""
    inst = random_instance(6, 2, n_samples=20, n_years=5, seed=4, stockpile=True)
    spec = PortfolioSpec()
    a = recourse_arrays(inst)
    rng = np.random.default_rng(0)
    for _ in range(200):
        x0, x1 = rng.random((2, 6, 2)) / 2
        z0, z1 = rng.uniform(0, 300, (2, 2))
        l0, gx, gz = calc_group_recourse(a, spec, x0, z0)
        l1, _, _ = calc_group_recourse(a, spec, x1, z1)
        cut = l0 + np.einsum("gspk,pk->gs", gx, x1 - x0) + gz * (z1 - z0)[:, None]
        assert (cut <= l1 + 1e-9 * (1 + np.abs(l1))).all()


def test_year_parts_sum_to_the_expected_loss_and_their_cuts_never_overestimate() -> None:
    """The per-(group, year) civilian parts and the per-group defense part add up to E[ℓ],
    block by block; each part's cut lies below the part everywhere (200 point pairs)."""
    inst = random_instance(7, 3, n_samples=30, n_years=6, seed=6, groups=("NdPr", "DyTb", "Sm"),
                           stockpile=True)
    spec = PortfolioSpec(defense_weight=12.0, civil_weight=2.0)
    a = recourse_arrays(inst)
    rng = np.random.default_rng(2)
    blocks = np.zeros((3, 30))
    blocks[np.arange(30) % 3, np.arange(30)] = a.w * 3
    x = _x_of(np.array([0, -1, 2, 1, -1, 0, 2]), 3)
    z = np.array([40.0, 0.0, 250.0])
    loss, value, _, _ = calc_year_recourse(a, spec, x, z, blocks)
    np.testing.assert_allclose(loss, calc_recourse(a, spec, x, z), rtol=1e-12)
    assert value.shape == (3, 3, 7)
    np.testing.assert_allclose(value.sum((1, 2)), blocks @ loss, rtol=1e-12)
    np.testing.assert_allclose(calc_year_recourse(a, spec, x, z)[1].sum(), loss @ a.w,
                               rtol=1e-12)
    for _ in range(200):
        x0, x1 = rng.random((2, 7, 3)) / 3
        z0, z1 = rng.uniform(0, 300, (2, 3))
        _, v0, gx, gz = calc_year_recourse(a, spec, x0, z0, blocks)
        _, v1, _, _ = calc_year_recourse(a, spec, x1, z1, blocks)
        cut = v0 + np.einsum("bgjpk,pk->bgj", gx, x1 - x0) + gz * (z1 - z0)[None, :, None]
        assert (cut <= v1 + 1e-9 * (1 + np.abs(v1))).all()


def test_calc_objectives_matches_the_cvar_minimum() -> None:
    rng = np.random.default_rng(5)
    loss = rng.exponential(100, (7, 40))
    w = rng.random(40)
    w /= w.sum()
    spec = PortfolioSpec(cvar_alpha=0.85, cvar_lambda=0.3)
    got = calc_objectives(loss, w, spec)
    want = [0.7 * (row @ w) + 0.3 * calc_cvar(row, w, 0.85) for row in loss]
    np.testing.assert_allclose(got, want, rtol=1e-10)


def test_local_search_ends_at_a_feasible_local_optimum() -> None:
    """No single change, addition, drop or swap of the result improves it (brute force)."""
    inst = random_instance(7, 2, n_samples=15, n_years=5, seed=8)
    spec = PortfolioSpec(budget=7e8, fund_cap=None, cost_tiebreak=0.0)
    a = recourse_arrays(inst)
    feas = Feasibility(spec, a, np.zeros(7, bool), np.zeros(7, bool))
    choice, value = improve_selection(a, spec, feas, np.full(7, -1), np.zeros(2))
    sel = {inst.projects[p]: f"k{k}" for p, k in enumerate(choice) if k >= 0}
    obj, cost = evaluate_selection(inst, spec, sel)
    assert value == pytest.approx(obj, rel=1e-12)
    assert cost <= spec.budget
    start, _ = evaluate_selection(inst, spec, {})
    assert obj <= start
    for p, k in itertools.product(range(7), range(-1, 2)):
        for q, j in itertools.product(range(7), range(-1, 2)):
            other = choice.copy()
            other[p], other[q] = k, j
            sel2 = {inst.projects[i]: f"k{c}" for i, c in enumerate(other) if c >= 0}
            obj2, cost2 = evaluate_selection(inst, spec, sel2)
            if cost2 <= spec.budget and sum(1 for i in range(7) if other[i] != choice[i]) == 1:
                assert obj2 >= obj - 1e-9


def test_warm_started_frontier_matches_cold_solves() -> None:
    inst = random_instance(7, 2, n_samples=30, n_years=5, seed=9, stockpile=True)
    spec = PortfolioSpec(budget=1e9, fund_cap=None, mip_gap=1e-6, cost_tiebreak=0.0)
    solver = BendersSolver(inst, spec)
    start = None
    for budget in (2e8, 6e8, 1.2e9):
        warm = solver.solve(budget, start)
        cold = optimize(inst, spec.model_copy(update={"budget": budget}), method="extensive")
        assert warm.status == "optimal"
        assert warm.upper == pytest.approx(cold.objective + spec.cost_weight * cold.cost,
                                           rel=1e-5)
        start = (warm.x, warm.z)


def test_second_solve_gets_its_own_time() -> None:
    """HiGHS accumulates run time over runs: a second solve must still iterate."""
    inst = random_instance(30, 4, n_samples=200, n_years=10, seed=2, stockpile=True,
                           groups=("NdPr", "DyTb", "Sm"))
    spec = PortfolioSpec(budget=2.5e9, time_limit=1.5, mip_gap=1e-6)
    solver = BendersSolver(inst, spec)
    first = solver.solve()
    second = solver.solve(3e9, (first.x, first.z))
    assert np.isfinite(second.upper)
    assert second.iterations > 1
    assert second.upper <= first.upper + 1e-9


def test_master_run_after_an_interrupted_run_is_not_interrupted() -> None:
    """HiGHS keeps the interrupt flag of the last callback: the run after a run stopped at its
    deadline used to stop at once with no solution (it cut frontier points short)."""
    inst = random_instance(40, 6, n_samples=300, n_years=12, seed=13, stockpile=True,
                           groups=("NdPr", "DyTb", "Sm"))
    solver = BendersSolver(inst, PortfolioSpec(budget=2.5e9, mip_gap=1e-6, time_limit=2.0))
    solver.solve()  # gathers cuts: the master MILP then takes longer than 0.1 s
    master = solver.master
    status, _, _, _, _ = master.solve(0.0, True, None)
    assert status in ("nosolution", "limit")  # stopped by the deadline
    status, bound, x, _, _ = master.solve(60.0, True, None)
    assert status == "optimal"
    assert np.isfinite(bound)
    assert x.shape == (40, 6)


def test_benders_stays_in_time_and_reports_the_gap() -> None:
    inst = random_instance(40, 6, n_samples=300, n_years=12, seed=13, stockpile=True,
                           groups=("NdPr", "DyTb", "Sm"))
    spec = PortfolioSpec(budget=2.5e9, time_limit=4.0, mip_gap=1e-6)
    res = solve_benders(inst, spec)
    assert res.seconds < 4.0 + 2.0
    assert res.lower <= res.upper
    assert res.status in ("time_limit", "optimal")


def test_defense_weight_below_civil_is_refused() -> None:
    with pytest.raises(ValidationError, match="defense_weight"):
        PortfolioSpec(defense_weight=0.5, civil_weight=1.0)


def test_why_out_names_projects_that_add_nothing() -> None:
    """A project whose capacity sits at a stage with ample capacity lowers no shortfall."""
    from reeplan.optimize.solve import explain_projects

    inst = random_instance(5, 2, n_samples=10, n_years=4, seed=31)
    d = inst.data
    d["capacity"].values[0] = 0.0
    d["capacity"].loc[{"project": "p00", "group": "NdPr", "stage": "mining"}] = 100.0
    d["base"].loc[{"group": "NdPr", "stage": "mining"}] = 1e6  # mining is never binding
    spec = PortfolioSpec(budget=8e8, fund_cap=None)
    best = optimize(inst, spec)
    table = explain_projects(inst, spec, best).set_index("project")
    assert not table.loc["p00", "in_portfolio"]
    assert table.loc["p00", "value_t"] == pytest.approx(0.0, abs=1e-6)
    assert table.loc["p00", "reason"].startswith("no non-China NdPr ")
    assert "its mining output has no route to US magnets" in table.loc["p00", "reason"]
