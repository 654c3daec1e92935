"""Run store: round trips, failure marking, diffs, concurrency and migrations.

Every store test runs on SQLite (a file in ``tmp_path``) and on PostgreSQL when
``REEPLAN_TEST_POSTGRES_URL`` is set (``bash .ci/postgres.sh`` starts a server and prints one).
Without it the PostgreSQL cases skip, except under ``CI=true``, where they fail: CI must run them.
Each PostgreSQL case works in a fresh schema that is dropped afterwards, so reruns are clean.
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, inspect, text

import reeplan
from reeplan.errors import ReeError
from reeplan.store import (
    Metric,
    RunStore,
    StoreError,
    UnknownRunError,
    default_store_path,
    resolve_store_url,
)

PG_ENV = "REEPLAN_TEST_POSTGRES_URL"
DIGEST = "ab" * 32


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    msg = (f"PostgreSQL store tests need {PG_ENV}=postgresql://USER:PASSWORD@HOST:PORT/DB "
           "(start a local server with `bash .ci/postgres.sh`)")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI=true, and CI must not skip them", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty store: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.sqlite")
        return
    base = resolve_store_url(_postgres_base_url())
    schema = f"reeplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        pytest.fail(f"cannot use the PostgreSQL server at {PG_ENV}: {exc}", pytrace=False)
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(store_url: str) -> Iterator[RunStore]:
    with RunStore(store_url) as st:
        yield st


def _exposure_table() -> pd.DataFrame:
    return pd.DataFrame({
        "element": ["Nd", "Pr", "Dy", "Tb"],
        "stage": ["magnet", "magnet", "metal", "separation"],
        "china_share": [0.91, 0.9, np.nan, 0.999],
        "tonnes": np.array([1200, 300, 0, 12], dtype="int64"),
        "critical": [True, True, False, True],
        "as_of": pd.to_datetime(["2025-01-01", "2025-01-01", None, "2024-12-31"]),
    })


def _record_run(store: RunStore, seed: int, overlays: list[str], shortfall: float) -> str:
    options = {"budget": 2.5e9, "scenarios": ["china_ban"], "samples": 200, "seed": seed,
               "data": None, "overlay": overlays}
    with store.run("run", options, DIGEST, ["/data/bundled", *overlays], seed=seed) as run:
        with run.step("exposure"):
            run.record(tables={"exposure": _exposure_table()})
        run.record(
            metrics={
                "shortfall_t": (shortfall, "t", "Expected shortfall, China ban"),
                "awards": (3, "count", "Recommended awards"),
                "npv_usd": Metric(1.5e8, "USD", "Portfolio NPV"),
            },
            timings={"optimise": 0.25},
        )
    return run.id


# --------------------------------------------------------------------------------------------
# Round trip and failures
# --------------------------------------------------------------------------------------------


def test_round_trip(store: RunStore) -> None:
    frame = _exposure_table()
    indexed = frame.set_index(["element", "stage"])
    series = pd.Series([1.0, 2.5], index=pd.Index(["Nd", "Dy"], name="element"), name="gap_t")
    options = {"budget": 2.5e9, "scenarios": ["china_ban"], "samples": np.int64(200),
               "data": Path("/data/x"), "overlay": [Path("/ov/a")]}
    run_id = store.start_run("run", options, DIGEST, (Path("/data/x"), Path("/ov/a")), seed=7)
    assert store.get_run(run_id).status == "running"
    store.record(run_id, tables={"exposure": frame, "indexed": indexed, "gaps": series},
                 metrics={"share": (0.91, "share", "China share, magnets"), "n": 4,
                          "undefined": float("nan")},
                 timings={"exposure": 1.5, "brief": 0.5})
    assert store.get_run(run_id).results == {}  # nothing is written before finish
    store.finish(run_id)

    run = store.get_run(run_id)
    assert run.status == "succeeded"
    assert run.error is None
    assert run.finished_at is not None
    assert run.finished_at >= run.started_at
    assert run.duration is not None
    assert run.duration >= 0
    assert run.command == "run"
    assert run.seed == 7
    assert run.dataset_digest == DIGEST
    assert run.dataset_paths == ["/data/x", "/ov/a"]
    assert run.options == {"budget": 2.5e9, "scenarios": ["china_ban"], "samples": 200,
                           "data": "/data/x", "overlay": ["/ov/a"]}
    assert run.code_version.startswith(reeplan.__version__)
    assert run.timings == {"exposure": 1.5, "brief": 0.5}
    assert run.metrics == {"share": Metric(0.91, "share", "China share, magnets"),
                           "n": Metric(4.0), "undefined": Metric(None)}
    assert set(run.results) == {"exposure", "indexed", "gaps"}
    pd.testing.assert_frame_equal(run.results["exposure"], frame)
    pd.testing.assert_frame_equal(run.results["indexed"], indexed)
    pd.testing.assert_frame_equal(run.results["gaps"], series.to_frame())

    assert store.get_run(run_id[:8]).id == run_id  # a unique prefix is enough
    listed = store.list_runs()
    assert [r.id for r in listed] == [run_id]
    assert listed[0].to_dict()["status"] == "succeeded"
    with pytest.raises(StoreError, match="already succeeded"):
        store.finish(run_id)
    with pytest.raises(StoreError, match="not running"):
        store.record(run_id, metrics={"late": 1.0})
    assert store.fail(run_id, "too late") is False
    assert store.get_run(run_id).status == "succeeded"


def test_exception_marks_run_failed_without_results(store: RunStore) -> None:
    def pipeline() -> None:
        with store.run("run", {"seed": 1}, DIGEST, ["/data"], seed=1) as run:
            started.append(run.id)
            with run.step("exposure"):
                run.record(tables={"exposure": _exposure_table()}, metrics={"x": 1.0})
            with run.step("optimise"):
                raise ValueError("solver exploded")

    started: list[str] = []
    with pytest.raises(ValueError, match="solver exploded"):
        pipeline()
    failed = store.get_run(started[0])
    assert failed.status == "failed"
    assert failed.error == "ValueError: solver exploded"
    assert failed.results == {}
    assert failed.metrics == {}
    assert set(failed.timings) == {"exposure", "optimise"}  # shows how far it got
    assert failed.finished_at is not None


def test_keyboard_interrupt_marks_run_failed(store: RunStore) -> None:
    def pipeline() -> None:
        with store.run("run", {}, DIGEST, ["/data"], seed=None) as run:
            started.append(run.id)
            run.record(tables={"exposure": _exposure_table()})
            raise KeyboardInterrupt

    started: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        pipeline()
    interrupted = store.get_run(started[0])
    assert interrupted.status == "failed"
    assert "interrupted" in (interrupted.error or "")
    assert interrupted.results == {}
    assert store.list_runs(status="failed")[0].id == started[0]
    assert store.list_runs(status="succeeded") == []


def test_diff_names_seed_overlay_and_metric_changes(store: RunStore) -> None:
    a = _record_run(store, seed=1, overlays=[], shortfall=1000.0)
    b = _record_run(store, seed=2, overlays=["/overlays/lynas_expansion"], shortfall=750.0)
    diff = store.diff_runs(a, b)
    assert diff.a.id == a
    assert diff.b.id == b
    changed = {c.field: (c.a, c.b) for c in diff.inputs}
    assert changed == {
        "seed": (1, 2),
        "dataset_paths": (["/data/bundled"], ["/data/bundled", "/overlays/lynas_expansion"]),
        "options.overlay": ([], ["/overlays/lynas_expansion"]),
    }
    assert not diff.same_inputs
    metrics = {m.key: m for m in diff.metrics}
    assert set(metrics) == {"shortfall_t", "awards", "npv_usd"}
    shortfall = metrics["shortfall_t"]
    assert (shortfall.a, shortfall.b, shortfall.change) == (1000.0, 750.0, -250.0)
    assert shortfall.relative_change == pytest.approx(-0.25)
    assert shortfall.label == "Expected shortfall, China ban"
    assert shortfall.unit == "t"
    assert [m.key for m in diff.changed_metrics] == ["shortfall_t"]
    assert metrics["awards"].change == 0
    assert metrics["awards"].relative_change == 0
    as_dict = {m["key"]: m for m in diff.to_dict()["metrics"]}
    assert as_dict["shortfall_t"]["changed"] is True
    assert as_dict["shortfall_t"]["relative_change"] == pytest.approx(-0.25)

    same = store.diff_runs(a, a)
    assert same.same_inputs
    assert same.changed_metrics == []


def test_diff_metric_only_in_one_run(store: RunStore) -> None:
    with store.run("run", {}, DIGEST, [], seed=1) as r1:
        r1.record(metrics={"common": 0.0, "old": 5.0})
    with store.run("run", {}, DIGEST, [], seed=1) as r2:
        r2.record(metrics={"common": 2.0, "new": (1.0, "t")})
    metrics = {m.key: m for m in store.diff_runs(r1.id, r2.id).metrics}
    assert list(metrics) == ["common", "old", "new"]
    assert metrics["common"].change == 2.0
    assert metrics["common"].relative_change is None  # from zero
    assert (metrics["old"].a, metrics["old"].b, metrics["old"].change) == (5.0, None, None)
    assert (metrics["new"].a, metrics["new"].b, metrics["new"].unit) == (None, 1.0, "t")
    assert all(m.changed for m in metrics.values())


def test_unknown_run_ids_raise_store_errors(store: RunStore) -> None:
    known = _record_run(store, seed=1, overlays=[], shortfall=1.0)
    for call in (lambda: store.get_run("0000"), lambda: store.get_run("not-an-id!"),
                 lambda: store.diff_runs(known, "ffffffff"),
                 lambda: store.record("nope", metrics={"x": 1.0}),
                 lambda: store.fail("nope", "x"), lambda: store.finish("nope")):
        with pytest.raises(UnknownRunError, match="no run with id") as info:
            call()
        assert isinstance(info.value, ReeError)


def test_ambiguous_prefix(store: RunStore) -> None:
    ids = [_record_run(store, seed=i, overlays=[], shortfall=1.0) for i in range(20)]
    first = {i[0] for i in ids}
    shared = next(c for c in sorted(first) if sum(i.startswith(c) for i in ids) > 1)
    with pytest.raises(StoreError, match="ambiguous"):
        store.get_run(shared)
    assert len(store.list_runs(limit=5)) == 5
    assert len(store.list_runs(limit=0)) == 20
    assert len(store.list_runs(limit=None)) == 20


def test_invalid_record_arguments(store: RunStore) -> None:
    run_id = store.start_run("run", {}, DIGEST, [], seed=None)
    with pytest.raises(StoreError, match="not a number"):
        store.record(run_id, metrics={"x": "lots"})
    with pytest.raises(StoreError, match="must be a pandas DataFrame"):
        store.record(run_id, tables={"t": [1, 2, 3]})  # type: ignore[dict-item]
    with pytest.raises(StoreError, match="duplicate column"):
        store.record(run_id, tables={"t": pd.DataFrame([[1, 2]], columns=["a", "a"])})
    with pytest.raises(StoreError, match="timing"):
        store.record(run_id, timings={"step": -1})
    with pytest.raises(StoreError, match="seed"):
        store.start_run("run", {}, DIGEST, [], seed="7")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="options"):
        store.start_run("run", ["budget"], DIGEST, [], seed=1)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Concurrency
# --------------------------------------------------------------------------------------------


def _write_runs(url: str, worker: int, n: int, barrier: object) -> None:
    """Child process: open the store at the same moment as the other writer, record ``n`` runs."""
    barrier.wait(timeout=120)  # type: ignore[attr-defined]
    with RunStore(url) as st:
        for i in range(n):
            options = {"worker": worker, "i": i}
            with st.run("run", options, DIGEST, [f"/data/{worker}"], seed=worker * 1000 + i) as r:
                frame = pd.DataFrame({"worker": [worker] * 50, "i": [i] * 50, "k": range(50)})
                r.record(tables={"t": frame}, metrics={"worker": worker, "i": i},
                         timings={"work": 0.01})


def test_concurrent_writers(store_url: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_write_runs, args=(store_url, w, 20, barrier)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]

    with RunStore(store_url) as st:
        runs = st.list_runs(limit=0)
        assert len(runs) == 40
        assert len({r.id for r in runs}) == 40
        assert {r.status for r in runs} == {"succeeded"}
        seen = set()
        for summary in runs:
            run = st.get_run(summary.id)
            worker, i = run.options["worker"], run.options["i"]
            seen.add((worker, i))
            assert run.seed == worker * 1000 + i
            assert run.metrics["worker"].value == worker
            assert run.metrics["i"].value == i
            table = run.results["t"]
            assert len(table) == 50
            assert set(table["worker"]) == {worker}
            assert set(table["i"]) == {i}
        assert seen == {(w, i) for w in (1, 2) for i in range(20)}
    if "://" not in store_url:
        with sqlite3.connect(store_url) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)


# --------------------------------------------------------------------------------------------
# Migrations
# --------------------------------------------------------------------------------------------


def test_migrations_create_schema_from_empty(store_url: str) -> None:
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from reeplan.store.models import Base
    from reeplan.store.store import _alembic_config, _script_directory

    engine = create_engine(resolve_store_url(store_url))
    try:
        with engine.connect() as conn:
            assert not {"runs", "run_results", "run_metrics"} & set(inspect(conn).get_table_names())
        RunStore(store_url).close()
        head = _script_directory().get_current_head()
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert {"runs", "run_results", "run_metrics", "alembic_version"} <= tables
            assert MigrationContext.configure(conn).get_current_revision() == head
            # The models and the migrations describe the same schema.
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        RunStore(store_url).close()  # reopening at head is a no-op

        with engine.begin() as conn:  # the downgrade works too, back to empty
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        with engine.connect() as conn:
            assert not {"runs", "run_results", "run_metrics"} & set(inspect(conn).get_table_names())
    finally:
        engine.dispose()


def test_store_from_a_newer_reeplan_is_refused(store_url: str) -> None:
    RunStore(store_url).close()
    engine = create_engine(resolve_store_url(store_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer reeplan"):
        RunStore(store_url)


# --------------------------------------------------------------------------------------------
# URLs and opening errors
# --------------------------------------------------------------------------------------------


def test_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_store_url(tmp_path / "a.sqlite").database == str(tmp_path / "a.sqlite")
    assert resolve_store_url(str(tmp_path)).database == str(tmp_path / "runs.sqlite")
    assert resolve_store_url(f"sqlite:///{tmp_path}/b.db").database == f"{tmp_path}/b.db"
    pg = resolve_store_url("postgresql://u:secret@db.example:5433/reeplan")
    assert pg.drivername == "postgresql+psycopg"
    assert (pg.host, pg.port, pg.database, pg.password) == ("db.example", 5433, "reeplan", "secret")
    assert resolve_store_url("postgres://u@h/d").drivername == "postgresql+psycopg"
    monkeypatch.setenv("REEPLAN_STORE", str(tmp_path / "env.sqlite"))
    assert resolve_store_url(None).database == str(tmp_path / "env.sqlite")
    monkeypatch.delenv("REEPLAN_STORE")
    assert resolve_store_url(None).database == str(default_store_path())
    assert default_store_path().name == "runs.sqlite"
    assert default_store_path().parent.name == "reeplan"
    for bad in ("", "mysql://u@h/d", "http://example.com/runs", "postgresql+asyncpg://u@h/d"):
        with pytest.raises(StoreError, match="store URL"):
            resolve_store_url(bad)


def test_open_errors_are_store_errors(tmp_path: Path) -> None:
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("this is not a database\n" * 100)
    with pytest.raises(StoreError, match="cannot connect to run store"):
        RunStore(not_a_db)
    with pytest.raises(StoreError, match="cannot connect to run store") as info:
        RunStore("postgresql://reeplan:secret@127.0.0.1:1/nowhere")
    assert "secret" not in str(info.value)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot create the folder"):
        RunStore(blocker / "sub" / "runs.sqlite")


def test_sqlite_file_in_new_folder_and_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "runs.sqlite"
    with RunStore(path) as st:
        _record_run(st, seed=1, overlays=[], shortfall=1.0)
    assert path.exists()
    with RunStore(str(path)) as st:
        assert len(st.list_runs()) == 1
        assert "runs.sqlite" in repr(st)
    with RunStore("sqlite://") as st:
        run_id = _record_run(st, seed=1, overlays=[], shortfall=2.0)
        assert st.get_run(run_id).metrics["shortfall_t"].value == 2.0
