"""The FastAPI application: ``create_app(settings)`` wires the store, jobs, routes and pages."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reeplan.api.config import ApiSettings, check_bind
from reeplan.api.jobs import JobLimitError, JobManager
from reeplan.api.routes import (
    appraisals,
    data,
    health,
    jobs,
    overlays,
    pages,
    portfolios,
    runs,
    scenarios,
    simulations,
)
from reeplan.api.workspace import UnknownOverlayError, Workspace
from reeplan.errors import DataError, ReeError
from reeplan.settings import Settings, get_settings
from reeplan.store import RunStore, StoreError, UnknownRunError
from reeplan.version import __version__

__all__ = ["create_app"]

log = logging.getLogger("reeplan.api")
STATIC = Path(__file__).with_name("static")


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _too_large(self.limit, scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLargeError
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLargeError:
            await _too_large(self.limit, scope, receive, send)


class _TooLargeError(Exception):
    pass


async def _too_large(limit: int, scope: Scope, receive: Receive, send: Send) -> None:
    resp = JSONResponse({"detail": f"request body larger than the limit of {limit} bytes"},
                        status_code=413)
    await resp(scope, receive, send)


def _problems(exc: DataError) -> list[dict[str, Any]]:
    out = []
    for p in exc.problems:
        loc: list[Any] = ["body"]
        if p.field:
            loc += [x for x in p.field.replace("[", ".").replace("]", "").split(".") if x]
        out.append({"loc": loc, "msg": str(p), "type": "value_error", "file": p.file,
                    "row": p.row})
    return out


def _preload(app: FastAPI) -> None:
    try:
        app.state.workspace.preload()
        log.info("dataset, chain and simulation network loaded")
    except Exception as exc:  # readiness reports it
        app.state.preload_error = f"{type(exc).__name__}: {exc}"
        log.exception("cannot load the dataset")


def create_app(api_settings: ApiSettings | None = None, settings: Settings | None = None
               ) -> FastAPI:
    """The reeplan HTTP API and dashboard.

    Parameters
    ----------
    api_settings
        Server settings (address, store, tokens, limits); default from the environment.
    settings
        Model defaults (samples, seed, budget, ...); default :func:`reeplan.get_settings`.

    Raises
    ------
    ReeError
        When the address is not loopback and no token or proxy mode is set, or the run store
        cannot be opened.
    """
    api_settings = api_settings or ApiSettings()
    settings = settings or get_settings()
    check_bind(api_settings)
    store = RunStore(api_settings.store)
    data_dir = Path(api_settings.data_dir)
    job_manager = JobManager(store, workers=api_settings.job_workers,
                             max_per_user=api_settings.max_jobs_per_user,
                             max_seconds=api_settings.max_job_seconds,
                             scheduler=api_settings.scheduler,
                             instance=api_settings.instance_name,
                             artifacts=data_dir / "runs")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stale = job_manager.reconcile()
        log.info("reeplan api started", extra={"store": store.url, "instance":
                                               api_settings.instance_name,
                                               "stale_jobs_failed": stale})
        if api_settings.preload:
            threading.Thread(target=_preload, args=(app,), daemon=True,
                             name="reeplan-preload").start()
        try:
            yield
        finally:
            job_manager.shutdown()
            store.close()
            log.info("reeplan api stopped")

    app = FastAPI(
        title="reeplan",
        version=__version__,
        summary="US rare-earth supply-chain planning: exposure, disruptions, DPA awards.",
        description=("HTTP API of reeplan. Long computations (simulations, portfolios, full "
                     "runs) are jobs: submit, poll `/api/jobs/{id}`, read the result. Every job "
                     "is a run of the run store. With tokens set, send `Authorization: Bearer "
                     "TOKEN`; viewers read, analysts also submit jobs."),
        lifespan=lifespan,
    )
    app.state.api_settings = api_settings
    app.state.settings = settings
    app.state.store = store
    app.state.jobs = job_manager
    app.state.workspace = Workspace(data_dir)
    app.state.preload_error = None

    @app.middleware("http")
    async def access_log(request: Request, call_next: Any) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex[:16]
        t0 = time.perf_counter()
        response = await call_next(request)
        response.headers["x-request-id"] = rid[:64]
        log.info("request", extra={
            "method": request.method, "path": request.url.path, "status":
            response.status_code, "ms": round((time.perf_counter() - t0) * 1000, 1),
            "user": getattr(request.state, "user", None), "request_id": rid[:64]})
        return response

    app.add_middleware(BodyLimit, limit=api_settings.max_body_bytes)

    @app.exception_handler(ReeError)
    async def ree_error(request: Request, exc: ReeError) -> JSONResponse:
        if isinstance(exc, UnknownRunError):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        if isinstance(exc, JobLimitError):
            return JSONResponse({"detail": str(exc)}, status_code=429)
        if isinstance(exc, UnknownOverlayError):
            return JSONResponse({"detail": [{"loc": ["body", "overlay"], "msg": str(exc),
                                             "type": "value_error"}]}, status_code=422)
        if isinstance(exc, StoreError):
            code = 409 if "ambiguous" in str(exc) else 503
            return JSONResponse({"detail": str(exc)}, status_code=code)
        if isinstance(exc, DataError):
            return JSONResponse({"detail": _problems(exc), "message": exc.header},
                                status_code=422)
        return JSONResponse({"detail": [{"loc": ["body"], "msg": str(exc),
                                         "type": "value_error"}]}, status_code=422)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if (exc.status_code == status.HTTP_401_UNAUTHORIZED
                and not request.url.path.startswith("/api")
                and request.method == "GET" and "hx-request" not in request.headers):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        from fastapi.encoders import jsonable_encoder

        errors = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")}
                  for e in exc.errors()]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (health, data, scenarios, simulations, appraisals, portfolios, runs, jobs,
                   overlays, pages):
        app.include_router(module.router)
    return app
