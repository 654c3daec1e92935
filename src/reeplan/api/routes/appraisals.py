"""Award appraisals: the cost to the government and the effect of packages on a project."""

from __future__ import annotations

from fastapi import APIRouter

from reeplan.api.deps import ApiSettingsDep, SettingsDep, UserDep, WorkspaceDep
from reeplan.api.routes.simulations import samples_seed
from reeplan.api.schemas import AppraisalCreate, AppraisalPublic
from reeplan.api.services import ensure, frame_rows

router = APIRouter(prefix="/api/appraisals", tags=["awards"])

SYNC_SAMPLES = 5000
"""Largest sample count of an appraisal (it is computed during the request)."""


@router.post("", response_model=AppraisalPublic)
def appraise_package(body: AppraisalCreate, ws: WorkspaceDep, settings: SettingsDep,
                     api: ApiSettingsDep, user: UserDep) -> AppraisalPublic:
    """Appraise preset packages for a preset project (the first row: no package)."""
    from reeplan.finance.inputs import finance_inputs
    from reeplan.finance.loader import list_package_presets
    from reeplan.workflows.appraise import appraise

    samples, seed = samples_seed(body.samples, body.seed, settings, api)
    ensure(samples <= SYNC_SAMPLES, "samples",
           f"an appraisal answers at once: at most {SYNC_SAMPLES} samples, not {samples}")
    ds = ws.dataset()
    projects = finance_inputs(ds).projects()
    ensure(body.project in projects, "project",
           f"no preset project {body.project!r} (projects: {', '.join(sorted(projects))})")
    presets = list_package_presets()
    for i, p in enumerate(body.packages):
        ensure(p in presets, f"packages.{i}",
               f"no preset package {p!r} (packages: {', '.join(presets)})")
    res = appraise(ds, body.project, body.packages, samples, seed, body.price_model,
                   force=body.force)
    cols, rows = frame_rows(res.table)
    return AppraisalPublic(project=body.project, packages=list(body.packages), samples=samples,
                           seed=seed, columns=cols, rows=rows, count=len(rows))
