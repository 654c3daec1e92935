"""Simulate disruption scenarios: the one path from scenario references to per-sample results.

Load each scenario (preset name or YAML file, with its includes) → check its names against the
dataset → build the simulation network from the chain over the simulation horizon → compile →
run the Monte Carlo samples (in this process, in threads, or on a Dask cluster). The CLI, the
brief, the optimiser and the API all call :func:`simulate`, so they see the same numbers for the
same inputs and seed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reeplan.chain import ChainOptions, SupplyChain, build_chain
from reeplan.io.dataset import Dataset
from reeplan.sim.loader import check_scenario, load_scenario
from reeplan.sim.network import Network, build_network
from reeplan.sim.presets import list_presets
from reeplan.sim.runner import SimulationResult, run_simulation
from reeplan.sim.scenario import HORIZON, Scenario
from reeplan.sim.shocks import Compiled, compile_scenario
from reeplan.sim.threats import ThreatModel, check_sources, compile_threats, load_threat_model

__all__ = ["THREATS", "build_sim_network", "load_scenarios", "simulate", "simulation_chain"]

THREATS = "threats"
"""Scenario reference of the bundled threat model (``threats:PATH`` names a threat-model file)."""

ScenarioLike = Scenario | ThreatModel

Progress = Callable[[str, int, int], None]
"""Called as ``progress(scenario, samples done, samples)``."""


def simulation_chain(ds: Dataset) -> SupplyChain:
    """The supply chain over the simulation horizon (2025–2040)."""
    return build_chain(ds, ChainOptions(years=HORIZON))


def build_sim_network(ds: Dataset, chain: SupplyChain | None = None) -> Network:
    """The simulation network of ``ds`` (``chain`` must span the simulation horizon)."""
    return build_network(ds, chain if chain is not None else simulation_chain(ds))


def load_scenarios(refs: Sequence[str | Path | ScenarioLike], ds: Dataset) -> list[ScenarioLike]:
    """Load and check scenarios (preset names, YAML paths or objects); empty: every preset.

    ``"threats"`` is the bundled threat model (a generator of future disruptions over
    2026–2040); ``"threats:PATH"`` a threat-model file of the same schema.

    Raises
    ------
    ScenarioError
        A file that does not validate or names what the dataset lacks (file and field named).
    """
    out: list[ScenarioLike] = []
    for ref in list(refs) or list_presets():
        if isinstance(ref, ThreatModel):
            check_sources(ref, ds)
            out.append(ref)
            continue
        text = str(ref)
        if text == THREATS or text.startswith(f"{THREATS}:"):
            model = load_threat_model(text.partition(":")[2] or None)
            check_sources(model, ds)
            out.append(model)
            continue
        sc = ref if isinstance(ref, Scenario) else load_scenario(ref)
        check_scenario(sc, ds, text if not isinstance(ref, Scenario) else sc.name)
        out.append(sc)
    return out


def compile_any(sc: ScenarioLike, net: Network) -> Compiled:
    """Compile a dated scenario or a threat model on ``net``."""
    if isinstance(sc, ThreatModel):
        return compile_threats(sc, net, sc.name)
    return compile_scenario(sc, net, sc.name)


def simulate(ds: Dataset, scenarios: Sequence[str | Path | ScenarioLike], samples: int,
             seed: int,
             *, network: Network | None = None, scheduler: Any = None, workers: int = 1,
             progress: Progress | None = None, timeout: float | None = None
             ) -> list[SimulationResult]:
    """Run ``samples`` Monte Carlo samples of each scenario with one seed.

    Parameters
    ----------
    ds
        The dataset (with overlays).
    scenarios
        Preset names, YAML paths or :class:`~reeplan.sim.scenario.Scenario` objects; empty:
        every preset.
    samples
        Samples per scenario.
    seed
        The seed: the same for every scenario, so differences between scenarios are not noise
        in the shared draws.
    network
        A network already built from ``ds`` (saves the chain build).
    scheduler, workers
        Where the samples run (see :func:`reeplan.sim.runner.run_simulation`); the numbers do
        not depend on it.
    progress
        Progress callback.
    timeout
        With a Dask scheduler, the longest wait (s) for each scenario's chunks.

    Returns
    -------
    list of SimulationResult
        One per scenario, in order.
    """
    checked = load_scenarios(scenarios, ds)
    net = network if network is not None else build_sim_network(ds)
    results = []
    for sc in checked:
        def report(done: int, total: int, name: str = sc.name) -> None:
            if progress is not None:
                progress(name, done, total)

        results.append(run_simulation(net, compile_any(sc, net), samples, seed,
                                      scheduler=scheduler, workers=workers, progress=report,
                                      timeout=timeout))
    return results
