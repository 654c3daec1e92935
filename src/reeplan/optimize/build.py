"""Build portfolio inputs from the dataset, the chain, the finance module and the simulator.

* **Candidates**: the finance module's candidate projects (``finance/presets/projects.yaml``),
  each with the preset packages written for it plus four generic packages scaled to its capex
  (Title III grant of 25 % and 50 % of capex, a direct loan of 50 % of capex at the 10-year
  Treasury + 1 %, an 80 % guarantee of a loan of 60 % of capex). Their scored cost, probability
  of reaching production and start year come from :func:`reeplan.finance.evaluation.evaluate`.
* **Capacity**: the project's facility in the dataset (t REO-eq by element group and stage).
* **Scenarios**: per-sample US shortfalls of the simulator's scenarios (presets by default)
  without the stockpile; the supply the US still gets in a sample is demand − shortfall, less
  what US adversary-free plants already serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.chain.capacity import facility_element_factors
from reeplan.chain.model import GROUPS, SupplyChain
from reeplan.finance.evaluation import Settings, evaluate
from reeplan.finance.inputs import FinanceInputs
from reeplan.finance.instruments import Package
from reeplan.finance.loader import list_package_presets
from reeplan.io.dataset import Dataset
from reeplan.optimize.candidates import Candidate, stockpile_lots
from reeplan.optimize.inputs import STAGES, PortfolioInputs

__all__ = ["PORTFOLIO_GROUPS", "define_portfolio_inputs", "evaluate_options", "generic_packages"]

PORTFOLIO_GROUPS = {"NdPr": GROUPS["NdPr"], "DyTb": GROUPS["DyTb"], "Sm": ("Sm",)}
"""Element groups the portfolio optimises (magnet elements)."""

TREASURY_10Y = 0.0434  # fin_treasury_2025_07_07 (10-year note, week of 7 Jul 2025)


def generic_packages(project: Any, full: bool = False) -> dict[str, dict[str, Any]]:
    """Packages scaled to the project's capex (labelled assumption fin_asm_alt_packages);
    ``full`` adds a grant of 100 % of capex (a government-funded plant)."""
    capex = float(project.capex_musd.value)
    year = max(float(project.decision_year.value) + 0.5, 2026.0)  # a new award: FY2026 on
    base = {"project": project.id, "source_id": "fin_asm_alt_packages", "grade": "D",
            "waiver_303a7": True}
    out = {}
    for share in (0.25, 0.5, 1.0) if full else (0.25, 0.5):
        out[f"grant-{int(share * 100)}"] = {**base, "id": f"{project.id}-grant-{int(share*100)}",
            "name": f"Title III grant {share:.0%} of capex", "instruments": [
                {"id": "grant", "kind": "grant", "year": year,
                 "amount_musd": round(capex * share, 3), "schedule": [0.3, 0.4, 0.3]}]}
    out["loan-50"] = {**base, "id": f"{project.id}-loan-50",
                      "name": "Direct loan 50 % of capex at 10-year Treasury + 1 %",
                      "instruments": [{"id": "loan", "kind": "direct_loan", "year": year,
                                       "principal_musd": round(capex * 0.5, 3),
                                       "rate": TREASURY_10Y + 0.01, "term_years": 12,
                                       "grace_years": 3, "amortization": "level"}]}
    out["guarantee-80"] = {**base, "id": f"{project.id}-guarantee-80",
                           "name": "80 % guarantee of a loan of 60 % of capex",
                           "instruments": [{"id": "guarantee", "kind": "loan_guarantee",
                                            "year": year,
                                            "principal_musd": round(capex * 0.6, 3),
                                            "rate": TREASURY_10Y + 0.02,
                                            "guaranteed_share": 0.8, "term_years": 10,
                                            "grace_years": 3, "amortization": "level",
                                            "upfront_fee": 0.01}]}
    return out


def evaluate_options(fin: FinanceInputs, samples: int, seed: int,
                     extra: Sequence[Candidate] = ()) -> pd.DataFrame:
    """Every candidate project × package (presets and generic), appraised with one seed.

    ``extra`` adds candidates built from the stage archetypes (facilities without a preset,
    hub bundles, hypothetical projects: :mod:`reeplan.optimize.candidates`); they get the
    generic grants of 25 %, 50 % and 100 % of capex.

    Parameters
    ----------
    fin
        The dataset's finance inputs (risk parameters, source ids).
    samples
        Monte Carlo samples per package.
    seed
        The seed (common random numbers across packages).
    """
    projects: dict[str, Any] = dict(fin.projects())
    kinds = {pid: "preset" for pid in projects}
    capacity: dict[str, dict[tuple[str, str], float] | None] = {}
    for c in extra:
        if c.project.id not in projects:
            projects[c.project.id] = c.project
            kinds[c.project.id] = c.kind
            capacity[c.project.id] = c.capacity
    st = Settings(samples=samples, seed=seed, breakeven=False)  # not needed to rank options
    rows = []
    presets: dict[str, list[Any]] = {}
    for pid in list_package_presets():
        pkg = fin.package(pid)
        presets.setdefault(pkg.project, []).append(pkg)
    for pid, project in projects.items():
        if project.status == "cancelled" or (project.facility_id is None
                                             and not capacity.get(pid)):
            continue
        none = evaluate(project, None, st, risk=fin.risk).effect
        options = [(f"preset:{p.id}", p) for p in presets.get(pid, [])]
        generic = generic_packages(project, full=kinds[pid] != "preset")
        if kinds[pid] != "preset":
            generic = {k: v for k, v in generic.items() if k.startswith("grant")}
        options += [(k, Package.model_validate(v)) for k, v in generic.items()]
        for key, pkg in options:
            ev = evaluate(project, pkg, st, risk=fin.risk)
            inst = ev.instruments
            contingent = inst[inst["kind"].isin(["loan_guarantee", "price_floor", "offtake"])]
            year = min(float(i.year.value) for i in pkg.instruments)
            rows.append({
                "project": pid, "option": key, "package": pkg.id, "name": pkg.name,
                "facility_id": project.facility_id,
                "cost_usd": ev.totals["expected_cost_musd"] * 1e6,
                "p95_cost_usd": ev.totals["p95_cost_musd"] * 1e6,
                "liability_usd": float(contingent["max_exposure_musd"].sum()) * 1e6,
                "award_year": int(year),
                "p_without": none["p_production_without"],
                "start_without": none["production_start_without"],
                "p_with": ev.effect["p_production_with"],
                "start_with": ev.effect["production_start_with"],
                "ramp": list(project.ramp_up.value),
                "kind": kinds[pid], "stage": project.stage,
                "capacity": capacity.get(pid),
            })
    return pd.DataFrame(rows)


def _online(p: float, start: float, ramp: Sequence[float], years: np.ndarray,
            u: np.ndarray) -> np.ndarray:
    """Share of capacity online by year and sample: success if u < p, then the ramp-up."""
    t = years - np.floor(start)
    level = np.where(t < 0, 0.0, 1.0)
    for i, r in enumerate(ramp):
        level = np.where(t == i, r, level)
    return (u[None, :] < p) * level[:, None]


def define_portfolio_inputs(ds: Dataset, chain: SupplyChain, sim_results: Sequence[Any],
                            options: pd.DataFrame, seed: int,
                            years: tuple[int, int] = (2025, 2040)) -> PortfolioInputs:
    """Portfolio inputs from every sample of every simulated scenario.

    Parameters
    ----------
    ds, chain
        The dataset and its chain.
    sim_results
        Simulated scenarios; each sample of each scenario is one equally weighted sample of the
        portfolio model.
    options
        Appraised project × package options (:func:`evaluate_options`).
    seed
        Seed of the project-success draws.
    """
    yrs = np.arange(years[0], years[1] + 1)
    groups = list(PORTFOLIO_GROUPS)
    projects = list(dict.fromkeys(options["project"]))
    opt_names = list(dict.fromkeys(options["option"]))
    # per-sample demand and shortfall from the simulator, by group and year
    dem_parts, short_parts, def_parts = [], [], []
    for res in sim_results:
        d = res.data
        year = xr.DataArray([int(q[:4]) for q in d.quarter.values], dims="quarter")
        for var, bucket in (("demand", dem_parts), ("shortfall_no_nds", short_parts)):
            g = _by_group(d[var], d, year, yrs, groups)
            bucket.append(g)
        def_parts.append(_by_group(d["demand"].where(d["use_sector"] == "defense", 0.0), d, year,
                                   yrs, groups))
    dem_s = xr.concat(dem_parts, "sample")
    short_s = xr.concat(short_parts, "sample")
    def_s = xr.concat(def_parts, "sample")
    n_s = dem_s.sizes["sample"]
    dem_s = dem_s.assign_coords(sample=np.arange(n_s))
    short_s = short_s.assign_coords(sample=np.arange(n_s))
    demand = dem_s.mean("sample")
    defense = def_s.mean("sample").assign_coords(sample=None).drop_vars("sample",
                                                                        errors="ignore")
    # adversary-free US capacity (US plants only) without the candidates' facilities
    cand_fac = set(options["facility_id"])
    base, cap = _capacities(ds, chain, groups, yrs, cand_fac, projects, options)
    f = _stage_factor(chain)
    served0 = (base * f).min("stage")
    adv = np.maximum(demand - short_s - served0, 0.0)
    rng = np.random.default_rng(seed)
    u = rng.random((len(projects), n_s))
    online = np.zeros((len(projects), len(opt_names), len(yrs), n_s))
    base_s = base.expand_dims(sample=np.arange(n_s)).copy()
    cost = np.zeros((len(projects), len(opt_names), len(yrs)))
    liability = np.zeros((len(projects), len(opt_names)))
    available = np.zeros((len(projects), len(opt_names)), bool)
    for i, pid in enumerate(projects):
        rows = options[options["project"] == pid]
        first = rows.iloc[0]
        none = _online(first["p_without"], first["start_without"], first["ramp"], yrs, u[i])
        # without an award the project may still be built: its expected output is in the base
        base_s = base_s + (cap.sel(project=pid) * xr.DataArray(
            none, dims=("year", "sample"), coords={"year": yrs, "sample": np.arange(n_s)}))
        for _, r in rows.iterrows():
            j = opt_names.index(r["option"])
            with_ = _online(r["p_with"], r["start_with"], r["ramp"], yrs, u[i])
            online[i, j] = np.maximum(with_ - none, 0.0)
            ty = int(np.clip(r["award_year"], yrs[0], yrs[-1])) - yrs[0]
            cost[i, j, ty] = max(float(r["cost_usd"]), 0.0)
            liability[i, j] = float(r["liability_usd"])
            available[i, j] = True
    stock_cost, stock_max = _stockpile(ds, chain, groups)
    stock_lot, stock_max = stockpile_lots(
        groups, stock_max, defense.transpose("group", "year").isel(year=0).values)
    data = xr.Dataset(
        {
            "cost": (("project", "option", "year"), cost),
            "liability": (("project", "option"), liability),
            "available": (("project", "option"), available),
            "capacity": cap.transpose("project", "group", "stage"),
            "online": (("project", "option", "year", "sample"), online),
            "base": base_s.transpose("group", "stage", "year", "sample"),
            "stage_factor": f,
            "demand": demand.transpose("group", "year"),
            "defense": np.minimum(defense, demand).transpose("group", "year"),
            "adversary_supply": adv.transpose("group", "year", "sample"),
            "weight": (("sample",), np.full(n_s, 1.0 / n_s)),
            "stockpile_cost": (("group",), stock_cost),
            "stockpile_max": (("group",), stock_max),
            "stockpile_lot": (("group",), stock_lot),
        },
        coords={"project": projects, "option": opt_names, "year": yrs, "group": groups,
                "stage": list(STAGES), "sample": np.arange(n_s)},
    )
    return PortfolioInputs(data)


def _by_group(var: xr.DataArray, d: xr.Dataset, year: xr.DataArray, yrs: np.ndarray,
              groups: list[str]) -> xr.DataArray:
    parts = []
    for g in groups:
        mask = d["use_element"].isin(list(PORTFOLIO_GROUPS[g]))
        parts.append(var.where(mask, 0.0).sum("use"))
    arr = xr.concat(parts, "group").assign_coords(group=groups)
    arr = arr.assign_coords(year=("quarter", year.values)).groupby("year").sum()
    return arr.reindex(year=yrs, fill_value=0.0).drop_vars("quarter", errors="ignore")


def _stage_factor(chain: SupplyChain) -> xr.DataArray:
    p = chain.params
    return xr.DataArray([p.yield_separation * p.yield_metal * p.yield_magnet,
                         p.yield_metal * p.yield_magnet, p.yield_magnet, 1.0],
                        dims="stage", coords={"stage": list(STAGES)})


def _capacities(ds: Dataset, chain: SupplyChain, groups: list[str], yrs: np.ndarray,
                cand_fac: set[str], projects: list[str], options: pd.DataFrame
                ) -> tuple[xr.DataArray, xr.DataArray]:
    """US adversary-free base capacity (without candidate facilities) and candidates' capacity."""
    elements = chain.elements
    fac = ds["facilities"]
    cap_all = chain.data["capacity"].sel(country="USA", year=yrs)
    factor = facility_element_factors(ds, chain.params, elements)
    nameplate = fac["capacity"].astype(float)
    def group_sum(arr: xr.DataArray) -> xr.DataArray:
        return xr.concat([arr.sel(element=list(PORTFOLIO_GROUPS[g])).sum("element")
                          for g in groups], "group").assign_coords(group=groups)

    base = group_sum(cap_all).sel(stage=list(STAGES))
    mine = group_sum(chain.data["output"].sel(country="USA", year=yrs, stage="mining"))
    base.loc[{"stage": "mining"}] = mine
    # remove the expected capacity the chain gave the candidates' own facilities
    avail = chain.data["capacity"]  # already probability-weighted; rebuild per facility below
    del avail
    from reeplan.chain.capacity import calc_availability

    for fid in cand_fac:
        if fid not in fac.index or fac.loc[fid, "country"] != "USA":
            continue
        row = fac.loc[fid]
        share = calc_availability(np.array([row["status"]]),
                                  np.array([float(row["start_year"]) if row["start_year"] ==
                                            row["start_year"] and row["start_year"] is not None
                                            else np.nan]), yrs, chain.params)[0]
        per = group_sum(factor.sel(facility=fid) * float(nameplate[fid]))
        base.loc[{"stage": row["stage"]}] = np.maximum(
            base.sel(stage=row["stage"]) - per * xr.DataArray(share, dims="year",
                                                              coords={"year": yrs}), 0.0)
    cap = xr.zeros_like(xr.DataArray(np.zeros((len(projects), len(groups), len(STAGES))),
                                     dims=("project", "group", "stage"),
                                     coords={"project": projects, "group": groups,
                                             "stage": list(STAGES)}))
    for pid in projects:
        row0 = options[options["project"] == pid].iloc[0]
        fid = row0["facility_id"]
        given = row0.get("capacity") if "capacity" in options else None
        if isinstance(given, dict) and given:
            # a hypothetical or a hub bundle: t REO-eq/yr by (group, stage), as defined
            for (g, stage), t in given.items():
                if g in groups:
                    cap.loc[{"project": pid, "group": g, "stage": stage}] = t
            continue
        if fid in fac.index:
            per = group_sum(factor.sel(facility=fid) * float(nameplate[fid]))
            stage = fac.loc[fid, "stage"]
            cap.loc[{"project": pid, "stage": stage}] = per.values
            if stage == "magnet":
                # integrated magnet plants make their own alloy (strip casting): the metal stage
                # is added at the same throughput, carried back through the magnet yield
                # (labelled assumption asm_integrated_alloy)
                cap.loc[{"project": pid, "stage": "metal"}] = per.values / chain.params.yield_magnet
    return base, cap


