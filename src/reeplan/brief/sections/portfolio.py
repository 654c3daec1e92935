"""Brief section: the recommended DPA award portfolio and the frontier."""

from __future__ import annotations

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import frontier_figure, with_source
from reeplan.workflows.portfolio import PortfolioOutcome

__all__ = ["portfolio_section"]


def _what_it_buys(res: PortfolioOutcome) -> str:
    """One sentence per award, from the award table: what it costs and what it avoids."""
    aw = res.awards
    if not len(aw) or "value_t" not in aw:
        return "No award clears the value floor at this budget."
    parts = []
    for _, r in aw.sort_values("value_t", ascending=False).iterrows():
        per_t = r["usd_per_t"]
        unit = f"${per_t / 1e6:,.1f}M per t" if per_t == per_t and per_t < float("inf") else \
            "no measurable tonnes"
        parts.append(f"{r['project']} ({r['option']}, ${r['scored_cost_usd'] / 1e6:,.0f}M) "
                     f"avoids {r['value_t']:,.1f} weighted t ({unit})")
    return "What the money buys: " + "; ".join(parts) + "."


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
    sec = Section(
        "portfolio", "Recommended DPA award portfolio",
        summary=(f"Awards are valued against {against}. Budget ${budget / 1e9:.2f}bn of scored "
                 f"cost; the recommendation spends ${pf.cost / 1e9:.2f}bn "
                 f"(${res.unspent / 1e9:.2f}bn unspent: no other award clears the value floor "
                 f"of {spec.min_value_per_bn:g} weighted t per $1bn or fits the rest). "
                 f"{buys} Together the awards cut the expected weighted US shortfall from "
                 f"{pf.baseline_loss:,.0f} to {pf.expected_loss:,.0f} t "
                 f"({1 - pf.expected_loss / max(pf.baseline_loss, 1e-9):.1%}; defense tonnes "
                 f"weighted {spec.defense_weight:g}× civilian); the next $1bn would buy "
                 f"{res.marginal_value:,.0f} weighted t more. Solver: {pf.solver['method']}, "
                 f"{pf.solver['termination']}, gap {(pf.solver.get('mip_gap') or 0):.2%}."),
        tables={"awards": awards, "shortfall_by_group": res.groups,
                **({"frontier": res.frontier} if res.frontier is not None else {}),
                **({"why_in_or_out": res.why} if res.why is not None else {}),
                "options_evaluated": res.options.drop(columns=["ramp"])},
        notes=["Capacity counts only where the chain is complete outside China stage by stage "
               "(hub rule); candidate magnet plants are assumed to make their own alloy "
               "(asm_integrated_alloy). Costs are the finance module's expected scored cost."])
    sec.headlines += [
        Headline("portfolio_cost", pf.cost, "USD", "Scored cost of the recommended portfolio",
                 "reeplan optimize"),
        Headline("portfolio_shortfall_reduction",
                 1 - pf.expected_loss / max(pf.baseline_loss, 1e-9), "share",
                 "Reduction of expected weighted US shortfall", "reeplan optimize"),
        Headline("portfolio_marginal_value", res.marginal_value, "weighted t per $bn",
                 "Weighted shortfall avoided by the next $1bn", "reeplan optimize",
                 primary=False),
        Headline("portfolio_expected_loss", pf.expected_loss, "weighted t",
                 "Expected weighted shortfall with the awards", "reeplan optimize",
                 primary=False),
        Headline("portfolio_baseline_loss", pf.baseline_loss, "weighted t",
                 "Expected weighted shortfall with no awards", "reeplan optimize",
                 primary=False),
    ]
    if res.frontier is not None:
        sec.figures["frontier"] = with_source(frontier_figure(
            res.frontier, title="Expected weighted shortfall avoided by award budget, "
            "2025–2040"), f"reeplan optimize against {', '.join(res.scenarios) or 'no scenario'} "
            "(every simulated sample); award costs from the finance module")
    return sec
