"""Publish a brief all at once: a per-run folder and a ``latest`` pointer switched by one rename.

Layout of the output folder (``--out``, default ``out/``)::

    out/runs/20251205T101500Z-1a2b3c/brief.html, brief.xlsx, brief.json   one folder per run
    out/latest -> runs/20251205T101500Z-1a2b3c                            the published run
    out/brief.html -> latest/brief.html                                   stable names, created
    out/brief.xlsx -> latest/brief.xlsx                                   once, that always
    out/brief.json -> latest/brief.json                                   follow ``latest``

A run writes its three files into a hidden staging folder ``out/runs/.staging-PID-XXXX``; when
all three are complete it calls ``before_publish`` (``reeplan run`` commits the run store
there), renames the staging folder to its run folder and then switches ``latest`` with one
atomic rename of a symbolic link. A reader therefore sees either the previous brief or the new
one, never a mix; a run that fails or is killed at any point before the switch leaves the
published brief as it was. Staging folders of dead processes are removed, and only the newest
:data:`KEEP_RUNS` run folders are kept.

Where symbolic links cannot be made (some Windows set-ups) the three files are copied into
``out/`` one at a time instead, each replaced atomically; there a signal between two files can
leave files of two runs side by side.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["KEEP_RUNS", "publish"]

KEEP_RUNS = 10
"""Run folders kept in ``out/runs`` (the published one is always kept)."""

RUNS = "runs"
LATEST = "latest"
_STAGING = ".staging-"


def publish(out_dir: Path, names: Sequence[str], write: Callable[[Path], None],
            before_publish: Callable[[], None] | None = None) -> list[Path]:
    """Write a brief with ``write(folder)`` and publish its files ``names`` together.

    Parameters
    ----------
    out_dir
        The output folder (created if needed).
    names
        File names ``write`` creates in the folder it is given.
    write
        Writes every file of the brief into the folder it is given.
    before_publish
        Called once everything is written and before anything is published (commit the run
        store here); if it raises, nothing is published.

    Returns
    -------
    list of Path
        ``out_dir / name`` for each name: the published files.
    """
    out_dir = Path(out_dir)
    runs = out_dir / RUNS
    runs.mkdir(parents=True, exist_ok=True)
    _remove_dead_staging(runs)
    staging = runs / f"{_STAGING}{os.getpid()}-{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        write(staging)
        missing = [n for n in names if not (staging / n).is_file()]
        if missing:
            msg = f"the brief is incomplete: {', '.join(missing)} not written"
            raise OSError(msg)
        if before_publish is not None:
            before_publish()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        final = runs / f"{stamp}-{secrets.token_hex(3)}"
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if not _switch_latest(out_dir, final, names):
        _copy_files(final, out_dir, names)
    _prune(runs, keep=final)
    return [out_dir / n for n in names]


def _switch_latest(out_dir: Path, final: Path, names: Sequence[str]) -> bool:
    """Point ``latest`` at ``final`` by one rename; make the stable names link through it."""
    tmp = out_dir / f".latest-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        tmp.symlink_to(Path(RUNS) / final.name, target_is_directory=True)
    except (OSError, NotImplementedError):
        return False
    try:
        tmp.replace(out_dir / LATEST)  # the one atomic step that publishes the run
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    for name in names:
        link = out_dir / name
        target = Path(LATEST) / name
        if link.is_symlink() and link.readlink() == target:
            continue
        tmp_link = out_dir / f".{name}-{secrets.token_hex(4)}"
        tmp_link.symlink_to(target)
        tmp_link.replace(link)  # a brief file of an older reeplan becomes a link
    return True


def _copy_files(final: Path, out_dir: Path, names: Sequence[str]) -> None:
    for name in names:
        tmp = out_dir / f".{name}-{secrets.token_hex(4)}"
        shutil.copyfile(final / name, tmp)
        tmp.replace(out_dir / name)


def _remove_dead_staging(runs: Path) -> None:
    """Staging folders left by processes that no longer exist (killed mid-write)."""
    for folder in runs.glob(f"{_STAGING}*"):
        pid = folder.name[len(_STAGING):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _prune(runs: Path, keep: Path) -> None:
    """Keep the newest :data:`KEEP_RUNS` run folders (and the published one)."""
    folders = sorted(p for p in runs.iterdir()
                     if p.is_dir() and not p.name.startswith(".") and not p.is_symlink())
    for old in folders[:-KEEP_RUNS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
