"""Portfolios: the recommended awards at a budget and the frontier (with awards per budget)."""

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
from reeplan.api.routes.simulations import samples_seed
from reeplan.api.schemas import JobPublic, PortfolioCreate, TablePublic
from reeplan.api.services import check_options, ensure, frame_rows, portfolio_job
from reeplan.sim.presets import list_presets
from reeplan.workflows.simulate import THREATS

router = APIRouter(prefix="/api/portfolios", tags=["portfolios"])


@router.post("", response_model=JobPublic, status_code=status.HTTP_202_ACCEPTED)
def submit_portfolio(body: PortfolioCreate, ws: WorkspaceDep, jobs: JobsDep,
                     settings: SettingsDep, api: ApiSettingsDep, user: AnalystDep
                     ) -> JobPublic:
    """Simulate the scenarios, appraise every option, optimise and trace the frontier."""
    from reeplan.optimize.inputs import PortfolioSpec

    samples, seed = samples_seed(body.samples, body.seed, settings, api)
    known = [*list_presets(), THREATS]
    for i, s in enumerate(body.scenarios):
        ensure(s in known, f"scenarios.{i}", f"no scenario {s!r} (use {', '.join(known)})")
    scenarios = list(body.scenarios) or list(settings.featured_scenarios)
    spec = check_options(PortfolioSpec, budget=body.budget, cvar_alpha=body.cvar_alpha,
                         time_limit=body.time_limit or settings.time_limit)
    fmax = body.frontier_max or max(2 * body.budget, 1e9)
    ds = ws.dataset(body.overlay)
    options = {"budget": body.budget, "scenarios": scenarios, "samples": samples, "seed": seed,
               "frontier_max": fmax, "frontier_points": body.frontier_points,
               "cvar_alpha": body.cvar_alpha, "overlay": body.overlay}
    job = jobs.submit("portfolio", user.name, options, ds.digest, [str(p) for p in ds.paths],
                      seed, portfolio_job(ws, scenarios, spec, samples, seed, fmax,
                                          body.frontier_points, body.overlay))
    return job_public(job)


@router.get("/{job_id}/frontier", response_model=dict[str, TablePublic])
def get_frontier(job_id: JobId, store: StoreDep, user: UserDep) -> dict[str, TablePublic]:
    """The frontier (budget, cost, expected shortfall, $ per tonne avoided), the awards at
    each budget, and the recommended awards at the requested budget."""
    run = store.get_run(job_id)
    if run.command != "api portfolio":
        raise HTTPException(404, f"run {run.id} is not a portfolio")
    if run.status != "succeeded":
        raise HTTPException(409, f"portfolio {run.id} is {run.status}"
                            + (f": {run.error}" if run.error else ""))
    out = {}
    for name in ("frontier", "frontier_awards", "awards", "groups"):
        cols, rows = frame_rows(run.results[name])
        out[name] = TablePublic(name=name, columns=cols, rows=rows, count=len(rows))
    return out
