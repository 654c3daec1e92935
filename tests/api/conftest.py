"""Fixtures of the API tests: one loaded workspace for the session, apps on fresh stores.

Every store test runs on SQLite and, when ``REEPLAN_TEST_POSTGRES_URL`` is set (CI sets it), on
PostgreSQL in a fresh schema (the pattern of ``tests/test_store.py``). Sample counts are small so
that the API tests take a few minutes at most.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from reeplan.api import ApiSettings, create_app
from reeplan.api.workspace import Workspace
from reeplan.settings import Settings
from reeplan.store import resolve_store_url

PG_ENV = "REEPLAN_TEST_POSTGRES_URL"
SAMPLES = 20


@pytest.fixture(scope="session")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """The bundled dataset, chain and simulation network, built once for every API test."""
    ws = Workspace(tmp_path_factory.mktemp("api-data"))
    ws.preload()
    return ws


def _postgres_base_url() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    msg = f"PostgreSQL API tests need {PG_ENV} (start a server with `bash .ci/postgres.sh`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI=true, and CI must not skip them", pytrace=False)
    pytest.skip(msg)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store: a SQLite file, or a fresh schema on the PostgreSQL server."""
    if request.param == "sqlite":
        yield str(tmp_path / "runs.sqlite")
        return
    base = resolve_store_url(_postgres_base_url())
    schema = f"reeplan_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_client(workspace: Workspace, tmp_path: Path
                ) -> Iterator[Callable[..., TestClient]]:
    """``make_client(store_url, **api_settings)``: a started TestClient on the shared workspace."""
    clients: list[TestClient] = []

    def make(store: str | None = None, **overrides: Any) -> TestClient:
        api = ApiSettings(**{"store": store or str(tmp_path / "runs.sqlite"),
                             "data_dir": tmp_path / "data", "preload": False, **overrides})
        app = create_app(api, Settings(samples=SAMPLES, frontier_points=3))
        app.state.workspace = workspace
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    """A client on a SQLite store (tests of the store's behaviour take ``store_url``)."""
    return make_client()


def wait_job(client: TestClient, job_id: str, timeout: float = 120.0,
             headers: dict[str, str] | None = None) -> dict[str, Any]:
    """Poll a job until it has finished; its last status."""
    t0 = time.monotonic()
    while True:
        body = client.get(f"/api/jobs/{job_id}", headers=headers or {}).json()
        if body["status"] in ("succeeded", "failed", "cancelled"):
            return body
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"job {job_id} still {body['status']} after {timeout} s")
        time.sleep(0.2)
