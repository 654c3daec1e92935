"""Fixtures of the simulator tests: the hand-made ``simnet`` dataset and the bundled one.

``simnet`` (``tests/sim/data/simnet``), one year repeated to 2040, yields separation 0.9, metal
and magnet 1:

* China mines 200 t REO (Dy 100, Nd 100), separates 90 + 90, makes 90 t of Dy metal (20 t go to
  Japan's magnet plant, 70 t to its own magnet plants) and 90 t of Nd metal and magnets.
* The US mines 5 t of Dy, separates 4.5, makes 4.5 t of metal and 4.5 t of magnets, all for US
  users.
* US demand (t/yr): Dy defense 8, Dy EV traction 8, Nd EV traction 20 — 2, 2 and 5 t a quarter.
  The chain serves it all: Dy 4.5 from US magnets, 8.94 from China and 2.56 from Japan (pool).
* The NDS plan holds 3 t of Dy oxide.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reeplan.chain import ChainOptions, build_chain
from reeplan.io.readers import load_dataset
from reeplan.sim.network import build_network

SIMNET = Path(__file__).parent / "data" / "simnet"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def simnet():
    """``(dataset, chain, network)`` of the hand-made network."""
    ds = load_dataset(SIMNET)
    chain = build_chain(ds, ChainOptions(years=(2025, 2040)))
    return ds, chain, build_network(ds, chain)


@pytest.fixture(scope="session")
def bundled_net():
    """``(dataset, chain, network)`` of the bundled dataset."""
    ds = load_dataset()
    chain = build_chain(ds, ChainOptions(years=(2025, 2040)))
    return ds, chain, build_network(ds, chain)
