"""Shared fixtures: the tiny hand-made dataset and the bundled one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reeplan.io.dataset import Dataset
from reeplan.io.readers import bundled_data_dir, load_dataset

TINY = Path(__file__).parent / "data" / "tiny"


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A writable copy of the tiny hand-made dataset."""
    dest = tmp_path / "tiny"
    shutil.copytree(TINY, dest)
    return dest


@pytest.fixture(scope="session")
def bundled() -> Dataset:
    """The bundled dataset, loaded and checked once per session."""
    return load_dataset()


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled dataset folder."""
    dest = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def replace_in(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of ``old`` in the file (fails the test otherwise)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new))


@pytest.fixture(scope="session")
def small_brief(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One small run's brief (16 samples, no chokepoints), written once per session."""
    import json

    from reeplan.brief import build_brief, write_brief
    from reeplan.io.readers import load_dataset
    from reeplan.settings import Settings
    from reeplan.workflows.run import RunOptions, run_analysis

    out = tmp_path_factory.mktemp("small-brief")
    options = RunOptions.from_settings(Settings(), samples=16, seed=3, chokepoints=False)
    result = build_brief(run_analysis(load_dataset(), options))
    write_brief(result, out)
    return {"result": result, "out": out,
            "html": (out / "brief.html").read_text(encoding="utf-8"),
            "json": json.loads((out / "brief.json").read_text(encoding="utf-8"))}
