"""One label, one unit and one number format per quantity, for every output of a run.

The HTML brief, the workbook, the JSON conventions and the CLI all read this module, so a
quantity reads the same everywhere: net import reliance of a net exporter is "E" (USGS style),
never "−3,688 %"; a time to survive that never ends within the horizon reads "no shortfall
before 2040" in text and ``null`` in JSON; tonnes carry thousands separators and no decimals;
years are integers; money is $M or $bn; nothing is printed in scientific notation.

A column's *kind* is looked up in :data:`COLUMNS` by name, else inferred from its name
(:func:`column_kind`). :func:`format_cell` turns a value of a kind into text;
:func:`excel_format` gives the workbook's number format of a kind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from reeplan.schema.types import SIM_HORIZON

__all__ = [
    "COLUMNS",
    "HORIZON_END",
    "TABLE_TITLES",
    "Column",
    "column_info",
    "column_kind",
    "excel_format",
    "format_cell",
    "format_frame",
    "format_money",
    "format_years",
    "header",
]

HORIZON_END = SIM_HORIZON[1]
"""Last year of the simulations: an infinite time to survive means no shortfall before its end."""

NO_SHORTFALL = f"no shortfall before {HORIZON_END}"
STILL_SHORT = f"still short at end of {HORIZON_END}"


@dataclass(frozen=True)
class Column:
    """How a column is labelled, in which unit, and how its numbers are written."""

    label: str
    unit: str
    kind: str
    """One of: text, int, year, t, usd, musd, usd_kg, share, nir, prob, years, index, number,
    multiple, weighted_t."""


COLUMNS: dict[str, Column] = {
    # concentration and exposure
    "production_t": Column("Mine production", "t REO", "t"),
    "share": Column("Share", "%", "share"),
    "adversary_share": Column("China's share", "%", "share"),
    "top_share": Column("Top country's share", "%", "share"),
    "hhi": Column("HHI (concentration, 0–1)", "index", "index"),
    "world_output_t": Column("World output", "t REO-eq", "t"),
    "us_output_t": Column("US output (plant output, not input)", "t REO-eq", "t"),
    "us_requirement_t": Column("US requirement", "t REO-eq", "t"),
    "us_nir": Column("US net import reliance (E = net exporter)", "%", "nir"),
    "nir_computed": Column("US net import reliance, computed (E = net exporter)", "%", "nir"),
    "nir_published": Column("US net import reliance, USGS published", "%", "text"),
    "coverage": Column("Coverage of US requirement", "%", "share"),
    "independence": Column("Independence (allied access)", "%", "share"),
    "independence_domestic": Column("Independence (US plants only)", "%", "share"),
    "apparent_consumption_t": Column("Apparent consumption", "t REO", "t"),
    "year": Column("Year", "year", "year"),
    "award_year": Column("Award year", "year", "year"),
    # disruptions
    "demand_t": Column("US demand", "t REO-eq", "t"),
    "unmet_t_p5": Column("Unmet demand P5", "t REO-eq", "t"),
    "unmet_t_p50": Column("Unmet demand P50", "t REO-eq", "t"),
    "unmet_t_p95": Column("Unmet demand P95", "t REO-eq", "t"),
    "unmet_share_p50": Column("Unmet share of demand P50", "%", "share"),
    "unmet_no_nds_t_p50": Column("Unmet demand P50 without the stockpile", "t REO-eq", "t"),
    "peak_share_p50": Column("Worst-quarter unmet share P50", "%", "share"),
    "p_short": Column("Probability of any shortfall", "%", "prob"),
    "p_exposed": Column("Probability time to survive < time to recover", "%", "prob"),
    "tts_years_p5": Column("Time to survive P5", "years", "years"),
    "tts_years_p50": Column("Time to survive P50", "years", "years"),
    "tts_years_p95": Column("Time to survive P95", "years", "years"),
    "ttr_years_p5": Column("Time to recover P5", "years", "years"),
    "ttr_years_p50": Column("Time to recover P50", "years", "years"),
    "ttr_years_p95": Column("Time to recover P95", "years", "years"),
    "base_usd_kg": Column("Base price", "$/kg", "usd_kg"),
    "usd_kg_p50": Column("Price P50", "$/kg", "usd_kg"),
    "multiple_p5": Column("Price multiple P5", "× base", "multiple"),
    "multiple_p50": Column("Price multiple P50", "× base", "multiple"),
    "multiple_p95": Column("Price multiple P95", "× base", "multiple"),
    "routed_t": Column("Routed to the US", "t REO-eq", "t"),
    # finance
    "expected_cost_musd": Column("Expected cost to government", "$M", "musd"),
    "fair_value_musd": Column("Fair-value cost", "$M", "musd"),
    "p95_cost_musd": Column("Cost P95", "$M", "musd"),
    "annual_outlay_p95_musd": Column("Largest yearly outlay P95", "$M", "musd"),
    "max_exposure_musd": Column("Maximum exposure", "$M", "musd"),
    "npv_without_musd": Column("Project NPV without award", "$M", "musd"),
    "npv_with_musd": Column("Project NPV with award", "$M", "musd"),
    "npv_gain_musd": Column("Project NPV gain", "$M", "musd"),
    "sponsor_transfer_pv_musd": Column("Transfers to sponsor (PV)", "$M", "musd"),
    "p_production_without": Column("P(reaches production) without award", "%", "prob"),
    "p_production_with": Column("P(reaches production) with award", "%", "prob"),
    "p_without": Column("P(reaches production) without award", "%", "prob"),
    "p_with": Column("P(reaches production) with award", "%", "prob"),
    "years_earlier": Column("Production earlier by", "years", "years"),
    "start_without": Column("Production start without award", "year", "decimal_year"),
    "start_with": Column("Production start with award", "year", "decimal_year"),
    "start_price": Column("Start price", "$/kg", "usd_kg"),
    "long_run_median": Column("Long-run median price", "$/kg", "usd_kg"),
    "long_run_mean": Column("Long-run mean price", "$/kg", "usd_kg"),
    # portfolio
    "scored_cost_usd": Column("Scored cost", "$M", "usd"),
    "cost_usd": Column("Scored cost", "$M", "usd"),
    "p95_cost_usd": Column("Cost P95", "$M", "usd"),
    "fund_liability_usd": Column("DPA Fund liability", "$M", "usd"),
    "liability_usd": Column("DPA Fund liability", "$M", "usd"),
    "budget_usd": Column("Budget", "$M", "usd"),
    "expected_loss": Column("Expected weighted shortfall", "weighted t", "weighted_t"),
    "objective": Column("Objective (weighted shortfall)", "weighted t", "weighted_t"),
    "objective_change": Column("Objective change if removed", "weighted t", "weighted_t"),
    "reduction": Column("Reduction of weighted shortfall", "%", "share"),
    "gap": Column("Solver gap", "%", "prob"),
    "expected_shortfall_t_with": Column("Expected shortfall with awards", "t REO-eq", "t"),
    "expected_shortfall_t_without": Column("Expected shortfall without awards", "t REO-eq",
                                           "t"),
    "expected_defense_shortfall_t_with": Column("Expected defense shortfall with awards",
                                                "t REO-eq", "t"),
    "expected_defense_shortfall_t_without": Column("Expected defense shortfall without awards",
                                                   "t REO-eq", "t"),
    "shortfall_reduction_t": Column("Shortfall avoided", "t REO-eq", "t"),
    "time_to_survive_gained_years": Column("Time to survive gained", "years", "years"),
    "years_to_first_shortfall_p50_with": Column("Years to first shortfall P50, with awards",
                                                "years", "years"),
    "years_to_first_shortfall_p50_without": Column(
        "Years to first shortfall P50, without awards", "years", "years"),
    "usd_per_weighted_t": Column("$ per weighted tonne avoided", "$", "usd_plain"),
    # validation and sources
    "rows_citing": Column("Rows citing it", "rows", "int"),
}
"""Known columns. Others get a kind from their name (:func:`column_kind`)."""

TABLE_TITLES = {
    "mine_production": "World mine production by country",
    "stage_concentration": "China's share and HHI by stage and year",
    "us_net_import_reliance": "US net import reliance, compounds and metals",
    "exposure_key_elements": "Exposure of the key elements by stage",
    "exposure_all": "Exposure of every element by stage",
    "criticality": "Criticality indices (EU, GeoPolRisk)",
    "chokepoints": "Chokepoints: US shortfall if a node is lost for a year",
    "sim_shortfall": "Cumulative unmet US demand by scenario and use, 2025–2040",
    "sim_tts": "Time to survive and time to recover",
    "sim_prices": "Price multiples by scenario (year-end quarters)",
    "sim_fan": "Unmet defense demand by quarter (Dy, Tb)",
    "sim_baseline": "Coverage of US demand by the unshocked chain",
    "sim_assumptions": "Scenario assumptions",
    "award_costs": "Cost of each preset package",
    "price_model": "Price model parameters",
    "awards": "Recommended awards",
    "shortfall_by_group": "Shortfall by element group, with and without the awards",
    "frontier": "Frontier: the optimal portfolio at each budget",
    "why_in_or_out": "Why each project is in or out",
    "options_evaluated": "Every project × instrument option evaluated",
    "validation": "Model beside published figures",
    "sources": "Sources",
    "assumptions": "Labelled assumptions",
}
"""Reader-facing titles of the tables (HTML headings and workbook README)."""

_SHARE_WORDS = ("share", "independence", "coverage", "reduction", "fraction", "reliance")


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """The kind of a column, from :data:`COLUMNS` or from its name and dtype."""
    if name in COLUMNS:
        return COLUMNS[name].kind
    if series is not None and not pd.api.types.is_numeric_dtype(series):
        return "text"
    if series is not None and pd.api.types.is_bool_dtype(series):
        return "text"
    n = name.lower()
    if n == "year" or n.endswith("_year"):
        return "year"
    if n.endswith("_musd"):
        return "musd"
    if n.endswith("_usd"):
        return "usd"
    if "nir" in n:
        return "nir"
    if n.startswith("p_") or n.startswith("prob"):
        return "prob"
    if any(w in n for w in _SHARE_WORDS):
        return "share"
    if "years" in n or n.startswith(("tts_", "ttr_")):
        return "years"
    if n.endswith("_t") or "_t_" in n:
        return "t"
    if "hhi" in n or n.endswith("_index"):
        return "index"
    if series is not None and pd.api.types.is_integer_dtype(series):
        return "int"
    return "number"


def column_info(name: str, series: pd.Series | None = None) -> Column:
    """Label, unit and kind of a column (a readable label made from the name if unknown)."""
    if name in COLUMNS:
        return COLUMNS[name]
    kind = column_kind(name, series)
    unit = {"t": "t REO-eq", "usd": "$M", "musd": "$M", "share": "%", "prob": "%",
            "nir": "%", "years": "years", "year": "year", "index": "index"}.get(kind, "")
    return Column(name.replace("_", " "), unit, kind)


def format_money(usd: float) -> str:
    """$ amounts: $1.23bn, $579M, $35k, $120.

    Examples
    --------
    >>> format_money(1227849465.0), format_money(5.79e8), format_money(34932.0)
    ('$1.23bn', '$579M', '$35k')
    """
    if usd is None or not math.isfinite(usd):
        return "–"
    sign = "−" if usd < 0 else ""
    a = abs(usd)
    if a >= 1e9:
        return f"{sign}${a / 1e9:,.2f}bn"
    if a >= 1e6:
        return f"{sign}${a / 1e6:,.0f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:,.0f}k"
    return f"{sign}${a:,.0f}"


def format_years(value: float, column: str = "tts") -> str:
    """A duration in years; an infinite time to survive or recover as words.

    Examples
    --------
    >>> format_years(2.61), format_years(float("inf")), format_years(float("inf"), "ttr")
    ('2.6 years', 'no shortfall before 2040', 'still short at end of 2040')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return STILL_SHORT if "ttr" in column or "recover" in column else NO_SHORTFALL
    return f"{value:,.1f} years"


