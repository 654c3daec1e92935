"""Property-based fuzz of the HTTP API from its OpenAPI schema (schemathesis): no 5xx.

Every operation of ``/openapi.json`` gets ``REEPLAN_API_FUZZ_EXAMPLES`` generated requests
(default 20: well under a minute); jobs it submits are small (``max_samples`` 20)
and limited per user. ``REEPLAN_API_FUZZ_EXAMPLES=200 pytest tests/api/test_fuzz.py`` fuzzes
harder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402

from reeplan.api import ApiSettings, create_app  # noqa: E402
from reeplan.api.workspace import Workspace  # noqa: E402
from reeplan.settings import Settings  # noqa: E402

EXAMPLES = int(os.environ.get("REEPLAN_API_FUZZ_EXAMPLES", "20"))


def test_no_server_errors(workspace: Workspace, tmp_path: Path) -> None:
    api = ApiSettings(store=str(tmp_path / "runs.sqlite"), data_dir=tmp_path / "data",
                      preload=False, max_samples=20, max_jobs_per_user=2, job_workers=1)
    app = create_app(api, Settings(samples=10))
    app.state.workspace = workspace
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20

    for op in operations:
        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            response = case.call(timeout=120)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} body={case.body!r}: "
                                f"{response.status_code} {response.text[:300]}")

        check()
    app.state.jobs.shutdown()
    assert not failures, "\n".join(failures[:20])
