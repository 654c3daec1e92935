"""Overlays: CSV rows that add or replace rows of the bundled tables, uploaded and validated
exactly like ``--overlay``; jobs name them by id and store them with their run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Request, UploadFile, status

from reeplan.api.deps import AnalystDep
from reeplan.api.schemas import OverlayPublic
from reeplan.api.workspace import Workspace

router = APIRouter(prefix="/api/overlays", tags=["overlays"])


def _public(ws: Workspace, oid: str) -> OverlayPublic:
    ds = ws.dataset(oid)
    tables = ws.overlay_tables(oid)
    return OverlayPublic(id=oid, files=sorted(f"{k.removeprefix('overlay.')}.csv"
                                              for k in tables),
                         digest=ds.digest,
                         tables={k.removeprefix("overlay."): len(v) for k, v in tables.items()})


@router.post("", response_model=OverlayPublic, status_code=status.HTTP_201_CREATED)
async def upload_overlay(request: Request, user: AnalystDep,
                         files: Annotated[list[UploadFile], File(
                             description="CSV files named like the tables they overlay "
                             "(facilities.csv, ...)")]) -> OverlayPublic:
    """Upload overlay CSV files; every problem is a 422 naming file, row and field."""
    from starlette.concurrency import run_in_threadpool

    ws: Workspace = request.app.state.workspace
    content = [(f.filename or "", await f.read()) for f in files]
    oid, _ = await run_in_threadpool(ws.add_overlay, content)
    return await run_in_threadpool(_public, ws, oid)


@router.get("/{overlay_id}", response_model=OverlayPublic)
def get_overlay(request: Request, user: AnalystDep,
                overlay_id: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$")]) -> OverlayPublic:
    """An uploaded overlay: its files, the rows per table and the dataset digest with it."""
    return _public(request.app.state.workspace, overlay_id)
