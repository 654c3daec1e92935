"""Simulations: submit a scenario (preset, threat model or user scenario), read its result."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status

from reeplan.api.deps import (
    AnalystDep,
    ApiSettingsDep,
    JobsDep,
    SettingsDep,
    StoreDep,
    UserDep,
    WorkspaceDep,
)
from reeplan.api.routes.jobs import JobId, job_public
from reeplan.api.schemas import JobPublic, SimulationCreate, TablePublic
from reeplan.api.services import ensure, frame_rows, resolve_scenario, simulation_job

router = APIRouter(prefix="/api/simulations", tags=["simulations"])


def samples_seed(samples: int | None, seed: int | None, settings, api) -> tuple[int, int]:
    n = samples if samples is not None else min(settings.samples, api.max_samples)
    ensure(n <= api.max_samples, "samples",
           f"at most {api.max_samples} samples per request on this server, not {n}")
    return n, seed if seed is not None else settings.seed


@router.post("", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def submit_simulation(body: SimulationCreate, ws: WorkspaceDep, jobs: JobsDep,
                      settings: SettingsDep, api: ApiSettingsDep, user: AnalystDep
                      ) -> JobPublic:
    """Simulate a scenario in the background; poll the job, then read the result."""
    samples, seed = samples_seed(body.samples, body.seed, settings, api)
    ds = ws.dataset(body.overlay)
    sc = resolve_scenario(body.scenario, body.definition, ds)
    options = {"scenario": sc.name, "samples": samples, "seed": seed, "overlay": body.overlay,
               "custom": body.definition is not None}
    job = jobs.submit("simulation", user.name, options, ds.digest,
                      [str(p) for p in ds.paths], seed,
                      simulation_job(ws, sc, samples, seed, body.overlay, settings.workers))
    return job_public(job)


@router.get("/{job_id}", response_model=dict[str, TablePublic])
def get_simulation(job_id: JobId, store: StoreDep, user: UserDep) -> dict[str, TablePublic]:
    """A finished simulation: shortfall, time to survive and the key uses' quarterly fan."""
    run = store.get_run(job_id)
    if run.command != "api simulation":
        raise HTTPException(404, f"run {run.id} is not a simulation")
    if run.status != "succeeded":
        raise HTTPException(409, f"simulation {run.id} is {run.status}"
                            + (f": {run.error}" if run.error else ""))
    out = {}
    for name in ("scenario", "shortfall", "time_to_survive", "fan"):
        cols, rows = frame_rows(run.results[name])
        out[name] = TablePublic(name=name, columns=cols, rows=rows, count=len(rows))
    return out
