"""`reeplan data`: inspect and validate datasets."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reeplan.cli.common import DataOpt, OverlayOpt, out, write_json
from reeplan.cli.common import check_format as _check_format
from reeplan.cli.common import fail as _fail
from reeplan.cli.common import load as _load
from reeplan.cli.common import rich_table as _rich_table
from reeplan.errors import ReeError

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
    as_dataset: Annotated[
        bool,
        typer.Option("--dataset", help="Check DIRECTORY as a complete dataset even if it lacks "
                     "tables (each missing table is a problem)."),
    ] = False,
) -> None:
    """Validate a dataset folder (or an overlay) and list every problem with file, row, field."""
    from reeplan.io.readers import classify_folder, load_dataset, missing_tables
    from reeplan.schema import TABLES

    try:
        kind = classify_folder(directory, as_dataset=as_dataset, as_overlay=overlay_of is not None)
        if kind == "overlay" and overlay_of is None:  # say so: it may be an incomplete dataset
            lacks = missing_tables(directory)
            has = [t for t in TABLES if t not in lacks]
            what = (f"it lacks {len(lacks)} tables ({', '.join(lacks)})" if len(lacks) <= len(has)
                    else f"it holds {len(has)} of {len(TABLES)} tables ({', '.join(has)})")
            out.print(f"checking {directory} as an overlay of the bundled dataset: {what}; use "
                      "--dataset to check it as a complete dataset", markup=False, highlight=False)
        if kind == "dataset":
            ds = load_dataset(directory)
        else:
            ds = load_dataset(overlay_of, [directory])
    except ReeError as exc:
        raise _fail(exc) from None
    n = sum(len(t) for t in ds.tables.values())
    out.print(f"[green]ok[/]: {kind} {escape(str(directory))} is valid ({len(ds.tables)} tables, "
              f"{n} rows)")


@data_app.command("show")
def data_show(
    table: Annotated[str, typer.Argument(help="Table name, e.g. facilities.")],
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Rows to show in table format (0 = all).")] = 0,
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Comma-separated columns to show (default: as many as fit the "
        "terminal; 'all' for every column).", show_default=False)] = None,
) -> None:
    """Print one table of the dataset (compact by default; --format csv|json for all of it)."""
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
    hidden: list[str] = []
    if columns and columns != "all":
        wanted = [c.strip() for c in columns.split(",") if c.strip()]
        unknown = [c for c in wanted if c not in frame.columns]
        if unknown:
            raise _fail(ReeError(f"unknown column(s) {', '.join(unknown)} of {table}; columns: "
                                 f"{', '.join(map(str, frame.columns))}"))
        frame = frame[wanted]
    elif columns is None and fmt == "table":
        from reeplan.cli.common import console_width, fit_columns

        shown_cols = fit_columns(frame, console_width())
        hidden = [str(c) for c in frame.columns if c not in shown_cols]
        frame = frame[shown_cols]
    if fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    elif fmt == "json":
        write_json(frame)
    else:
        shown = frame if limit <= 0 else frame.head(limit)
        out.print(_rich_table(shown, title=f"{table} ({len(frame)} rows)"))
        if hidden:
            out.print(f"{len(hidden)} more column(s) not shown: {', '.join(hidden)}. Use "
                      "--columns a,b,c, --columns all, or --format csv|json.", markup=False)
