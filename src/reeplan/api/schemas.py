"""Request and response bodies of the HTTP API (separate from the domain models).

Families per resource: ``XCreate`` (what a client sends), ``XPublic`` (one item returned) and
``XsPublic`` (``data`` and ``count``). Requests are strict (no type coercion, unknown fields
rejected, finite numbers only); a bad request is a 422 naming the fields.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AppraisalCreate",
    "AppraisalPublic",
    "DiffPublic",
    "ExposurePublic",
    "HealthPublic",
    "JobPublic",
    "JobsPublic",
    "OverlayPublic",
    "PortfolioCreate",
    "ReadyPublic",
    "RunCreate",
    "RunPublic",
    "RunSummaryPublic",
    "RunsPublic",
    "ScenarioCreate",
    "ScenarioInfo",
    "ScenarioPublic",
    "ScenariosPublic",
    "SimulationCreate",
    "TableInfo",
    "TablePublic",
    "TablesPublic",
]

SCENARIO_NAME = r"^[a-z0-9][a-z0-9-]{0,99}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- dataset ------------------------------------------------------------------------------


class TableInfo(_Out):
    name: str
    rows: int
    columns: list[str]


class TablesPublic(_Out):
    data: list[TableInfo]
    count: int


class TablePublic(_Out):
    """Rows of a table (a page of them), with the source rows they cite."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]
    count: int
    """Rows in the whole table (``rows`` may be one page)."""
    sources: list[dict[str, Any]] = Field(default_factory=list)


class ExposurePublic(_Out):
    year: int
    elements: list[str]
    stage: str | None
    columns: list[str]
    rows: list[dict[str, Any]]
    count: int


# -- scenarios ----------------------------------------------------------------------------


class ScenarioInfo(_Out):
    name: str
    title: str
    kind: Literal["preset", "threats"]
    shocks: int | None = None


class ScenariosPublic(_Out):
    data: list[ScenarioInfo]
    count: int


class ScenarioPublic(_Out):
    name: str
    title: str
    kind: Literal["preset", "threats", "custom"]
    definition: dict[str, Any]
    json_schema: dict[str, Any]


class ScenarioCreate(_In):
    """A user scenario, validated by the same schema as the scenario YAML files."""

    definition: dict[str, Any]


# -- jobs ---------------------------------------------------------------------------------


class SimulationCreate(_In):
    """A simulation job: a preset, the threat model, or a user scenario.

    ``scenario`` names a preset or ``threats``; ``definition`` is a whole user scenario (with
    ``scenario`` left out), or, with ``scenario = "threats"``, top-level overrides of the
    threat model (e.g. ``{"rate_multiplier": 2}``).
    """

    scenario: str | None = Field(None, pattern=SCENARIO_NAME)
    definition: dict[str, Any] | None = None
    samples: int | None = Field(None, ge=1, le=200_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    overlay: str | None = Field(None, pattern=r"^[0-9a-f]{16}$")


class PortfolioCreate(_In):
    """A portfolio job: the optimum at ``budget`` and the frontier up to ``frontier_max``."""

    budget: float = Field(2.5e9, ge=0, le=1e12)
    scenarios: list[str] = Field(default_factory=list, max_length=20)
    """Presets or ``threats`` (empty: the featured scenarios)."""
    samples: int | None = Field(None, ge=1, le=200_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    frontier_max: float | None = Field(None, gt=0, le=1e12)
    """Largest budget of the frontier (default: twice the budget, at least $1bn)."""
    frontier_points: int = Field(6, ge=2, le=20)
    cvar_alpha: float | None = Field(None, gt=0, lt=1)
    time_limit: float | None = Field(None, gt=0, le=3600)
    overlay: str | None = Field(None, pattern=r"^[0-9a-f]{16}$")


class RunCreate(_In):
    """A full run (``reeplan run``): exposure, disruptions, award costs, portfolio, brief."""

    year: int | None = Field(None, ge=2022, le=2040)
    budget: float | None = Field(None, ge=0, le=1e12)
    scenarios: list[str] = Field(default_factory=list, max_length=20)
    samples: int | None = Field(None, ge=1, le=200_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    skip: list[Literal["simulate", "finance", "optimize", "consequences"]] = Field(
        default_factory=list, max_length=4)
    chokepoints: bool = False
    frontier_points: int = Field(4, ge=2, le=20)
    overlay: str | None = Field(None, pattern=r"^[0-9a-f]{16}$")


class JobPublic(_Out):
    id: str
    kind: str
    user: str | None
    status: Literal["queued", "running", "succeeded", "failed", "cancelled"]
    progress: float
    step: str
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    links: dict[str, str] = Field(default_factory=dict)


class JobsPublic(_Out):
    data: list[JobPublic]
    count: int


# -- appraisal ----------------------------------------------------------------------------


class AppraisalCreate(_In):
    project: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
    """A preset project id (see ``GET /api/projects``)."""
    packages: list[str] = Field(default_factory=list, max_length=10)
    """Preset package ids (see ``GET /api/projects``)."""
    samples: int | None = Field(None, ge=1, le=200_000)
    seed: int | None = Field(None, ge=0, le=2**63 - 1)
    price_model: Literal["log_ou_jump", "gbm"] = "log_ou_jump"
    force: bool = False


class AppraisalPublic(_Out):
    project: str
    packages: list[str]
    samples: int
    seed: int
    columns: list[str]
    rows: list[dict[str, Any]]
    count: int


# -- runs ---------------------------------------------------------------------------------


class RunSummaryPublic(_Out):
    id: str
    status: str
    command: str
    started_at: datetime
    finished_at: datetime | None
    duration: float | None
    seed: int | None
    dataset_digest: str
    code_version: str
    error: str | None
    options: dict[str, Any]


class RunsPublic(_Out):
    data: list[RunSummaryPublic]
    count: int


class MetricPublic(_Out):
    value: float | None
    unit: str | None
    label: str | None


class RunPublic(RunSummaryPublic):
    metrics: dict[str, MetricPublic]
    tables: dict[str, int]
    """Result table name -> rows."""
    timings: dict[str, float]
    dataset_paths: list[str]
    brief: bool
    """Whether the full brief (HTML with figures) is kept for this run."""


class DiffPublic(_Out):
    a: str
    b: str
    inputs: list[dict[str, Any]]
    metrics: list[dict[str, Any]]


# -- overlays, health ---------------------------------------------------------------------


class OverlayPublic(_Out):
    id: str
    files: list[str]
    digest: str
    tables: dict[str, int]
    """Overlay table -> rows it adds or replaces."""


class HealthPublic(_Out):
    status: Literal["ok"]


class ReadyPublic(_Out):
    status: Literal["ready", "not ready"]
    checks: dict[str, str]
