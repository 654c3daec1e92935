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
    if column not in header:  # an optional column the file does not have yet
        header.append(column)
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


# -- 3. feed and part_of cycles --------------------------------------------------------------


def _messages(folder: Path) -> list[tuple]:
    with pytest.raises(DataError) as exc:
        load_dataset(folder)
    return [(p.file, p.row, p.field, p.message) for p in exc.value.problems]


def test_facility_feeding_itself(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "facilities.csv", "sep_usa", "feed", "sep_usa")
    [(file, row, field, message)] = _messages(tiny_dir)
    assert (file, row, field) == ("facilities.csv", 2, "feed")
    assert "feeds itself" in message
    assert "sep_usa (row 2)" in message


def test_feed_cycle_names_every_row(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "facilities.csv", "mine_usa", "feed", "USA;sep_usa")
    [(file, row, field, message)] = _messages(tiny_dir)
    assert (file, row, field) == ("facilities.csv", 1, "feed")
    assert "mine_usa (row 1) -> sep_usa (row 2) -> mine_usa (row 1)" in message


@pytest.mark.parametrize(("first", "second"), [("sep_usa", "mine_usa"), ("mine_usa", "mine_usa")])
def test_part_of_cycle(tiny_dir: Path, first: str, second: str) -> None:
    set_cell(tiny_dir / "facilities.csv", "mine_usa", "part_of", first)
    if first != "mine_usa":
        set_cell(tiny_dir / "facilities.csv", "sep_usa", "part_of", second)
    [(file, row, field, message)] = _messages(tiny_dir)
    assert (file, row, field) == ("facilities.csv", 1, "part_of")
    assert "mine_usa (row 1)" in message


def test_long_feed_chain_without_cycle_passes(tiny_dir: Path) -> None:
    # a chain of 3,000 facilities feeding one another: no cycle, and no recursion limit hit
    path = tiny_dir / "facilities.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    lines = [lines[0], lines[1]]
    for i in range(3000):
        cells = dict.fromkeys(header, "")
        cells.update(id=f"f{i}", name="x", owner="y", country="USA", stage="separation",
                     product="oxides", capacity="0", capacity_unit="t_REO", status="idle",
                     source_id="src_a", grade="A", feed=f"f{i - 1}" if i else "mine_usa")
        lines.append(",".join(cells[h] for h in header))
    path.write_text("\n".join(lines) + "\n")
    (tiny_dir / "awards.csv").write_text(
        "id,date,recipient,agency,instrument,source_id,grade,amount_musd,facility_id,program,"
        "terms,note\n"
    )
    load_dataset(tiny_dir)
    set_cell(path, "mine_usa", "feed", "f2999")  # now one cycle of 3,001 facilities
    [(_, row, field, message)] = _messages(tiny_dir)
    assert (row, field) == (1, "feed")
    assert message.startswith("feed cycle of 3001 facilities: mine_usa (row 1) -> f2999")
    assert len(message) < 600


# -- 4. a parameter outside its own range ----------------------------------------------------


@pytest.mark.parametrize(("column", "value"), [("value", "0.99"), ("value", "0.5")])
def test_parameter_outside_its_range(tiny_dir: Path, column: str, value: str) -> None:
    row = set_cell(tiny_dir / "parameters.csv", "separation_recovery", column, value)
    [(file, prow, field, message)] = _messages(tiny_dir)
    assert (file, prow, field) == ("parameters.csv", row, "value")
    assert "outside its own range [0.85, 0.95]" in message


def test_parameter_with_one_bound(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "parameters.csv", "ndfeb_re_mass_fraction", "high", "0.25")
    assert problems_of(tiny_dir) == [("parameters.csv", 4, "value")]


# -- 5. unknown references -------------------------------------------------------------------


def test_unknown_price_element(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "prices.csv", "p_ndpr_2025", "element", "Nd;Xx")
    [(file, row, field, message)] = _messages(tiny_dir)
    assert (file, row, field) == ("prices.csv", 1, "element")
    assert "'Xx'" in message


def test_unknown_stockpile_element(tiny_dir: Path) -> None:
    set_cell(tiny_dir / "stockpile_plan.csv", "nds_1", "element", "NdPr")
    assert problems_of(tiny_dir) == [("stockpile_plan.csv", 1, "element")]


# -- 7. required parameters: `data check` rejects what `run` would ----------------------------


def test_required_parameter_missing_is_a_dataset_problem(tiny_dir: Path) -> None:
    from typer.testing import CliRunner

    from reeplan.cli import app

    path = tiny_dir / "parameters.csv"
    path.write_text("".join(line for line in path.read_text().splitlines(keepends=True)
                            if not line.startswith("rampup_years_to_nameplate,")))
    found = _messages(tiny_dir)
    assert [(f, r, c) for f, r, c, _ in found] == [("parameters.csv", None, "id")]
    assert "'rampup_years_to_nameplate'" in found[0][3]
    res = CliRunner().invoke(app, ["data", "check", str(tiny_dir)])
    assert res.exit_code == 1
    assert "rampup_years_to_nameplate" in res.output


# -- 6. files: BOM, encodings, odd files, huge values ----------------------------------------


def test_utf8_bom_is_accepted(tiny_dir: Path) -> None:
    # Excel's "CSV UTF-8" starts the file with a byte-order mark
    for path in tiny_dir.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    ds = load_dataset(tiny_dir)
    assert "mine_usa" in ds["facilities"].index


