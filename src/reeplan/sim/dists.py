"""Uncertain scenario parameters: probability distributions written in YAML, sampled as arrays.

A parameter in a scenario file is either a plain number (fixed) or a mapping with a ``dist`` key::

    approval_rate: {dist: beta, a: 2, b: 3}
    duration_years: {dist: lognormal, median: 1.5, sigma: 0.6, high: 10}
    delay_years: {dist: triangular, low: 0.5, mode: 1, high: 3}
    substitution_rate: {dist: dataset, id: substitution_rate_max}
    demand_elasticity_short: {dist: triangular, from_param: price_elasticity_demand_short}

``dataset`` takes the value of a row of the dataset's ``parameters`` table; ``from_param``
fills ``low``/``mode``/``high`` (or ``low``/``high``) from that row's ``low``, ``value`` and
``high``, so a preset carries no bare figure without a source id.

Sampling draws ``n`` values at once from a :class:`numpy.random.Generator`; the runner gives every
parameter its own generator per block of samples (see :mod:`reeplan.sim.runner`).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Beta",
    "DatasetValue",
    "Dist",
    "Lognormal",
    "Normal",
    "Param",
    "ParamTable",
    "Triangular",
    "Uniform",
    "param_bounds",
    "resolve",
    "sample",
]


class _Dist(BaseModel):
    # strict: ``true`` is not a number; no NaN or infinity (an unbounded side is left out)
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    source: str | None = None
    """Source id (``sources.csv``) or ``assumption: <reasoning>`` for this distribution."""


class Beta(_Dist):
    """Beta(a, b) scaled to ``[low, high]``."""

    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _order(self) -> Beta:
        if not self.low < self.high:
            msg = f"low ({self.low}) must be below high ({self.high})"
            raise ValueError(msg)
        return self


class Uniform(_Dist):
    """Uniform on ``[low, high]`` (or on the dataset row's range with ``from_param``)."""

    dist: Literal["uniform"]
    low: float | None = None
    high: float | None = None
    from_param: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Uniform:
        _need(self, ("low", "high"))
        if self.low is not None and self.high is not None and self.low > self.high:
            msg = f"low ({self.low}) must not exceed high ({self.high})"
            raise ValueError(msg)
        return self


class Triangular(_Dist):
    """Triangular with ``low <= mode <= high`` (or the dataset row's low/value/high)."""

    dist: Literal["triangular"]
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    from_param: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> Triangular:
        _need(self, ("low", "mode", "high"))
        vals = [self.low, self.mode, self.high]
        if None not in vals and not (vals[0] <= vals[1] <= vals[2]):  # type: ignore[operator]
            msg = f"need low <= mode <= high, got {vals}"
            raise ValueError(msg)
        return self


class Lognormal(_Dist):
    """Lognormal with the given median and log-sd ``sigma``, optionally clipped."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    sigma: float = Field(ge=0)
    low: float | None = None
    high: float | None = None


class Normal(_Dist):
    """Normal(mean, sd), optionally clipped to ``[low, high]``."""

    dist: Literal["normal"]
    mean: float
    sd: float = Field(ge=0)
    low: float | None = None
    high: float | None = None


class DatasetValue(_Dist):
    """The (fixed) value of a row of the dataset's ``parameters`` table."""

    dist: Literal["dataset"]
    id: str


Dist = Annotated[Beta | Uniform | Triangular | Lognormal | Normal | DatasetValue,
                 Field(discriminator="dist")]
"""Any distribution, selected by its ``dist`` key."""

Param = float | Dist
"""A scenario parameter: a fixed number or a distribution."""

ParamTable = dict[str, tuple[float, float | None, float | None, str]]
"""Dataset parameters by id: ``(value, low, high, source_id)``."""


def _need(d: Uniform | Triangular, names: tuple[str, ...]) -> None:
    if d.from_param is not None:
        given = [n for n in names if getattr(d, n) is not None]
        if given:
            msg = f"give either from_param or {'/'.join(names)}, not both ({', '.join(given)})"
            raise ValueError(msg)
        return
    missing = [n for n in names if getattr(d, n) is None]
    if missing:
        msg = f"missing {', '.join(missing)} (or give from_param: <parameters.csv id>)"
        raise ValueError(msg)


def resolve(p: Param, table: ParamTable) -> Param:
    """Replace dataset references by numbers from ``table``.

    Raises
    ------
    KeyError
        If a referenced id is not in ``table`` or lacks the needed low/high.
    """
    if isinstance(p, DatasetValue):
        return table[p.id][0]
    if isinstance(p, Uniform | Triangular) and p.from_param is not None:
        value, low, high, src = table[p.from_param]
        if low is None or high is None:
            msg = f"parameter {p.from_param!r} has no low/high range in parameters.csv"
            raise KeyError(msg)
        lo, hi = min(low, high), max(low, high)  # elasticities are negative: low > high
        if isinstance(p, Uniform):
            return Uniform(dist="uniform", low=lo, high=hi, source=p.source or src)
        return Triangular(dist="triangular", low=lo, mode=min(max(value, lo), hi), high=hi,
                          source=p.source or src)
    return p


def param_bounds(p: Param) -> tuple[float, float] | None:
    """Smallest and largest value a parameter can take (``inf`` when unbounded); ``None`` for a
    dataset reference, whose range is known only once resolved.

    Examples
    --------
    >>> param_bounds(0.3)
    (0.3, 0.3)
    >>> param_bounds(Beta(dist="beta", a=2, b=2, low=0.1, high=0.6))
    (0.1, 0.6)
    """
    if isinstance(p, int | float):
        return float(p), float(p)
    if isinstance(p, Beta):
        return p.low, p.high
    if isinstance(p, Uniform | Triangular):
        if p.from_param is not None:
            return None
        return float(p.low), float(p.high)  # type: ignore[arg-type]
    if isinstance(p, Lognormal):
        return (p.low if p.low is not None else 0.0), (p.high if p.high is not None else math.inf)
    if isinstance(p, Normal):
        return (p.low if p.low is not None else -math.inf,
                p.high if p.high is not None else math.inf)
    return None


def sample(p: Param, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` values of a resolved parameter (a fixed value consumes no random numbers).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> sample(0.25, rng, 3).tolist()
    [0.25, 0.25, 0.25]
    >>> x = sample(Triangular(dist="triangular", low=0, mode=1, high=2), rng, 1000)
    >>> bool(0 <= x.min() and x.max() <= 2)
    True
    """
    if isinstance(p, int | float):
        return np.full(n, float(p))
    if isinstance(p, Beta):
        return p.low + (p.high - p.low) * rng.beta(p.a, p.b, n)
    if isinstance(p, Uniform):
        return rng.uniform(p.low, p.high, n)
    if isinstance(p, Triangular):
        if p.low == p.high:
            return np.full(n, float(p.low))  # type: ignore[arg-type]
        return rng.triangular(p.low, p.mode, p.high, n)
    if isinstance(p, Lognormal):
        x = p.median * np.exp(p.sigma * rng.standard_normal(n))
        return np.clip(x, p.low if p.low is not None else 0.0,
                       p.high if p.high is not None else np.inf)
    if isinstance(p, Normal):
        x = p.mean + p.sd * rng.standard_normal(n)
        return np.clip(x, p.low if p.low is not None else -np.inf,
                       p.high if p.high is not None else np.inf)
    msg = f"unresolved parameter {p!r}: call resolve() with the dataset's parameters first"
    raise TypeError(msg)
