"""Inputs of the portfolio model: candidate awards, capacity they add, scenarios, demand.

All arrays are labelled (xarray) with the dims ``project``, ``option`` (an award package for a
project; "no award" is the absence of any option), ``group`` (element group: NdPr, DyTb, Sm...),
``stage`` (mining → separation → metal → magnet), ``year`` and ``sample`` (sampled disruption
scenarios and project outcomes, weighted).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import xarray as xr
from pydantic import BaseModel, ConfigDict, Field, model_validator

from reeplan.errors import DataError, Problem, ReeError

__all__ = ["STAGES", "PortfolioInputs", "PortfolioSpec", "check_portfolio_inputs",
           "random_instance"]

STAGES = ("mining", "separation", "metal", "magnet")


class PortfolioSpec(BaseModel):
    """What the decision maker asks: budget, weights, risk attitude, limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: float = Field(2.5e9, ge=0)
    """Total scored cost the portfolio may use, USD."""
    budget_per_year: float | None = Field(None, ge=0)
    """Cap on scored cost in any one fiscal year, USD (None: no yearly cap)."""
    fund_cap: float | None = Field(750e6, ge=0)
    """DPA Fund obligational authority for contingent liabilities (floors, guarantees,
    purchase commitments), USD; 50 U.S.C. 4534 caps the Fund's end-of-year balance at $750M."""
    max_per_project: float | None = Field(None, ge=0)
    """Largest scored cost of one project's package, USD (None: no limit)."""
    defense_weight: float = Field(10.0, ge=0, allow_inf_nan=False)
    """Weight of a tonne of defense shortfall (civilian = ``civil_weight``)."""
    civil_weight: float = Field(1.0, ge=0, allow_inf_nan=False)
    """Weight of a tonne of civilian shortfall."""
    objective: Literal["tonnes", "value", "defense"] = "tonnes"
    """What the loss measures (:mod:`reeplan.optimize.objective`): weighted tonnes, USD of
    downstream output at risk, or F-35-equivalent defense deliveries at risk."""
    group_weights: dict[str, tuple[float, float]] | None = None
    """(civilian, defense) weight per tonne of each element group, in the objective's units;
    None: ``civil_weight`` and ``defense_weight`` for every group (the tonnes objective)."""
    cvar_alpha: float | None = Field(None, gt=0, lt=1)
    """CVaR level α (e.g. 0.9); None for a risk-neutral objective."""
    cvar_lambda: float = Field(0.5, ge=0, le=1)
    """Weight λ of the CVaR term: (1 − λ)·E[loss] + λ·CVaR_α[loss]."""
    cost_tiebreak: float = Field(1e-12, ge=0)
    """Weighted tonnes per USD of scored cost: breaks ties toward cheaper portfolios."""
    min_value_per_bn: float = Field(10.0, ge=0, allow_inf_nan=False)
    """Value floor, in the objective's units per $1bn: an award must avoid at least this much
    loss (weighted tonnes for the tonnes objective) per $1bn of scored cost. Cost enters the
    objective at this rate, so an award that adds nothing (or less than the floor) is never
    bought and its money is reported unspent. The default, 10 weighted t
    per $1bn ($100M per weighted tonne), is about 20 times the cost per tonne of the least
    cost-effective award bought on the bundled data: it excludes awards that buy next to
    nothing, not marginal ones. The value and defense objectives set it from one ratio (USD
    protected per USD spent, :func:`reeplan.optimize.objective.calc_objective_weights`)."""
    min_value_ratio: float = Field(1.0, ge=0, allow_inf_nan=False)
    """Value floor of the value and defense objectives: USD of output (or of platforms, at the
    defense unit value) an award must protect per USD of scored cost; sets
    ``min_value_per_bn`` for them."""
    mip_gap: float = Field(0.005, gt=0, lt=1)
    """Relative MIP gap at which HiGHS stops."""
    time_limit: float = Field(120.0, gt=0)
    """Solver time limit, seconds."""
    force_in: tuple[str, ...] = ()
    """Projects that must receive an award."""
    force_out: tuple[str, ...] = ()
    """Projects that must not receive an award."""

    def loss_weights(self, groups: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(w_civ, w_def − w_civ) per group, in the order of ``groups``: the loss is
        Σ w_civ·(total shortfall) + (w_def − w_civ)·(defense shortfall)."""
        if self.group_weights is None:
            civ = np.full(len(groups), self.civil_weight)
            dfn = np.full(len(groups), self.defense_weight)
        else:
            missing = [g for g in groups if g not in self.group_weights]
            if missing:
                msg = f"group_weights has no weight for group(s) {', '.join(missing)}"
                raise ReeError(msg)
            civ = np.array([self.group_weights[g][0] for g in groups], float)
            dfn = np.array([self.group_weights[g][1] for g in groups], float)
        return civ, dfn - civ

    @property
    def cost_weight(self) -> float:
        """Weighted tonnes charged per USD of scored cost in the objective."""
        return self.cost_tiebreak + self.min_value_per_bn / 1e9

    @model_validator(mode="after")
    def check_weights(self) -> PortfolioSpec:
        """Defense shortfall weighs at least as much as civilian (DPA Title I priority); the
        loss is then convex in the awards, which the decomposition relies on."""
        if self.defense_weight < self.civil_weight:
            msg = (f"defense_weight ({self.defense_weight}) must be at least civil_weight "
                   f"({self.civil_weight}): defense demand is served first")
            raise ValueError(msg)
        for g, (civ, dfn) in (self.group_weights or {}).items():
            if not (np.isfinite(civ) and np.isfinite(dfn) and 0 <= civ <= dfn):
                msg = (f"group_weights[{g}] = ({civ}, {dfn}): need 0 <= civilian <= defense, "
                       "both finite (defense demand is served first)")
                raise ValueError(msg)
        return self


@dataclass(frozen=True)
class PortfolioInputs:
    """The data of one portfolio problem, as an :class:`xarray.Dataset` with these variables.

    ``cost[project, option, year]``
        Scored cost to the government by fiscal year (USD): FCRA subsidy cost for credit,
        expected outlay for floors and offtakes, grants at face value.
    ``liability[project, option]``
        Contingent liability that must be obligated against the DPA Fund (USD).
    ``available[project, option]``
        Whether the option exists for the project (bool).
    ``capacity[project, group, stage]``
        Adversary-free capacity the project adds at full output (t REO-eq/yr).
    ``online[project, option, year, sample]``
        Share of that capacity online in the year in the sample (0–1): whether the project
        reaches production under this package, when, and its ramp-up.
    ``base[group, stage, year]``
        Adversary-free capacity the US can draw on without new awards (t REO-eq/yr).
    ``stage_factor[stage]``
        End-use t REO-eq per t REO-eq of the stage's output (product of downstream yields).
    ``demand[group, year]`` and ``defense[group, year]``
        US end-use demand and its defense part (t REO-eq/yr).
    ``adversary_supply[group, year, sample]``
        What the US still receives through adversary-controlled chains in the sample.
    ``weight[sample]``
        Probability weight of each sample (sums to 1).
    ``stockpile_cost[group]``, ``stockpile_max[group]``
        NDS purchase cost (USD per t REO-eq) and largest purchase (t REO-eq); releases serve
        defense demand only.
    ``stockpile_lot[group]`` (optional)
        NDS purchases come in lots of this size (t REO-eq); 0 or absent: any quantity.
    """

    data: xr.Dataset
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def projects(self) -> list[str]:
        """Candidate project ids."""
        return [str(p) for p in self.data.project.values]


def check_portfolio_inputs(inputs: PortfolioInputs) -> None:
    """Check shapes, signs and weights; raise one DataError listing every problem."""
    d = inputs.data
    problems = []
    needed = ["cost", "liability", "available", "capacity", "online", "base", "stage_factor",
              "demand", "defense", "adversary_supply", "weight", "stockpile_cost",
              "stockpile_max"]
    for name in needed:
        if name not in d:
            problems.append(Problem("<portfolio inputs>", None, name, "missing"))
    if problems:
        raise DataError(problems, "invalid portfolio inputs")
    for name in ("cost", "liability", "capacity", "base", "demand", "defense",
                 "adversary_supply", "weight", "stockpile_cost", "stockpile_max"):
        if not bool(np.isfinite(d[name]).all()) or float(d[name].min()) < 0:
            problems.append(Problem("<portfolio inputs>", None, name,
                                    "must be finite and non-negative"))
    if float(d["online"].min()) < 0 or float(d["online"].max()) > 1 + 1e-9:
        problems.append(Problem("<portfolio inputs>", None, "online", "must lie in [0, 1]"))
    if abs(float(d["weight"].sum()) - 1.0) > 1e-6:
        problems.append(Problem("<portfolio inputs>", None, "weight", "must sum to 1"))
    if bool((d["defense"] > d["demand"] + 1e-9).any()):
        problems.append(Problem("<portfolio inputs>", None, "defense",
                                "defense demand exceeds total demand"))
    if problems:
        raise DataError(problems, "invalid portfolio inputs")


def random_instance(n_projects: int = 6, n_options: int = 2, n_samples: int = 20,
                    n_years: int = 6, seed: int = 0, groups: tuple[str, ...] = ("NdPr", "DyTb"),
                    stockpile: bool = False) -> PortfolioInputs:
    """A random but well-formed instance (for tests, enumeration checks and benchmarks)."""
    rng = np.random.default_rng(seed)
    p = [f"p{i:02d}" for i in range(n_projects)]
    k = [f"k{j}" for j in range(n_options)]
    years = np.arange(2026, 2026 + n_years)
    samples = np.arange(n_samples)
    g = list(groups)
    cap = np.zeros((n_projects, len(g), len(STAGES)))
    for i in range(n_projects):
        cap[i, rng.integers(len(g)), rng.integers(len(STAGES))] = rng.uniform(50, 400)
    cost = rng.uniform(20e6, 400e6, (n_projects, n_options, n_years)) * (
        rng.random((n_projects, n_options, n_years)) < 0.4)
    start = rng.integers(0, n_years, (n_projects, n_options))
    success = rng.uniform(0.4, 0.95, (n_projects, n_options))
    u = rng.random((n_projects, 1, 1, n_samples))
    t = np.arange(n_years)[None, None, :, None]
    online = ((u < success[..., None, None]) & (t >= start[..., None, None])).astype(float)
    base = rng.uniform(0, 300, (len(g), len(STAGES), n_years))
    demand = rng.uniform(300, 800, (len(g), n_years))
    defense = demand * rng.uniform(0.05, 0.3, (len(g), 1))
    adv = demand[..., None] * rng.uniform(0, 1, (len(g), n_years, n_samples))
    ds = xr.Dataset(
        {
            "cost": (("project", "option", "year"), cost),
            "liability": (("project", "option"), rng.uniform(0, 300e6, (n_projects, n_options))
                          * (rng.random((n_projects, n_options)) < 0.3)),
            "available": (("project", "option"), np.ones((n_projects, n_options), bool)),
            "capacity": (("project", "group", "stage"), cap),
            "online": (("project", "option", "year", "sample"), online),
            "base": (("group", "stage", "year"), base),
            "stage_factor": (("stage",), np.array([0.64, 0.71, 0.75, 1.0])),
            "demand": (("group", "year"), demand),
            "defense": (("group", "year"), defense),
            "adversary_supply": (("group", "year", "sample"), adv),
            "weight": (("sample",), np.full(n_samples, 1.0 / n_samples)),
            "stockpile_cost": (("group",), np.full(len(g), 150e3)),
            "stockpile_max": (("group",), np.full(len(g), 300.0 if stockpile else 0.0)),
        },
        coords={"project": p, "option": k, "year": years, "sample": samples, "group": g,
                "stage": list(STAGES)},
    )
    return PortfolioInputs(ds)
