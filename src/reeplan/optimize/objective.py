r"""What the portfolio minimises: weighted tonnes, downstream value at risk, or defense deliveries.

The portfolio model's loss per sample is linear in the shortfalls of each element group *g*:

.. math:: \ell_s = \sum_{g,t} w^{civ}_g\, u_{gts} + (w^{def}_g - w^{civ}_g)\, v_{gts}

with :math:`u` the total and :math:`v` the defense shortfall (t REO-eq). The objective sets the
per-tonne weights of each group:

``tonnes``
    :math:`w^{civ} = 1`, :math:`w^{def} = 10` (``PortfolioSpec.civil_weight`` and
    ``defense_weight``): weighted tonnes, reeplan's original objective.
``value``
    Million USD of downstream output at risk per tonne (the intensities, unit values and
    substitution shares of :mod:`reeplan.indicators.consequences`). A unit of a sector's
    output needs all of a group's elements, so a tonne of group *g* short in sector *s* stops
    ``1000 / Σ_{e∈g} intensity[e, s]`` units (not the sum over elements, which would count a
    motor once per element), of which ``1 − substitution[s, year]`` are lost, each worth
    ``unit_value[s]``. The civilian weight of a group is the average over its civilian
    sectors weighted by the group's US demand in the base year (a shortfall falls on the
    sectors in proportion to their demand); the defense weight is the defense sector's. The
    one-year substitution share stands for the duration of a typical shortfall (the optimiser
    works in years and cannot track durations).
``defense``
    F-35-equivalent deliveries at risk per tonne of defense shortfall: ``(1 − substitution[
    defense, year]) · 1000 / Σ_{e∈g} intensity[e, defense]`` (a platform needs the group's
    elements in the proportions of its intensities); civilian shortfall weighs nothing.

The defense weight is never below the civilian one (defense is served first, DPA Title I; the
loss must stay convex in the awards). The value floor of each objective (``min_value_per_bn``,
in the objective's units per $1bn of scored cost) follows from one ratio for the value and
defense objectives: an award must protect at least ``ratio`` USD of output (or of platforms, at
the defense unit value) per USD of scored cost.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.errors import DataError, Problem, ReeError
from reeplan.indicators.consequences import ConsequenceInputs

__all__ = ["OBJECTIVES", "Objective", "ObjectiveText", "ObjectiveWeights",
           "calc_objective_weights"]

Objective = Literal["tonnes", "value", "defense"]


@dataclass(frozen=True)
class ObjectiveText:
    """How an objective's loss is named: the one place the CLI, reasons and brief read."""

    unit: str
    """Unit of the loss in tables and JSON."""
    label: str
    """What the loss measures."""
    sentence_unit: str
    """Unit in the brief's sentences."""
    us_loss: str
    """The expected loss in the brief's sentences."""
    reason_unit: str
    """Unit in the why-in/out reasons."""
    reason_loss: str
    """The expected loss in the why-in/out reasons."""


OBJECTIVES: dict[str, ObjectiveText] = {
    "tonnes": ObjectiveText("weighted t", "weighted tonnes of shortfall (defense 10× civilian)",
                            "weighted t", "expected weighted US shortfall", "t",
                            "expected weighted shortfall"),
    "value": ObjectiveText("$M", "million USD of downstream output at risk", "$M of output",
                           "expected US downstream output at risk", "$M of output",
                           "expected output at risk"),
    "defense": ObjectiveText("F-35-eq", "F-35-equivalent defense deliveries at risk",
                             "F-35-eq deliveries", "expected US defense deliveries at risk",
                             "F-35-eq", "expected defense deliveries at risk"),
}
"""Objective → how its loss is named."""

DEFENSE = "defense"


@dataclass(frozen=True)
class ObjectiveWeights:
    """Per-group weights of the loss and the value floor in the objective's units."""

    objective: str
    civil: dict[str, float]
    defense: dict[str, float]
    min_value_per_bn: float
    unit: str
    label: str

    def table(self) -> pd.DataFrame:
        """One row per group: civilian and defense weight per tonne."""
        return pd.DataFrame({"group": list(self.civil),
                             "civil_per_t": list(self.civil.values()),
                             "defense_per_t": [self.defense[g] for g in self.civil],
                             "unit": self.unit})


def _use_weights(demand: pd.DataFrame, year: int) -> pd.Series:
    """US demand (t REO) by (element, sector) in ``year`` (or the earliest year given)."""
    first = demand[demand["year"] == year]
    if first.empty:
        first = demand[demand["year"] == demand["year"].min()]
    return first.groupby(["element", "sector"])["quantity"].sum()


