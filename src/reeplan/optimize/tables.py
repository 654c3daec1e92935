"""Tidy tables of a solved portfolio: the awards and the shortfall by element group."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec
from reeplan.optimize.solve import PortfolioResult

__all__ = ["award_table", "group_table", "objective_table"]


def award_table(inputs: PortfolioInputs, options: pd.DataFrame, pf: PortfolioResult,
                spec: PortfolioSpec | None = None) -> pd.DataFrame:
    """The recommended awards: project, package, instrument, scored cost, liability, year, and
    (with ``spec``) each award's marginal contribution ``value_t`` (the rise of the expected
    weighted shortfall if it alone were removed) and its cost per weighted tonne avoided."""
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
    frame = pd.DataFrame(rows)
    if spec is not None and len(frame):
        from reeplan.optimize.explain import calc_contributions
        from reeplan.optimize.recourse import recourse_arrays
        from reeplan.optimize.solve import selection_arrays

        a = recourse_arrays(inputs)
        contrib, stock = calc_contributions(a, spec, selection_arrays(inputs, pf.selection),
                                            np.array(list(pf.stockpile.values()), float))
        groups = [str(g) for g in inputs.data.group.values]
        value = [contrib[inputs.projects.index(p)] if p in inputs.projects else
                 stock[groups.index(p.removeprefix("NDS stockpile (").rstrip(")"))]
                 for p in frame["project"]]
        frame["value_t"] = value
        frame["usd_per_t"] = np.where(frame["value_t"] > 1e-9, frame["scored_cost_usd"]
                                      / np.maximum(frame["value_t"], 1e-9), np.inf)
    return frame


def group_table(inputs: PortfolioInputs, spec: PortfolioSpec, pf: PortfolioResult) -> pd.DataFrame:
    """Expected shortfall (total and defense) by element group with and without the portfolio."""
    from reeplan.optimize.recourse import recourse_arrays
    from reeplan.optimize.solve import selection_arrays

    a = recourse_arrays(inputs)
    x = selection_arrays(inputs, pf.selection)
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


def objective_table(inputs: PortfolioInputs, specs: dict[str, PortfolioSpec],
                    results: dict[str, PortfolioResult]) -> pd.DataFrame:
    """The portfolio chosen under each objective, measured under every objective.

    One row per objective the portfolio was optimised for: its awards, NDS purchase and
    scored cost, and, for every objective in ``specs``, the expected loss it avoids in that
    objective's units (``avoided_<objective>``) and the share of the no-award loss
    (``reduction_<objective>``). The diagonal is each portfolio's own objective.
    """
    from reeplan.optimize.recourse import calc_recourse, recourse_arrays
    from reeplan.optimize.solve import selection_arrays

    a = recourse_arrays(inputs)
    zero_x = np.zeros((len(inputs.projects), inputs.data.sizes["option"]))
    zero_z = np.zeros(len(a.stock_max))
    rows = []
    for chosen_for, pf in results.items():
        x = selection_arrays(inputs, pf.selection)
        z = np.array(list(pf.stockpile.values()), float)
        row: dict[str, object] = {
            "optimised_for": chosen_for,
            "awards": ", ".join(f"{p} ({k})" for p, k in sorted(pf.selection.items())) or "none",
            "stockpile_t": float(z.sum()), "scored_cost_usd": pf.cost}
        for measure, spec in specs.items():
            base = float((calc_recourse(a, spec, zero_x, zero_z) * a.w).sum())
            with_pf = float((calc_recourse(a, spec, x, z) * a.w).sum())
            row[f"avoided_{measure}"] = base - with_pf
            row[f"reduction_{measure}"] = (base - with_pf) / base if base > 0 else 0.0
        rows.append(row)
    return pd.DataFrame(rows)
