"""Consequences of simulated shortfalls, the element ranking and the sensitivity analysis.

* :func:`consequences` — per-sample output at risk (USD) by element and sector, and defense
  platform deliveries delayed, from a simulation (the consequence tables' ranges are drawn per
  sample).
* :func:`element_ranking` — expected consequence per element with a 90 % interval, beside NIR,
  HHI, independence, EU supply risk and GeoPolRisk, and the published orderings (USGS 2025,
  DOE CMA 2023, EU CRM 2023), with Spearman rank correlations and a sentence per disagreement.
* :func:`sensitivity` — Morris (or Sobol) sensitivity of the headline consequence over the
  ``parameters.csv`` ranges and the consequence tables' ranges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from reeplan.chain import SupplyChain
from reeplan.indicators.chain_criticality import chain_criticality
from reeplan.indicators.consequences import (
    ConsequenceInputs,
    consequence_inputs,
    consequence_summary,
)
from reeplan.indicators.exposure import exposure_table
from reeplan.indicators.sensitivity import calc_sensitivity, parameter_bounds
from reeplan.io.dataset import Dataset
from reeplan.sim.runner import SimulationResult
from reeplan.workflows.simulate import HORIZON, THREATS, simulate, simulation_chain

__all__ = [
    "ASSESSMENTS",
    "Consequences",
    "consequences",
    "element_ranking",
    "headline_model",
    "rank_correlations",
    "sensitivity",
]

ASSESSMENTS = {"usgs_2025": "USGS 2025 economic-effects list",
               "doe_cma_2023": "DOE 2023 Critical Materials Assessment",
               "eu_crm_2023": "EU 2023 CRM list"}
"""Published assessments in ``published_rankings.csv`` and their names."""

YEAR = 2025
STAGE = "separation"
"""Stage whose NIR, HHI, independence and criticality indices sit beside the ranking (the
separation stage is where China's share is largest)."""


@dataclass
class Consequences:
    """Per-sample consequences of one simulation (USD over the horizon; platforms in units)."""

    scenario: str
    by_element: pd.DataFrame
    """Rows: element; columns mean, p05, p95 (USD)."""
    by_sector: pd.DataFrame
    platforms: pd.DataFrame
    """Rows: platform; mean, p05, p95 deliveries delayed, and the same without the NDS."""
    total: pd.Series
    """mean, p05, p95 of the total (USD)."""
    samples: dict[str, object]


def _stats(arr, dim: str) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({
        "mean": arr.mean("sample").to_series(),
        "p05": arr.quantile(0.05, "sample").drop_vars("quantile").to_series(),
        "p95": arr.quantile(0.95, "sample").drop_vars("quantile").to_series(),
    })
    frame.index.name = dim
    return frame.sort_values("mean", ascending=False)


def consequences(ds: Dataset, sim: SimulationResult, seed: int | None = None,
                 inputs: ConsequenceInputs | None = None) -> Consequences:
    """Consequences of one simulation result (ranges drawn per sample with ``seed``)."""
    inp = inputs if inputs is not None else consequence_inputs(ds)
    out = consequence_summary(sim.data, inp, seed=sim.seed if seed is None else seed)
    plat = _stats(out["platforms_delayed"], "platform")
    plat_no = _stats(out["platforms_delayed_no_nds"], "platform").add_suffix("_no_nds")
    plat = plat.join(plat_no)
    plat.insert(0, "name", inp.platforms["platform"].reindex(plat.index))
    tot = out["total"]
    total = pd.Series({"mean": float(tot.mean()), "p05": float(tot.quantile(0.05)),
                       "p95": float(tot.quantile(0.95))})
    return Consequences(sim.scenario, _stats(out["by_element"], "element"),
                        _stats(out["by_sector"], "sector"), plat, total, dict(out))


def _indicators(ds: Dataset, elements: Sequence[str], chain: SupplyChain | None = None
                ) -> pd.DataFrame:
    if chain is None or tuple(chain.options.years) != tuple(HORIZON):
        chain = simulation_chain(ds)  # the simulations' chain: the same routing as theirs
    ex = exposure_table(chain, YEAR, elements=list(elements))
    ex = ex[ex["stage"] == STAGE].set_index("element")
    out = pd.DataFrame(index=pd.Index(list(elements), name="element"))
    out["nir"] = ex["us_nir"]
    out["hhi"] = ex["hhi"]
    out["one_minus_independence"] = 1.0 - ex["independence"]
    crit = chain_criticality(ds, chain, YEAR, list(elements), stages=(STAGE,))
    if not crit.empty:
        piv = crit.pivot_table(index="element", columns="method", values="value")
        if "eu_crm_supply_risk" in piv:
            out["eu_sr"] = piv["eu_crm_supply_risk"]
        if "geopolrisk" in piv:
            out["geopolrisk"] = piv["geopolrisk"]
    return out


def element_ranking(ds: Dataset, sims: Sequence[SimulationResult],
                    indicators: bool = True, chain: SupplyChain | None = None) -> pd.DataFrame:
    """Expected consequence per element (mean over samples and the given simulations, with a
    5–95 % interval), its rank, the other indicators and the published ranks.

    Returns one row per element with demand, most consequential first: ``consequence_usd``,
    ``p05``, ``p95``, ``rank``, indicator columns (``nir``, ``hhi``,
    ``one_minus_independence``, ``eu_sr``, ``geopolrisk``) and ``rank_<assessment>`` for each
    published assessment. ``attrs["correlations"]`` holds the Spearman correlations and
    ``attrs["disagreements"]`` one sentence per large disagreement.
    """
    if not sims:
        raise ValueError("element_ranking needs at least one simulation result")
    inp = consequence_inputs(ds)
    per = [consequence_summary(s.data, inp, seed=s.seed)["by_element"] for s in sims]
    frames = [p.to_pandas() for p in per]  # sample x element
    allv = pd.concat(frames, ignore_index=True).fillna(0.0)
    out = pd.DataFrame({"consequence_usd": allv.mean(), "p05": allv.quantile(0.05),
                        "p95": allv.quantile(0.95)})
    out.index.name = "element"
    out = out.sort_values("consequence_usd", ascending=False)
    out["rank"] = out["consequence_usd"].rank(ascending=False, method="average")
    dem = ds["us_demand"].groupby(["element", "sector"])["quantity"].sum()
    out["us_demand_t"] = dem.groupby(level="element").sum().reindex(out.index)
    out["main_sector"] = dem.groupby(level="element").idxmax().map(
        lambda k: k[1]).reindex(out.index)
    if indicators:
        out = out.join(_indicators(ds, list(out.index), chain))
    pub = ds["published_rankings"]
    for a in ASSESSMENTS:
        ranks = pub[pub["assessment"] == a].set_index("element")["rank"]
        out[f"rank_{a}"] = ranks.reindex(out.index)
    out.attrs["correlations"] = rank_correlations(out)
    out.attrs["disagreements"] = disagreements(out)
    out.attrs["scenarios"] = [s.scenario for s in sims]
    return out


def rank_correlations(table: pd.DataFrame) -> pd.DataFrame:
    """Spearman ρ between the consequence ranking and each other ordering (elements both
    rank), with the number of elements and the p-value."""
    rows = []
    others = [c for c in ("nir", "hhi", "one_minus_independence", "eu_sr", "geopolrisk")
              if c in table] + [f"rank_{a}" for a in ASSESSMENTS if f"rank_{a}" in table]
    for col in others:
        both = table[["consequence_usd", col]].dropna()
        # published ranks: 1 = most critical, so correlate with the negated rank
        y = -both[col] if col.startswith("rank_") else both[col]
        if len(both) >= 3 and both["consequence_usd"].nunique() > 1 and y.nunique() > 1:
            rho, p = spearmanr(both["consequence_usd"], y)
        else:
            rho, p = np.nan, np.nan
        rows.append({"ordering": col.removeprefix("rank_"), "spearman_rho": float(rho),
                     "p_value": float(p), "elements": len(both)})
    return pd.DataFrame(rows)


def disagreements(table: pd.DataFrame, gap: float = 4.0) -> list[str]:
    """A sentence for each element whose consequence rank and a published rank differ by at
    least ``gap`` places (ranks over the elements both cover)."""
    out = []
    own = table["consequence_usd"].rank(ascending=False, method="average")
    top = float(table["consequence_usd"].max()) if len(table) else 0.0
    for a, name in ASSESSMENTS.items():
        col = f"rank_{a}"
        if col not in table:
            continue
        both = table[col].dropna()
        pub = both.rank(method="average")
        mine = own.reindex(both.index).rank(method="average")
        for e in both.index:
            d = float(mine[e] - pub[e])
            if abs(d) < gap:
                continue
            usd = table.loc[e, "consequence_usd"]
            dem = table.get("us_demand_t", pd.Series(dtype=float)).get(e, np.nan)
            main = table.get("main_sector", pd.Series(dtype=object)).get(e, None)
            use = (f"US demand in the bundled data is {dem:,.1f} t REO a year, mostly "
                   f"{main}" if pd.notna(dem) and main else "it has no US demand in the data")
            if d > 0:
                why = (f"{use}, so the simulated shortfall it causes is small in USD; the "
                       f"{name} weighs it by global supply concentration or economy-wide "
                       "effects beyond the US sectors modelled here")
                out.append(f"{e}: {name} places it {pub[e]:g} of {len(both)}, reeplan "
                           f"{mine[e]:g} (expected ${usd / 1e6:,.0f}M at risk): {why}.")
            else:
                if usd < 0.01 * top:
                    why = (f"{use}; its expected consequence is small, and it places higher "
                           "only because the elements the published list puts above it have "
                           "even less US demand in the sectors modelled here")
                else:
                    why = (f"{use}, where a tonne stops high-value output and little can be "
                           f"substituted within a year, which the {name} does not weigh the "
                           "same way")
                out.append(f"{e}: reeplan places it {mine[e]:g} of {len(both)}, the {name} "
                           f"{pub[e]:g} (expected ${usd / 1e6:,.0f}M at risk): {why}.")
    return out


CONSEQUENCE_FACTORS = {
    "conseq.intensity_scale": (0.7, 1.3),
    "conseq.unit_value_scale": (0.7, 1.3),
    "conseq.substitution_scale": (0.5, 1.5),
}
"""Multipliers on the consequence tables (all rows at once), ranges from the widest table
ranges; they stand beside the ``parameters.csv`` rows in the sensitivity analysis."""


def headline_model(ds: Dataset, scenario: str = THREATS, samples: int = 50, seed: int = 0,
                   params: Sequence[str] | None = None,
                   base_sim: SimulationResult | None = None):  # type: ignore[no-untyped-def]
    """The headline consequence (expected net output at risk, USD) as a function of parameter
    values: ``parameters.csv`` ids (each value replaces the row's value and the scenario is
    re-simulated) and the :data:`CONSEQUENCE_FACTORS`.

    ``base_sim``: a simulation of ``scenario`` on ``ds`` as it is (for example the run's own);
    its first ``samples`` samples stand for the base parameter values instead of a new
    simulation (with ``params=[]`` nothing is re-simulated).

    Returns ``(model, bounds)`` for :func:`reeplan.indicators.sensitivity.calc_sensitivity`.
    """
    base = ds.tables["parameters"]
    bounds = parameter_bounds(ds["parameters"])
    if params is not None:
        bounds = {k: v for k, v in bounds.items() if k in params}
    bounds = {**bounds, **CONSEQUENCE_FACTORS}
    inp = consequence_inputs(ds).at("value")
    cache: dict[tuple[float, ...], SimulationResult] = {}
    keys = [k for k in bounds if k in base.index]
    if base_sim is not None:
        n = min(samples, base_sim.data.sizes["sample"])
        cache[tuple(round(float(base.loc[k, "value"]), 12) for k in keys)] = replace(
            base_sim, data=base_sim.data.isel(sample=slice(0, n)))

    def model(x: Mapping[str, float]) -> float:
        key = tuple(round(float(x.get(k, base.loc[k, "value"])), 12) for k in keys)
        if key not in cache:
            table = base.copy()
            for k, v in zip(keys, key, strict=True):
                table.loc[k, "value"] = v
                lo, hi = table.loc[k, "low"], table.loc[k, "high"]
                if pd.notna(lo) and v < lo:
                    table.loc[k, "low"] = v
                if pd.notna(hi) and v > hi:
                    table.loc[k, "high"] = v
            ds2 = replace(ds, tables={**ds.tables, "parameters": table})
            cache[key] = simulate(ds2, [scenario], samples, seed)[0]
        sim = cache[key]
        scaled = ConsequenceInputs(
            inp.intensity * x.get("conseq.intensity_scale", 1.0),
            inp.unit_value * x.get("conseq.unit_value_scale", 1.0),
            (inp.substitution * x.get("conseq.substitution_scale", 1.0)).clip(0.0, 1.0),
            inp.platforms)
        return float(consequence_summary(sim.data, scaled, draw=False)["total"].mean())

    return model, bounds


def sensitivity(ds: Dataset, scenario: str = THREATS, samples: int = 50, seed: int = 0,
                method: str = "morris", n: int = 4,
                params: Sequence[str] | None = None, tornado: int | None = 10,
                base_sim: SimulationResult | None = None) -> pd.DataFrame:
    """Global sensitivity of the headline consequence (see :func:`headline_model`); tornado
    bars for the ``tornado`` most influential parameters."""
    model, bounds = headline_model(ds, scenario, samples, seed, params, base_sim)
    return calc_sensitivity(model, bounds, method=method, n=n, seed=seed, tornado=tornado)
