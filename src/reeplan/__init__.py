"""reeplan: a sourced model of the rare-earth supply chain for US planners.

It holds a bundled, sourced dataset; measures US exposure; simulates disruptions; models DPA
Title III and related instruments; and optimises a portfolio of awards.

A notebook session::

    import reeplan
    ds = reeplan.load_dataset()                                  # bundled data (+ overlays)
    expo = reeplan.exposure(ds, 2025, "Dy")                      # US exposure by stage
    sims = reeplan.simulate(ds, ["heavy-ree-embargo"], samples=500, seed=1)
    reeplan.shortfall_table(sims[0])                             # P5/P50/P95 by use
    costs = reeplan.appraise(ds, "mp-10x", ["mp-2025"], samples=500, seed=1)
    spec = reeplan.PortfolioSpec(budget=2.5e9)
    best = reeplan.portfolio(ds, reeplan.build_chain(ds), sims, spec, samples=200, seed=1)
    best.awards                                                  # the recommended awards

Layers, bottom to top: ``errors``/``settings``/``version`` → ``schema`` → ``io`` (readers, checks,
YAML, JSON) → ``store`` → ``chain`` → ``indicators`` | ``sim`` | ``finance`` → ``optimize`` →
``workflows`` → ``brief`` → ``cli``. Imports point down only (import-linter, in ``make test``).
"""

from __future__ import annotations

import importlib
from typing import Any

from reeplan.version import __version__

_EXPORTS = {
    "Analysis": "reeplan.workflows",
    "Appraisal": "reeplan.workflows",
    "ChainOptions": "reeplan.chain",
    "DataError": "reeplan.errors",
    "ExposureResult": "reeplan.workflows",
    "InfeasibleError": "reeplan.errors",
    "PortfolioOutcome": "reeplan.workflows",
    "PortfolioResult": "reeplan.optimize.solve",
    "PortfolioSpec": "reeplan.optimize.inputs",
    "Problem": "reeplan.errors",
    "ReeError": "reeplan.errors",
    "RunOptions": "reeplan.workflows",
    "RunResult": "reeplan.brief",
    "ScenarioError": "reeplan.errors",
    "Settings": "reeplan.settings",
    "SupplyChain": "reeplan.chain",
    "__version__": "reeplan.version",
    "appraise": "reeplan.workflows",
    "award_costs": "reeplan.workflows",
    "build_brief": "reeplan.brief",
    "build_chain": "reeplan.chain",
    "bundled_data_dir": "reeplan.io.readers",
    "exposure": "reeplan.workflows",
    "fan_table": "reeplan.sim.tables",
    "get_settings": "reeplan.settings",
    "load_dataset": "reeplan.io.readers",
    "portfolio": "reeplan.workflows",
    "price_table": "reeplan.sim.tables",
    "run_analysis": "reeplan.workflows",
    "shortfall_table": "reeplan.sim.tables",
    "simulate": "reeplan.workflows",
    "tts_table": "reeplan.sim.tables",
    "write_brief": "reeplan.brief",
}
"""Public name -> module that defines it (imported on first use, so ``reeplan --help`` and
``import reeplan`` stay fast)."""


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    msg = f"module 'reeplan' has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Analysis",
    "Appraisal",
    "ChainOptions",
    "DataError",
    "ExposureResult",
    "InfeasibleError",
    "PortfolioOutcome",
    "PortfolioResult",
    "PortfolioSpec",
    "Problem",
    "ReeError",
    "RunOptions",
    "RunResult",
    "ScenarioError",
    "Settings",
    "SupplyChain",
    "__version__",
    "appraise",
    "award_costs",
    "build_brief",
    "build_chain",
    "bundled_data_dir",
    "exposure",
    "fan_table",
    "get_settings",
    "load_dataset",
    "portfolio",
    "price_table",
    "run_analysis",
    "shortfall_table",
    "simulate",
    "tts_table",
    "write_brief",
]