def test_latin1_file_is_one_problem_naming_byte_and_line(tiny_dir: Path) -> None:
    path = tiny_dir / "facilities.csv"
    text = path.read_text().replace("US separation", "US séparation")
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    [problem] = exc.value.problems
    assert (problem.file, problem.row, problem.field) == ("facilities.csv", None, None)
    assert "not UTF-8" in problem.message
    assert "0xE9" in problem.message
    assert "line 3" in problem.message


def test_utf16_file_is_one_problem(tiny_dir: Path) -> None:
    path = tiny_dir / "countries.csv"
    path.write_bytes(path.read_text().encode("utf-16"))
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert [(p.file, p.row) for p in exc.value.problems] == [("countries.csv", None)]
    assert "UTF-16" in exc.value.problems[0].message


def test_folder_named_like_a_table(tiny_dir: Path) -> None:
    (tiny_dir / "parameters.csv").unlink()
    (tiny_dir / "parameters.csv").mkdir()
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    [problem] = exc.value.problems
    assert problem.file == "parameters.csv"
    assert "is a folder" in problem.message


def test_folder_named_like_a_table_in_an_overlay(tiny_dir: Path, tmp_path: Path) -> None:
    over = tmp_path / "over"
    (over / "prices.csv").mkdir(parents=True)
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir, [over])
    assert [p.file for p in exc.value.problems] == ["prices.csv"]


@pytest.mark.timeout(20)
@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("name", ["parameters.csv", "X.csv"])
def test_fifo_is_never_opened(tiny_dir: Path, tmp_path: Path, name: str) -> None:
    import os

    over = tmp_path / "over"
    over.mkdir()
    for folder in (tiny_dir, over):
        if (folder / name).exists():
            (folder / name).unlink()
        os.mkfifo(folder / name)
        with pytest.raises(DataError) as exc:
            load_dataset(tiny_dir, [over] if folder == over else [])
        assert [p.file for p in exc.value.problems] == [name]
        (folder / name).unlink()
        if folder == tiny_dir and name == "parameters.csv":
            (tiny_dir / name).write_text((Path(__file__).parent / "data" / "tiny" / name)
                                         .read_text())


def test_dangling_symlink_named_like_a_table(tiny_dir: Path) -> None:
    (tiny_dir / "awards.csv").unlink()
    (tiny_dir / "awards.csv").symlink_to(tiny_dir / "nowhere.csv")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert [p.file for p in exc.value.problems] == ["awards.csv"]


@pytest.mark.parametrize(
    ("file", "row_id", "column"),
    [
        ("reserves.csv", "res_chn", "id"),
        ("prices.csv", "p_ndpr_2025", "element"),
        ("facilities.csv", "mine_usa", "capacity"),
        ("us_demand.csv", "d_def_nd", "element"),
    ],
)
def test_huge_values_are_cut_in_messages(
    tiny_dir: Path, file: str, row_id: str, column: str
) -> None:
    set_cell(tiny_dir / file, row_id, column, "Q" * 100_000)
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert exc.value.problems
    for p in exc.value.problems:
        assert len(p.message) <= 300, p.message[:200]
        assert "Q" * 80 not in p.message
    assert "…" in str(exc.value)
    assert len(str(exc.value)) < 2000


def test_huge_column_name_is_cut(tiny_dir: Path) -> None:
    path = tiny_dir / "reserves.csv"
    path.write_text(path.read_text().replace("qualifier,note", "qualifier," + "n" * 100_000))
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    [problem] = exc.value.problems
    assert problem.field is not None
    assert len(problem.field) == 80
    assert problem.field.endswith("…")


def test_bad_row_in_one_table_does_not_cascade(tiny_dir: Path) -> None:
    # an unreadable header makes the table unusable: one problem, not one per reference to it
    path = tiny_dir / "sources.csv"
    path.write_text(path.read_text().replace("id,kind", "ident,kind", 1))
    found = problems_of(tiny_dir)
    assert all(f == "sources.csv" for f, _, _ in found)


# -- 7. a dataset folder with a table missing is not silently an overlay ---------------------


def test_classify_folder(tiny_dir: Path, tmp_path: Path) -> None:
    from reeplan.io.readers import classify_folder, missing_tables

    assert classify_folder(tiny_dir) == "dataset"
    assert classify_folder(tiny_dir, as_overlay=True) == "overlay"
    (tiny_dir / "awards.csv").unlink()
    assert missing_tables(tiny_dir) == ["awards"]
    assert classify_folder(tiny_dir) == "overlay"
    assert classify_folder(tiny_dir, as_dataset=True) == "dataset"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="holds no table file"):
        classify_folder(empty)
    with pytest.raises(DataError, match="does not exist"):
        classify_folder(tmp_path / "nope")
    with pytest.raises(DataError, match="not both"):
        classify_folder(tiny_dir, as_dataset=True, as_overlay=True)


def test_data_check_of_incomplete_dataset(tiny_dir: Path) -> None:
    from typer.testing import CliRunner

    from reeplan.cli import app

    (tiny_dir / "awards.csv").unlink()
    runner = CliRunner()
    res = runner.invoke(app, ["data", "check", str(tiny_dir)])
    # checked as an overlay of the bundled data (its rows clash with the bundled ones), and it
    # says so and what it lacks
    assert res.exit_code == 1
    assert "as an overlay of the bundled dataset: it lacks 1 tables (awards)" in " ".join(
        res.output.split())
    assert "use --dataset" in res.output
    res = runner.invoke(app, ["data", "check", str(tiny_dir), "--dataset"])
    assert res.exit_code == 1
    assert "table 'awards' is missing" in res.output
    assert "Traceback" not in res.output
