"""Error hierarchy of reeplan.

Library code raises these; only :mod:`reeplan.cli` and :mod:`reeplan.api` turn them into exit
codes or HTTP statuses. Validation problems are collected and raised together so that a user sees
every problem of a file at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "DataError",
    "InfeasibleError",
    "Problem",
    "ReeError",
    "ScenarioError",
    "raise_if_problems",
    "shorten",
]


class ReeError(Exception):
    """Base class of every error reeplan raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in an input: where it is and what is wrong.

    Attributes
    ----------
    file
        File name (or table name) the problem is in.
    row
        1-based data row number (the header is row 0); ``None`` for file-level problems.
    field
        Column or field name; ``None`` when the problem concerns the whole row or file.
    message
        What is wrong, in words a user can act on.
    """

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class DataError(ReeError):
    """A dataset, overlay or input file failed validation; carries every problem found."""

    def __init__(self, problems: Iterable[Problem], header: str = "invalid data") -> None:
        self.problems: list[Problem] = sorted(set(problems), key=_sort_key)
        self.header = header
        lines = [f"{header}: {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class ScenarioError(DataError):
    """A scenario file failed validation."""


class InfeasibleError(ReeError):
    """An optimisation model has no feasible solution; names the constraint families in conflict."""

    def __init__(self, message: str, families: list[str] | None = None) -> None:
        self.families = families or []
        super().__init__(message)


def _sort_key(p: Problem) -> tuple[str, int, str, str]:
    return (p.file, -1 if p.row is None else p.row, p.field or "", p.message)


def raise_if_problems(
    problems: Iterable[Problem], header: str = "invalid data", cls: type[DataError] = DataError
) -> None:
    """Raise ``cls`` carrying all ``problems`` if there is at least one.

    Parameters
    ----------
    problems
        Problems collected by readers or checks.
    header
        First line of the error message.
    cls
        The :class:`DataError` subclass to raise.

    Raises
    ------
    DataError
        When ``problems`` is not empty.
    """
    problems = list(problems)
    if problems:
        raise cls(problems, header)


SHOWN_CHARS = 80
"""Longest echo of a user's value in a message; longer values are cut and end with ``…``."""


def shorten(value: object, limit: int = SHOWN_CHARS) -> str:
    """The ``repr`` of ``value`` cut to ``limit`` characters (ending ``…``), for messages.

    A 100,000-character cell must not be echoed whole in an error message.

    Examples
    --------
    >>> shorten("abc")
    "'abc'"
    >>> len(shorten("x" * 1000))
    80
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
