"""Brief section: the recommended DPA award portfolio and the frontier."""

from __future__ import annotations

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import frontier_figure, with_source
from reeplan.workflows.portfolio import PortfolioOutcome

__all__ = ["portfolio_section"]


def portfolio_section(res: PortfolioOutcome) -> Section:
    """The recommended portfolio and the frontier, from the run's scenarios."""
    spec = res.spec
    budget = spec.budget
    pf = res.result
    awards = res.awards
    sec = Section(
        "portfolio", "Recommended DPA award portfolio",
        summary=(f"Budget ${budget / 1e9:.2f}bn of scored cost. {len(pf.selection)} project "
                 f"award(s) cut the expected weighted US shortfall by "
                 f"{1 - pf.expected_loss / max(pf.baseline_loss, 1e-9):.1%} (defense tonnes "
                 f"weighted {spec.defense_weight:g}× civilian). Solver: {pf.solver['method']}, "
                 f"{pf.solver['termination']}, gap "
                 f"{(pf.solver.get('mip_gap') or 0):.2%}."),
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
            "2025–2040"), f"reeplan optimize over {len(res.scenarios)} preset scenarios "
            "(every simulated sample); award costs from the finance module")
    return sec
