"""Values the run store takes and returns, its errors, and how tables become JSON.

Kept apart from :mod:`reeplan.store.store` (the database side) so that both stay short.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from enum import Enum
from pathlib import PurePath
from typing import Any

import pandas as pd

from reeplan.errors import ReeError

__all__ = [
    "InputChange",
    "Metric",
    "MetricChange",
    "Run",
    "RunDiff",
    "RunSummary",
    "StoreError",
    "UnknownRunError",
    "check_seed",
    "flatten_options",
    "frame_to_payload",
    "jsonable",
    "payload_to_frame",
    "to_metric",
    "to_seconds",
]

PAYLOAD_FORMAT = 1
"""Version of the JSON layout of a stored result table."""


class StoreError(ReeError):
    """The run store cannot be opened, read or written, or a request to it is invalid."""


class UnknownRunError(StoreError):
    """No run has the requested id (or id prefix)."""


@dataclass(frozen=True)
class Metric:
    """One headline number of a run.

    Attributes
    ----------
    value
        The number; ``None`` when undefined (NaN is stored as ``None``).
    unit
        Unit, e.g. ``"t"``, ``"USD"``, ``"share"``, ``"days"``.
    label
        Human-readable name for reports and ``runs diff``.
    """

    value: float | None
    unit: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """A run's row: status, inputs and provenance, without result tables."""

    id: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    command: str
    options: dict[str, Any]
    dataset_digest: str
    dataset_paths: list[str]
    code_version: str
    seed: int | None
    error: str | None
    timings: dict[str, float]
    heartbeat_at: datetime | None = None
    """Last sign of life of the run's process (``None`` for runs recorded before reeplan had
    heartbeats). ``status`` is ``stale`` for a running run whose heartbeat is older than the
    store's lease: its process died, and it will never finish."""

    @property
    def duration(self) -> float | None:
        """Wall-clock seconds from start to finish (``None`` while running)."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (timestamps as ISO 8601 strings)."""
        d = {f: getattr(self, f) for f in RunSummary.__dataclass_fields__}
        d["started_at"] = self.started_at.isoformat()
        d["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        d["heartbeat_at"] = self.heartbeat_at.isoformat() if self.heartbeat_at else None
        d["duration"] = self.duration
        return d


@dataclass(frozen=True)
class Run(RunSummary):
    """A run with its result tables and headline metrics."""

    results: dict[str, pd.DataFrame] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)

    def to_dict(self, *, results: bool = True) -> dict[str, Any]:
        """JSON-ready dict; result tables as ``{"columns", "dtypes", "index", "records"}``."""
        d = super().to_dict()
        d["metrics"] = {k: asdict(m) for k, m in self.metrics.items()}
        if results:
            d["results"] = {k: frame_to_payload(v) for k, v in self.results.items()}
        else:
            d["results"] = {k: {"rows": len(v), "columns": [str(c) for c in v.columns]}
                            for k, v in self.results.items()}
        return d


@dataclass(frozen=True)
class InputChange:
    """One input that differs between two runs (``field`` like ``seed`` or ``options.budget``)."""

    field: str
    a: Any
    b: Any


