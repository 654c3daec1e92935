"""Write the decision brief: one self-contained HTML file, an Excel workbook and JSON.

All three are written from the same :class:`~reeplan.brief.model.RunResult`, so their numbers agree.
Files are first written to a staging folder and published together by one rename only when all
of them are complete (:mod:`reeplan.brief.publish`), so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from reeplan.brief.excel import write_excel
from reeplan.brief.findings import award_summary, findings, risks
from reeplan.brief.formats import (
    COLUMNS,
    TABLE_TITLES,
    column_kind,
    format_cell,
    format_money,
    format_years,
    header,
)
from reeplan.brief.glossary import GLOSSARY
from reeplan.brief.model import RunResult
from reeplan.io.jsonable import dumps, to_jsonable

__all__ = ["BRIEF_FILES", "format_value", "to_json_dict", "write_brief"]

BRIEF_FILES = ("brief.html", "brief.xlsx", "brief.json")
"""The files of a brief, in the output folder."""

MAX_HTML_ROWS = 40
"""Rows of a table shown in the HTML (the workbook and JSON keep every row)."""


def format_value(value: float, unit: str) -> str:
    """How a headline number is printed in the brief (and checked against the JSON).

    Examples
    --------
    >>> format_value(0.6923, "share")
    '69.2%'
    >>> format_value(1234567.0, "USD")
    '$1,234,567'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if unit == "years":
        return format_years(value)
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if unit == "share":
        return f"{value:.1%}"
    if unit == "USD":
        return format_money(value)
    if unit == "million USD":
        return format_money(value * 1e6)
    if unit == "index":
        return f"{value:.3f}"
    if unit in ("t", "t REO-eq", "t/yr"):
        return f"{value:,.0f} {unit}"
    if unit in ("quarters", "years"):
        return f"{value:.1f} {unit}"
    return f"{format_cell(value, 'number')} {unit}".strip()


JSON_CONVENTIONS = {
    "missing_or_infinite": "null: JSON has no NaN or Infinity. Every such null has a companion "
    "field <key>_reason in the same object that says what it stands for: in time-to-survive "
    "(tts_) columns, no shortfall before the end of 2040; in time-to-recover (ttr_) columns, "
    "still short at the end of 2040; elsewhere 'infinite' or 'not defined' (for example a share "
    "of zero demand). null never stands for zero.",
    "columns": "labels, units and kinds of the table columns are in 'columns'; a negative net "
    "import reliance (kind nir) means the US is a net exporter and is shown as E.",
    "units": "t = tonnes of rare-earth oxide equivalent (REO-eq) unless a column says metal or "
    "magnet; USD nominal unless a column says musd (million USD); shares as fractions 0-1.",
}
"""How ``brief.json`` writes values JSON cannot hold, and its units."""


def to_json_dict(result: RunResult) -> dict[str, Any]:
    """The machine-readable form of a run: headlines, tables, provenance and timings."""
    return to_jsonable({
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "conventions": JSON_CONVENTIONS,
        "provenance": result.provenance,
        "timings_s": result.timings,
        "findings": [f.to_dict() for f in findings(result)],
        "risks": risks(result),
        "recommended_awards": (aw.to_dict() if (aw := award_summary(result)) is not None
                               else None),
        "columns": {name: {"label": c.label, "unit": c.unit, "kind": c.kind}
                    for name, c in COLUMNS.items()},
        "glossary": GLOSSARY,
        "headlines": [{"key": h.key, "value": h.value, "unit": h.unit, "label": h.label,
                       "display": format_value(h.value, h.unit), "source": h.source,
                      "primary": h.primary}
                      for h in result.headlines()],
        "sections": [{"name": s.name, "title": s.title, "summary": s.summary,
                      "notes": s.notes,
                      "tables": dict(s.tables)}
                     for s in result.sections],
    })


def _html_table(frame: pd.DataFrame, limit: int = MAX_HTML_ROWS) -> str:
    """A table with a number format chosen per column (never scientific notation)."""
    shown = frame.head(limit)
    kinds = {c: column_kind(str(c), frame[c]) for c in frame.columns}
    head = "".join(
        f'<th data-col="{_esc(c)}" class="{"t" if kinds[c] == "text" else "n"}">'
        f"{_esc(header(str(c), frame[c]))}</th>" for c in frame.columns)
    rows = []
    for _, row in shown.iterrows():
        cells = "".join(
            f'<td class="{"t" if kinds[c] == "text" else "n"}">'
            f"{_esc(format_cell(row[c], kinds[c], str(c)))}</td>" for c in frame.columns)
        rows.append(f"<tr>{cells}</tr>")
    html = (f'<div class="scroll"><table class="data"><thead><tr>{head}</tr></thead><tbody>'
            + "".join(rows) + "</tbody></table></div>")
    if len(frame) > limit:
        html += f'<p class="more">{len(frame) - limit} more rows in the workbook.</p>'
    return html


