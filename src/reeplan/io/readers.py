"""Read a dataset folder (and overlays) into a validated :class:`Dataset`.

Problems are collected across every file and raised together as one
:class:`~reeplan.errors.DataError`, each naming the file, the 1-based data row and the field.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat
from importlib import resources
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import ValidationError

from reeplan.errors import SHOWN_CHARS, DataError, Problem, raise_if_problems, shorten
from reeplan.io.dataset import ORIGIN_FILE, ORIGIN_ROW, Dataset, digest_files
from reeplan.schema import TABLES, Row

__all__ = [
    "MAX_TABLE_BYTES",
    "bundled_data_dir",
    "classify_folder",
    "load_dataset",
    "missing_tables",
    "read_table",
]

MAX_TABLE_BYTES = 256 * 2**20
"""Largest CSV file read (256 MiB); a larger file is a problem, not an attempt to load it."""


def bundled_data_dir() -> Path:
    """Folder of the dataset bundled inside the package."""
    return Path(str(resources.files("reeplan") / "data"))


def read_table(path: Path, model: type[Row]) -> tuple[pd.DataFrame, list[Problem]]:
    """Read and validate one CSV file against its row model.

    Parameters
    ----------
    path
        The CSV file.
    model
        The pydantic row model of the table.

    Returns
    -------
    tuple
        The valid rows as a DataFrame indexed by ``id`` (with ``_file`` and ``_row``), and the
        problems found (unknown or missing columns, invalid values, duplicate ids).
    """
    fname = path.name
    problems: list[Problem] = []
    text, problem = _read_text(path)
    if problem is not None:
        return _empty(model), [problem]
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        raw_rows = list(reader)
    except csv.Error as exc:
        line = f" (line {reader.line_num})" if reader.line_num else ""
        return _empty(model), [Problem(fname, None, None, f"not a valid CSV file{line}: {exc}")]
    if not header:
        return _empty(model), [Problem(fname, None, None, "file is empty (no header row)")]
    header = [h.strip() for h in header]
    fields = model.model_fields
    for col in header:
        if col not in fields:
            problems.append(Problem(fname, 0, _clip(col),
                                    "unknown column (not in the table's schema)"))
    for name, info in fields.items():
        if info.is_required() and name not in header:
            problems.append(Problem(fname, 0, name, "required column is missing"))
    if len(set(header)) != len(header):
        problems.append(Problem(fname, 0, None, "duplicate column names in the header"))
    if problems:
        return _empty(model), problems

    records: list[dict[str, object]] = []
    seen: dict[str, int] = {}
    for i, cells in enumerate(raw_rows, start=1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Problem(fname, i, None, f"has {len(cells)} cells, the header has {len(header)}")
            )
            continue
        data = {k: (v.strip() or None) for k, v in zip(header, cells, strict=True)}
        data = {k: v for k, v in data.items() if v is not None}
        try:
            row = model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                loc = ".".join(str(x) for x in err["loc"]) or None
                problems.append(Problem(fname, i, loc, _message(err)))
            continue
        if row.id in seen:
            problems.append(
                Problem(fname, i, "id", f"duplicate id {row.id!r} (first at row {seen[row.id]})")
            )
            continue
        seen[row.id] = i
        rec = row.model_dump()
        rec[ORIGIN_FILE] = str(path)
        rec[ORIGIN_ROW] = i
        records.append(rec)
    frame = pd.DataFrame.from_records(records, columns=[*_columns(model), ORIGIN_FILE, ORIGIN_ROW])
    return frame.set_index("id", drop=False), problems


def load_dataset(
    data: Path | None = None, overlays: list[Path] | tuple[Path, ...] = (), *, check: bool = True
) -> Dataset:
    """Load a whole dataset folder, apply overlays by id, and run the consistency checks.

    Parameters
    ----------
    data
        Dataset folder (one CSV per table); ``None`` for the bundled dataset.
    overlays
        Folders whose CSV files add rows to, or replace rows (by ``id``) of, the named tables.
    check
        Run :func:`reeplan.io.checks.check_dataset` and raise on errors.

    Returns
    -------
    Dataset
        The validated tables.

    Raises
    ------
    DataError
        With every problem found, each naming file, row and field.
    """
    base = Path(data) if data is not None else bundled_data_dir()
    problems: list[Problem] = []
    read: list[Path] = []
    tables: dict[str, pd.DataFrame] = {}
    if not base.is_dir():
        raise DataError([Problem(str(base), None, None, "dataset folder does not exist")])
    problems += _unknown_files(base)
    unreadable: set[str] = set()
    for name, model in TABLES.items():
        path = base / f"{name}.csv"
        if not _lexists(path):
            problems.append(Problem(path.name, None, None, f"table '{name}' is missing"))
            tables[name] = _empty(model)
            unreadable.add(name)
            continue
        frame, found = read_table(path, model)
        tables[name] = frame
        problems += found
        if _file_level(found):
            unreadable.add(name)
        if _is_regular(path):
            read.append(path)
    for overlay in overlays:
        overlay = Path(overlay)
        if not overlay.is_dir():
            problems.append(Problem(str(overlay), None, None, "overlay folder does not exist"))
            continue
        problems += _unknown_files(overlay)
        for name, model in TABLES.items():
            path = overlay / f"{name}.csv"
            if not _lexists(path):
                continue
            frame, found = read_table(path, model)
            problems += found
            if _file_level(found):
                unreadable.add(name)
            if _is_regular(path):
                read.append(path)
            tables[name] = _apply_overlay(tables[name], frame)
    try:
        digest = digest_files(read)
    except OSError as exc:  # a file removed or made unreadable while the dataset was read
        problems.append(Problem(str(base), None, None, f"cannot read the dataset: {exc}"))
        digest = ""
    ds = Dataset(tables, (base, *map(Path, overlays)), digest, tuple(map(str, read)))
    # cross-table checks need every table: with one missing or unreadable they would only
    # report its absence again, row by row (one cause, hundreds of problems)
    if check and not unreadable:
        # consistency checks run on the rows that were valid, so one pass reports everything
        from reeplan.io.checks import check_dataset

        try:
            check_dataset(ds)
        except DataError as exc:
            rejected = _rejected_ids(read, tables) if problems else set()
            # a reference to a row that was rejected above is a consequence, not a new problem
            problems += [p for p in exc.problems
                         if not any(f"{r!r}" in p.message for r in rejected)]
    raise_if_problems([_clip_problem(p) for p in problems], "invalid dataset")
    return ds


FolderKind = Literal["dataset", "overlay"]


def missing_tables(folder: Path) -> list[str]:
    """Names of the tables (in load order) that have no ``<table>.csv`` in ``folder``."""
    return [name for name in TABLES if not _lexists(Path(folder) / f"{name}.csv")]


def classify_folder(
    folder: Path, *, as_dataset: bool = False, as_overlay: bool = False
) -> FolderKind:
    """Whether ``folder`` is to be checked as a complete dataset or as an overlay.

    The rule (``reeplan data check`` follows it):

    * a folder holding a CSV file for every table is a **dataset**;
    * a folder holding some tables is an **overlay** (of the bundled dataset unless another is
      named) -- unless the caller asks for a dataset (``as_dataset``, ``data check --dataset``):
      then it is an *incomplete* dataset and loading it reports each missing table. Callers that
      classify a partial folder as an overlay should name the tables it lacks
      (:func:`missing_tables`), so an incomplete dataset is never passed off silently;
    * ``as_overlay`` (``data check --overlay-of``) makes any folder an overlay;
    * a folder with no table file at all is neither: that is an error, as is a path that is not
      a folder, or asking for both.

    Raises
    ------
    DataError
        When ``folder`` is not a folder, holds no table and no kind is asked for, or both kinds
        are asked for.
    """
    folder = Path(folder)
    if as_dataset and as_overlay:
        raise DataError([Problem("<options>", None, None,
                                 "a folder is checked as a dataset or as an overlay, not both")])
    if not folder.is_dir():
        raise DataError([Problem(str(folder), None, None, "folder does not exist")])
    if as_overlay:
        return "overlay"
    missing = missing_tables(folder)
    if not missing or as_dataset:
        return "dataset"
    if len(missing) == len(TABLES):
        raise DataError([Problem(str(folder), None, None,
                                 f"holds no table file (known tables: {', '.join(TABLES)})")])
    return "overlay"


def _rejected_ids(paths: list[Path], tables: dict[str, pd.DataFrame]) -> set[str]:
    """Ids of rows present in the files read but rejected by validation."""
    out: set[str] = set()
    for path in paths:
        name = path.stem
        text, problem = _read_text(path)
        if problem is not None:
            continue
        try:
            ids = {str(row.get("id") or "").strip()
                   for row in csv.DictReader(io.StringIO(text, newline=""))}
        except csv.Error:
            continue
        out |= {i for i in ids if i} - set(tables.get(name, pd.DataFrame()).index)
    return out


def _lexists(path: Path) -> bool:
    """Whether anything (file, folder, FIFO, dangling link) has this name."""
    try:
        path.lstat()
    except OSError:
        return False
    return True


def _is_regular(path: Path) -> bool:
    """Whether ``path`` is (or links to) a regular file; never opens it."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _file_level(problems: list[Problem]) -> bool:
    """Whether the problems say the file could not be read at all (header or file problems)."""
    return any(p.row is None or p.row == 0 for p in problems)


