"""The portfolio section of ``reeplan run`` and the tables the CLI prints."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reeplan.chain.model import SupplyChain
from reeplan.io.dataset import Dataset
from reeplan.optimize.build import define_portfolio_inputs
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec
from reeplan.optimize.solve import Portfolio, calc_frontier, explain_projects, optimize
from reeplan.results import Headline, Section

__all__ = ["award_table", "group_table", "portfolio_sections", "run_portfolio"]


def run_sims(ds: Dataset, chain: SupplyChain, scenarios: list[str], samples: int, seed: int
             ) -> list[Any]:
    """Simulate the scenarios (per-sample results) for the optimiser."""
    from reeplan.sim.loader import check_scenario, load_scenario
    from reeplan.sim.network import build_network
    from reeplan.sim.presets import list_presets
    from reeplan.sim.runner import run_simulation
    from reeplan.sim.shocks import compile_scenario

    net = build_network(ds, chain)
    out = []
    for ref in scenarios or list_presets():
        sc = load_scenario(ref)
        check_scenario(sc, ds, sc.name)
        out.append(run_simulation(net, compile_scenario(sc, net, sc.name), samples, seed))
    return out


def award_table(inputs: PortfolioInputs, options: pd.DataFrame, pf: Portfolio) -> pd.DataFrame:
    """The recommended awards: project, package, instrument, scored cost, liability, year."""
    rows = []
    for p, k in sorted(pf.selection.items()):
        r = options[(options["project"] == p) & (options["option"] == k)].iloc[0]
        rows.append({"project": p, "option": k, "package": r["name"],
                     "award_year": int(r["award_year"]),
                     "scored_cost_usd": float(r["cost_usd"]),
                     "p95_cost_usd": float(r["p95_cost_usd"]),
                     "fund_liability_usd": float(r["liability_usd"]),
                     "p_production_without": float(r["p_without"]),
                     "p_production_with": float(r["p_with"]),
                     "years_earlier": float(r["start_without"] - r["start_with"])})
    for g, t in pf.stockpile.items():
        if t > 1e-6:
            cost = float(inputs.data["stockpile_cost"].sel(group=g)) * t
            rows.append({"project": f"NDS stockpile ({g})", "option": "purchase",
                         "package": f"{t:,.1f} t REO-eq for defense release",
                         "award_year": int(inputs.data.year.values[0]),
                         "scored_cost_usd": cost, "p95_cost_usd": cost,
                         "fund_liability_usd": 0.0, "p_production_without": np.nan,
                         "p_production_with": np.nan, "years_earlier": np.nan})
    return pd.DataFrame(rows)


def group_table(inputs: PortfolioInputs, spec: PortfolioSpec, pf: Portfolio) -> pd.DataFrame:
    """Expected shortfall (total and defense) by element group with and without the portfolio."""
    from reeplan.optimize.recourse import recourse_arrays
    from reeplan.optimize.solve import _selection_arrays

    a = recourse_arrays(inputs)
    x = _selection_arrays(inputs, pf.selection)
    z = np.array(list(pf.stockpile.values()))
    rows = []
    for label, xx, zz in (("without", np.zeros_like(x), np.zeros_like(z)), ("with", x, z)):
        y = np.einsum("pkts,pk->pts", a.online, xx)
        q = (a.base + np.einsum("pgc,pts->gcts", a.cap, y)).min(1)
        short = np.maximum(a.dem - q, 0.0)
        dshort = np.maximum(np.maximum(a.dfn - q, 0.0).sum(1) - zz[:, None], 0.0)
        first = np.where((short > 1e-6).any(1), (short > 1e-6).argmax(1), len(inputs.data.year))
        for gi, g in enumerate(inputs.data.group.values):
            rows.append({"group": str(g), "portfolio": label,
                         "expected_shortfall_t": float((short[gi].sum(0) * a.w).sum()),
                         "expected_defense_shortfall_t": float((dshort[gi] * a.w).sum()),
                         "years_to_first_shortfall_p50": float(np.median(first[gi]))})
    frame = pd.DataFrame(rows).pivot(index="group", columns="portfolio")
    frame.columns = [f"{a}_{b}" for a, b in frame.columns]
    frame = frame.reset_index()
    frame["shortfall_reduction_t"] = (frame["expected_shortfall_t_without"]
                                      - frame["expected_shortfall_t_with"])
    frame["time_to_survive_gained_years"] = (frame["years_to_first_shortfall_p50_with"]
                                             - frame["years_to_first_shortfall_p50_without"])
    return frame


def run_portfolio(ds: Dataset, chain: SupplyChain, spec: PortfolioSpec, sim_results: list[Any],
                  samples: int = 500, seed: int = 0, frontier_max: float | None = None,
                  frontier_points: int = 8, explain: bool = True,
                  finance_samples: int = 200) -> dict[str, Any]:
    """Inputs → optimum → awards, groups, frontier, marginal value, why in/out."""
    inputs, options = define_portfolio_inputs(ds, chain, sim_results, samples, seed,
                                              finance_samples=finance_samples)
    pf = optimize(inputs, spec)
    out: dict[str, Any] = {"inputs": inputs, "options": options, "portfolio": pf,
                           "awards": award_table(inputs, options, pf),
                           "groups": group_table(inputs, spec, pf)}
    step = max(spec.budget * 0.1, 1e8)
    nxt = optimize(inputs, spec.model_copy(update={"budget": spec.budget + step}))
    out["marginal_value"] = (pf.objective - nxt.objective) / step * 1e9
    if frontier_max:
        out["frontier"] = calc_frontier(inputs, spec, frontier_max, frontier_points)
    if explain:
        out["why"] = explain_projects(inputs, spec, pf)
    return out


def portfolio_sections(*, ds: Dataset, chain: SupplyChain, config: Any = None,
                       shared: dict[str, Any] | None = None, **_: Any) -> list[Section]:
    """The recommended portfolio and the frontier, from the run's scenarios."""
    from reeplan.report.plots import frontier_figure

    seed = int(getattr(config, "seed", 0))
    budget = float(getattr(config, "budget", 2.5e9))
    sims = (shared or {}).get("sim_results") or run_sims(
        ds, chain, list(getattr(config, "scenarios", ()) or ()), 100, seed)
    spec = PortfolioSpec(budget=budget, time_limit=30.0, mip_gap=1e-4)
    samples = int(min(getattr(config, "samples", 500), 500))
    res = run_portfolio(ds, chain, spec, sims, samples=samples, seed=seed,
                        frontier_max=max(2 * budget, 1e9), frontier_points=6,
                        finance_samples=int(min(max(samples, 50), 200)))
    pf: Portfolio = res["portfolio"]
    awards = res["awards"]
    sec = Section(
        "portfolio", "Recommended DPA award portfolio",
        summary=(f"Budget ${budget / 1e9:.2f}bn of scored cost. {len(pf.selection)} project "
                 f"award(s) cut the expected weighted US shortfall by "
                 f"{1 - pf.expected_loss / max(pf.baseline_loss, 1e-9):.1%} (defense tonnes "
                 f"weighted {spec.defense_weight:g}× civilian). Solver: {pf.solver['method']}, "
                 f"{pf.solver['termination']}, gap "
                 f"{(pf.solver.get('mip_gap') or 0):.2%}."),
        tables={"awards": awards, "shortfall_by_group": res["groups"],
                "frontier": res["frontier"], "why_in_or_out": res["why"],
                "options_evaluated": res["options"].drop(columns=["ramp"])},
        notes=["Capacity counts only where the chain is complete outside China stage by stage "
               "(hub rule); candidate magnet plants are assumed to make their own alloy "
               "(asm_integrated_alloy). Costs are the finance module's expected scored cost."])
    sec.headlines += [
        Headline("portfolio_cost", pf.cost, "USD", "Scored cost of the recommended portfolio",
                 "reeplan optimize"),
        Headline("portfolio_shortfall_reduction",
                 1 - pf.expected_loss / max(pf.baseline_loss, 1e-9), "share",
                 "Reduction of expected weighted US shortfall", "reeplan optimize"),
        Headline("portfolio_marginal_value", res["marginal_value"], "weighted t per $bn",
                 "Marginal value of the next billion dollars", "reeplan optimize"),
    ]
    sec.figures["frontier"] = frontier_figure(res["frontier"])
    return [sec]
