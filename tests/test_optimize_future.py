"""Issue 13: awards valued against future shocks, the value floor, lots and computed reasons."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from reeplan.optimize.evaluate import enumerate_optimum
from reeplan.optimize.explain import explain_projects
from reeplan.optimize.inputs import STAGES, PortfolioInputs, PortfolioSpec, random_instance
from reeplan.optimize.model import solve_portfolio
from reeplan.optimize.solve import optimize

YEARS = np.arange(2026, 2036)


def _one(p_shock: float = 0.5, shock: tuple[int, int] = (2030, 2033), start: int = 2029,
         p_online: float = 1.0, n_s: int = 20, capacity: float = 100.0,
         cost: float = 1e8) -> PortfolioInputs:
    """One project, one stage (separation), one group, one shock. Without the shock the US
    gets all its demand (D = 300 t/yr) from adversary chains; in a share ``p_shock`` of the
    samples the shock cuts that to zero in the years ``shock``. The project adds ``capacity``
    t/yr from ``start`` in a share ``p_online`` of the samples; every other stage is ample."""
    n_t = len(YEARS)
    s = np.arange(n_s)
    hit = s < round(p_shock * n_s)
    works = (s % 10) < round(p_online * 10)
    adv = np.full((1, n_t, n_s), 300.0)
    in_shock = (shock[0] <= YEARS) & (shock[1] >= YEARS)
    adv[0][np.ix_(in_shock, hit)] = 0.0
    online = np.zeros((1, 1, n_t, n_s))
    online[0, 0][np.ix_(start <= YEARS, works)] = 1.0
    base = np.full((1, 4, n_t), 1e5)
    base[0, 1] = 0.0  # no adversary-free separation without the project
    cap = np.zeros((1, 1, 4))
    cap[0, 0, 1] = capacity
    ds = xr.Dataset({
        "cost": (("project", "option", "year"), np.r_[cost, np.zeros(n_t - 1)][None, None]),
        "liability": (("project", "option"), np.zeros((1, 1))),
        "available": (("project", "option"), np.ones((1, 1), bool)),
        "capacity": (("project", "group", "stage"), cap),
        "online": (("project", "option", "year", "sample"), online),
        "base": (("group", "stage", "year"), base),
        "stage_factor": (("stage",), np.ones(4)),
        "demand": (("group", "year"), np.full((1, n_t), 300.0)),
        "defense": (("group", "year"), np.zeros((1, n_t))),
        "adversary_supply": (("group", "year", "sample"), adv),
        "weight": (("sample",), np.full(n_s, 1 / n_s)),
        "stockpile_cost": (("group",), np.zeros(1)),
        "stockpile_max": (("group",), np.zeros(1)),
    }, coords={"project": ["p"], "option": ["grant"], "year": YEARS, "group": ["G"],
               "stage": list(STAGES), "sample": s})
    return PortfolioInputs(ds)


def _value(inputs: PortfolioInputs) -> float:
    spec = PortfolioSpec(budget=1e9, fund_cap=None, min_value_per_bn=0.0)
    best = optimize(inputs, spec)
    return best.baseline_loss - best.expected_loss


def test_hand_computed_expected_reduction() -> None:
    """E[reduction] = P(shock) · P(online) · min(C, D) · (years of the shock with the plant
    online) = 0.5 · 0.8 · 100 · 3 (2031–2033) = 120 weighted t."""
    inputs = _one(p_shock=0.5, shock=(2030, 2033), start=2031, p_online=0.8)
    assert _value(inputs) == pytest.approx(0.5 * 0.8 * 100.0 * 3, rel=1e-9)


def test_a_shock_after_the_plant_is_online_is_worth_more() -> None:
    early = _value(_one(shock=(2027, 2030), start=2030))
    late = _value(_one(shock=(2031, 2034), start=2030))
    assert late > early > 0


def test_shocks_that_end_before_any_start_give_zero_value_and_no_award() -> None:
    inputs = _one(shock=(2026, 2028), start=2029)
    assert _value(inputs) == pytest.approx(0.0, abs=1e-9)
    best = optimize(inputs, PortfolioSpec(budget=1e9, fund_cap=None))
    assert best.selection == {}
    why = explain_projects(inputs, PortfolioSpec(budget=1e9, fund_cap=None), best)
    assert "after 100% of the expected G shortfall" in why.loc[0, "reason"]


def test_a_higher_event_rate_raises_shortfall_and_the_portfolio_value() -> None:
    spec = PortfolioSpec(budget=1e9, fund_cap=None)
    low, high = (optimize(_one(p_shock=p), spec) for p in (0.2, 0.6))
    assert high.baseline_loss > low.baseline_loss
    assert high.baseline_loss - high.expected_loss > low.baseline_loss - low.expected_loss


def test_the_value_floor_leaves_worthless_awards_out_and_the_money_unspent() -> None:
    # worth 0.5·1·100·1 = 50 t for $10bn: 5 t per $bn, under the default floor of 10
    inputs = _one(p_shock=0.5, shock=(2035, 2035), start=2029, cost=1e10)
    best = optimize(inputs, PortfolioSpec(budget=2e10, fund_cap=None))
    assert best.selection == {}
    assert best.cost == 0.0
    cheaper = optimize(inputs, PortfolioSpec(budget=2e10, fund_cap=None, min_value_per_bn=1))
    assert cheaper.selection == {"p": "grant"}


def test_hub_reason_names_the_missing_stage() -> None:
    inputs = _one()
    inputs.data["base"].loc[{"stage": "metal"}] = 0.0  # no metal outside China either
    spec = PortfolioSpec(budget=1e9, fund_cap=None)
    best = optimize(inputs, spec)
    reason = explain_projects(inputs, spec, best).loc[0, "reason"]
    assert reason.startswith("no non-China G metal capacity")


@pytest.mark.parametrize("seed", [3, 8])
def test_brute_force_equals_the_optimiser_with_the_cost_term_and_lots(seed: int) -> None:
    inst = random_instance(5, 2, n_samples=12, n_years=4, seed=seed, stockpile=True)
    inst.data["stockpile_lot"] = ("group", np.array([100.0, 150.0]))
    spec = PortfolioSpec(budget=7e8, fund_cap=None, mip_gap=1e-9, cost_tiebreak=0.0,
                         min_value_per_bn=200.0)
    best, _ = enumerate_optimum(inst, spec)
    res = solve_portfolio(inst, spec)
    assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    z = res.solution["stockpile"].values
    assert np.allclose(z / np.array([100.0, 150.0]), np.round(z / np.array([100.0, 150.0])))
