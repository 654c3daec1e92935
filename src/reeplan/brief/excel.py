"""The brief's workbook: one sheet per table, named for readers, with a README and a glossary.

Every sheet has a labelled header row (label and unit), number formats per column
(:func:`reeplan.brief.formats.excel_format`), frozen header and first column, an autofilter and
column widths. The README sheet lists every sheet with what it is, its units and its sources;
the Glossary sheet defines the terms. Every text cell is written as text: a string that starts
with ``=`` (or ``+``, ``-``, ``@``) stays a string and never becomes a formula.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from reeplan.brief.findings import findings, risks
from reeplan.brief.formats import TABLE_TITLES, column_info, column_kind, excel_format, header
from reeplan.brief.glossary import GLOSSARY
from reeplan.brief.model import Headline, RunResult
from reeplan.brief.safe import cells_as_text
from reeplan.io.jsonable import dumps

__all__ = ["SHEET_NAMES", "write_excel"]

SHEET_NAMES = {
    "summary.mine_production": "Mine production",
    "summary.stage_concentration": "China share by stage",
    "summary.us_net_import_reliance": "US import reliance",
    "exposure.exposure_key_elements": "Exposure key elements",
    "exposure.exposure_all": "Exposure all elements",
    "exposure.criticality": "Criticality indices",
    "exposure.chokepoints": "Chokepoints",
    "disruptions.sim_shortfall": "Shortfall by scenario",
    "disruptions.sim_tts": "Time to survive-recover",
    "disruptions.sim_prices": "Price multiples",
    "disruptions.sim_fan": "Defense shortfall by quarter",
    "disruptions.sim_baseline": "Baseline coverage",
    "disruptions.sim_assumptions": "Scenario assumptions",
    "finance.award_costs": "Award package costs",
    "finance.price_model": "Price model",
    "portfolio.awards": "Recommended awards",
    "portfolio.shortfall_by_group": "Shortfall by group",
    "portfolio.frontier": "Frontier",
    "portfolio.why_in_or_out": "Why in or out",
    "portfolio.options_evaluated": "Options evaluated",
    "validation.validation": "Validation",
    "sources.sources": "Sources",
    "sources.assumptions": "Assumptions",
}
"""``section.table`` → sheet name (31 characters at most)."""

_SOURCE_OF = {
    "summary": "USGS Mineral Commodity Summaries; IEA (see the source column)",
    "exposure": "reeplan chain model on the bundled tables (see Sources)",
    "disruptions": "reeplan simulate (Monte Carlo); scenario sources in Scenario assumptions",
    "finance": "reeplan finance; package presets; USGS price history",
    "portfolio": "reeplan optimize",
    "validation": "published figures named in the source_id column",
    "sources": "the bundled sources table",
}
_HEAD_FILL = PatternFill("solid", fgColor="14213D")
_HEAD_FONT = Font(bold=True, color="FFFFFF")
_FORMULA_START = ("=", "+", "-", "@")


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]\*\?/\\:]", "_", name)[:31]
    candidate, i = base, 1
    while candidate in used:
        suffix = f" {i}"
        candidate = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(candidate)
    return candidate


def _put(ws: Any, row: int, col: int, value: Any, fmt: str | None = None) -> None:
    """Write one cell; text is always text (never a formula)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    cell = ws.cell(row=row, column=col)
    if isinstance(value, bool):
        cell.value = "yes" if value else "no"
        return
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        if math.isinf(v):
            cell.value = "inf" if v > 0 else "-inf"
            cell.data_type = "s"
            return
        cell.value = value.item() if hasattr(value, "item") else value
        if fmt:
            cell.number_format = fmt
        return
    if hasattr(value, "item"):  # numpy scalars
        _put(ws, row, col, value.item(), fmt)
        return
    text = value if isinstance(value, str) else str(value)
    cell.value = text
    cell.data_type = "s"  # a leading "=" stays text
    if text.startswith(_FORMULA_START):
        cell.quotePrefix = True


