"""Issue 12: the chain layer of the bundled dataset made true. Each test fails on the old value."""

from __future__ import annotations

import numpy as np
import pytest

from reeplan.chain.capacity import complete_mine_years, facility_capacity_path
from reeplan.chain.model import build_chain
from reeplan.chain.params import read_chain_params
from reeplan.indicators.production import mine_production_table, stage_concentration
from reeplan.io.dataset import Dataset


@pytest.fixture(scope="module")
def chain(bundled: Dataset):
    return build_chain(bundled)


def _sep_ex_china(chain, element: str, year: int) -> float:
    out = chain.data["output"].sel(stage="separation", element=element, year=year)
    return float(out.drop_sel(country="CHN").sum())


@pytest.mark.parametrize("element", ["Dy", "Tb"])
def test_no_dy_tb_separated_outside_china_before_may_2025(chain, element: str) -> None:
    # row 1: Kalgoorlie MREC, Silmet, La Rochelle, Ucore and Round Top made no Dy/Tb oxide
    for year in (2020, 2022, 2024):
        assert _sep_ex_china(chain, element, year) == 0.0


@pytest.mark.parametrize("element", ["Dy", "Tb"])
def test_2025_ex_china_dy_tb_comes_only_from_lynas_malaysia(chain, element: str) -> None:
    out = chain.data["output"].sel(stage="separation", element=element, year=2025)
    ex = out.drop_sel(country="CHN")
    assert float(ex.sel(country="MYS")) > 0
    assert float(ex.drop_sel(country="MYS").sum()) == 0.0
    # old data: ~119 t Dy and ~40 t Tb outside China in 2025
    assert float(ex.sum()) < 40.0


def test_silmet_and_la_rochelle_make_no_heavies(bundled: Dataset) -> None:
    fac = bundled["facilities"]
    comp = bundled["compositions"]
    for fid in ("neo_silmet_separation", "solvay_la_rochelle"):
        slate = comp[comp["composition"] == fac.loc[fid, "composition"]]
        assert set(slate["element"]) <= {"La", "Ce", "Pr", "Nd"}


def test_kalgoorlie_not_counted_as_separation(bundled: Dataset, chain) -> None:
    assert bundled["facilities"].loc["lynas_kalgoorlie", "part_of"] == "lynas_malaysia_lree"
    cap = chain.data["capacity"].sel(stage="separation", country="AUS", year=2025).sum()
    assert float(cap) == 0.0  # Eneabba starts 2027; Kalgoorlie MREC feeds Malaysia


def test_us_metal_output_2025_positive(chain) -> None:
    # row 2: MP Independence metal since Jan 2025, Phoenix Tailings from Oct 2025
    assert float(chain.data["output"].sel(stage="metal", country="USA", year=2025).sum()) > 0


def test_mp_and_lynas_use_reported_output(bundled: Dataset) -> None:
    # row 3: nameplate 6,000 / 10,500 t was used as output
    params = read_chain_params(bundled)
    path = facility_capacity_path(bundled, params, np.arange(2020, 2031))
    assert float(path.sel(facility="mp_mountain_pass_separation", year=2025)) == 2599
    assert float(path.sel(facility="lynas_malaysia_lree", year=2025)) == 6558
    # after the last report output ramps towards nameplate, not above it
    mp = path.sel(facility="mp_mountain_pass_separation")
    assert 2599 < float(mp.sel(year=2026)) < 6000
    assert float(mp.sel(year=2030)) == pytest.approx(6000)


def test_china_separation_share_within_iea(chain) -> None:
    out = chain.data["output"].sel(stage="separation", year=2025).sum("element")
    out = out.drop_sel(country="ROW")
    share = float(out.sel(country="CHN") / out.sum())
    assert 0.89 <= share <= 0.94  # old data: 0.846


def test_vulcan_contributes_capacity_from_2027(chain, bundled: Dataset) -> None:
    # row 4: no start year counted as zero in every year
    fac = bundled["facilities"].loc["vulcan_magnets"]
    assert fac["start_year"] == 2027
    params = read_chain_params(bundled)
    path = facility_capacity_path(bundled, params, np.arange(2025, 2031)).sel(
        facility="vulcan_magnets")
    assert float(path.sel(year=2026)) == 0.0
    assert float(path.sel(year=2027)) > 0.0
    for fid in ("reelement_marion", "arafura_nolans"):
        assert bundled["facilities"].loc[fid, "start_year"] is not None


def test_stillwater_phases(bundled: Dataset) -> None:
    # row 5: 10,000 t from 2026 was too much too soon
    ph = bundled["facility_phases"]
    ph = ph[ph["facility_id"] == "usar_stillwater_magnets"].sort_values("year")
    assert ph.iloc[0]["capacity"] == 1200
    assert ph.iloc[0]["year"] == 2026
    assert list(ph["capacity"]) == [1200, 4800, 10000]


