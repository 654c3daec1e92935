"""Liveness and readiness: ``/healthz`` (the process answers), ``/readyz`` (it can serve)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from reeplan.api.deps import StoreDep, WorkspaceDep
from reeplan.api.schemas import HealthPublic, ReadyPublic
from reeplan.errors import ReeError

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic)
def healthz() -> HealthPublic:
    """The process is up."""
    return HealthPublic(status="ok")


@router.get("/readyz", response_model=ReadyPublic,
            responses={503: {"model": ReadyPublic, "description": "Not ready"}})
def readyz(request: Request, store: StoreDep, ws: WorkspaceDep) -> JSONResponse:
    """The run store answers and the dataset is loaded (and the Dask scheduler, if any)."""
    checks: dict[str, str] = {}
    try:
        store.list_runs(1)
        checks["store"] = "ok"
    except ReeError as exc:
        checks["store"] = str(exc)
    err = request.app.state.preload_error
    checks["dataset"] = "ok" if ws.ready else (err or "loading")
    scheduler = request.app.state.api_settings.scheduler
    if scheduler:
        checks["scheduler"] = _scheduler_check(scheduler)
    ok = all(v == "ok" for v in checks.values())
    body = ReadyPublic(status="ready" if ok else "not ready", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ok else 503)


def _scheduler_check(address: str) -> str:
    try:
        from distributed import Client

        with Client(address, timeout=3) as client:
            n = len(client.scheduler_info().get("workers", {}))
        return "ok" if n else "no workers"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
