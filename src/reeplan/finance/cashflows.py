"""Project cash flows by year and the textbook measures on them (NPV, IRR, payback, break-even).

All ``calc_*`` functions are pure and vectorised: cash flows have the time axis last, any leading
axes (``sample``) are kept. A project's cash flows are built per Monte Carlo sample from the
simulated benchmark prices and the risk draws, without a Python loop over samples.

Timeline of one sample (decimal years): build starts at ``B = decision_year``; it lasts
``D = build_years + delay``; production starts at ``T0 = B + D`` and lasts ``life_years``.
Capex ``capex * overrun`` follows ``capex_schedule`` stretched over ``D``; output follows
``ramp_up`` then full utilisation. A calendar year ``y`` gets the integral of these rates over
``[y, y + 1)``, so fractional starts and delays are handled exactly.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr
from scipy.optimize import brentq

from reeplan.finance.project import PriceLink, Project
from reeplan.finance.risk import ABANDON_FRACTION, RiskDraws

__all__ = [
    "calc_breakeven_price",
    "calc_irr",
    "calc_npv",
    "calc_payback",
    "calc_project_cashflows",
    "calc_window_fraction",
    "link_price",
]


def calc_npv(rate: float, cashflows: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
    """Net present value :math:`\\sum_t CF_t (1 + r)^{-t}`.

    Parameters
    ----------
    rate
        Discount rate per period (annual compounding).
    cashflows
        Cash flows, time on the last axis.
    times
        Time of each cash flow in periods; default ``0, 1, 2, ...`` (as ``numpy_financial.npv``).

    Returns
    -------
    numpy.ndarray
        NPV over the leading axes (a 0-d array for 1-d input).

    Examples
    --------
    >>> round(float(calc_npv(0.10, np.array([-100.0, 60.0, 60.0]))), 6)
    4.132231
    """
    cf = np.asarray(cashflows, dtype=float)
    t = np.arange(cf.shape[-1], dtype=float) if times is None else np.asarray(times, dtype=float)
    return (cf * (1.0 + rate) ** (-t)).sum(axis=-1)


def calc_irr(cashflows: np.ndarray, times: np.ndarray | None = None, lo: float = -0.99,
             hi: float = 10.0, tol: float = 1e-10) -> np.ndarray:
    """Internal rate of return: the rate :math:`r` with :math:`\\sum_t CF_t(1+r)^{-t} = 0`.

    Solved by vectorised bisection on ``[lo, hi]``; ``nan`` where NPV does not change sign there.
    For conventional flows (outflows then inflows) NPV falls with :math:`r` and the root is
    unique.

    Parameters
    ----------
    cashflows
        Time on the last axis.
    times
        Times in periods (default ``0, 1, ...``).
    lo, hi
        Bracket of rates.
    tol
        Bracket width at which to stop.

    Returns
    -------
    numpy.ndarray
        IRR over the leading axes.

    Examples
    --------
    >>> round(float(calc_irr(np.array([-100.0, 60.0, 60.0]))), 6)
    0.130662
    """
    cf = np.asarray(cashflows, dtype=float)
    lo_a = np.full(cf.shape[:-1], lo)
    hi_a = np.full(cf.shape[:-1], hi)
    f_lo = calc_npv(lo, cf, times)
    f_hi = calc_npv(hi, cf, times)
    ok = np.sign(f_lo) * np.sign(f_hi) < 0
    for _ in range(200):
        mid = (lo_a + hi_a) / 2
        f_mid = _npv_at(mid, cf, times)
        left = np.sign(f_mid) == np.sign(f_lo)
        lo_a = np.where(left, mid, lo_a)
        f_lo = np.where(left, f_mid, f_lo)
        hi_a = np.where(left, hi_a, mid)
        if np.all(hi_a - lo_a < tol):
            break
    return np.where(ok, (lo_a + hi_a) / 2, np.nan)


def _npv_at(rate: np.ndarray, cf: np.ndarray, times: np.ndarray | None) -> np.ndarray:
    t = np.arange(cf.shape[-1], dtype=float) if times is None else np.asarray(times, dtype=float)
    return (cf * (1.0 + rate[..., None]) ** (-t)).sum(axis=-1)


def calc_payback(cashflows: np.ndarray, times: np.ndarray | None = None) -> np.ndarray:
    """Payback time: when cumulative undiscounted cash flow first turns non-negative for good.

    Linear interpolation inside the crossing period; measured from ``times[0]``; ``nan`` when
    cumulative cash flow ends negative.

    Examples
    --------
    >>> float(calc_payback(np.array([-100.0, 40.0, 40.0, 40.0])))
    2.5
    """
    cf = np.asarray(cashflows, dtype=float)
    t = np.arange(cf.shape[-1], dtype=float) if times is None else np.asarray(times, dtype=float)
    cum = np.cumsum(cf, axis=-1)
    neg = cum < 0
    # last period with negative cumulative; payback lies in the next one
    idx_rev = np.argmax(neg[..., ::-1], axis=-1)
    last_neg = cf.shape[-1] - 1 - idx_rev
    any_neg = neg.any(axis=-1)
    nxt = np.minimum(last_neg + 1, cf.shape[-1] - 1)
    c0 = np.take_along_axis(cum, last_neg[..., None], -1)[..., 0]
    step = np.take_along_axis(cf, nxt[..., None], -1)[..., 0]
    frac = np.where(step > 0, -c0 / np.where(step > 0, step, 1.0), 0.0)
    when = t[last_neg] + frac * (t[nxt] - t[last_neg]) - t[0]
    ends_neg = cum[..., -1] < 0
    return np.where(ends_neg, np.nan, np.where(any_neg, when, 0.0))


def calc_breakeven_price(npv_at: Callable[[float], float], lo: float, hi: float) -> float:
    """Price (or price scale) at which NPV is zero, by Brent's method on ``[lo, hi]``.

    Returns ``nan`` when NPV does not change sign on the bracket.

    Examples
    --------
    >>> calc_breakeven_price(lambda p: 10 * p - 500, 0.0, 200.0)
    50.0
    """
    f_lo, f_hi = npv_at(lo), npv_at(hi)
    if not np.isfinite(f_lo) or not np.isfinite(f_hi) or f_lo * f_hi > 0:
        return float("nan")
    return float(brentq(npv_at, lo, hi, xtol=1e-9))


def calc_window_fraction(start: np.ndarray, length: np.ndarray | float, years: np.ndarray
                         ) -> np.ndarray:
    """Fraction of each calendar year inside the window ``[start, start + length)``.

    .. math:: f_y = \\mathrm{clip}(y+1-s, 0, L) - \\mathrm{clip}(y-s, 0, L)

    Examples
    --------
    >>> calc_window_fraction(np.array([2025.5]), 1.0, np.array([2025, 2026, 2027])).tolist()
    [[0.5, 0.5, 0.0]]
    """
    s = np.asarray(start, dtype=float)[..., None]
    length = np.asarray(length, dtype=float)
    if length.ndim:
        length = length[..., None]
    y = np.asarray(years, dtype=float)
    return np.clip(y + 1 - s, 0, length) - np.clip(y - s, 0, length)


def _piecewise_cumulative(u: np.ndarray, shares: list[float]) -> np.ndarray:
    """Cumulative share at progress ``u`` in [0, 1] for equal-length periods with ``shares``."""
    knots = np.linspace(0.0, 1.0, len(shares) + 1)
    cum = np.concatenate([[0.0], np.cumsum(shares)])
    return np.interp(u, knots, cum)


def _utilisation_integral(tau: np.ndarray, ramp: list[float], life: float) -> np.ndarray:
    """Integral of utilisation from production start to ``tau`` years after (0 before start)."""
    n = int(np.ceil(max(life, len(ramp)))) + 1
    util = np.array([*ramp, *([1.0] * (n - len(ramp)))])
    knots = np.arange(n + 1, dtype=float)
    cum = np.concatenate([[0.0], np.cumsum(util)])
    return np.interp(np.clip(tau, 0.0, life), knots, cum)


def link_price(link: PriceLink, benchmarks: xr.DataArray) -> np.ndarray:
    """Price of a product or input per (sample, year): ``adder + multiplier * benchmark``."""
    if link.benchmark is None:
        return np.full(benchmarks.shape[1:], link.adder_usd_per_kg.value)
    bench = benchmarks.sel(benchmark=link.benchmark).values
    return link.adder_usd_per_kg.value + link.multiplier.value * bench


def calc_project_cashflows(
    project: Project,
    prices: xr.DataArray,
    draws: RiskDraws,
    *,
    revenue_scale: float = 1.0,
    extra_revenue: np.ndarray | None = None,
    transfers: np.ndarray | None = None,
    start_shift: float = 0.0,
) -> xr.Dataset:
    """Cash flows of ``project`` by sample and calendar year (million USD).

    .. math::
        \\text{EBITDA} &= \\sum_p V_p P_p - \\sum_i V_{p(i)} q_i P_i - \\sum_p V_p c_p
                        - F\\,h + R_{extra} \\\\
        \\text{tax} &= \\tau \\max(\\text{EBITDA} - \\text{dep}, 0) \\\\
        \\text{FCF} &= \\text{EBITDA} - \\text{tax} - \\text{capex} + T

    with volumes :math:`V_p = \\text{cap}_p \\int_y^{y+1} u`, prices :math:`P` from the
    benchmark links, fixed opex :math:`F` times the operating fraction :math:`h` of the year,
    straight-line depreciation of the realised capex over ``depreciation_years``, no loss
    carry-forward (a simplification), and capital transfers :math:`T` (grants, concessional
    credit value) untaxed.

    Parameters
    ----------
    project
        The project.
    prices
        Annual average benchmark prices, dims ``(benchmark, sample, year)``.
    draws
        Risk draws over ``sample``.
    revenue_scale
        Multiplier on product prices (for the break-even basket price).
    extra_revenue
        Taxable price support received (floor, offtake payments), ``(sample, year)``.
    transfers
        Untaxed capital transfers received, ``(sample, year)``.
    start_shift
        Years by which the build starts earlier (positive) than ``decision_year``.

    Returns
    -------
    xarray.Dataset
        Variables ``capex, volume (product, sample, year), revenue, feed, opex, ebitda,
        depreciation, tax, fcf`` and ``production_start`` over ``sample``.
    """
    years = prices["year"].values.astype(float)
    build_start = project.decision_year.value - start_shift
    duration = project.build_years.value + draws.delay
    t0 = build_start + duration
    life = project.life_years.value
    done = draws.completed[:, None]

    capex_total = project.capex_musd.value * draws.overrun
    shares = project.capex_schedule.value
    stop = np.where(draws.completed, 1.0, ABANDON_FRACTION)[:, None]
    u_hi = np.clip((years + 1 - build_start) / duration[:, None], 0.0, stop)
    u_lo = np.clip((years - build_start) / duration[:, None], 0.0, stop)
    capex = capex_total[:, None] * (_piecewise_cumulative(u_hi, shares)
                                    - _piecewise_cumulative(u_lo, shares))

    ramp = project.ramp_up.value
    tau = years - t0[:, None]
    util = (_utilisation_integral(tau + 1, ramp, life) - _utilisation_integral(tau, ramp, life))
    util = util * done
    operating = calc_window_fraction(t0, life, years) * done

    names = [p.name for p in project.products]
    volume = np.stack([p.capacity_t.value * util for p in project.products])
    revenue = np.zeros_like(util)
    var_opex = np.zeros_like(util)
    for k, p in enumerate(project.products):
        revenue += volume[k] * link_price(p.price, prices) * revenue_scale / 1000.0
        var_opex += volume[k] * p.opex_usd_per_kg.value / 1000.0
    feed = np.zeros_like(util)
    for i in project.inputs:
        v = volume[names.index(i.product)] * i.t_per_t.value
        feed += v * link_price(i.price, prices) / 1000.0
    opex = var_opex + project.opex_fixed_musd.value * operating
    ebitda = revenue - feed - opex
    if extra_revenue is not None:
        ebitda = ebitda + extra_revenue
    dep_years = project.depreciation_years.value
    depreciation = (capex_total / dep_years)[:, None] * calc_window_fraction(t0, dep_years, years)
    depreciation = depreciation * done
    tax = project.tax_rate.value * np.maximum(ebitda - depreciation, 0.0)
    fcf = ebitda - tax - capex
    if transfers is not None:
        fcf = fcf + transfers
    dims = ("sample", "year")
    coords = {"year": prices["year"].values, "product": names}
    return xr.Dataset(
        {"capex": (dims, capex), "volume": (("product", *dims), volume),
         "revenue": (dims, revenue), "feed": (dims, feed), "opex": (dims, opex),
         "ebitda": (dims, ebitda), "depreciation": (dims, depreciation), "tax": (dims, tax),
         "fcf": (dims, fcf), "utilisation": (dims, util),
         "production_start": (("sample",), np.where(draws.completed, t0, np.nan))},
        coords=coords, attrs={"unit": "million USD", "project": project.id},
    )
