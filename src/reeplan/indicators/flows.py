"""Pure calculation functions over labelled arrays (``calc_*``).

Each function states its formula; none reads files or prints. Inputs and outputs are
:class:`xarray.DataArray` with named dims (``country``, ``year``, ``element``, ``stage``, ...).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["calc_apparent_consumption", "calc_hhi", "calc_net_import_reliance", "calc_shares"]


def calc_shares(quantity: xr.DataArray, dim: str = "country", total: xr.DataArray | None = None
                ) -> xr.DataArray:
    r"""Shares of each member of ``dim``: :math:`s_i = P_i / T`.

    Parameters
    ----------
    quantity
        Non-negative quantities along ``dim`` (for example production by country).
    dim
        The dimension to share over.
    total
        Denominator :math:`T`; default :math:`\sum_j P_j`. Pass a published (rounded) world total
        to follow USGS practice.

    Returns
    -------
    xarray.DataArray
        Shares, same shape as ``quantity``; NaN where the total is zero.

    Examples
    --------
    >>> p = xr.DataArray([3.0, 1.0], dims="country", coords={"country": ["CHN", "USA"]})
    >>> calc_shares(p).values.tolist()
    [0.75, 0.25]
    """
    denom = quantity.sum(dim) if total is None else total
    return quantity / denom.where(denom != 0)


def calc_hhi(shares: xr.DataArray, dim: str = "country") -> xr.DataArray:
    r"""Herfindahl–Hirschman index :math:`HHI = \sum_i s_i^2`, shares as fractions (0–1).

    Multiply by 10,000 for the antitrust scale. When the shares given do not cover the whole
    market, the unlisted remainder is treated as atomistic (contributing zero), so the result is
    a lower bound.

    Examples
    --------
    >>> s = xr.DataArray([0.5, 0.3, 0.2], dims="country")
    >>> round(float(calc_hhi(s)), 4)
    0.38
    """
    return (shares.fillna(0.0) ** 2).sum(dim)


def calc_apparent_consumption(
    production: xr.DataArray, imports: xr.DataArray, exports: xr.DataArray,
    stock_change: xr.DataArray | float = 0.0,
) -> xr.DataArray:
    r"""Apparent consumption :math:`C = P + I - E - \Delta S` (USGS)."""
    return production + imports - exports - stock_change


def calc_net_import_reliance(
    consumption: xr.DataArray, production: xr.DataArray
) -> xr.DataArray:
    r"""USGS net import reliance :math:`NIR = (C - P) / C`, as a fraction.

    With :math:`C = P + I - E - \Delta S` this equals :math:`(I - E - \Delta S)/C`. A negative value
    means the country is a net exporter ("E" in USGS tables).

    Examples
    --------
    USGS MCS 2026, US rare-earth compounds and metals, 2025: C = 27,000 t, P = 8,900 t.

    >>> c = xr.DataArray([27000.0]); p = xr.DataArray([8900.0])
    >>> round(float(calc_net_import_reliance(c, p)[0]), 3)
    0.67
    """
    return (consumption - production) / consumption.where(consumption != 0, np.nan)
