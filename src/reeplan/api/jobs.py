"""Background jobs: simulations, portfolios and full runs, each recorded in the run store.

A job is a run of the store: :meth:`JobManager.submit` records it as ``running`` (the job's id
is the run's id), a worker thread computes it, and its result tables and headline numbers are
written with :meth:`RunStore.finish` (``succeeded``) or the run is marked ``failed`` with the
reason (an error, a cancel, the time limit, a server shut-down). Queued/running state, progress
and cancel flags live in memory; finished jobs are read back from the store, so results survive
a restart and are shared by every server on the same PostgreSQL store.

Jobs run in a thread pool of ``job_workers`` threads. With a Dask scheduler the simulations'
Monte Carlo chunks run on that cluster (shared by every user's jobs), and the thread only
coordinates. Cancelling and the time limit are checked at every progress report (each chunk of
samples, each step of a run, each budget of a frontier).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from reeplan.errors import ReeError
from reeplan.store import RunStore, StoreError

__all__ = [
    "Job",
    "JobCancelledError",
    "JobContext",
    "JobLimitError",
    "JobManager",
    "JobOutput",
    "JobTimeoutError",
]

log = logging.getLogger("reeplan.api.jobs")

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
COMMAND_PREFIX = "api "
"""Runs made by the API are recorded with command ``api <kind>``."""
SHUTDOWN_MESSAGE = "server shut down before the job finished"
CANCEL_PREFIX = "cancelled"


class JobCancelledError(Exception):
    """Raised inside a job when it was cancelled."""


class JobTimeoutError(Exception):
    """Raised inside a job when it ran past the time limit."""


class JobLimitError(ReeError):
    """A user already has as many jobs as allowed."""


@dataclass
class JobOutput:
    """What a job function returns: tables and headline numbers for the store."""

    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    timings: Mapping[str, float] = field(default_factory=dict)


@dataclass
class Job:
    """A job's live state."""

    id: str
    kind: str
    user: str
    options: dict[str, Any]
    created_at: datetime
    deadline_s: float
    status: JobStatus = "queued"
    progress: float = 0.0
    step: str = "queued"
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    cancel_event: threading.Event = field(default_factory=threading.Event)
    cancelled_by: str | None = None

    @property
    def done(self) -> bool:
        """Whether the job has finished (any outcome)."""
        return self.status in ("succeeded", "failed", "cancelled")


class JobContext:
    """Handed to a job function: progress reports, cancel and time checks, where to put files."""

    def __init__(self, job: Job, scheduler: str | None, artifacts: Path) -> None:
        self.job = job
        self.scheduler = scheduler
        self.artifacts = artifacts
        self._t0 = time.monotonic()

    def check(self) -> None:
        """Raise if the job was cancelled or ran past its time limit."""
        if self.job.cancel_event.is_set():
            raise JobCancelledError
        if time.monotonic() - self._t0 > self.job.deadline_s:
            raise JobTimeoutError

    def remaining(self) -> float:
        """Seconds left before the time limit (at least 1)."""
        return max(1.0, self.job.deadline_s - (time.monotonic() - self._t0))

    def report(self, step: str, done: float, total: float) -> None:
        """Record progress (``done`` of ``total`` in ``step``) and check cancel and time."""
        self.job.step = step
        self.job.progress = float(min(max(done / total, 0.0), 1.0)) if total else 0.0
        self.check()


JobFn = Callable[[JobContext], JobOutput]


