"""A real browser on the dashboard: Playwright driving Debian's Chromium.

Starts ``reeplan serve`` on 127.0.0.1 with a free port, then opens the overview, runs a what-if
scenario and sees its fan chart, moves the budget slider and sees the portfolio change, and
opens a run's brief. The what-if and the full run (whose brief is opened) are computed by the
server; the frontier under the slider is recorded in the store beforehand, as a finished
portfolio job would leave it (``test_api.py`` computes a real one through the API: appraising
every option takes a minute on a busy machine). Skipped when Playwright or Chromium is
missing, except under ``CI=true``, where that is a failure (``.ci/run`` installs Chromium).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = os.environ.get("REEPLAN_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def _need(what: str) -> None:
    msg = f"the browser test needs {what}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{msg}; CI=true, and CI must run it", pytrace=False)
    pytest.skip(msg)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``reeplan serve`` on a free loopback port; its base URL once it is ready."""
    tmp = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {**os.environ, "REEPLAN_API_JOB_WORKERS": "3", "REEPLAN_API_MAX_JOBS_PER_USER": "3",
           "REEPLAN_API_DATA_DIR": str(tmp),
           "REEPLAN_SAMPLES": "20", "REEPLAN_FRONTIER_POINTS": "3"}
    for var in ("REEPLAN_API_TOKEN", "REEPLAN_API_VIEWER_TOKEN", "REEPLAN_API_TOKENS"):
        env.pop(var, None)
    _seed_frontier(tmp / "runs.sqlite")
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "reeplan", "serve", "--port", str(port),
                             "--store", str(tmp / "runs.sqlite")],
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 240:
                pytest.fail(f"server did not become ready:\n{(tmp / 'server.log').read_text()}")
            time.sleep(0.5)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _seed_frontier(store_path: Path) -> str:
    """A finished portfolio job in the store: a 3-point frontier and its awards."""
    import pandas as pd

    from reeplan.api.services import frontier_tables
    from reeplan.store import RunStore

    frontier = pd.DataFrame({
        "budget_usd": [0.0, 1.5e9, 3e9], "cost_usd": [0.0, 1.23e9, 1.78e9],
        "expected_loss": [2079.4, 2053.6, 2053.0], "objective": [2079.4, 2053.6, 2053.0],
        "reduction": [0.0, 0.0124, 0.0127],
        "projects": ["", "mp-10x:grant-50, vulcan-magnets:grant-50",
                     "mp-10x:grant-50, noveon-expansion:grant-50, vulcan-magnets:grant-50"],
        "gap": [0.005, 0.005, 0.005]})
    options = pd.DataFrame({
        "project": ["mp-10x", "vulcan-magnets", "noveon-expansion"],
        "option": ["grant-50"] * 3, "name": ["Title III grant 50% of capex"] * 3,
        "award_year": [2026, 2026, 2027], "cost_usd": [5.79e8, 6.49e8, 5.57e8]})
    f, awards = frontier_tables(frontier, options)
    with RunStore(store_path) as store:
        run_id = store.start_run("api portfolio", {"frontier_max": 3e9, "samples": 10,
                                                   "_server": "seed"}, "0" * 64, [], 1)
        store.record(run_id, tables={"frontier": f, "frontier_awards": awards,
                                     "awards": awards[awards["point"] == 1],
                                     "groups": pd.DataFrame({"group": ["NdPr"]})})
        store.finish(run_id)
    return run_id


def _wait(base: str, job_id: str, timeout: float = 400) -> dict:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        job = httpx.get(f"{base}/api/jobs/{job_id}", timeout=30).json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(1)
    pytest.fail(f"job {job_id} did not finish in {timeout} s")


def test_dashboard_in_a_real_browser(server: str) -> None:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _need("the playwright package (pip install playwright)")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _need(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    # a full run in the background, for its brief
    run = httpx.post(f"{server}/api/runs", json={"samples": 10, "skip": ["finance",
                                                                         "optimize"],
                                                 "scenarios": ["heavy-ree-embargo"]},
                     timeout=60)
    assert run.status_code == 202, run.text

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.set_default_timeout(180_000)
        expect.set_options(timeout=180_000)

        page.goto(f"{server}/")
        expect(page.locator("#quick .card").first).to_be_visible()

        # what-if: pick a preset, edit a parameter, run, see the fan chart
        page.goto(f"{server}/whatif")
        expect(page.locator("#scenario-form")).to_be_visible()
        page.select_option("#scenario-pick", "heavy-ree-embargo")
        expect(page.locator("#scenario-form input[name=scenario]")).to_have_value(
            "heavy-ree-embargo")
        page.fill("#scenario-form input[name=samples]", "30")
        page.click("#run-whatif")
        expect(page.locator("#fan-chart .js-plotly-plot")).to_be_visible()
        expect(page.locator("#tts")).to_contain_text("Dy")

        # portfolio: move the budget along the frontier, the awards change
        page.goto(f"{server}/portfolio")
        budget = page.locator("#point-budget")
        expect(budget).to_have_text("$0")
        page.locator("#budget-slider").fill("2")
        expect(budget).not_to_have_text("$0")
        expect(page.locator("#point-cards")).to_have_attribute("data-point", "2")

        # runs: open the full run's brief
        assert _wait(server, run.json()["id"])["status"] == "succeeded"
        page.goto(f"{server}/runs")
        page.click(f"a.brief[href='/runs/{run.json()['id']}/brief']")
        expect(page).to_have_url(f"{server}/runs/{run.json()['id']}/brief")
        expect(page.locator("h1").first).to_be_visible()
        browser.close()
