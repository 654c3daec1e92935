"""Bad CSV input (issue 17): every case is a DataError naming file, row and field, never a
traceback, a hang or silently accepted data."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from reeplan.errors import DataError
from reeplan.io.readers import load_dataset


def set_cell(path: Path, row_id: str, column: str, value: str) -> int:
    """Set one cell of a CSV file (row found by id); return the row's 1-based number."""
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    header = list(rows[0].keys())
    found = [n for n, row in enumerate(rows, start=1) if row["id"] == row_id]
    assert found, f"no row {row_id!r} in {path.name}"
    n = found[0]
    rows[n - 1][column] = value
    buf = io.StringIO()
    writer = csv.DictWriter(buf, header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return n


def problems_of(folder: Path, overlays: list[Path] | None = None) -> list[tuple]:
    with pytest.raises(DataError) as exc:
        load_dataset(folder, overlays or [])
    return [(p.file, p.row, p.field) for p in exc.value.problems]


# -- 1. NaN and ±inf ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "row_id", "column", "value"),
    [
        ("parameters.csv", "separation_recovery", "value", "nan"),
        ("parameters.csv", "separation_recovery", "value", "NaN"),
        ("parameters.csv", "separation_recovery", "low", "-inf"),
        ("facilities.csv", "mine_usa", "capacity", "inf"),
        ("facilities.csv", "mine_usa", "capacity", "1e400"),
        ("facilities.csv", "mine_usa", "capacity", "Infinity"),
        ("governance.csv", "g_chn", "value", "-inf"),
        ("stage_shares.csv", "sep_chn", "share", "nan"),
        ("us_demand.csv", "d_def_nd", "growth_rate", "nan"),
    ],
)
def test_nan_and_inf_are_rejected(
    tiny_dir: Path, file: str, row_id: str, column: str, value: str
) -> None:
    row = set_cell(tiny_dir / file, row_id, column, value)
    assert problems_of(tiny_dir) == [(file, row, column)]


# -- 2. dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "row_id", "column", "value"),
    [
        ("awards.csv", "aw_1", "date", "2025-13-45"),
        ("awards.csv", "aw_1", "date", "2025-02-30"),
        ("awards.csv", "aw_1", "date", "2025-00"),
        ("export_controls.csv", "ec_1", "date", "2025-04-31"),
        ("export_controls.csv", "ec_1", "end_date", "2026-13"),
        ("sources.csv", "src_a", "date", "0000"),
        ("prices.csv", "p_ndpr_2025", "date", "2025-１２"),  # full-width digits
    ],
)
def test_impossible_dates_are_rejected(
    tiny_dir: Path, file: str, row_id: str, column: str, value: str
) -> None:
    row = set_cell(tiny_dir / file, row_id, column, value)
    assert problems_of(tiny_dir) == [(file, row, column)]


def test_leap_day_and_reduced_precision_dates_are_accepted(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "awards.csv", "aw_1", "date", "2024-02-29")
    set_cell(tiny_dir / "export_controls.csv", "ec_1", "end_date", "2026-11")
    set_cell(tiny_dir / "sources.csv", "src_a", "date", "2025")
    load_dataset(tiny_dir)