class JobManager:
    """Run jobs in the background and record them in the run store."""

    def __init__(self, store: RunStore, *, workers: int, max_per_user: int,
                 max_seconds: float, scheduler: str | None, instance: str,
                 artifacts: Path) -> None:
        self.store = store
        self.max_per_user = max_per_user
        self.max_seconds = max_seconds
        self.scheduler = scheduler
        self.instance = instance
        self.artifacts = artifacts
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="reeplan-job")
        self._closed = False

    # -- submitting --------------------------------------------------------------------------

    def submit(self, kind: str, user: str, options: Mapping[str, Any], digest: str,
               paths: list[str], seed: int | None, fn: JobFn) -> Job:
        """Record a run and queue ``fn`` to compute it.

        Raises
        ------
        JobLimitError
            When ``user`` already has ``max_per_user`` jobs queued or running, or the server is
            shutting down.
        """
        with self._lock:
            if self._closed:
                msg = "the server is shutting down; submit the job again later"
                raise JobLimitError(msg)
            active = [j for j in self._jobs.values() if j.user == user and not j.done]
            if len(active) >= self.max_per_user:
                msg = (f"user {user!r} already has {len(active)} job(s) queued or running (the "
                       f"limit is {self.max_per_user}); wait for one to finish or cancel it")
                raise JobLimitError(msg)
            recorded = {**options, "_server": self.instance, "_user": user}
            run_id = self.store.start_run(f"{COMMAND_PREFIX}{kind}", recorded, digest, paths,
                                          seed)
            job = Job(run_id, kind, user, dict(options), datetime.now(UTC), self.max_seconds)
            self._jobs[run_id] = job
        self._pool.submit(self._run, job, fn)
        log.info("job submitted", extra={"job": job.id, "kind": kind, "user": user})
        return job

    def _run(self, job: Job, fn: JobFn) -> None:
        if job.done:
            return
        if job.cancel_event.is_set():
            self._finish_failed(job, "cancelled", f"{CANCEL_PREFIX} by {job.cancelled_by}")
            return
        job.status, job.step, job.started_at = "running", "starting", datetime.now(UTC)
        ctx = JobContext(job, self.scheduler, self.artifacts / job.id)
        try:
            out = fn(ctx)
            ctx.check()
            self.store.record(job.id, tables=dict(out.tables), metrics=dict(out.metrics),
                              timings=dict(out.timings))
            self.store.finish(job.id)
        except JobCancelledError:
            self._finish_failed(job, "cancelled", f"{CANCEL_PREFIX} by {job.cancelled_by}")
        except JobTimeoutError:
            self._finish_failed(job, "failed", f"the job ran longer than the limit of "
                                f"{job.deadline_s:g} s per job")
        except ReeError as exc:
            self._finish_failed(job, "failed", str(exc))
        except Exception as exc:
            log.exception("job failed", extra={"job": job.id})
            self._finish_failed(job, "failed", f"{type(exc).__name__}: {exc}")
        else:
            job.status, job.progress, job.step = "succeeded", 1.0, "done"
            job.finished_at = datetime.now(UTC)
            log.info("job succeeded", extra={"job": job.id, "kind": job.kind})

    def _finish_failed(self, job: Job, status: JobStatus, message: str) -> None:
        if job.done:
            return
        try:
            self.store.fail(job.id, message)
        except StoreError as exc:
            log.error("cannot mark job failed", extra={"job": job.id, "error": str(exc)})
        job.status, job.error, job.finished_at = status, message, datetime.now(UTC)
        log.info("job ended", extra={"job": job.id, "status": status, "error": message})

    # -- reading, cancelling -----------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The live job (None if this server does not know it: read the store instead)."""
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        """Jobs this server ran since it started, newest first."""
        return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def cancel(self, job_id: str, user: str) -> Job | None:
        """Ask a job to stop (it stops at its next progress report); None if unknown here."""
        job = self._jobs.get(job_id)
        if job is None:
            return None
        if not job.done:
            job.cancelled_by = user
            job.cancel_event.set()
            if job.status == "queued":
                self._finish_failed(job, "cancelled", f"{CANCEL_PREFIX} by {user}")
        return job

    # -- lifecycle ---------------------------------------------------------------------------

    def reconcile(self) -> int:
        """Mark failed the runs this server (same instance name) left ``running`` in a crash."""
        n = 0
        try:
            for run in self.store.list_runs(None, status="running"):
                if (run.command.startswith(COMMAND_PREFIX)
                        and run.options.get("_server") == self.instance
                        and run.id not in self._jobs):
                    n += bool(self.store.fail(run.id, "server stopped before the job finished "
                                              "(found at the next start)"))
        except StoreError as exc:
            log.error("cannot reconcile stale jobs", extra={"error": str(exc)})
        return n

    def shutdown(self) -> None:
        """Stop taking jobs, cancel the running ones and mark every unfinished job failed."""
        with self._lock:
            self._closed = True
            pending = [j for j in self._jobs.values() if not j.done]
        for job in pending:
            job.cancelled_by = "shutdown"
            job.cancel_event.set()
            self._finish_failed(job, "failed", SHUTDOWN_MESSAGE)
        self._pool.shutdown(wait=False, cancel_futures=True)
        log.info("job manager stopped", extra={"marked_failed": len(pending)})
