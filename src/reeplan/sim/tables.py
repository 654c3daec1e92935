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
    quarters = np.asarray(d.quarter.values).astype(str)[::every]
    elements = np.asarray(d.element.values).astype(str)
    frames = []
    for market, var, key in (("ex_china", "price_ex", "ex_china"),
                             ("china_domestic", "price_cn", "china_domestic")):
        pct = calc_percentiles(d[var].values.astype(float))[:, ::every]  # [3, T, E]
        base = np.array([res.base_price.get(key, {}).get(e, np.nan) for e in elements], float)
        n_t, n_e = pct.shape[1], pct.shape[2]
        frame = pd.DataFrame({
            "scenario": res.scenario, "element": np.repeat(elements, n_t), "market": market,
            "quarter": np.tile(quarters, n_e), "base_usd_kg": np.repeat(base, n_t)})
        for i, name in enumerate(_P):
            frame[f"multiple_{name}"] = pct[i].T.reshape(-1)
        frame["usd_kg_p50"] = pct[1].T.reshape(-1) * frame["base_usd_kg"].to_numpy()
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def fan_table(res: SimulationResult, uses: Iterable[tuple[str, str]] | None = None,
              stockpile: bool = True) -> pd.DataFrame:
    """Quarterly unmet demand percentiles (the fan chart's data) for some uses (default all)."""
    d = res.data
    var = "shortfall" if stockpile else "shortfall_no_nds"
    pct = calc_percentiles(d[var].values.astype(float))  # [3, T, U]
    demand = d["demand"].values.mean(0)  # [T, U]
    els = np.asarray(d.use_element.values).astype(str)
    secs = np.asarray(d.use_sector.values).astype(str)
    wanted = set(uses) if uses is not None else None
    keep = np.array([wanted is None or (e, c) in wanted for e, c in zip(els, secs, strict=True)],
                    bool)
    quarters = np.asarray(d.quarter.values).astype(str)
    n_t, n_u = len(quarters), int(keep.sum())
    frame = pd.DataFrame({
        "scenario": res.scenario, "element": np.repeat(els[keep], n_t),
        "sector": np.repeat(secs[keep], n_t),
        "stockpile": "with" if stockpile else "without",
        "quarter": np.tile(quarters, n_u),
        "demand_t": demand[:, keep].T.reshape(-1).astype(float)})
    for i, name in enumerate(_P):
        frame[f"unmet_t_{name}"] = pct[i][:, keep].T.reshape(-1).astype(float)
    return frame


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
