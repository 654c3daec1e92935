"""The brief in a real browser (Playwright driving Debian's Chromium, offline).

Every figure has data, the executive summary names the recommended awards, no table cell shows
scientific notation, and a screenshot of the first screen is saved as a CI artefact
(``test-artifacts/brief-first-screen.png``, or under ``REEPLAN_ARTIFACTS``). Without Chromium
or Playwright the test is skipped, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("REEPLAN_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
ARTIFACTS = Path(os.environ.get("REEPLAN_ARTIFACTS",
                                Path(__file__).resolve().parents[1] / "test-artifacts"))


def _need_browser() -> None:
    reason = ""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if not reason and not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        reason = (f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run "
                  "installs it)")
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run in CI: {reason}")
        pytest.skip(reason)


FIGURES_WITH_DATA = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const has = (t) => ['y', 'z', 'values'].some(k => Array.isArray(t[k]) && t[k].flat()
      .some(v => v !== null && v !== undefined))
    || (t.link && Array.isArray(t.link.value) && t.link.value.length > 0);
  return {id: gd.parentElement.id || gd.id, traces: (gd.data || []).length,
          withData: (gd.data || []).filter(has).length};
})
"""


def test_brief_in_chromium(small_brief: dict) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    path = small_brief["out"] / "brief.html"
    awards = small_brief["json"]["recommended_awards"]["awards"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1440, "height": 900},
                                          offline=True)
            page = context.new_page()
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0")
            page.screenshot(path=str(ARTIFACTS / "brief-first-screen.png"))
            figures = page.evaluate(FIGURES_WITH_DATA)
            assert len(figures) == sum(len(s.figures) for s in small_brief["result"].sections)
            empty = [f["id"] for f in figures if f["withData"] == 0]
            assert not empty, f"figures without data: {empty}"
            summary = page.inner_text("#executive-summary")
            for award in awards:
                assert award["project"] in summary
            assert "per weighted tonne" in summary
            # the findings and the awards are on the first screen
            box = page.locator("#recommended-awards").bounding_box()
            assert box is not None
            assert box["y"] < 900
            assert page.locator("ol.findings-list li").first.bounding_box()["y"] < 900
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            cells = page.eval_on_selector_all("table.data td.n", "els => els.map(e => "
                                              "e.innerText)")
            assert cells
            sci = [c for c in cells if re.search(r"\d[eE][+-]?\d", c)]
            assert not sci, sci[:5]
            page.screenshot(path=str(ARTIFACTS / "brief-full.png"), full_page=True)
            assert all(u.startswith(("file:", "data:", "about:")) for u in requests), requests
        finally:
            browser.close()
