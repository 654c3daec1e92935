"""Price-path models for rare-earth benchmarks, calibrated to the USGS annual price history.

Two models, vectorised over a ``sample`` dimension:

* **Log-Ornstein–Uhlenbeck with jumps** (the default; rare-earth prices are quota-driven and
  mean-reverting with policy jumps, ``dpa.md`` §4.3): with :math:`x = \\ln P`,

  .. math:: dx = \\kappa(\\theta - x)\\,dt + \\sigma\\,dW + J\\,dN,\\quad
            N \\sim \\text{Poisson}(\\lambda),\\ J \\sim N(\\mu_J, \\sigma_J^2).

* **Geometric Brownian motion** (baseline): :math:`dx = (\\mu - \\sigma^2/2)\\,dt + \\sigma\\,dW`.

Calibration (:func:`calibrate_log_ou_jump`): a pooled AR(1) on log annual averages (common slope
:math:`b`, one intercept per benchmark), corrected for time averaging — an annual average of an OU
process has lag-1 autocorrelation :math:`\\rho_1(\\kappa) = (1-e^{-\\kappa})^2 / (2(\\kappa-1+
e^{-\\kappa}))`, so :math:`\\kappa` solves :math:`\\rho_1(\\kappa) = b` and the point-process
stationary variance is :math:`v = s^2\\kappa^2 / (2(\\kappa-1+e^{-\\kappa})(1-b^2))`. The total
variance rate :math:`2\\kappa v` is split between diffusion and jumps by an assumed jump share;
five annual points cannot identify jumps, so the jump rate and share are labelled assumptions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from scipy.optimize import brentq
from scipy.signal import lfilter

from reeplan.errors import ReeError
from reeplan.finance.market import USGS_PRICE_HISTORY, PriceHistory
from reeplan.finance.sourced import FinanceModel

__all__ = [
    "BenchmarkParams",
    "PriceModel",
    "calc_averaged_ar1_autocorrelation",
    "calc_period_average",
    "calibrate_gbm",
    "calibrate_log_ou_jump",
    "default_price_model",
    "simulate_prices",
    "time_grid",
]

JUMP_RATE = 0.25
"""Policy-jump intensity per year (assumption ``fin_asm_price_jumps``)."""
JUMP_SHARE = 0.3
"""Share of the calibrated variance rate carried by jumps (assumption ``fin_asm_price_jumps``)."""
MARKET_PRICE_OF_RISK = 0.2
"""Drift shift per unit volatility for the fair-value measure (assumption ``fin_asm_price_mpr``)."""
STEPS_PER_YEAR = 12


class BenchmarkParams(FinanceModel):
    """Calibrated parameters of one benchmark (annualised; log price)."""

    x0: float
    """Log start price."""
    kappa: float = 0.0
    """Mean-reversion speed per year (0 for GBM)."""
    theta: float = 0.0
    """Long-run mean of log price (OU)."""
    mu: float = 0.0
    """Arithmetic drift per year (GBM)."""
    sigma: float
    """Diffusion volatility per sqrt(year)."""
    jump_rate: float = 0.0
    jump_mean: float = 0.0
    jump_std: float = 0.0
    ar1_slope: float | None = None
    """Calibration statistic: pooled AR(1) slope of log annual averages."""
    resid_std: float | None = None
    """Calibration statistic: residual standard deviation of that AR(1) (or of log returns)."""


class PriceModel(FinanceModel):
    """A calibrated multi-benchmark price model."""

    kind: Literal["log_ou_jump", "gbm"]
    start_time: float
    """Decimal year of the start price (mid-year of the last annual average)."""
    params: dict[str, BenchmarkParams]
    correlation: list[list[float]]
    """Correlation of the diffusion shocks (and of jump sizes), benchmark order of ``params``."""
    market_price_of_risk: float = MARKET_PRICE_OF_RISK
    history_years: list[int] = []
    source_ids: dict[str, str] = {}

    @property
    def benchmarks(self) -> list[str]:
        """Benchmark names in model order."""
        return list(self.params)

    def table(self) -> pd.DataFrame:
        """Parameters as a tidy table (one row per benchmark) for reports."""
        rows = []
        for name, p in self.params.items():
            row: dict[str, object] = {"benchmark": name, "model": self.kind,
                                      "start_price": float(np.exp(p.x0))}
            if self.kind == "log_ou_jump":
                v = (p.sigma**2 + p.jump_rate * (p.jump_mean**2 + p.jump_std**2)) / (2 * p.kappa)
                row |= {"kappa": p.kappa, "half_life_yr": np.log(2) / p.kappa,
                        "long_run_median": float(np.exp(p.theta + p.jump_rate * p.jump_mean
                                                        / p.kappa)),
                        "long_run_mean": float(np.exp(p.theta + p.jump_rate * p.jump_mean
                                                      / p.kappa + v / 2)),
                        "sigma": p.sigma, "jump_rate": p.jump_rate, "jump_mean": p.jump_mean,
                        "jump_std": p.jump_std}
            else:
                row |= {"mu": p.mu, "sigma": p.sigma}
            row |= {"ar1_slope": p.ar1_slope, "resid_std": p.resid_std,
                    "source_id": self.source_ids.get(name, "")}
            rows.append(row)
        return pd.DataFrame(rows)


def calc_averaged_ar1_autocorrelation(kappa: float) -> float:
    """Lag-1 autocorrelation of unit-period averages of an OU process.

    .. math:: \\rho_1(\\kappa) = \\frac{(1-e^{-\\kappa})^2}{2(\\kappa - 1 + e^{-\\kappa})}

    It falls from 1 (:math:`\\kappa \\to 0`, a random walk) to 0.

    Examples
    --------
    >>> round(calc_averaged_ar1_autocorrelation(1.5), 4)
    0.4173
    >>> round(calc_averaged_ar1_autocorrelation(1e-6), 4)
    1.0
    """
    one_minus_e = -np.expm1(-kappa)
    # kappa - 1 + e^-kappa cancels for small kappa: use its series there
    d = (kappa + np.expm1(-kappa) if kappa > 1e-3
         else kappa**2 / 2 - kappa**3 / 6 + kappa**4 / 24)
    return float(one_minus_e**2 / (2 * d))


def _pooled_ar1(logp: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Pooled AR(1) x[t+1] = a_i + b x[t] + e: slope, intercepts and residuals [series, n-1]."""
    x, y = logp[:, :-1], logp[:, 1:]
    xc = x - x.mean(axis=1, keepdims=True)
    yc = y - y.mean(axis=1, keepdims=True)
    b = float((xc * yc).sum() / (xc * xc).sum())
    a = y.mean(axis=1) - b * x.mean(axis=1)
    return b, a, y - a[:, None] - b * x


