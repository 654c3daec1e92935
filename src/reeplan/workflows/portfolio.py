"""Recommend a portfolio of awards: appraise the options, simulate, optimise, explain.

The optimiser uses every sample of every simulated scenario it is given (each an equally weighted
sample of the portfolio model), and the appraisal uses ``samples`` Monte Carlo samples per
package, with the run's seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from reeplan.chain import SupplyChain
from reeplan.finance.inputs import finance_inputs
from reeplan.io.dataset import Dataset
from reeplan.optimize.build import define_portfolio_inputs, evaluate_options
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec
from reeplan.optimize.solve import PortfolioResult, calc_frontier, explain_projects, optimize
from reeplan.optimize.tables import award_table, group_table
from reeplan.sim.runner import SimulationResult

__all__ = ["PortfolioOutcome", "marginal_value", "portfolio"]


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

    def _repr_html_(self) -> str:
        return self.result._repr_html_() + self.awards.to_html(index=False)


def marginal_value(inputs: PortfolioInputs, spec: PortfolioSpec, best: PortfolioResult
                   ) -> float:
    """Objective gained per extra $1bn, from a solve at a budget 10 % (at least $100M) larger."""
    step = max(spec.budget * 0.1, 1e8)
    nxt = optimize(inputs, spec.model_copy(update={"budget": spec.budget + step}))
    return (best.objective - nxt.objective) / step * 1e9


def portfolio(ds: Dataset, chain: SupplyChain, sims: Sequence[SimulationResult],
              spec: PortfolioSpec, samples: int, seed: int, *,
              frontier_max: float | None = None, frontier_points: int = 6,
              explain: bool = True) -> PortfolioOutcome:
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
    """
    options = evaluate_options(finance_inputs(ds), samples, seed)
    inputs = define_portfolio_inputs(ds, chain, sims, options, seed)
    best = optimize(inputs, spec)
    return PortfolioOutcome(
        spec=spec, result=best, inputs=inputs, options=options,
        awards=award_table(inputs, options, best), groups=group_table(inputs, spec, best),
        marginal_value=marginal_value(inputs, spec, best),
        frontier=(calc_frontier(inputs, spec, frontier_max, frontier_points)
                  if frontier_max else None),
        why=explain_projects(inputs, spec, best) if explain else None,
        scenarios=tuple(s.scenario for s in sims))