def _stockpile(ds: Dataset, chain: SupplyChain, groups: list[str]
               ) -> tuple[np.ndarray, np.ndarray]:
    """NDS plan quantities (t REO-eq) by group and their cost at 2025 USGS oxide prices.

    Magnet block and SmCo are counted by their rare-earth content; pricing them at oxide prices
    understates their cost (labelled in the report).
    """
    plan = ds["stockpile_plan"]
    prices = ds["prices"]
    p = chain.params
    o2m = ds["elements"]["oxide_to_metal"]
    cost = np.zeros(len(groups))
    qty = np.zeros(len(groups))
    latest = plan["fiscal_year"].max()
    for _, r in plan[plan["fiscal_year"] == latest].iterrows():
        mat = str(r["material"]).lower()
        if "ndpr" in mat and "oxide" in mat:
            g, t = "NdPr", float(r["quantity"])
        elif "ndfeb" in mat:
            g, t = "NdPr", float(r["quantity"]) * p.re_fraction_ndfeb / float(o2m["Nd"])
        elif "smco" in mat:
            g, t = "Sm", float(r["quantity"]) * p.re_fraction_smco / float(o2m["Sm"])
        else:
            continue
        i = groups.index(g)
        qty[i] += t
    for g, product in (("NdPr", "ndpr_oxide"), ("Sm", "sm_oxide"), ("DyTb", "dy_oxide")):
        if g not in groups:
            continue
        rows = prices[(prices["product"] == product) & (prices["market"] == "usgs_fob")]
        if len(rows):
            cost[groups.index(g)] = float(rows.sort_values("year")["price"].iloc[-1]) * 1000.0
    return cost, qty
