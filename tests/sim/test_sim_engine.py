"""The simulation engine on the hand-made network and on the bundled data.

Hand calculation for ``hand_ban.yaml`` on ``simnet`` (see ``conftest.py``): China stops every Dy
export (oxide, metal, magnets) on 2025-01-01; no market response; commercial inventories hold
one quarter of demand (2 t for defense, 2 t for EV traction); the NDS holds 3 t of Dy, released
at once; DPA Title I is in force.

* Japan's magnets are made of Chinese Dy metal, so they stop too; the US keeps only its own
  chain: 4.5 t/yr = 1.125 t a quarter, all US jurisdiction.
* DPA: defense (DX/DO) takes all 1.125 t, EV traction gets nothing. Defense deficit
  2 − 1.125 = 0.875 t a quarter; EV deficit 2 t a quarter.
* Time to survive, defense, without the stockpile: 2 / 0.875 = 2.2857 quarters; with it:
  (2 + 3) / 0.875 = 5.7143 quarters. EV traction: 2 / 2 = 1 quarter. Never recovered (TTR inf).
* The exact TTS linear program (Simchi-Levi) on the same network gives the same numbers.
"""

from __future__ import annotations

import itertools

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
    scenario_from_dict,
)
from reeplan.sim.allocation import Uses


def _use(res, element: str, sector: str) -> int:
    d = res.data
    pairs = list(zip(d.use_element.values, d.use_sector.values, strict=True))
    return pairs.index((element, sector))


def _run(net, sc, samples: int = 8, seed: int = 0, **kw):
    return run_simulation(net, compile_scenario(sc, net), samples, seed, diagnostics=True, **kw)


def test_hand_made_network_time_to_survive(simnet) -> None:
    _, _, net = simnet
    res = _run(net, load_scenario(DATA / "hand_ban.yaml"))
    d = res.data
    dfn, ev = _use(res, "Dy", "defense"), _use(res, "Dy", "ev_traction")
    tts = d["tts"].values
    assert tts[:, dfn, 0] == pytest.approx(2 / 0.875)
    assert tts[:, dfn, 1] == pytest.approx(5 / 0.875)
    assert tts[:, ev, 0] == pytest.approx(1.0)
    assert np.isinf(d["ttr"].values[:, dfn, :]).all()
    assert d["shortfall"].values[0, 10, dfn] == pytest.approx(0.875)
    assert np.isinf(tts[:, _use(res, "Nd", "ev_traction"), :]).all()  # Nd untouched
    lp = LPNetwork(
        (LPNode("us_magnets", "magnet", capacity=1.125), LPNode("cn_magnets", "magnet",
                                                                 capacity=17.5),
         LPNode("defense", "system", inventory=2, demand=2)),
        (("us_magnets", "defense"), ("cn_magnets", "defense")), {("magnet", "defense"): 1.0})
    assert calc_tts_lp(lp, {"cn_magnets"}) == pytest.approx(tts[0, dfn, 0])
    with_nds = LPNetwork((*lp.nodes[:2], LPNode("defense", "system", inventory=5, demand=2)),
                         lp.edges, lp.bom)
    assert calc_tts_lp(with_nds, {"cn_magnets"}) == pytest.approx(tts[0, dfn, 1])
    assert calc_tts_lp(lp, set()) == float("inf")


def test_priority_defense_short_only_when_no_unrated_served_from_us_supply(simnet,
                                                                          bundled_net) -> None:
    """DPA Title I: a defense use is short (before stocks) only where no unrated use of the
    same element and route received US-jurisdiction output."""
    cases = [(simnet[2], load_scenario(DATA / "hand_ban.yaml")),
             (bundled_net[2], load_scenario("heavy-ree-embargo"))]
    for net, sc in cases:
        res = _run(net, sc, samples=16)
        uses = Uses.of(net)
        pre = res.diagnostics["shortfall_pre"]
        served = res.diagnostics["served_dom_use"]
        checked = 0
        for u in np.flatnonzero(uses.defense):
            same = (uses.g == uses.g[u]) & ~uses.defense
            if not same.any():
                continue
            short = pre[:, :, u] > 1e-9
            unrated = served[:, :, same].sum(-1)
            assert np.all(unrated[short] <= 1e-9)
            checked += int(short.sum())
        assert checked > 0
    off = scenario_from_dict({**load_scenario(DATA / "hand_ban.yaml").model_dump(),
                              "dpa": {"in_force": False}})
    res = _run(simnet[2], off)
    ev = _use(res, "Dy", "ev_traction")
    assert res.diagnostics["served_dom_use"][0, 10, ev] == pytest.approx(1.125 / 2)


def test_stockpile_releases_reach_defense_only(bundled_net) -> None:
    net = bundled_net[2]
    res = _run(net, load_scenario("heavy-ree-embargo"), samples=16)
    uses = Uses.of(net)
    rel = res.diagnostics["nds_release_use"]
    assert rel[:, :, ~uses.defense].max() == 0.0
    assert rel[:, :, uses.defense].sum() > 0
    d = res.data
    nondef = ~uses.defense
    np.testing.assert_array_equal(d["shortfall"].values[:, :, nondef],
                                  d["shortfall_no_nds"].values[:, :, nondef])
    assert (d["shortfall"].values <= d["shortfall_no_nds"].values + 1e-6).all()
    total = rel.sum((1, 2))
    comp = compile_scenario(load_scenario("heavy-ree-embargo"), net)
    assert (total <= comp.nds.sum() + 1e-6).all()


