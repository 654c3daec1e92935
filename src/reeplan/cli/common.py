"""Shared pieces of the CLI modules: the consoles, options, settings, errors, tables, JSON."""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reeplan.errors import DataError, ReeError
from reeplan.io.dataset import Dataset
from reeplan.io.jsonable import dumps
from reeplan.settings import Settings, get_settings

__all__ = [
    "DataOpt",
    "OverlayOpt",
    "check_format",
    "console_width",
    "err",
    "fail",
    "fit_columns",
    "fit_to_terminal",
    "load",
    "out",
    "rich_table",
    "settings",
    "write_json",
]

def _width() -> int | None:
    """``COLUMNS`` if set, else the terminal's width; 160 when output is not a terminal."""
    cols = os.environ.get("COLUMNS", "")
    if cols.isdigit() and int(cols) > 0:
        return int(cols)
    return None if sys.stdout.isatty() else 160


out = Console(highlight=False, soft_wrap=False, width=_width())
err = Console(stderr=True, highlight=False, width=_width())



def fit_to_terminal() -> None:
    """Size the consoles to the terminal (or ``COLUMNS``) now, at the start of a command."""
    import shutil

    width = _width() or shutil.get_terminal_size().columns
    out.width = width
    err.width = width


DataOpt = Annotated[
    Path | None,
    typer.Option("--data", help="Dataset folder to use instead of the bundled data.",
                 show_default=False),
]
OverlayOpt = Annotated[
    list[Path] | None,
    typer.Option("--overlay", help="Folder of CSV rows that add or replace rows by id "
                 "(repeatable).", show_default=False),
]


def fail(exc: Exception) -> typer.Exit:
    """Print a ReeError (each problem on its own line) and return the exit to raise."""
    if isinstance(exc, DataError):
        err.print(f"[bold red]error:[/] {exc.header}: {len(exc.problems)} problem(s)")
        for p in exc.problems:
            err.print(f"  - {p}", markup=False)
    else:
        err.print("[bold red]error:[/] ", end="")
        err.print(str(exc), markup=False)
    return typer.Exit(1)


def load(data: Path | None, overlay: list[Path] | None) -> Dataset:
    """Load and check the dataset (bundled unless ``--data``), applying overlays."""
    from reeplan.io.readers import load_dataset

    return load_dataset(data, overlay or [])


def settings(**options: object) -> Settings:
    """The settings, with the options the user gave (``None``: not given) taking precedence."""
    return get_settings(**options)


def write_json(obj: object) -> None:
    """Print ``obj`` as strict JSON (missing and infinite values as ``null``)."""
    sys.stdout.write(dumps(obj) + "\n")


def check_format(fmt: str, allowed: tuple[str, ...] = ("table", "csv", "json")) -> None:
    """Raise ReeError unless ``fmt`` is one of ``allowed``."""
    if fmt not in allowed:
        msg = f"--format must be one of {', '.join(allowed)}, not {fmt!r}"
        raise ReeError(msg)


def rich_table(frame: pd.DataFrame, title: str = "", floatfmt: dict[str, str] | None = None
               ) -> Table:
    """A rich Table of a DataFrame, numbers formatted per column.

    A column in ``floatfmt`` uses that format spec; every other number is written as the brief
    writes it (:func:`reeplan.brief.formats.format_cell`): years as integers, tonnes with
    thousands separators, "E" for a net exporter, an infinite time to survive as "no shortfall
    before 2040", never scientific notation.
    """
    from reeplan.brief.formats import column_kind, format_cell

    floatfmt = floatfmt or {}
    t = Table(title=title, title_justify="left", show_lines=False)
    kinds = {col: column_kind(str(col), frame[col]) for col in frame.columns}
    for col in frame.columns:
        t.add_column(str(col), overflow="fold",
                     justify="left" if kinds[col] == "text" else "right")
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            v = row[col]
            if v is None or (isinstance(v, float) and v != v):
                cells.append(format_cell(v, kinds[col], str(col)) if kinds[col] == "nir" else "")
            elif (isinstance(v, float) and col in floatfmt and math.isfinite(v)
                  and kinds[col] not in ("nir", "years")):
                cells.append(format(v, floatfmt[col]))
            elif isinstance(v, int | float) and not isinstance(v, bool):
                cells.append(escape(format_cell(v, kinds[col], str(col))))
            else:
                cells.append(escape(str(v)))
        t.add_row(*cells)
    return t


def fit_columns(frame: pd.DataFrame, width: int, keep: tuple[str, ...] = ("id",)) -> list[str]:
    """Columns of ``frame`` that fit in ``width`` characters, in order (``keep`` first)."""
    from reeplan.brief.formats import column_kind, format_cell

    cols = [c for c in keep if c in frame.columns]
    cols += [c for c in frame.columns if c not in cols]
    chosen: list[str] = []
    used = 4
    for c in cols:
        kind = column_kind(str(c), frame[c])
        sample = [len(format_cell(v, kind, str(c))) for v in frame[c].head(40)]
        w = max([len(str(c)), *sample, 1]) + 3
        if chosen and (used + w > width or (w > 33 and c not in keep)):
            continue  # long free text (names, notes, URLs) only on request
        chosen.append(str(c))
        used += w
    return chosen


def console_width() -> int:
    """Width of the output console in characters."""
    return out.width