@dataclass(frozen=True)
class MetricChange:
    """A headline metric of two runs; ``None`` where a run lacks it or it is undefined."""

    key: str
    label: str | None
    unit: str | None
    a: float | None
    b: float | None

    @property
    def change(self) -> float | None:
        """``b - a``."""
        if self.a is None or self.b is None:
            return None
        return self.b - self.a

    @property
    def relative_change(self) -> float | None:
        """``(b - a) / |a|``; ``None`` when ``a`` is 0 (and ``b`` is not) or missing."""
        change = self.change
        if change is None:
            return None
        if self.a == 0:
            return 0.0 if change == 0 else None
        return change / abs(self.a)

    @property
    def changed(self) -> bool:
        """Whether the two values differ (exactly; reruns with equal inputs are bit-equal)."""
        return self.a != self.b

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict including the derived changes."""
        return {**asdict(self), "change": self.change, "relative_change": self.relative_change,
                "changed": self.changed}


@dataclass(frozen=True)
class RunDiff:
    """What differs between run ``a`` and run ``b``: inputs and headline metrics."""

    a: RunSummary
    b: RunSummary
    inputs: list[InputChange]
    metrics: list[MetricChange]

    @property
    def changed_metrics(self) -> list[MetricChange]:
        """Only the metrics whose value differs."""
        return [m for m in self.metrics if m.changed]

    @property
    def same_inputs(self) -> bool:
        """Whether the two runs had identical inputs (options, data, seed, code)."""
        return not self.inputs

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "inputs": [asdict(c) for c in self.inputs],
            "metrics": [m.to_dict() for m in self.metrics],
        }


def frame_to_payload(frame: pd.DataFrame | pd.Series, name: str = "table") -> dict[str, Any]:
    """Serialise a table as JSON: ``{"format", "columns", "dtypes", "index", "records"}``.

    ``records`` is a list of ``{column: value}`` dicts in row order; NaN and NaT become ``null``
    and timestamps ISO 8601 strings. A non-default index is stored as leading columns named in
    ``index``. Column names become strings; MultiIndex column labels are joined with ``" / "``.

    Raises
    ------
    StoreError
        When ``frame`` is not a DataFrame or Series, or has duplicate column names.
    """
    if isinstance(frame, pd.Series):
        frame = frame.to_frame(name=frame.name if frame.name is not None else "value")
    if not isinstance(frame, pd.DataFrame):
        msg = f"result table {name!r} must be a pandas DataFrame, not {type(frame).__name__}"
        raise StoreError(msg)
    index_cols: list[str] = []
    plain = (isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
             and frame.index.start == 0 and frame.index.step == 1)
    if isinstance(frame.columns, pd.MultiIndex):
        frame = frame.copy()
        frame.columns = [" / ".join(str(x) for x in col) for col in frame.columns]
    if not plain:
        nlevels = frame.index.nlevels
        try:
            frame = frame.reset_index()
        except ValueError as exc:  # an index level named like a column
            msg = f"result table {name!r}: cannot store its index: {exc}"
            raise StoreError(msg) from None
        index_cols = [str(c) for c in frame.columns[:nlevels]]
    columns = [str(c) for c in frame.columns]
    if len(set(columns)) != len(columns):
        dupes = sorted({c for c in columns if columns.count(c) > 1})
        msg = f"result table {name!r} has duplicate column names: {', '.join(dupes)}"
        raise StoreError(msg)
    data = frame.to_dict(orient="split", index=False)["data"]
    records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in data]
    return {
        "format": PAYLOAD_FORMAT,
        "columns": columns,
        "dtypes": {c: str(t) for c, t in zip(columns, frame.dtypes, strict=True)},
        "index": index_cols,
        "records": records,
    }


def payload_to_frame(payload: Mapping[str, Any]) -> pd.DataFrame:
    """Rebuild the DataFrame that :func:`frame_to_payload` serialised (dtypes where possible)."""
    columns = list(payload.get("columns", []))
    frame = pd.DataFrame.from_records(payload.get("records", []), columns=columns)
    for col, dtype in payload.get("dtypes", {}).items():
        if col not in frame.columns or str(frame[col].dtype) == dtype:
            continue
        try:
            if dtype.startswith("datetime64"):
                converted = pd.to_datetime(frame[col], utc="UTC" in dtype or "+" in dtype)
                frame[col] = converted.astype(dtype)
            else:
                frame[col] = frame[col].astype(dtype)
        except (TypeError, ValueError):
            pass  # e.g. an int column with nulls: keep pandas' inferred dtype
    index = list(payload.get("index", []))
    if index:
        frame = frame.set_index(index)
    return frame


def _json_value(v: Any) -> Any:
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is pd.NaT or (not isinstance(v, list | tuple | dict) and pd.isna(v) is True):
        return None
    if isinstance(v, datetime | date | pd.Timestamp):
        return v.isoformat()
    if hasattr(v, "item"):  # numpy scalar
        return _json_value(v.item())
    return jsonable(v)


def jsonable(v: Any) -> Any:
    """A JSON-safe copy of ``v``: paths and unknown objects as strings, NaN/inf as ``None``."""
    if v is None or isinstance(v, bool | int | str):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    if isinstance(v, set | frozenset):
        return sorted((jsonable(x) for x in v), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(v, Enum):
        return jsonable(v.value)
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, PurePath):
        return str(v)
    if hasattr(v, "item") and callable(v.item):  # numpy scalar
        try:
            return jsonable(v.item())
        except (TypeError, ValueError):
            pass
    if hasattr(v, "tolist"):
        return jsonable(v.tolist())
    return str(v)


def to_metric(key: str, spec: Any) -> Metric:
    """A :class:`Metric` from a number, ``(value[, unit[, label]])`` or a Metric (NaN -> None)."""
    if isinstance(spec, Metric):
        value, unit, label = spec.value, spec.unit, spec.label
    elif isinstance(spec, tuple | list):
        if not 1 <= len(spec) <= 3:
            msg = f"metric {key!r}: give a number, (value, unit) or (value, unit, label)"
            raise StoreError(msg)
        value, unit, label = (*spec, None, None)[:3]
    else:
        value, unit, label = spec, None, None
    if value is not None:
        if isinstance(value, str | bytes):
            msg = f"metric {key!r}: value {value!r} is not a number"
            raise StoreError(msg)
        try:
            value = float(value)
        except (TypeError, ValueError):
            msg = f"metric {key!r}: value {value!r} is not a number"
            raise StoreError(msg) from None
        if not math.isfinite(value):
            value = None
    return Metric(value, None if unit is None else str(unit), None if label is None else str(label))


def to_seconds(step: str, seconds: Any) -> float:
    """Validate a step timing: a finite, non-negative number of seconds."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        msg = f"timing of step {step!r} must be a number of seconds, not {seconds!r}"
        raise StoreError(msg) from None
    if not math.isfinite(value) or value < 0:
        msg = f"timing of step {step!r} must be a finite, non-negative number, not {value}"
        raise StoreError(msg)
    return value


def check_seed(seed: Any) -> int | None:
    """Validate a seed: ``None`` or an integer that fits the 64-bit ``seed`` column."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        msg = f"seed must be an integer or None, not {seed!r}"
        raise StoreError(msg)
    seed = int(seed)
    if not -(2**63) <= seed < 2**63:
        msg = f"seed {seed} does not fit in 64 bits"
        raise StoreError(msg)
    return seed


def flatten_options(options: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested option dicts as one level with dotted keys (``{"a": {"b": 1}}`` -> ``a.b``)."""
    flat: dict[str, Any] = {}
    for key, value in options.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten_options(value, f"{name}."))
        else:
            flat[name] = value
    return flat