def _write_frame(ws: Any, frame: pd.DataFrame, note: str = "") -> None:
    """A table with a title row, labelled headers, formats, freeze panes and autofilter."""
    start = 1
    if note:
        _put(ws, 1, 1, note)
        ws.cell(row=1, column=1).font = Font(italic=True, color="5B6775")
        start = 2
    kinds = [column_kind(str(c), frame[c]) for c in frame.columns]
    for j, col in enumerate(frame.columns, start=1):
        _put(ws, start, j, header(str(col), frame[col]))
        cell = ws.cell(row=start, column=j)
        cell.fill, cell.font = _HEAD_FILL, _HEAD_FONT
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(frame.itertuples(index=False), start=start + 1):
        for j, (value, kind) in enumerate(zip(row, kinds, strict=True), start=1):
            _put(ws, i, j, value, excel_format(kind))
    for j, col in enumerate(frame.columns, start=1):
        sample = [len(str(v)) for v in frame[col].head(200)]
        width = max([min(len(header(str(col), frame[col])), 28), *sample, 6])
        ws.column_dimensions[get_column_letter(j)].width = min(width + 2, 60)
    ws.row_dimensions[start].height = 32
    if len(frame.columns):
        ws.freeze_panes = ws.cell(row=start + 1, column=2 if len(frame.columns) > 3 else 1)
        last = get_column_letter(len(frame.columns))
        ws.auto_filter.ref = f"A{start}:{last}{start + max(len(frame), 1)}"


def _units(frame: pd.DataFrame) -> str:
    units = sorted({column_info(str(c), frame[c]).unit for c in frame.columns} - {""})
    return ", ".join(units)


def _source_note(section: str, frame: pd.DataFrame) -> str:
    cols = [c for c in ("source_id", "source") if c in frame.columns]
    base = _SOURCE_OF.get(section, "")
    return f"{base}; per row: column {cols[0]}" if cols else base


def write_excel(result: RunResult, path: Path) -> None:
    """Every table of the run in one workbook, with README, Findings, Glossary and Provenance."""
    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    used = {"README"}
    entries: list[tuple[str, str, str, str]] = []

    fsheet = wb.create_sheet(_sheet_name("Findings", used))
    rows = [{"finding": f.title, "text": f.text, "uncertainty": f.uncertainty,
             "source": f.source} for f in findings(result)]
    rows += [{"finding": "Risk", "text": r, "uncertainty": "", "source": ""}
             for r in risks(result)]
    _write_frame(fsheet, pd.DataFrame(rows, columns=["finding", "text", "uncertainty",
                                                     "source"]))
    fsheet.column_dimensions["B"].width = 100
    entries.append((fsheet.title, "The executive summary: findings and biggest risks",
                    "as stated", "each row's source column"))

    hsheet = wb.create_sheet(_sheet_name("Headline numbers", used))
    heads = pd.DataFrame([h.__dict__ for h in result.headlines()],
                         columns=list(Headline.__dataclass_fields__))
    _write_frame(hsheet, heads)
    entries.append((hsheet.title, "Every headline number of the brief, with unit and source",
                    "unit column", "source column"))

    for key, frame in result.tables().items():
        section, table = key.split(".", 1)
        title = TABLE_TITLES.get(table, table.replace("_", " "))
        ws = wb.create_sheet(_sheet_name(SHEET_NAMES.get(key, title), used))
        _write_frame(ws, frame, note=f"{title}. Source: {_source_note(section, frame)}")
        entries.append((ws.title, title, _units(frame), _source_note(section, frame)))

    gsheet = wb.create_sheet(_sheet_name("Glossary", used))
    _write_frame(gsheet, pd.DataFrame({"term": list(GLOSSARY), "meaning": list(
        GLOSSARY.values())}))
    gsheet.column_dimensions["B"].width = 110
    entries.append((gsheet.title, "Terms used in the brief, in plain words", "", ""))

    psheet = wb.create_sheet(_sheet_name("Provenance", used))
    _write_frame(psheet, pd.DataFrame({"key": list(result.provenance),
                                       "value": [dumps(v, indent=None)
                                                 for v in result.provenance.values()]}))
    entries.append((psheet.title, "Code version, dataset digest, options and seed of the run",
                    "", ""))

    _write_frame(readme, pd.DataFrame(entries, columns=["sheet", "what it is", "units",
                                                        "sources"]),
                 note="reeplan decision brief workbook: one sheet per table. Values keep full "
                      "precision; number formats only change how they are shown. t = tonnes "
                      "REO-equivalent; $M = million US dollars; E = net exporter.")
    readme.column_dimensions["B"].width = 70
    readme.column_dimensions["D"].width = 70
    cells_as_text(wb)  # data never runs as a formula (issue 17)
    wb.save(path)
