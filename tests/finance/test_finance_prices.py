"""Price models: calibration to the USGS history, simulation moments, and the Black–Scholes check.

The floor test values a price floor with the package code (``valuation._floor``) under GBM with
quarter-end settlement and compares it with the closed-form Black–Scholes put strip; they must
agree within 4 Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.finance._data import RISK, SOURCES

from reeplan.finance.cashflows import calc_project_cashflows
from reeplan.finance.instruments import PriceFloor
from reeplan.finance.loader import load_projects
from reeplan.finance.market import USGS_PRICE_HISTORY, TreasuryCurve
from reeplan.finance.prices import (
    BenchmarkParams,
    PriceModel,
    calc_averaged_ar1_autocorrelation,
    calc_period_average,
    calibrate_gbm,
    calibrate_log_ou_jump,
    simulate_prices,
    time_grid,
)
from reeplan.finance.risk import draw_risk, risk_profile
from reeplan.finance.scoring import calc_black_scholes_put
from reeplan.finance.valuation import Context, value_instrument


def test_finance_history_is_the_usgs_series() -> None:
    assert USGS_PRICE_HISTORY.prices["NdPr"] == (92.0, 124.0, 75.0, 55.0, 69.0)
    assert USGS_PRICE_HISTORY.years == (2021, 2022, 2023, 2024, 2025)


def test_finance_log_ou_calibration_values() -> None:
    """Pooled AR(1) slope of log NdPr/Dy/Tb annual averages is 0.4135 (computed by hand from the
    five USGS points per series); κ solves the averaged-OU autocorrelation ρ₁(κ) = b."""
    m = calibrate_log_ou_jump()
    p = m.params["NdPr"]
    assert p.ar1_slope == pytest.approx(0.41350, abs=1e-4)
    assert calc_averaged_ar1_autocorrelation(p.kappa) == pytest.approx(p.ar1_slope, abs=1e-9)
    assert p.kappa == pytest.approx(1.518, abs=0.01)
    assert np.exp(p.theta) == pytest.approx(73.27, abs=0.05)  # long-run median NdPr, $/kg
    assert np.exp(p.x0) == pytest.approx(69.0)
    # the variance rate is split 70/30 between diffusion and jumps
    total = p.sigma**2 + p.jump_rate * p.jump_std**2
    assert p.jump_rate * p.jump_std**2 / total == pytest.approx(0.3)
    corr = np.array(m.correlation)
    np.testing.assert_allclose(corr, corr.T)
    assert np.all(np.linalg.eigvalsh(corr) > 0)


def test_finance_gbm_calibration_values() -> None:
    g = calibrate_gbm()
    r = np.diff(np.log([92.0, 124.0, 75.0, 55.0, 69.0]))
    sigma = r.std(ddof=1) * np.sqrt(1.5)
    assert g.params["NdPr"].sigma == pytest.approx(sigma)
    assert g.params["NdPr"].mu == pytest.approx(r.mean() + sigma**2 / 2)


def test_finance_ou_stationary_moments() -> None:
    """Without jumps, log prices settle to N(θ, σ²/(2κ))."""
    p = BenchmarkParams(x0=np.log(200.0), kappa=2.0, theta=np.log(80.0), sigma=0.5)
    model = PriceModel(
        kind="log_ou_jump", start_time=2025.0, params={"NdPr": p}, correlation=[[1.0]]
    )
    times = time_grid(2025.0, 2030.0, 12)
    x = np.log(simulate_prices(model, times, 20000, np.random.default_rng(3)).values[0, :, -1])
    assert x.mean() == pytest.approx(np.log(80.0), abs=0.02)
    assert x.var() == pytest.approx(0.25 / 4.0, rel=0.05)


def test_finance_same_seed_same_paths() -> None:
    m = calibrate_log_ou_jump()
    times = time_grid(m.start_time, 2030.0)
    a = simulate_prices(m, times, 100, np.random.default_rng(11))
    b = simulate_prices(m, times, 100, np.random.default_rng(11))
    np.testing.assert_array_equal(a.values, b.values)
    annual = calc_period_average(a, 1.0)
    assert list(annual["period_end"].values) == [2026.0, 2027.0, 2028.0, 2029.0, 2030.0]
    np.testing.assert_allclose(annual.values[..., 1], a.values[..., 6:18].mean(axis=-1))


def test_finance_floor_under_gbm_matches_black_scholes_put_strip() -> None:
    """A floor of K on Q t per quarter, settled on the quarter-end price, is a strip of puts:
    PV = Σ_q Q_q · Put_BS(S0, K, t_q, r, q=r−μ, σ) / 1000 (million USD for t and $/kg)."""
    z = 0.045  # annually compounded Treasury rate -> continuous r
    r = float(np.log1p(z))
    mu, sigma, s0, strike = 0.01, 0.35, 80.0, 110.0
    start = 2025.5
    model = PriceModel(
        kind="gbm",
        start_time=start,
        market_price_of_risk=0.0,
        params={"NdPr": BenchmarkParams(x0=np.log(s0), mu=mu, sigma=sigma)},
        correlation=[[1.0]],
    )
    n = 40000
    times = time_grid(start, 2031.0, 4)
    paths = simulate_prices(model, times, n, np.random.default_rng(20250710))
    annual = calc_period_average(paths, 1.0)
    annual = annual.assign_coords(period_end=(annual["period_end"].values - 1).astype(int))
    annual = annual.rename(period_end="year")
    project = load_projects(source_ids=SOURCES)["mp-10x"]
    profile = risk_profile(project, RISK)
    draws = draw_risk(profile, n, np.random.default_rng(1))
    curve = TreasuryCurve((1.0, 30.0), (z, z), ("test", "test"), "flat")
    ctx = Context(
        project=project,
        profile=profile,
        curve=curve,
        valuation=start,
        annual=annual,
        paths=paths,
        paths_fair=None,
        base=calc_project_cashflows(project, annual, draws),
        credit_uniform=np.zeros(n),
        draws=draws,
    )
    floor = PriceFloor(
        id="f",
        kind="price_floor",
        year=start,
        benchmark="NdPr",
        strike_usd_per_kg=strike,
        start=2025.75,
        end=2030.75,
        volume_t={2025: 4000.0, 2027: 6000.0},
        averaging="point",
        source_id="fin_mp_10q_q3_2025",
    )
    pv = value_instrument(floor, ctx).pv_cost
    ends = np.arange(2026.0, 2030.76, 0.25)
    vol_q = np.where(np.floor(ends - 0.25 + 1e-9) >= 2027, 6000.0, 4000.0) / 4
    bs = float(
        (vol_q * calc_black_scholes_put(s0, strike, ends - start, r, r - mu, sigma)).sum() / 1000.0
    )
    se = pv.std(ddof=1) / np.sqrt(n)
    assert abs(pv.mean() - bs) < 4 * se, (pv.mean(), bs, se)
    assert se / bs < 0.01  # enough samples for the check to be tight


def test_finance_history_matches_the_bundled_prices_table() -> None:
    """The embedded USGS series equals the dataset's ``prices`` rows (market ``usgs_fob``)."""
    import pandas as pd

    from reeplan.finance.market import price_history_from_table
    from reeplan.io.readers import bundled_data_dir

    prices = pd.read_csv(bundled_data_dir() / "prices.csv")
    history = price_history_from_table(prices)
    assert history.years == USGS_PRICE_HISTORY.years
    assert history.prices == USGS_PRICE_HISTORY.prices
    assert history.source_ids == USGS_PRICE_HISTORY.source_ids
