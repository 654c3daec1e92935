"""Command-line interface: a thin adapter over :mod:`reeplan.workflows` and :mod:`reeplan.brief`.

This package is the only code that prints to the terminal or sets the exit code. One module per
command group; :mod:`reeplan.cli.common` holds the console, the shared options, the error output
and the JSON writer. Every :class:`~reeplan.errors.ReeError` becomes a readable message and exit
code 1, never a traceback.
"""

from __future__ import annotations

import typer

from reeplan.cli import (
    data,
    exposure,
    finance,
    optimize,
    run,
    runs,
    serve,
    simulate,
    threats,
    validate,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="reeplan",
    help="Rare-earth supply-chain planning: sourced data, US exposure, disruptions, DPA awards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
for _module in (data, exposure, validate, run, finance, simulate, threats, optimize, runs,
                serve):
    _module.register(app)


def main() -> None:
    """Entry point of the ``reeplan`` console script."""
    app()
