"""Expected capacity and mine output by element, stage, country and year (t REO-equivalent).

Every quantity in the chain is expressed in tonnes of rare-earth oxide equivalent (t REO-eq) per
element, so that stages can be balanced against each other:

* ``t_REO`` and ``t_oxide`` capacities are split by the facility's composition;
* ``t_metal`` capacities are converted with the element's oxide-to-metal mass factor;
* ``t_magnet`` capacities are multiplied by the magnet's rare-earth mass fraction first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.chain.params import ChainParams
from reeplan.errors import DataError, Problem
from reeplan.io.dataset import Dataset

__all__ = [
    "COMPLETE_MINE_COVERAGE",
    "PROCESS_STAGES",
    "STAGES",
    "calc_availability",
    "complete_mine_years",
    "composition_matrix",
    "define_capacity",
    "define_mine_output",
    "facility_capacity_path",
    "facility_element_factors",
    "mine_coverage",
]

STAGES = ("mining", "separation", "metal", "magnet")
"""Producing stages, upstream to downstream."""

PROCESS_STAGES = ("separation", "metal", "magnet")
"""Stages that take the previous stage's product as input."""

COMPLETE_MINE_COVERAGE = 0.95
"""A year's country rows of ``mine_production`` are complete when they (with 'other countries',
ROW) add up to at least this share of the published world total. USGS world totals are rounded
(the complete years 2022-2025 cover 99-101 %); a year with countries left out because their
figures were not found (2020, 2021) falls below it."""


def mine_coverage(mp: pd.DataFrame) -> pd.Series:
    """Share of the published world total (WLD) covered by the country rows and ROW, by year.

    Years without a positive world total are left out (their coverage cannot be judged).
    """
    world = mp[mp["country"] == "WLD"].groupby("year")["value"].sum()
    world = world[world > 0]
    listed = mp[mp["country"] != "WLD"].groupby("year")["value"].sum()
    return (listed.reindex(world.index).fillna(0.0) / world).rename("coverage")


def complete_mine_years(mp: pd.DataFrame) -> list[int]:
    """Years of ``mine_production`` whose country rows are complete.

    A year is complete unless it has a world total that its country rows and ROW cover by less
    than :data:`COMPLETE_MINE_COVERAGE`; a year without a world total counts as complete.
    """
    cover = mine_coverage(mp)
    partial = {int(y) for y, c in cover.items() if c < COMPLETE_MINE_COVERAGE}
    return sorted({int(y) for y in mp["year"]} - partial)


def composition_matrix(ds: Dataset, elements: list[str]) -> xr.DataArray:
    """Element shares of every composition as a ``composition × element`` array."""
    comp = ds["compositions"]
    piv = comp.pivot_table(index="composition", columns="element", values="share",
                           aggfunc="sum").reindex(columns=elements).fillna(0.0)
    return xr.DataArray(piv.to_numpy(float), dims=("composition", "element"),
                        coords={"composition": piv.index.to_numpy(), "element": elements})


def facility_element_factors(ds: Dataset, params: ChainParams, elements: list[str]
                             ) -> xr.DataArray:
    r"""t REO-eq of each element per unit of each facility's capacity unit.

    .. math:: f_{fe} = \phi_f \cdot m_{c(f),e} / \omega_e^{[metal]}

    with :math:`m` the composition share, :math:`\omega_e` the oxide-to-metal mass factor (applied
    only to metal and magnet units) and :math:`\phi_f` the magnet's RE mass fraction (magnets only).

    Raises
    ------
    DataError
        If a facility has no composition.
    """
    fac = ds["facilities"]
    missing = fac[fac["composition"].isna()]
    if len(missing):
        raise DataError(
            [Problem("facilities.csv", int(ds.origin("facilities", i)[1]), "composition",
                     "the supply-chain model needs the facility's element composition")
             for i in missing.index], "cannot build the supply chain")
    comp = composition_matrix(ds, elements).sel(composition=fac["composition"].to_numpy())
    comp = comp.rename(composition="facility").assign_coords(facility=fac.index.to_numpy())
    o2m = xr.DataArray(ds["elements"]["oxide_to_metal"].reindex(elements).to_numpy(float),
                       dims="element", coords={"element": elements})
    unit = xr.DataArray(fac["capacity_unit"].to_numpy(), dims="facility")
    is_smco = xr.DataArray(
        fac["product"].str.contains("smco", case=False).to_numpy()
        | fac["composition"].str.contains("smco", case=False).to_numpy(), dims="facility")
    phi = xr.where(is_smco, params.re_fraction_smco, params.re_fraction_ndfeb)
    metal_like = (unit == "t_metal") | (unit == "t_magnet")
    factor = comp / xr.where(metal_like, o2m, 1.0)
    return factor * xr.where(unit == "t_magnet", phi, 1.0)


