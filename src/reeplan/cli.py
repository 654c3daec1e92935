"""Command-line interface: a thin adapter over the library.

This is the only module that prints to the terminal or sets the exit code. Every
:class:`~reeplan.errors.ReeError` becomes a readable message and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from reeplan.cli_common import DataOpt, OverlayOpt, out
from reeplan.cli_common import check_format as _check_format
from reeplan.cli_common import fail as _fail
from reeplan.cli_common import load as _load
from reeplan.cli_common import rich_table as _rich_table
from reeplan.errors import DataError, ReeError

app = typer.Typer(
    name="reeplan",
    help="Rare-earth supply-chain planning: sourced data, US exposure, disruptions, DPA awards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
data_app = typer.Typer(help="Inspect and validate datasets.", no_args_is_help=True)
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
        sys.stdout.write(frame.to_json(orient="records", indent=1) + "\n")
    else:
        shown = frame if limit <= 0 else frame.head(limit)
        out.print(_rich_table(shown, title=f"{table} ({len(frame)} rows)"))


@app.command("run")
def run(
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    year: Annotated[int, typer.Option(help="Year of the mine-production table.")] = 2025,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Run the main job on the dataset and print the decision summary."""
    from reeplan.summary import build_summary

    try:
        ds = _load(data, overlay)
        summary = build_summary(ds, year=year)
    except ReeError as exc:
        raise _fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(summary.to_dict(), indent=1, default=str) + "\n")
        return
    out.print(f"[bold]reeplan[/] — dataset {summary.dataset} (sha256 {summary.digest[:12]})")
    out.print(_rich_table(summary.mine, title=f"World mine production {year} (t REO, USGS)",
                          floatfmt={"production_t": ",.0f", "share": ".1%"}))
    out.print(f"World total (published, rounded): {summary.world_total:,.0f} t REO; "
              f"China {summary.china_mine_share:.1%}; HHI {summary.mine_hhi:.3f} "
              f"(÷ rounded world total) / {summary.mine_hhi_sum:.3f} (÷ sum of listed)")
    out.print(_rich_table(summary.concentration, title="China's share and HHI by stage",
                          floatfmt={"adversary_share": ".1%", "hhi": ".3f"}))
    out.print(_rich_table(summary.nir, title="US net import reliance, rare-earth compounds and "
                          "metals (USGS definition, (C − P)/C)",
                          floatfmt={"nir_computed": ".1%", "production_t": ",.0f",
                                    "apparent_consumption_t": ",.0f"}))

from reeplan.cli_runs import register as _register_runs; _register_runs(app)  # noqa: E402, E702, I001

from reeplan.cli_exposure import register as _register_exposure; _register_exposure(app)  # noqa: E402, E702, I001


def main() -> None:
    """Entry point of the ``reeplan`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
