"""Brief section "consequences": output at risk by element and sector, defense platforms
delayed, the element ranking beside the published ones, and the sensitivity tornado chart.

The integrator adds :func:`consequences_section` to the brief build; it takes results already
computed (:mod:`reeplan.workflows.consequences`), so it does no modelling itself.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure as MplFigure

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import ReportFigure, with_source

__all__ = ["consequences_section", "tornado_figure"]


def tornado_figure(sens: pd.DataFrame, top: int = 10,
                   title: str = "Sensitivity of the headline consequence") -> ReportFigure:
    """Tornado chart: the output with each parameter at its low and high bound (others at
    their midpoints), most influential first (``calc_sensitivity`` table)."""
    d = sens.head(top).iloc[::-1]
    mid = float(sens.attrs.get("output_at_mid", 0.0)) / 1e9
    lo = (d["output_at_low"] / 1e9).tolist()
    hi = (d["output_at_high"] / 1e9).tolist()
    names = d["parameter"].tolist()
    fig = go.Figure()
    fig.add_bar(y=names, x=[v - mid for v in lo], base=mid, orientation="h", name="at low",
                marker_color="#1f5fa8")
    fig.add_bar(y=names, x=[v - mid for v in hi], base=mid, orientation="h", name="at high",
                marker_color="#c62828")
    fig.update_layout(title={"text": title}, barmode="overlay", height=120 + 30 * len(d),
                      xaxis={"title": {"text": "Expected output at risk ($bn)"}})
    static = MplFigure(figsize=(8, 1.2 + 0.35 * len(d)), layout="constrained")
    ax = static.add_subplot()
    ax.barh(names, [v - mid for v in lo], left=mid, color="#1f5fa8", label="at low")
    ax.barh(names, [v - mid for v in hi], left=mid, color="#c62828", alpha=0.8, label="at high")
    ax.axvline(mid, color="black", lw=0.8)
    ax.set_xlabel("Expected output at risk ($bn)")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return ReportFigure(title, fig, static, {"sensitivity": sens.head(top).copy()})


def consequences_section(by_element: pd.DataFrame, by_sector: pd.DataFrame,
                         platforms: pd.DataFrame, ranking: pd.DataFrame,
                         sensitivity: pd.DataFrame | None = None,
                         scenario: str = "threats") -> Section:
    """The "consequences" section from :class:`~reeplan.workflows.consequences.Consequences`
    tables, :func:`~reeplan.workflows.consequences.element_ranking` and the sensitivity
    table."""
    total = float(by_element["mean"].sum())
    top = by_element.index[0] if len(by_element) else "-"
    sec = Section(
        "consequences", "Consequences: what a shortfall costs, element by element",
        summary=(f"Under {scenario}, the expected downstream output at risk over 2025-2040 is "
                 f"${total / 1e9:,.1f}bn (net of substitution), led by {top}. Tonnes short are "
                 "turned into products that cannot be made with sourced or labelled intensities "
                 "and unit values (sector_intensities.csv) and a substitution share that grows "
                 "with the shortfall's duration (substitution.csv)."),
        tables={"by_element": by_element.reset_index(), "by_sector": by_sector.reset_index(),
                "platforms": platforms.reset_index(), "ranking": ranking.reset_index()})
    corr = ranking.attrs.get("correlations")
    if corr is not None and len(corr):
        sec.tables["rank_correlations"] = corr
        sec.notes += [f"Spearman rho with {r['ordering']}: {r['spearman_rho']:+.2f} "
                      f"({r['elements']} elements)" for _, r in corr.iterrows()]
    sec.notes += list(ranking.attrs.get("disagreements", []))
    sec.headlines.append(Headline("consequence_output_at_risk_usd", total, "USD",
                                  f"Expected output at risk ({scenario}, 2025-2040)",
                                  "reeplan rank"))
    if len(platforms):
        sec.headlines.append(Headline(
            "platforms_delayed", float(platforms["mean"].sum()), "units",
            "Expected defense platform deliveries delayed (F-35, SSN-774, DDG-51)",
            "reeplan rank", primary=False))
    if sensitivity is not None and len(sensitivity):
        sec.tables["sensitivity"] = sensitivity
        sec.figures["tornado"] = with_source(
            tornado_figure(sensitivity),
            "reeplan sensitivity (Morris, SALib) over the consequence model's factors; "
            "sector_intensities.csv, substitution.csv")
    return sec
