"""The dataset: tables with the sources they cite, validation, exposure, finance presets."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from reeplan.api.deps import UserDep, WorkspaceDep
from reeplan.api.schemas import ExposurePublic, TableInfo, TablePublic, TablesPublic
from reeplan.api.services import ensure, frame_rows, table_view, with_id

router = APIRouter(prefix="/api", tags=["dataset"])


@router.get("/tables", response_model=TablesPublic)
def list_tables(ws: WorkspaceDep, user: UserDep) -> TablesPublic:
    """The dataset's tables (bundled data)."""
    ds = ws.dataset()
    data = [TableInfo(name=n, rows=len(ds[n]),
                      columns=[str(c) for c in with_id(ds[n]).columns])
            for n in ds.tables]
    return TablesPublic(data=data, count=len(data))


@router.get("/tables/{name}", response_model=TablePublic)
def get_table(ws: WorkspaceDep, user: UserDep,
              name: Annotated[str, Path(pattern=r"^[a-z_]{1,64}$")],
              limit: Annotated[int, Query(ge=1, le=5000)] = 500,
              offset: Annotated[int, Query(ge=0, le=10**6)] = 0) -> TablePublic:
    """A page of a table's rows, with the ``sources`` rows they cite."""
    ds = ws.dataset()
    ensure(name in ds.tables, "name", f"no table {name!r} (tables: {', '.join(ds.tables)})")
    frame, page, sources = table_view(ds, name, limit, offset)
    cols, rows = frame_rows(page)
    return TablePublic(name=name, columns=cols, rows=rows, count=len(frame), sources=sources)


@router.get("/validation", response_model=TablePublic)
def get_validation(ws: WorkspaceDep, user: UserDep) -> TablePublic:
    """The model's aggregates beside published figures (``reeplan validate``)."""
    table = ws.validation()
    cols, rows = frame_rows(table)
    return TablePublic(name="validation", columns=cols, rows=rows, count=len(rows))


@router.get("/exposure", response_model=ExposurePublic)
def get_exposure(ws: WorkspaceDep, user: UserDep,
                 element: Annotated[str, Query(pattern=r"^[A-Za-z]{1,10}$")] = "all",
                 year: Annotated[int, Query(ge=2022, le=2040)] = 2025,
                 stage: Annotated[str | None, Query(pattern=r"^[a-z_]{1,30}$")] = None,
                 ) -> ExposurePublic:
    """US exposure by element and stage: shares, HHI, import reliance, independence."""
    elements, table = ws.exposure(year, element)
    if stage is not None:
        stages = sorted(map(str, table["stage"].unique()))
        ensure(stage in stages, "stage", f"no stage {stage!r} (stages: {', '.join(stages)})")
        table = table[table["stage"] == stage]
    cols, rows = frame_rows(table.reset_index(drop=True))
    return ExposurePublic(year=year, elements=elements, stage=stage, columns=cols,
                          rows=rows, count=len(rows))


@router.get("/projects", response_model=dict[str, list[str]])
def list_projects(ws: WorkspaceDep, user: UserDep) -> dict[str, list[str]]:
    """Preset projects and award packages (for ``POST /api/appraisals``)."""
    from reeplan.finance.inputs import finance_inputs
    from reeplan.finance.loader import list_package_presets

    return {"projects": sorted(finance_inputs(ws.dataset()).projects()),
            "packages": list_package_presets()}
