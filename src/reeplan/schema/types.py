"""Reusable annotated types for the dataset schema."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

__all__ = [
    "ISO3",
    "Grade",
    "Id",
    "NonNegative",
    "Share",
    "StageId",
    "Year",
    "split_list",
]

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
