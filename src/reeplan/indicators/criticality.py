r"""Criticality indices, computed side by side and labelled with method and version.

Two published methods are implemented as pure ``calc_*`` functions over labelled arrays (dim
``country``; any other dims such as ``element`` or ``year`` broadcast):

* **EU CRM supply risk** (European Commission 2017 methodology, used for the 2017, 2020 and 2023
  EU lists), with the importer's "EU sourcing" replaced by **US sourcing** for the US lens:

  .. math::

     SR = \left[HHI_{WGI,t}(GS)\,\frac{IR}{2}
          + HHI_{WGI,t}(S)\,\left(1 - \frac{IR}{2}\right)\right](1 - EoL_{RIR})\,SI_{SR},
     \qquad HHI_{WGI,t} = \sum_c S_c^2\,WGI_c\,t_c

  What was checked, and against what (the EC guideline PDF itself, doi:10.2873/769526, was not
  read; the project's reference ``methods.md`` §2 marks the constants [M]):

  - the SR formula, the IR/2 weighting, the (1 − EoL-RIR) and SI_SR factors and shares taken as
    fractions (HHI_WGI on a 0–10 scale): identical in CritMAT (GitHub ``meyerdata/CritMAT``,
    ``critmat/calculations/supply_risk_eu.py``), an open implementation of the EU 2023
    supply-risk calculation (its results were not compared with the published ones here);
  - ``WGI_c`` = the mean of the six WGI dimensions rescaled to 0–10 with 10 = worst,
    ``5 − 2·mean`` (CritMAT ``get_wgi.py`` + ``hhi_wgi_tp.py``); a second, independent public
    implementation also uses the six-dimension mean inverted on the fixed ±2.5 bounds. The EU
    uses all six dimensions, **not** political stability alone;
  - trade-restriction factors ``t_c``: the EU 2023 values transcribed in CritMAT
    (``input_data/seeds/eureport_tradeparameters.csv``) are 1.1–1.5 for suppliers with export
    quotas/taxes/bans and 0.8 for sourcing from countries with an EU trade agreement; default 1.
    The rule that produces them was not verified;
  - thresholds: SR ≥ 1.0 and EI ≥ 2.8 (methods.md; not re-verified here);
  - not verified: that the importer's sourcing includes its own production (taken here as US
    production plus imports, by supplying country).

* **GeoPolRisk** (geopolrisk-py; Koyamparambath et al. 2024), checked against the package's
  ``docs/background.rst`` and source (GitHub ``akoyamp/geopolrisk-py``):

  .. math::

     GeoPolRisk_{Ac} = HHI_A \sum_i \frac{g_i\,f_{Aic}}{p_{Ac} + F_{Ac}},
     \qquad g_i = \operatorname{clip}\!\left(\frac{2.5 - PV_i}{5}, 0, 1\right)

  with ``PV_i`` the WGI *Political Stability and Absence of Violence/Terrorism* estimate of
  partner ``i`` (the package's ``tools/rawdata2db.ipynb`` builds its "Normalized" WGI table as
  ``((2.5 - Estimate) / 5).clip(0, 1)``; ``assessment/core.py`` gives partners without a score
  ``g = 0.5``), ``HHI_A`` the 0–1 production HHI, ``f`` the imports by partner, ``F`` total
  imports and ``p`` domestic production.

Nothing here reads files or prints; :func:`governance_indicator` only reshapes a loaded table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.errors import ReeError
from reeplan.indicators.flows import calc_hhi
from reeplan.io.dataset import Dataset

__all__ = [
    "EU_EI_THRESHOLD",
    "EU_METHOD",
    "EU_SR_THRESHOLD",
    "EU_VERSION",
    "GEOPOLRISK_METHOD",
    "GEOPOLRISK_MISSING_INSTABILITY",
    "GEOPOLRISK_VERSION",
    "CriticalityInputs",
    "calc_eu_supply_risk",
    "calc_geopolrisk",
    "calc_geopolrisk_instability",
    "calc_hhi_wgi",
    "calc_wgi_scaled",
    "criticality_table",
    "governance_indicator",
]

EU_METHOD = "eu_crm_supply_risk"
EU_VERSION = "EC 2017 methodology (2017/2020/2023 lists), US-sourcing lens"
EU_SR_THRESHOLD = 1.0
"""A material is critical in the EU method when SR ≥ 1.0 (and EI ≥ 2.8)."""
EU_EI_THRESHOLD = 2.8
"""Economic-importance threshold of the EU method (EI is not computed here)."""
GEOPOLRISK_METHOD = "geopolrisk"
GEOPOLRISK_VERSION = "geopolrisk-py 2 score (Koyamparambath et al. 2024)"
GEOPOLRISK_MISSING_INSTABILITY = 0.5
"""``g`` that geopolrisk-py assigns to a partner without a WGI score."""

_TOL = 1e-9
_COUNTRY = "country"


def calc_wgi_scaled(wgi_mean: xr.DataArray) -> xr.DataArray:
    r"""EU CRM scaled WGI: :math:`WGI^{scaled} = 5 - 2\,\overline{WGI}` (0–10, 10 = worst).

    Equivalent to :math:`10\,(2.5 - \overline{WGI})/5`: the mean of the six WGI estimates
    (−2.5..2.5, higher = better) mapped linearly onto 0–10 with the direction inverted. Not
    clipped, so a mean outside ±2.5 gives a value slightly outside 0–10.

    Parameters
    ----------
    wgi_mean
        Mean of the six WGI dimension estimates per country (and year).

    Returns
    -------
    xarray.DataArray
        Scaled WGI, same shape.

    Examples
    --------
    China 2023, six estimates −0.01, 0.68, −0.51, −0.04, −0.36, −1.50 (mean −0.29):

    >>> m = xr.DataArray([-0.29, 2.5, -2.5], dims="country", coords={"country": ["CHN", "a", "b"]})
    >>> [round(v, 3) for v in calc_wgi_scaled(m).values.tolist()]
    [5.58, 0.0, 10.0]
    """
    out = 5.0 - 2.0 * wgi_mean
    out.attrs["unit"] = "0-10 (10 = worst governance)"
    return out


def calc_hhi_wgi(
    shares: xr.DataArray,
    wgi_scaled: xr.DataArray,
    trade_restriction: xr.DataArray | float = 1.0,
    dim: str = _COUNTRY,
) -> xr.DataArray:
    r"""Governance- and trade-weighted concentration :math:`HHI_{WGI,t} = \sum_c S_c^2 WGI_c t_c`.

    EU CRM 2017 methodology. Shares are fractions (0–1), so with ``WGI`` on 0–10 the result is on
    0–10. Countries with a zero or missing share contribute nothing; an unlisted remainder of the
    market is treated as atomistic (so the result is a lower bound, as for :func:`calc_hhi`).

    Parameters
    ----------
    shares
        Supply shares :math:`S_c` along ``dim`` (global supply GS, or the importer's sourcing).
    wgi_scaled
        Scaled WGI (:func:`calc_wgi_scaled`) along ``dim``; may list more countries than
        ``shares``.
    trade_restriction
        :math:`t_c`: a scalar or an array along ``dim`` (countries it does not list get 1).
    dim
        The country dimension.

    Returns
    -------
    xarray.DataArray
        :math:`HHI_{WGI,t}` with ``dim`` reduced.

    Raises
    ------
    ReeError
        If a share is outside [0, 1], shares sum above 1, or a country with a positive share has
        no WGI value.

    Examples
    --------
    Three suppliers, shares 0.6/0.3/0.1 with scaled WGI 5.58/1.913/3.01 and no restrictions:
    0.36·5.58 + 0.09·1.913 + 0.01·3.01 = 2.0088 + 0.17217 + 0.0301 = 2.21107.

    >>> c = {"country": ["CHN", "AUS", "USA"]}
    >>> s = xr.DataArray([0.6, 0.3, 0.1], dims="country", coords=c)
    >>> w = xr.DataArray([5.58, 1.913, 3.01], dims="country", coords=c)
    >>> round(float(calc_hhi_wgi(s, w)), 5)
    2.21107

    An export quota on the Chinese share (t = 1.1) raises the first term by 10 %:

    >>> t = xr.DataArray([1.1], dims="country", coords={"country": ["CHN"]})
    >>> round(float(calc_hhi_wgi(s, w, t)), 5)
    2.41195
    """
    _check_shares(shares, dim, "shares")
    wgi = _for_countries(wgi_scaled, shares, dim, "wgi_scaled")
    if isinstance(trade_restriction, xr.DataArray) and dim in trade_restriction.dims:
        t = trade_restriction.reindex({dim: shares[dim].values}).fillna(1.0)
    else:
        t = trade_restriction
    s = shares.fillna(0.0)
    term = (s**2 * wgi * t).where(s > 0, 0.0)
    out = term.sum(dim)
    out.attrs["unit"] = "0-10"
    return out


def calc_eu_supply_risk(
    hhi_wgi_global: xr.DataArray | float,
    hhi_wgi_sourcing: xr.DataArray | float,
    import_reliance: xr.DataArray | float,
    eol_rir: xr.DataArray | float,
    substitution_index: xr.DataArray | float = 1.0,
) -> xr.DataArray | float:
    r"""EU CRM supply risk, US lens.

    .. math::

       SR = \left[HHI_{WGI,t}(GS)\,\tfrac{IR}{2} + HHI_{WGI,t}(S)\,(1 - \tfrac{IR}{2})\right]
            (1 - EoL_{RIR})\,SI_{SR}

    ``GS`` is global supply and ``S`` the importer's sourcing: in the EU method, EU sourcing
    (EU production plus imports, by supplying country); here **US sourcing** (US production plus
    US imports, by supplying country, the USA included). A material is flagged critical when
    SR ≥ :data:`EU_SR_THRESHOLD` (1.0) together with EI ≥ 2.8.

    Parameters
    ----------
    hhi_wgi_global
        :func:`calc_hhi_wgi` over global supply shares.
    hhi_wgi_sourcing
        :func:`calc_hhi_wgi` over the importer's (US) sourcing shares.
    import_reliance
        IR as a fraction in [0, 1] (net imports / apparent consumption).
    eol_rir
        End-of-life recycling input rate, fraction in [0, 1].
    substitution_index
        :math:`SI_{SR}` in [0, 1] (1 = no substitute reduces the risk).

    Returns
    -------
    xarray.DataArray or float
        Supply risk (same broadcasting as the inputs).

    Raises
    ------
    ReeError
        If a fraction input lies outside [0, 1] (percentages passed by mistake, for instance).

    Examples
    --------
    HHI_WGI(GS) = 2, HHI_WGI(US sourcing) = 1, IR = 0.5, EoL-RIR = 0.1, SI = 0.9:
    [2·0.25 + 1·0.75]·0.9·0.9 = 1.25·0.81 = 1.0125 (≥ 1.0: above the threshold).

    >>> round(calc_eu_supply_risk(2.0, 1.0, 0.5, 0.1, 0.9), 4)
    1.0125

    With IR = 1 both terms weigh one half:

    >>> calc_eu_supply_risk(4.0, 2.0, 1.0, 0.0)
    3.0
    """
    for name, value in (
        ("import_reliance", import_reliance),
        ("eol_rir", eol_rir),
        ("substitution_index", substitution_index),
    ):
        _check_fraction(value, name)
    half = import_reliance / 2.0
    return (hhi_wgi_global * half + hhi_wgi_sourcing * (1.0 - half)) * (
        1.0 - eol_rir
    ) * substitution_index


def calc_geopolrisk_instability(
    wgi_ps: xr.DataArray, missing: float = GEOPOLRISK_MISSING_INSTABILITY
) -> xr.DataArray:
    r"""GeoPolRisk partner instability :math:`g_i = \mathrm{clip}((2.5 - PV_i)/5, 0, 1)`.

    ``PV_i`` is the WGI political-stability estimate (−2.5..2.5, higher = more stable), so
    ``g`` runs from 0 (most stable) to 1 (least stable). Missing estimates get ``missing``
    (0.5 in geopolrisk-py).

    Parameters
    ----------
    wgi_ps
        Political-stability estimates along ``country``.
    missing
        Value for countries without an estimate (NaN).

    Returns
    -------
    xarray.DataArray
        :math:`g_i`, same shape.

    Examples
    --------
    China −0.51, Malaysia 0.17, Mali −2.73 (clipped), no estimate:

    >>> pv = xr.DataArray([-0.51, 0.17, -2.73, np.nan], dims="country")
    >>> [round(v, 3) for v in calc_geopolrisk_instability(pv).values.tolist()]
    [0.602, 0.466, 1.0, 0.5]
    """
    g = ((2.5 - wgi_ps) / 5.0).clip(0.0, 1.0)
    return g.fillna(missing)


def calc_geopolrisk(
    hhi_production: xr.DataArray | float,
    import_shares: xr.DataArray,
    instability: xr.DataArray,
    total_imports: xr.DataArray | float,
    domestic_production: xr.DataArray | float = 0.0,
    dim: str = _COUNTRY,
) -> xr.DataArray:
    r"""GeoPolRisk score :math:`HHI_A \sum_i g_i f_i / (p + F)` (geopolrisk-py).

    With import shares :math:`s_i = f_i / F` this is computed as

    .. math::  GeoPolRisk = HHI_A \cdot \Big(\sum_i g_i s_i\Big) \cdot \frac{F}{p + F}

    where the second factor is the package's "import risk" (weighted trade average, WTA) and
    the last the import fraction of supply. Shares that sum below 1 leave the remainder without
    a partner, contributing nothing (a lower bound); domestic production dilutes the risk.
    Where ``p + F = 0`` the score is undefined (NaN).

    Parameters
    ----------
    hhi_production
        Production HHI of the material, 0–1 (:func:`reeplan.indicators.flows.calc_hhi`).
    import_shares
        :math:`s_i`, shares of total imports by partner along ``dim``.
    instability
        :math:`g_i` along ``dim`` (:func:`calc_geopolrisk_instability`).
    total_imports
        :math:`F`, total imports (t).
    domestic_production
        :math:`p`, domestic production (t, same unit as ``F``).
    dim
        The partner dimension.

    Returns
    -------
    xarray.DataArray
        The score, 0–1, with ``dim`` reduced.

    Raises
    ------
    ReeError
        If shares are invalid, a partner with a positive share has no ``g``, or ``F``/``p`` is
        negative.

    Examples
    --------
    HHI = 0.5; imports 80 % from China (g = 0.602), 20 % from Malaysia (g = 0.466);
    F = 100 t, p = 25 t: Σ g s = 0.4816 + 0.0932 = 0.5748; × 100/125 = 0.45984;
    × 0.5 = 0.22992.

    >>> c = {"country": ["CHN", "MYS"]}
    >>> s = xr.DataArray([0.8, 0.2], dims="country", coords=c)
    >>> g = xr.DataArray([0.602, 0.466], dims="country", coords=c)
    >>> round(float(calc_geopolrisk(0.5, s, g, 100.0, 25.0)), 5)
    0.22992
    """
    _check_shares(import_shares, dim, "import_shares")
    g = _for_countries(instability, import_shares, dim, "instability")
    for name, value in (("total_imports", total_imports), ("domestic_production",
                                                          domestic_production)):
        if bool(np.any(np.asarray(value) < 0)):
            msg = f"{name} must be non-negative"
            raise ReeError(msg)
    s = import_shares.fillna(0.0)
    wta = (s * g).where(s > 0, 0.0).sum(dim)
    imports = xr.DataArray(total_imports)
    supply = imports + domestic_production
    import_fraction = imports / supply.where(supply > 0)
    return hhi_production * wta * import_fraction


@dataclass(frozen=True)
class CriticalityInputs:
    """The inputs of both indices for one element or element group (and stage, year).

    Attributes
    ----------
    global_shares
        Shares of global supply by country (dim ``country``): EU ``GS`` and GeoPolRisk ``HHI_A``.
    sourcing_shares
        Shares of US sourcing by supplying country (US production and imports; EU "EU
        sourcing" in the US lens).
    import_reliance
        IR, fraction.
    eol_rir
        End-of-life recycling input rate, fraction.
    import_shares
        Shares of US imports by partner (GeoPolRisk ``f_i / F``).
    total_imports
        GeoPolRisk ``F`` (t).
    domestic_production
        GeoPolRisk ``p`` (t).
    substitution_index
        EU ``SI_SR`` (1 = no substitution credit).
    trade_restriction_global, trade_restriction_sourcing
        EU ``t_c`` for the two HHI terms (scalar or array along ``country``).
    stage, year
        Labels carried to the output table.
    """

    global_shares: xr.DataArray
    sourcing_shares: xr.DataArray
    import_reliance: float
    eol_rir: float
    import_shares: xr.DataArray
    total_imports: float
    domestic_production: float = 0.0
    substitution_index: float = 1.0
    trade_restriction_global: xr.DataArray | float = 1.0
    trade_restriction_sourcing: xr.DataArray | float = 1.0
    stage: str | None = None
    year: int | None = None


TABLE_COLUMNS = [
    "method",
    "version",
    "value",
    "threshold",
    "above_threshold",
    "stage",
    "year",
    "hhi_wgi_global",
    "hhi_wgi_sourcing",
    "import_reliance",
    "eol_rir",
    "substitution_index",
    "hhi_production",
    "import_risk",
    "import_fraction",
    "total_imports",
    "domestic_production",
]


def criticality_table(
    inputs: Mapping[str, CriticalityInputs],
    wgi_scaled: xr.DataArray,
    wgi_ps: xr.DataArray,
    level: str = "element",
) -> pd.DataFrame:
    """Both indices side by side, one row per item and method, with the inputs each used.

    For every item (an element or an element group) the EU CRM supply risk (US lens,
    :func:`calc_eu_supply_risk`) and the GeoPolRisk score (:func:`calc_geopolrisk`) are computed
    from the same :class:`CriticalityInputs`. Input columns a method does not use are NaN.

    Parameters
    ----------
    inputs
        Item label (e.g. ``"Dy"`` or ``"HREE"``) -> its inputs.
    wgi_scaled
        EU scaled WGI by country (:func:`calc_wgi_scaled`; ``wgi_scaled`` rows of the
        ``governance`` table).
    wgi_ps
        WGI political-stability estimates by country (``wgi_ps`` rows); partners without one get
        ``g = 0.5`` as in geopolrisk-py.
    level
        Name of the item column (``"element"`` or ``"element_group"``).

    Returns
    -------
    pandas.DataFrame
        Columns ``level``, ``method``, ``version``, ``value``, ``threshold``,
        ``above_threshold``, ``stage``, ``year`` and the inputs: ``hhi_wgi_global``,
        ``hhi_wgi_sourcing``, ``import_reliance``, ``eol_rir``, ``substitution_index`` (EU);
        ``hhi_production``, ``import_risk`` (Σ g s), ``import_fraction`` (F/(p+F)),
        ``total_imports``, ``domestic_production`` (GeoPolRisk).

    Examples
    --------
    90 % China, 10 % USA everywhere, IR = 1, no recycling, imports only. EU: HHI_WGI =
    0.81·5.58 + 0.01·3.01 = 4.5499 for both terms, so SR = 4.5499. GeoPolRisk: HHI = 0.82,
    g = 0.602 (CHN), 0.494 (USA), Σ g s = 0.5912, score = 0.82·0.5912 = 0.4848.

    >>> c = ["CHN", "USA"]
    >>> one = xr.DataArray([0.9, 0.1], dims="country", coords={"country": c})
    >>> inp = CriticalityInputs(one, one, import_reliance=1.0, eol_rir=0.0,
    ...                         import_shares=one, total_imports=10.0)
    >>> w = xr.DataArray([5.58, 3.01], dims="country", coords={"country": c})
    >>> ps = xr.DataArray([-0.51, 0.03], dims="country", coords={"country": c})
    >>> t = criticality_table({"Dy": inp}, w, ps)
    >>> t[["element", "method", "value"]].round(4).values.tolist()
    [['Dy', 'eu_crm_supply_risk', 4.5499], ['Dy', 'geopolrisk', 0.4848]]
    """
    rows: list[dict[str, object]] = []
    for item, x in inputs.items():
        hhi_g = float(calc_hhi_wgi(x.global_shares, wgi_scaled, x.trade_restriction_global))
        hhi_s = float(calc_hhi_wgi(x.sourcing_shares, wgi_scaled, x.trade_restriction_sourcing))
        sr = float(calc_eu_supply_risk(hhi_g, hhi_s, x.import_reliance, x.eol_rir,
                                       x.substitution_index))
        rows.append({
            level: item, "method": EU_METHOD, "version": EU_VERSION, "value": sr,
            "threshold": EU_SR_THRESHOLD, "above_threshold": sr >= EU_SR_THRESHOLD,
            "stage": x.stage, "year": x.year, "hhi_wgi_global": hhi_g, "hhi_wgi_sourcing": hhi_s,
            "import_reliance": x.import_reliance, "eol_rir": x.eol_rir,
            "substitution_index": x.substitution_index,
        })
        hhi_a = float(calc_hhi(x.global_shares))
        partners = x.import_shares[_COUNTRY].values
        g = calc_geopolrisk_instability(wgi_ps.reindex({_COUNTRY: partners}))
        score = float(calc_geopolrisk(hhi_a, x.import_shares, g, x.total_imports,
                                      x.domestic_production))
        wta = float((x.import_shares.fillna(0.0) * g).sum(_COUNTRY))
        supply = x.total_imports + x.domestic_production
        rows.append({
            level: item, "method": GEOPOLRISK_METHOD, "version": GEOPOLRISK_VERSION,
            "value": score, "threshold": np.nan, "above_threshold": None, "stage": x.stage,
            "year": x.year, "hhi_production": hhi_a, "import_risk": wta,
            "import_fraction": x.total_imports / supply if supply > 0 else np.nan,
            "total_imports": x.total_imports, "domestic_production": x.domestic_production,
        })
    return pd.DataFrame(rows, columns=[level, *TABLE_COLUMNS])


def governance_indicator(ds: Dataset, indicator: str, year: int | None = None) -> xr.DataArray:
    """One indicator of the ``governance`` table as an array over ``country``.

    Parameters
    ----------
    ds
        A loaded dataset with a ``governance`` table.
    indicator
        E.g. ``"wgi_scaled"`` or ``"wgi_ps"``.
    year
        The year to take; default: each country's most recent year.

    Returns
    -------
    xarray.DataArray
        Values by country; ``attrs`` record the indicator and the years used.

    Raises
    ------
    ReeError
        If the table has no row for ``indicator`` (and ``year``).
    """
    table = ds["governance"] if "governance" in ds else pd.DataFrame()
    rows = table[table["indicator"] == indicator] if len(table) else table
    if year is not None and len(rows):
        rows = rows[rows["year"] == year]
    if not len(rows):
        when = f" for {year}" if year is not None else ""
        msg = f"the governance table has no '{indicator}' rows{when}"
        raise ReeError(msg)
    latest = rows.sort_values("year").groupby("country").tail(1).sort_values("country")
    out = xr.DataArray(
        latest["value"].astype(float).to_numpy(),
        dims=_COUNTRY,
        coords={_COUNTRY: latest["country"].to_numpy()},
        name=indicator,
    )
    # Years go to attrs, not to a coordinate, so the array broadcasts against inputs that
    # carry their own ``year`` dimension.
    out.attrs["indicator"] = indicator
    out.attrs["years"] = sorted(int(y) for y in latest["year"].unique())
    return out


def _check_shares(shares: xr.DataArray, dim: str, name: str) -> None:
    if dim not in shares.dims:
        msg = f"{name} has no '{dim}' dimension (dims: {shares.dims})"
        raise ReeError(msg)
    values = shares.fillna(0.0)
    if bool((values < -_TOL).any()) or bool((values > 1 + _TOL).any()):
        msg = f"{name} must be fractions in [0, 1]"
        raise ReeError(msg)
    total = values.sum(dim)
    if bool((total > 1 + 1e-6).any()):
        msg = f"{name} sum to {float(total.max()):.4f} > 1 along '{dim}'"
        raise ReeError(msg)


def _for_countries(
    values: xr.DataArray, shares: xr.DataArray, dim: str, name: str
) -> xr.DataArray:
    """``values`` on the countries of ``shares``; raise if a positive share has no value."""
    if dim not in values.dims:
        return values
    out = values.reindex({dim: shares[dim].values})
    positive = shares.fillna(0.0) > 0
    missing = out.isnull() & positive
    other = [d for d in missing.dims if d != dim]
    if other:
        missing = missing.any(other)
    if bool(missing.any()):
        countries = ", ".join(str(c) for c in missing[dim].values[missing.values])
        msg = f"no {name} value for supplying countries: {countries}"
        raise ReeError(msg)
    return out


def _check_fraction(value: xr.DataArray | float, name: str) -> None:
    arr = np.asarray(value, dtype=float)
    if bool(np.any(arr < -_TOL)) or bool(np.any(arr > 1 + _TOL)):
        msg = f"{name} must be a fraction in [0, 1], got {arr.min():g}..{arr.max():g}"
        raise ReeError(msg)