def _nearest_correlation(resid: np.ndarray) -> list[list[float]]:
    corr = np.atleast_2d(np.corrcoef(resid))
    w, v = np.linalg.eigh(corr)
    corr = (v * np.maximum(w, 1e-6)) @ v.T
    d = np.sqrt(np.diag(corr))
    return (corr / np.outer(d, d)).round(6).tolist()


def calibrate_log_ou_jump(
    history: PriceHistory = USGS_PRICE_HISTORY,
    *,
    jump_rate: float = JUMP_RATE,
    jump_share: float = JUMP_SHARE,
    jump_mean: float = 0.0,
    averaged: bool = True,
) -> PriceModel:
    """Calibrate the log-OU-with-jumps model to annual average prices.

    Parameters
    ----------
    history
        Annual averages per benchmark (same years for all).
    jump_rate
        Jump intensity :math:`\\lambda` per year (assumption).
    jump_share
        Share :math:`w` of the variance rate carried by jumps (assumption).
    jump_mean
        Mean log jump :math:`\\mu_J`; the diffusion mean becomes
        :math:`\\theta - \\lambda\\mu_J/\\kappa` so the long-run mean stays at the data's.
    averaged
        Treat observations as period averages (correct :math:`\\kappa` and variance for it).

    Returns
    -------
    PriceModel
        With, per benchmark, :math:`\\sigma^2 = (1-w)\\,2\\kappa v` and
        :math:`\\sigma_J^2 = w\\,2\\kappa v/\\lambda - \\mu_J^2`.

    Raises
    ------
    ReeError
        When the pooled slope is outside (0, 1) (no mean reversion to calibrate) or the jump
        variance would be negative.
    """
    names = list(history.prices)
    logp = np.log(np.array([history.prices[n] for n in names], dtype=float))
    b, a, resid = _pooled_ar1(logp)
    if not 0.0 < b < 1.0:
        msg = f"pooled AR(1) slope {b:.3f} is outside (0, 1): no mean reversion to calibrate"
        raise ReeError(msg)
    m, n = resid.shape
    dof = n - (m + 1) / m  # each series' share of the pooled regression's m + 1 parameters
    if averaged:
        kappa = brentq(lambda k: calc_averaged_ar1_autocorrelation(k) - b, 1e-6, 100.0)
        scale = kappa**2 / (2 * (kappa + np.expm1(-kappa)))
    else:
        kappa = -np.log(b)
        scale = 1.0
    params = {}
    for i, name in enumerate(names):
        s2 = float((resid[i] ** 2).sum() / dof)
        v = s2 * scale / (1 - b**2)
        total = 2 * kappa * v
        jump_var = jump_share * total / jump_rate - jump_mean**2 if jump_rate > 0 else 0.0
        if jump_var < 0:
            msg = f"{name}: jump mean {jump_mean} too large for the calibrated variance"
            raise ReeError(msg)
        theta = a[i] / (1 - b)
        params[name] = BenchmarkParams(
            x0=float(logp[i, -1]), kappa=float(kappa),
            theta=float(theta - jump_rate * jump_mean / kappa),
            sigma=float(np.sqrt((1 - jump_share) * total)) if jump_rate > 0
            else float(np.sqrt(total)),
            jump_rate=jump_rate, jump_mean=jump_mean, jump_std=float(np.sqrt(jump_var)),
            ar1_slope=b, resid_std=float(np.sqrt(s2)),
        )
    return PriceModel(kind="log_ou_jump", start_time=history.years[-1] + 0.5, params=params,
                      correlation=_nearest_correlation(resid),
                      history_years=list(history.years), source_ids=dict(history.source_ids))


