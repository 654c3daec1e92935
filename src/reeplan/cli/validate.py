"""`reeplan validate`: the model's own aggregates beside published ones, with tolerance.

Exposes :func:`register` only; the main CLI wires it in. Exit status 1 when any benchmark is
outside its tolerance (verdict ``warn``), so a CI job can run it on a dataset or overlay.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    err,
    fail,
    load,
    out,
    rich_table,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register", "validate"]


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to ``app``."""
    app.command("validate")(validate)


def validate(
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Compare world/China mine output, China's share per stage, US production and NIR,
    company-reported output and US magnet imports with published figures (benchmarks.csv)."""
    from reeplan.chain import build_chain
    from reeplan.indicators.validation import validation_table

    try:
        check_format(fmt)
        ds = load(data, overlay)
        table = validation_table(ds, build_chain(ds))
    except ReeError as exc:
        raise fail(exc) from None
    if fmt == "csv":
        typer.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        write_json(table)
    else:
        shown = table.drop(columns=["note"])
        out.print(rich_table(shown, "Validation: model vs published (verdict ok = inside \\[low, "
                                    "high])"))
    bad = table[table["verdict"] != "ok"]
    if len(bad):
        err.print(f"[bold yellow]{len(bad)} benchmark(s) outside tolerance:[/] "
                  + ", ".join(bad["id"]))
        raise typer.Exit(1)
