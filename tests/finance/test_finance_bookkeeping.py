"""Statutory bookkeeping: $50M per shortfall, DPA Fund cap, cost share, OSC share, DPA lapse."""

from __future__ import annotations

import pytest
from tests.finance._data import RISK, SOURCES

from reeplan.finance.bookkeeping import NOTIFICATION_WAIT_YEARS
from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import DirectLoan, Grant, Package
from reeplan.finance.loader import load_projects

SRC = "fin_asm_alt_packages"


def _package(*instruments: Grant | DirectLoan, **kw: object) -> Package:
    return Package(
        id="t",
        name="test",
        project="aclara-louisiana",
        source_id=SRC,
        instruments=list(instruments),
        **kw,
    )


def _codes(pkg: Package) -> tuple[set[str], Evaluation]:
    ev = evaluate(
        load_projects(source_ids=SOURCES)["aclara-louisiana"],
        pkg,
        Settings(samples=40, seed=1),
        risk=RISK,
    )
    return {w.code for w in ev.bookkeeping.warnings}, ev


def test_finance_small_grant_stays_below_threshold() -> None:
    codes, ev = _codes(_package(Grant(id="g", kind="grant", year=2025.7, amount_musd=40.0)))
    assert codes == set()
    row = ev.bookkeeping.shortfalls.iloc[0]
    assert (row["shortfall"], row["cumulative_musd"], row["crossed"]) == (
        "heavy_re_separation",
        40.0,
        False,
    )


def test_finance_prior_actions_push_over_threshold_and_wait() -> None:
    pkg = _package(
        Grant(id="g", kind="grant", year=2025.8, amount_musd=40.0),
        prior_title_iii_musd={"heavy_re_separation": 20.0},
    )
    codes, ev = _codes(pkg)
    assert "notification_30_day" in codes
    assert ev.bookkeeping.notification_wait_years == pytest.approx(NOTIFICATION_WAIT_YEARS)
    waived, ev2 = _codes(pkg.model_copy(update={"waiver_303a7": True}))
    assert "notification_waived" in waived
    assert ev2.bookkeeping.notification_wait_years == 0.0


def test_finance_cost_share_fund_cap_osc_share_and_lapse() -> None:
    big = Grant(id="g", kind="grant", year=2026.5, amount_musd=800.0)  # > 50 % of $277M
    loan = DirectLoan(
        id="l",
        kind="direct_loan",
        authority="osc",
        year=2025.9,
        principal_musd=150.0,
        rate=0.05,
        term_years=10,
    )
    codes, ev = _codes(_package(big, loan, waiver_303a7=True))
    assert {"cost_share", "dpa_fund_cap", "osc_non_federal_share", "dpa_lapsed"} <= codes
    assert ev.bookkeeping.dpa_fund_max_musd == pytest.approx(800.0)
    codes, _ = _codes(_package(big, loan, waiver_303a7=True, dpa_reauthorized=True))
    assert "dpa_lapsed" not in codes