@pytest.mark.parametrize("name", ["april-2025-controls", "heavy-ree-embargo-plus-myanmar",
                                  "october-2025-expansion-plus-tech-ban"])
def test_conservation_no_material_created(bundled_net, name: str) -> None:
    """Shocked end-use receipts never exceed the unshocked chain's; US users are never served
    more than US receipts, ramp-up, inventory draws and stockpile releases; US receipts never
    exceed the unshocked run's (DPA flow-down only moves US material)."""
    net = bundled_net[2]
    res = _run(net, load_scenario(name), samples=16)
    null = _run(net, scenario_from_dict({"name": "null", "title": "no shock",
                                         "sources": ["lit_sprecher_2017"]}), samples=1)
    D = res.diagnostics
    tol = 1e-7 * max(1.0, float(D["world_base"].max()))
    assert (D["world"] <= D["world_base"][None] + tol).all()
    assert (D["us_supply"] <= null.diagnostics["us_supply"] + tol).all()
    uses = Uses.of(net)
    served = D["demand_after"] - res.data["shortfall"].values
    by_el = np.zeros_like(D["us_supply"])
    np.add.at(by_el, (slice(None), slice(None), uses.e), served)
    inflow = D["us_supply"] + D["ramp_us"] + D["inventory_draw"] + D["nds_release"]
    assert (by_el <= inflow + 1e-4 * np.maximum(inflow, 1.0)).all()
    assert (res.data["shortfall"].values >= 0).all()


def test_stricter_ban_never_lowers_shortfall(bundled_net) -> None:
    net = bundled_net[2]
    base = load_scenario("april-2025-controls").model_dump()
    ctl = {**base["export_controls"][0], "approval_rate": 1.0, "licence_delay_days": 0.0}
    totals = []
    for rate in (1.0, 0.8, 0.5, 0.2, 0.0):
        sc = scenario_from_dict({"name": "sweep", "title": "approval sweep",
                                 "sources": ["cn_2025_04_controls"],
                                 "export_controls": [{**ctl, "approval_rate": rate}]})
        res = _run(net, sc, samples=4)
        totals.append(res.data["unmet"].values[0])  # [U, 2]
    for looser, stricter in itertools.pairwise(totals):
        assert (stricter >= looser - 1e-6).all()
    assert totals[-1].sum() > totals[0].sum()


def test_foreign_product_rule_cuts_third_country_supply(simnet) -> None:
    """Japan's magnets embed Chinese Dy metal: a magnet-only ban on China leaves them flowing;
    adding the foreign-product rule stops them too."""
    net = simnet[2]
    base = {"name": "fdpr", "title": "t", "sources": ["ec_dy"],
            "market": {"ramp_rate": 0, "substitution_rate": 0}}
    ctl = {"id": "mag", "elements": ["Dy"], "forms": ["magnet"], "regime": "ban",
           "start": "2025-01-01"}
    plain = _run(net, scenario_from_dict({**base, "export_controls": [ctl]}), samples=1)
    fdpr = _run(net, scenario_from_dict({**base, "export_controls": [
        {**ctl, "foreign_product_rule": {"deminimis_value_share": 0.001}}]}), samples=1)
    dy = list(net.elements).index("Dy")
    us_plain = plain.diagnostics["us_supply"][0, 4, dy]
    us_fdpr = fdpr.diagnostics["us_supply"][0, 4, dy]
    assert us_plain == pytest.approx((4.5 + 2.5556) / 4, rel=1e-3)
    assert us_fdpr == pytest.approx(4.5 / 4)


def test_market_response_closes_the_gap_at_sprecher_rates(simnet) -> None:
    """With ramp-up and substitution on, US shortfall falls over time; prices rise ex-China."""
    net = simnet[2]
    sc = load_scenario(DATA / "hand_ban.yaml").model_dump()
    sc["market"] = {}
    res = _run(net, scenario_from_dict(sc), samples=2)
    ev = _use(res, "Dy", "ev_traction")
    short = res.data["shortfall_no_nds"].values[0, :, ev]
    assert short[1] > short[12] >= short[40]
    dy = list(net.elements).index("Dy")
    assert res.data["price_ex"].values[0, 1, dy] > 1.5


def test_blended_lots_cover_clean_material_of_mixed_plants(bundled_net) -> None:
    """Blended lots: once a third-country plant's output carries Chinese content above the de
    minimis share, all of it needs a licence, so US supply is never higher than with
    segregated lots (where only the Chinese-content share is covered)."""
    net = bundled_net[2]
    raw = load_scenario("heavy-ree-embargo").model_dump()
    results = {}
    for lots in ("segregated", "blended"):
        for c in raw["export_controls"]:
            c["foreign_product_rule"]["lots"] = lots
        res = _run(net, scenario_from_dict(raw), samples=4)
        results[lots] = res.diagnostics["us_supply"]
    assert (results["blended"] <= results["segregated"] + 1e-9).all()
    assert (results["segregated"] - results["blended"]).max() > 1e-6
