"""The optimiser's objectives: weights per tonne from the consequence tables (issue 14)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from reeplan.errors import ReeError
from reeplan.indicators.consequences import ConsequenceInputs
from reeplan.optimize.inputs import PortfolioSpec
from reeplan.optimize.objective import calc_objective_weights


def _inputs(ev_sub_year: float = 0.1) -> ConsequenceInputs:
    els, secs = ["Nd", "Pr"], ["ev", "defense"]
    # kg per unit: an EV needs 0.4 kg Nd + 0.1 kg Pr; a defense unit 30 kg Nd + 10 kg Pr
    intensity = xr.DataArray([[0.4, 30.0], [0.1, 10.0]], dims=["element", "sector"],
                             coords={"element": els, "sector": secs})
    value = xr.DataArray([[50_000.0, 80e6], [50_000.0, 80e6]], dims=["element", "sector"],
                         coords={"element": els, "sector": secs})
    sub = xr.DataArray([[0.0, ev_sub_year, 0.3], [0.0, 0.0, 0.1]], dims=["sector", "horizon"],
                       coords={"sector": secs, "horizon": ["quarter", "year", "three_years"]})
    return ConsequenceInputs(intensity, value, sub, pd.DataFrame())


DEMAND = pd.DataFrame({"element": ["Nd", "Pr", "Nd", "Pr"], "sector": ["ev", "ev", "defense",
                                                                        "defense"],
                       "year": 2025, "quantity": [400.0, 100.0, 30.0, 10.0]})
GROUPS = {"NdPr": ("Nd", "Pr")}


def test_value_weights_closed_form() -> None:
    w = calc_objective_weights("value", _inputs(), DEMAND, GROUPS)
    # a tonne of NdPr stops 1000 / 0.5 = 2000 EVs, 90 % of them lost (10 % switched in a year)
    assert w.civil["NdPr"] == pytest.approx(2000 * 0.9 * 50_000 / 1e6)  # $M per tonne
    # and 1000 / 40 = 25 defense units, none switched in a year
    assert w.defense["NdPr"] == pytest.approx(25 * 80e6 / 1e6)
    assert w.min_value_per_bn == pytest.approx(1e3)  # $1,000M protected per $1bn spent
    assert w.unit == "$M"


def test_defense_weights_count_platforms_and_ignore_civilian_shortfall() -> None:
    w = calc_objective_weights("defense", _inputs(), DEMAND, GROUPS, ratio=2.0)
    assert w.civil["NdPr"] == 0.0
    assert w.defense["NdPr"] == pytest.approx(25.0)
    assert w.min_value_per_bn == pytest.approx(2.0 * 1e9 / 80e6)  # 25 units per $bn


def test_more_substitution_never_raises_the_civilian_weight() -> None:
    weights = [calc_objective_weights("value", _inputs(s), DEMAND, GROUPS).civil["NdPr"]
               for s in np.linspace(0.0, 1.0, 6)]
    assert all(b <= a for a, b in itertools.pairwise(weights))
    assert weights[-1] == 0.0


def test_tonnes_objective_keeps_the_spec_weights() -> None:
    w = calc_objective_weights("tonnes", _inputs(), DEMAND, GROUPS, tonnes=(1.0, 10.0))
    assert (w.civil["NdPr"], w.defense["NdPr"], w.min_value_per_bn) == (1.0, 10.0, 10.0)


def test_unknown_objective_and_bad_group_weights_are_refused() -> None:
    with pytest.raises(ReeError, match="unknown objective"):
        calc_objective_weights("profit", _inputs(), DEMAND, GROUPS)
    with pytest.raises(ValueError, match="civilian <= defense"):
        PortfolioSpec(group_weights={"NdPr": (5.0, 1.0)})
    spec = PortfolioSpec(group_weights={"NdPr": (1.0, 5.0)})
    with pytest.raises(ReeError, match="DyTb"):
        spec.loss_weights(["NdPr", "DyTb"])
    w1, w2 = spec.loss_weights(["NdPr"])
    assert (w1[0], w2[0]) == (1.0, 4.0)
