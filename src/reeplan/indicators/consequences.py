"""From tonnes short to consequences: downstream output at risk and defense platforms delayed.

A tonne of element ``e`` short in sector ``s`` stops ``1000 / intensity[e, s]`` units of the
sector's output (``intensity`` in kg REO per unit, ``sector_intensities.csv``), each worth
``unit_value[e, s]`` USD. Part of the shortfall is switched or thrifted: the share
``substitution[s, horizon]`` (``substitution.csv``) grows with how long the shortfall has
lasted — linear in quarters between 1 quarter, 4 quarters (a year) and 12 quarters (three
years), flat after. So, per sample, quarter and use ``u = (e, s)``::

    value_at_risk[u, q] = shortfall[u, q] · 1000 / intensity[e, s] · unit_value[e, s]
                          · (1 − share_s(duration[u, q]))

``duration[u, q]`` counts the consecutive quarters up to ``q`` with a shortfall in ``u``.

Defense platforms: the platform tables give the RE mass per platform but not its split by
element, and a platform needs all of its magnets, so the share of platform deliveries delayed
in a quarter is the largest unmet share of defense demand over the elements (after the
stockpile and the Title I priority, which the simulator applies). Deliveries delayed of
platform ``p`` over the horizon = Σ_q units_per_year[p] / 4 · max_e(short_def[e, q] /
demand_def[e, q]).

All ``calc_*`` functions are pure: arrays in, arrays out. :func:`consequence_inputs` reads the
tables of a dataset; :func:`draw_inputs` samples their ranges per Monte Carlo sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.io.dataset import Dataset

__all__ = [
    "HORIZON_QUARTERS",
    "ConsequenceInputs",
    "calc_duration",
    "calc_output_at_risk",
    "calc_platforms_delayed",
    "calc_sector_output_at_risk",
    "calc_substitution_share",
    "calc_value_per_tonne",
    "consequence_inputs",
    "consequence_summary",
    "draw_inputs",
    "value_at_risk_per_sample",
]

HORIZON_QUARTERS = {"quarter": 1.0, "year": 4.0, "three_years": 12.0}
"""Duration (quarters) at which each substitution horizon's share applies."""

DEFENSE = "defense"


@dataclass(frozen=True)
class ConsequenceInputs:
    """The consequence tables as arrays, each with a ``bound`` dimension (value, low, high).

    Attributes
    ----------
    intensity
        kg REO of the element per unit of output ``(element, sector, bound)``.
    unit_value
        USD per unit of output ``(element, sector, bound)``.
    substitution
        Share switchable ``(sector, horizon, bound)``.
    platforms
        ``platform`` (index: id) with ``units_per_year`` and ``re_mass_kg``.
    """

    intensity: xr.DataArray
    unit_value: xr.DataArray
    substitution: xr.DataArray
    platforms: pd.DataFrame

    def at(self, bound: str = "value") -> ConsequenceInputs:
        """The inputs at one bound (``value``, ``low`` or ``high``), ``bound`` dimension dropped."""
        return ConsequenceInputs(self.intensity.sel(bound=bound, drop=True),
                                 self.unit_value.sel(bound=bound, drop=True),
                                 self.substitution.sel(bound=bound, drop=True), self.platforms)


def _bounded(frame: pd.DataFrame, dims: list[str], value: str, low: str, high: str
             ) -> xr.DataArray:
    parts = []
    for col, name in ((value, "value"), (low, "low"), (high, "high")):
        s = frame.set_index(dims)[col].astype(float)
        s = s.fillna(frame.set_index(dims)[value].astype(float))
        parts.append(xr.DataArray.from_series(s).expand_dims(bound=[name]))
    return xr.concat(parts, dim="bound").transpose(*dims, "bound")


def consequence_inputs(ds: Dataset) -> ConsequenceInputs:
    """The consequence tables of ``ds`` as arrays (see :class:`ConsequenceInputs`)."""
    si = ds["sector_intensities"]
    sub = ds["substitution"]
    intensity = _bounded(si, ["element", "sector"], "intensity", "intensity_low",
                         "intensity_high")
    value = _bounded(si, ["element", "sector"], "unit_value_usd", "value_low", "value_high")
    substitution = _bounded(sub, ["sector", "horizon"], "share", "low", "high")
    platforms = ds["defense_platforms"]
    platforms = platforms[platforms["units_per_year"].notna()][
        ["platform", "re_mass_kg", "units_per_year"]]
    return ConsequenceInputs(intensity, value, substitution, platforms)


