"""Brief section: disruption scenarios, shortfall, time to survive and time to recover."""

from __future__ import annotations

import pandas as pd

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import fan_chart, tts_ttr_figure, with_source
from reeplan.sim.network import Network
from reeplan.sim.runner import SimulationResult
from reeplan.sim.tables import (
    baseline_coverage,
    fan_table,
    price_table,
    shortfall_table,
    tts_table,
)

__all__ = ["KEY_DEFENSE_USES", "simulation_section", "simulation_tables"]

KEY_DEFENSE_USES = (("Dy", "defense"), ("Tb", "defense"))
"""Uses whose quarterly fan chart the brief shows."""


def simulation_tables(results: list[SimulationResult], network: Network,
                      scenario_assumptions: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """The tidy tables of the simulation section.

    Returns
    -------
    dict
        ``sim_shortfall``, ``sim_tts``, ``sim_prices`` (ex-China and China-domestic price
        multiples per year-end quarter), ``sim_fan`` (defense Dy and Tb by quarter, with and
        without the stockpile), ``sim_baseline`` (base-chain coverage of US demand) and
        ``sim_assumptions``.
    """
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("sim_shortfall", "sim_tts",
                                                            "sim_prices", "sim_fan")}
    assumptions: dict[str, str] = {}
    for res in results:
        parts["sim_shortfall"].append(shortfall_table(res))
        parts["sim_tts"].append(tts_table(res))
        prices = price_table(res)
        parts["sim_prices"].append(prices[prices["quarter"].str.endswith("Q4")
                                          | (prices["quarter"] == "2025Q2")])
        for with_stockpile in (True, False):
            parts["sim_fan"].append(fan_table(res, KEY_DEFENSE_USES, stockpile=with_stockpile))
        assumptions.update(res.assumptions)
        assumptions.update({f"{res.scenario}: {i + 1}": a
                            for i, a in enumerate(scenario_assumptions.get(res.scenario, []))})
    out = {k: (pd.concat(v, ignore_index=True) if v else pd.DataFrame()) for k, v in parts.items()}
    out["sim_baseline"] = baseline_coverage(network)
    out["sim_assumptions"] = pd.DataFrame({"id": list(assumptions),
                                           "assumption": list(assumptions.values())})
    return out


def simulation_section(results: list[SimulationResult], network: Network,
                       scenario_assumptions: dict[str, list[str]], samples: int, seed: int,
                       featured: tuple[str, ...]) -> Section:
    """The disruption section: shortfall, time to survive and recover for every scenario."""
    tables = simulation_tables(results, network, scenario_assumptions)
    scenarios = [r.scenario for r in results]
    sec = Section(
        "disruptions", "Disruption scenarios: shortfall, time to survive and time to recover",
        summary=(f"{len(scenarios)} scenarios, {samples} Monte Carlo samples each (seed {seed}), "
                 "quarterly 2025–2040, with market response, commercial inventories, DPA Title I "
                 "priority (DX, DO, unrated) and National Defense Stockpile releases to defense "
                 "only. Percentiles P5/P50/P95 over samples."),
        tables=tables)
    tts = tables["sim_tts"]
    short = tables["sim_shortfall"]
    for name in scenarios:
        label = str(name)
        for el in ("Dy", "Tb"):
            rows = tts[(tts["scenario"] == label) & (tts["element"] == el)
                       & (tts["sector"] == "defense")]
            for _, r in rows.iterrows():
                sec.headlines.append(Headline(
                    f"tts_{label}_{el}_defense_{r['stockpile']}", float(r["tts_years_p50"]),
                    "years", f"{label}: time to survive, {el} defense demand "
                    f"({r['stockpile']} stockpile, P50, from the first shock)",
                    f"reeplan simulate {label}", primary=False))
        s = short[short["scenario"] == label]
        if len(s):
            sec.headlines.append(Headline(
                f"unmet_{label}", float(s["unmet_t_p50"].sum()), "t REO-eq",
                f"{label}: unmet US demand 2025–2040 (sum of P50 by element and sector)",
                f"reeplan simulate {label}", primary=False))
    source = (f"reeplan simulate, {samples} Monte Carlo samples per scenario (seed {seed}); "
              "scenario sources in the assumptions table")
    fan = tables["sim_fan"]
    if len(fan):
        totals = short.groupby("scenario")["unmet_t_p50"].sum() if len(short) else None
        worst = str(totals.idxmax()) if totals is not None and len(totals) else \
            str(fan["scenario"].iloc[0])
        pick = fan[(fan["scenario"] == worst) & (fan["element"] == "Dy")]
        if not len(pick):
            pick = fan[fan["scenario"] == worst]
        frame = pick.rename(columns={"unmet_t_p5": "p5", "unmet_t_p50": "p50",
                                     "unmet_t_p95": "p95"})
        frame["label"] = (frame["element"] + " " + frame["sector"] + ", "
                          + frame["stockpile"].map({"with": "with the stockpile",
                                                    "without": "no stockpile"}))
        sec.figures["shortfall_fan"] = with_source(fan_chart(
            frame[["quarter", "p5", "p50", "p95", "label"]],
            title=f"Unmet US defense Dy demand by quarter, {worst}, 2025–2040 "
                  "(median and 5–95 % band)",
            y_label="Unmet demand (t REO-eq per quarter)"), source)
    if len(tts):
        sec.figures["tts_vs_ttr"] = with_source(tts_ttr_figure(
            tts, title="Time to survive against time to recover, P50 (years from the first "
            "shock; points above the line are exposed)"), source)
    return sec
