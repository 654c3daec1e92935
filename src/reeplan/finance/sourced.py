"""Sourced values: every number in a project or package file carries a source id and a grade.

A field written as a plain number (``capex_musd: 1250``) inherits the ``source_id`` and
``grade`` of the object it sits in (the project or the instrument); written as a mapping
(``capex_musd: {value: 1250, source_id: fin_mp_10x_site, grade: B}``) it carries its own. The
loader checks that every source id resolves in ``sources.csv`` (or in the file's own ``sources:``
list), so each figure the finance module prints can be traced to a publication, a derivation or a
labelled assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from reeplan.schema.types import Grade, Id

__all__ = [
    "FinanceModel",
    "Key",
    "NonNegNum",
    "Num",
    "NumList",
    "NumMap",
    "Provenance",
    "ShareNum",
    "SourceRow",
    "Sourced",
    "YearNum",
    "provenance",
    "val",
]

T = TypeVar("T")

Key = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$", max_length=80)]
"""Id of a project, package or instrument: letters, digits, ``_`` and ``-``."""


class FinanceModel(BaseModel):
    """Base of every finance input model: strict, frozen, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, validate_default=True,
                              allow_inf_nan=False)


class Sourced(FinanceModel, Generic[T]):
    """A value with its provenance."""

    value: T
    """The number (or list, or year -> number mapping)."""
    source_id: Id | None = None
    """Id in ``sources.csv``; ``None`` inherits the enclosing object's ``source_id``."""
    grade: Grade | None = None
    """A official, B company, C trade press, D aggregator or assumption; ``None`` inherits."""
    note: str | None = None
    """Why this value (required in spirit for assumptions and derived figures)."""


def _wrap(value: Any) -> Any:
    """Accept a bare value as ``Sourced(value=...)`` (provenance inherited)."""
    if isinstance(value, dict) and "value" in value:
        return value
    return {"value": value}


Num = Annotated[Sourced[float], BeforeValidator(_wrap)]
"""A sourced float; a bare number is accepted and inherits the parent's source."""


def _within(lo: float, hi: float, what: str) -> AfterValidator:
    def check(v: Sourced[float]) -> Sourced[float]:
        if not lo <= v.value <= hi:
            msg = f"must be {what} (got {v.value:g})"
            raise ValueError(msg)
        return v

    return AfterValidator(check)


NonNegNum = Annotated[Num, _within(0.0, 1e9, "zero or more")]
"""A sourced amount, price, volume or duration: not negative."""
ShareNum = Annotated[Num, _within(0.0, 1.0, "a share between 0 and 1")]
"""A sourced share or probability in [0, 1]."""
YearNum = Annotated[Num, _within(1990.0, 2100.0, "a decimal year between 1990 and 2100")]
"""A sourced decimal year."""
NumList = Annotated[Sourced[list[float]], BeforeValidator(_wrap)]
"""A sourced list of floats (schedules, ramp-up curves)."""
NumMap = Annotated[Sourced[dict[int, float]], BeforeValidator(_wrap)]
"""A sourced year -> value mapping (volume schedules)."""


class SourceRow(FinanceModel):
    """A source declared inside a user's project or package file (same columns as sources.csv)."""

    id: Id
    kind: str = Field(pattern=r"^(publication|derived|assumption)$")
    title: str
    grade: Grade
    publisher: str | None = None
    url: str | None = None
    date: str | None = None
    note: str | None = None


def val(x: Sourced[T] | None, default: T | None = None) -> T | None:
    """Value of a sourced field, or ``default`` when the field is absent.

    Examples
    --------
    >>> val(Sourced[float](value=2.5))
    2.5
    >>> val(None, 1.0)
    1.0
    """
    return default if x is None else x.value


@dataclass(frozen=True)
class Provenance:
    """Where one number in a project or package came from."""

    path: str
    value: Any
    source_id: str | None
    grade: str | None


def provenance(model: BaseModel, source_id: str | None = None, grade: str | None = None,
               prefix: str = "") -> list[Provenance]:
    """Source of every number set explicitly in ``model``, inheriting the nearest enclosing one.

    Fields left at their defaults (a price multiplier of 1, no fees) carry no provenance. A
    nested object's own ``source_id``/``grade`` become the default for its fields.

    Parameters
    ----------
    model
        A project, package or instrument.
    source_id, grade
        Inherited defaults.
    prefix
        Dotted path of ``model``.

    Returns
    -------
    list of Provenance
        One entry per sourced field, with ``source_id=None`` when nothing supplies one.
    """
    source_id = getattr(model, "source_id", None) or source_id
    grade = getattr(model, "grade", None) or grade
    found: list[Provenance] = []
    for name in type(model).model_fields:
        if name not in model.model_fields_set:
            continue
        item = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(item, Sourced):
            found.append(Provenance(path, item.value, item.source_id or source_id,
                                    item.grade or grade))
        elif isinstance(item, BaseModel):
            found += provenance(item, source_id, grade, path + ".")
        elif isinstance(item, list | tuple):
            for i, sub in enumerate(item):
                if isinstance(sub, BaseModel):
                    found += provenance(sub, source_id, grade, f"{path}.{i}.")
    return found
