"""Read a dataset folder (and overlays) into a validated :class:`Dataset`.

Problems are collected across every file and raised together as one
:class:`~reeplan.errors.DataError`, each naming the file, the 1-based data row and the field.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pandas as pd
from pydantic import ValidationError

from reeplan.errors import DataError, Problem, raise_if_problems
from reeplan.io.dataset import ORIGIN_FILE, ORIGIN_ROW, Dataset, digest_files
from reeplan.schema import TABLES, Row

__all__ = ["bundled_data_dir", "load_dataset", "read_table"]


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
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            raw_rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return _empty(model), [Problem(fname, None, None, f"cannot read file: {exc}")]
    if not header:
        return _empty(model), [Problem(fname, None, None, "file is empty (no header row)")]
    header = [h.strip() for h in header]
    fields = model.model_fields
    for col in header:
        if col not in fields:
            problems.append(Problem(fname, 0, col, "unknown column (not in the table's schema)"))
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
    for name, model in TABLES.items():
        path = base / f"{name}.csv"
        if not path.exists():
            problems.append(Problem(path.name, None, None, f"table '{name}' is missing"))
            tables[name] = _empty(model)
            continue
        frame, found = read_table(path, model)
        tables[name] = frame
        problems += found
        read.append(path)
    for overlay in overlays:
        overlay = Path(overlay)
        if not overlay.is_dir():
            problems.append(Problem(str(overlay), None, None, "overlay folder does not exist"))
            continue
        problems += _unknown_files(overlay)
        for name, model in TABLES.items():
            path = overlay / f"{name}.csv"
            if not path.exists():
                continue
            frame, found = read_table(path, model)
            problems += found
            read.append(path)
            tables[name] = _apply_overlay(tables[name], frame)
    ds = Dataset(tables, (base, *map(Path, overlays)), digest_files(read), tuple(map(str, read)))
    if check:
        # consistency checks run on the rows that were valid, so one pass reports everything
        from reeplan.io.checks import check_dataset

        try:
            check_dataset(ds)
        except DataError as exc:
            rejected = _rejected_ids(read, tables) if problems else set()
            # a reference to a row that was rejected above is a consequence, not a new problem
            problems += [p for p in exc.problems
                         if not any(f"{r!r}" in p.message for r in rejected)]
    raise_if_problems(problems, "invalid dataset")
    return ds


def _rejected_ids(paths: list[Path], tables: dict[str, pd.DataFrame]) -> set[str]:
    """Ids of rows present in the files read but rejected by validation."""
    out: set[str] = set()
    for path in paths:
        name = path.stem
        try:
            with path.open(newline="", encoding="utf-8") as fh:
                ids = {row.get("id", "").strip() for row in csv.DictReader(fh)}
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
        out |= {i for i in ids if i} - set(tables.get(name, pd.DataFrame()).index)
    return out


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
        return f"{msg} (got {value!r})"
    return msg
