"""The main job: exposure → disruptions → award costs → portfolio, with provenance.

:func:`run_analysis` runs the analysis steps in order and returns a typed :class:`Analysis`; it
never prints and writes nothing. :func:`reeplan.brief.build_brief` turns it into the brief's
sections. Each step is timed; a ``progress`` callback receives ``(step, done, total)`` so the CLI
can draw a progress bar.
"""

from __future__ import annotations

import functools
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from reeplan.chain import ChainOptions, SupplyChain, build_chain
from reeplan.indicators.summary import Summary, build_summary
from reeplan.indicators.validation import validation_table
from reeplan.io.dataset import Dataset
from reeplan.optimize.inputs import PortfolioSpec
from reeplan.settings import Settings
from reeplan.sim.network import Network
from reeplan.sim.runner import SimulationResult
from reeplan.version import code_version
from reeplan.workflows.appraise import AwardCosts, award_costs
from reeplan.workflows.consequences import (
    Consequences,
    consequences,
    element_ranking,
    sensitivity,
)
from reeplan.workflows.exposure import EXPOSURE_YEARS, ExposureResult, exposure
from reeplan.workflows.portfolio import PortfolioOutcome, portfolio
from reeplan.workflows.simulate import (
    THREATS,
    build_sim_network,
    load_scenarios,
    simulate,
    simulation_chain,
)

__all__ = ["STEPS", "Analysis", "RunOptions", "run_analysis", "shown_path"]

Progress = Callable[[str, int, int], None]
STEPS = ("simulate", "finance", "optimize", "consequences")
"""Optional analysis steps (``--skip``)."""


class RunOptions(BaseModel):
    """Options of one run of the main job (validated; unknown options rejected).

    Build it with :meth:`from_settings` so that every default comes from
    :class:`reeplan.settings.Settings`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    data: Path | None = None
    """Dataset folder (None: the bundled dataset)."""
    overlay: tuple[Path, ...] = ()
    """Overlay folders applied in order."""
    year: int = Field(ge=EXPOSURE_YEARS[0], le=EXPOSURE_YEARS[1])
    """Reference year of the exposure tables."""
    budget: float = Field(ge=0, le=1e12)
    """Award budget for the portfolio, USD of scored cost."""
    scenarios: tuple[str, ...] = ()
    """Disruption scenarios (preset names or YAML paths); empty: the presets in the disruption
    section and the threat model (future disruptions 2026–2040) for the portfolio."""
    samples: int = Field(ge=1, le=200_000)
    """Monte Carlo samples per scenario and per appraised package."""
    seed: int = Field(ge=0)
    """Random seed: the same seed gives the same results."""
    chokepoints: bool = True
    """Rank chokepoints (re-routes the chain once per node)."""
    skip: tuple[Literal["simulate", "finance", "optimize", "consequences"], ...] = ()
    """Analysis steps to leave out of the brief."""
    time_limit: float = Field(gt=0)
    """Wall-clock limit of one portfolio solve (s)."""
    mip_gap: float = Field(ge=0, le=0.5)
    """Optimality gap of the portfolio solves."""
    workers: int = Field(ge=1)
    """Local worker threads of the simulator."""
    frontier_points: int = Field(ge=2, le=200)
    """Budgets on the frontier."""
    objective: Literal["tonnes", "value", "defense"] = "tonnes"
    """What the portfolio minimises (the brief also shows the portfolio under the others)."""

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> RunOptions:
        """Options with the settings' defaults for everything not given (``None`` = default)."""
        keys = ("year", "budget", "samples", "seed", "time_limit", "mip_gap", "workers",
                "frontier_points", "objective")
        base = {k: getattr(settings, k) for k in keys}
        return cls(**{**base, **{k: v for k, v in options.items() if v is not None}})


@dataclass
class ConsequenceReport:
    """What the shortfall of the portfolio's scenarios costs (issue 14's model)."""

    result: Consequences
    ranking: pd.DataFrame
    sensitivity: pd.DataFrame
    """One-at-a-time and Morris effects of the consequence model's own factors; the full
    sensitivity over ``parameters.csv`` re-simulates and is ``reeplan sensitivity``."""


