"""The worked example: the July 2025 DoD–MP Materials package, under the calibrated price model.

Structure is asserted exactly (it is what the filings say); figures are asserted as sane ranges
and as reproducible from the seed. ``docs/finance.md`` prints the same run.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.finance._data import RISK, SOURCES
from typer.testing import CliRunner

from reeplan.brief.sections.finance import finance_section
from reeplan.cli import app
from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import Offtake, PreferredEquity, PriceFloor
from reeplan.finance.loader import load_package, load_projects
from reeplan.io.readers import load_dataset
from reeplan.workflows.appraise import award_costs

SETTINGS = Settings(samples=2000, seed=20250710)


@pytest.fixture(scope="module")
def mp() -> Evaluation:
    return evaluate(
        load_projects(source_ids=SOURCES)["mp-10x"],
        load_package("mp-2025", source_ids=SOURCES),
        SETTINGS,
        risk=RISK,
    )


def test_finance_mp2025_package_structure() -> None:
    pkg = load_package("mp-2025", source_ids=SOURCES)
    assert pkg.project == "mp-10x"
    assert pkg.waiver_303a7
    floor, offtake, equity, loan = pkg.instruments
    assert isinstance(floor, PriceFloor)
    assert (floor.benchmark, floor.strike_usd_per_kg.value, floor.upside_share.value) == (
        "NdPr",
        110.0,
        0.30,
    )
    assert (floor.start.value, floor.end.value) == (2025.75, 2036.0)  # 1 Oct 2025 - 31 Dec 2035
    assert isinstance(offtake, Offtake)
    assert (offtake.share_of_output.value, offtake.term_years.value) == (1.0, 10.0)
    assert (offtake.min_ebitda_musd.value, offtake.min_ebitda_growth.value) == (140.0, 0.02)
    assert isinstance(equity, PreferredEquity)
    assert equity.amount_musd.value == 400.0
    assert equity.warrants.count_m.value == pytest.approx(11.201659)
    assert equity.warrants.strike.value == 30.03
    assert loan.kind == "direct_loan"
    assert loan.authority == "osc"
    assert (loan.principal_musd.value, loan.treasury_spread.value, loan.term_years) == (
        150.0,
        0.01,
        12,
    )


def test_finance_mp2025_cost_and_exposure(mp: Evaluation) -> None:
    rows = mp.instruments.set_index("instrument")
    floor = rows.loc["ndpr-price-floor"]
    assert floor["detail.quarters"] == 41
    # expected cost: below the no-price case (all 57,718 t at $110/kg) and above zero
    assert 500.0 < floor["expected_cost_musd"] < 3000.0
    assert floor["expected_cost_musd"] < floor["p90_cost_musd"] < floor["p95_cost_musd"]
    assert floor["fair_value_musd"] > floor["expected_cost_musd"]  # market price of risk > 0
    assert floor["annual_outlay_p95_musd"] <= 6000 * 110 / 1000  # never above K × Q in a year
    assert 0.5 < floor["detail.p_floor_binds"] < 1.0
    assert floor["mc_se_musd"] < 0.02 * floor["expected_cost_musd"]
    offtake = rows.loc["10x-offtake"]
    assert 0.0 <= offtake["expected_cost_musd"] <= offtake["max_exposure_musd"]
    assert offtake["detail.min_ebitda_nominal_total_musd"] == pytest.approx(
        sum(140 * 1.02**k for k in range(10))
    )  # ≈ 1,533 (dpa.md §4.1: $1.53B upper bound)
    t = mp.totals
    assert t["expected_cost_musd"] == pytest.approx(rows["expected_cost_musd"].sum())
    assert t["expected_cost_musd"] < t["p95_cost_musd"] < t["max_exposure_musd"]
    assert t["annual_outlay_p90_musd"] <= t["annual_outlay_p95_musd"]
    e = mp.effect
    assert e["p_production_with"] > e["p_production_without"]
    assert e["years_earlier"] > 0
    assert e["sponsor_transfer_pv_musd"] > 0
    codes = {w.code for w in mp.bookkeeping.warnings}
    assert {"notification_waived", "dpa_fund_cap"} <= codes
    assert set(mp.bookkeeping.shortfalls["shortfall"]) == {"light_re_separation", "ndfeb_magnets"}
    assert {"usgs_mcs2026_re", "mp_8k_2025_07", "fin_asm_price_jumps"} <= set(mp.sources)


def test_finance_mp2025_reproducible_from_seed(mp: Evaluation) -> None:
    again = evaluate(
        load_projects(source_ids=SOURCES)["mp-10x"],
        load_package("mp-2025", source_ids=SOURCES),
        SETTINGS,
        risk=RISK,
    )
    assert again.totals == mp.totals
    assert again.effect == mp.effect
    other = evaluate(
        load_projects(source_ids=SOURCES)["mp-10x"],
        load_package("mp-2025", source_ids=SOURCES),
        Settings(samples=2000, seed=1),
        risk=RISK,
    )
    diff = abs(other.totals["expected_cost_musd"] - mp.totals["expected_cost_musd"])
    assert 0 < diff < 5 * np.hypot(other.totals["mc_se_musd"], mp.totals["mc_se_musd"])


def test_finance_gbm_baseline_costs_more_than_mean_reversion() -> None:
    """Under GBM the calibrated NdPr drift is negative in log terms, so the floor pays more."""
    gbm = evaluate(
        load_projects(source_ids=SOURCES)["mp-10x"],
        load_package("mp-2025", source_ids=SOURCES),
        Settings(samples=500, seed=7, price_model="gbm"),
        risk=RISK,
    )
    ou = evaluate(
        load_projects(source_ids=SOURCES)["mp-10x"],
        load_package("mp-2025", source_ids=SOURCES),
        Settings(samples=500, seed=7),
        risk=RISK,
    )
    assert gbm.price_model.kind == "gbm"
    assert (
        gbm.instruments.iloc[0]["expected_cost_musd"] > ou.instruments.iloc[0]["expected_cost_musd"]
    )


def test_finance_cli_json_and_compare_spellings() -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, ["finance", "mp-10x", "--package", "mp-2025", "--samples", "200", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["package"] == "mp-2025"
    assert doc["settings"]["seed"] == 20250404  # the one default seed (settings)
    assert {r["benchmark"] for r in doc["price_model"]["parameters"]} == {"NdPr", "Dy", "Tb"}
    assert len(doc["cost_to_government"]["instruments"]) == 4
    res = runner.invoke(
        app,
        [
            "finance",
            "compare",
            "mp-10x",
            "--package",
            "mp-2025",
            "--package",
            "mp-10x-grant",
            "--samples",
            "100",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "mp-2025" in res.output
    assert "mp-10x-grant" in res.output
    assert "(none)" in res.output
    res = runner.invoke(app, ["finance", "mp-10x", "--package", "mp-2025", "--samples", "100"])
    assert res.exit_code == 0, res.output
    for words in (
        "Price model",
        "Cost to the government",
        "TOTAL",
        "Effect on the project",
        "ndpr-price-floor",
        "kappa",
    ):
        assert words in res.output


def test_finance_award_cost_section_for_the_run() -> None:
    out = award_costs(load_dataset(), samples=100, seed=3)
    table = out.table
    assert set(table["package"]) >= {"mp-2025", "mp-10x-grant", "mp-10x-guarantee"}
    assert {"expected_cost_musd", "p95_cost_musd", "annual_outlay_p95_musd"} <= set(table.columns)
    grant = table.set_index("package").loc["mp-10x-grant"]
    assert grant["expected_cost_musd"] == pytest.approx(grant["p95_cost_musd"])  # no risk
    sec = finance_section(out)
    assert sec.name == "finance"
    assert "award_costs" in sec.tables
    assert any(h.key == "award_p95_cost_mp-2025" for h in sec.headlines)
