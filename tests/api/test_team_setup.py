"""The team set-up of ``compose.yaml``, started without containers.

No Docker engine runs on the development and CI machines, so ``docker compose up`` itself cannot
be run here. This test reads ``compose.yaml`` and ``Dockerfile`` and starts the same processes
with the same commands and environment on loopback: a Dask scheduler and two workers (the
``scheduler`` and ``worker`` services' commands), PostgreSQL as the store (CI's server, standing
in for the ``db`` service) and ``reeplan serve`` with the ``app`` service's environment and the
image's ``REEPLAN_API_*`` settings. It then does what an analyst would: checks health and
readiness, signs in with the token, runs a what-if on the cluster and finds it in the store.
It catches drift between the compose file and the code (a renamed setting, a wrong command).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
pytestmark = pytest.mark.timeout(400)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def _image_env() -> dict[str, str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    block = text.split("FROM python:3.11-slim-bookworm\n")[-1]
    env = re.search(r"ENV ((?:.+\\\n)*.+)", block)
    assert env is not None, "the runtime stage of the Dockerfile sets no ENV"
    pairs = re.findall(r"(\w+)=(\S+)", env.group(1).replace("\\\n", " "))
    return dict(pairs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            pytest.fail(f"{proc.args} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    pytest.fail(f"nothing listens on port {port} after {timeout} s: {proc.args}")


def test_compose_file_matches_the_code() -> None:
    """Every REEPLAN_* variable the compose file and the image set is a real setting."""
    from reeplan.api.config import ApiSettings
    from reeplan.settings import Settings

    compose = _compose()
    assert {"app", "db", "scheduler", "worker"} <= set(compose["services"])
    assert compose["services"]["worker"]["deploy"]["replicas"] == 2
    env = {**_image_env(), **compose["services"]["app"]["environment"]}
    api_fields = {f.upper() for f in ApiSettings.model_fields}
    run_fields = {f.upper() for f in Settings.model_fields}
    for name in env:
        if name.startswith("REEPLAN_API_"):
            assert name.removeprefix("REEPLAN_API_") in api_fields, name
        elif name.startswith("REEPLAN_"):
            assert name.removeprefix("REEPLAN_") in run_fields | {"STORE"}, name
    scheduler = compose["services"]["scheduler"]["command"]
    worker = compose["services"]["worker"]["command"]
    assert scheduler[:2] == ["dask", "scheduler"]
    assert worker[:2] == ["dask", "worker"]
    port = scheduler[scheduler.index("--port") + 1]
    assert worker[2] == f"tcp://scheduler:{port}"
    assert env["REEPLAN_API_SCHEDULER"] == f"tcp://scheduler:{port}"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[dict[str, object]]:
    """The compose services as local processes; yields the app's URL and token."""
    url = os.environ.get("REEPLAN_TEST_POSTGRES_URL", "").strip()
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the team set-up test against PostgreSQL")
        pytest.skip("needs REEPLAN_TEST_POSTGRES_URL (start a server with `bash .ci/postgres.sh`)")
    if shutil.which("dask", path=str(BIN)) is None:
        pytest.skip("the dask command is not installed")
    compose = _compose()
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "logs"
    logs.mkdir()

    def start(name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen:
        out = (logs / f"{name}.log").open("w")
        p = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
                             start_new_session=True)
        procs.append(p)
        return p

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("REEPLAN_")}
    base_env["MPLCONFIGDIR"] = str(tmp_path / "mpl")
    s_port, dash = _free_port(), _free_port()
    cmd = compose["services"]["scheduler"]["command"]
    cmd = [str(BIN / "dask"), *cmd[1:]]
    cmd[cmd.index("--port") + 1] = str(s_port)
    cmd[cmd.index("--host") + 1] = "127.0.0.1"
    cmd[cmd.index("--dashboard-address") + 1] = f"127.0.0.1:{dash}"
    sched = start("scheduler", cmd, base_env)
    _wait_port(s_port, sched)
    address = f"tcp://127.0.0.1:{s_port}"
    for i in range(compose["services"]["worker"]["deploy"]["replicas"]):
        w = [str(BIN / "dask"), *compose["services"]["worker"]["command"][1:]]
        w[2] = address
        start(f"worker{i}", [*w, "--no-dashboard"], base_env)
    token = "team-token-" + os.urandom(8).hex()
    app_env = {**base_env, **_image_env(), **{
        k: str(v) for k, v in compose["services"]["app"]["environment"].items()}}
    app_env.update({
        "PATH": f"{BIN}{os.pathsep}{base_env.get('PATH', '')}",
        "REEPLAN_STORE": url, "REEPLAN_API_SCHEDULER": address, "REEPLAN_API_TOKEN": token,
        "REEPLAN_API_VIEWER_TOKEN": "", "REEPLAN_API_DATA_DIR": str(tmp_path / "data"),
        "REEPLAN_API_HOST": "0.0.0.0", "REEPLAN_API_PORT": str(_free_port()),
        "MPLCONFIGDIR": str(tmp_path / "mpl")})
    app = start("app", [str(BIN / "reeplan"), "serve"], app_env)
    port = int(app_env["REEPLAN_API_PORT"])
    try:
        _wait_port(port, app, timeout=120)
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "store": url,
               "scheduler": address, "logs": logs}
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


@pytest.mark.postgres
def test_team_setup_serves_a_what_if_on_the_cluster(team: dict[str, object]) -> None:
    import httpx

    url, token = str(team["url"]), str(team["token"])
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/healthz").status_code == 200
        t0 = time.monotonic()
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() - t0 < 120, "the app never became ready"
            time.sleep(0.5)
        # 0.0.0.0 with a token: nothing without it
        assert client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                     "samples": 20}).status_code == 401
        auth = {"Authorization": f"Bearer {token}"}
        r = client.post("/api/simulations", headers=auth,
                        json={"scenario": "heavy-ree-embargo", "samples": 20, "seed": 5})
        assert r.status_code == 202, r.text
        job = r.json()["id"]
        t0 = time.monotonic()
        while (status := client.get(f"/api/jobs/{job}", headers=auth).json()["status"]) \
                not in ("succeeded", "failed", "cancelled"):
            assert time.monotonic() - t0 < 240, f"job still {status}"
            time.sleep(0.5)
        logs = "".join(p.read_text(encoding="utf-8", errors="replace")
                       for p in Path(str(team["logs"])).glob("*.log"))
        assert status == "succeeded", logs[-3000:]
        result = client.get(f"/api/simulations/{job}", headers=auth).json()
        assert result["fan"]["count"] > 0
    from distributed import Client

    with Client(str(team["scheduler"]), timeout=30) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        seen = c.run_on_scheduler(lambda dask_scheduler: sum(
            sum(p.all_durations.values()) for p in dask_scheduler.task_prefixes.values()))
    assert seen > 0, "the what-if did not run on the cluster"
    from reeplan.store import RunStore

    with RunStore(str(team["store"])) as store:
        assert store.get_run(job).status == "succeeded"