def _read_text(path: Path) -> tuple[str, Problem | None]:
    """The text of a regular UTF-8 file (a leading BOM dropped), or one problem saying why not.

    Only regular files are opened: a folder or a FIFO named like a table is a problem (a FIFO
    would block the reader forever). Text that is not UTF-8 (a latin-1 or UTF-16 export) is one
    problem naming the first bad byte and its line, not one per row.
    """
    fname = path.name
    try:
        info = path.stat()
    except OSError as exc:
        return "", Problem(fname, None, None, f"cannot read file: {exc.strerror or exc}")
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        return "", Problem(fname, None, None, f"is {kind}; a table must be a CSV file")
    if info.st_size > MAX_TABLE_BYTES:
        return "", Problem(fname, None, None, f"file is {info.st_size:,} bytes, larger than "
                           f"the {MAX_TABLE_BYTES:,} bytes a table may have")
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() won't block
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return "", Problem(fname, None, None, "is not a regular file")
            data = fh.read(MAX_TABLE_BYTES + 1)
    except OSError as exc:
        return "", Problem(fname, None, None, f"cannot read file: {exc.strerror or exc}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "", Problem(fname, None, None, "file is UTF-16 text; save it as UTF-8 "
                           "(in Excel: 'CSV UTF-8')")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        return "", Problem(fname, None, None,
                           f"file is not UTF-8 text: byte 0x{byte} at offset {exc.start} "
                           f"(line {line}); save it as UTF-8 (in Excel: 'CSV UTF-8')")