def calc_availability(status: np.ndarray, start: np.ndarray, years: np.ndarray,
                      params: ChainParams, completion: dict[str, float] | None = None,
                      financed: np.ndarray | None = None) -> np.ndarray:
    r"""Expected share of nameplate capacity available, ``facility × year``.

    .. math:: a_{fy} = p_{status} \cdot \min\left(1, \max\left(0,
              \frac{y - y^{start}_f + 1}{T_{ramp}}\right)\right)

    Operating facilities have :math:`p = 1` (no ramp when the start year is unknown); plants under
    construction and planned ones take the completion probabilities (user-changeable; a planned
    plant with a US award in the dataset counts as financed); cancelled and idle ones contribute
    nothing; a planned plant without a start year contributes nothing.

    Examples
    --------
    >>> from reeplan.chain.params import ChainParams
    >>> p = ChainParams(1, 1, 1, .3, .3, 0.8, 0.6, 0.5, 2)
    >>> calc_availability(np.array(["construction"]), np.array([2027.0]),
    ...                   np.array([2026, 2027, 2028]), p).round(2).tolist()
    [[0.0, 0.4, 0.8]]
    """
    prob = {"operating": 1.0, "construction": params.completion_construction,
            "planned": params.completion_planned,
            "planned_financed": params.completion_planned_financed, "cancelled": 0.0,
            "idle": 0.0}
    prob.update(completion or {})
    fin = np.zeros(len(status), bool) if financed is None else np.asarray(financed, bool)
    keys = [f"{s}_financed" if s == "planned" and f else s for s, f in zip(status, fin,
                                                                         strict=True)]
    p = np.array([prob[k] for k in keys], dtype=float)[:, None]
    start = np.asarray(start, dtype=float)[:, None]
    elapsed = years[None, :] - start + 1.0
    ramp = np.clip(elapsed / max(params.ramp_up_years, 1e-9), 0.0, 1.0)
    operating = (np.asarray(status) == "operating")[:, None]
    ramp = np.where(np.isnan(start), np.where(operating, 1.0, 0.0), ramp)
    return p * ramp


def _table(ds: Dataset, name: str) -> pd.DataFrame:
    return ds[name] if name in ds.tables else pd.DataFrame()


