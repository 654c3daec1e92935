"""Compile the simulator's kernel ahead of the first run: ``python -m reeplan.sim.warm``.

The propagation kernel (:mod:`reeplan.sim.kernel`) is compiled by numba on first use, which
takes 20–30 s on a 2-core machine, and cached on disk beside the module. ``make install`` runs
this once so that the first ``reeplan run``, test or Dask worker finds it compiled.
"""

from __future__ import annotations

import sys
import time

from reeplan.chain import ChainOptions, build_chain
from reeplan.io.readers import load_dataset
from reeplan.schema.types import SIM_HORIZON
from reeplan.sim.network import build_network
from reeplan.sim.runner import run_simulation
from reeplan.sim.threats import compile_threats, load_threat_model


def main() -> None:
    """Run two samples of the bundled threat model (compiles and caches the kernel)."""
    t = time.perf_counter()
    ds = load_dataset()
    net = build_network(ds, build_chain(ds, ChainOptions(years=SIM_HORIZON)))
    run_simulation(net, compile_threats(load_threat_model(), net), samples=2, seed=0)
    sys.stdout.write(f"simulator kernel ready ({time.perf_counter() - t:.0f} s)\n")


if __name__ == "__main__":
    main()
