"""Run store: every ``reeplan run`` recorded with its inputs, provenance, timings and results.

SQLite by default (``runs.sqlite`` in the user's data directory), or PostgreSQL; the schema is
migrated with Alembic when a store is opened. See :class:`RunStore`.
"""

from reeplan.store.store import (
    ActiveRun,
    InputChange,
    Metric,
    MetricChange,
    Run,
    RunDiff,
    RunStore,
    RunSummary,
    StoreError,
    UnknownRunError,
    code_version,
    default_store_path,
    resolve_store_url,
)

__all__ = [
    "ActiveRun",
    "InputChange",
    "Metric",
    "MetricChange",
    "Run",
    "RunDiff",
    "RunStore",
    "RunSummary",
    "StoreError",
    "UnknownRunError",
    "code_version",
    "default_store_path",
    "resolve_store_url",
]
