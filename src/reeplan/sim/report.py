"""Tidy tables of simulation results (P5/P50/P95) for the CLI, the brief and ``reeplan run``.

Every table has one row per reported item and a ``scenario`` column, so tables of several
scenarios concatenate. Quantities are t REO-eq; times in years from the first shock; prices as
multiples of the 2025 base price and in USD/kg where the dataset has a base price.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reeplan.chain.model import SupplyChain
from reeplan.io.dataset import Dataset
from reeplan.results import Headline, Section
from reeplan.sim.metrics import PERCENTILES, calc_percentiles
from reeplan.sim.network import ROUTES, Network, build_network
from reeplan.sim.physical import propagate
from reeplan.sim.runner import SimulationResult, run_simulation
from reeplan.sim.scenario import Scenario

__all__ = [
    "baseline_coverage",
    "fan_table",
    "plot_fan",
    "price_table",
    "shortfall_table",
    "simulation_section",
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


def plot_fan(fan: pd.DataFrame, path: Path) -> Path:
    """Write a fan chart (P5–P95 band and P50) of ``fan_table`` rows to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(fan.groupby(["scenario", "element", "sector", "stockpile"], sort=False))
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.6 * max(len(groups), 1)),
                             squeeze=False)
    for ax, ((sc, el, sec, case), g) in zip(axes[:, 0], groups, strict=True):
        x = np.arange(len(g))
        ax.fill_between(x, g["unmet_t_p5"], g["unmet_t_p95"], alpha=0.3, label="P5–P95")
        ax.plot(x, g["unmet_t_p50"], label="P50")
        ax.plot(x, g["demand_t"], ls=":", color="grey", label="demand")
        ticks = x[::8]
        ax.set_xticks(ticks, g["quarter"].to_numpy()[::8])
        ax.set_ylabel("t REO-eq / quarter")
        ax.set_title(f"{sc}: unmet {el} demand, {sec} ({case} stockpile)", fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def simulation_section(ds: Dataset, chain: SupplyChain, scenarios: Iterable[str | Scenario],
                       samples: int = 1000, seed: int = 0,
                       collect: list[SimulationResult] | None = None, **kwargs: Any
                       ) -> dict[str, pd.DataFrame]:
    """Run preset or given scenarios and return the tidy tables of the run's simulation section.

    Returns
    -------
    dict
        ``sim_shortfall``, ``sim_tts``, ``sim_prices`` (ex-China and China-domestic price
        multiples per year-end quarter), ``sim_fan`` (defense Dy and Tb by quarter),
        ``sim_baseline`` (base-chain coverage of US demand) and ``sim_assumptions``.
    """
    from reeplan.sim.loader import check_scenario, load_scenario
    from reeplan.sim.shocks import compile_scenario

    net = build_network(ds, chain)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("sim_shortfall", "sim_tts",
                                                            "sim_prices", "sim_fan")}
    assumptions: dict[str, str] = {}
    for ref in scenarios:
        sc = ref if isinstance(ref, Scenario) else load_scenario(ref)
        check_scenario(sc, ds, sc.name)
        res = run_simulation(net, compile_scenario(sc, net, sc.name), samples, seed, **kwargs)
        if collect is not None:
            collect.append(res)
        parts["sim_shortfall"].append(shortfall_table(res))
        parts["sim_tts"].append(tts_table(res))
        prices = price_table(res)
        parts["sim_prices"].append(prices[prices["quarter"].str.endswith("Q4")
                                          | (prices["quarter"] == "2025Q2")])
        parts["sim_fan"].append(fan_table(res, [("Dy", "defense"), ("Tb", "defense")]))
        assumptions.update(res.assumptions)
        assumptions.update({f"{sc.name}: {i + 1}": a for i, a in enumerate(sc.assumptions)})
    out = {k: (pd.concat(v, ignore_index=True) if v else pd.DataFrame()) for k, v in parts.items()}
    out["sim_baseline"] = baseline_coverage(net)
    out["sim_assumptions"] = pd.DataFrame({"id": list(assumptions),
                                           "assumption": list(assumptions.values())})
    return out


def simulation_sections(*, ds: Dataset, chain: SupplyChain, config: Any = None,
                        shared: dict[str, Any] | None = None, **_: Any) -> list[Section]:
    """The disruption section of ``reeplan run``: every preset (or the run's scenarios)."""
    from reeplan.report.plots import fan_chart, tts_ttr_figure
    from reeplan.sim.loader import list_presets

    scenarios = list(getattr(config, "scenarios", ()) or list_presets())
    samples = int(getattr(config, "samples", 1000))
    seed = int(getattr(config, "seed", 0))
    results: list[SimulationResult] = []
    tables = simulation_section(ds, chain, scenarios, samples, seed, collect=results, workers=2)
    if shared is not None:
        shared["sim_results"] = results
    sec = Section(
        "disruptions", "Disruption scenarios: shortfall, time to survive and time to recover",
        summary=(f"{len(scenarios)} scenarios, {samples} Monte Carlo samples each (seed {seed}), "
                 "quarterly 2025–2040, with market response, commercial inventories, DPA Title I "
                 "priority (DX, DO, unrated) and National Defense Stockpile releases to defense "
                 "only. Percentiles P5/P50/P95 over samples."),
        tables=tables)
    tts = tables["sim_tts"]
    short = tables["sim_shortfall"]
    featured = {"april-2025-controls", "heavy-ree-embargo"}
    for name in scenarios:
        label = str(name)
        for el in ("Dy", "Tb"):
            rows = tts[(tts["scenario"] == label) & (tts["element"] == el)
                       & (tts["sector"] == "defense")]
            for _, r in rows.iterrows():
                sec.headlines.append(Headline(
                    f"tts_{label}_{el}_defense_{r['stockpile']}", float(r["tts_years_p50"]),
                    "years", f"{label}: time to survive, {el} defense demand "
                    f"({r['stockpile']} stockpile, P50, from the first shock)", "reeplan simulate",
                    primary=label in featured and el == "Dy"))
        s = short[short["scenario"] == label]
        if len(s):
            sec.headlines.append(Headline(
                f"unmet_{label}", float(s["unmet_t_p50"].sum()), "t REO-eq",
                f"{label}: unmet US demand 2025–2040 (sum of P50 by element and sector)",
                "reeplan simulate", primary=label in featured))
    if len(tts):
        sec.figures["tts_vs_ttr"] = tts_ttr_figure(tts)
    fan = tables["sim_fan"]
    if len(fan):
        first = fan[(fan["scenario"] == fan["scenario"].iloc[0]) & (fan["stockpile"] == "without")]
        frame = first.rename(columns={"unmet_t_p5": "p5", "unmet_t_p50": "p50",
                                      "unmet_t_p95": "p95"})
        frame["label"] = frame["element"] + " " + frame["sector"]
        sec.figures["shortfall_fan"] = fan_chart(
            frame[["quarter", "p5", "p50", "p95", "label"]],
            title=f"Unmet defense demand by quarter, {fan['scenario'].iloc[0]} (no stockpile)",
            y_label="t REO-eq per quarter")
    return [sec]