def calibrate_gbm(history: PriceHistory = USGS_PRICE_HISTORY, *, averaged: bool = True
                  ) -> PriceModel:
    """Calibrate GBM to annual average prices.

    :math:`\\sigma = \\mathrm{sd}(\\Delta \\ln \\bar P)\\cdot c`, :math:`\\mu = \\overline{\\Delta
    \\ln \\bar P} + \\sigma^2/2`, with the Working (1960) averaging correction
    :math:`c = \\sqrt{3/2}` when ``averaged`` (differences of period averages of a Brownian
    motion have 2/3 of the point variance).

    Parameters
    ----------
    history
        Annual averages per benchmark.
    averaged
        Apply the averaging correction.

    Returns
    -------
    PriceModel
        ``kind="gbm"``.
    """
    names = list(history.prices)
    logp = np.log(np.array([history.prices[n] for n in names], dtype=float))
    ret = np.diff(logp, axis=1)
    c = np.sqrt(1.5) if averaged else 1.0
    params = {}
    for i, name in enumerate(names):
        sd = float(ret[i].std(ddof=1))
        sigma = sd * c
        params[name] = BenchmarkParams(x0=float(logp[i, -1]), mu=float(ret[i].mean()
                                                                       + sigma**2 / 2),
                                       sigma=sigma, resid_std=sd)
    return PriceModel(kind="gbm", start_time=history.years[-1] + 0.5, params=params,
                      correlation=_nearest_correlation(ret), history_years=list(history.years),
                      source_ids=dict(history.source_ids))


def default_price_model(kind: str = "log_ou_jump") -> PriceModel:
    """The calibrated default model of ``kind`` (``log_ou_jump`` or ``gbm``)."""
    if kind == "gbm":
        return calibrate_gbm()
    if kind == "log_ou_jump":
        return calibrate_log_ou_jump()
    msg = f"unknown price model {kind!r}; use log_ou_jump or gbm"
    raise ReeError(msg)


def time_grid(start: float, end: float, steps_per_year: int = STEPS_PER_YEAR) -> np.ndarray:
    """Uniform simulation times after ``start`` up to and including ``end``.

    Examples
    --------
    >>> time_grid(2025.5, 2026.0, 4).tolist()
    [2025.75, 2026.0]
    """
    n = round((end - start) * steps_per_year)
    return start + np.arange(1, n + 1) / steps_per_year


