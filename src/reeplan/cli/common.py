"""Shared pieces of the CLI modules: the consoles, options, settings, errors, tables, JSON."""

from __future__ import annotations

import math
import os
import re
import signal
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "DataOpt",
    "Interrupted",
    "OverlayOpt",
    "check_format",
    "check_output_dir",
    "check_output_files",
    "console_width",
    "err",
    "fail",
    "fault_point",
    "figure_files",
    "fit_columns",
    "fit_to_terminal",
    "install_signal_handlers",
    "interruption",
    "load",
    "mask_secrets",
    "os_errors",
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


EXIT_OK = 0
"""The command did what was asked."""
EXIT_FAILED = 1
"""Bad input (a file, an option value, an output path) or a failed run; a message says why."""
EXIT_USAGE = 2
"""Usage error found by the command-line parser itself (unknown option, missing argument)."""
EXIT_INTERRUPTED = 130
"""Interrupted by Ctrl-C or SIGTERM (``interrupted by ...`` on stderr)."""

_SECRET_URL = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")
_SECRET_ARG = re.compile(r"(?i)(?P<head>\b(?:password|passwd|pwd)=)[^&\s;]+")


def mask_secrets(text: str) -> str:
    """``text`` with passwords in URLs (``postgresql://u:PW@host``) and ``password=`` pairs
    replaced by ``***``.

    Examples
    --------
    >>> mask_secrets("cannot connect to postgresql://u:s3cret@db/x")
    'cannot connect to postgresql://u:***@db/x'
    """
    text = _SECRET_URL.sub(r"\g<head>***@", text)
    return _SECRET_ARG.sub(r"\g<head>***", text)


def fail(exc: Exception) -> typer.Exit:
    """Print a ReeError (each problem on its own line, secrets masked) and return the exit
    (code 1) to raise."""
    if isinstance(exc, DataError):
        err.print(f"[bold red]error:[/] {escape(mask_secrets(exc.header))}: "
                  f"{len(exc.problems)} problem(s)")
        for p in exc.problems:
            err.print(f"  - {mask_secrets(str(p))}", markup=False)
    else:
        err.print("[bold red]error:[/] ", end="")
        err.print(mask_secrets(str(exc)), markup=False)
    return typer.Exit(EXIT_FAILED)


# -- output paths: checked before any work, OS errors as messages ------------------------------


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_dir(folder: Path, option: str, shown: Path) -> None:
    """Create and remove a file in ``folder``: the one reliable test that it is writable."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".reeplan-probe-", dir=folder)
        os.close(fd)
        Path(probe).unlink()
    except OSError as exc:
        msg = f"{option} {shown}: cannot write in {folder}: {exc.strerror or exc}"
        raise ReeError(msg) from None


def check_output_dir(path: Path, option: str = "--out") -> Path:
    """Check, before any work, that ``path`` is a folder that can be written (or can be
    created); nothing is created.

    Raises
    ------
    ReeError
        Naming the option and the path: an existing file, a read-only folder, a parent that is
        a file, a name too long.
    """
    path = Path(path)
    try:
        if path.exists() and not path.is_dir():
            msg = f"{option} {path}: exists and is not a folder"
            raise ReeError(msg)
        base = _existing_ancestor(path)
        if not base.is_dir():
            msg = f"{option} {path}: {base} is a file, not a folder"
            raise ReeError(msg)
    except OSError as exc:
        msg = f"{option} {path}: {exc.strerror or exc}"
        raise ReeError(msg) from None
    _probe_dir(base, option, path)
    return path


def figure_files(stem: Path, option: str = "the figure path") -> list[Path]:
    """The files a figure option writes: ``STEM.html`` and ``STEM.png`` (a ``.html`` or ``.png``
    suffix of ``stem`` is dropped), as :func:`reeplan.brief.plots.write_figure` does."""
    stem = Path(stem)
    if not stem.name or stem.name in (".", ".."):
        msg = f"{option} {str(stem)!r}: not a file name (PATH.html and PATH.png are written)"
        raise ReeError(msg)
    if stem.suffix.lower() in (".html", ".png"):
        stem = stem.with_suffix("")
    return [stem.with_name(stem.name + ".html"), stem.with_name(stem.name + ".png")]


def check_output_files(paths: Iterable[Path], option: str) -> None:
    """Check, before any work, that each file can be written (its folder exists or can be
    created and is writable; the file is not a folder)."""
    for path in paths:
        path = Path(path)
        try:
            if path.is_dir():
                msg = f"{option} {path}: is a folder, not a file"
                raise ReeError(msg)
        except OSError as exc:
            msg = f"{option} {path}: {exc.strerror or exc}"
            raise ReeError(msg) from None
        check_output_dir(path.parent, option)


@contextmanager
def os_errors(what: str) -> Iterator[None]:
    """Turn an OSError (disk full, permission denied, ...) into a ReeError naming ``what``."""
    try:
        yield
    except OSError as exc:
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        msg = f"cannot {what}{where}: {exc.strerror or exc}"
        raise ReeError(msg) from None


# -- signals, interruptions and fault injection ------------------------------------------------


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM: ``str()`` is ``interrupted by SIGTERM`` (or ``Ctrl-C``)."""

    def __init__(self, how: str = "Ctrl-C") -> None:
        super().__init__(f"interrupted by {how}")
        self.how = how


_INTERRUPTIONS: list[str] = []


def _on_signal(signum: int, frame: object) -> None:
    how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    _INTERRUPTIONS.append(how)
    raise Interrupted(how)


def install_signal_handlers() -> None:
    """SIGTERM and Ctrl-C raise :class:`Interrupted` in the main thread, so a run is recorded
    as ``interrupted by SIGTERM`` (or ``Ctrl-C``) and nothing half-written is published."""
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


def interruption() -> str | None:
    """``SIGTERM`` or ``Ctrl-C`` if this process was interrupted, else ``None``."""
    return _INTERRUPTIONS[0] if _INTERRUPTIONS else None


FAULT_ENV = "REEPLAN_FAULT"
"""Fault injection for tests: ``POINT`` or ``POINT:SIGNAL`` (``after_analysis:KILL``) sends
the signal (default TERM) to this process when the run reaches ``POINT``."""


def fault_point(point: str) -> None:
    """The one place fault injection is read: kill this process at ``point`` if asked."""
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return
    name, _, sig = spec.partition(":")
    if name == point:
        os.kill(os.getpid(), getattr(signal, "SIG" + (sig or "TERM").upper()))


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