def _esc(value: object) -> str:
    import html

    return html.escape(str(value), quote=True)


def _figure_html(fig: Any, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=bool(first),
                       config={"displaylogo": False, "responsive": True})




def _awards_html(result: RunResult) -> str:
    """The recommended awards as a compact table: project, award, cost, what it changes."""
    aw = award_summary(result)
    if aw is None or not len(aw.awards):
        return ""
    rows = []
    for _, r in aw.awards.iterrows():
        p0, p1 = r.get("p_production_without"), r.get("p_production_with")
        prod = (f"{p0:.0%} → {p1:.0%}" if isinstance(p0, float) and isinstance(p1, float)
                and math.isfinite(p0) and math.isfinite(p1) else "–")
        early = r.get("years_earlier")
        rows.append({
            "Project": r["project"],
            "Award": str(r.get("package", r.get("option", ""))),
            "Cost": format_money(float(r.get("scored_cost_usd", float("nan")))),
            "P(produces) without → with": prod,
            "Earlier by": (f"{early:.1f} yr" if isinstance(early, float)
                                   and math.isfinite(early) else "–"),
        })
    frame = pd.DataFrame(rows)
    head = "".join(f'<th class="{"t" if i < 2 else "n"}">{_esc(c)}</th>'
                   for i, c in enumerate(frame.columns))
    body = "".join("<tr>" + "".join(f'<td class="{"t" if i < 2 else "n"}">{_esc(v)}</td>'
                                    for i, v in enumerate(row)) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f'<table class="data awards-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _joined(items: list[str]) -> str:
    """'a, b and c'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


NAV = {"summary": "Supply", "exposure": "US exposure", "disruptions": "Disruptions",
       "finance": "Award costs", "portfolio": "Portfolio", "validation": "Validation",
       "sources": "Sources"}


def render_html(result: RunResult) -> str:
    """The brief as one self-contained HTML document (plotly.js embedded once, no CDN)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates")),
        autoescape=jinja2.select_autoescape(["html", "j2"]))
    first = True
    sections = []
    for s in result.sections:
        figs = []
        for name, fig in s.figures.items():
            figs.append({"name": name, "title": fig.title, "html": _figure_html(fig, first)})
            first = False
        sections.append({"name": s.name, "title": s.title, "nav": NAV.get(s.name, s.title),
                         "summary": s.summary,
                         "notes": s.notes, "figures": figs,
                         "tables": [{"name": k, "title": TABLE_TITLES.get(k, k.replace("_", " ")),
                                     "html": _html_table(v)}
                                    for k, v in s.tables.items()]})
    headlines = [{"label": h.label, "display": format_value(h.value, h.unit), "key": h.key,
                  "source": h.source} for h in result.headlines() if h.primary]
    aw = award_summary(result)
    opts = result.provenance.get("options", {})
    return env.get_template("brief.html.j2").render(
        sections=sections, headlines=headlines, provenance=result.provenance,
        findings=findings(result), risks=risks(result), award=aw,
        awards_html=_awards_html(result), options=opts, glossary=GLOSSARY,
        money=format_money, joined=_joined,
        timings=result.timings, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def write_brief(result: RunResult, out_dir: Path,
                before_publish: Callable[[], None] | None = None) -> list[Path]:
    """Write brief.html, brief.xlsx and brief.json and publish the three together.

    They are written to a staging folder; ``before_publish`` (e.g. the run store's commit) is
    called when all three are complete, then they are published by one rename
    (:mod:`reeplan.brief.publish`: a per-run folder under ``out_dir/runs`` and a ``latest``
    link). A failure or signal before that leaves the published brief as it was.

    Returns
    -------
    list of Path
        The published files (``out_dir/brief.html`` etc.).
    """
    from reeplan.brief.publish import publish

    def write(folder: Path) -> None:
        (folder / "brief.html").write_text(render_html(result), encoding="utf-8")
        write_excel(result, folder / "brief.xlsx")
        (folder / "brief.json").write_text(dumps(to_json_dict(result)), encoding="utf-8")

    return publish(Path(out_dir), BRIEF_FILES, write, before_publish)
