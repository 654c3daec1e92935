"""Tidy tables of simulation results (P5/P50/P95) for the CLI, the brief and the API.

Every table has one row per reported item and a ``scenario`` column, so tables of several
scenarios concatenate. Quantities are t REO-eq; times in years from the first shock; prices as
multiples of the 2025 base price and in USD/kg where the dataset has a base price.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reeplan.sim.metrics import PERCENTILES, calc_percentiles
from reeplan.sim.network import ROUTES, Network
from reeplan.sim.physical import propagate
from reeplan.sim.runner import SimulationResult

__all__ = [
    "baseline_coverage",
    "fan_table",
    "price_table",
    "shortfall_table",
    "tts_table",
]

_P = [f"p{q}" for q in PERCENTILES]


def _uses(res: SimulationResult) -> pd.DataFrame:
    d = res.data
    return pd.DataFrame({"scenario": res.scenario, "element": d.use_element.values,
                         "sector": d.use_sector.values})


def shortfall_table(res: SimulationResult) -> pd.DataFrame:
    """Cumulative unmet demand 2025–2040 per element × sector, with and without the stockpile.

    Columns: ``demand_t`` (mean over samples), ``unmet_t_p5/p50/p95`` (with stockpile),
    ``unmet_share_p50`` (of cumulative demand), ``unmet_no_nds_t_p50``, ``peak_share_p50`` (the
    largest quarterly unmet share of demand) and ``p_short`` (share of samples with any unmet
    demand).
    """
    d = res.data
    out = _uses(res)
    demand = d["demand"].values.astype(float)
    cum_d = demand.sum(1)
    unmet = d["unmet"].values  # [S, U, 2]
    pw = calc_percentiles(unmet[:, :, 1])
    out["demand_t"] = cum_d.mean(0)
    for name, row in zip(_P, pw, strict=True):
        out[f"unmet_t_{name}"] = row
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(cum_d > 0, unmet[:, :, 1] / np.where(cum_d > 0, cum_d, 1.0), 0.0)
        q_share = np.where(demand > 0, d["shortfall"].values / np.where(demand > 0, demand, 1.0),
                           0.0)
    out["unmet_share_p50"] = np.percentile(share, 50, axis=0)
    out["unmet_no_nds_t_p50"] = np.percentile(unmet[:, :, 0], 50, axis=0)
    out["peak_share_p50"] = np.percentile(q_share.max(1), 50, axis=0)
    out["p_short"] = (unmet[:, :, 1] > 1e-6).mean(0)
    return out


def tts_table(res: SimulationResult) -> pd.DataFrame:
    """Time to survive and to recover (years from the first shock) per use and stockpile case.

    ``inf``: no shortfall within the horizon (TTS) or still short at its end (TTR).
    ``p_exposed`` is the share of samples with TTS < TTR (``methods.md`` §3).
    """
    d = res.data
    base = _uses(res)
    frames = []
    for j, case in enumerate(d.stockpile.values):
        df = base.copy()
        df["stockpile"] = str(case)
        tts = d["tts"].values[:, :, j] / 4.0
        ttr = d["ttr"].values[:, :, j] / 4.0
        for name, row in zip(_P, calc_percentiles(tts), strict=True):
            df[f"tts_years_{name}"] = row
        for name, row in zip(_P, calc_percentiles(ttr), strict=True):
            df[f"ttr_years_{name}"] = row
        df["p_exposed"] = (tts < ttr).mean(0)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def price_table(res: SimulationResult, every: int = 1) -> pd.DataFrame:
    """Price multiples (P5/P50/P95) per element, market and quarter; USD/kg where a base exists."""
    d = res.data
    rows = []
    for market, var, key in (("ex_china", "price_ex", "ex_china"),
                             ("china_domestic", "price_cn", "china_domestic")):
        arr = d[var].values.astype(float)  # [S, T, E]
        pct = calc_percentiles(arr)  # [3, T, E]
        for ei, el in enumerate(d.element.values):
            base = res.base_price.get(key, {}).get(str(el), np.nan)
            for ti in range(0, arr.shape[1], every):
                row = {"scenario": res.scenario, "element": str(el), "market": market,
                       "quarter": str(d.quarter.values[ti]), "base_usd_kg": base}
                for name, q in zip(_P, pct[:, ti, ei], strict=True):
                    row[f"multiple_{name}"] = float(q)
                row["usd_kg_p50"] = float(pct[1, ti, ei] * base) if base == base else np.nan
                rows.append(row)
    return pd.DataFrame(rows)


def fan_table(res: SimulationResult, uses: Iterable[tuple[str, str]] | None = None,
              stockpile: bool = True) -> pd.DataFrame:
    """Quarterly unmet demand percentiles (the fan chart's data) for some uses (default all)."""
    d = res.data
    var = "shortfall" if stockpile else "shortfall_no_nds"
    arr = d[var].values.astype(float)
    pct = calc_percentiles(arr)  # [3, T, U]
    wanted = set(uses) if uses is not None else None
    rows = []
    for ui, (el, sec) in enumerate(zip(d.use_element.values, d.use_sector.values, strict=True)):
        if wanted is not None and (str(el), str(sec)) not in wanted:
            continue
        for ti, q in enumerate(d.quarter.values):
            row = {"scenario": res.scenario, "element": str(el), "sector": str(sec),
                   "stockpile": "with" if stockpile else "without", "quarter": str(q),
                   "demand_t": float(d["demand"].values[:, ti, ui].mean())}
            for name, v in zip(_P, pct[:, ti, ui], strict=True):
                row[f"unmet_t_{name}"] = float(v)
            rows.append(row)
    return pd.DataFrame(rows)


def baseline_coverage(net: Network) -> pd.DataFrame:
    """Share of base US demand the unshocked chain routes to US users, per element and route.

    Below 1 the chain itself leaves demand unmet before any shock (a structural gap that shows up
    as shortfall in every scenario).
    """
    b = propagate(net, None, 1)
    rows = []
    for route, _ in ROUTES.items():
        recv = (b.dom[route] + b.imp[route] + b.imp_x[route])[:, :, 0].sum(0)
        mask = net.magnet_route if route == "magnet" else ~net.magnet_route
        dem = (net.demand * mask[None]).sum((0, 2))
        for ei, el in enumerate(net.elements):
            if dem[ei] > 0:
                rows.append({"element": el, "route": route, "demand_t": float(dem[ei]),
                             "routed_t": float(recv[ei]),
                             "coverage": float(min(recv[ei] / dem[ei], 1.0))})
    return pd.DataFrame(rows)
