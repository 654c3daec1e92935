"""Runs of the run store: history, one run, its tables and brief, and the diff of two runs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response

from reeplan.api.deps import AnalystDep, JobsDep, SettingsDep, StoreDep, UserDep, WorkspaceDep
from reeplan.api.routes.jobs import RUN_ID, job_public
from reeplan.api.routes.simulations import samples_seed
from reeplan.api.schemas import (
    DiffPublic,
    JobPublic,
    MetricPublic,
    RunCreate,
    RunPublic,
    RunsPublic,
    RunSummaryPublic,
    TablePublic,
)
from reeplan.api.services import ensure, frame_rows, run_job
from reeplan.io.jsonable import to_jsonable
from reeplan.sim.presets import list_presets
from reeplan.store import Run, RunSummary
from reeplan.workflows.simulate import THREATS

router = APIRouter(tags=["runs"])

RunId = Annotated[str, Path(pattern=RUN_ID)]


def summary_public(r: RunSummary) -> RunSummaryPublic:
    return RunSummaryPublic(id=r.id, status=r.status, command=r.command,
                            started_at=r.started_at, finished_at=r.finished_at,
                            duration=r.duration, seed=r.seed, dataset_digest=r.dataset_digest,
                            code_version=r.code_version, error=r.error,
                            options=to_jsonable(r.options))


def brief_path(request: Request, run_id: str):
    return request.app.state.jobs.artifacts / run_id / "brief.html"


def run_public(request: Request, r: Run) -> RunPublic:
    base = summary_public(r).model_dump()
    return RunPublic(**base,
                     metrics={k: MetricPublic(value=to_jsonable(m.value), unit=m.unit,
                                              label=m.label) for k, m in r.metrics.items()},
                     tables={k: len(v) for k, v in r.results.items()},
                     timings=to_jsonable(r.timings), dataset_paths=r.dataset_paths,
                     brief=brief_path(request, r.id).is_file())


@router.get("/api/runs", response_model=RunsPublic)
def list_runs(store: StoreDep, user: UserDep,
              limit: Annotated[int, Query(ge=1, le=500)] = 50,
              status_: Annotated[Literal["running", "succeeded", "failed"] | None,
                                 Query(alias="status")] = None) -> RunsPublic:
    """The most recent runs first (CLI runs and API jobs alike)."""
    data = [summary_public(r) for r in store.list_runs(limit, status=status_)]
    return RunsPublic(data=data, count=len(data))


@router.post("/api/runs", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def submit_run(body: RunCreate, ws: WorkspaceDep, jobs: JobsDep, settings: SettingsDep,
               request: Request, user: AnalystDep) -> JobPublic:
    """The main job (``reeplan run``) in the background; its brief is kept with the run."""
    api = request.app.state.api_settings
    samples, seed = samples_seed(body.samples, body.seed, settings, api)
    known = [*list_presets(), THREATS]
    for i, s in enumerate(body.scenarios):
        ensure(s in known, f"scenarios.{i}", f"no scenario {s!r} (use {', '.join(known)})")
    options = {"year": body.year, "budget": body.budget, "scenarios": tuple(body.scenarios),
               "samples": samples, "seed": seed, "skip": tuple(body.skip),
               "chokepoints": body.chokepoints, "frontier_points": body.frontier_points}
    ds = ws.dataset(body.overlay)
    recorded = {k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()}
    job = jobs.submit("run", user.name, {**recorded, "overlay": body.overlay}, ds.digest,
                      [str(p) for p in ds.paths], seed,
                      run_job(ws, settings, options, body.overlay))
    return job_public(job)


@router.get("/api/runs/{run_id}", response_model=RunPublic)
def get_run(run_id: RunId, store: StoreDep, request: Request, user: UserDep) -> RunPublic:
    """A run: status, options, provenance, headline metrics and its result tables' sizes."""
    return run_public(request, store.get_run(run_id))


@router.get("/api/runs/{run_id}/tables/{name}", response_model=TablePublic)
def get_run_table(run_id: RunId, store: StoreDep, user: UserDep,
                  name: Annotated[str, Path(max_length=200)],
                  limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
                  offset: Annotated[int, Query(ge=0, le=10**7)] = 0) -> TablePublic:
    """A page of one result table of a run."""
    run = store.get_run(run_id)
    if name not in run.results:
        raise HTTPException(404, f"run {run.id} has no table {name!r}")
    frame = run.results[name]
    cols, rows = frame_rows(frame, limit, offset)
    return TablePublic(name=name, columns=cols, rows=rows, count=len(frame))


@router.get("/api/runs/{run_a}/diff/{run_b}", response_model=DiffPublic)
def diff_runs(run_a: RunId, run_b: RunId, store: StoreDep, user: UserDep) -> DiffPublic:
    """What differs between two runs: inputs, then every headline metric (b − a)."""
    d = store.diff_runs(run_a, run_b)
    inputs = [{"name": c.field, "a": c.a, "b": c.b} for c in d.inputs]
    metrics = [{"key": m.key, "label": m.label, "unit": m.unit, "a": m.a, "b": m.b,
                "change": m.change, "relative": m.relative_change} for m in d.metrics]
    return DiffPublic(a=d.a.id, b=d.b.id, inputs=to_jsonable(inputs),
                      metrics=to_jsonable(metrics))


@router.get("/runs/{run_id}/brief", response_class=HTMLResponse,
            responses={200: {"content": {"text/html": {}}}})
def get_brief(run_id: RunId, store: StoreDep, request: Request, user: UserDep) -> Response:
    """The run's brief: the full HTML brief of a run made here, else a page of its headline
    numbers and tables from the store."""
    run = store.get_run(run_id)
    path = brief_path(request, run.id)
    if path.is_file():
        return FileResponse(path, media_type="text/html")
    from reeplan.api.routes.pages import render

    return render(request, "stored_brief.html", run=run,
                  tables={k: frame_rows(v, 40)[1] for k, v in run.results.items()},
                  columns={k: [str(c) for c in v.columns] for k, v in run.results.items()})
