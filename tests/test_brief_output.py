"""The brief communicates: findings, formats, no empty figure, a readable workbook, one label
per quantity across the CLI, HTML, workbook and JSON."""

from __future__ import annotations

import math
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from reeplan.brief.excel import write_excel
from reeplan.brief.findings import award_summary, findings
from reeplan.brief.formats import format_cell, format_frame, header
from reeplan.brief.model import RunResult, Section

SCI = re.compile(r"\d[eE][+-]?\d")


@pytest.fixture(scope="module")
def run(small_brief: dict) -> dict:
    return small_brief


def _trace_has_data(trace: object) -> bool:
    for attr in ("y", "z", "values"):
        v = getattr(trace, attr, None)
        if v is not None and len(v) and any(x is not None for x in
                                            (v if attr != "z" else [c for r in v for c in r])):
            return True
    link = getattr(trace, "link", None)
    return bool(link is not None and link.value is not None and len(link.value))


def test_no_figure_is_empty(run: dict) -> None:
    for sec in run["result"].sections:
        for name, fig in sec.figures.items():
            traces = [t for t in fig.plotly.data if t.name != "TTS = TTR"]
            assert traces, f"{sec.name}.{name} has no trace"
            assert any(_trace_has_data(t) for t in traces), f"{sec.name}.{name} is empty"
            assert fig.title, name
            texts = " ".join(a.text for a in fig.plotly.layout.annotations)
            assert "Source:" in texts, f"{sec.name}.{name} has no source line"


def test_findings_name_numbers_sources_and_awards(run: dict) -> None:
    found = findings(run["result"])
    assert 3 <= len(found) <= 6
    for f in found:
        assert f.source, f
        assert re.search(r"\d", f.text), f
    aw = award_summary(run["result"])
    assert aw is not None
    assert aw.names
    text = " ".join(f.text for f in found)
    for name in aw.names:
        assert name in text
    summary = run["html"].split('id="executive-summary"')[1].split("</section>")[0]
    for project in aw.awards["project"]:
        assert project in summary
    assert "per weighted tonne" in summary
    assert "P5–P95" in summary
    assert [f["key"] for f in run["json"]["findings"]] == [f.key for f in found]


def test_html_tables_never_in_scientific_notation(run: dict) -> None:
    cells = re.findall(r"<td class=\"n\">([^<]*)</td>", run["html"])
    assert cells
    bad = [c for c in cells if SCI.search(c)]
    assert not bad, bad[:5]
    assert "−3,688 %" not in run["html"]


def test_formats() -> None:
    assert format_cell(2025, "year") == "2025"
    assert format_cell(270000.0, "t") == "270,000"
    assert format_cell(-36.88, "nir") == "E"
    assert format_cell(5.792e8, "usd") == "$579M"
    assert format_cell(float("inf"), "years", "tts_years_p50") == "no shortfall before 2040"
    assert format_cell(float("inf"), "years", "ttr_years_p50") == "still short at end of 2040"
    frame = pd.DataFrame({"year": [2025], "world_output_t": [1.234e7], "us_nir": [-3.1],
                          "budget_usd": [2.5e9]})
    row = format_frame(frame).iloc[0].tolist()
    assert row == ["2025", "12,340,000", "E", "$2.50bn"]


def test_workbook_is_readable(run: dict) -> None:
    wb = openpyxl.load_workbook(run["out"] / "brief.xlsx")
    assert wb.sheetnames[0] == "README"
    listed = [r[0] for r in wb["README"].iter_rows(min_row=3, values_only=True)]
    assert set(listed) == set(wb.sheetnames) - {"README"}
    assert "Glossary" in wb.sheetnames
    assert not any("." in n for n in wb.sheetnames)
    ws = wb["Exposure key elements"]
    assert ws.freeze_panes
    assert ws.auto_filter.ref
    heads = [c.value for c in ws[2]]
    nir = heads.index(header("us_nir")) + 1
    filled = next(i for i in range(3, ws.max_row + 1)
                  if ws.cell(row=i, column=nir).value is not None)
    assert ws.cell(row=filled, column=nir).number_format == '0.0%;"E"'
    t = next(h for h in heads if h.startswith("World output"))
    assert ws.cell(row=3, column=heads.index(t) + 1).number_format == "#,##0"
    sources = wb["Sources"]
    assert sources.column_dimensions["A"].width > 6


def test_text_never_becomes_a_formula(tmp_path: Path) -> None:
    frame = pd.DataFrame({"id": ["s1"], "title": ['=HYPERLINK("x")'], "value": [1.0]})
    result = RunResult([Section("sources", "Sources", tables={"sources": frame})], {})
    path = tmp_path / "b.xlsx"
    write_excel(result, path)
    ws = openpyxl.load_workbook(path)["Sources"]
    cell = ws.cell(row=3, column=2)
    assert cell.value == '=HYPERLINK("x")'
    assert cell.data_type == "s"
    assert cell.quotePrefix


def test_one_label_per_quantity_across_outputs(run: dict) -> None:
    """US net import reliance of Pr separation (a net exporter): E in HTML, CLI and workbook,
    the same number in JSON; China's mine share: the same figure in all four."""
    from typer.testing import CliRunner

    from reeplan.cli import app

    data = run["json"]
    expo = next(s for s in data["sections"] if s["name"] == "exposure")
    rows = [r for r in expo["tables"]["exposure_key_elements"] if r["us_nir"] is not None
            and r["us_nir"] < 0]
    assert rows, "a net-exporter row is expected in the bundled data"
    assert data["columns"]["us_nir"]["kind"] == "nir"
    html_cells = re.findall(r'<td class="n">([^<]*)</td>', run["html"])
    assert "E" in html_cells
    wb = openpyxl.load_workbook(run["out"] / "brief.xlsx")
    ws = wb["Exposure key elements"]
    heads = [c.value for c in ws[2]]
    col = heads.index(header("us_nir")) + 1
    row = next(i for i in range(3, ws.max_row + 1) if ws.cell(row=i, column=col).value is not None
               and ws.cell(row=i, column=col).value < 0)
    assert ws.cell(row=row, column=col).number_format.endswith('"E"')
    res = CliRunner().invoke(app, ["exposure", "--year", "2025", "--element", "Pr"],
                             env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert " E " in res.output
    share = next(h for h in data["headlines"] if h["key"] == "china_mine_share")
    assert share["display"] in run["html"]
    xl = {r[0]: r[1] for r in wb["Headline numbers"].iter_rows(min_row=2, values_only=True)}
    assert math.isclose(xl["china_mine_share"], share["value"])
