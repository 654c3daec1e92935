"""US exposure metrics over a built chain: shares, HHI, net import reliance, coverage,
independence, and chokepoints.

All metrics are labelled arrays ``element × stage × year`` (country shares add a ``country`` dim)
computed from :class:`~reeplan.chain.model.SupplyChain` data with pure ``calc_*`` functions.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.chain.capacity import STAGES
from reeplan.chain.model import (
    MAGNET_SECTORS,
    ChainOptions,
    SupplyChain,
    prepare_chain,
    route_chain,
)
from reeplan.indicators.flows import calc_hhi, calc_shares
from reeplan.io.dataset import Dataset

__all__ = [
    "calc_chokepoints",
    "calc_coverage",
    "calc_independence",
    "calc_stage_nir",
    "calc_us_requirement",
    "exposure_table",
]

DEFAULT_ADVERSARIES = ("CHN",)


def _stage_output(chain: SupplyChain) -> xr.DataArray:
    return chain.data["output"].drop_sel(country="ROW", errors="ignore")


def calc_us_requirement(chain: SupplyChain) -> xr.DataArray:
    r"""US requirement at each stage, ``element × stage × year`` (t REO-eq).

    End demand of magnet sectors (for elements that go into magnets) is carried back through the
    magnet, metal and separation yields; other demand through separation only:

    .. math:: D_s = \frac{D^{mag}}{\prod_{k > s}^{magnet} \eta_k}
                  + \mathbb{1}[s \le sep] \frac{D^{ox}}{\prod_{k > s}^{sep} \eta_k}
    """
    d = chain.data
    p = chain.params
    dem = d["us_demand"]
    is_mag_el = d["capacity"].sel(stage="magnet").sum(("country", "year")) > 0
    mag_sector = dem.sector.isin(list(MAGNET_SECTORS))
    d_mag = dem.where(mag_sector, 0.0).sum("sector").where(is_mag_el, 0.0)
    d_ox = dem.sum("sector") - d_mag
    eta = {"separation": p.yield_separation, "metal": p.yield_metal, "magnet": p.yield_magnet}
    parts = []
    for s in STAGES:
        down = [k for k in ("separation", "metal", "magnet") if STAGES.index(k) > STAGES.index(s)]
        mag = d_mag / float(np.prod([eta[k] for k in down])) if down or s == "magnet" else d_mag
        ox_down = [k for k in down if k == "separation"]
        ox = (d_ox / float(np.prod([eta[k] for k in ox_down]))
              if STAGES.index(s) <= 1 else xr.zeros_like(d_ox))
        parts.append((mag + ox).expand_dims(stage=[s]))
    out = xr.concat(parts, "stage").transpose("element", "stage", "year")
    out.attrs["unit"] = "t REO-eq/yr"
    return out


def calc_stage_nir(chain: SupplyChain, country: str = "USA") -> xr.DataArray:
    r"""Net import reliance by element, stage and year (USGS definition).

    :math:`NIR = (C - P)/C` with :math:`P` the country's output of the stage's product and
    :math:`C = P + I - E - \Delta S` its apparent consumption, which equals what its own next-stage
    plants and end users received of that product. Negative values mean a net exporter.
    """
    d = chain.data
    flow = d["flow"]
    received = flow.sel(destination=country).sum("origin")
    cons = []
    for s in STAGES:
        cons.append(received.where(flow.stage_from == s, 0.0).sum("link").expand_dims(stage=[s]))
    c = xr.concat(cons, "stage")
    p = d["output"].sel(country=country)
    nir = (c - p) / c.where(c > 0)
    return nir.transpose("element", "stage", "year")


def calc_coverage(chain: SupplyChain, adversaries: Sequence[str] = DEFAULT_ADVERSARIES
                  ) -> xr.DataArray:
    r"""Supply outside the adversary set over US requirement, ``element × stage × year``.

    :math:`\text{coverage}_s = \sum_{c \notin A} Q_{s,c} / D_s` — above 1 means non-adversary
    output could in principle meet all US demand at that stage.
    """
    out = _stage_output(chain)
    free = out.where(~out.country.isin(list(adversaries)), 0.0).sum("country")
    req = calc_us_requirement(chain)
    return (free / req.where(req > 0)).transpose("element", "stage", "year")


def calc_independence(chain: SupplyChain, adversaries: Sequence[str] = DEFAULT_ADVERSARIES,
                      access: float = 1.0) -> xr.DataArray:
    r"""Share of US demand that a chain with no adversary-controlled stage can serve.

    Along the chain, the adversary-free throughput is bounded by adversary-free capacity at each
    stage and by what the stage upstream can pass on:

    .. math:: X_{mining} = M^{US} + a \sum_{c \notin A \cup US} M_c,\qquad
              X_s = \min\left(K^{US}_s + a \sum_{c \notin A \cup US} K_{s,c},\;
                              \eta_s X_{s-1}\right)

    and independence through stage *s* is :math:`\min_{k \le s} \min(1, X_k / D_k)`. The access
    factor *a* is the share of allied output the US can claim (1 = all of it, an upper bound;
    0 = domestic only). It falls when a stage moves into the adversary set and rises when
    adversary-free capacity is added.
    """
    d = chain.data
    p = chain.params
    eta = {"separation": p.yield_separation, "metal": p.yield_metal, "magnet": p.yield_magnet}
    countries = d.country
    is_adv = countries.isin(list(adversaries)) | (countries == "ROW")
    weight = xr.where(countries == "USA", 1.0, access).where(~is_adv, 0.0)
    mine = (d["output"].sel(stage="mining") * weight).sum("country")
    req = calc_us_requirement(chain)
    parts = []
    x = mine
    ratio_min = None
    for s in STAGES:
        if s != "mining":
            cap = (d["capacity"].sel(stage=s) * weight).sum("country")
            x = np.minimum(cap, eta[s] * x)
        r = req.sel(stage=s)
        ratio = xr.where(r > 0, np.minimum(1.0, x / r.where(r > 0)), np.nan)
        ratio_min = ratio if ratio_min is None else np.fmin(ratio_min, ratio)
        parts.append(ratio_min.expand_dims(stage=[s]))
    return xr.concat(parts, "stage").transpose("element", "stage", "year")


def exposure_table(chain: SupplyChain, year: int, adversaries: Sequence[str] = DEFAULT_ADVERSARIES,
                   elements: Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy exposure metrics for one year: one row per element × stage.

    Columns: element, stage, world output, adversary share, top country and its share, HHI, US
    output, US requirement, US net import reliance, coverage, independence (allied access) and
    independence (domestic only).
    """
    out = _stage_output(chain).sel(year=year)
    share = calc_shares(out, "country")
    hhi = calc_hhi(share, "country")
    adv = share.where(share.country.isin(list(adversaries)), 0.0).sum("country")
    nir = calc_stage_nir(chain).sel(year=year)
    cov = calc_coverage(chain, adversaries).sel(year=year)
    ind = calc_independence(chain, adversaries, 1.0).sel(year=year)
    ind_dom = calc_independence(chain, adversaries, 0.0).sel(year=year)
    req = calc_us_requirement(chain).sel(year=year)
    rows = []
    for e in elements or chain.elements:
        for s in STAGES:
            sh = share.sel(element=e, stage=s)
            total = float(out.sel(element=e, stage=s).sum())
            top = str(sh.idxmax("country").values) if total > 0 else ""
            rows.append({
                "element": e, "stage": s, "world_output_t": total,
                "adversary_share": float(adv.sel(element=e, stage=s)) if total > 0 else np.nan,
                "top_country": top,
                "top_share": float(sh.max()) if total > 0 else np.nan,
                "hhi": float(hhi.sel(element=e, stage=s)) if total > 0 else np.nan,
                "us_output_t": float(out.sel(element=e, stage=s, country="USA")),
                "us_requirement_t": float(req.sel(element=e, stage=s)),
                "us_nir": float(nir.sel(element=e, stage=s)),
                "coverage": float(cov.sel(element=e, stage=s)),
                "independence": float(ind.sel(element=e, stage=s)),
                "independence_domestic": float(ind_dom.sel(element=e, stage=s)),
            })
    return pd.DataFrame(rows)


