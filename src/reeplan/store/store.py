"""The run store: every run's inputs, provenance, timings and results, in SQLite or PostgreSQL.

A run is written in two transactions. :meth:`RunStore.start_run` inserts the run as
``running``; :meth:`RunStore.finish` writes every result table and headline metric and marks
the run ``succeeded`` in one transaction, so a run is either complete or has no results at all.
:meth:`RunStore.fail` (called by :meth:`RunStore.run` on any exception, including
``KeyboardInterrupt``) marks it ``failed`` with the error message (``interrupted by SIGTERM``
for a terminated run).

Lease: while :meth:`RunStore.run` is active a background thread updates the run's
``heartbeat_at`` every third of the lease (``Settings.run_lease``, 60 s; ``REEPLAN_RUN_LEASE``).
A ``running`` run whose last heartbeat is older than the lease is shown as ``stale``: its process
was killed or lost the store, and it will never finish. Nothing is written when a reader sees a
stale run, so a process that was only paused can still finish it.

Concurrency: on SQLite the file is in WAL mode with a busy timeout and every write transaction
starts with ``BEGIN IMMEDIATE`` (a writer waits for the lock instead of failing half-way); on
PostgreSQL each write is one transaction, and schema migrations hold an advisory lock.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from time import perf_counter
from typing import Any

import pandas as pd
import platformdirs
from sqlalchemy import (
    URL,
    Connection,
    Engine,
    create_engine,
    event,
    insert,
    make_url,
    select,
    text,
    update,
)
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from reeplan.store.models import SHOWN_STATUSES, RunMetricRow, RunResultRow, RunRow
from reeplan.store.records import (
    InputChange,
    Metric,
    MetricChange,
    Run,
    RunDiff,
    RunSummary,
    StoreError,
    UnknownRunError,
    check_seed,
    flatten_options,
    frame_to_payload,
    jsonable,
    payload_to_frame,
    to_metric,
    to_seconds,
)
from reeplan.version import code_version

__all__ = [
    "ActiveRun",
    "InputChange",
    "Metric",
    "MetricChange",
    "Run",
    "RunDiff",
    "RunStore",
    "RunSummary",
    "StoreError",
    "UnknownRunError",
    "code_version",
    "default_store_path",
    "resolve_store_url",
]

ENV_STORE = "REEPLAN_STORE"
"""Environment variable naming the store when no URL is passed."""
BUSY_TIMEOUT_S = 60.0
"""How long a SQLite writer waits for another writer's lock before giving up."""
PG_CONNECT_TIMEOUT_S = 10
_MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_KEY = 0x7265_6570_6C61_6E  # "reeplan": PostgreSQL advisory lock for migrations
_URL_HELP = "use a file path, sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"


# --------------------------------------------------------------------------------------------
# URLs, provenance
# --------------------------------------------------------------------------------------------


def default_store_path() -> Path:
    """``runs.sqlite`` in the user's data directory (``platformdirs.user_data_dir("reeplan")``)."""
    return platformdirs.user_data_path("reeplan", appauthor=False) / "runs.sqlite"


def resolve_store_url(url: str | os.PathLike[str] | None = None) -> URL:
    """Turn what a user gives as ``--store`` into a SQLAlchemy URL.

    Parameters
    ----------
    url
        ``None`` (``$REEPLAN_STORE``, else :func:`default_store_path`), a file path (a folder
        means ``FOLDER/runs.sqlite``), ``sqlite:///PATH``, or ``postgresql://...`` (mapped to the
        psycopg 3 driver).

    Returns
    -------
    sqlalchemy.URL

    Raises
    ------
    StoreError
        When the URL cannot be parsed or names an unsupported database.
    """
    if url is None:
        url = os.environ.get(ENV_STORE) or default_store_path()
    raw = os.fspath(url).strip() if isinstance(url, os.PathLike) else str(url).strip()
    if not raw or "\x00" in raw:
        msg = f"invalid store URL {raw!r}; {_URL_HELP}"
        raise StoreError(msg)
    if "://" not in raw:
        path = Path(raw).expanduser()
        if path.is_dir():
            path = path / "runs.sqlite"
        return URL.create("sqlite", database=str(path))
    if raw.startswith("postgres://"):
        raw = "postgresql://" + raw[len("postgres://"):]
    try:
        parsed = make_url(raw)
    except (ArgumentError, ValueError) as exc:
        msg = f"invalid store URL {_mask(raw)!r}: {exc}; {_URL_HELP}"
        raise StoreError(msg) from None
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "sqlite" and driver in ("", "pysqlite"):
        if parsed.database not in (None, "", ":memory:"):
            parsed = parsed.set(database=str(Path(parsed.database).expanduser()))
        return parsed
    if backend == "postgresql" and driver in ("", "psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    msg = (f"unsupported store URL {parsed.render_as_string(hide_password=True)!r}: reeplan "
           f"stores runs in SQLite or PostgreSQL (psycopg 3); {_URL_HELP}")
    raise StoreError(msg)


