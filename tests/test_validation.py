"""`validation_table` and `reeplan validate` on the bundled data and an overlay."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from reeplan.chain.model import build_chain
from reeplan.cli.validate import register
from reeplan.indicators.validation import VALIDATION_COLUMNS, validation_table
from reeplan.io.dataset import Dataset
from reeplan.io.readers import load_dataset

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)

    @app.command()
    def _noop() -> None:  # a second command keeps `validate` a named sub-command
        pass

    return app


def test_bundled_data_within_tolerance(bundled: Dataset) -> None:
    table = validation_table(bundled, build_chain(bundled))
    assert list(table.columns) == VALIDATION_COLUMNS
    metrics = set(table["metric"])
    assert {"mine_output", "stage_share", "us_production", "us_nir", "facility_output",
            "us_imports"} <= metrics
    bad = table[table["verdict"] != "ok"]
    assert bad.empty, bad[["id", "model", "low", "high"]].to_string()


def _overlay_moving_china_separation(tmp_path: Path) -> Path:
    """Add 60,000 t REO of ex-China separation capacity in 2025 (fed by world concentrate)."""
    over = tmp_path / "overlay"
    over.mkdir()
    (over / "facilities.csv").write_text(
        "id,name,owner,country,stage,product,capacity,capacity_unit,status,source_id,grade,"
        "composition,start_year,feed,note\n"
        "test_big_sep,Test separation plant,test,AUS,separation,separated RE,60000,t_REO,"
        "operating,asm_capacity_demonstrated,D,full_spectrum_separated,2020,AUS;MMR;USA,"
        "test row\n")
    (over / "trade_links.csv").write_text(
        "id,exporter,importer,form,element_group,year,source_id,grade,year_start,quantity,note\n"
        "test_mmr_aus,MMR,AUS,concentrate,all,2025,asm_capacity_demonstrated,D,2020,22000,t\n"
        "test_usa_aus,USA,AUS,concentrate,all,2025,asm_capacity_demonstrated,D,2020,30000,t\n")
    return over


def test_overlay_outside_iea_range_fails(tmp_path: Path) -> None:
    over = _overlay_moving_china_separation(tmp_path)
    ds = load_dataset(None, [over])
    table = validation_table(ds, build_chain(ds)).set_index("id")
    row = table.loc["bm_share_separation_chn_2025"]
    assert row["model"] < row["low"]
    assert row["verdict"] == "warn"
    result = runner.invoke(_app(), ["validate", "--overlay", str(over), "--format", "csv"])
    assert result.exit_code == 1


def test_cli_validate_json_and_exit_zero() -> None:
    result = runner.invoke(_app(), ["validate", "--format", "json", "--samples", "60"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert all(r["verdict"] == "ok" for r in doc["benchmarks"])
    # issue 14: the element ranking beside the published orderings, with correlations
    ranking = {r["element"]: r for r in doc["ranking"]}
    assert {"Dy", "Tb", "Nd", "Pr", "Sm"} <= set(ranking)
    for a in ("usgs_2025", "doe_cma_2023", "eu_crm_2023"):
        assert ranking["Dy"][f"rank_{a}"] is not None
    assert {c["ordering"] for c in doc["correlations"]} >= {"usgs_2025", "doe_cma_2023",
                                                           "eu_crm_2023"}
    assert all(-1 <= c["spearman_rho"] <= 1 for c in doc["correlations"]
               if c["spearman_rho"] is not None)
    assert doc["disagreements"], "every large disagreement gets a sentence"
    assert ranking["Dy"]["rank"] <= 2  # heavy rare earths carry the largest consequence


def test_cli_validate_table_shows_the_published_orderings() -> None:
    result = runner.invoke(_app(), ["validate", "--samples", "40"])
    assert result.exit_code == 0, result.output
    assert "USGS 2025" in result.output
    assert "Spearman rank correlation" in result.output


def test_cli_validate_bad_format() -> None:
    result = runner.invoke(_app(), ["validate", "--format", "xml"])
    assert result.exit_code == 1