def draw_inputs(inputs: ConsequenceInputs, samples: int, seed: int) -> ConsequenceInputs:
    """Per-sample inputs: triangular draws between low and high with the value as mode.

    One draw per sample and table cell (independent cells); substitution shares are drawn with
    one uniform per sample and sector, so a sector's shares stay ordered by horizon.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14]))

    def tri(arr: xr.DataArray, u: np.ndarray) -> xr.DataArray:
        lo, mode, hi = (arr.sel(bound=b, drop=True) for b in ("low", "value", "high"))
        width = (hi - lo).where(hi > lo, 1.0)
        c = ((mode - lo) / width).clip(0, 1)
        uu = xr.DataArray(u, dims=["sample", *lo.dims])
        left = lo + np.sqrt(uu * c) * width
        right = hi - np.sqrt((1 - uu) * (1 - c)) * width
        out = xr.where(uu < c, left, right)
        return xr.where(hi > lo, out, mode).transpose("sample", *lo.dims)

    shape_i = (samples, *inputs.intensity.sel(bound="value").shape)
    sub = inputs.substitution
    u_sector = rng.random((samples, sub.sizes["sector"], 1))
    u_sub = np.broadcast_to(u_sector, (samples, sub.sizes["sector"], sub.sizes["horizon"]))
    return ConsequenceInputs(
        tri(inputs.intensity, rng.random(shape_i)),
        tri(inputs.unit_value, rng.random(shape_i)),
        tri(sub, np.array(u_sub)),
        inputs.platforms,
    )


def calc_value_per_tonne(intensity: xr.DataArray, unit_value: xr.DataArray) -> xr.DataArray:
    """USD of output stopped per tonne REO short: ``1000 / intensity · unit_value``."""
    return 1000.0 / intensity * unit_value


def calc_duration(short: xr.DataArray, dim: str = "quarter", tol: float = 1e-9) -> xr.DataArray:
    """Consecutive ``dim`` steps up to each one with ``short > tol`` (0 where none)."""
    axis = short.get_axis_num(dim)
    on = np.moveaxis(short.values > tol, axis, -1)
    out = np.zeros(on.shape, dtype=float)
    run = np.zeros(on.shape[:-1])
    for t in range(on.shape[-1]):
        run = np.where(on[..., t], run + 1.0, 0.0)
        out[..., t] = run
    return short.copy(data=np.moveaxis(out, -1, axis))


def calc_substitution_share(duration: xr.DataArray, shares: xr.DataArray) -> xr.DataArray:
    """Share switched or thrifted after ``duration`` quarters of shortfall.

    ``shares`` has a ``horizon`` dimension (``quarter``, ``year``, ``three_years``); the share
    is 0 without a shortfall, linear in quarters between 1, 4 and 12 quarters, flat after 12.
    """
    q, y, t = (shares.sel(horizon=h, drop=True) for h in HORIZON_QUARTERS)
    d = duration
    between_qy = q + (y - q) * (d - 1.0) / 3.0
    between_yt = y + (t - y) * (d - 4.0) / 8.0
    out = xr.where(d <= 0, 0.0, xr.where(d <= 4, between_qy, xr.where(d <= 12, between_yt, t)))
    return out.clip(0.0, 1.0)


def _per_use(arr: xr.DataArray, use_element: xr.DataArray, use_sector: xr.DataArray
             ) -> xr.DataArray:
    """``arr`` (element, sector, ...) looked up for each use."""
    out = arr.sel(element=use_element, sector=use_sector)
    return out.drop_vars([c for c in ("element", "sector") if c in out.coords])


def calc_output_at_risk(shortfall: xr.DataArray, inputs: ConsequenceInputs,
                        net: bool = True) -> xr.DataArray:
    """Downstream output at risk, USD per quarter, same dimensions as ``shortfall``.

    ``shortfall`` has a ``use`` dimension with ``use_element`` and ``use_sector`` coordinates
    and a ``quarter`` dimension (t REO per quarter). ``inputs`` at one bound (or drawn per
    ``sample``). ``net=False`` gives the gross value before substitution.
    """
    el, sec = shortfall["use_element"], shortfall["use_sector"]
    known = [(str(e), str(s)) for e, s in zip(el.values, sec.values, strict=True)]
    have = {(str(e), str(s)) for e in inputs.intensity["element"].values
            for s in inputs.intensity["sector"].values}
    ok = np.array([k in have for k in known], dtype=bool)
    mask = xr.DataArray(ok, dims=["use"])
    e0, s0 = str(inputs.intensity["element"].values[0]), str(inputs.intensity["sector"].values[0])
    pick_e = xr.DataArray(np.array([k[0] if o else e0 for k, o in zip(known, ok, strict=True)],
                                   dtype=object), dims=["use"])
    pick_s = xr.DataArray(np.array([k[1] if o else s0 for k, o in zip(known, ok, strict=True)],
                                   dtype=object), dims=["use"])
    vpt = _per_use(calc_value_per_tonne(inputs.intensity, inputs.unit_value), pick_e, pick_s)
    vpt = vpt.fillna(0.0).where(mask, 0.0)
    gross = shortfall * vpt
    if not net:
        return gross
    shares = inputs.substitution.sel(sector=pick_s).drop_vars("sector", errors="ignore")
    share = calc_substitution_share(calc_duration(shortfall), shares)
    return gross * (1.0 - share)


def calc_sector_output_at_risk(shortfall: xr.DataArray, inputs: ConsequenceInputs
                               ) -> xr.DataArray:
    """Output at risk by sector, USD per quarter ``(…, quarter, sector)``.

    A unit of output needs all of its elements, so the units a sector loses in a quarter are
    the largest over its elements (not their sum); they are valued at the sector's mean unit
    value.
    """
    per_use = calc_output_at_risk(shortfall, inputs)
    value = _per_use(inputs.unit_value, shortfall["use_element"], shortfall["use_sector"])
    units = (per_use / value.where(value > 0)).fillna(0.0)
    units = units.assign_coords(use_sector=shortfall["use_sector"])
    lost = units.groupby("use_sector").max("use")
    mean_value = value.assign_coords(use_sector=shortfall["use_sector"]).groupby(
        "use_sector").mean("use")
    return (lost * mean_value).rename(use_sector="sector")


def calc_platforms_delayed(shortfall: xr.DataArray, demand: xr.DataArray,
                           platforms: pd.DataFrame) -> xr.DataArray:
    """Deliveries of each defense platform delayed over the horizon ``(…, platform)``, units.

    The delayed share of a quarter's deliveries is the largest unmet share of defense demand
    over the elements; zero when the stockpile and Title I priority cover defense demand.
    """
    defense = shortfall["use_sector"] == DEFENSE
    if not bool(defense.any()) or platforms.empty:
        dims = [d for d in shortfall.dims if d not in ("quarter", "use")]
        zero = xr.zeros_like(shortfall.isel(quarter=0, use=0, drop=True))
        return zero.expand_dims(platform=list(platforms.index)).transpose(*dims, "platform")
    s = shortfall.isel(use=defense.values)
    d = demand.isel(use=defense.values)
    unmet = (s / d.where(d > 0)).fillna(0.0).clip(0.0, 1.0).max("use")
    per_quarter = xr.DataArray(platforms["units_per_year"].astype(float).to_numpy() / 4.0,
                               dims=["platform"], coords={"platform": list(platforms.index)})
    return (unmet * per_quarter).sum("quarter")


def value_at_risk_per_sample(data: xr.Dataset, inputs: ConsequenceInputs,
                             shortfall: str = "shortfall") -> xr.DataArray:
    """Net downstream output at risk per sample, USD summed over quarters and uses.

    The hook for a value objective in the optimiser: per-sample shortfall in, per-sample value
    at risk out (``inputs`` at one bound, or drawn per sample with :func:`draw_inputs`).
    """
    return calc_output_at_risk(data[shortfall], inputs).sum(["quarter", "use"])


def consequence_summary(data: xr.Dataset, inputs: ConsequenceInputs, seed: int = 0,
                        draw: bool = True) -> dict[str, xr.DataArray]:
    """Per-sample consequences of one simulation: by element, by sector, platforms delayed.

    With ``draw`` the inputs are drawn per sample from their ranges (:func:`draw_inputs`);
    inputs without a ``bound`` dimension are used as given.
    Values are USD over the simulated horizon.
    """
    n = data.sizes["sample"]
    bounded = "bound" in inputs.intensity.dims
    if draw and bounded:
        inp = draw_inputs(inputs, n, seed)
    else:
        inp = inputs.at("value") if bounded else inputs
    var = calc_output_at_risk(data["shortfall"], inp).sum("quarter")
    by_el = var.groupby(data["use_element"].rename("element")).sum("use")
    by_sec = var.groupby(data["use_sector"].rename("sector")).sum("use")
    sector_leontief = calc_sector_output_at_risk(data["shortfall"], inp).sum("quarter")
    platforms = calc_platforms_delayed(data["shortfall"], data["demand"], inputs.platforms)
    platforms_no_nds = calc_platforms_delayed(data["shortfall_no_nds"], data["demand"],
                                              inputs.platforms)
    return {"by_element": by_el, "by_sector": by_sec, "by_sector_leontief": sector_leontief,
            "platforms_delayed": platforms, "platforms_delayed_no_nds": platforms_no_nds,
            "total": var.sum("use")}
