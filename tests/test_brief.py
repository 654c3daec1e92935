"""The main job end to end: the brief (HTML, workbook, JSON) agrees with itself; runs are stored."""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from reeplan.brief import build_brief
from reeplan.brief.render import format_value, write_brief
from reeplan.cli import app
from reeplan.io.readers import load_dataset
from reeplan.settings import Settings
from reeplan.store import RunStore
from reeplan.workflows.run import RunOptions, run_analysis

runner = CliRunner()
SECTIONS = [
    "summary",
    "exposure",
    "disruptions",
    "finance",
    "portfolio",
    "consequences",
    "validation",
    "sources",
]


@pytest.fixture(scope="module")
def brief(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("brief")
    options = RunOptions.from_settings(Settings(), samples=24, seed=7, chokepoints=False)
    result = build_brief(run_analysis(load_dataset(), options))
    paths = write_brief(result, out)
    return {
        "result": result,
        "paths": paths,
        "html": (out / "brief.html").read_text(encoding="utf-8"),
        "json": json.loads((out / "brief.json").read_text(encoding="utf-8")),
        "xlsx": out / "brief.xlsx",
    }


def test_brief_has_every_section(brief: dict) -> None:
    assert [s.name for s in brief["result"].sections] == SECTIONS
    for name in [*SECTIONS, "executive-summary", "methods", "provenance"]:
        assert f'id="{name}"' in brief["html"]
    for fig in (
        "fig-sankey_ndpr",
        "fig-china_share_heatmap",
        "fig-shortfall_fan",
        "fig-tts_vs_ttr",
        "fig-frontier",
        "fig-china_share_by_stage",
        "fig-award_costs",
    ):
        assert fig in brief["html"], fig


def test_brief_is_self_contained(brief: dict) -> None:
    html = brief["html"]
    assert not re.search(r'<script[^>]+src="https?://', html)  # nothing loaded from a CDN
    assert html.count("* plotly.js v") == 1  # plotly.js embedded exactly once


def test_headline_numbers_agree(brief: dict) -> None:
    data = brief["json"]
    heads = {h["key"]: h for h in data["headlines"]}
    assert heads["china_mine_share"]["value"] == pytest.approx(270_000 / 390_000)
    assert heads["us_nir_compounds_metals"]["value"] == pytest.approx(0.67, abs=0.001)
    html = brief["html"]
    for h in data["headlines"]:
        if not h["primary"]:
            continue
        card = re.search(rf'data-key="{re.escape(h["key"])}"><div class="v">([^<]*)<', html)
        assert card, h["key"]
        value = h["value"]
        if value is None and h["key"].startswith("tts_"):
            value = float("inf")  # brief.json conventions: null = no shortfall before 2040
        assert card.group(1) == format_value(value, h["unit"]) == h["display"]


def test_workbook_matches_json(brief: dict) -> None:
    wb = openpyxl.load_workbook(brief["xlsx"], read_only=True)
    rows = list(wb["Headline numbers"].iter_rows(values_only=True))
    header = rows[0]
    by_key = {r[header.index("key")]: r[header.index("value")] for r in rows[1:]}
    inf = {k for k, v in by_key.items() if v == "inf"}
    for h in brief["json"]["headlines"]:
        if isinstance(h["value"], float):
            assert by_key[h["key"]] == pytest.approx(h["value"])
        elif h["value"] is None and h["unit"] == "years":
            assert h["key"] in inf
    tables = brief["json"]["sections"][0]["tables"]["mine_production"]
    sheet = wb["Mine production"]
    values = list(sheet.iter_rows(values_only=True))
    assert len(values) - 2 == len(tables)  # a title row and the header
    assert values[2][2] == pytest.approx(tables[0]["production_t"])


def test_every_source_shown_resolves(brief: dict) -> None:
    sources = brief["result"].section("sources").tables["sources"]
    assert (sources["rows_citing"] >= 0).all()
    assert sources["id"].is_unique


def test_runs_recorded_and_diffed(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.sqlite")
    quick = [
        "--skip",
        "simulate",
        "--skip",
        "finance",
        "--skip",
        "optimize",
        "--skip",
        "consequences",
        "--store",
        store,
        "--out",
        str(tmp_path / "out"),
    ]
    over = tmp_path / "over"
    over.mkdir()
    (over / "mine_production.csv").write_text(
        "id,country,year,value,vintage,source_id,grade,note\n"
        "mine_chn_2025,CHN,2025,200000,test overlay,usgs_mcs2026_re,C,x\n"
    )
    a = runner.invoke(app, ["run", "--seed", "1", *quick])
    assert a.exit_code == 0, a.output
    b = runner.invoke(app, ["run", "--seed", "2", "--overlay", str(over), *quick])
    assert b.exit_code == 0, b.output
    runs = RunStore(store).list_runs()
    assert [r.status for r in runs] == ["succeeded", "succeeded"]
    diff = runner.invoke(app, ["runs", "diff", runs[1].id, runs[0].id, "--store", store])
    assert diff.exit_code == 0, diff.output
    assert "seed" in diff.output
    assert "overlay" in diff.output.lower()
    assert "china_mine_share" in diff.output


def test_interrupted_run_is_marked_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import reeplan.workflows.run

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(reeplan.workflows.run, "run_analysis", boom)
    store = str(tmp_path / "runs.sqlite")
    res = runner.invoke(app, ["run", "--store", store, "--out", str(tmp_path / "out")])
    assert res.exit_code != 0
    runs = RunStore(store).list_runs()
    assert len(runs) == 1
    assert runs[0].status == "failed"
    assert not (tmp_path / "out" / "brief.html").exists()


def test_brief_shows_the_portfolio_under_each_objective(brief: dict) -> None:
    """Issue 14: the brief says which objective it uses and shows the others side by side."""
    section = next(s for s in brief["json"]["sections"] if s["name"] == "portfolio")
    assert "Objective: tonnes" in section["summary"]
    rows = {r["optimised_for"]: r for r in section["tables"]["by_objective"]}
    assert set(rows) == {"tonnes", "value", "defense"}
    for r in rows.values():
        assert 0.0 <= r["reduction_value"] <= 1.0 + 1e-9
    assert rows["tonnes"]["awards"] in " ".join(section["notes"])
    assert "Optimised for each objective in turn" in brief["html"]
    assert "fig-by_objective" in brief["html"]