def _mask(raw: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", raw)


_code_version = code_version  # start_run's parameter of the same name shadows it


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


@dataclass
class _Pending:
    results: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


class RunStore:
    """Record runs and read them back, in SQLite (default) or PostgreSQL.

    Opening a store creates the database file if needed and migrates its schema to the newest
    revision (Alembic), so any store a previous reeplan wrote can be opened.

    Parameters
    ----------
    url
        See :func:`resolve_store_url`: ``None`` for the default file in the user's data
        directory, a path, ``sqlite:///PATH`` or ``postgresql://USER:PASSWORD@HOST:PORT/DB``.

    Raises
    ------
    StoreError
        When the URL is invalid, the database cannot be reached or opened, or its schema was
        written by a newer reeplan.

    Examples
    --------
    >>> store = RunStore(tmp_path / "runs.sqlite")  # doctest: +SKIP
    >>> with store.run("run", {"seed": 1}, ds.digest, ds.paths, seed=1) as run:  # doctest: +SKIP
    ...     with run.step("exposure"):
    ...         table = compute_exposure(ds)
    ...     run.record(tables={"exposure": table}, metrics={"china_share": (0.9, "share")})
    """

    def __init__(self, url: str | os.PathLike[str] | None = None, *,
                 lease: float | None = None) -> None:
        self._url = resolve_store_url(url)
        if lease is None:
            from reeplan.settings import get_settings

            lease = get_settings().run_lease
        self.lease = float(lease)
        """Seconds without a heartbeat after which a running run is shown as ``stale``."""
        self._pending: dict[str, _Pending] = {}
        self._engine = self._create_engine()
        self._write_engine = self._engine.execution_options(reeplan_write=True)
        try:
            self._migrate()
        except BaseException:
            self._engine.dispose()
            raise

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The store's URL, with any password hidden."""
        return self._url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    def close(self) -> None:
        """Close the store's connections (pending, unfinished results are dropped)."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        """Use the store as a context manager that closes it on exit."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        self.close()

    def __repr__(self) -> str:
        """``RunStore('sqlite:///...')`` with the password hidden."""
        return f"RunStore({self.url!r})"

    def _create_engine(self) -> Engine:
        if self._url.get_backend_name() == "sqlite":
            return self._create_sqlite_engine()
        try:
            return create_engine(self._url, pool_pre_ping=True,
                                 connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
        except (ImportError, NoSuchModuleError):
            msg = ("a PostgreSQL run store needs the psycopg 3 driver: "
                   "pip install 'reeplan[postgres]'")
            raise StoreError(msg) from None

    def _create_sqlite_engine(self) -> Engine:
        database = self._url.database
        memory = database in (None, "", ":memory:")
        if not memory:
            folder = Path(database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                msg = f"cannot create the folder of run store {database}: {exc.strerror}"
                raise StoreError(msg) from None
        kwargs: dict[str, Any] = {"connect_args": {"timeout": BUSY_TIMEOUT_S}}
        if memory:
            kwargs = {"poolclass": StaticPool,
                      "connect_args": {"check_same_thread": False}}
        engine = create_engine(self._url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine

    @contextmanager
    def _db(self, action: str, *, write: bool = False) -> Iterator[Connection]:
        """Open a transaction; turn database errors into :class:`StoreError` naming ``action``."""
        engine = self._write_engine if write else self._engine
        try:
            with engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {action} run store {self.url}: {_reason(exc)}") from None

    def _migrate(self) -> None:
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.util.exc import CommandError

        script = _script_directory()
        head = script.get_current_head()
        with self._db("connect to") as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        if current is not None:
            try:
                script.get_revision(current)
            except CommandError:
                msg = (f"run store {self.url} has schema revision {current!r}, which this "
                       f"reeplan ({code_version()}) does not know: it was written by a newer "
                       "reeplan")
                raise StoreError(msg) from None
        with self._db("migrate the schema of", write=True) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                             {"key": _MIGRATION_LOCK_KEY})
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            try:
                command.upgrade(cfg, "head")
            except CommandError as exc:
                msg = f"cannot migrate run store {self.url}: {exc}"
                raise StoreError(msg) from None

    # -- writing -----------------------------------------------------------------------------

    def start_run(
        self,
        command: str,
        options: Mapping[str, Any],
        dataset_digest: str,
        dataset_paths: Iterable[str | PurePath],
        seed: int | None,
        *,
        code_version: str | None = None,
    ) -> str:
        """Record the start of a run, with status ``running``.

        Parameters
        ----------
        command
            The command run, e.g. ``"run"``.
        options
            Options as given (budget, scenarios, samples, seed, data, overlay, ...); paths,
            numpy scalars, sets and enums are turned into JSON values.
        dataset_digest
            :attr:`reeplan.io.dataset.Dataset.digest`.
        dataset_paths
            :attr:`reeplan.io.dataset.Dataset.paths`: the dataset folder, then the overlays.
        seed
            Random seed of the run (``None`` if the run draws no random numbers).
        code_version
            Defaults to :func:`code_version` (package version plus git commit).

        Returns
        -------
        str
            The new run's id (a UUID).

        Raises
        ------
        StoreError
            When an argument is invalid or the store cannot be written.
        """
        if not isinstance(options, Mapping):
            msg = f"options must be a mapping, not {type(options).__name__}"
            raise StoreError(msg)
        if isinstance(dataset_paths, str | PurePath):
            dataset_paths = [dataset_paths]
        row = {
            "id": str(uuid.uuid4()),
            "status": "running",
            "started_at": _now(),
            "command": str(command),
            "options": jsonable(dict(options)),
            "dataset_digest": str(dataset_digest),
            "dataset_paths": [str(p) for p in dataset_paths],
            "code_version": code_version or _code_version(),
            "seed": check_seed(seed),
        }
        row["heartbeat_at"] = row["started_at"]
        with self._db("start a run in", write=True) as conn:
            conn.execute(insert(RunRow), row)
        self._pending[row["id"]] = _Pending()
        return row["id"]

    def heartbeat(self, run_id: str) -> bool:
        """Record that the process of a running run is alive (``heartbeat_at`` = now).

        Returns
        -------
        bool
            ``False`` when the run is no longer running.
        """
        with self._db("record a heartbeat in", write=True) as conn:
            return conn.execute(
                update(RunRow).where(RunRow.id == run_id, RunRow.status == "running")
                .values(heartbeat_at=_now())
            ).rowcount == 1

    def record(
        self,
        run_id: str,
        tables: Mapping[str, pd.DataFrame | pd.Series] | None = None,
        metrics: Mapping[str, Any] | None = None,
        timings: Mapping[str, float] | None = None,
    ) -> None:
        """Add result tables, headline metrics and step timings to a running run.

        Nothing is written until :meth:`finish`, which writes everything in one transaction;
        ``record`` and ``finish`` must therefore be called on the same :class:`RunStore`.
        Recording a name again replaces the earlier table, metric or timing.

        Parameters
        ----------
        run_id
            Id returned by :meth:`start_run`.
        tables
            Result tables by name. A non-default index is kept (restored by :meth:`get_run`).
        metrics
            Headline numbers by key: a number, ``(value, unit)``, ``(value, unit, label)`` or a
            :class:`Metric`.
        timings
            Seconds per step.

        Raises
        ------
        StoreError
            When the run is unknown or not running, or a table or metric cannot be stored.
        """
        pending = self._pending.get(run_id)
        if pending is None:
            self._require_running(run_id)
            pending = self._pending.setdefault(run_id, _Pending())
        payloads = {str(name): frame_to_payload(frame, name=str(name))
                    for name, frame in (tables or {}).items()}
        parsed = {str(key): to_metric(str(key), spec) for key, spec in (metrics or {}).items()}
        steps = {str(step): to_seconds(str(step), s) for step, s in (timings or {}).items()}
        pending.results.update(payloads)
        pending.metrics.update(parsed)
        pending.timings.update(steps)

    def finish(self, run_id: str) -> None:
        """Write the recorded results and mark the run ``succeeded``, in one transaction.

        Raises
        ------
        StoreError
            When the run is unknown or no longer running, or the store cannot be written (the
            run then stays ``running`` with no results, and the recorded results are kept so
            ``finish`` can be retried).
        """
        pending = self._pending.pop(run_id, None) or _Pending()
        claimed = 0
        try:
            with self._db("finish a run in", write=True) as conn:
                claimed = conn.execute(
                    update(RunRow)
                    .where(RunRow.id == run_id, RunRow.status == "running")
                    .values(status="succeeded", finished_at=_now(),
                            timings=pending.timings or None)
                ).rowcount
                if claimed != 1:
                    self._raise_not_running(conn, run_id)
                if pending.results:
                    conn.execute(insert(RunResultRow), [
                        {"run_id": run_id, "name": name, "payload": payload}
                        for name, payload in pending.results.items()
                    ])
                if pending.metrics:
                    conn.execute(insert(RunMetricRow), [
                        {"run_id": run_id, "key": key, "value": m.value, "unit": m.unit,
                         "label": m.label}
                        for key, m in pending.metrics.items()
                    ])
        except BaseException:
            if claimed == 1:  # the write failed or was interrupted: the run is still running
                self._pending[run_id] = pending
            raise

    def fail(self, run_id: str, error: str) -> bool:
        """Mark a running run ``failed`` with ``error``; its recorded results are discarded.

        Timings recorded so far are kept, showing how far the run got.

        Returns
        -------
        bool
            ``True`` if the run was marked failed, ``False`` if it had already finished.

        Raises
        ------
        UnknownRunError
            When no run has id ``run_id``.
        StoreError
            When the store cannot be written.
        """
        pending = self._pending.pop(run_id, None) or _Pending()
        with self._db("mark a run failed in", write=True) as conn:
            marked = conn.execute(
                update(RunRow)
                .where(RunRow.id == run_id, RunRow.status == "running")
                .values(status="failed", finished_at=_now(), error=str(error),
                        timings=pending.timings or None)
            ).rowcount
            if marked != 1 and conn.scalar(select(RunRow.id).where(RunRow.id == run_id)) is None:
                raise UnknownRunError(self._unknown_message(run_id))
        return marked == 1

    @contextmanager
    def run(
        self,
        command: str,
        options: Mapping[str, Any],
        dataset_digest: str,
        dataset_paths: Iterable[str | PurePath],
        seed: int | None,
        *,
        code_version: str | None = None,
    ) -> Iterator[ActiveRun]:
        """Record a run around a block: ``succeeded`` with its results if the block completes.

        Any exception, ``KeyboardInterrupt`` included, marks the run ``failed`` (with the
        exception as message and no results) and is re-raised. Arguments as in
        :meth:`start_run`.

        Yields
        ------
        ActiveRun
            Handle with the run ``id``, :meth:`ActiveRun.record` and :meth:`ActiveRun.step`.
        """
        run_id = self.start_run(command, options, dataset_digest, dataset_paths, seed,
                                code_version=code_version)
        beat = _Heartbeat(self, run_id)
        try:
            beat.start()
            active = ActiveRun(self, run_id)
            yield active
            if not active.committed:
                active.commit()
        except BaseException as exc:
            self._fail_quietly(run_id, exc)
            raise
        finally:
            beat.stop()

    def _fail_quietly(self, run_id: str, exc: BaseException) -> None:
        if isinstance(exc, KeyboardInterrupt):
            text = str(exc)
            message = text if text.startswith("interrupted") else "interrupted by Ctrl-C"
        else:
            message = f"{type(exc).__name__}: {exc}".rstrip(": ")
        try:
            self.fail(run_id, message)
        except Exception as store_exc:  # the original exception matters more
            exc.add_note(f"reeplan: could not mark run {run_id} as failed: {store_exc}")

    # -- reading -----------------------------------------------------------------------------

    def list_runs(self, limit: int | None = 20, *, status: str | None = None) -> list[RunSummary]:
        """The most recent runs first.

        Parameters
        ----------
        limit
            At most this many runs; ``None`` or 0 for all.
        status
            Only runs with this status (``running``, ``stale``, ``succeeded`` or ``failed``).

        Raises
        ------
        StoreError
            When ``limit`` or ``status`` is invalid or the store cannot be read.
        """
        if limit is not None and limit < 0:
            msg = f"limit must be 0 (all) or positive, not {limit}"
            raise StoreError(msg)
        query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id)
        if status is not None:
            if status not in SHOWN_STATUSES:
                msg = f"status must be one of {', '.join(SHOWN_STATUSES)}, not {status!r}"
                raise StoreError(msg)
            query = query.where(RunRow.status == ("running" if status == "stale" else status))
        if limit and status not in ("running", "stale"):
            query = query.limit(limit)
        with self._db("list runs in") as conn:
            runs = [_summary(row, self.lease) for row in conn.execute(query).mappings()]
        if status in ("running", "stale"):
            runs = [r for r in runs if r.status == status][: limit or None]
        return runs

    def get_run(self, run_id: str) -> Run:
        """One run with its result tables (DataFrames) and headline metrics.

        Parameters
        ----------
        run_id
            Full id or a unique prefix of it (as ``runs list`` shows).

        Raises
        ------
        UnknownRunError
            When no run matches ``run_id``.
        StoreError
            When the prefix is ambiguous or the store cannot be read.
        """
        with self._db("read a run from") as conn:
            full = self._resolve_id(conn, run_id)
            row = conn.execute(select(RunRow).where(RunRow.id == full)).mappings().one()
            results = conn.execute(
                select(RunResultRow.name, RunResultRow.payload)
                .where(RunResultRow.run_id == full).order_by(RunResultRow.name)
            ).all()
            metrics = conn.execute(
                select(RunMetricRow.key, RunMetricRow.value, RunMetricRow.unit,
                       RunMetricRow.label)
                .where(RunMetricRow.run_id == full).order_by(RunMetricRow.key)
            ).all()
        summary = _summary(row, self.lease)
        return Run(
            **{f: getattr(summary, f) for f in RunSummary.__dataclass_fields__},
            results={name: payload_to_frame(payload) for name, payload in results},
            metrics={key: Metric(value, unit, label) for key, value, unit, label in metrics},
        )

    def diff_runs(self, a: str, b: str) -> RunDiff:
        """What differs between runs ``a`` and ``b``: inputs, then headline metrics.

        Inputs compared: command, dataset digest, dataset and overlay paths, seed, code version
        and every option (as ``options.<name>``). Every metric of either run is listed with
        both values, the change ``b - a`` and the relative change.

        Raises
        ------
        UnknownRunError
            When either run does not exist.
        """
        run_a, run_b = self.get_run(a), self.get_run(b)
        inputs = [
            InputChange(name, getattr(run_a, name), getattr(run_b, name))
            for name in ("command", "dataset_digest", "dataset_paths", "seed", "code_version")
            if getattr(run_a, name) != getattr(run_b, name)
        ]
        opts_a, opts_b = flatten_options(run_a.options), flatten_options(run_b.options)
        for key in sorted(opts_a.keys() | opts_b.keys()):
            va, vb = opts_a.get(key), opts_b.get(key)
            if va == vb or (key == "seed" and (va, vb) == (run_a.seed, run_b.seed)):
                continue  # an options seed equal to the run's seed is already compared
            inputs.append(InputChange(f"options.{key}", va, vb))
        metrics = []
        for key in [*run_a.metrics, *(k for k in run_b.metrics if k not in run_a.metrics)]:
            ma, mb = run_a.metrics.get(key), run_b.metrics.get(key)
            metrics.append(MetricChange(
                key=key,
                label=(mb.label if mb else None) or (ma.label if ma else None),
                unit=(mb.unit if mb else None) or (ma.unit if ma else None),
                a=ma.value if ma else None,
                b=mb.value if mb else None,
            ))
        return RunDiff(_as_summary(run_a), _as_summary(run_b), inputs, metrics)

    # -- helpers -----------------------------------------------------------------------------

    def _require_running(self, run_id: str) -> None:
        with self._db("read a run from") as conn:
            status = conn.scalar(select(RunRow.status).where(RunRow.id == run_id))
        if status is None:
            raise UnknownRunError(self._unknown_message(run_id))
        if status != "running":
            msg = f"run {run_id} is {status}, not running; results can no longer be recorded"
            raise StoreError(msg)

    def _raise_not_running(self, conn: Connection, run_id: str) -> None:
        status = conn.scalar(select(RunRow.status).where(RunRow.id == run_id))
        if status is None:
            raise UnknownRunError(self._unknown_message(run_id))
        msg = f"run {run_id} is already {status}; it cannot be finished again"
        raise StoreError(msg)

    def _resolve_id(self, conn: Connection, run_id: str) -> str:
        key = str(run_id).strip().lower()
        if conn.scalar(select(RunRow.id).where(RunRow.id == key)) is not None:
            return key
        if not key or not re.fullmatch(r"[0-9a-f-]+", key):
            raise UnknownRunError(self._unknown_message(run_id))
        matches = conn.scalars(
            select(RunRow.id).where(RunRow.id.like(f"{key}%")).order_by(RunRow.id).limit(6)
        ).all()
        if not matches:
            raise UnknownRunError(self._unknown_message(run_id))
        if len(matches) > 1:
            shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
            msg = f"run id prefix {run_id!r} is ambiguous: it matches {shown}"
            raise StoreError(msg)
        return matches[0]

    def _unknown_message(self, run_id: str) -> str:
        return f"no run with id {run_id!r} in run store {self.url} (see `reeplan runs list`)"


@dataclass(frozen=True)
class ActiveRun:
    """Handle on a run in progress, yielded by :meth:`RunStore.run`."""

    store: RunStore
    id: str
    _state: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    @property
    def committed(self) -> bool:
        """Whether :meth:`commit` has written the run as ``succeeded``."""
        return self._state.get("committed", False)

    def commit(self) -> None:
        """Write the recorded results and mark the run ``succeeded`` now, before the block
        ends (``reeplan run`` commits the store before it publishes the brief); see
        :meth:`RunStore.finish`."""
        self.store.finish(self.id)
        self._state["committed"] = True

    def record(
        self,
        tables: Mapping[str, pd.DataFrame | pd.Series] | None = None,
        metrics: Mapping[str, Any] | None = None,
        timings: Mapping[str, float] | None = None,
    ) -> None:
        """Add results to the run; see :meth:`RunStore.record`."""
        self.store.record(self.id, tables, metrics, timings)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time a pipeline step; its seconds are added to the run's timings even if it fails."""
        start = perf_counter()
        try:
            yield
        finally:
            pending = self.store._pending.get(self.id)
            if pending is not None:
                pending.timings[name] = pending.timings.get(name, 0.0) + perf_counter() - start


class _Heartbeat:
    """Background thread that updates a running run's ``heartbeat_at`` every lease / 3 s."""

    def __init__(self, store: RunStore, run_id: str) -> None:
        self._store, self._run_id = store, run_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._store._url.database in (None, "", ":memory:") and \
                self._store.dialect == "sqlite":
            return  # one shared connection: an in-memory store lives only as long as its process
        self._thread = threading.Thread(
            target=self._loop, name=f"reeplan-heartbeat-{self._run_id[:8]}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        interval = max(self._store.lease / 3.0, 0.05)
        while not self._stop.wait(interval):
            try:
                if not self._store.heartbeat(self._run_id):
                    return  # finished or failed
            except Exception:
                continue

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)


def _summary(row: Mapping[str, Any], lease: float | None = None) -> RunSummary:
    status = row["status"]
    beat = row.get("heartbeat_at")
    alive = _utc(beat) if beat is not None else _utc(row["started_at"])
    if status == "running" and lease is not None and \
            (_now() - alive).total_seconds() > lease:
        status = "stale"
    return RunSummary(
        id=row["id"],
        status=status,
        started_at=_utc(row["started_at"]),
        finished_at=_utc(row["finished_at"]) if row["finished_at"] is not None else None,
        command=row["command"],
        options=row["options"] or {},
        dataset_digest=row["dataset_digest"],
        dataset_paths=list(row["dataset_paths"] or []),
        code_version=row["code_version"],
        seed=row["seed"],
        error=row["error"],
        timings=row["timings"] or {},
        heartbeat_at=_utc(beat) if beat is not None else None,
    )


def _as_summary(run: RunSummary) -> RunSummary:
    return RunSummary(**{f: getattr(run, f) for f in RunSummary.__dataclass_fields__})


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(ts: datetime) -> datetime:
    """SQLite returns naive timestamps; they were written in UTC."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _reason(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    text_ = str(orig if orig is not None else exc)
    text_ = " ".join(text_.split())
    return text_[:400] + ("..." if len(text_) > 400 else "")


# --------------------------------------------------------------------------------------------
# SQLite connection setup and Alembic plumbing
# --------------------------------------------------------------------------------------------


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, emit BEGIN (see _sqlite_on_begin), so that DDL is
    # transactional and writers can take the write lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    finally:
        cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A deferred transaction that reads and then writes can fail with SQLITE_BUSY at once
    # (without waiting for busy_timeout) when another process wrote in between; BEGIN IMMEDIATE
    # takes the write lock first, waiting for it, so writes never fail half-way.
    immediate = conn.get_execution_options().get("reeplan_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS_DIR).replace("%", "%%"))
    return cfg


@functools.cache
def _script_directory() -> Any:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())
