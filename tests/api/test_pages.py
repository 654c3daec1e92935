"""Every dashboard page renders with real data, and every asset it loads is served locally."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.api.conftest import SAMPLES, wait_job

HX = {"HX-Request": "true"}


def _local_assets(html: str) -> None:
    for src in re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html):
        assert src.startswith("/"), f"asset {src} is not served by the app"


def test_pages(client: TestClient) -> None:
    for path in ("/", "/chain", "/whatif", "/awards", "/portfolio", "/runs", "/login"):
        r = client.get(path)
        assert r.status_code == 200, (path, r.text[:300])
        _local_assets(r.text)
    assert client.get("/assets/plotly.min.js").status_code == 200
    assert client.get("/static/htmx.min.js").status_code == 200
    assert "Zero-Clause BSD" in client.get("/static/htmx.LICENSE.txt").text


def test_supply_chain_view(client: TestClient) -> None:
    r = client.get("/ui/chain", params={"element": "NdPr", "year": 2025})
    assert 'id="sankey"' in r.text
    assert 'id="heatmap"' in r.text
    assert 'id="facilities"' in r.text
    dy = client.get("/ui/chain", params={"element": "Dy", "year": 2030, "stage": "magnet"})
    assert 'id="exposure"' in dy.text
    assert "<td>separation</td>" not in dy.text
    bad = client.get("/ui/chain", params={"element": "Nope"})
    assert 'class="error"' in bad.text


def test_whatif_form_from_the_schema(client: TestClient) -> None:
    form = client.get("/ui/whatif/form", params={"scenario": "threats"}).text
    assert 'name="f:rate_multiplier"' in form
    preset = client.get("/ui/whatif/form", params={"scenario": "april-2025-controls"}).text
    assert 'name="f:export_controls.0.probability"' in preset
    bad = client.post("/ui/whatif/run", headers=HX,
                      data={"scenario": "threats", "samples": str(SAMPLES),
                            "f:rate_multiplier": "-3"})
    assert "rate_multiplier" in bad.text
    ok = client.post("/ui/whatif/run", headers=HX,
                     data={"scenario": "april-2025-controls", "samples": str(SAMPLES),
                           "f:export_controls.0.probability": "0.5"})
    job_id = re.search(r'id="job-([0-9a-f-]{36})"', ok.text).group(1)
    assert wait_job(client, job_id)["status"] == "succeeded"
    result = client.get(f"/ui/jobs/{job_id}/whatif").text
    assert 'id="fan-chart"' in result
    assert 'id="tts"' in result


def test_awards_and_runs(client: TestClient) -> None:
    r = client.post("/ui/awards", headers=HX, data={"project": "mp-10x",
                                                    "packages": ["mp-2025"], "samples": "50"})
    assert 'id="appraisal"' in r.text
    ids = []
    for seed in (1, 2):
        job = client.post("/api/simulations", json={"scenario": "heavy-ree-embargo",
                                                    "samples": SAMPLES, "seed": seed}).json()
        ids.append(job["id"])
        wait_job(client, job["id"])
    runs = client.get("/runs").text
    assert all(i[:8] in runs for i in ids)
    diff = client.get("/ui/runs/diff", params={"a": ids[0], "b": ids[1]}).text
    assert 'id="diff-metrics"' in diff
    assert "Run " in client.get(f"/runs/{ids[0]}/brief").text
