"""Tidy tables of award appraisals: one flat record per evaluation, and package comparisons."""

from __future__ import annotations

import pandas as pd

from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import Package
from reeplan.finance.project import Project
from reeplan.finance.risk import RiskParameters

__all__ = ["compare_packages", "summary_row"]


def summary_row(ev: Evaluation) -> dict[str, object]:
    """Headline figures of one evaluation as one flat record (million USD)."""
    t, e = ev.totals, ev.effect
    book = ev.bookkeeping
    return {
        "package": ev.package or "(none)", "project": ev.project,
        "expected_cost_musd": t.get("expected_cost_musd", 0.0),
        "fair_value_musd": t.get("fair_value_musd", 0.0),
        "p95_cost_musd": t.get("p95_cost_musd", 0.0),
        "annual_outlay_p95_musd": t.get("annual_outlay_p95_musd", 0.0),
        "max_exposure_musd": t.get("max_exposure_musd", 0.0),
        "npv_without_musd": e["npv_without_musd"], "npv_with_musd": e["npv_with_musd"],
        "npv_gain_musd": e["npv_gain_musd"],
        "sponsor_transfer_pv_musd": e.get("sponsor_transfer_pv_musd", 0.0),
        "p_production_without": e["p_production_without"],
        "p_production_with": e["p_production_with"],
        "years_earlier": e["years_earlier"],
        "warnings": "; ".join(w.code for w in book.warnings) if book else "",
    }


def compare_packages(project: Project, packages: list[Package], settings: Settings,
                     risk: RiskParameters) -> tuple[pd.DataFrame, list[Evaluation]]:
    """Evaluate several packages for one project with the same random draws.

    The first row is the project without a package. Common random numbers (one seed) make the
    differences between rows free of Monte Carlo noise in the shared draws.

    Returns
    -------
    tuple
        A table with one row per package and the evaluations.
    """
    evals = [evaluate(project, None, settings, risk=risk)]
    evals += [evaluate(project, p, settings, risk=risk) for p in packages]
    return pd.DataFrame([summary_row(ev) for ev in evals]), evals
