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


def _version(value: bool) -> None:
    if value:
        from reeplan.version import code_version

        typer.echo(f"reeplan {code_version()}")
        raise typer.Exit()


@app.callback()
def _main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Rare-earth supply-chain planning: sourced data, US exposure, disruptions, DPA awards."""
    from reeplan.cli.common import fit_to_terminal

    fit_to_terminal()


for _module in (data, exposure, validate, run, finance, simulate, threats, optimize, runs):
    _module.register(app)


def main() -> None:
    """Entry point of the ``reeplan`` console script."""
    app()
