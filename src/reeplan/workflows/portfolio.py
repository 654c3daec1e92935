"""Recommend a portfolio of awards: appraise the options, simulate, optimise, explain.

The optimiser uses every sample of every simulated scenario it is given (each an equally weighted
sample of the portfolio model), and the appraisal uses ``samples`` Monte Carlo samples per
package, with the run's seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from reeplan.chain import SupplyChain
from reeplan.finance.inputs import finance_inputs
from reeplan.indicators.consequences import consequence_inputs
from reeplan.io.dataset import Dataset
from reeplan.optimize.benders import BendersSolver
from reeplan.optimize.build import PORTFOLIO_GROUPS, define_portfolio_inputs, evaluate_options
from reeplan.optimize.candidates import candidates
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec
from reeplan.optimize.objective import OBJECTIVES, ObjectiveWeights, calc_objective_weights
from reeplan.optimize.solve import (
    PortfolioResult,
    calc_frontier,
    choose_method,
    explain_projects,
    optimize,
    selection_arrays,
)
from reeplan.optimize.tables import award_table, group_table, objective_table
from reeplan.sim.runner import SimulationResult

__all__ = ["PortfolioOutcome", "candidate_options", "marginal_value", "objective_spec",
           "portfolio"]


@dataclass
class PortfolioOutcome:
    """A recommended portfolio with the tables that explain it."""

    spec: PortfolioSpec
    result: PortfolioResult
    inputs: PortfolioInputs
    options: pd.DataFrame
    """Every appraised project × package option."""
    awards: pd.DataFrame
    groups: pd.DataFrame
    marginal_value: float
    """Weighted tonnes avoided by the next $1bn (from a solve at a larger budget)."""
    frontier: pd.DataFrame | None = None
    why: pd.DataFrame | None = None
    scenarios: tuple[str, ...] = ()
    weights: ObjectiveWeights | None = None
    """The objective's weights per tonne of each group and its value floor."""
    by_objective: pd.DataFrame | None = None
    """The portfolio under each objective, measured under every objective
    (:func:`reeplan.optimize.tables.objective_table`)."""

    @property
    def unit(self) -> str:
        """Unit of the objective's loss (``weighted t``, ``$M``, ``F-35-eq``)."""
        return OBJECTIVES[self.spec.objective].unit

    @property
    def unspent(self) -> float:
        """Budget left unspent (USD): no remaining award clears the value floor or fits."""
        return max(self.spec.budget - self.result.cost, 0.0)

    def _repr_html_(self) -> str:
        return self.result._repr_html_() + self.awards.to_html(index=False)


def marginal_value(inputs: PortfolioInputs, spec: PortfolioSpec, best: PortfolioResult,
                   solver: BendersSolver | None = None) -> float:
    """Weighted tonnes the next $1bn buys: the objective at the budget less the objective at
    the budget + $1bn, both solved by the same model (with ``solver``, the same Benders master
    as the frontier, warm-started from ``best``)."""
    start = None
    if solver is not None:
        start = (selection_arrays(inputs, best.selection),
                 np.array(list(best.stockpile.values()), float))
    nxt = optimize(inputs, spec.model_copy(update={"budget": spec.budget + 1e9}),
                   solver=solver, start=start)
    return max(best.objective - nxt.objective, 0.0)


def objective_spec(ds: Dataset, spec: PortfolioSpec, objective: str | None = None
                   ) -> tuple[PortfolioSpec, ObjectiveWeights]:
    """``spec`` with the per-group weights and value floor of ``objective`` (default: the
    spec's own), from the dataset's consequence tables and US demand in the first year.

    Apply it to a spec as the user wrote it: ``min_value_per_bn`` is read as the tonnes
    objective's floor and ``min_value_ratio`` as the others'."""
    objective = objective or spec.objective
    inputs = consequence_inputs(ds).at("value")
    demand = ds["us_demand"]
    w = calc_objective_weights(objective, inputs, demand, PORTFOLIO_GROUPS,
                               year=int(demand["year"].min()),
                               tonnes=(spec.civil_weight, spec.defense_weight),
                               min_value_per_bn=spec.min_value_per_bn,
                               ratio=spec.min_value_ratio)
    update: dict[str, object] = {"objective": objective, "min_value_per_bn": w.min_value_per_bn,
                                 "group_weights": None if objective == "tonnes" else
                                 {g: (w.civil[g], w.defense[g]) for g in w.civil}}
    return spec.model_copy(update=update), w


def candidate_options(ds: Dataset, samples: int, seed: int,
                      project_files: Sequence[Path | str] = (), archetypes: bool = True
                      ) -> pd.DataFrame:
    """Every candidate × package appraised: the finance presets, the dataset's planned
    facilities without a preset and the hub bundles (``archetypes``), the user's projects."""
    fin = finance_inputs(ds)
    preset_fac = {p.facility_id for p in fin.projects().values() if p.facility_id}
    extra = candidates(ds, preset_fac, project_files, facilities=archetypes, hubs=archetypes)
    return evaluate_options(fin, samples, seed, extra)


def portfolio(ds: Dataset, chain: SupplyChain, sims: Sequence[SimulationResult],
              spec: PortfolioSpec, samples: int, seed: int, *,
              frontier_max: float | None = None, frontier_points: int = 6,
              explain: bool = True, project_files: Sequence[Path | str] = (),
              archetypes: bool = True, compare_objectives: bool = False) -> PortfolioOutcome:
    """Appraise every candidate option, build the portfolio model and solve it.

    Parameters
    ----------
    ds, chain
        The dataset (with overlays) and its chain.
    sims
        Simulated scenarios (:func:`reeplan.workflows.simulate`); all their samples are used.
    spec
        Budget, weights, risk measure and solver limits.
    samples
        Monte Carlo samples per package in the appraisal.
    seed
        The run's seed.
    frontier_max, frontier_points
        Also compute the frontier from 0 to ``frontier_max`` (USD) at this many budgets.
    explain
        Compute why each project is in or out.
    project_files
        YAML files of hypothetical projects (:func:`reeplan.finance.archetypes.
        load_hypotheticals`), added to the candidates.
    archetypes
        Add the dataset's planned facilities without a preset and the hub bundles.
    compare_objectives
        Also solve for the other objectives (same inputs) and measure every portfolio under
        every objective (``by_objective``).
    """
    asked = spec
    weights = None
    if spec.group_weights is None:  # weights given by the caller are used as they are
        spec, weights = objective_spec(ds, asked)
    options = candidate_options(ds, samples, seed, project_files, archetypes)
    inputs = define_portfolio_inputs(ds, chain, sims, options, seed)
    solver = BendersSolver(inputs, spec) if choose_method(inputs) == "benders" else None
    best = optimize(inputs, spec, solver=solver)
    by_objective = None
    if compare_objectives:
        specs = {spec.objective: spec}
        results = {spec.objective: best}
        for other in OBJECTIVES:
            if other not in specs:
                specs[other] = objective_spec(ds, asked, other)[0]
                results[other] = optimize(inputs, specs[other])
        by_objective = objective_table(inputs, specs, results)
    return PortfolioOutcome(
        spec=spec, result=best, inputs=inputs, options=options,
        awards=award_table(inputs, options, best, spec), groups=group_table(inputs, spec, best),
        marginal_value=marginal_value(inputs, spec, best, solver),
        frontier=(calc_frontier(inputs, spec, frontier_max, frontier_points, solver=solver)
                  if frontier_max else None),
        why=explain_projects(inputs, spec, best) if explain else None,
        scenarios=tuple(s.scenario for s in sims), weights=weights, by_objective=by_objective)