def _group_value_per_tonne(inputs: ConsequenceInputs, sub_year: xr.DataArray,
                           elements: list[str]) -> pd.DataFrame:
    """Per sector: units of output lost per tonne of the group short, and their net USD value.

    A unit needs all of the group's elements, in the proportions of its intensities, so a tonne
    of the group stops ``1000 / Σ_e intensity[e, s]`` units; ``(1 − substitution[s, year])`` of
    them are lost, each worth the sector's unit value.
    """
    els = [e for e in elements if e in inputs.intensity["element"].values]
    if not els:
        return pd.DataFrame(columns=["units_per_t", "usd_per_t"], dtype=float)
    inten = inputs.intensity.sel(element=els).sum("element", min_count=1)
    value = inputs.unit_value.sel(element=els).mean("element", skipna=True)
    units = (1000.0 / inten) * (1.0 - sub_year.reindex(sector=inten["sector"]).fillna(0.0))
    out = pd.DataFrame({"units_per_t": units.to_series(),
                        "usd_per_t": (units * value).to_series()})
    return out.dropna()


def calc_objective_weights(objective: str, inputs: ConsequenceInputs, demand: pd.DataFrame,
                           groups: Mapping[str, Sequence[str]], *, year: int = 2025,
                           tonnes: tuple[float, float] = (1.0, 10.0),
                           min_value_per_bn: float = 10.0, ratio: float = 1.0
                           ) -> ObjectiveWeights:
    """Weights per tonne of each group for ``objective`` (see the module docstring).

    Parameters
    ----------
    objective
        ``tonnes``, ``value`` or ``defense``.
    inputs
        Consequence inputs at one bound (no ``bound`` dimension).
    demand
        US demand rows (``element``, ``sector``, ``year``, ``quantity``).
    groups
        Element group → its elements.
    year
        Base year of the demand mix.
    tonnes
        (civilian, defense) weights of the ``tonnes`` objective.
    min_value_per_bn
        Value floor of the ``tonnes`` objective, weighted t per $1bn.
    ratio
        Value floor of the ``value`` and ``defense`` objectives: USD protected per USD spent.

    Raises
    ------
    ReeError
        For an unknown objective.
    DataError
        For a group without a defense intensity.
    """
    if objective not in OBJECTIVES:
        msg = f"unknown objective {objective!r}: choose one of {', '.join(OBJECTIVES)}"
        raise ReeError(msg)
    unit, label = OBJECTIVES[objective].unit, OBJECTIVES[objective].label
    if objective == "tonnes":
        civ, dfn = tonnes
        return ObjectiveWeights(objective, dict.fromkeys(groups, civ),
                                dict.fromkeys(groups, dfn), min_value_per_bn, unit, label)
    sub_year = inputs.substitution.sel(horizon="year", drop=True)
    use = _use_weights(demand, year)
    defense_value = float(inputs.unit_value.sel(sector=DEFENSE).mean())
    civil: dict[str, float] = {}
    defense: dict[str, float] = {}
    for g, elements in groups.items():
        per_sector = _group_value_per_tonne(inputs, sub_year, [str(e) for e in elements])
        if DEFENSE not in per_sector.index:
            raise DataError([Problem(
                "sector_intensities.csv", None, "intensity",
                f"no defense row for element group {g}: add one for {', '.join(elements)}")],
                "the defense and value objectives need consequence data")
        if objective == "defense":
            civil[g] = 0.0
            defense[g] = float(per_sector.loc[DEFENSE, "units_per_t"])
            continue
        d = use[use.index.get_level_values("element").isin(list(elements))]
        d = d.groupby(level="sector").sum().reindex(per_sector.index).fillna(0.0)
        civ = per_sector.index != DEFENSE
        civil[g] = float((per_sector["usd_per_t"][civ] * d[civ]).sum() / d[civ].sum()) \
            if d[civ].sum() > 0 else 0.0
        defense[g] = float(per_sector.loc[DEFENSE, "usd_per_t"])
    if objective == "value":  # in million USD: the solver's numbers stay near the tonnes'
        civil = {g: v / 1e6 for g, v in civil.items()}
        defense = {g: v / 1e6 for g, v in defense.items()}
    defense = {g: max(defense[g], civil[g]) for g in groups}
    floor = ratio * 1e3 if objective == "value" else ratio * 1e9 / defense_value
    if not np.isfinite(floor) or floor < 0:
        raise DataError([Problem("sector_intensities.csv", None, "unit_value_usd",
                                 "the defense rows need a positive unit value")],
                        "the defense objective needs a platform value")
    return ObjectiveWeights(objective, civil, defense, floor, unit, label)
