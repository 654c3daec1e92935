"""reeplan's version, and the exact code a run used (recorded with every run)."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

__all__ = ["__version__", "code_version"]

__version__ = "0.2.0"


@functools.cache
def code_version() -> str:
    """``reeplan.__version__``, plus ``+g<commit>[.dirty]`` when running from a git checkout."""
    version = __version__
    pkg = Path(__file__).resolve().parent
    try:
        top = _git(pkg, "rev-parse", "--show-toplevel")
        if top is None or Path(top).resolve() / "src" / "reeplan" != pkg:
            return version  # installed copy, perhaps inside some unrelated repository
        commit = _git(pkg, "rev-parse", "--short=12", "HEAD")
        dirty = _git(pkg, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return version
    if not commit:
        return version
    return f"{version}+g{commit}" + (".dirty" if dirty else "")


def _git(cwd: Path, *args: str) -> str | None:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5,
                          check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None
