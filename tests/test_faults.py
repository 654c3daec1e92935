"""Faults during `reeplan run` (issue 17): SIGTERM and SIGKILL at chosen points (fault-injection
hooks, ``REEPLAN_FAULT``, not timing) leave the output folder and the run store consistent.

* nothing is published unless the store committed the run first; out/ holds either the
  previous brief or the new one, never a mix, and never a half-written file;
* SIGTERM: exit code 130, ``interrupted by SIGTERM`` on stderr and in the store;
* SIGKILL: the run shows ``stale`` (never ``running``) once its lease has expired.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from reeplan.store import RunStore
from reeplan.store.models import RunRow

TINY = Path(__file__).parent / "data" / "tiny"
SKIP = ["--skip", "simulate", "--skip", "finance", "--skip", "optimize",
        "--skip", "consequences"]
LEASE = 1.0
CASES = {
    "ok": "",
    "term_after_analysis": "after_analysis:TERM",
    "term_before_publish": "before_publish:TERM",
    "term_after_publish": "after_publish:TERM",
    "kill_after_analysis": "after_analysis:KILL",
    "kill_before_publish": "before_publish:KILL",
}

pytestmark = pytest.mark.timeout(600)


def reeplan(args: list[str], fault: str = "", timeout: float = 400) -> subprocess.Popen:
    env = {**os.environ, "REEPLAN_FAULT": fault, "REEPLAN_RUN_LEASE": str(LEASE),
           "COLUMNS": "120"}
    return subprocess.Popen([sys.executable, "-m", "reeplan", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """A good run first (its out/ is copied into every case: the brief a failed run must leave
    in place), then every fault case at the same time."""
    base = tmp_path_factory.mktemp("faults")
    good_out, good_store = base / "ok" / "out", base / "ok" / "runs.sqlite"
    p = reeplan(["run", "--data", str(TINY), *SKIP, "--out", str(good_out), "--store",
                 str(good_store), "--seed", "1"])
    stdout, stderr = p.communicate(timeout=500)
    results = {"ok": {"code": p.returncode, "stdout": stdout, "stderr": stderr, "out": good_out,
                      "store": good_store, "before_seed": None}}
    assert p.returncode == 0, stderr
    started = {}
    for name, fault in CASES.items():
        if not fault:
            continue
        out, store = base / name / "out", base / name / "runs.sqlite"
        shutil.copytree(good_out, out, symlinks=True)
        started[name] = (reeplan(["run", "--data", str(TINY), *SKIP, "--out", str(out),
                                  "--store", str(store), "--seed", "2"], fault), out, store)
    for name, (proc, out, store) in started.items():
        stdout, stderr = proc.communicate(timeout=500)
        results[name] = {"code": proc.returncode, "stdout": stdout, "stderr": stderr,
                         "out": out, "store": store, "before_seed": 1}
    return results


def published_seed(out: Path) -> int:
    """The seed of the published brief, after checking its three files belong together."""
    files = [out / n for n in ("brief.html", "brief.xlsx", "brief.json")]
    assert all(f.is_file() for f in files)
    assert len({f.resolve().parent for f in files}) == 1  # one run's folder
    return json.loads(files[2].read_text())["provenance"]["seed"]


def only_run(store: Path):
    with RunStore(store, lease=LEASE) as st:
        (run,) = st.list_runs()
    return run


def test_no_fault(runs: dict) -> None:
    r = runs["ok"]
    assert r["code"] == 0, r["stderr"]
    assert published_seed(r["out"]) == 1
    assert only_run(r["store"]).status == "succeeded"


def test_sigterm_after_analysis(runs: dict) -> None:
    r = runs["term_after_analysis"]
    assert r["code"] == 130
    assert "interrupted by SIGTERM" in r["stderr"]
    assert "Traceback" not in r["stderr"]
    assert published_seed(r["out"]) == r["before_seed"] == 1  # the old brief, whole
    run = only_run(r["store"])
    assert run.status == "failed"
    assert run.error == "interrupted by SIGTERM"
    assert not list((r["out"] / "runs").glob(".staging-*"))


def test_sigterm_before_publish(runs: dict) -> None:
    """The store committed; the brief was not published: the old one stays, whole."""
    r = runs["term_before_publish"]
    assert r["code"] == 130
    assert "interrupted by SIGTERM" in r["stderr"]
    assert published_seed(r["out"]) == 1
    assert only_run(r["store"]).status == "succeeded"
    assert not list((r["out"] / "runs").glob(".staging-*"))


def test_sigterm_after_publish(runs: dict) -> None:
    r = runs["term_after_publish"]
    assert r["code"] == 130
    assert published_seed(r["out"]) == 2
    assert only_run(r["store"]).status == "succeeded"


def test_sigkill_after_analysis_shows_stale_not_running(runs: dict) -> None:
    r = runs["kill_after_analysis"]
    assert r["code"] == -9
    assert published_seed(r["out"]) == 1
    time.sleep(LEASE + 0.5)
    run = only_run(r["store"])
    assert run.status == "stale"
    res = subprocess.run([sys.executable, "-m", "reeplan", "runs", "list", "--store",
                          str(r["store"])], capture_output=True, text=True, timeout=200,
                         env={**os.environ, "REEPLAN_RUN_LEASE": str(LEASE), "COLUMNS": "200"})
    assert res.returncode == 0
    assert "stale" in res.stdout
    assert "running" not in res.stdout


def test_sigkill_before_publish_and_the_next_run_cleans_up(runs: dict) -> None:
    r = runs["kill_before_publish"]
    assert r["code"] == -9
    assert published_seed(r["out"]) == 1  # the store committed, nothing was published
    assert only_run(r["store"]).status == "succeeded"
    assert list((r["out"] / "runs").glob(".staging-*"))  # the dead process's staging folder
    p = reeplan(["run", "--data", str(TINY), *SKIP, "--out", str(r["out"]), "--no-store",
                 "--seed", "3"])
    p.communicate(timeout=500)
    assert p.returncode == 0
    assert published_seed(r["out"]) == 3
    assert not list((r["out"] / "runs").glob(".staging-*"))


# -- the lease, without processes ----------------------------------------------------------------


def test_a_run_without_heartbeat_becomes_stale(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite", lease=30)
    run_id = store.start_run("run", {}, "d", [], 1)
    assert store.list_runs()[0].status == "running"
    with store._db("age", write=True) as conn:
        conn.execute(update(RunRow).where(RunRow.id == run_id).values(
            heartbeat_at=datetime.now(UTC) - timedelta(seconds=31)))
    assert store.list_runs()[0].status == "stale"
    assert [r.id for r in store.list_runs(status="stale")] == [run_id]
    assert store.list_runs(status="running") == []
    assert store.heartbeat(run_id)
    assert store.get_run(run_id).status == "running"


def test_the_heartbeat_thread_keeps_a_long_run_alive(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs.sqlite", lease=0.6)
    with store.run("run", {}, "d", [], 1) as active:
        time.sleep(2.0)  # three leases: alive only thanks to the heartbeat
        assert store.get_run(active.id).status == "running"
    assert store.get_run(active.id).status == "succeeded"


def test_an_interrupted_run_is_recorded_with_its_signal(tmp_path: Path) -> None:
    from reeplan.cli.common import Interrupted

    store = RunStore(tmp_path / "runs.sqlite")
    with pytest.raises(KeyboardInterrupt), store.run("run", {}, "d", [], 1):
        raise Interrupted("SIGTERM")
    with pytest.raises(KeyboardInterrupt), store.run("run", {}, "d", [], 1):
        raise KeyboardInterrupt
    errors = sorted(r.error for r in store.list_runs())
    assert errors == ["interrupted by Ctrl-C", "interrupted by SIGTERM"]