def _number(v: float) -> str:
    """A plain number without scientific notation, precision by size."""
    a = abs(v)
    if a == 0:
        return "0"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    if a >= 0.001:
        return f"{v:.3f}".rstrip("0").rstrip(".")
    return "<0.001" if v > 0 else "−<0.001"


def format_cell(value: Any, kind: str, column: str = "") -> str:
    """A table cell as text in the brief and the terminal (never scientific notation).

    Examples
    --------
    >>> format_cell(270000.0, "t"), format_cell(-12.5, "nir"), format_cell(2025.0, "year")
    ('270,000', 'E', '2025')
    >>> format_cell(5.792e8, "usd"), format_cell(0.6923, "share")
    ('$579M', '69.2%')
    >>> format_cell(float("inf"), "years", "tts_years_p50")
    'no shortfall before 2040'
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not isinstance(value, int | float):
        try:
            if pd.isna(value):
                return ""
        except (TypeError, ValueError):
            pass
        return str(value)
    v = float(value)
    if math.isnan(v):
        return "–" if kind == "nir" else ""
    if kind == "years":
        return format_years(v, column).removesuffix(" years")
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if kind == "year":
        return f"{v:.0f}"
    if kind == "decimal_year":
        return f"{v:.1f}"
    if kind == "int":
        return f"{v:,.0f}"
    if kind in ("t", "weighted_t"):
        return f"{v:,.0f}" if abs(v) >= 10 or v == 0 else f"{v:,.1f}"
    if kind == "usd":
        return format_money(v)
    if kind == "usd_plain":
        return f"${v:,.0f}"
    if kind == "musd":
        return format_money(v * 1e6)
    if kind == "usd_kg":
        return f"${v:,.0f}" if abs(v) >= 10 else f"${v:,.2f}"
    if kind == "nir":
        return "E" if v < 0 else f"{v:.0%}"
    if kind in ("share", "prob"):
        if 0 < abs(v) < 0.001:
            return "<0.1%"
        return f"{v:.1%}" if abs(v) < 10 else f"{v:,.0%}"
    if kind == "index":
        return f"{v:.3f}"
    if kind == "multiple":
        return f"{v:,.2f}×"
    return _number(v)


def format_frame(frame: pd.DataFrame, labels: bool = False) -> pd.DataFrame:
    """Every cell of ``frame`` as text, formatted by column kind (headers labelled if asked)."""
    shown = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        kind = column_kind(str(col), frame[col])
        shown[col] = [format_cell(v, kind, str(col)) for v in frame[col]]
    if labels:
        shown.columns = [header(str(c), frame[c]) for c in frame.columns]
    return shown


def header(name: str, series: pd.Series | None = None) -> str:
    """A column's header: its label with the unit, e.g. ``World output (t REO-eq)``."""
    info = column_info(name, series)
    unit = info.unit
    if not unit or unit in ("year", "rows", "index") or unit in info.label:
        return info.label
    return f"{info.label} ({unit})"


def excel_format(kind: str) -> str:
    """The workbook number format of a kind (values keep full precision)."""
    return {
        "t": "#,##0", "weighted_t": "#,##0.0", "int": "#,##0", "year": "0",
        "decimal_year": "0.0", "usd": '"$"#,##0.0,,"M"', "musd": '"$"#,##0.0"M"',
        "usd_plain": '"$"#,##0', "usd_kg": '"$"#,##0.00',
        "share": "0.0%", "prob": "0.0%", "nir": '0.0%;"E"', "years": "0.0",
        "index": "0.000", "multiple": '0.00"×"', "number": "#,##0.###",
    }.get(kind, "General")
