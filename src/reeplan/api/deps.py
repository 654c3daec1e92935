"""Dependencies of the routes, as ``Annotated`` aliases: ``def f(store: StoreDep, user: ...)``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from reeplan.api.config import ApiSettings
from reeplan.api.jobs import JobManager
from reeplan.api.security import User, authenticate, require_analyst
from reeplan.api.workspace import Workspace
from reeplan.settings import Settings
from reeplan.store import RunStore

__all__ = [
    "AnalystDep",
    "ApiSettingsDep",
    "JobsDep",
    "SettingsDep",
    "StoreDep",
    "UserDep",
    "WorkspaceDep",
    "require_htmx",
]


def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.api_settings


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_store(request: Request) -> RunStore:
    return request.app.state.store


def get_jobs(request: Request) -> JobManager:
    return request.app.state.jobs


def get_workspace(request: Request) -> Workspace:
    return request.app.state.workspace


def get_user(request: Request) -> User:
    user = authenticate(request, request.app.state.api_settings)
    request.state.user = user.name
    return user


def get_analyst(user: Annotated[User, Depends(get_user)]) -> User:
    return require_analyst(user)


def require_htmx(request: Request) -> None:
    """Dashboard writes must come from the dashboard's own htmx requests (a cross-site form
    cannot set the ``HX-Request`` header): a guard against cross-site request forgery."""
    if request.headers.get("hx-request") != "true":
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "dashboard actions must be sent by the dashboard (HX-Request)")


ApiSettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[RunStore, Depends(get_store)]
JobsDep = Annotated[JobManager, Depends(get_jobs)]
WorkspaceDep = Annotated[Workspace, Depends(get_workspace)]
UserDep = Annotated[User, Depends(get_user)]
AnalystDep = Annotated[User, Depends(get_analyst)]
