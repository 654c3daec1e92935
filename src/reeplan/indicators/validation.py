"""Validation of the model's own aggregates against published ones (``benchmarks`` table).

:func:`validation_table` puts, for every benchmark row, the model's figure beside the published
value and its tolerance range, with a verdict ``ok`` (inside ``[low, high]``) or ``warn``.
Library only: the CLI (:mod:`reeplan.cli.validate`) and the brief format the table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reeplan.chain.model import SupplyChain, element_set
from reeplan.io.dataset import Dataset

__all__ = ["VALIDATION_COLUMNS", "model_value", "validation_table"]

VALIDATION_COLUMNS = ["id", "metric", "element", "stage", "country", "year", "model", "published",
                      "low", "high", "unit", "source_id", "grade", "verdict", "note"]
"""Columns of :func:`validation_table`, in order."""


def _output(chain: SupplyChain, stage: str, year: int, elements: list[str]) -> pd.Series:
    out = chain.data["output"].sel(stage=stage, year=year, element=elements).sum("element")
    return out.to_series()


def model_value(ds: Dataset, chain: SupplyChain, row: pd.Series) -> float:
    """The model's figure for one benchmark row (NaN when the chain does not cover it).

    ``mine_output`` and ``us_production``: stage output of a country (``WLD`` = all), t REO-eq;
    ``stage_share``: the country's share of world output of the stage; ``us_nir``: US net import
    reliance of the stage's product, :math:`(C - P)/C` with :math:`C` what US plants and users
    received; ``facility_output``: the facility's expected output in the chain scaled by what its
    country's stage actually produced of those elements; ``us_imports``: the flow of finished
    magnets from ``country`` to the USA, t magnet.
    """
    year = int(row["year"])
    if year not in set(int(y) for y in chain.data.year.values):
        return float("nan")
    els = element_set(str(row["element"]), chain.elements)
    metric, stage, country = row["metric"], row["stage"], row["country"]
    if metric in ("mine_output", "us_production"):
        out = _output(chain, stage, year, els)
        return float(out.sum() if country == "WLD" else out.get(country, np.nan))
    if metric == "stage_share":
        out = _output(chain, stage, year, els).drop("ROW", errors="ignore")
        tot = float(out.sum())
        return float(out.get(country, 0.0)) / tot if tot > 0 else float("nan")
    if metric == "us_nir":
        d = chain.data
        prod = float(d["output"].sel(stage=stage, year=year, element=els, country="USA").sum())
        nxt = {"separation": ("separation>metal", "separation>end_use"),
               "metal": ("metal>magnet",), "magnet": ("magnet>end_use",)}[stage]
        cons = float(d["flow"].sel(link=list(nxt), year=year, element=els,
                                   destination="USA").sum())
        return (cons - prod) / cons if cons > 0 else float("nan")
    if metric == "facility_output":
        fid = row["facility_id"]
        fac = ds["facilities"]
        if fid not in fac.index:
            return float("nan")
        from reeplan.chain.capacity import facility_capacity_path, facility_element_factors

        years = chain.data.year.values
        path = facility_capacity_path(ds, chain.params, years).sel(facility=fid, year=year)
        factor = facility_element_factors(ds, chain.params, chain.elements).sel(facility=fid)
        planned = float(path) * float(factor.sel(element=els).sum())  # t REO-eq of the elements
        c = fac.loc[fid, "country"]
        st = fac.loc[fid, "stage"]
        cap = float(chain.data["capacity"].sel(stage=st, country=c, year=year, element=els).sum())
        got = float(chain.data["output"].sel(stage=st, country=c, year=year, element=els).sum())
        served = min(1.0, got / cap) if cap > 0 else 0.0
        return planned * served
    if metric == "us_imports":
        flow = chain.data["flow"].sel(link="magnet>end_use", year=year, element=els,
                                      origin=country, destination="USA")
        o2m = ds["elements"]["oxide_to_metal"].reindex(els).to_numpy(float)
        metal = float((flow.values * o2m).sum())
        return metal / chain.params.re_fraction_ndfeb
    return float("nan")


def validation_table(ds: Dataset, chain: SupplyChain) -> pd.DataFrame:
    """Model aggregates beside the published benchmarks of ``ds``, with tolerance and verdict.

    Parameters
    ----------
    ds
        The dataset the chain was built from (its ``benchmarks`` table is read).
    chain
        The built, unshocked supply chain.

    Returns
    -------
    pandas.DataFrame
        One row per benchmark: id, metric, element, stage, country, year, model, published,
        low, high, unit, source_id, grade, verdict (``ok`` inside ``[low, high]``, ``warn``
        outside or not computable) and note.
    """
    bm = ds["benchmarks"] if "benchmarks" in ds.tables else pd.DataFrame()
    rows = []
    for bid, r in bm.iterrows():
        value = model_value(ds, chain, r)
        ok = bool(np.isfinite(value) and r["low"] <= value <= r["high"])
        rows.append({"id": bid, "metric": r["metric"], "element": r["element"],
                     "stage": r["stage"], "country": r["country"], "year": int(r["year"]),
                     "model": value, "published": float(r["value"]), "low": float(r["low"]),
                     "high": float(r["high"]), "unit": r["unit"], "source_id": r["source_id"],
                     "grade": r["grade"], "verdict": "ok" if ok else "warn",
                     "note": r.get("note")})
    return pd.DataFrame(rows, columns=VALIDATION_COLUMNS)
