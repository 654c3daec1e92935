"""Brief section: the recommended DPA award portfolio and the frontier."""

from __future__ import annotations

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import bar_figure, frontier_figure, with_source
from reeplan.optimize.objective import OBJECTIVES
from reeplan.workflows.portfolio import PortfolioOutcome

__all__ = ["portfolio_section"]


def _what_it_buys(res: PortfolioOutcome) -> str:
    """One sentence per award, from the award table: what it costs and what it avoids."""
    aw = res.awards
    unit = OBJECTIVES[res.spec.objective].sentence_unit
    if not len(aw) or "value_t" not in aw:
        return "No award clears the value floor at this budget."
    parts = []
    for _, r in aw.sort_values("value_t", ascending=False).iterrows():
        per = r["usd_per_t"]
        rate = f"${per / 1e6:,.2f}M per {unit.replace(' deliveries', ' delivery')}" \
            if per == per and per < float("inf") else f"no measurable {unit}"
        parts.append(f"{r['project']} ({r['option']}, ${r['scored_cost_usd'] / 1e6:,.0f}M) "
                     f"avoids {r['value_t']:,.1f} {unit} ({rate})")
    return "What the money buys: " + "; ".join(parts) + "."


def _objectives_sentence(res: PortfolioOutcome) -> str:
    """How the recommendation changes with the objective (from ``by_objective``)."""
    table = res.by_objective
    if table is None or not len(table):
        return ""
    parts = []
    for _, r in table.iterrows():
        parts.append(f"for {r['optimised_for']}: {r['awards']} "
                     f"(${r['scored_cost_usd'] / 1e9:,.2f}bn; avoids "
                     f"{r['reduction_tonnes']:.1%} of weighted tonnes, "
                     f"{r['reduction_value']:.1%} of output at risk, "
                     f"{r['reduction_defense']:.1%} of defense deliveries at risk)")
    text = "Optimised for each objective in turn, the portfolio is " + "; ".join(parts) + "."
    r = table.iloc[0]
    dfn = table[table["optimised_for"] == "defense"]
    small = len(dfn) and float(dfn["scored_cost_usd"].iloc[0]) < 0.1 * res.spec.budget
    if r["reduction_defense"] > 0 and small:
        base = r["avoided_defense"] / r["reduction_defense"]
        text += (f" Without awards the expected defense deliveries at risk are "
                 f"{base:,.2f} F-35-equivalents over the horizon: DPA Title I priority serves "
                 "defense orders first from the non-Chinese supply the base case already has, "
                 "so the defense objective buys little; the defense risk is the near-term one "
                 "of the dated scenarios (Disruptions), before any award can deliver.")
    return text


def portfolio_section(res: PortfolioOutcome) -> Section:
    """The recommended portfolio and the frontier, from the run's scenarios."""
    spec = res.spec
    budget = spec.budget
    pf = res.result
    awards = res.awards
    threats = any(str(s).startswith("threat") for s in res.scenarios)
    against = ("the threat model (stochastic future export controls, feed losses, outages and "
               "demand paths, 2026–2040), not the dated presets shown above" if threats else
               "the scenarios " + ", ".join(res.scenarios))
    buys = _what_it_buys(res)
    text = OBJECTIVES[spec.objective]
    unit, what = text.sentence_unit, text.us_loss
    head_unit = "million USD" if spec.objective == "value" else unit
    reduction = 1 - pf.expected_loss / max(pf.baseline_loss, 1e-9)
    weighting = (f"defense tonnes weighted {spec.defense_weight:g}× civilian"
                 if spec.objective == "tonnes" else
                 "weights per tonne from the consequence model: "
                 + ", ".join(f"{g} {c:,.1f}/{d:,.1f}" for g, (c, d) in
                             (spec.group_weights or {}).items()) + " (civilian/defense)")
    sec = Section(
        "portfolio", "Recommended DPA award portfolio",
        summary=(f"Awards are valued against {against}. Budget ${budget / 1e9:.2f}bn of scored "
                 f"cost; the recommendation spends ${pf.cost / 1e9:.2f}bn "
                 f"(${res.unspent / 1e9:.2f}bn unspent: no other award clears the value floor "
                 f"of {spec.min_value_per_bn:,.4g} {unit} per $1bn or fits the rest). "
                 f"Objective: {spec.objective} ({what}). "
                 f"{buys} Together the awards cut the {what} from "
                 f"{pf.baseline_loss:,.1f} to {pf.expected_loss:,.1f} {unit} "
                 f"({reduction:.1%}; {weighting}); the next $1bn would buy "
                 f"{res.marginal_value:,.1f} {unit} more. "
                 f"Solver: {pf.solver['method']}, "
                 f"{pf.solver['termination']}, gap {(pf.solver.get('mip_gap') or 0):.2%}."),
        tables={"awards": awards, "shortfall_by_group": res.groups,
                **({"frontier": res.frontier} if res.frontier is not None else {}),
                **({"why_in_or_out": res.why} if res.why is not None else {}),
                **({"by_objective": res.by_objective} if res.by_objective is not None else {}),
                "options_evaluated": res.options.drop(columns=["ramp"])},
        notes=[*([_objectives_sentence(res)] if res.by_objective is not None else []),
               "Capacity counts only where the chain is complete outside China stage by stage "
               "(hub rule); candidate magnet plants are assumed to make their own alloy "
               "(asm_integrated_alloy). Costs are the finance module's expected scored cost."])
    sec.headlines += [
        Headline("portfolio_cost", pf.cost, "USD", "Scored cost of the recommended portfolio",
                 "reeplan optimize"),
        Headline("portfolio_shortfall_reduction", reduction, "share",
                 f"Reduction of the {what}", "reeplan optimize"),
        Headline("portfolio_marginal_value", res.marginal_value, f"{head_unit} per $bn",
                 f"{what[0].upper()}{what[1:]} avoided by the next $1bn", "reeplan optimize",
                 primary=False),
        Headline("portfolio_expected_loss", pf.expected_loss, head_unit,
                 f"{what[0].upper()}{what[1:]} with the awards", "reeplan optimize",
                 primary=False),
        Headline("portfolio_baseline_loss", pf.baseline_loss, head_unit,
                 f"{what[0].upper()}{what[1:]} with no awards", "reeplan optimize",
                 primary=False),
    ]
    against_src = ", ".join(res.scenarios) or "no scenario"
    if res.frontier is not None:
        sec.figures["frontier"] = with_source(frontier_figure(
            res.frontier, title=f"{what[0].upper()}{what[1:]} avoided by award budget, "
            "2025–2040", unit=unit), f"reeplan optimize against {against_src} "
            "(every simulated sample); award costs from the finance module")
    if res.by_objective is not None and len(res.by_objective):
        table = res.by_objective.assign(
            portfolio=lambda f: "optimised for " + f["optimised_for"] + " ($"
            + (f["scored_cost_usd"] / 1e9).round(2).astype(str) + "bn)")
        sec.figures["by_objective"] = with_source(bar_figure(
            table, "portfolio", {"reduction_tonnes": "weighted tonnes of shortfall",
                                 "reduction_value": "output at risk (USD)",
                                 "reduction_defense": "defense deliveries at risk"},
            "Share of each expected loss avoided, by the objective the portfolio was chosen "
            "for, 2026–2040", "share of the no-award loss avoided", percent=True),
            f"reeplan optimize --objective tonnes|value|defense against {against_src}; "
            "weights per tonne from the consequence model (sector_intensities, substitution)")
    return sec
