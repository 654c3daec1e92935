"""Tables for reports: package comparisons and the award-cost section of ``reeplan run``."""

from __future__ import annotations

from typing import Any

import pandas as pd

from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import Package
from reeplan.finance.loader import list_package_presets, load_package, resolve_project
from reeplan.finance.project import Project
from reeplan.results import Headline, Section

__all__ = ["award_cost_section", "compare_packages", "finance_sections", "summary_row"]


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


def compare_packages(project: Project, packages: list[Package],
                     settings: Settings | None = None) -> tuple[pd.DataFrame, list[Evaluation]]:
    """Evaluate several packages for one project with the same random draws.

    The first row is the project without a package. Common random numbers (one seed) make the
    differences between rows free of Monte Carlo noise in the shared draws.

    Returns
    -------
    tuple
        A table with one row per package and the evaluations.
    """
    st = settings or Settings()
    evals = [evaluate(project, None, st)] + [evaluate(project, p, st) for p in packages]
    return pd.DataFrame([summary_row(ev) for ev in evals]), evals


def award_cost_section(samples: int = 1000, seed: int = 20250710,
                       packages: list[str] | None = None) -> dict[str, object]:
    """Expected cost and tail exposure of every preset package, for the main run's report.

    Each package is evaluated for the project it names, under the calibrated log-OU-with-jumps
    price model.

    Parameters
    ----------
    samples
        Monte Carlo samples per package.
    seed
        Seed (the same for every package).
    packages
        Preset ids; default all shipped presets.

    Returns
    -------
    dict
        ``table`` (DataFrame, one row per package), ``price_model`` (DataFrame of calibrated
        parameters), ``settings`` (samples, seed, price model) and ``warnings`` (package ->
        list of messages).
    """
    st = Settings(samples=samples, seed=seed)
    rows, warnings = [], {}
    model = None
    for pid in packages or list_package_presets():
        pkg = load_package(pid)
        ev = evaluate(resolve_project(pkg.project), pkg, st)
        model = ev.price_model
        rows.append(summary_row(ev))
        warnings[pkg.id] = [w.message for w in ev.bookkeeping.warnings] if ev.bookkeeping else []
    return {
        "table": pd.DataFrame(rows),
        "price_model": model.table() if model is not None else pd.DataFrame(),
        "settings": {"samples": samples, "seed": seed, "price_model": st.price_model},
        "warnings": warnings,
    }


def finance_sections(*, config: Any = None, **_: Any) -> list[Section]:
    """The award-cost section of ``reeplan run`` (the pipeline passes its state as keywords).

    Uses the run's ``samples`` and ``seed`` so the brief is reproducible from its provenance.
    """
    samples = int(getattr(config, "samples", 1000))
    seed = int(getattr(config, "seed", 20250710))
    out = award_cost_section(samples=samples, seed=seed)
    table: pd.DataFrame = out["table"]  # type: ignore[assignment]
    sec = Section(
        "finance", "What DPA award packages cost the government",
        summary=("Expected cost (PV at Treasury rates, mid-2025) and tail exposure of each preset "
                 "package under the calibrated log-Ornstein-Uhlenbeck-with-jumps price model; "
                 "credit at its FCRA subsidy, equity at outlay less risk-adjusted value "
                 "(an assumption). Details: reeplan finance PROJECT --package PACKAGE."),
        tables={"award_costs": table, "price_model": out["price_model"]},  # type: ignore[dict-item]
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
    for pkg, messages in out["warnings"].items():  # type: ignore[union-attr]
        sec.notes += [f"{pkg}: {m}" for m in messages]
    return [sec]
