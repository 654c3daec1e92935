"""Pure calculations against hand-computed values and USGS published figures."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from reeplan.indicators.flows import (
    calc_apparent_consumption,
    calc_hhi,
    calc_net_import_reliance,
    calc_shares,
)


def _arr(values: list[float], countries: list[str]) -> xr.DataArray:
    return xr.DataArray(values, dims="country", coords={"country": countries})


def test_hhi_of_monopoly_and_equal_split() -> None:
    assert float(calc_hhi(_arr([1.0], ["CHN"]))) == 1.0
    assert float(calc_hhi(_arr([0.25] * 4, list("ABCD")))) == pytest.approx(0.25)


def test_hhi_usgs_2025_mine_production() -> None:
    """USGS MCS 2026, mine production 2025e (t REO), methods.md §1.

    Listed countries: China 270,000; US 51,000; Australia 29,000; Burma 22,000; Thailand 4,800;
    India 2,900; Madagascar 2,700; Russia 2,600; Brazil 2,000; Nigeria 1,500; Vietnam 150;
    Malaysia 110; world (rounded) 390,000. HHI ≈ 0.505 divided by the rounded world total,
    ≈ 0.507 divided by the sum of the listed countries plus 'other' (550).
    """
    prod = _arr([270e3, 51e3, 29e3, 22e3, 4.8e3, 2.9e3, 2.7e3, 2.6e3, 2e3, 1.5e3, 150, 110],
                ["CHN", "USA", "AUS", "MMR", "THA", "IND", "MDG", "RUS", "BRA", "NGA", "VNM",
                 "MYS"])
    by_world = calc_hhi(calc_shares(prod, total=xr.DataArray(390e3)))
    by_sum = calc_hhi(calc_shares(prod, total=prod.sum() + 550))
    assert float(by_world) == pytest.approx(0.505, abs=0.0015)
    assert float(by_sum) == pytest.approx(0.507, abs=0.0015)
    assert float(by_sum) > float(by_world)


def test_shares_with_zero_total_are_nan() -> None:
    s = calc_shares(_arr([0.0, 0.0], ["A", "B"]))
    assert np.isnan(s.values).all()


@pytest.mark.parametrize(
    ("year", "consumption", "production", "expected"),
    [
        (2021, 7_900, 120, 0.985),
        (2023, 8_600, 800, 0.907),
        (2024, 9_010, 4_300, 0.523),
        (2025, 27_000, 8_900, 0.670),
    ],
)
def test_net_import_reliance_usgs(year: int, consumption: float, production: float,
                                  expected: float) -> None:
    """USGS MCS 2026 compounds and metals: NIR = (C − P)/C (methods.md §1)."""
    nir = calc_net_import_reliance(xr.DataArray(consumption), xr.DataArray(production))
    assert float(nir) == pytest.approx(expected, abs=0.0006)


def test_apparent_consumption_identity() -> None:
    p, i, e = xr.DataArray(100.0), xr.DataArray(50.0), xr.DataArray(30.0)
    c = calc_apparent_consumption(p, i, e, stock_change=5.0)
    assert float(c) == 115.0
    # NIR from (C − P)/C equals (I − E − ΔS)/C
    assert float(calc_net_import_reliance(c, p)) == pytest.approx((50 - 30 - 5) / 115)


def test_net_exporter_is_negative() -> None:
    assert float(calc_net_import_reliance(xr.DataArray(10.0), xr.DataArray(40.0))) < 0
