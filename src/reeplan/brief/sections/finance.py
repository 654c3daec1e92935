"""Brief section: what the preset DPA award packages cost the government."""

from __future__ import annotations

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import bar_figure, with_source
from reeplan.workflows.appraise import AwardCosts

__all__ = ["finance_section"]


def finance_section(costs: AwardCosts) -> Section:
    """The award-cost section: every preset package appraised with the run's samples and seed."""
    table = costs.table
    sec = Section(
        "finance", "What DPA award packages cost the government",
        summary=("Expected cost (PV at Treasury rates, mid-2025) and tail exposure of each preset "
                 "package under the calibrated log-Ornstein-Uhlenbeck-with-jumps price model; "
                 "credit at its FCRA subsidy, equity at outlay less risk-adjusted value "
                 "(an assumption). Details: reeplan finance PROJECT --package PACKAGE."),
        tables={"award_costs": table, "price_model": costs.price_model},
    )
    for _, row in table.iterrows():
        src = f"reeplan finance {row['project']} --package {row['package']}"
        sec.headlines.append(Headline(f"award_expected_cost_{row['package']}",
                                      float(row["expected_cost_musd"]), "million USD",
                                      f"Expected cost to the government, {row['package']}", src,
                                      primary=row["package"] == "mp-2025"))
        sec.headlines.append(Headline(f"award_p95_cost_{row['package']}",
                                      float(row["p95_cost_musd"]), "million USD",
                                      f"95th-percentile cost, {row['package']}", src,
                                      primary=row["package"] == "mp-2025"))
    if len(table):
        sec.figures["award_costs"] = with_source(bar_figure(
            table, "package", {"expected_cost_musd": "expected", "p95_cost_musd": "P95"},
            "Cost to the government of each preset package (PV, mid-2025, $M)",
            "Present value, $M"),
            f"reeplan finance, {costs.samples} price paths per package (seed {costs.seed}); "
            "package terms in the bundled presets")
    for pkg, messages in costs.warnings.items():
        sec.notes += [f"{pkg}: {m}" for m in messages]
    return sec
