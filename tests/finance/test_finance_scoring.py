"""Cost to the government: FCRA credit worked by hand, floors, equity, properties of packages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.finance._data import RISK, SOURCES

from reeplan.finance.evaluation import Settings, evaluate
from reeplan.finance.instruments import Grant, Package
from reeplan.finance.loader import load_package, load_projects
from reeplan.finance.market import TreasuryCurve
from reeplan.finance.project import Project
from reeplan.finance.scoring import (
    calc_black_scholes_call,
    calc_black_scholes_put,
    calc_guarantee_subsidy,
    calc_loan_schedule,
    calc_loan_subsidy,
)

FLAT5 = TreasuryCurve((1.0, 30.0), (0.05, 0.05), ("test", "test"), "flat 5 %")


def test_finance_fcra_subsidy_of_small_loan_by_hand() -> None:
    """$10M two-year bullet loan at 5 %, Treasury 5 % flat, 10 %/yr default, 50 % recovery, 1 %
    upfront fee. Survival S1 = 0.9, S2 = 0.81; default in year 1 with p 0.10, in year 2 with 0.09.

    Expected inflows: year 1 = 0.9 × 0.5 interest + 0.10 × 0.5 × 10 recovery = 0.45 + 0.50 = 0.95;
    year 2 = 0.81 × 10.5 + 0.09 × 0.5 × 10 = 8.505 + 0.45 = 8.955.
    PV at 5 %: 0.95/1.05 + 8.955/1.05² = 0.904762 + 8.122449 = 9.027211.
    Subsidy = 10 − 0.1 fee − 9.027211 = 0.872789 (8.73 %). Rate = Treasury, so the interest
    subsidy is 0; default cost = PV(scheduled 0.5, 10.5) − 9.027211 = 10 − 9.027211 = 0.972789.
    Fair value adds 3 × default cost = 2.918367.
    """
    s = calc_loan_subsidy(10.0, 0.05, 2, 0.10, 0.5, FLAT5, amortization="bullet", upfront_fee=0.01)
    assert s.subsidy == pytest.approx(0.872789, abs=1e-6)
    assert s.rate == pytest.approx(0.0872789, abs=1e-7)
    assert s.interest_subsidy == pytest.approx(0.0, abs=1e-12)
    assert s.default_cost == pytest.approx(0.972789, abs=1e-6)
    assert s.fees == pytest.approx(0.1)
    assert s.fair_value == pytest.approx(0.872789 + 3 * 0.972789, abs=1e-6)


def test_finance_fcra_interest_subsidy_sign() -> None:
    """No default risk: lending below Treasury costs, above it earns (negative subsidy)."""
    below = calc_loan_subsidy(100.0, 0.03, 10, 0.0, 0.4, FLAT5)
    above = calc_loan_subsidy(100.0, 0.07, 10, 0.0, 0.4, FLAT5)
    at = calc_loan_subsidy(100.0, 0.05, 10, 0.0, 0.4, FLAT5)
    assert below.subsidy > 0 > above.subsidy
    assert at.subsidy == pytest.approx(0.0, abs=1e-9)


def test_finance_guarantee_subsidy_by_hand() -> None:
    """$10M one-year bullet loan, 80 % guaranteed, 10 % default, 50 % recovery, 0.5 % annual fee:
    claim = 0.1 × 0.8 × 0.5 × 10 / 1.05 = 0.380952; fee = 0.005 × 10 / 1.05 = 0.047619."""
    s = calc_guarantee_subsidy(
        10.0, 0.06, 1, 0.8, 0.10, 0.5, FLAT5, amortization="bullet", annual_fee=0.005
    )
    assert s.default_cost == pytest.approx(0.380952, abs=1e-6)
    assert s.subsidy == pytest.approx(0.380952 - 0.047619, abs=1e-6)
    assert s.exposure == pytest.approx(8.0)


def test_finance_level_schedule_repays_principal() -> None:
    s = calc_loan_schedule(150.0, 0.0534, 12, grace=2)
    assert s["principal"].sum() == pytest.approx(150.0)
    assert s["principal"][:2].sum() == 0.0
    pay = s["interest"][2:] + s["principal"][2:]
    np.testing.assert_allclose(pay, pay[0])  # level annuity after the grace period


def test_finance_black_scholes_put_call_parity() -> None:
    t = np.array([0.25, 1.0, 5.0])
    c = calc_black_scholes_call(80.0, 110.0, t, 0.04, 0.01, 0.4)
    p = calc_black_scholes_put(80.0, 110.0, t, 0.04, 0.01, 0.4)
    np.testing.assert_allclose(c - p, 80.0 * np.exp(-0.01 * t) - 110.0 * np.exp(-0.04 * t))


@pytest.fixture(scope="module")
def mp2025() -> tuple[Project, Package]:
    return load_projects(source_ids=SOURCES)["mp-10x"], load_package("mp-2025", source_ids=SOURCES)


def _with_strike(pkg: Package, strike: float) -> Package:
    floor = pkg.instruments[0]
    new = floor.model_copy(
        update={"strike_usd_per_kg": floor.strike_usd_per_kg.model_copy(update={"value": strike})}
    )
    return pkg.model_copy(update={"instruments": [new]})


def test_finance_higher_floor_never_lowers_expected_cost(mp2025: tuple[Project, Package]) -> None:
    """Common random numbers: the same seed gives the same paths, and the floor's net payment
    Q[max(K−P,0) − s·max(P−K,0)] rises with K on every path, so cost rises sample by sample."""
    project, pkg = mp2025
    st_ = Settings(samples=400, seed=99)
    costs = []
    for strike in (80.0, 95.0, 110.0, 125.0):
        ev = evaluate(project, _with_strike(pkg, strike), st_, risk=RISK)
        costs.append(ev.instruments.iloc[0]["expected_cost_musd"])
    assert all(b > a for a, b in itertools.pairwise(costs)), costs


def test_finance_equity_and_loan_scoring(mp2025: tuple[Project, Package]) -> None:
    project, pkg = mp2025
    ev = evaluate(project, pkg, Settings(samples=300, seed=5), risk=RISK)
    rows = ev.instruments.set_index("instrument")
    eq = rows.loc["preferred-equity"]
    # outlay less risk-adjusted value (1 − (1 − 0.98^10)·0.6 per $) less the warrants
    ratio = 1 - (1 - 0.98**10) * 0.6
    assert eq["detail.value_ratio"] == pytest.approx(ratio)
    r10 = np.log1p(0.0434)
    warrant = float(calc_black_scholes_call(30.03, 30.03, 10.0, r10, 0.0, 0.6)) * 11.201659
    assert eq["detail.warrant_value_musd"] == pytest.approx(warrant)
    loan = rows.loc["samarium-loan"]
    assert loan["detail.rate"] == pytest.approx(0.0434 + 0.01)
    direct = calc_loan_subsidy(150.0, 0.0534, 12, 0.02, 0.4, ev.settings.curve, grace=2)
    df = float(ev.settings.curve.discount(2025.6 - 2025.5))
    assert loan["expected_cost_musd"] == pytest.approx(direct.subsidy * df)
    assert loan["fair_value_musd"] == pytest.approx(direct.fair_value * df)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    amount=st.floats(1.0, 800.0),
    year=st.floats(2025.5, 2030.0),
    first=st.floats(0.0, 1.0),
    pid=st.sampled_from(["mp-10x", "aclara-louisiana", "energy-fuels-phase2", "lynas-texas"]),
)
def test_finance_grant_never_lowers_npv(amount: float, year: float, first: float, pid: str) -> None:
    project = load_projects(source_ids=SOURCES)[pid]
    grant = Grant(
        id="g",
        kind="grant",
        year=year,
        amount_musd=amount,
        schedule=[first, 1.0 - first],
        source_id="fin_asm_alt_packages",
    )
    pkg = Package(
        id="g", name="grant", project=pid, instruments=[grant], source_id="fin_asm_alt_packages"
    )
    ev = evaluate(project, pkg, Settings(samples=60, seed=3), risk=RISK)
    e = ev.effect
    assert e["npv_with_musd"] >= e["npv_without_musd"]
    assert e["npv_p05_with_musd"] >= e["npv_p05_without_musd"]
    assert e["p_production_with"] >= e["p_production_without"]
    assert e["years_earlier"] >= 0.0
