"""Reusable annotated types for the dataset schema."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

__all__ = [
    "ISO3",
    "SIM_HORIZON",
    "Grade",
    "Id",
    "IsoDate",
    "NonNegative",
    "Share",
    "StageId",
    "Year",
    "split_list",
]

SIM_HORIZON: tuple[int, int] = (2025, 2040)
"""First and last calendar year that the simulator covers (quarters 2025Q1–2040Q4). A time to
survive that is infinite means no shortfall before the end of the last year."""

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]+$", min_length=1, max_length=80)]
"""Row identifier: letters, digits and underscores."""

ISO3 = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 3166-1 alpha-3 country code (plus the pseudo-codes WLD and ROW)."""

Grade = Literal["A", "B", "C", "D"]
"""Quality grade: A official, B company primary, C trade press/PRA, D aggregator or assumption."""

StageId = Literal["mining", "separation", "metal", "magnet", "end_use"]
"""The ordered supply-chain stages."""

Share = Annotated[float, Field(ge=0.0, le=1.0)]
"""A fraction in [0, 1]."""

NonNegative = Annotated[float, Field(ge=0.0)]
"""A non-negative quantity."""

Year = Annotated[int, Field(ge=1990, le=2060)]
"""A calendar or fiscal year within the model's range."""


def split_list(value: str | None) -> list[str]:
    """Split a ``;``-separated cell into its stripped, non-empty items.

    Examples
    --------
    >>> split_list("Nd; Pr;")
    ['Nd', 'Pr']
    >>> split_list(None)
    []
    """
    if not value:
        return []
    return [item.strip() for item in value.split(";") if item.strip()]


def _check_list_items(value: str | None) -> str | None:
    for item in split_list(value):
        if not item.replace("_", "").isalnum():
            msg = f"list item {item!r} is not an identifier"
            raise ValueError(msg)
    return value


IdList = Annotated[str | None, AfterValidator(_check_list_items)]
"""A ``;``-separated list of identifiers (element symbols, facility ids or ISO3 codes)."""


def iso_date_error(value: str) -> str | None:
    """Why ``value`` is not an ISO date ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (``None`` if it is).

    The parts must form a real calendar date: ``2025-13-45`` and ``2025-02-30`` are rejected.

    Examples
    --------
    >>> iso_date_error("2024-02-29") is None
    True
    >>> iso_date_error("2025-13-45")
    'month 13 is not 1-12'
    """
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isascii() and p.isdigit() for p in parts):
        return "not YYYY, YYYY-MM or YYYY-MM-DD"
    lengths = [4, 2, 2][: len(parts)]
    if not all(len(p) == n for p, n in zip(parts, lengths, strict=True)):
        return "not YYYY, YYYY-MM or YYYY-MM-DD"
    year, month, day = (int(p) for p in [*parts, "01", "01"][:3])
    if year < 1:
        return "year 0000 does not exist"
    if not 1 <= month <= 12:
        return f"month {month} is not 1-12"
    try:
        _dt.date(year, month, day)
    except ValueError:
        return f"day {day} does not exist in {year:04d}-{month:02d}"
    return None


def _check_iso_date(value: str) -> str:
    error = iso_date_error(value)
    if error is not None:
        raise ValueError(f"invalid date: {error}")
    return value


IsoDate = Annotated[str, AfterValidator(_check_iso_date)]
"""A real calendar date written ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (ISO 8601, reduced
precision allowed)."""
