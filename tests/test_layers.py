"""The layer contracts (pyproject `[tool.importlinter]`) hold; an upward import breaks them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


def test_layer_contracts_hold() -> None:
    res = _lint(ROOT / "src")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "0 broken" in res.stdout


def test_an_upward_import_breaks_the_contracts(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "reeplan", tmp_path / "reeplan",
                    ignore=shutil.ignore_patterns("__pycache__", "data", "scenarios"))
    params = tmp_path / "reeplan" / "chain" / "params.py"
    params.write_text(params.read_text() + "\nimport reeplan.workflows.run  # upward\n")
    res = _lint(tmp_path)
    assert res.returncode != 0
    assert "reeplan.chain.params -> reeplan.workflows.run" in res.stdout
