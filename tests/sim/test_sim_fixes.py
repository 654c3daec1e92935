"""Simulator fixes of issue 13 §5: the stockpile's size, allied output under a ban, the
materiality of time to recover, and the TTS linear program with surviving capacity.

Hand calculation for the stockpile (``hand_ban.yaml`` on ``simnet``, see ``conftest.py``), with
commercial inventories of a quarter of a quarter's demand (0.5 t for defense) and a 30-day
release delay: defense Dy is short 0.875 t a quarter from 2025-01-01; the inventory lasts
0.5 / 0.875 = 0.571 quarters, longer than the release delay (0.33 quarters), so the stockpile
(3 t × acquired fraction f) takes over without a gap and defense survives
(0.5 + 3 f) / 0.875 quarters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.sim.conftest import DATA

from reeplan.sim import (
    LPNetwork,
    LPNode,
    calc_tts_lp,
    compile_scenario,
    load_scenario,
    run_simulation,
)
from reeplan.sim.metrics import calc_ttr


def _use(res, element: str, sector: str) -> int:
    d = res.data
    pairs = list(zip(d.use_element.values, d.use_sector.values, strict=True))
    return pairs.index((element, sector))


def _with(sc, **blocks):
    upd = {}
    for block, values in blocks.items():
        if isinstance(values, dict):
            upd[block] = getattr(sc, block).model_copy(update=values)
        else:
            upd[block] = values
    return sc.model_copy(update=upd)


def _run(net, sc, samples: int = 8, seed: int = 0, **kw):
    return run_simulation(net, compile_scenario(sc, net), samples, seed, **kw)


@pytest.mark.parametrize("frac", [0.25, 0.5, 1.0])
def test_stockpile_lasts_as_long_as_its_size_allows_hand(simnet, frac: float) -> None:
    _, _, net = simnet
    sc = _with(load_scenario(DATA / "hand_ban.yaml"), inventory={"cover_quarters": 0.25},
               stockpile={"release_delay_days": 30.0, "acquired_fraction": frac})
    res = _run(net, sc, samples=2)
    dfn = _use(res, "Dy", "defense")
    tts = res.data["tts"].values
    assert tts[:, dfn, 0] == pytest.approx(0.5 / 0.875)
    assert tts[:, dfn, 1] == pytest.approx((0.5 + 3 * frac) / 0.875)


def test_bigger_stockpile_never_shortens_defense_tts(bundled_net) -> None:
    """Metamorphic: under the heavy-REE embargo a bigger stockpile never shortens defense time
    to survive, and lengthens it for Dy and Tb wherever the smaller stockpile binds (runs out
before the embargo ends)."""
    _, _, net = bundled_net
    sc = load_scenario("heavy-ree-embargo")
    tts = []
    for frac in (0.0, 0.25, 0.5, 1.0):
        res = _run(net, _with(sc, stockpile={"acquired_fraction": frac}), samples=8)
        tts.append(res.data["tts"].sel(stockpile="with").values)
        dfn = [_use(res, e, "defense") for e in ("Dy", "Tb")]
        released = res.data["shortfall_no_nds"] - res.data["shortfall"]
    defense = res.data.use_sector.values == "defense"
    tts = np.stack(tts)  # [size, S, U]
    a, b = tts[:-1, :, defense], tts[1:, :, defense]
    assert ((b >= a - 1e-9) | (np.isinf(a) & np.isinf(b))).all()
    a, b = tts[:-1, :, dfn], tts[1:, :, dfn]
    assert np.isfinite(a[0]).all()  # a quarter of the stockpile runs out: it binds
    assert (b[np.isfinite(a)] > a[np.isfinite(a)] + 1e-3).all()
    assert float(released.isel(use=dfn[0]).sum()) > 0


def test_allied_output_reaches_us_users_under_a_dy_ban(bundled_net) -> None:
    """Under the heavy-REE embargo (a full Dy ban with the foreign-product rule) non-Chinese Dy
    oxide goes to non-Chinese metal plants that lost Chinese oxide, and reaches US users,
    defense included; nothing is created."""
    _, _, net = bundled_net
    res = _run(net, load_scenario("heavy-ree-embargo"), samples=4, diagnostics=True)
    e = net.elements.index("Dy")
    q = [net.quarters.index(f"2027Q{i}") for i in (1, 2, 3, 4)]
    dg = res.diagnostics
    us = dg["us_supply"][:, q, e]
    assert (us > 1.0).all()  # t per quarter; nothing before the fix
    dfn = _use(res, "Dy", "defense")
    pre = dg["shortfall_pre"][:, q, dfn]
    demand = res.data["demand"].values[:, q, dfn]
    assert (pre < demand - 1.0).all()  # defense gets some of it (DPA, US magnets)
    assert (dg["world"][:, :, e] <= dg["world_base"][None, :, e] + 1e-6).all()


def test_allied_reallocation_is_pro_rata_to_lost_purchases() -> None:
    """Unit check of the rule: 6 t of clean material bound for the exporter's plant is trapped;
    two allied plants lost 4 t and 8 t of purchases and get 2 t and 4 t."""
    from reeplan.sim.kernel import _reallocate

    f = np.array([[1.0, 0.0, 0.0],  # X origin: own plant
                  [0.0, 0.0, 0.0],
                  [0.6, 0.2, 0.2]])  # [O, D]
    x = np.array([True, False, False])
    C = np.array([[0.0], [0.0], [10.0]])  # [O, S]
    inA = np.zeros((3, 1))
    inC = np.array([[6.0], [2.0], [2.0]])
    claim = np.array([[0.0], [6.0], [10.0]])
    _reallocate(f, x, x, 3, 3, C, inA, inC, claim, np.ones(1), np.zeros((3, 1)), np.zeros(1),
                np.zeros(1))
    assert inC[:, 0].tolist() == pytest.approx([0.0, 4.0, 6.0])


def test_ttr_uses_a_materiality_threshold(bundled_net) -> None:
    """A residual below 1 % of demand does not keep civilian Nd uses unrecovered."""
    _, _, net = bundled_net
    sc = load_scenario("april-2025-controls")
    strict = _run(net, sc.model_copy(update={"ttr_materiality": 0.0}), samples=16)
    res = _run(net, sc, samples=16)
    shorter = 0
    for sector in ("ev_traction", "wind", "industrial_motors"):
        u = _use(res, "Nd", sector)
        ttr = res.data["ttr"].values[:, u, 1]
        assert (ttr <= strict.data["ttr"].values[:, u, 1]).all()
        shorter += int((ttr < strict.data["ttr"].values[:, u, 1]).sum())
        short = res.data["shortfall"].values[:, :, u]
        demand = res.data["demand"].values[:, :, u]
        t = np.arange(short.shape[1])
        for s in range(short.shape[0]):
            after = t >= res.first_shock + ttr[s]
            assert (short[s, after] <= 0.01 * demand[s, after] + 1e-6).all()
    assert shorter > 0  # the threshold ends some samples' recovery earlier


def test_calc_ttr_materiality() -> None:
    short = np.array([0, 2.0, 0.5, 0.004, 0.004, 0.0]).reshape(1, 6, 1)
    demand = np.ones((1, 6, 1))
    assert calc_ttr(short, 1.0, demand).tolist() == [[2.0]]
    assert calc_ttr(short, 1.0, demand, materiality=0.0).tolist() == [[4.0]]
    assert calc_ttr(short, 1.0, demand, materiality=0.6).tolist() == [[1.0]]


def test_tts_lp_is_infinite_with_spare_capacity() -> None:
    """Two mines feed a separation plant that serves 0.15 t a period of demand with capacity to
    spare: HiGHS reports the unbounded program as infeasible after presolve; TTS is ∞."""
    net = LPNetwork(
        (LPNode("m0", "ore", capacity=5.2), LPNode("m1", "ore", inventory=0.56, capacity=9.9),
         LPNode("s0", "oxide"), LPNode("d0", "system", demand=0.154)),
        (("m0", "s0"), ("m1", "s0"), ("s0", "d0")), {("ore", "s0"): 1.77, ("oxide", "d0"): 1.8})
    assert calc_tts_lp(net, set()) == math.inf
    assert calc_tts_lp(net, {"m0"}) == math.inf
    assert calc_tts_lp(net, {"m0", "m1"}) == pytest.approx(0.56 / 1.77 / 1.8 / 0.154)
