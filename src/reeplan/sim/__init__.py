"""Disruption simulation 2025Q1–2040Q4: scenarios, Monte Carlo over shocks, DPA and stockpiles.

Typical use::

    from reeplan.workflows import simulate
    from reeplan.sim import shortfall_table
    [res] = simulate(ds, ["april-2025-controls"], samples=1000, seed=0)
    shortfall_table(res)

Modules: :mod:`~reeplan.sim.scenario` (schema), :mod:`~reeplan.sim.loader` (YAML, includes,
checks), :mod:`~reeplan.sim.network` (chain -> quarterly arrays), :mod:`~reeplan.sim.shocks`
(masks and draws), :mod:`~reeplan.sim.physical` (propagation), :mod:`~reeplan.sim.engine`
(market, prices), :mod:`~reeplan.sim.allocation` (DPA Title I, inventories, stockpile),
:mod:`~reeplan.sim.metrics` (TTS/TTR), :mod:`~reeplan.sim.lp` (exact TTS/TTR LPs),
:mod:`~reeplan.sim.runner` (chunks, seeds, Dask), :mod:`~reeplan.sim.tables` (tables).
"""

from reeplan.sim.assumptions import ASSUMPTIONS
from reeplan.sim.loader import check_scenario, load_scenario, scenario_from_dict
from reeplan.sim.lp import LPNetwork, LPNode, calc_ttr_lp, calc_tts_lp
from reeplan.sim.network import Network, build_network
from reeplan.sim.presets import list_presets
from reeplan.sim.runner import SimulationResult, run_simulation
from reeplan.sim.scenario import Scenario
from reeplan.sim.shocks import compile_scenario
from reeplan.sim.tables import (
    baseline_coverage,
    fan_table,
    price_table,
    shortfall_table,
    tts_table,
)

__all__ = [
    "ASSUMPTIONS",
    "LPNetwork",
    "LPNode",
    "Network",
    "Scenario",
    "SimulationResult",
    "baseline_coverage",
    "build_network",
    "calc_ttr_lp",
    "calc_tts_lp",
    "check_scenario",
    "compile_scenario",
    "fan_table",
    "list_presets",
    "load_scenario",
    "price_table",
    "run_simulation",
    "scenario_from_dict",
    "shortfall_table",
    "tts_table",
]
