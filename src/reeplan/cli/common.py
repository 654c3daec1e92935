"""Shared pieces of the CLI modules: the consoles, options, settings, errors, tables, JSON."""

from __future__ import annotations

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
    "err",
    "fail",
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
    """A rich Table of a DataFrame, floats formatted per column."""
    floatfmt = floatfmt or {}
    t = Table(title=title, title_justify="left", show_lines=False)
    for col in frame.columns:
        t.add_column(str(col), overflow="fold")
    for _, row in frame.iterrows():
        cells = []
        for col in frame.columns:
            v = row[col]
            if v is None or (isinstance(v, float) and v != v):
                cells.append("")
            elif isinstance(v, float):
                cells.append(format(v, floatfmt.get(col, ",.4g")))
            else:
                cells.append(escape(str(v)))
        t.add_row(*cells)
    return t