def facility_capacity_path(ds: Dataset, params: ChainParams, years: np.ndarray,
                           completion: dict[str, float] | None = None) -> xr.DataArray:
    r"""Expected available capacity of every facility, ``facility × year``, in its capacity unit.

    **Phases.** A facility's nameplate path comes from ``facility_phases`` (or, without phases,
    from its own ``capacity``, ``start_year`` and ``status`` as one phase). Every increment
    :math:`\Delta_k = K_k - K_{k-1}` ramps in from its year with its status's completion
    probability (:func:`calc_availability`):

    .. math:: \bar K_{fy} = \sum_k \Delta_{fk}\, a(status_k, y_k, y)

    **Output where known.** Where ``facility_output`` reports output, those years use it
    (linear between reported years); before the first reported year the expected capacity is
    capped at the first reported output; after the last one output ramps from the last reported
    value to :math:`\bar K` over ``rampup_years_to_nameplate`` (labelled assumption
    ``asm_output_before_first_report``):

    .. math:: Q_{fy} = Q_{f,y_1} + \max(0, \bar K_{fy} - Q_{f,y_1})
              \min\left(1, \frac{y - y_1}{T_{ramp}}\right), \quad y > y_1
    """
    fac = ds["facilities"]
    phases = _table(ds, "facility_phases")
    outputs = _table(ds, "facility_output")
    financed_ids = set(ds["awards"]["facility_id"].dropna())
    path = np.zeros((len(fac), len(years)))
    for n, (fid, f) in enumerate(fac.iterrows()):
        rows = (phases[phases["facility_id"] == fid].sort_values("year")
                if len(phases) else pd.DataFrame())
        if len(rows):
            caps = rows["capacity"].astype(float).to_numpy()
            starts = rows["year"].astype(float).to_numpy()
            status = rows["status"].to_numpy()
        else:
            caps = np.array([float(f["capacity"])])
            start = f["start_year"]
            starts = np.array([float(start) if start is not None and start == start else np.nan])
            status = np.array([f["status"]])
        delta = np.diff(np.concatenate([[0.0], caps]))
        avail = calc_availability(status, starts, years, params, completion,
                                  np.full(len(caps), fid in financed_ids))
        # a reduction (closure, downsizing) applies in full from its year
        cut = (delta < 0)[:, None] & (years[None, :] >= starts[:, None])
        avail = np.where(delta[:, None] < 0, cut.astype(float), avail)
        expected = (delta[:, None] * avail).sum(0)
        rep = (outputs[outputs["facility_id"] == fid].sort_values("year")
               if len(outputs) else pd.DataFrame())
        if len(rep):
            ry = rep["year"].astype(float).to_numpy()
            rv = rep["output"].astype(float).to_numpy()
            first, last = ry[0], ry[-1]
            inside = np.interp(years, ry, rv)
            ramp = np.clip((years - last) / max(params.ramp_up_years, 1e-9), 0.0, 1.0)
            after = rv[-1] + np.maximum(0.0, expected - rv[-1]) * ramp
            before = np.minimum(expected, rv[0])
            expected = np.where(years < first, before, np.where(years > last, after, inside))
        path[n] = expected
    return xr.DataArray(path, dims=("facility", "year"),
                        coords={"facility": fac.index.to_numpy(), "year": years})


def define_capacity(ds: Dataset, params: ChainParams, elements: list[str], countries: list[str],
                    years: np.ndarray, completion: dict[str, float] | None = None
                    ) -> tuple[xr.DataArray, xr.DataArray]:
    """Expected capacity ``element × stage × country × year`` (t REO-eq/yr) and per facility.

    Facilities follow :func:`facility_capacity_path` (phases, reported output, ramps).

    Returns
    -------
    tuple
        ``(capacity, facility_capacity)``; the second has dims ``facility × element × year``.
    """
    fac = ds["facilities"]
    factor = facility_element_factors(ds, params, elements)
    path = facility_capacity_path(ds, params, years, completion)
    # a facility that is part of an aggregate already counted adds no capacity of its own
    counted = xr.DataArray(fac["part_of"].isna().to_numpy().astype(float), dims="facility",
                           coords={"facility": fac.index.to_numpy()})
    per_fac = (path * counted * factor).transpose("facility", "element", "year")
    key = pd.MultiIndex.from_arrays([fac["stage"], fac["country"]])
    grouped = per_fac.assign_coords(
        node=("facility", [f"{s}|{c}" for s, c in key])).groupby("node").sum()
    cap = xr.zeros_like(
        xr.DataArray(np.zeros((len(elements), len(STAGES), len(countries), len(years))),
                     dims=("element", "stage", "country", "year"),
                     coords={"element": elements, "stage": list(STAGES), "country": countries,
                             "year": years}))
    for node in grouped.node.values:
        stage, country = str(node).split("|")
        if stage in STAGES and country in countries:
            cap.loc[{"stage": stage, "country": country}] = grouped.sel(node=node).transpose(
                "element", "year").values
    cap.attrs["unit"] = "t REO-eq/yr"
    return cap, per_fac


