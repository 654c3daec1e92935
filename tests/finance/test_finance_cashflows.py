"""NPV, IRR, payback and project cash flows against independent values."""

from __future__ import annotations

import doctest
import importlib

import numpy as np
import numpy_financial as npf
import pytest
import xarray as xr
from tests.finance._data import SOURCES

from reeplan.finance.cashflows import (
    calc_breakeven_price,
    calc_irr,
    calc_npv,
    calc_payback,
    calc_project_cashflows,
    calc_window_fraction,
)
from reeplan.finance.loader import load_projects
from reeplan.finance.risk import RiskDraws


@pytest.fixture(scope="module")
def project_s() -> np.ndarray:
    """Brigham & Houston, *Fundamentals of Financial Management*, "Project S".

    Cash flows −1,000, 500, 400, 300, 100; at a 10 % cost of capital the textbook gives
    NPV = $78.82, IRR = 14.49 % and payback = 2.33 years (1,000 − 500 − 400 = 100 left after
    two years, recovered in 100/300 of the third).
    """
    return np.array([-1000.0, 500.0, 400.0, 300.0, 100.0])


def test_finance_npv_irr_payback_textbook(project_s: np.ndarray) -> None:
    assert float(calc_npv(0.10, project_s)) == pytest.approx(78.82, abs=0.005)
    assert float(calc_irr(project_s)) == pytest.approx(0.1449, abs=5e-5)
    assert float(calc_payback(project_s)) == pytest.approx(2 + 1 / 3, abs=1e-9)


def test_finance_irr_two_period_closed_form() -> None:
    """−100, 60, 60: with x = 1/(1+r), 60x² + 60x − 100 = 0, x = (−60 + √27,600)/120."""
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / 120
    assert float(calc_irr(np.array([-100.0, 60.0, 60.0]))) == pytest.approx(1 / x - 1, rel=1e-9)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_finance_npv_irr_match_numpy_financial(seed: int) -> None:
    rng = np.random.default_rng(seed)
    flows = np.concatenate([[-rng.uniform(50, 500)], rng.uniform(-20, 120, size=12)])
    for rate in (0.0, 0.05, 0.12):
        assert float(calc_npv(rate, flows)) == pytest.approx(npf.npv(rate, flows), rel=1e-12)
    assert float(calc_irr(flows)) == pytest.approx(npf.irr(flows), abs=1e-8)


def test_finance_calc_functions_vectorise_over_samples() -> None:
    rng = np.random.default_rng(7)
    flows = np.column_stack([-rng.uniform(80, 120, 50), rng.uniform(10, 40, (50, 8))])
    irr = calc_irr(flows)
    assert irr.shape == (50,)
    np.testing.assert_allclose(irr, [npf.irr(f) for f in flows], atol=1e-8)
    np.testing.assert_allclose(calc_npv(0.08, flows), [npf.npv(0.08, f) for f in flows])


def test_finance_irr_and_payback_undefined_cases() -> None:
    assert np.isnan(calc_irr(np.array([100.0, 50.0])))  # no sign change
    assert np.isnan(calc_payback(np.array([-100.0, 10.0, 10.0])))  # never pays back
    assert float(calc_payback(np.array([10.0, 10.0]))) == 0.0


def test_finance_breakeven_is_root_of_npv() -> None:
    flows = lambda p: np.array([-1000.0, *([p * 10.0 - 200.0] * 10)])  # noqa: E731
    p = calc_breakeven_price(lambda q: float(calc_npv(0.1, flows(q))), 0.0, 1000.0)
    assert float(calc_npv(0.1, flows(p))) == pytest.approx(0.0, abs=1e-6)
    assert np.isnan(calc_breakeven_price(lambda q: 1.0 + q, 0.0, 10.0))


def test_finance_window_fraction_sums_to_length() -> None:
    years = np.arange(2020, 2060)
    f = calc_window_fraction(np.array([2025.3, 2031.75]), 7.5, years)
    np.testing.assert_allclose(f.sum(axis=1), 7.5)
    assert f[0, years == 2025][0] == pytest.approx(0.7)


def _flat_prices(years: np.ndarray, n: int, ndpr: float = 80.0) -> xr.DataArray:
    values = np.stack([np.full((n, len(years)), p) for p in (ndpr, 250.0, 1100.0)])
    return xr.DataArray(
        values,
        dims=("benchmark", "sample", "year"),
        coords={"benchmark": ["NdPr", "Dy", "Tb"], "year": years},
    )


def test_finance_project_cashflows_conserve_capex_and_volume() -> None:
    """Capex adds up to capex × overrun; output to capacity × (Σ ramp + years at full rate)."""
    project = load_projects(source_ids=SOURCES)["energy-fuels-phase2"]
    years = np.arange(2025, 2081)
    draws = RiskDraws(
        overrun=np.array([1.0, 1.5]), delay=np.array([0.0, 1.3]), completed=np.array([True, True])
    )
    cf = calc_project_cashflows(project, _flat_prices(years, 2), draws)
    capex = project.capex_musd.value
    np.testing.assert_allclose(cf["capex"].sum("year").values, [capex, 1.5 * capex])
    ramp = project.ramp_up.value
    life = project.life_years.value
    full = sum(ramp) + life - len(ramp)
    cap = project.product("ndpr_oxide").capacity_t.value
    np.testing.assert_allclose(
        cf["volume"].sel(product="ndpr_oxide").sum("year").values, cap * full
    )
    start = project.decision_year.value + project.build_years.value
    np.testing.assert_allclose(cf["production_start"].values, [start, start + 1.3])
    # revenue at a flat 80 $/kg NdPr in a full year
    full_year = cf.sel(year=2040, sample=0)
    assert float(full_year["revenue"]) == pytest.approx(
        (6000 * 80 + 240 * 250 + 66 * 1100) / 1000.0
    )


def test_finance_failed_project_spends_half_and_produces_nothing() -> None:
    project = load_projects(source_ids=SOURCES)["aclara-louisiana"]
    years = np.arange(2025, 2081)
    draws = RiskDraws(overrun=np.ones(1), delay=np.zeros(1), completed=np.array([False]))
    cf = calc_project_cashflows(project, _flat_prices(years, 1), draws)
    assert float(cf["capex"].sum()) == pytest.approx(0.5 * project.capex_musd.value)
    assert float(cf["volume"].sum()) == 0.0
    assert np.isnan(cf["production_start"].values[0])


@pytest.mark.parametrize(
    "name", ["cashflows", "scoring", "prices", "market", "sourced", "bookkeeping"]
)
def test_finance_doctests(name: str) -> None:
    """The worked examples in the docstrings hold."""
    module = importlib.import_module(f"reeplan.finance.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
