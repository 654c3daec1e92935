"""The one JSON writer of reeplan (CLI ``--json``/``--format json``, ``brief.json``, the API).

Missing and infinite values are written as ``null``: JSON has no NaN or Infinity, and strict
parsers reject them. Each such ``null`` inside an object gets a companion field ``<key>_reason``
that says what it stands for: "no shortfall before the end of 2040" for an infinite time to
survive (``tts_...``), "still short at the end of 2040" for an infinite time to recover
(``ttr_...``), "infinite" or "not defined (missing, or no denominator)" elsewhere. ``null``
never stands for zero. numpy and pandas values become plain numbers, tables become lists of records,
paths and dates become text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reeplan.schema.types import SIM_HORIZON

__all__ = ["dumps", "nonfinite_reason", "to_jsonable"]

_INF_REASONS = {
    "tts": f"no shortfall before the end of {SIM_HORIZON[1]}",
    "ttr": f"still short at the end of {SIM_HORIZON[1]}",
}
"""Meaning of +inf by key prefix (``tts_years_p50``, ``ttr``...)."""


def nonfinite_reason(key: str, value: float) -> str:
    """What a NaN or ±inf under ``key`` stands for, in words (the ``<key>_reason`` field)."""
    if math.isnan(value):
        return "not defined (missing, or no denominator)"
    if value > 0:
        return next((r for p, r in _INF_REASONS.items() if key.lower().startswith(p)),
                    "infinite")
    return "minus infinite"


def _is_nonfinite(v: Any) -> bool:
    return isinstance(v, float | np.floating) and not math.isfinite(float(v))


def _object(d: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = str(k)
        out[key] = to_jsonable(v)
        if _is_nonfinite(v) and f"{key}_reason" not in d:
            out[f"{key}_reason"] = nonfinite_reason(key, float(v))
    return out


def to_jsonable(obj: Any) -> Any:
    """``obj`` as JSON-ready Python (dict, list, str, int, float, bool, None).

    NaN and ±inf become ``None``; inside an object (a dict, a table row) the key gets a
    ``<key>_reason`` companion saying why (see :func:`nonfinite_reason`).
    """
    if obj is None or isinstance(obj, bool | str):
        return obj
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, dict):
        return _object(obj)
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, dt.date | dt.datetime | pd.Timestamp):
        return obj.isoformat()
    if obj is pd.NaT or obj is pd.NA:
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if hasattr(obj, "model_dump"):
        return to_jsonable(obj.model_dump(mode="json"))
    return str(obj)


def dumps(obj: Any, indent: int | None = 1) -> str:
    """Strict JSON text of ``obj`` (no NaN or Infinity tokens)."""
    return json.dumps(to_jsonable(obj), indent=indent, allow_nan=False, ensure_ascii=False)
