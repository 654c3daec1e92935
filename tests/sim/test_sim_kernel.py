"""The compiled kernels give the numbers of the whole-array numpy formulation.

Every bundled preset, the threat model and the hand-made scenarios run through
:func:`reeplan.sim.engine.run_batch` twice, once with the compiled propagation and allocation
(:mod:`reeplan.sim.kernel`, :mod:`reeplan.sim.alloc_kernel`) and once with the numpy oracles
(:mod:`tests.sim.physical_numpy`, :mod:`tests.sim.allocation_numpy`), on the same sampled
parameters; every output and every diagnostic flow must agree to 1e-9 t relative.
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.sim.allocation_numpy import allocate_numpy, stocks_numpy
from tests.sim.conftest import DATA
from tests.sim.physical_numpy import propagate_numpy

from reeplan.sim import compile_scenario, engine, load_scenario, scenario_from_dict
from reeplan.sim.presets import list_presets
from reeplan.sim.shocks import draw
from reeplan.sim.threats import compile_threats, load_threat_model


def _both(net, comp, monkeypatch, n=40, seed=3):
    P = draw(comp, seed, 0, n)
    fast = engine.run_batch(net, comp, P, n, diagnostics=True)
    with monkeypatch.context() as m:
        m.setattr(engine, "propagate", propagate_numpy)
        m.setattr(engine, "allocate", allocate_numpy)
        m.setattr(engine, "stocks", stocks_numpy)
        ref = engine.run_batch(net, comp, P, n, diagnostics=True)
    return fast, ref


def _check(fast, ref, name):
    assert fast.keys() == ref.keys()
    for key in ref:
        a, b = np.asarray(fast[key], float), np.asarray(ref[key], float)
        scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(b), b, 0.0)))))
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * scale, err_msg=f"{name}: {key}")


@pytest.mark.parametrize("name", list_presets())
def test_kernel_matches_numpy_on_presets(bundled_net, monkeypatch, name) -> None:
    net = bundled_net[2]
    comp = compile_scenario(load_scenario(name), net)
    _check(*_both(net, comp, monkeypatch), name)


def test_kernel_matches_numpy_on_the_threat_model(bundled_net, monkeypatch) -> None:
    net = bundled_net[2]
    fast, ref = _both(net, compile_threats(load_threat_model(), net), monkeypatch, n=60)
    assert ref["shortfall"].sum() > 0  # the comparison covers real shortfalls
    _check(fast, ref, "threats")


def test_kernel_matches_numpy_on_the_hand_made_network(simnet, monkeypatch) -> None:
    net = simnet[2]
    comp = compile_scenario(load_scenario(DATA / "hand_ban.yaml"), net)
    _check(*_both(net, comp, monkeypatch), "hand_ban")


def test_kernel_matches_numpy_with_blended_lots_and_without_dpa(bundled_net, monkeypatch
                                                                 ) -> None:
    """The paths no preset takes: blended-lot foreign-product rules and DPA Title I off."""
    net = bundled_net[2]
    raw = load_scenario("heavy-ree-embargo-plus-myanmar").model_dump()
    for c in raw["export_controls"]:
        if c["foreign_product_rule"] is not None:
            c["foreign_product_rule"]["lots"] = "blended"
    comp = compile_scenario(scenario_from_dict(raw), net)
    assert sum(len(v) for v in comp.blended.values()) > 0
    _check(*_both(net, comp, monkeypatch), "blended")
    off = compile_scenario(scenario_from_dict({**raw, "dpa": {"in_force": False}}), net)
    _check(*_both(net, off, monkeypatch), "dpa off")


def test_kernel_matches_numpy_on_the_unshocked_chain(bundled_net) -> None:
    """The base flows every batch compares with (``comp=None``)."""
    from reeplan.sim.physical import propagate

    net = bundled_net[2]
    fast, ref = propagate(net, None, 1), propagate_numpy(net, None, 1)
    for name in ("row", "china_home", "denied_cn", "world", "diverted"):
        _check({name: getattr(fast, name)}, {name: getattr(ref, name)}, "base")
    for name in ("dom", "imp", "imp_x"):
        for route in ("magnet", "oxide"):
            _check({name: getattr(fast, name)[route]}, {name: getattr(ref, name)[route]}, "base")
    assert ref.world.sum() > 0
