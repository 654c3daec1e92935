"""Security: the token rule on a non-loopback bind, roles, the proxy mode, CSRF guard."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from reeplan.api import ApiSettings, check_bind, create_app
from reeplan.errors import ReeError
from tests.api.conftest import SAMPLES

ANALYST, VIEWER = "analyst-secret-1", "viewer-secret-1"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_needs_no_token(host: str) -> None:
    check_bind(ApiSettings(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_network_bind_needs_a_token(host: str, tmp_path) -> None:
    with pytest.raises(ReeError, match="refusing to listen"):
        check_bind(ApiSettings(host=host))
    with pytest.raises(ReeError, match="without a token"):
        create_app(ApiSettings(host=host, store=str(tmp_path / "s.sqlite")))
    check_bind(ApiSettings(host=host, token=ANALYST))
    check_bind(ApiSettings(host=host, auth="proxy"))
    check_bind(ApiSettings(host=host, tokens=f"ann:viewer:{VIEWER}"))


def test_serve_refuses_a_network_bind_without_a_token(monkeypatch: pytest.MonkeyPatch,
                                                      tmp_path) -> None:
    from reeplan.cli import app

    for var in ("REEPLAN_API_TOKEN", "REEPLAN_API_VIEWER_TOKEN", "REEPLAN_API_TOKENS",
                "REEPLAN_API_AUTH"):
        monkeypatch.delenv(var, raising=False)
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1",
                                      "--store", str(tmp_path / "s.sqlite")])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0 without a token" in result.output


def test_bad_token_list_is_an_error() -> None:
    with pytest.raises(ValueError, match="name:role:token"):
        ApiSettings(tokens="ann:admin:secret-xyz")


def test_roles(make_client: Callable[..., TestClient]) -> None:
    c = make_client(host="0.0.0.0", token=ANALYST, viewer_token=VIEWER)
    job = {"scenario": "heavy-ree-embargo", "samples": SAMPLES}
    assert c.get("/healthz").status_code == 200
    assert c.get("/api/runs").status_code == 401
    assert c.get("/api/runs", headers={"Authorization": "Bearer wrong"}).status_code == 401
    viewer = {"Authorization": f"Bearer {VIEWER}"}
    analyst = {"Authorization": f"Bearer {ANALYST}"}
    assert c.get("/api/runs", headers=viewer).status_code == 200
    assert c.post("/api/simulations", json=job).status_code == 401
    denied = c.post("/api/simulations", json=job, headers=viewer)
    assert denied.status_code == 403
    assert "viewer" in denied.json()["detail"]
    ok = c.post("/api/simulations", json=job, headers=analyst)
    assert ok.status_code == 202
    assert ok.json()["user"] == "analyst"
    job_id = ok.json()["id"]
    assert c.post(f"/api/jobs/{job_id}/cancel", headers=viewer).status_code == 403
    assert c.get(f"/api/jobs/{job_id}", headers=viewer).status_code == 200
    assert c.post("/ui/whatif/run", data={"scenario": "threats"},
                  headers={**viewer, "HX-Request": "true"}).status_code == 403


def test_dashboard_login(make_client: Callable[..., TestClient]) -> None:
    c = make_client(host="0.0.0.0", token=ANALYST)
    first = c.get("/runs", follow_redirects=False)
    assert first.status_code == 303
    assert first.headers["location"].startswith("/login")
    assert "not valid" in c.post("/login", data={"token": "nope"}).text
    signed = c.post("/login", data={"token": ANALYST, "next": "/runs"}, follow_redirects=False)
    assert signed.status_code == 303
    assert "httponly" in signed.headers["set-cookie"].lower()
    assert "samesite=strict" in signed.headers["set-cookie"].lower()
    assert c.get("/runs").status_code == 200  # the cookie is sent from now on
    assert c.post("/login", data={"token": ANALYST, "next": "//evil.example"},
                  follow_redirects=False).headers["location"] == "/"


def test_dashboard_writes_need_htmx(make_client: Callable[..., TestClient]) -> None:
    c = make_client()
    r = c.post("/ui/whatif/run", data={"scenario": "threats"})
    assert r.status_code == 403


def test_proxy_mode(make_client: Callable[..., TestClient]) -> None:
    c = make_client(host="0.0.0.0", auth="proxy")
    job = {"scenario": "heavy-ree-embargo", "samples": SAMPLES}
    assert c.get("/api/runs").status_code == 401
    assert c.get("/api/runs", headers={"X-Forwarded-User": "bob"}).status_code == 200
    assert c.post("/api/simulations", json=job,
                  headers={"X-Forwarded-User": "bob"}).status_code == 403
    ok = c.post("/api/simulations", json=job,
                headers={"X-Forwarded-User": "ann", "X-Forwarded-Role": "analyst"})
    assert ok.status_code == 202
    assert ok.json()["user"] == "ann"
