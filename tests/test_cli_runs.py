"""``reeplan runs list|show|diff`` on a SQLite store in ``tmp_path``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from reeplan.cli import app
from reeplan.store import RunStore

runner = CliRunner()
DIGEST = "cd" * 32


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A store with two succeeded runs (seeds 1, 2; the second with an overlay), one failed."""
    path = tmp_path / "runs.sqlite"
    with RunStore(path) as st:
        for seed, overlays, shortfall in [(1, [], 1000.0), (2, ["/ov/lynas"], 800.0)]:
            options = {"budget": 2.5e9, "samples": 200, "seed": seed, "overlay": overlays}
            with st.run("run", options, DIGEST, ["/data", *overlays], seed=seed) as run:
                run.record(
                    tables={"exposure": pd.DataFrame({"element": ["Nd", "Dy"],
                                                      "china_share": [0.9, 0.99]})},
                    metrics={"shortfall_t": (shortfall, "t", "Expected shortfall, China ban"),
                             "awards": (3, "count", "Recommended awards")},
                    timings={"exposure": 0.5, "optimise": 1.25},
                )
        run_id = st.start_run("run", {"seed": 3}, DIGEST, ["/data"], seed=3)
        st.fail(run_id, "ValueError: solver exploded")
    return path


def _ids(path: Path) -> list[str]:
    with RunStore(path) as st:
        return [r.id for r in reversed(st.list_runs(limit=0))]  # oldest first


def _invoke(*args: str) -> object:
    return runner.invoke(app, ["runs", *args])


def test_list(store_path: Path) -> None:
    result = _invoke("list", "--store", str(store_path))
    assert result.exit_code == 0, result.output
    for run_id in _ids(store_path):
        assert run_id[:8] in result.stdout
    assert result.stdout.count("succeeded") == 2
    assert "failed" in result.stdout

    result = _invoke("list", "--store", str(store_path), "--limit", "1")
    assert result.exit_code == 0
    assert "failed" in result.stdout  # the most recent
    assert "succeeded" not in result.stdout


def test_list_json(store_path: Path) -> None:
    result = _invoke("list", "--store", str(store_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["count"] == 3
    assert [r["status"] for r in data["data"]] == ["failed", "succeeded", "succeeded"]
    assert data["data"][0]["error"] == "ValueError: solver exploded"
    assert data["data"][1]["options"]["overlay"] == ["/ov/lynas"]


def test_list_empty_store(tmp_path: Path) -> None:
    result = _invoke("list", "--store", str(tmp_path / "empty.sqlite"))
    assert result.exit_code == 0
    assert "no runs recorded" in result.stdout


def test_show(store_path: Path) -> None:
    first, _, failed = _ids(store_path)
    result = _invoke("show", first[:8], "--store", str(store_path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert first in out
    assert "succeeded" in out
    assert "Expected shortfall, China ban" in out
    assert "1,000" in out
    assert "exposure" in out  # the result table and the timing step
    assert "1.250" in out  # optimise seconds
    assert DIGEST in out

    result = _invoke("show", failed, "--store", str(store_path))
    assert result.exit_code == 0
    assert "solver exploded" in result.stdout


def test_show_json(store_path: Path) -> None:
    first = _ids(store_path)[0]
    result = _invoke("show", first, "--store", str(store_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id"] == first
    assert data["metrics"]["shortfall_t"] == {"value": 1000.0, "unit": "t",
                                              "label": "Expected shortfall, China ban"}
    table = data["results"]["exposure"]
    assert table["columns"] == ["element", "china_share"]
    assert table["records"][0] == {"element": "Nd", "china_share": 0.9}


def test_diff(store_path: Path) -> None:
    a, b, _ = _ids(store_path)
    result = _invoke("diff", a, b, "--store", str(store_path))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Inputs that changed (3)" in out
    assert "seed" in out
    assert "dataset and overlay paths" in out
    assert "options.overlay" in out
    assert "/ov/lynas" in out
    assert "Expected shortfall, China ban" in out
    assert "-200" in out
    assert "-20.0%" in out
    assert "Recommended awards" not in out  # unchanged metrics only with --all
    assert "(1 of 2)" in out

    result = _invoke("diff", a, b, "--store", str(store_path), "--all")
    assert "Recommended awards" in result.stdout

    result = _invoke("diff", a, a, "--store", str(store_path))
    assert result.exit_code == 0
    assert "Inputs: identical" in result.stdout
    assert "all 2 unchanged" in result.stdout


def test_diff_json(store_path: Path) -> None:
    a, b, _ = _ids(store_path)
    result = _invoke("diff", a[:8], b[:8], "--store", str(store_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {c["field"] for c in data["inputs"]} == {"seed", "dataset_paths", "options.overlay"}
    shortfall = next(m for m in data["metrics"] if m["key"] == "shortfall_t")
    assert (shortfall["a"], shortfall["b"], shortfall["change"]) == (1000.0, 800.0, -200.0)
    assert shortfall["relative_change"] == pytest.approx(-0.2)


@pytest.mark.parametrize("args", [["show", "deadbeef"], ["diff", "deadbeef", "0000"],
                                  ["show", "no-such-[bold]id"]])
def test_unknown_id_exits_1_with_message(store_path: Path, args: list[str]) -> None:
    result = _invoke(*args, "--store", str(store_path))
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "no run with id" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


@pytest.mark.parametrize(("store", "message"), [
    ("mysql://u@h/db", "unsupported store URL"),
    ("postgresql://u:secret@127.0.0.1:1/db", "cannot connect to run store"),
])
def test_bad_store_exits_1_with_message(store: str, message: str) -> None:
    result = _invoke("list", "--store", store)
    assert result.exit_code == 1
    assert message in result.stderr
    assert "secret" not in result.stderr
    assert "Traceback" not in result.output


def test_default_store_from_environment(store_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REEPLAN_STORE", str(store_path))
    result = _invoke("list", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["count"] == 3