def _clip(text: str, limit: int = SHOWN_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_LONG_RUN = re.compile(rf"\S{{{SHOWN_CHARS + 20},}}")


def _clip_problem(p: Problem) -> Problem:
    """The problem with any long echoed value cut, so a huge cell is not printed whole."""
    message = _LONG_RUN.sub(lambda m: _clip(m.group(0)), p.message)
    message = _clip(message, 1000)
    field = None if p.field is None else _clip(p.field)
    if message == p.message and field == p.field:
        return p
    return Problem(p.file, p.row, field, message)


def _apply_overlay(base: pd.DataFrame, over: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``over`` replace rows of ``base`` with the same id; new ids are appended."""
    if over.empty:
        return base
    kept = base.loc[~base.index.isin(over.index)]
    return pd.concat([kept, over]) if not kept.empty else over.copy()


def _unknown_files(folder: Path) -> list[Problem]:
    known = {f"{n}.csv" for n in TABLES}
    return [
        Problem(p.name, None, None, f"unknown table (known tables: {', '.join(sorted(TABLES))})")
        for p in sorted(folder.glob("*.csv"))
        if p.name not in known
    ]


def _columns(model: type[Row]) -> list[str]:
    """Display order: id, the table's own fields, then the provenance fields."""
    tail = ["source_id", "grade", "note"]
    own = [f for f in model.model_fields if f != "id" and f not in tail]
    return ["id", *own, *[f for f in tail if f in model.model_fields]]


def _empty(model: type[Row]) -> pd.DataFrame:
    return pd.DataFrame(columns=[*_columns(model), ORIGIN_FILE, ORIGIN_ROW]).set_index(
        "id", drop=False
    )


def _message(err: dict) -> str:  # type: ignore[type-arg]
    msg = str(err.get("msg", "invalid value"))
    value = err.get("input")
    if err.get("type") == "extra_forbidden":
        return "unknown column"
    if err.get("type") == "missing":
        return "required value is missing"
    if value is not None and not isinstance(value, dict):
        return f"{msg} (got {shorten(value)})"
    return msg
