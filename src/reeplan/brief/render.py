"""Write the decision brief: one self-contained HTML file, an Excel workbook and JSON.

All three are written from the same :class:`~reeplan.brief.model.RunResult`, so their numbers agree.
Files are first written to a staging folder and published together by one rename only when all
of them are complete (:mod:`reeplan.brief.publish`), so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from reeplan.brief.model import Headline, RunResult
from reeplan.brief.safe import cells_as_text
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
    if isinstance(value, float) and math.isinf(value):
        return "never" if unit in ("quarters", "years") and value > 0 else str(value)
    if unit == "share":
        return f"{value:.1%}"
    if unit == "USD":
        return f"${value:,.0f}"
    if unit == "index":
        return f"{value:.3f}"
    if unit in ("t", "t REO-eq", "t/yr"):
        return f"{value:,.0f} {unit}"
    if unit in ("quarters", "years"):
        return f"{value:.1f} {unit}"
    return f"{value:,.4g} {unit}".strip()


JSON_CONVENTIONS = {
    "missing_or_infinite": "null: JSON has no NaN or Infinity. In time-to-survive (tts_) "
    "columns null means no shortfall before the end of 2040; in time-to-recover (ttr_) columns, "
    "still short at the end of 2040; elsewhere, not defined (for example a share of zero "
    "demand).",
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
        "headlines": [{"key": h.key, "value": h.value, "unit": h.unit, "label": h.label,
                       "display": format_value(h.value, h.unit), "source": h.source,
                      "primary": h.primary}
                      for h in result.headlines()],
        "sections": [{"name": s.name, "title": s.title, "summary": s.summary,
                      "notes": s.notes,
                      "tables": dict(s.tables)}
                     for s in result.sections],
    })


def _html_table(frame: pd.DataFrame) -> str:
    shown = frame.head(MAX_HTML_ROWS)
    fmt = {}
    for col in shown.columns:
        if pd.api.types.is_float_dtype(shown[col]):
            share = any(k in col for k in ("share", "nir", "independence", "probability"))
            fmt[col] = (lambda v: "" if pd.isna(v) else f"{v:.1%}") if share else (
                lambda v: "" if pd.isna(v) else f"{v:,.4g}")
    html = shown.to_html(index=False, formatters=fmt, na_rep="", border=0,
                         classes="data", escape=True)
    if len(frame) > MAX_HTML_ROWS:
        html += f'<p class="more">{len(frame) - MAX_HTML_ROWS} more rows in the workbook.</p>'
    return html


def _figure_html(fig: Any, first: bool) -> str:
    return fig.to_html(full_html=False, include_plotlyjs=bool(first),
                       config={"displaylogo": False, "responsive": True})


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
            figs.append({"name": name, "html": _figure_html(fig, first)})
            first = False
        sections.append({"name": s.name, "title": s.title, "summary": s.summary,
                         "notes": s.notes, "figures": figs,
                         "tables": [{"name": k, "html": _html_table(v)}
                                    for k, v in s.tables.items()]})
    headlines = [{"label": h.label, "display": format_value(h.value, h.unit), "key": h.key,
                  "source": h.source} for h in result.headlines() if h.primary]
    return env.get_template("brief.html.j2").render(
        sections=sections, headlines=headlines, provenance=result.provenance,
        timings=result.timings, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]\*\?/\\:]", "_", name)[:31]
    candidate, i = base, 1
    while candidate in used:
        suffix = f"~{i}"
        candidate = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(candidate)
    return candidate


def write_excel(result: RunResult, path: Path) -> None:
    """Every table of the run in one workbook, with a headlines sheet and provenance."""
    used: set[str] = set()
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        heads = pd.DataFrame([h.__dict__ for h in result.headlines()],
                             columns=list(Headline.__dataclass_fields__))
        heads.to_excel(xl, sheet_name=_sheet_name("headlines", used), index=False)
        for key, frame in result.tables().items():
            frame.to_excel(xl, sheet_name=_sheet_name(key, used), index=False)
        prov = pd.DataFrame({"key": list(result.provenance),
                             "value": [dumps(v, indent=None)
                                       for v in result.provenance.values()]})
        prov.to_excel(xl, sheet_name=_sheet_name("provenance", used), index=False)
        cells_as_text(xl.book)  # data never runs as a formula (issue 17)


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
