"""Headline indicators from the dataset tables: mine production, stage concentration, US NIR.

These assemble labelled arrays from the dataset and call the pure ``calc_*`` functions of
:mod:`reeplan.indicators.flows`; they return tidy DataFrames for the CLI and the report.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from reeplan.chain.capacity import COMPLETE_MINE_COVERAGE, mine_coverage
from reeplan.errors import ReeError
from reeplan.indicators.flows import calc_hhi, calc_net_import_reliance, calc_shares
from reeplan.io.dataset import Dataset

__all__ = [
    "AGGREGATES",
    "mine_production",
    "mine_production_table",
    "stage_concentration",
    "us_net_import_reliance",
]

AGGREGATES = ("WLD", "ROW")
"""Pseudo-countries: the published world total and 'other countries'."""


def mine_production(ds: Dataset) -> xr.DataArray:
    """Mine production (t REO) as a ``country × year`` array, aggregates included."""
    mp = ds["mine_production"]
    arr = mp.set_index(["country", "year"])["value"].astype(float).to_xarray()
    arr.attrs["unit"] = "t REO"
    return arr


def mine_production_table(ds: Dataset, year: int, denominator: str = "world") -> pd.DataFrame:
    """Mine production by country in ``year`` with each country's share.

    Parameters
    ----------
    ds
        The dataset.
    year
        Production year.
    denominator
        ``"world"`` divides by the published rounded world total (USGS practice);
        ``"sum"`` by the sum of the listed countries and 'other'.
    """
    full = mine_production(ds)
    years = [int(y) for y in full.year.values]
    if year not in years:
        msg = (f"year {year}: the dataset's mine_production table has no figures for it "
               f"(it has {', '.join(map(str, years))}); choose one of those years")
        raise ReeError(msg)
    arr = full.sel(year=year)
    countries = arr.drop_sel(country=[c for c in AGGREGATES if c in arr.country])
    listed = countries.dropna("country")
    total = _denominator(arr, denominator)
    shares = calc_shares(listed, total=total)
    names = ds["countries"]["name"]
    out = pd.DataFrame(
        {
            "country": listed.country.values,
            "name": [names.get(c, c) for c in listed.country.values],
            "production_t": listed.values,
            "share": shares.values,
        }
    ).sort_values("production_t", ascending=False, ignore_index=True)
    return out


def _denominator(arr: xr.DataArray, denominator: str) -> xr.DataArray:
    if denominator == "world":
        if "WLD" not in arr.country or bool(arr.sel(country="WLD").isnull().all()):
            msg = "no published world total (country WLD) for this year"
            raise ValueError(msg)
        return arr.sel(country="WLD")
    if denominator == "sum":
        return arr.drop_sel(country="WLD", errors="ignore").sum("country")
    msg = f"denominator must be 'world' or 'sum', not {denominator!r}"
    raise ValueError(msg)


def mining_hhi(ds: Dataset, denominator: str = "world") -> xr.DataArray:
    """HHI of mine production by year; the 'other countries' row is treated as atomistic."""
    arr = mine_production(ds)
    total = _denominator(arr, denominator)
    countries = arr.drop_sel(country=[c for c in AGGREGATES if c in arr.country])
    return calc_hhi(calc_shares(countries, total=total))


def stage_concentration(ds: Dataset, adversary: str = "CHN") -> pd.DataFrame:
    """China's (the adversary's) share and the HHI per stage and year.

    Mining uses USGS mine production (rounded world total as denominator); the other stages use
    the preferred series of ``stage_shares`` (element group ``all``). Where the listed shares do not
    cover the market, the HHI is a lower bound and ``hhi_bound`` says so: for mining, a year whose
    country rows (with 'other countries') cover less than
    :data:`~reeplan.chain.capacity.COMPLETE_MINE_COVERAGE` of the world total (countries left out
    because their figures were not found).
    """
    rows = []
    arr = mine_production(ds)
    hhi = mining_hhi(ds)
    coverage = mine_coverage(ds["mine_production"])
    for year in arr.year.values:
        if "WLD" not in arr.country or bool(arr.sel(country="WLD", year=year).isnull()):
            continue
        world = float(arr.sel(country="WLD", year=year))
        adv = float(arr.sel(country=adversary, year=year).fillna(0.0))
        covered = float(coverage.get(int(year), 1.0))
        rows.append({"stage": "mining", "year": int(year), "adversary_share": adv / world,
                     "hhi": float(hhi.sel(year=year)),
                     "hhi_bound": "exact" if covered >= COMPLETE_MINE_COVERAGE else "lower bound",
                     "source": "mine_production"})
    ss = ds["stage_shares"]
    ss = ss[(ss["element_group"] == "all") & (ss["stage"] != "mining")]
    for (stage, year, basis), grp in ss.groupby(["stage", "year", "basis"]):
        shares = xr.DataArray(grp["share"].to_numpy(float), dims="country",
                              coords={"country": grp["country"].to_numpy()})
        covered = float(shares.sum())
        rows.append({
            "stage": stage, "year": int(year),
            "adversary_share": float(shares.sel(country=adversary)) if adversary in grp[
                "country"].values else float("nan"),
            "hhi": float(calc_hhi(shares)),
            "hhi_bound": "exact" if covered > 0.999 else "lower bound",
            "source": ";".join(sorted(set(grp["source_id"]))) + f" ({basis})",
        })
    order = {"mining": 0, "separation": 1, "metal": 2, "magnet": 3}
    out = pd.DataFrame(rows)
    return out.sort_values(["stage", "year"], key=lambda s: s.map(order) if s.name == "stage"
                           else s, ignore_index=True)


def us_net_import_reliance(ds: Dataset) -> pd.DataFrame:
    """US net import reliance for rare-earth compounds and metals by year, computed and published.

    Computed as :math:`(C - P)/C` with C the apparent consumption and P the US production of
    compounds and metals (USGS definition; concentrates are outside this balance).
    """
    sal = ds["us_salient"]
    wide = sal.pivot_table(index="year", columns="item", values="value", aggfunc="first")
    qual = sal[sal["item"] == "nir_published"].set_index("year")["qualifier"]
    c = xr.DataArray(wide["apparent_consumption"])
    p = xr.DataArray(wide["prod_compounds_metals"])
    nir = calc_net_import_reliance(c, p)
    out = pd.DataFrame({
        "year": wide.index.astype(int),
        "production_t": wide["prod_compounds_metals"].to_numpy(),
        "apparent_consumption_t": wide["apparent_consumption"].to_numpy(),
        "nir_computed": nir.values,
    })
    pub = wide.get("nir_published")
    out["nir_published"] = [
        _published(pub, qual, y) for y in out["year"]
    ]
    return out.dropna(subset=["nir_computed"]).reset_index(drop=True)


def _published(pub: pd.Series | None, qual: pd.Series, year: int) -> str:
    if pub is None or year not in pub.index or pd.isna(pub.loc[year]):
        return ""
    q = qual.get(year)
    q = "" if q is None or (isinstance(q, float) and pd.isna(q)) else str(q)
    return f"{q}{pub.loc[year]:g}"
