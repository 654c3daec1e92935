"""`reeplan sensitivity`: global sensitivity (Morris or Sobol, SALib) of the headline
consequence over the parameter ranges of parameters.csv and the consequence tables.

Exposes :func:`register` only; the main CLI wires it in.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    fail,
    load,
    out,
    rich_table,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register", "sensitivity"]


def register(app: typer.Typer) -> None:
    """Add the ``sensitivity`` command to ``app``."""
    app.command("sensitivity")(sensitivity)


def sensitivity(
    scenario: Annotated[str, typer.Option("--scenario", "-s",
                                          help="Scenario (preset, YAML or 'threats').")
                        ] = "threats",
    samples: Annotated[int, typer.Option(help="Monte Carlo samples per model run.")] = 50,
    trajectories: Annotated[int, typer.Option(
        help="Morris trajectories (runs = trajectories x (parameters + 1)); Sobol base N.")] = 4,
    method: Annotated[str, typer.Option(help="morris or sobol.")] = "morris",
    param: Annotated[list[str] | None, typer.Option(
        "--param", help="Restrict to these parameters.csv ids (repeatable).")] = None,
    seed: Annotated[int | None, typer.Option(
        help="Random seed (same seed, same result) \\[default: 20250404].",
        show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Rank parameters by their effect on expected downstream output at risk (USD)."""
    from reeplan.workflows.consequences import sensitivity as run_sensitivity

    try:
        check_format(fmt)
        seed = settings(seed=seed).seed
        ds = load(data, overlay)
        table = run_sensitivity(ds, scenario, samples, seed, method, trajectories, param)
    except (ReeError, ValueError) as exc:
        raise fail(exc) from None
    if fmt == "csv":
        typer.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        write_json(table)
    else:
        out.print(rich_table(table, f"Sensitivity ({method}) of expected output at risk (USD)",
                             {"importance": ",.4g", "spread": ",.4g", "output_at_low": ",.4g",
                              "output_at_high": ",.4g"}))
