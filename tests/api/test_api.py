"""The HTTP API with FastAPI's TestClient, on SQLite and (in CI) PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from reeplan.api.services import scenario_document
from reeplan.api.workspace import Workspace
from reeplan.store import RunStore
from tests.api.conftest import SAMPLES, wait_job


def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"store": "ok", "dataset": "ok"}


def test_tables_with_sources(client: TestClient) -> None:
    tables = client.get("/api/tables").json()
    assert tables["count"] == len(tables["data"]) > 10
    fac = client.get("/api/tables/facilities", params={"limit": 5}).json()
    assert fac["count"] > 5
    assert len(fac["rows"]) == 5
    assert fac["sources"], "the facilities' source rows are returned with them"
    cited = {r["source_id"] for r in fac["rows"]}
    assert {s["id"] for s in fac["sources"]} <= cited
    r = client.get("/api/tables/no_such_table")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "name"]


def test_exposure_and_validation(client: TestClient) -> None:
    body = client.get("/api/exposure", params={"element": "Dy", "year": 2025,
                                               "stage": "magnet"}).json()
    assert body["elements"] == ["Dy"]
    assert body["count"] == 1
    assert 0 <= body["rows"][0]["adversary_share"] <= 1
    bad = client.get("/api/exposure", params={"element": "Dy", "stage": "moon"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "stage"]
    assert client.get("/api/exposure", params={"year": 1990}).status_code == 422
    assert client.get("/api/exposure", params={"element": "Xx"}).status_code == 422
    val = client.get("/api/validation").json()
    assert val["count"] > 0


def test_scenarios_and_user_scenario_validation(client: TestClient) -> None:
    names = [s["name"] for s in client.get("/api/scenarios").json()["data"]]
    assert "april-2025-controls" in names
    assert "threats" in names
    preset = client.get("/api/scenarios/april-2025-controls").json()
    assert preset["json_schema"]["title"] == "Scenario"
    doc = dict(preset["definition"], name="my-case", title="My case")
    ok = client.post("/api/scenarios/validate", json={"definition": doc})
    assert ok.status_code == 200, ok.text
    bad = dict(doc, export_controls=[dict(doc["export_controls"][0], approval_rate=7)])
    r = client.post("/api/scenarios/validate", json={"definition": bad})
    assert r.status_code == 422
    fields = [e["loc"] for e in r.json()["detail"]]
    assert ["body", "export_controls", "0", "approval_rate"] in fields
    assert client.post("/api/scenarios/validate",
                       json={"definition": dict(doc, includes=["/etc/passwd"])}
                       ).status_code == 422
    assert client.get("/api/scenarios/nope").status_code == 422


def test_simulation_job_is_recorded(make_client: Callable[..., TestClient],
                                    store_url: str) -> None:
    client = make_client(store_url)
    r = client.post("/api/simulations", json={"scenario": "april-2025-controls",
                                              "samples": SAMPLES, "seed": 3})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"])
    assert job["status"] == "succeeded", job
    result = client.get(f"/api/simulations/{job['id']}").json()
    assert {"shortfall", "time_to_survive", "fan", "scenario"} <= set(result)
    assert result["fan"]["count"] > 0
    with RunStore(store_url) as store:
        run = store.get_run(job["id"])
    assert run.status == "succeeded"
    assert run.command == "api simulation"
    assert run.options["samples"] == SAMPLES
    assert run.seed == 3
    assert "fan" in run.results


def test_custom_and_threat_simulations(client: TestClient) -> None:
    doc = scenario_document("heavy-ree-embargo")[2]
    doc = dict(doc, name="my-embargo", title="A <b>bold</b> embargo")
    r1 = client.post("/api/simulations", json={"definition": doc, "samples": SAMPLES})
    r2 = client.post("/api/simulations", json={"scenario": "threats", "samples": SAMPLES,
                                               "definition": {"rate_multiplier": 2.0}})
    assert r1.status_code == r2.status_code == 202, (r1.text, r2.text)
    assert wait_job(client, r1.json()["id"])["status"] == "succeeded"
    assert wait_job(client, r2.json()["id"])["status"] == "succeeded"
    bad = client.post("/api/simulations", json={"scenario": "threats", "samples": SAMPLES,
                                                "definition": {"rate_multiplier": -1}})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"][-1] == "rate_multiplier"
    both = client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                 "definition": doc})
    assert both.status_code == 422
    # user text is escaped in the dashboard
    page = client.get(f"/ui/jobs/{r1.json()['id']}/whatif").text
    assert "A &lt;b&gt;bold&lt;/b&gt; embargo" in page
    assert "<b>bold</b>" not in page


def test_two_jobs_at_once_both_finish_and_are_recorded(make_client: Callable[..., TestClient],
                                                       store_url: str) -> None:
    client = make_client(store_url)
    ids: list[str] = []

    def submit(name: str) -> None:
        r = client.post("/api/simulations", json={"scenario": name, "samples": SAMPLES})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])

    threads = [threading.Thread(target=submit, args=(n,))
               for n in ("april-2025-controls", "heavy-ree-embargo")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 2
    assert [wait_job(client, i)["status"] for i in ids] == ["succeeded", "succeeded"]
    with RunStore(store_url) as store:
        runs = {r.id: r for r in store.list_runs(None)}
    assert all(runs[i].status == "succeeded" for i in ids)


def test_validation_errors_name_fields(client: TestClient) -> None:
    r = client.post("/api/simulations", json={"scenario": "april-2025-controls",
                                              "samples": "10"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "samples"]
    r = client.post("/api/simulations", json={"scenario": "april-2025-controls",
                                              "samples": 10, "path": "/etc"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "path"]
    r = client.post("/api/portfolios", json={"budget": -1})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "budget"]
    r = client.post("/api/appraisals", json={"project": "nope"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "project"]
    r = client.post("/api/appraisals", json={"project": "../../etc/x.yaml"})
    assert r.status_code == 422


def test_appraisal(client: TestClient) -> None:
    r = client.post("/api/appraisals", json={"project": "mp-10x", "packages": ["mp-2025"],
                                             "samples": 100, "seed": 1})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 2
    assert body["rows"][1]["package"] == "mp-2025"


def test_limits(make_client: Callable[..., TestClient]) -> None:
    c = make_client(max_samples=100, max_jobs_per_user=1, max_body_bytes=2048)
    r = c.post("/api/simulations", json={"scenario": "april-2025-controls", "samples": 101})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "samples"]
    big = c.post("/api/scenarios/validate", json={"definition": {"x": "y" * 4000}})
    assert big.status_code == 413
    first = c.post("/api/simulations", json={"scenario": "april-2025-controls", "samples": 100})
    second = c.post("/api/simulations", json={"scenario": "april-2025-controls", "samples": 5})
    assert first.status_code == 202, first.text
    assert second.status_code == 429, second.text
    c.post(f"/api/jobs/{first.json()['id']}/cancel")
    wait_job(c, first.json()["id"])


def test_cancel_marks_the_run_failed(make_client: Callable[..., TestClient],
                                     store_url: str) -> None:
    c = make_client(store_url)
    r = c.post("/api/simulations", json={"scenario": "april-2025-controls", "samples": 5000})
    job_id = r.json()["id"]
    assert c.post(f"/api/jobs/{job_id}/cancel").status_code == 200
    assert wait_job(c, job_id)["status"] == "cancelled"
    with RunStore(store_url) as store:
        run = store.get_run(job_id)
    assert run.status == "failed"
    assert run.error.startswith("cancelled")


def test_shutdown_never_leaves_jobs_running(make_client: Callable[..., TestClient],
                                            store_url: str) -> None:
    c = make_client(store_url, job_workers=1)
    ids = [c.post("/api/simulations", json={"scenario": "april-2025-controls",
                                            "samples": 5000}).json()["id"] for _ in range(2)]
    c.__exit__(None, None, None)  # lifespan shutdown
    with RunStore(store_url) as store:
        statuses = {store.get_run(i).status for i in ids}
        assert store.list_runs(None, status="running") == []
    assert statuses == {"failed"}


def test_stale_runs_of_this_server_are_failed_at_start(make_client: Callable[..., TestClient],
                                                       store_url: str) -> None:
    with RunStore(store_url) as store:
        mine = store.start_run("api simulation", {"_server": "test-a"}, "d" * 64, [], 1)
        other = store.start_run("api simulation", {"_server": "test-b"}, "d" * 64, [], 1)
    make_client(store_url, instance="test-a")
    with RunStore(store_url) as store:
        assert store.get_run(mine).status == "failed"
        assert store.get_run(other).status == "running"
        store.fail(other, "test cleanup")


def test_runs_diff_and_brief(client: TestClient) -> None:
    ids = []
    for seed in (1, 2):
        r = client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                  "samples": SAMPLES, "seed": seed})
        ids.append(r.json()["id"])
        assert wait_job(client, ids[-1])["status"] == "succeeded"
    runs = client.get("/api/runs").json()
    assert {r["id"] for r in runs["data"]} >= set(ids)
    one = client.get(f"/api/runs/{ids[0]}").json()
    assert one["metrics"]
    assert one["tables"]["fan"] > 0
    table = client.get(f"/api/runs/{ids[0]}/tables/shortfall", params={"limit": 3}).json()
    assert len(table["rows"]) == 3
    diff = client.get(f"/api/runs/{ids[0]}/diff/{ids[1]}").json()
    assert any(c["name"] == "seed" for c in diff["inputs"])
    brief = client.get(f"/runs/{ids[0]}/brief")
    assert brief.status_code == 200
    assert "text/html" in brief.headers["content-type"]
    assert client.get("/api/runs/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/runs/zz").status_code == 422


def test_overlay_upload_is_validated_and_stored_with_the_run(client: TestClient,
                                                             workspace: Workspace) -> None:
    fac = (workspace.dataset().tables["facilities"]
           .drop(columns=["_file", "_row"]).reset_index(drop=True))
    csv = fac.head(1).assign(capacity=fac["capacity"].head(1) * 2).to_csv(index=False)
    r = client.post("/api/overlays", files=[("files", ("facilities.csv", csv.encode(),
                                                        "text/csv"))])
    assert r.status_code == 201, r.text
    overlay = r.json()
    assert overlay["tables"] == {"facilities": 1}
    bad_csv = csv.replace(str(fac["capacity"].iloc[0] * 2), "lots")
    bad = client.post("/api/overlays", files=[("files", ("facilities.csv", bad_csv.encode(),
                                                          "text/csv"))])
    assert bad.status_code == 422
    assert any("capacity" in e["loc"] for e in bad.json()["detail"]), bad.json()
    path = client.post("/api/overlays", files=[("files", ("../../x.csv", b"id\n", "text/csv"))])
    assert path.status_code == 422
    job = client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                "samples": SAMPLES, "overlay": overlay["id"]})
    assert job.status_code == 202, job.text
    assert wait_job(client, job.json()["id"])["status"] == "succeeded"
    run = client.get(f"/api/runs/{job.json()['id']}").json()
    assert run["tables"]["overlay.facilities"] == 1
    assert run["dataset_digest"] == overlay["digest"]
    unknown = client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                    "overlay": "0" * 16})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body",
                                                                                 "overlay"]


@pytest.mark.slow
def test_portfolio_frontier_and_slider(client: TestClient) -> None:
    r = client.post("/api/portfolios", json={"budget": 1e9, "samples": 10, "frontier_points": 3,
                                             "frontier_max": 3e9})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"], timeout=300)
    assert job["status"] == "succeeded", job
    f = client.get(f"/api/portfolios/{job['id']}/frontier").json()
    assert f["frontier"]["count"] == 3
    assert "usd_per_t" in f["frontier"]["columns"]
    p0 = client.get(f"/ui/portfolio/{job['id']}/point", params={"point": 0}).text
    p2 = client.get(f"/ui/portfolio/{job['id']}/point", params={"point": 2}).text
    assert "$0" in p0
    assert p0 != p2
    assert client.get("/portfolio").status_code == 200


@pytest.mark.timeout(300)
def test_jobs_share_a_dask_cluster(make_client: Callable[..., TestClient]
                                                       ) -> None:
    """``reeplan serve --scheduler ADDRESS``: two users' what-ifs run at once on one Dask
    cluster of two workers and give the same numbers as the local machine with the same seed.
    (Workers in separate processes, started by the ``dask`` command as in the compose set-up,
    are tested in ``test_team_setup.py``; a ``LocalCluster`` of worker processes inside pytest
    hung once in CI while starting its nannies, so this one keeps its workers in-process.)"""
    distributed = pytest.importorskip("distributed")
    body = {"scenario": "heavy-ree-embargo", "samples": SAMPLES, "seed": 11}
    local = make_client()
    job = local.post("/api/simulations", json=body).json()
    assert wait_job(local, job["id"])["status"] == "succeeded"
    expected = local.get(f"/api/simulations/{job['id']}").json()["shortfall"]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        client = make_client(scheduler=cluster.scheduler_address)
        ids = [client.post("/api/simulations", json=b).json()["id"]
               for b in (body, {**body, "scenario": "april-2025-controls"})]
        assert [wait_job(client, i, timeout=300)["status"] for i in ids] == ["succeeded"] * 2
        got = client.get(f"/api/simulations/{ids[0]}").json()["shortfall"]
        with distributed.Client(cluster.scheduler_address) as c:
            assert len(c.scheduler_info()["workers"]) == 2
            # the simulations ran on the cluster: its scheduler has seen their tasks
            seen = c.run_on_scheduler(lambda dask_scheduler: {
                name: sum(p.all_durations.values())
                for name, p in dask_scheduler.task_prefixes.items()})
    assert seen, "no task reached the cluster"
    assert sum(seen.values()) > 0
    assert got == expected
