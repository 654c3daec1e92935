"""The one JSON writer of reeplan (CLI ``--json``/``--format json``, ``brief.json``, the API).

Missing and infinite values are written as ``null``: JSON has no NaN or Infinity, and strict
parsers reject them. Where infinity carries a meaning (a time to survive with no shortfall before
the horizon), the table that holds it says so in a companion column or field; ``null`` never
stands for zero. numpy and pandas values become plain numbers, tables become lists of records,
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

__all__ = ["dumps", "to_jsonable"]


def to_jsonable(obj: Any) -> Any:
    """``obj`` as JSON-ready Python (dict, list, str, int, float, bool, None); NaN/±inf -> None."""
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
        return {str(k): to_jsonable(v) for k, v in obj.items()}
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
