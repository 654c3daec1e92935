"""Jobs: status, progress, cancel. A job is a run of the store (same id)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from reeplan.api.deps import AnalystDep, JobsDep, StoreDep, UserDep
from reeplan.api.jobs import CANCEL_PREFIX, COMMAND_PREFIX, Job, JobManager
from reeplan.api.schemas import JobPublic, JobsPublic
from reeplan.store import RunStore, RunSummary

router = APIRouter(prefix="/api/jobs", tags=["jobs"])

RUN_ID = r"^[0-9a-fA-F-]{4,36}$"
JobId = Annotated[str, Path(pattern=RUN_ID)]


def links(job_id: str, kind: str) -> dict[str, str]:
    out = {"self": f"/api/jobs/{job_id}", "run": f"/api/runs/{job_id}",
           "cancel": f"/api/jobs/{job_id}/cancel"}
    if kind == "simulation":
        out["result"] = f"/api/simulations/{job_id}"
    elif kind == "portfolio":
        out["result"] = f"/api/portfolios/{job_id}/frontier"
    elif kind == "run":
        out["brief"] = f"/runs/{job_id}/brief"
    return out


def job_public(job: Job) -> JobPublic:
    return JobPublic(id=job.id, kind=job.kind, user=job.user, status=job.status,
                     progress=job.progress, step=job.step, created_at=job.created_at,
                     started_at=job.started_at, finished_at=job.finished_at, error=job.error,
                     links=links(job.id, job.kind))


def run_public(run: RunSummary) -> JobPublic:
    kind = run.command.removeprefix(COMMAND_PREFIX)
    status = run.status
    if status == "failed" and (run.error or "").startswith(CANCEL_PREFIX):
        status = "cancelled"
    return JobPublic(id=run.id, kind=kind, user=run.options.get("_user"), status=status,
                     progress=1.0 if status == "succeeded" else 0.0,
                     step="done" if status != "running" else "running elsewhere",
                     created_at=run.started_at, started_at=run.started_at,
                     finished_at=run.finished_at, error=run.error, links=links(run.id, kind))


def find_job(jobs: JobManager, store: RunStore, job_id: str) -> JobPublic:
    """A job this server runs, else the run of the store (404 if it is not an API job)."""
    job = jobs.get(job_id.lower())
    if job is not None:
        return job_public(job)
    run = store.get_run(job_id)
    if not run.command.startswith(COMMAND_PREFIX):
        raise HTTPException(404, f"run {run.id} was not made by a job (see /api/runs)")
    return run_public(run)


@router.get("", response_model=JobsPublic)
def list_jobs(jobs: JobsDep, store: StoreDep, user: UserDep) -> JobsPublic:
    """Jobs of this server since it started, newest first."""
    data = [job_public(j) for j in jobs.list()]
    return JobsPublic(data=data, count=len(data))


@router.get("/{job_id}", response_model=JobPublic)
def get_job(job_id: JobId, jobs: JobsDep, store: StoreDep, user: UserDep) -> JobPublic:
    """Status and progress (0–1) of a job."""
    return find_job(jobs, store, job_id)


@router.post("/{job_id}/cancel", response_model=JobPublic)
def cancel_job(job_id: JobId, jobs: JobsDep, store: StoreDep, user: AnalystDep) -> JobPublic:
    """Ask a job to stop; it is recorded as failed ("cancelled by ...")."""
    job = jobs.cancel(job_id.lower(), user.name)
    if job is None:
        found = find_job(jobs, store, job_id)
        if found.status == "running":
            raise HTTPException(409, "the job runs on another server; cancel it there")
        return found
    return job_public(job)
