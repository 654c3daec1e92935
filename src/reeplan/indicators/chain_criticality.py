"""Criticality indices (EU CRM supply risk, GeoPolRisk) with inputs taken from the chain."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.chain.model import SupplyChain
from reeplan.errors import ReeError
from reeplan.indicators.criticality import (
    CriticalityInputs,
    criticality_table,
    governance_indicator,
)
from reeplan.indicators.exposure import calc_stage_nir
from reeplan.indicators.flows import calc_shares
from reeplan.io.dataset import Dataset

__all__ = ["chain_criticality"]


def _inputs(ds: Dataset, chain: SupplyChain, element: str, stage: str, year: int,
            stage_nir: xr.DataArray) -> CriticalityInputs | None:
    d = chain.data
    out = d["output"].sel(element=element, stage=stage, year=year).drop_sel(
        country="ROW", errors="ignore")
    if float(out.sum()) <= 0:
        return None
    global_shares = calc_shares(out)
    flow = d["flow"].sel(element=element, year=year, destination="USA")
    received = flow.where(flow.stage_from == stage, 0.0).sum("link").rename(origin="country")
    received = received.drop_sel(country="ROW", errors="ignore")
    total = float(received.sum())
    sourcing = calc_shares(received) if total > 0 else global_shares
    imports = received.where(received.country != "USA", 0.0)
    total_imports = float(imports.sum())
    import_shares = calc_shares(imports) if total_imports > 0 else xr.zeros_like(imports)
    nir = float(stage_nir.sel(element=element, stage=stage, year=year))
    ir = 1.0 if np.isnan(nir) else float(np.clip(nir, 0.0, 1.0))
    group = str(ds["elements"].loc[element, "group"])
    pid = "eol_rir_hree" if group == "HREE" else "eol_rir_lree"
    params = ds["parameters"]
    eol = float(params.loc[pid, "value"]) if pid in params.index else 0.0
    return CriticalityInputs(
        global_shares=global_shares, sourcing_shares=sourcing, import_reliance=ir,
        eol_rir=eol, import_shares=import_shares, total_imports=total_imports,
        domestic_production=float(out.sel(country="USA")) if "USA" in out.country else 0.0,
        stage=stage, year=year)


def chain_criticality(ds: Dataset, chain: SupplyChain, year: int,
                      elements: Sequence[str],
                      stages: Sequence[str] = ("mining", "separation", "magnet")
                      ) -> pd.DataFrame:
    """EU CRM supply risk and GeoPolRisk per element and stage, side by side with their inputs.

    Global supply shares come from the chain's output by country; US sourcing and import shares
    from what US plants and users receive of the stage's product (global shares where the US
    receives none); import reliance is the stage's USGS net import reliance clipped to [0, 1]
    (1 where the US consumes none); EoL-RIR from the EU 2020 factsheets (parameters table).
    """
    try:
        wgi = governance_indicator(ds, "wgi_scaled")
        ps = governance_indicator(ds, "wgi_ps")
    except ReeError:  # a dataset without governance indicators has no criticality indices
        return pd.DataFrame()
    frames = []
    stage_nir = calc_stage_nir(chain)  # every element, stage and year at once
    for stage in stages:
        inputs = {e: inp for e in elements
                  if (inp := _inputs(ds, chain, e, stage, year, stage_nir)) is not None}
        if inputs:
            frames.append(criticality_table(inputs, wgi, ps, level="element"))
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)
