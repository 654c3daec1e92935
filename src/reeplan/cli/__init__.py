"""Command-line interface: a thin adapter over :mod:`reeplan.workflows` and :mod:`reeplan.brief`.

This package is the only code that prints to the terminal or sets the exit code. One module per
command group; :mod:`reeplan.cli.common` holds the console, the shared options, the error output
and the JSON writer. Every :class:`~reeplan.errors.ReeError` becomes a readable message and exit
code 1, never a traceback.

Exit codes (the README's convention): 0 ok; 1 bad input or a failed run, with a message; 2 a
usage error found by the command-line parser (unknown option, missing argument); 130
interrupted by Ctrl-C or SIGTERM, with the message ``interrupted by ...``. An unexpected
exception (a bug) also exits with 1: a one-line message and the path of a file that holds the
traceback (``REEPLAN_DEBUG=1`` prints it).
"""

from __future__ import annotations

import sys

import typer

from reeplan.cli import (
    data,
    exposure,
    finance,
    optimize,
    rank,
    run,
    runs,
    sensitivity,
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


for _module in (data, exposure, validate, run, finance, simulate, threats, rank, sensitivity,
                optimize, runs, serve):
    _module.register(app)


def _crash_message(exc: Exception) -> str:
    """Say that reeplan itself failed, and keep the traceback in a file for the bug report.

    ``REEPLAN_DEBUG=1`` prints the traceback too. Any half-written run has already been
    marked failed by the run command's own cleanup; nothing is published.
    """
    import os
    import tempfile
    import traceback

    text = "".join(traceback.format_exception(exc))
    where = "not saved"
    try:
        fd, path = tempfile.mkstemp(prefix="reeplan-crash-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        where = path
    except OSError:
        pass
    msg = (f"internal error: {type(exc).__name__}: {str(exc)[:300]}\n"
           f"This is a bug in reeplan, not a problem with your input. The traceback is in "
           f"{where}; please attach it to a bug report.")
    if os.environ.get("REEPLAN_DEBUG"):
        msg += "\n" + text
    return msg


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``reeplan`` console script: runs the app and sets the exit code."""
    from reeplan.cli.common import (
        EXIT_FAILED,
        EXIT_INTERRUPTED,
        EXIT_USAGE,
        Interrupted,
        err,
        install_signal_handlers,
        interruption,
    )

    install_signal_handlers()
    try:
        code = app(args=argv, prog_name="reeplan", standalone_mode=False)
    except typer.Abort as exc:  # Ctrl-C or SIGTERM, converted by the parser
        cause = exc.__cause__ or exc.__context__
        how = cause.how if isinstance(cause, Interrupted) else "Ctrl-C"
        err.print(f"interrupted by {how}", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt as exc:
        how = exc.how if isinstance(exc, Interrupted) else "Ctrl-C"
        err.print(f"interrupted by {how}", markup=False)
        sys.exit(EXIT_INTERRUPTED)
    except typer.TyperException as exc:  # the parser's own errors: usage errors exit with 2
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err.print(f"error: {exc}", markup=False)
        code = getattr(exc, "exit_code", EXIT_USAGE)
        sys.exit(code if code in (EXIT_FAILED, EXIT_USAGE) else EXIT_USAGE)
    except BrokenPipeError:  # `reeplan ... | head`
        sys.stderr.close()
        sys.exit(EXIT_FAILED)
    except Exception as exc:  # a bug in reeplan: a short message, the traceback in a file
        err.print(_crash_message(exc), markup=False)
        sys.exit(EXIT_FAILED)
    code = code if isinstance(code, int) else 0
    if code == EXIT_INTERRUPTED or interruption():  # the parser turns Ctrl-C into exit 130
        err.print(f"interrupted by {interruption() or 'Ctrl-C'}", markup=False)
        code = EXIT_INTERRUPTED
    sys.exit(code)
