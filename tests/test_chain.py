"""The supply-chain model on a hand-made three-country, two-element chain.

Hand calculation (year 2025, yields: separation 0.9, metal 1, magnet 1; all plants operating):

* Mine output (t REO): CHN 100 × (Nd .8, Dy .2) = Nd 80, Dy 20; AUS 50 × (Nd .9, Dy .1) =
  Nd 45, Dy 5; USA 20 Nd.
* Separation needs capacity / 0.9: CHN Nd 100, Dy 33.3; AUS Nd 20; USA Nd 10. Domestic first:
  CHN takes its 80 Nd, AUS 20, USA 10; the pool then gives CHN its missing 20 Nd from the
  remaining AUS 25 and USA 10 in proportion: 14.2857 and 5.7143. Dy: CHN takes its own 20 and
  the pool's 5 from AUS (37.5 % of the 13.3 still needed).
* Separation output = 0.9 × input: Nd CHN 90, AUS 18, USA 9; Dy CHN 22.5.
* Metal: CHN Nd 80 / Dy 22.5 (capacity 25, feed-limited), USA Nd 5. Magnets: CHN Nd 70, Dy 20;
  USA Nd 5.
* US demand (magnet sectors): Nd 14 (defense 4, EV 10), Dy 1 (defense). US magnets 5 Nd, the
  pool sends 9 Nd and 1 Dy from China.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reeplan.chain import ChainOptions, build_chain
from reeplan.chain.balance import MassBalanceError, calc_balance_residuals, check_mass_balance
from reeplan.indicators.exposure import (
    calc_chokepoints,
    calc_independence,
    calc_stage_nir,
    exposure_table,
)
from reeplan.io.readers import load_dataset

CHAIN3 = Path(__file__).parent / "data" / "chain3"


@pytest.fixture(scope="module")
def ds3():
    return load_dataset(CHAIN3)


@pytest.fixture(scope="module")
def chain3(ds3):
    return build_chain(ds3, ChainOptions(years=(2025, 2025)))


def _out(chain, stage: str, country: str, element: str) -> float:
    return float(chain.data["output"].sel(stage=stage, country=country, element=element,
                                          year=2025))


def test_separation_routing_by_hand(chain3) -> None:
    f = chain3.data["flow"].sel(year=2025, link="mining>separation", element="Nd")
    assert float(f.sel(origin="AUS", destination="CHN")) == pytest.approx(100 / 7)
    assert float(f.sel(origin="USA", destination="CHN")) == pytest.approx(40 / 7)
    assert float(f.sel(origin="CHN", destination="CHN")) == pytest.approx(80)
    assert _out(chain3, "separation", "CHN", "Nd") == pytest.approx(90)
    assert _out(chain3, "separation", "AUS", "Nd") == pytest.approx(18)
    assert _out(chain3, "separation", "CHN", "Dy") == pytest.approx(22.5)


def test_downstream_outputs_by_hand(chain3) -> None:
    assert _out(chain3, "metal", "CHN", "Dy") == pytest.approx(22.5)  # feed-limited below 25
    assert _out(chain3, "magnet", "CHN", "Nd") == pytest.approx(70)
    assert _out(chain3, "magnet", "USA", "Nd") == pytest.approx(5)
    us = chain3.data["flow"].sel(year=2025, link="magnet>end_use", destination="USA")
    assert float(us.sel(element="Nd", origin="CHN")) == pytest.approx(9)
    assert float(us.sel(element="Nd", origin="USA")) == pytest.approx(5)
    assert float(us.sel(element="Dy", origin="CHN")) == pytest.approx(1)


def test_mass_balance_holds(chain3) -> None:
    for res in calc_balance_residuals(chain3.data).values():
        assert float(np.abs(res).max()) < 1e-9


def test_mass_balance_catches_created_material(chain3) -> None:
    data = chain3.data.copy(deep=True)
    data["output"].loc[{"stage": "magnet", "country": "USA", "element": "Nd"}] += 1.0
    broken = type(chain3)(data, chain3.params, chain3.options)
    with pytest.raises(MassBalanceError, match="magnet"):
        check_mass_balance(broken.data)


def test_element_totals_match_dataset(chain3) -> None:
    mine = chain3.data["output"].sel(stage="mining", year=2025).sum("country")
    assert float(mine.sel(element="Nd")) == pytest.approx(145)
    assert float(mine.sel(element="Dy")) == pytest.approx(25)
    assert float(mine.sum()) == pytest.approx(170)  # the mine-production table's total


def test_exposure_table_by_hand(chain3) -> None:
    t = exposure_table(chain3, 2025, elements=["Nd", "Dy"]).set_index(["element", "stage"])
    sep = t.loc[("Nd", "separation")]
    assert sep["adversary_share"] == pytest.approx(90 / 117)
    assert sep["hhi"] == pytest.approx((90**2 + 18**2 + 9**2) / 117**2)
    assert sep["us_nir"] == pytest.approx((5 - 9) / 5)  # net exporter of NdPr oxide
    assert t.loc[("Nd", "magnet"), "us_nir"] == pytest.approx(9 / 14)
    assert t.loc[("Nd", "mining"), "us_requirement_t"] == pytest.approx(14 / 0.9)
    assert t.loc[("Nd", "magnet"), "independence"] == pytest.approx(5 / 14)
    assert t.loc[("Nd", "separation"), "independence_domestic"] == pytest.approx(9 / 14)
    assert t.loc[("Dy", "separation"), "independence"] == 0.0
    assert t.loc[("Dy", "magnet"), "us_nir"] == pytest.approx(1.0)


def test_independence_falls_when_stage_joins_adversary_set(chain3) -> None:
    base = calc_independence(chain3, ["CHN"]).sel(element="Nd", year=2025)
    worse = calc_independence(chain3, ["CHN", "AUS"]).sel(element="Nd", year=2025)
    assert float(base.sel(stage="separation")) == pytest.approx(1.0)
    assert float(worse.sel(stage="separation")) == pytest.approx(9 / 14)
    assert (worse <= base + 1e-12).all()


def test_independence_rises_with_non_adversary_stage(ds3, tmp_path) -> None:
    import shutil

    shutil.copytree(CHAIN3, tmp_path / "d")
    fac = tmp_path / "d" / "facilities.csv"
    fac.write_text(fac.read_text()
                   + "usa_met2,US metal 2,x,USA,metal,metal,10,t_REO,operating,src_a,A,nd_only"
                   ",,,,,,\n"
                   + "usa_mag2,US magnets 2,x,USA,magnet,NdFeB,10,t_REO,operating,src_a,A,nd_only"
                   ",,,,,,\n")
    more = build_chain(load_dataset(tmp_path / "d"), ChainOptions(years=(2025, 2025)))
    before = calc_independence(build_chain(ds3, ChainOptions(years=(2025, 2025))))
    after = calc_independence(more)
    assert float(after.sel(element="Nd", stage="magnet", year=2025)) == pytest.approx(1.0)
    assert float(before.sel(element="Nd", stage="magnet", year=2025)) == pytest.approx(5 / 14)


def test_chokepoints_rank_chinese_magnets(ds3, chain3) -> None:
    table = calc_chokepoints(ds3, chain3, 2025)
    top = table.iloc[0]
    assert top["country"] == "CHN"
    assert top["us_shortfall_t"] == pytest.approx(9)
    dy = table[(table["element"] == "Dy") & (table["stage"] == "magnet")].iloc[0]
    assert dy["defense_shortfall_t"] == pytest.approx(1)  # all Dy demand here is defense
    nd = table[(table["element"] == "Nd") & (table["stage"] == "magnet")].iloc[0]
    assert nd["defense_shortfall_t"] == 0.0  # 5 t of US magnets cover defense's 4 t first


def test_stage_nir_net_exporter_of_concentrate(chain3) -> None:
    nir = calc_stage_nir(chain3).sel(element="Nd", stage="mining", year=2025)
    assert float(nir) == pytest.approx(-1.0)  # receives 10 of its own 20 t: exports half


def test_removed_node_zeroes_capacity(ds3) -> None:
    cut = build_chain(ds3, ChainOptions(years=(2025, 2025),
                                        removed_nodes=(("magnet", "CHN"),)))
    assert float(cut.data["output"].sel(stage="magnet", country="CHN").sum()) == 0.0
    assert float(cut.data["flow"].sel(link="magnet>end_use", destination="USA").sum()) == \
        pytest.approx(5)


@pytest.fixture(scope="module")
def bundled_chain():
    return build_chain(load_dataset(), ChainOptions(years=(2024, 2027)))


def test_us_concentrate_goes_to_china_only_as_traded(bundled_chain) -> None:
    """Mountain Pass concentrate goes to China as the USGS export figures say (37,500 t REO in
    2024, 14,000 t in 2025; trade links), China's separation feed list claims no more, and US
    separation runs on US concentrate (before the fix China's feed list took 38,919 t in 2025
    and 25,465 t a year after, and US separation ran on Chinese concentrate)."""
    f = bundled_chain.data["flow"].sel(link="mining>separation").sum("element")
    assert float(f.sel(year=2024, origin="USA", destination="CHN")) == pytest.approx(37_500)
    assert float(f.sel(year=2025, origin="USA", destination="CHN")) == pytest.approx(14_000)
    mined = bundled_chain.data["output"].sel(stage="mining", country="USA").sum("element")
    for year in (2026, 2027):
        # what is left after US separation goes to the world pool, not by contract
        assert float(f.sel(year=year, origin="USA", destination="CHN")) < \
            0.05 * float(mined.sel(year=year))
        own = float(f.sel(year=year, origin="USA", destination="USA"))
        assert own > 0.9 * float(f.sel(year=year, destination="USA").sum())