@dataclass
class Analysis:
    """Everything one run computed, step by step (``None`` for a skipped step)."""

    options: RunOptions
    dataset: Dataset
    chain: SupplyChain
    summary: Summary
    exposure: ExposureResult
    validation: pd.DataFrame
    """The model's aggregates beside published ones (:func:`validation_table`)."""
    network: Network | None = None
    simulations: list[SimulationResult] = field(default_factory=list)
    portfolio_simulations: list[SimulationResult] = field(default_factory=list)
    consequences: ConsequenceReport | None = None
    """What the portfolio was valued against: the threat model unless scenarios were given."""
    scenario_assumptions: dict[str, list[str]] = field(default_factory=dict)
    award_costs: AwardCosts | None = None
    portfolio: PortfolioOutcome | None = None
    provenance: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def run_analysis(ds: Dataset, options: RunOptions, progress: Progress | None = None,
                 scheduler: Any = None) -> Analysis:
    """Run the main job on a loaded dataset.

    Raises
    ------
    ReeError
        On invalid data, scenarios or options (nothing is written).
    """
    steps = ["summary", "chain", "validation", "exposure",
             *[s for s in STEPS if s not in options.skip]]
    total = len(steps)
    timings: dict[str, float] = {}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        if progress:
            progress(name, steps.index(name), total)
        t = time.perf_counter()
        value = fn()
        timings[name] = time.perf_counter() - t
        return value

    # inputs first: a bad scenario file fails before any work is done
    scenarios = (load_scenarios(list(options.scenarios), ds)
                 if "simulate" in steps or ("optimize" in steps and options.scenarios) else [])
    summary = timed("summary", lambda: build_summary(ds, options.year))
    chain = timed("chain", lambda: build_chain(ds, ChainOptions()))
    checked = timed("validation", lambda: validation_table(ds, chain))
    expo = timed("exposure", lambda: exposure(ds, options.year, "all",
                                              chokepoints=options.chokepoints, chain=chain))
    an = Analysis(options, ds, chain, summary, expo, checked)
    # the chain over the simulation horizon, built once for the network and the ranking
    sim_chain = functools.cache(lambda: simulation_chain(ds))
    if "simulate" in steps or ("optimize" in steps and options.scenarios):
        an.scenario_assumptions = {sc.name: list(getattr(sc, "assumptions", []))
                                   for sc in scenarios}

        def run_sims() -> list[SimulationResult]:
            an.network = build_sim_network(ds, sim_chain())
            return simulate(ds, scenarios, options.samples, options.seed, network=an.network,
                            scheduler=scheduler, workers=options.workers)

        an.simulations = timed("simulate", run_sims) if "simulate" in steps else run_sims()

    def portfolio_sims() -> list[SimulationResult]:
        """The threat model (awards are valued against future disruptions, not the dated
        presets) unless scenarios were given."""
        if options.scenarios:
            return an.simulations
        if an.network is None:
            an.network = build_sim_network(ds, sim_chain())
        return simulate(ds, [THREATS], options.samples, options.seed, network=an.network,
                        scheduler=scheduler, workers=options.workers)

    if "finance" in steps:
        an.award_costs = timed("finance", lambda: award_costs(ds, options.samples,
                                                                options.seed))
    if "optimize" in steps:
        spec = PortfolioSpec(budget=options.budget, time_limit=options.time_limit,
                             mip_gap=options.mip_gap, objective=options.objective)

        def solve() -> PortfolioOutcome:
            an.portfolio_simulations = portfolio_sims()
            return portfolio(ds, chain, an.portfolio_simulations, spec, options.samples,
                             options.seed, frontier_max=max(2 * options.budget, 1e9),
                             frontier_points=options.frontier_points,
                             compare_objectives=True)

        an.portfolio = timed("optimize", solve)
    if "consequences" in steps:

        def weigh() -> ConsequenceReport:
            sims = an.portfolio_simulations or portfolio_sims()
            sens = sensitivity(ds, sims[0].scenario if options.scenarios else THREATS,
                               samples=min(options.samples, 100), seed=options.seed, params=[],
                               base_sim=sims[0])
            return ConsequenceReport(consequences(ds, sims[0]),
                                     element_ranking(ds, sims, chain=sim_chain()), sens)

        an.consequences = timed("consequences", weigh)
    if progress:
        progress("done", total, total)
    an.timings = timings
    an.provenance = {
        "code_version": code_version(),
        "python": platform.python_version(),
        "dataset_digest": ds.digest,
        "dataset_paths": [shown_path(p) for p in ds.paths],
        "dataset_files": list(ds.files),
        "options": _shown_options(options),
        "seed": options.seed,
        "chain_parameters": chain.params.__dict__,
        "mine_basis": chain.data.attrs.get("mine_basis", ""),
    }
    return an


def shown_path(path: Path | str) -> str:
    """How a local path appears in shared provenance: ``bundled`` for the bundled dataset,
    else the file or folder name (never an absolute local path, which names users and
    machines)."""
    from reeplan.io.readers import bundled_data_dir

    p = Path(path)
    try:
        if p.resolve() == bundled_data_dir().resolve():
            return "bundled"
    except OSError:
        pass
    return p.name or str(p)


def _shown_options(options: RunOptions) -> dict[str, Any]:
    out = options.model_dump(mode="json")
    if options.data is not None:
        out["data"] = shown_path(options.data)
    out["overlay"] = [shown_path(p) for p in options.overlay]
    out["scenarios"] = [shown_path(s) if s.endswith((".yaml", ".yml")) or "/" in s else s
                        for s in options.scenarios]
    return out