def test_mp_magnet_split(bundled: Dataset) -> None:
    # row 6: Independence 1,000 + 10X 8,000 -> Independence 3,000 + 10X 7,000 = ~10,000
    fac = bundled["facilities"]
    assert fac.loc["mp_independence_magnets", "capacity"] == 3000
    assert fac.loc["mp_10x_magnets", "capacity"] == 7000


def test_us_magnet_imports_baseline(bundled: Dataset) -> None:
    # row 7: ~10,000 t/yr was ~18 % high; us_demand recomputed from the new base
    link = bundled["trade_links"].loc["chn_usa_magnets_2025"]
    assert 7100 <= link["quantity"] <= 8500
    dem = bundled["us_demand"]
    ev_nd = dem.loc["us_ev_traction_nd_2025", "quantity"]
    assert ev_nd == pytest.approx(781.4 * 7882.35 / 10765, rel=1e-3)


def test_china_magnet_output_after_2019(bundled: Dataset) -> None:
    # row 8: 170,000 t (2019) was used for every year
    out = bundled["facility_output"]
    cn = out[out["facility_id"] == "china_sintered_ndfeb"].set_index("year")["output"]
    assert cn.loc[2021] == 207100
    assert cn.max() > 207100


def test_lynas_heavy_circuit_operating_2025(bundled: Dataset) -> None:
    # row 9: construction from 2026 missed the circuit operating since May 2025
    ph = bundled["facility_phases"]
    ph = ph[ph["facility_id"] == "lynas_malaysia_hree"].set_index("year")
    assert ph.loc[2025, "status"] == "operating"
    assert ph.loc[2025, "capacity"] == 1500
    assert ph.loc[2026, "capacity"] == 5000


def test_japan_fed_beyond_china(bundled: Dataset) -> None:
    # row 10
    assert "MYS" in bundled["facilities"].loc["japan_metal_aggregate", "feed"]


def test_vulcan_commerce_award_total_is_50m(bundled: Dataset) -> None:
    # row 11: $50M incentive in exchange for equity, counted twice before
    aw = bundled["awards"]
    commerce = aw[(aw["facility_id"] == "vulcan_magnets") & aw["agency"].str.contains("Commerce")]
    assert commerce["amount_musd"].fillna(0).sum() == 50


def test_april_2025_controls_announcement_number(bundled: Dataset) -> None:
    # row 13
    row = bundled["export_controls"].loc["cn_2025_04_controls"]
    assert "No. 18 of 2025" in row["note"]
    assert "NOT VERIFIED" not in row["note"]


def test_ucore_and_eneabba_capacities(bundled: Dataset) -> None:
    # row 16
    fac = bundled["facilities"]
    assert fac.loc["iluka_eneabba", "capacity"] == 17500
    ph = bundled["facility_phases"]
    assert sorted(ph[ph["facility_id"] == "ucore_louisiana"]["capacity"]) == [2000, 5000, 7500]


def test_missing_plants_and_awards_listed(bundled: Dataset) -> None:
    fac = bundled["facilities"]
    for fid in ("mp_independence_metal", "phoenix_tailings_exeter", "lcm_uk_metal", "hypromag_usa",
                "permag_electron_energy", "arnold_smco", "vac_hanau", "shinetsu_haiphong",
                "sgi_vina", "star_group_kr", "carester_caremag", "torngat_strange_lake",
                "hypromag_uk", "energy_fuels_donald", "energy_fuels_toliara",
                "energy_fuels_bahia"):
        assert fid in fac.index, fid
    aw = bundled["awards"]
    assert aw.loc["vulcan_nc_jdig_2025", "amount_musd"] == 17.6
    assert aw.loc["ucore_la_incentives_2023", "amount_musd"] == 15
    assert aw.loc["ucore_dod_2025", "program"] == "DPA Title III"


def test_weak_sources_regraded(bundled: Dataset) -> None:
    src = bundled["sources"]
    for sid in ("press_finanzen_us_magnet_imports_2026", "press_ordminnett_myanmar_2024",
                "co_lynas_capacities_reprints", "press_metalnomist_iluka_output"):
        assert src.loc[sid, "grade"] == "D"
    for sid in ("bis_s232_ndfeb_2022", "gov_cmj_src_2024", "lit_heim_vanderwal_2023"):
        assert src.loc[sid, "grade"] != "A"


def test_oct2025_preset_dates() -> None:
    # row 14
    from pathlib import Path

    import yaml

    import reeplan

    path = Path(reeplan.__file__).parent / "scenarios" / "october-2025-expansion.yaml"
    spec = yaml.safe_load(path.read_text())
    ctl = {c["id"]: c for c in spec["export_controls"]}
    assert str(ctl["oct2025_no57_elements"]["start"]) == "2025-11-08"
    assert str(ctl["oct2025_no61_fdpr"]["foreign_product_rule"]["start"]) == "2025-12-01"