def _us_shortfall(chain: SupplyChain) -> tuple[xr.DataArray, xr.DataArray]:
    """US end-use shortfall (total, defense) ``element × year``, defense served first (DX)."""
    d = chain.data
    flow = d["flow"].sel(destination="USA")
    dem = d["us_demand"]
    is_mag_el = d["capacity"].sel(stage="magnet").sum(("country", "year")) > 0
    mag_sector = dem.sector.isin(list(MAGNET_SECTORS))
    short_total = xr.zeros_like(dem.sum("sector"))
    short_def = xr.zeros_like(short_total)
    defense = dem.sel(sector="defense") if "defense" in dem.sector else xr.zeros_like(short_total)
    for link, route_mask in (("magnet>end_use", mag_sector), ("separation>end_use", ~mag_sector)):
        got = flow.sel(link=link).sum("origin")
        if link == "magnet>end_use":
            need = dem.where(route_mask, 0.0).sum("sector").where(is_mag_el, 0.0)
            dneed = defense.where(is_mag_el, 0.0)
        else:
            need = dem.sum("sector") - dem.where(mag_sector, 0.0).sum("sector").where(is_mag_el,
                                                                                      0.0)
            dneed = defense.where(~is_mag_el, 0.0)
        short_total = short_total + np.maximum(need - got, 0.0)
        short_def = short_def + np.maximum(dneed - got, 0.0)
    return short_total, short_def


def calc_chokepoints(ds: Dataset, chain: SupplyChain, year: int,
                     min_output: float = 1e-6) -> pd.DataFrame:
    """Rank nodes (country × stage × element) by the US shortfall their loss for a year causes.

    Each producing node (stage, country) is removed in turn (its capacity and output set to zero
    for the year), the chain is re-routed, and the increase in US end-use shortfall over the
    baseline is recorded per element, total and for defense demand (served first, DPA DX).
    """
    base_opts = chain.options
    opts = ChainOptions(years=(year, year), completion=base_opts.completion,
                        params=base_opts.params,
                        mine_composition_fallback=base_opts.mine_composition_fallback)
    inputs = prepare_chain(ds, opts)
    base = route_chain(inputs)
    b_total, b_def = _us_shortfall(base)
    out = base.data["output"].sel(year=year).drop_sel(country="ROW", errors="ignore")
    rows = []
    nodes = [(s, c) for s in STAGES for c in out.country.values
             if float(out.sel(stage=s, country=c).sum()) > min_output]
    for stage, country in nodes:
        cut = route_chain(inputs, ((stage, str(country)),))
        total, dfn = _us_shortfall(cut)
        inc = (total - b_total).sel(year=year)
        inc_def = (dfn - b_def).sel(year=year)
        lost_all = out.sel(stage=stage, country=country)
        for e in chain.elements:
            lost = float(lost_all.sel(element=e))
            if lost <= min_output:
                continue
            rows.append({"stage": stage, "country": str(country), "element": e,
                         "node_output_t": lost,
                         "us_shortfall_t": float(inc.sel(element=e)),
                         "defense_shortfall_t": float(inc_def.sel(element=e))})
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["us_shortfall_t", "defense_shortfall_t", "node_output_t"],
                             ascending=False, ignore_index=True)