def define_mine_output(ds: Dataset, capacity: xr.DataArray, per_fac: xr.DataArray,
                       composition_fallback: str | None = None) -> xr.DataArray:
    r"""Mine output ``element × country × year`` (t REO-eq).

    Reported years follow USGS mine production by country, split by element with the
    capacity-weighted composition of the country's mining facilities (or the fallback
    composition when the country has none). Only complete years count as reported
    (:func:`complete_mine_years`): a year whose table leaves countries out would otherwise give
    those countries no output; earlier years are carried back from the first complete year.
    Later years add to the last reported output the expected output of mining projects not yet
    operating then:

    .. math:: M_{ec,y} = M^{USGS}_{c,y_0} \, \bar m_{ce} + \sum_{f \in new(c)} K_{fe,y}
    """
    elements = list(capacity.element.values)
    countries = list(capacity.country.values)
    years = capacity.year.values
    mp = ds["mine_production"]
    complete = complete_mine_years(mp) or sorted({int(y) for y in mp["year"]})
    mp = mp[mp["country"].isin(countries) & ~mp["country"].isin(["WLD", "ROW"])
            & mp["year"].astype(int).isin(complete)]
    usgs = mp.pivot_table(index="country", columns="year", values="value", aggfunc="first")
    usgs = usgs.reindex(index=countries)
    mining_cap = capacity.sel(stage="mining")
    mix = mining_cap / mining_cap.sum("element").where(mining_cap.sum("element") > 0)
    fallback = _fallback_mix(ds, elements, mining_cap, composition_fallback)
    # countries without mining capacity in a year take the fallback mix (or last known own mix)
    mix = mix.ffill("year").bfill("year").fillna(fallback)
    reported_years = sorted(int(y) for y in usgs.columns if int(y) in set(years.tolist()))
    out = xr.zeros_like(mining_cap)
    if not reported_years:
        return mining_cap
    last = reported_years[-1]
    fac = ds["facilities"]
    mining_fac = fac[fac["stage"] == "mining"]
    new = mining_fac[(mining_fac["status"] != "operating")
                     | (mining_fac["start_year"].astype(float) > last)]
    for y in years:
        y = int(y)
        # a reported year, else the last reported year before it, else the first one
        ref = max((r for r in reported_years if r <= y), default=reported_years[0])
        total = xr.DataArray(usgs[ref].fillna(0.0).to_numpy(float), dims="country",
                             coords={"country": countries})
        out.loc[{"year": y}] = (total * mix.sel(year=y)).transpose("element", "country").values
        if y > last and len(new):
            add = per_fac.sel(facility=new.index.to_numpy(), year=y)
            for fid, country in new["country"].items():
                if country in countries:
                    out.loc[{"year": y, "country": country}] += add.sel(facility=fid).values
    out.attrs["unit"] = "t REO-eq/yr"
    out.attrs["basis"] = (f"USGS mine production {reported_years[0]}–{last}; earlier years carried "
                          f"back from {reported_years[0]}; later years {last} plus new projects")
    return out


def _fallback_mix(ds: Dataset, elements: list[str], mining_cap: xr.DataArray,
                  name: str | None) -> xr.DataArray:
    comps = set(ds["compositions"]["composition"])
    if name and name in comps:
        return composition_matrix(ds, elements).sel(composition=name, drop=True)
    world = mining_cap.sum(("country", "year"))
    if float(world.sum()) <= 0:
        raise DataError([Problem("facilities.csv", None, "stage",
                                 "no mining facility with a composition: cannot split mine "
                                 "production by element")], "cannot build the supply chain")
    return world / world.sum()
