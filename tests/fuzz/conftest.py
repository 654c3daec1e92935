"""Hypothesis settings of the fuzz tests and a tally printed at the end of the run.

Normal runs try ``REEPLAN_FUZZ_EXAMPLES`` examples per target (30 when unset); ``make fuzz``
sets it to 1000.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("REEPLAN_FUZZ_EXAMPLES") or 30)
"""Examples per fuzz target."""

EXAMPLE_SECONDS = 30.0
"""An example that takes longer than this counts as a hang (pytest-timeout stops a real one)."""

settings.register_profile(
    "reeplan-fuzz",
    max_examples=EXAMPLES,
    deadline=None,  # timing is asserted per example below, against EXAMPLE_SECONDS
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
    database=None,
)

TALLY: Counter[str] = Counter()
"""Outcome counts: ``<target>:ok``, ``<target>:data_error``, ``<target>:traceback``,
``<target>:hang``, and ``slowest_ms``."""


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not TALLY:
        return
    targets = sorted({k.split(":")[0] for k in TALLY if ":" in k})
    terminalreporter.section("reeplan fuzz tally")
    for t in targets:
        n = sum(v for k, v in TALLY.items() if k.startswith(f"{t}:"))
        terminalreporter.write_line(
            f"{t}: {n} examples, {TALLY[t + ':ok']} loaded, {TALLY[t + ':data_error']} "
            f"DataError, {TALLY[t + ':traceback']} tracebacks, {TALLY[t + ':hang']} hangs, "
            f"{TALLY[t + ':inconsistent']} inconsistent runs")
    terminalreporter.write_line(f"slowest example: {TALLY['slowest_ms'] / 1000:.2f} s")
