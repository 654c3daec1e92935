"""Tidy views of a chain for plots and reports: Sankey flows and the adversary-share heatmap."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import xarray as xr

from reeplan.chain.model import GROUPS, SupplyChain, element_set
from reeplan.indicators.flows import calc_shares

__all__ = ["adversary_share_matrix", "resolve_elements", "sankey_flows"]


def resolve_elements(chain: SupplyChain, spec: str) -> list[str]:
    """Elements named by a symbol, a group (NdPr, DyTb, LREE, HREE, all) or a ``;`` list."""
    if spec in chain.elements:
        return [spec]
    chosen = element_set(spec, chain.elements)
    if not chosen:
        msg = (f"unknown element or group {spec!r}; use a symbol ({', '.join(chain.elements)}) "
               f"or a group ({', '.join(['all', *GROUPS])})")
        raise ValueError(msg)
    return chosen


def sankey_flows(chain: SupplyChain, elements: Sequence[str], year: int,
                 min_value: float = 1e-6) -> pd.DataFrame:
    """Flows of the chain for some elements in one year, summed over those elements.

    Columns: ``element`` (the label of the selection), ``year``, ``stage_from``, ``country_from``,
    ``stage_to``, ``country_to``, ``value`` (t REO-eq). End-use destinations are ``USA`` and
    ``ROW`` (consumers in the rest of the world).
    """
    f = chain.data["flow"].sel(year=year, element=list(elements)).sum("element")
    df = f.to_dataframe(name="value").reset_index()
    df = df[df["value"] > min_value]
    label = elements[0] if len(elements) == 1 else "+".join(elements)
    out = pd.DataFrame({
        "element": label, "year": year,
        "stage_from": df["stage_from"].to_numpy(), "country_from": df["origin"].to_numpy(),
        "stage_to": df["stage_to"].to_numpy(), "country_to": df["destination"].to_numpy(),
        "value": df["value"].to_numpy(),
    })
    return out.reset_index(drop=True)


def adversary_share_matrix(chain: SupplyChain, year: int, adversary: str = "CHN"
                           ) -> xr.DataArray:
    """The adversary's share of world output, ``element × stage`` (NaN where nothing is made)."""
    out = chain.data["output"].sel(year=year).drop_sel(country="ROW", errors="ignore")
    share = calc_shares(out, "country").sel(country=adversary, drop=True)
    return share.transpose("element", "stage")
