"""Reading datasets and overlays: every problem reported at once with file, row and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from reeplan.errors import DataError
from reeplan.io.readers import load_dataset, read_table
from reeplan.schema.tables import Facility
from tests.conftest import replace_in


def _problems(exc: pytest.ExceptionInfo[DataError]) -> list[tuple[str, int | None, str | None]]:
    return [(p.file, p.row, p.field) for p in exc.value.problems]


def test_tiny_dataset_loads(tiny_dir: Path) -> None:
    ds = load_dataset(tiny_dir)
    assert set(ds["facilities"].index) == {"mine_usa", "sep_usa"}
    assert ds.origin("facilities", "sep_usa") == (str(tiny_dir / "facilities.csv"), 2)
    assert len(ds.digest) == 64


def test_unknown_column_is_rejected(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "reserves.csv", "qualifier,note", "qualifier,comment")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert ("reserves.csv", 0, "comment") in _problems(exc)


def test_missing_required_column(tiny_dir: Path) -> None:
    path = tiny_dir / "defense_platforms.csv"
    path.write_text("id,platform,source_id,grade\nf35,F-35,src_a,A\n")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert ("defense_platforms.csv", 0, "re_mass_kg") in _problems(exc)


def test_all_problems_reported_together(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "facilities.csv", "operating", "running")  # row 1 status
    replace_in(tiny_dir / "stage_shares.csv", "0.9,production", "1.9,production")  # row 1 share
    replace_in(tiny_dir / "prices.csv", "2025,usgs_fob,69", "2025,usgs_fob,-69")  # row 1 price
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    found = _problems(exc)
    assert ("facilities.csv", 1, "status") in found
    assert ("stage_shares.csv", 1, "share") in found
    assert ("prices.csv", 1, "price") in found
    assert len(found) == 3


def test_duplicate_id(tiny_dir: Path) -> None:
    path = tiny_dir / "reserves.csv"
    path.write_text(path.read_text() + "res_chn,USA,5,test,src_a,A,,\n")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert ("reserves.csv", 2, "id") in _problems(exc)


def test_ragged_row(tiny_dir: Path) -> None:
    path = tiny_dir / "reserves.csv"
    path.write_text(path.read_text() + "res_usa,USA,5\n")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert ("reserves.csv", 2, None) in _problems(exc)


def test_missing_table_and_unknown_table(tiny_dir: Path) -> None:
    (tiny_dir / "awards.csv").unlink()
    (tiny_dir / "extras.csv").write_text("id\nx\n")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    files = {p.file for p in exc.value.problems}
    assert {"awards.csv", "extras.csv"} <= files


def test_read_table_values_are_typed(tiny_dir: Path) -> None:
    frame, problems = read_table(tiny_dir / "facilities.csv", Facility)
    assert problems == []
    assert frame.loc["mine_usa", "capacity"] == 40.0
    assert frame.loc["sep_usa", "production"] is None or frame["production"].isna()["sep_usa"]


def test_overlay_replaces_and_adds_rows(tiny_dir: Path, tmp_path: Path) -> None:
    over = tmp_path / "overlay"
    over.mkdir()
    (over / "mine_production.csv").write_text(
        "id,country,year,value,vintage,source_id,grade,note\n"
        "mp_chn_2025,CHN,2025,50,licensed,src_a,B,replaced\n"
        "mp_row_2025,ROW,2025,10,licensed,src_a,B,added\n"
    )
    ds = load_dataset(tiny_dir, [over])
    mp = ds["mine_production"]
    assert mp.loc["mp_chn_2025", "value"] == 50
    assert mp.loc["mp_chn_2025", "vintage"] == "licensed"
    assert "mp_row_2025" in mp.index
    assert len(mp) == 5
    assert ds.origin("mine_production", "mp_chn_2025") == (str(over / "mine_production.csv"), 1)


def test_overlay_error_names_overlay_file(tiny_dir: Path, tmp_path: Path) -> None:
    over = tmp_path / "overlay"
    over.mkdir()
    (over / "prices.csv").write_text(
        "id,product,year,market,price,source_id,grade\nq1,ndpr_oxide,2026,spot,80,src_a,C\n"
    )
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir, [over])
    assert ("prices.csv", 1, "market") in _problems(exc)


def test_missing_dataset_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_dataset(tmp_path / "nope")


def test_json_nulls_carry_a_reason() -> None:
    import json

    import numpy as np
    import pandas as pd

    from reeplan.io.jsonable import dumps

    frame = pd.DataFrame({"tts_years_p50": [np.inf, 1.5], "ttr_years_p50": [np.inf, 0.0],
                          "share": [np.nan, 0.2], "delta": [-np.inf, 1.0]})
    rows = json.loads(dumps({"t": frame, "x": float("nan"), "y": 3.0}))
    assert rows["x"] is None
    assert rows["x_reason"].startswith("not defined")
    assert "y_reason" not in rows
    first, second = rows["t"]
    assert first["tts_years_p50"] is None
    assert first["tts_years_p50_reason"] == "no shortfall before the end of 2040"
    assert first["ttr_years_p50_reason"] == "still short at the end of 2040"
    assert first["share_reason"].startswith("not defined")
    assert first["delta_reason"] == "minus infinite"
    assert not any(k.endswith("_reason") for k in second)
