"""Tests of the criticality indices (EU CRM supply risk, GeoPolRisk) and the governance data."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import reeplan.indicators.criticality as crit
from reeplan.errors import ReeError
from reeplan.indicators.criticality import (
    EU_METHOD,
    GEOPOLRISK_METHOD,
    CriticalityInputs,
    calc_eu_supply_risk,
    calc_geopolrisk,
    calc_geopolrisk_instability,
    calc_hhi_wgi,
    calc_wgi_scaled,
    criticality_table,
    governance_indicator,
)
from reeplan.io.dataset import Dataset
from reeplan.io.readers import bundled_data_dir
from reeplan.schema.tables import Governance

SIX = ("wgi_cc", "wgi_ge", "wgi_ps", "wgi_rl", "wgi_rq", "wgi_va")


def by_country(values: dict[str, float]) -> xr.DataArray:
    """A ``country`` array from a mapping."""
    return xr.DataArray(list(values.values()), dims="country",
                        coords={"country": list(values)})


@pytest.fixture(scope="module")
def governance() -> pd.DataFrame:
    """The bundled governance table, read directly (independent of the other tables)."""
    return pd.read_csv(bundled_data_dir() / "governance.csv", keep_default_na=False,
                       na_values=[""])


def test_docstring_examples() -> None:
    """Every worked example in the module's docstrings holds."""
    result = doctest.testmod(crit, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 6
    assert result.failed == 0


# -- hand-computed small cases ------------------------------------------------------------


def test_hhi_wgi_three_countries() -> None:
    """0.5²·6 + 0.3²·2 + 0.2²·4 = 1.5 + 0.18 + 0.16 = 1.84; with t = 1.2 on the first: 2.14."""
    s = by_country({"A": 0.5, "B": 0.3, "C": 0.2})
    w = by_country({"A": 6.0, "B": 2.0, "C": 4.0, "D": 9.0})  # D: extra country, no share
    assert float(calc_hhi_wgi(s, w)) == pytest.approx(1.84)
    t = by_country({"A": 1.2})
    assert float(calc_hhi_wgi(s, w, t)) == pytest.approx(0.3 + 1.84)
    assert float(calc_hhi_wgi(s, w, 0.8)) == pytest.approx(0.8 * 1.84)


def test_hhi_wgi_broadcasts_over_elements() -> None:
    """Shares by element × country give one HHI_WGI per element."""
    s = xr.DataArray([[1.0, 0.0], [0.5, 0.5]], dims=("element", "country"),
                     coords={"element": ["Dy", "Nd"], "country": ["A", "B"]})
    w = by_country({"A": 8.0, "B": 2.0})
    out = calc_hhi_wgi(s, w)
    assert out.dims == ("element",)
    # Dy: 1·8 = 8; Nd: 0.25·8 + 0.25·2 = 2.5
    assert out.sel(element="Dy").item() == pytest.approx(8.0)
    assert out.sel(element="Nd").item() == pytest.approx(2.5)


def test_eu_supply_risk_by_hand() -> None:
    """HHI(GS) = 3, HHI(US) = 1.5, IR = 0.6, EoL = 0.2, SI = 0.95.

    [3·0.3 + 1.5·0.7]·0.8·0.95 = (0.9 + 1.05)·0.76 = 1.482.
    """
    assert calc_eu_supply_risk(3.0, 1.5, 0.6, 0.2, 0.95) == pytest.approx(1.482)
    # IR = 0: only the sourcing term counts.
    assert calc_eu_supply_risk(3.0, 1.5, 0.0, 0.0) == pytest.approx(1.5)


def test_wgi_scaled_and_instability_rescaling() -> None:
    """EU: 5 − 2·mean (−2.5 → 10, 2.5 → 0); GeoPolRisk: (2.5 − PV)/5 clipped, NaN → 0.5."""
    m = by_country({"a": -2.5, "b": 0.0, "c": 2.5})
    assert calc_wgi_scaled(m).values.tolist() == [10.0, 5.0, 0.0]
    pv = by_country({"a": -3.0, "b": 0.0, "c": 2.5, "d": np.nan})
    assert calc_geopolrisk_instability(pv).values.tolist() == [1.0, 0.5, 0.0, 0.5]


def test_geopolrisk_by_hand() -> None:
    """HHI 0.4; imports 50/30/20 % with g 0.6/0.2/0.9; F = 60 t, p = 40 t.

    Σ g s = 0.30 + 0.06 + 0.18 = 0.54; × 60/100 = 0.324; × 0.4 = 0.1296.
    """
    s = by_country({"A": 0.5, "B": 0.3, "C": 0.2})
    g = by_country({"A": 0.6, "B": 0.2, "C": 0.9})
    assert float(calc_geopolrisk(0.4, s, g, 60.0, 40.0)) == pytest.approx(0.1296)
    # No imports: no import risk. Neither imports nor production: undefined.
    assert float(calc_geopolrisk(0.4, s, g, 0.0, 40.0)) == 0.0
    assert np.isnan(float(calc_geopolrisk(0.4, s, g, 0.0, 0.0)))


# -- monotonicity ---------------------------------------------------------------------------


def test_more_concentration_more_supply_risk() -> None:
    """Moving supply from a well-governed to a badly governed dominant supplier raises SR."""
    w = by_country({"CHN": 5.58, "AUS": 1.913, "USA": 3.01})
    risks = []
    for china in np.linspace(0.34, 0.95, 12):
        rest = (1 - china) / 2
        s = by_country({"CHN": china, "AUS": rest, "USA": rest})
        h = float(calc_hhi_wgi(s, w))
        risks.append(calc_eu_supply_risk(h, h, 0.9, 0.05, 1.0))
    assert all(b > a for a, b in itertools.pairwise(risks))


def test_more_concentration_more_geopolrisk() -> None:
    """Same idea for GeoPolRisk: a higher unstable-partner share gives a higher score."""
    g = by_country({"CHN": 0.602, "MYS": 0.466})
    scores = [
        float(calc_geopolrisk(0.5, by_country({"CHN": x, "MYS": 1 - x}), g, 100.0, 10.0))
        for x in np.linspace(0.1, 1.0, 10)
    ]
    assert all(b > a for a, b in itertools.pairwise(scores))


# -- EU 2020 published inputs -----------------------------------------------------------------


@pytest.mark.parametrize(("group", "eol_rir", "expected"),
                         [("HREE", 0.08, 3.806897), ("LREE", 0.03, 4.013794)])
def test_eu_2020_rare_earth_inputs(governance: pd.DataFrame, group: str, eol_rir: float,
                                   expected: float) -> None:
    """EU 2020 list inputs for HREE and LREE with the bundled 2023 scaled WGI.

    Published inputs (EU CRM 2020 list, recorded as verified in the reference ``methods.md``
    §2): global supply China 86 %, Australia 6 %, USA 2 %, Russia 2 % (the other 4 % unlisted,
    atomistic); EoL-RIR HREE 8 %, LREE 3 %. Assumptions of this test (not EU figures): the
    sourcing shares equal the global ones, IR = 1, SI_SR = 1, t = 1, and WGI_scaled from the
    bundled ``governance.csv`` (2023 estimates): CHN 5.58, AUS 1.913, USA 3.01, RUS 7.18.
    The result is therefore not the published EU SR, which used older WGI, the EU's own
    sourcing, IR and SI.

    By hand: HHI_WGI = 0.86²·5.58 + 0.06²·1.913 + 0.02²·3.01 + 0.02²·7.18
    = 4.126968 + 0.0068868 + 0.001204 + 0.002872 = 4.1379308;
    SR = [H·½ + H·½]·(1 − EoL)·1 → HREE 4.1379308·0.92 = 3.806896, LREE ·0.97 = 4.013793.
    """
    scaled = governance[governance["indicator"] == "wgi_scaled"].set_index("country")["value"]
    w = by_country({c: float(scaled[c]) for c in ("CHN", "AUS", "USA", "RUS")})
    assert w.values.tolist() == [5.58, 1.913, 3.01, 7.18]
    gs = by_country({"CHN": 0.86, "AUS": 0.06, "USA": 0.02, "RUS": 0.02})
    h = float(calc_hhi_wgi(gs, w))
    assert h == pytest.approx(4.1379308, abs=1e-7)
    sr = calc_eu_supply_risk(h, h, 1.0, eol_rir, 1.0)
    assert sr == pytest.approx(expected, abs=1e-5)
    assert sr >= crit.EU_SR_THRESHOLD


# -- guards -----------------------------------------------------------------------------------


def test_missing_wgi_for_a_supplier_raises() -> None:
    """A supplier with a share but no WGI is an error, named in the message."""
    s = by_country({"CHN": 0.7, "XXX": 0.3})
    w = by_country({"CHN": 5.58})
    with pytest.raises(ReeError, match="XXX"):
        calc_hhi_wgi(s, w)


@pytest.mark.parametrize("shares", [{"A": 0.8, "B": 0.4}, {"A": -0.1, "B": 0.5}, {"A": 1.5}])
def test_invalid_shares_raise(shares: dict[str, float]) -> None:
    """Shares must be fractions summing to at most 1."""
    with pytest.raises(ReeError):
        calc_hhi_wgi(by_country(shares), by_country(dict.fromkeys(shares, 5.0)))


def test_percentages_are_rejected() -> None:
    """IR given in percent (e.g. 100) instead of a fraction is caught."""
    with pytest.raises(ReeError, match="import_reliance"):
        calc_eu_supply_risk(2.0, 2.0, 100.0, 0.0)


# -- side-by-side table ------------------------------------------------------------------------


def test_criticality_table_side_by_side() -> None:
    """Two rows per item, labelled with method and version, carrying the inputs used."""
    w = by_country({"CHN": 5.58, "AUS": 1.913, "USA": 3.01, "MYS": 4.0})
    ps = by_country({"CHN": -0.51, "AUS": 0.92, "USA": 0.03})  # MYS: no estimate → g = 0.5
    gs = by_country({"CHN": 0.7, "AUS": 0.2, "USA": 0.1})
    us = by_country({"CHN": 0.6, "MYS": 0.3, "USA": 0.1})
    inputs = {
        "HREE": CriticalityInputs(gs, us, import_reliance=1.0, eol_rir=0.01,
                                  import_shares=by_country({"CHN": 0.8, "MYS": 0.2}),
                                  total_imports=100.0, domestic_production=0.0),
        "LREE": CriticalityInputs(gs, us, import_reliance=0.5, eol_rir=0.03,
                                  import_shares=by_country({"CHN": 0.5, "MYS": 0.5}),
                                  total_imports=50.0, domestic_production=50.0, stage="mining",
                                  year=2024),
    }
    t = criticality_table(inputs, w, ps, level="element_group")
    assert t["element_group"].tolist() == ["HREE", "HREE", "LREE", "LREE"]
    assert t["method"].tolist() == [EU_METHOD, GEOPOLRISK_METHOD] * 2
    assert t["version"].notna().all()
    assert {"value", "hhi_wgi_global", "hhi_wgi_sourcing", "import_reliance", "eol_rir",
            "hhi_production", "import_risk", "total_imports"} <= set(t.columns)
    eu_lree = t[(t["element_group"] == "LREE") & (t["method"] == EU_METHOD)].iloc[0]
    # GS: 0.49·5.58 + 0.04·1.913 + 0.01·3.01 = 2.84082; US: 0.36·5.58 + 0.09·4 + 0.01·3.01
    # = 2.3989; SR = (2.84082·0.25 + 2.3989·0.75)·0.97 = 2.4341...
    assert eu_lree["hhi_wgi_global"] == pytest.approx(2.84082)
    assert eu_lree["hhi_wgi_sourcing"] == pytest.approx(2.3989)
    assert eu_lree["value"] == pytest.approx((2.84082 * 0.25 + 2.3989 * 0.75) * 0.97)
    gpr_lree = t[(t["element_group"] == "LREE") & (t["method"] == GEOPOLRISK_METHOD)].iloc[0]
    # HHI 0.54; Σ g s = 0.5·0.602 + 0.5·0.5 = 0.551; F/(p+F) = 0.5 → 0.54·0.551·0.5
    assert gpr_lree["import_risk"] == pytest.approx(0.551)
    assert gpr_lree["value"] == pytest.approx(0.54 * 0.551 * 0.5)
    assert np.isnan(gpr_lree["hhi_wgi_global"])
    assert gpr_lree["stage"] == "mining"
    assert gpr_lree["year"] == 2024


# -- governance data ----------------------------------------------------------------------------


def test_governance_rows_validate(governance: pd.DataFrame) -> None:
    """Every row passes the table's row model and cites a source of the right kind."""
    sources = pd.read_csv(bundled_data_dir() / "sources.csv").set_index("id")
    for row in governance.to_dict("records"):
        Governance.model_validate({k: v for k, v in row.items() if pd.notna(v)})
    kinds = governance["source_id"].map(sources["kind"])
    assert kinds.notna().all()
    assert (kinds[governance["indicator"] == "wgi_scaled"] == "derived").all()
    assert (kinds[governance["indicator"] != "wgi_scaled"] == "publication").all()


def test_governance_covers_every_country(governance: pd.DataFrame) -> None:
    """All countries of countries.csv except WLD/ROW have the six estimates and the scaled WGI."""
    countries = pd.read_csv(bundled_data_dir() / "countries.csv")["id"]
    expected = set(countries) - {"WLD", "ROW"}
    for indicator in (*SIX, "wgi_scaled"):
        have = set(governance.loc[governance["indicator"] == indicator, "country"])
        assert have == expected, indicator
    assert not governance.duplicated(["country", "year", "indicator"]).any()
    est = governance[governance["indicator"].isin(SIX)]["value"]
    assert est.between(-3.0, 3.0).all()


def test_wgi_scaled_rows_follow_their_formula(governance: pd.DataFrame) -> None:
    """Each derived wgi_scaled row equals 5 − 2·mean of that country's six estimates."""
    wide = governance.pivot_table(index=["country", "year"], columns="indicator",
                                  values="value")
    expected = calc_wgi_scaled(xr.DataArray(wide[list(SIX)].mean(axis=1).to_numpy()))
    assert np.allclose(wide["wgi_scaled"].to_numpy(), expected.values, atol=5e-4)
    assert wide["wgi_scaled"].between(0.0, 10.0).all()


def test_governance_indicator_from_dataset() -> None:
    """The loader picks the requested year, or each country's latest."""
    rows = pd.DataFrame({
        "id": ["a", "b", "c", "d"], "country": ["CHN", "CHN", "USA", "USA"],
        "year": [2022, 2023, 2023, 2023], "indicator": ["wgi_ps", "wgi_ps", "wgi_ps", "wgi_cc"],
        "value": [-0.44, -0.51, 0.03, 1.12], "_file": "governance.csv", "_row": [1, 2, 3, 4],
    }).set_index("id")
    ds = Dataset({"governance": rows})
    latest = governance_indicator(ds, "wgi_ps")
    assert latest.sel(country="CHN").item() == -0.51
    assert latest.attrs["years"] == [2023]
    assert governance_indicator(ds, "wgi_ps", 2022).country.values.tolist() == ["CHN"]
    with pytest.raises(ReeError, match="wgi_scaled"):
        governance_indicator(ds, "wgi_scaled")
