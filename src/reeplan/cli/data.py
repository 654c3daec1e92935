"""`reeplan data`: inspect and validate datasets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from reeplan.cli.common import DataOpt, OverlayOpt, out, write_json
from reeplan.cli.common import check_format as _check_format
from reeplan.cli.common import fail as _fail
from reeplan.cli.common import load as _load
from reeplan.cli.common import rich_table as _rich_table
from reeplan.errors import DataError, ReeError

data_app = typer.Typer(help="Inspect and validate datasets.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``data`` command group to ``app``."""
    app.add_typer(data_app, name="data")


@data_app.command("check")
def data_check(
    directory: Annotated[Path, typer.Argument(help="Dataset or overlay folder to validate.")],
    overlay_of: Annotated[
        Path | None,
        typer.Option("--overlay-of", help="Treat DIRECTORY as an overlay of this dataset "
                     "(default: of the bundled data when DIRECTORY lacks tables)."),
    ] = None,
) -> None:
    """Validate a dataset folder (or an overlay) and list every problem with file, row, field."""
    from reeplan.io.readers import load_dataset
    from reeplan.schema import TABLES

    try:
        if not directory.is_dir():
            raise DataError([_problem(str(directory), "folder does not exist")])
        full = all((directory / f"{t}.csv").exists() for t in TABLES)
        if full and overlay_of is None:
            ds = load_dataset(directory)
            kind = "dataset"
        else:
            ds = load_dataset(overlay_of, [directory])
            kind = "overlay"
    except ReeError as exc:
        raise _fail(exc) from None
    n = sum(len(t) for t in ds.tables.values())
    out.print(f"[green]ok[/]: {kind} {directory} is valid ({len(ds.tables)} tables, {n} rows)")


def _problem(file: str, message: str):
    from reeplan.errors import Problem

    return Problem(file, None, None, message)


@data_app.command("show")
def data_show(
    table: Annotated[str, typer.Argument(help="Table name, e.g. facilities.")],
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows to show in table format (0 = all).")] = 0,
) -> None:
    """Print one table of the dataset."""
    try:
        ds = _load(data, overlay)
        if table not in ds:
            from reeplan.schema import TABLES

            msg = f"unknown table {table!r}; tables: {', '.join(TABLES)}"
            raise ReeError(msg)
        _check_format(fmt)
    except ReeError as exc:
        raise _fail(exc) from None
    frame = ds[table]
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        write_json(frame)
    else:
        shown = frame if limit <= 0 else frame.head(limit)
        out.print(_rich_table(shown, title=f"{table} ({len(frame)} rows)"))