def test_mine_production_2020_and_2021(bundled: Dataset) -> None:
    # row 15: the table had no rows before 2022
    mp = bundled["mine_production"].set_index(["country", "year"])["value"]
    assert mp.loc[("WLD", 2020)] == 240000
    assert mp.loc[("CHN", 2020)] == 140000
    assert mp.loc[("WLD", 2021)] == 280000
    assert mp.loc[("CHN", 2021)] == 168000
    assert mp.loc[("USA", 2021)] == 43000
    table = mine_production_table(bundled, 2021).set_index("country")
    assert table.loc["CHN", "share"] == pytest.approx(0.6)


def test_mine_production_countries_add_up_to_the_world_total(bundled: Dataset) -> None:
    # complete years: listed countries + ROW = the rounded world total within 2 %; an incomplete
    # year lists fewer countries (never guessed ones) and its WLD note says what it covers
    mp = bundled["mine_production"]
    assert complete_mine_years(mp) == [2022, 2023, 2024, 2025]
    for year, grp in mp.groupby("year"):
        wld = grp[grp["country"] == "WLD"].iloc[0]
        listed = float(grp.loc[grp["country"] != "WLD", "value"].sum())
        if year in (2020, 2021):
            assert listed < wld["value"]
            assert "INCOMPLETE YEAR" in wld["note"]
            assert f"{listed:,.0f} t = {100 * listed / wld['value']:.1f} %" in wld["note"]
        else:
            assert listed / wld["value"] == pytest.approx(1.0, abs=0.02), year


def test_incomplete_mine_years_give_no_country_zero_output(chain) -> None:
    # 2020/2021 leave Australia and Burma out: the chain must not read that as no production
    out = chain.data["output"].sel(stage="mining").sum("element")
    for country in ("AUS", "MMR"):
        for year in (2020, 2021):
            assert float(out.sel(country=country, year=year)) == pytest.approx(
                float(out.sel(country=country, year=2022)))


def test_mining_hhi_of_incomplete_years_is_a_lower_bound(bundled: Dataset) -> None:
    conc = stage_concentration(bundled)
    mining = conc[conc["stage"] == "mining"].set_index("year")
    assert mining.loc[2020, "hhi_bound"] == "lower bound"
    assert mining.loc[2021, "hhi_bound"] == "lower bound"
    assert mining.loc[2022, "hhi_bound"] == "exact"
    assert mining.loc[2020, "adversary_share"] == pytest.approx(140000 / 240000)


def test_f35_us_buys_beside_the_all_customer_rate(bundled: Dataset) -> None:
    # row 12: 156 jets/yr is Lockheed's rate for every customer; US demand needs US buys
    f35 = bundled["defense_platforms"].loc["f35"]
    assert f35["units_per_year"] == 156
    assert f35["us_units_per_year"] == 68  # FY2025 request: 42 F-35A + 13 F-35B + 13 F-35C
    src = bundled["sources"].loc[f35["us_units_source_id"]]
    assert src["grade"] == f35["us_units_grade"]
    assert "42 aircraft" in src["note"]
    assert "13 carrier-capable C-models" in src["note"]


def test_920_lb_stated_as_the_source_words_it(bundled: Dataset) -> None:
    # row 12: CRS R41744 p. 9 gives 'rare earth materials' per aircraft, not RE content
    note = bundled["defense_platforms"].loc["f35", "note"]
    assert "would require approximately 920 pounds of these materials" in note
    assert "'rare earth materials'" in note
    assert "does not say whether" in note
    crs = bundled["sources"].loc["gov_crs_r41744_2013", "note"]
    assert "each F-35 Lightning II aircraft would require approximately 920 pounds of these " \
           "materials" in crs
    assert "H.Rept. 112-329" in crs


def test_defense_ndfeb_floor_from_us_buys(bundled: Dataset) -> None:
    # row 12: the floor of asm_defense_ndfeb came from the all-customer F-35 rate (~78 t RE)
    plat = bundled["defense_platforms"]
    plat = plat[plat["us_units_per_year"].notna()]
    floor_t = float((plat["re_mass_kg"] * plat["us_units_per_year"]).sum()) / 1000
    assert floor_t == pytest.approx(41.44, abs=0.01)
    note = bundled["sources"].loc["asm_defense_ndfeb", "note"]
    assert f"{floor_t:.1f} t RE material/yr = ~{floor_t / 0.30:.0f} t magnet" in note
    # no source for another figure: the 1,000 t/yr assumption and the demand rows stay
    assert bundled["us_demand"].loc["us_defense_nd_2025", "quantity"] == 222.9


def test_us_samarium_metal_award_listed(bundled: Dataset) -> None:
    # row 12 follow-up: a sourced US Sm metal award (DLA); the LCM samarium contracts were not found
    aw = bundled["awards"].loc["realloys_dla_smgd_2026"]
    assert aw["amount_musd"] == 1.7
    assert "Defense Logistics Agency" in aw["agency"]
    assert aw["instrument"] == "contract"
    assert bundled["sources"].loc[aw["source_id"], "grade"] == "C"
