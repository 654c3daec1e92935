"""Mutation fuzz of the bundled dataset and of overlays (issue 17).

Every mutated input must either load or raise :class:`~reeplan.errors.DataError` whose problems
name a file -- never another exception (a traceback for the user) and never a hang. Cells are
set to NaN, infinities, huge or negative numbers, empty strings, unicode, Rich markup, Excel
formulas, long strings and wrong types; rows and columns are dropped and duplicated; bytes are
inserted. ``REEPLAN_FUZZ_EXAMPLES`` sets the examples per target (``make fuzz``: 1000).
"""

from __future__ import annotations

import csv
import io
import shutil
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reeplan.errors import DataError
from reeplan.io.readers import bundled_data_dir, load_dataset
from reeplan.schema import TABLES
from tests.fuzz.conftest import EXAMPLE_SECONDS, EXAMPLES, TALLY

pytestmark = pytest.mark.timeout(120 + 10 * EXAMPLES)

NAMES = sorted(TABLES)

BAD_CELLS = [
    "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "1e-400", "-1", "-0",
    "0", "", " ", "9" * 400, "9" * 5000, "99999999999999999999", "0x10", "1_000", "1,5",
    "١٢", "２０２５", "true", "None", "null", "[]", "{}", "2025-13-45", "0000-00-00",
    "[/bold]", "[link=https://example.com]x[/link]", "China [/bold]", "[red]x",
    '=HYPERLINK("x")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)",
    "x" * 100_000, "Q" * 81, "\x00", "a\x00b", "a\nb", "a\r\nb", '"', "'", ";", ";;", "Nd;;Pr",
    "\u202eevil", "\ufeff", "😀", "ℕ𝕕", "é", "\t", "A" * 80, "A" * 81, "USA;CHN", "WLD", "ROW",
    "Nd", "mine_usa", "china_separation_quota", "src_a",
]
"""Hand-picked hostile cell values (mixed with hypothesis' own text, floats and integers)."""


def _cell() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(BAD_CELLS),
        st.text(max_size=40),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
    )


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")


@st.composite
def _mutated(draw: st.DrawFn, rows: list[list[str]]) -> list[list[str]]:
    """Rows of one CSV file (header first) with one to three mutations."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(
            ["cell", "cell", "cell", "drop_row", "dup_row", "drop_col", "dup_col", "rename_col",
             "header_cell", "ragged", "empty"]))
        width = len(rows[0]) if rows else 0
        body = len(rows) - 1
        if kind == "cell" and body > 0 and width:
            r = draw(st.integers(1, body))
            c = draw(st.integers(0, len(rows[r]) - 1)) if rows[r] else 0
            if rows[r]:
                rows[r][c] = draw(_cell())
        elif kind == "drop_row" and body > 0:
            del rows[draw(st.integers(1, body))]
        elif kind == "dup_row" and body > 0:
            r = draw(st.integers(1, body))
            rows.insert(r, list(rows[r]))
        elif kind in ("drop_col", "dup_col", "rename_col") and width:
            c = draw(st.integers(0, width - 1))
            for row in rows:
                if c < len(row):
                    if kind == "drop_col":
                        del row[c]
                    elif kind == "dup_col":
                        row.insert(c, row[c])
            if kind == "rename_col":
                rows[0][c] = draw(_cell())
        elif kind == "header_cell" and rows:
            rows[0].append(draw(_cell()))
        elif kind == "ragged" and rows:
            rows.append([draw(_cell()) for _ in range(draw(st.integers(0, width + 2)))])
        elif kind == "empty":
            rows = draw(st.sampled_from([[], [[]], rows[:1]]))
    return rows


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One writable copy of the bundled dataset; each example restores what it changed."""
    dest = tmp_path_factory.mktemp("fuzz") / "data"
    shutil.copytree(bundled_data_dir(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def _attempt(target: str, data: Path, overlays: list[Path] | None = None) -> None:
    """Load; count the outcome; anything but success or DataError fails the example."""
    start = time.perf_counter()
    problems = None
    try:
        load_dataset(data, overlays or [])
    except DataError as exc:
        TALLY[f"{target}:data_error"] += 1
        problems = exc.problems
    except BaseException:
        TALLY[f"{target}:traceback"] += 1
        raise
    else:
        TALLY[f"{target}:ok"] += 1
    finally:
        ms = int(1000 * (time.perf_counter() - start))
        TALLY["slowest_ms"] = max(TALLY["slowest_ms"], ms)
    if problems is not None:  # every problem names its file, and huge values are cut
        assert problems
        for p in problems:
            assert isinstance(p.file, str)
            assert p.file
            assert len(p.message) <= 1000
            assert p.field is None or len(p.field) <= 80
    if ms > 1000 * EXAMPLE_SECONDS:
        TALLY[f"{target}:hang"] += 1
        pytest.fail(f"loading took {ms / 1000:.1f} s")


@settings(settings.get_profile("reeplan-fuzz"))
@given(data=st.data())
def test_fuzz_dataset_cells_rows_columns(scratch: Path, data: st.DataObject) -> None:
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=2, unique=True))
    saved = {n: (scratch / f"{n}.csv").read_bytes() for n in names}
    try:
        for n in names:
            path = scratch / f"{n}.csv"
            _write(path, data.draw(_mutated(_read(path)), label=n))
        _attempt("dataset", scratch)
    finally:
        for n, raw in saved.items():
            (scratch / f"{n}.csv").write_bytes(raw)


@settings(settings.get_profile("reeplan-fuzz"))
@given(data=st.data())
def test_fuzz_dataset_bytes(scratch: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(NAMES))
    path = scratch / f"{name}.csv"
    raw = path.read_bytes()
    try:
        kind = data.draw(st.sampled_from(["insert", "replace", "truncate", "prefix"]))
        at = data.draw(st.integers(0, len(raw)))
        junk = data.draw(st.one_of(
            st.binary(min_size=1, max_size=16),
            st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xe9", b"\x00", b"\r", b'"',
                             b"\xc3", "é".encode("latin-1"), b"\x1a"]),
        ))
        if kind == "insert":
            new = raw[:at] + junk + raw[at:]
        elif kind == "replace":
            new = raw[:at] + junk + raw[at + len(junk):]
        elif kind == "truncate":
            new = raw[:at]
        else:
            new = junk + raw
        path.write_bytes(new)
        _attempt("bytes", scratch)
    finally:
        path.write_bytes(raw)


@settings(settings.get_profile("reeplan-fuzz"))
@given(data=st.data())
def test_fuzz_overlay(scratch: Path, tmp_path_factory: pytest.TempPathFactory,
                      data: st.DataObject) -> None:
    over = tmp_path_factory.mktemp("overlay")
    names = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    for n in names:
        rows = _read(bundled_data_dir() / f"{n}.csv")
        picked = data.draw(st.lists(st.integers(1, max(1, len(rows) - 1)), max_size=4),
                           label=f"{n} rows")
        rows = [rows[0], *(rows[i] for i in picked if i < len(rows))]
        _write(over / f"{n}.csv", data.draw(_mutated(rows), label=n))
    _attempt("overlay", bundled_data_dir(), [over])
    shutil.rmtree(over, ignore_errors=True)