def simulate_prices(
    model: PriceModel,
    times: np.ndarray,
    n_samples: int,
    rng: np.random.Generator,
    *,
    measure: Literal["real", "fair"] = "real",
) -> xr.DataArray:
    """Simulate price paths, exactly discretised on a uniform grid.

    OU step: :math:`x_k - \\theta = a(x_{k-1} - \\theta) + \\sigma\\sqrt{(1-a^2)/(2\\kappa)}Z_k
    + J_k`, :math:`a = e^{-\\kappa\\Delta}`, :math:`J_k = N_k\\mu_J + \\sqrt{N_k}\\sigma_J Z'_k`,
    :math:`N_k \\sim \\text{Poisson}(\\lambda\\Delta)` common to all benchmarks (a policy shock
    moves all rare-earth prices). GBM step: :math:`x_k = x_{k-1} + (\\mu-\\sigma^2/2)\\Delta +
    \\sigma\\sqrt\\Delta Z_k`. Under ``measure="fair"`` the drift is shifted by the market price of
    risk :math:`m`: :math:`\\theta \\to \\theta - m\\sigma/\\kappa`, :math:`\\mu \\to \\mu -
    m\\sigma`.

    Parameters
    ----------
    model
        Calibrated model.
    times
        Uniform, increasing decimal years after ``model.start_time`` (see :func:`time_grid`).
    n_samples
        Number of Monte Carlo samples.
    rng
        Seeded generator; draws are taken in a fixed order (diffusion, jump counts, jump sizes),
        so equal seeds and shapes give equal paths (common random numbers).
    measure
        ``real`` (expected cost and payout probabilities) or ``fair`` (fair value).

    Returns
    -------
    xarray.DataArray
        Prices in USD/kg, dims ``(benchmark, sample, time)``.
    """
    times = np.asarray(times, dtype=float)
    dt = float(times[0] - model.start_time)
    if dt <= 0 or (len(times) > 1 and not np.allclose(np.diff(times), dt)):
        msg = "simulation times must be uniform and start one step after the model start"
        raise ReeError(msg)
    names = model.benchmarks
    chol = np.linalg.cholesky(np.array(model.correlation))
    shape = (len(names), n_samples, len(times))
    z = np.einsum("ij,jsk->isk", chol, rng.standard_normal(shape))
    m = model.market_price_of_risk if measure == "fair" else 0.0
    x = np.empty(shape)
    if model.kind == "gbm":
        for i, name in enumerate(names):
            p = model.params[name]
            step = (p.mu - m * p.sigma - p.sigma**2 / 2) * dt + p.sigma * np.sqrt(dt) * z[i]
            x[i] = p.x0 + np.cumsum(step, axis=-1)
    else:
        rates = {p.jump_rate for p in model.params.values()}
        if len(rates) > 1:
            msg = "jumps are common to all benchmarks: give every benchmark the same jump_rate"
            raise ReeError(msg)
        rate = rates.pop()
        counts = rng.poisson(rate * dt, size=shape[1:]) if rate > 0 else np.zeros(shape[1:])
        zj = np.einsum("ij,jsk->isk", chol, rng.standard_normal(shape)) if rate > 0 else z * 0
        for i, name in enumerate(names):
            p = model.params[name]
            a = np.exp(-p.kappa * dt)
            theta = p.theta - m * p.sigma / p.kappa
            shock = p.sigma * np.sqrt((1 - a * a) / (2 * p.kappa)) * z[i]
            shock += counts * p.jump_mean + np.sqrt(counts) * p.jump_std * zj[i]
            zi = np.full((n_samples, 1), a * (p.x0 - theta))
            x[i] = theta + lfilter([1.0], [1.0, -a], shock, axis=-1, zi=zi)[0]
    return xr.DataArray(np.exp(x), dims=("benchmark", "sample", "time"),
                        coords={"benchmark": names, "time": times},
                        attrs={"unit": "USD/kg", "model": model.kind, "measure": measure})


def calc_period_average(prices: xr.DataArray, period: float, origin: float = 0.0) -> xr.DataArray:
    """Average prices over consecutive periods (quarters, years) ending on the period grid.

    A point at time :math:`t` belongs to the period ending at
    :math:`o + p\\lceil (t - o)/p \\rceil` (period :math:`p`, origin :math:`o`).

    Parameters
    ----------
    prices
        Dims ``(..., time)``.
    period
        Period length in years (0.25 for quarters, 1 for years).
    origin
        A period boundary (e.g. 0.0 for calendar quarters and years).

    Returns
    -------
    xarray.DataArray
        Dim ``period_end`` in place of ``time``.

    Examples
    --------
    >>> da = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="time",
    ...                   coords={"time": [2025.25, 2025.5, 2025.75, 2026.0]})
    >>> calc_period_average(da, 0.5).values.tolist()
    [1.5, 3.5]
    """
    t = prices["time"].values
    label = np.ceil(np.round((t - origin) / period, 9))
    starts = np.flatnonzero(np.r_[True, np.diff(label) != 0])
    if np.any(np.diff(label[starts]) <= 0):
        msg = "times must be sorted"
        raise ReeError(msg)
    axis = prices.get_axis_num("time")
    sums = np.add.reduceat(prices.values, starts, axis=axis)
    counts = np.diff(np.r_[starts, len(t)])
    shape = [1] * prices.ndim
    shape[axis] = len(starts)
    dims = [d if d != "time" else "period_end" for d in prices.dims]
    coords = {k: v for k, v in prices.coords.items() if "time" not in v.dims}
    coords["period_end"] = np.round(label[starts] * period + origin, 9)
    return xr.DataArray(sums / counts.reshape(shape), dims=dims, coords=coords,
                        attrs=prices.attrs)
