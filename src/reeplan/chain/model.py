"""Build the supply chain: capacity, stage-by-stage routing, flows, US demand.

:func:`build_chain` returns a :class:`SupplyChain` whose ``data`` is an :class:`xarray.Dataset`
with dims ``element × stage × country × year`` (and ``origin × destination`` for flows). All
quantities are t REO-equivalent per year.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from reeplan.chain.capacity import STAGES, define_capacity, define_mine_output
from reeplan.chain.params import ChainParams, read_chain_params
from reeplan.chain.routing import Contract, route_stage
from reeplan.errors import DataError, Problem
from reeplan.io.dataset import Dataset
from reeplan.schema.types import split_list

__all__ = [
    "LINKS",
    "LINK_NAMES",
    "MAGNET_SECTORS",
    "ChainInputs",
    "ChainOptions",
    "SupplyChain",
    "build_chain",
    "prepare_chain",
    "route_chain",
]

MAGNET_SECTORS = ("defense", "ev_traction", "wind", "consumer_electronics", "industrial_motors")
"""Sectors whose magnet elements are served by finished magnets; other uses take oxides."""

LINKS = (
    ("mining", "separation"),
    ("separation", "metal"),
    ("metal", "magnet"),
    ("magnet", "end_use"),
    ("separation", "end_use"),
)
"""Stage-to-stage links of the flows; oxides also go straight to non-magnet end uses."""

LINK_NAMES = tuple(f"{a}>{b}" for a, b in LINKS)

GROUPS = {
    "LREE": ("La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd"),
    "HREE": ("Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y"),
    "NdPr": ("Nd", "Pr"),
    "DyTb": ("Dy", "Tb"),
    "SEG": ("Sm", "Eu", "Gd"),
}
"""Element groups used in trade links and reports (USGS convention for LREE/HREE)."""


@dataclass(frozen=True)
class ChainOptions:
    """How to build the chain.

    Attributes
    ----------
    years
        First and last model year (inclusive).
    completion
        Completion probability by facility status, overriding the dataset parameters, e.g.
        ``{"planned": 0.3}``.
    params
        Overrides of chain parameters by field name (see :class:`ChainParams`).
    mine_composition_fallback
        Composition used for countries that have no mining facility in the dataset.
    removed_nodes
        ``(stage, country)`` pairs whose capacity is set to zero (chokepoint analysis).
    """

    years: tuple[int, int] = (2020, 2040)
    completion: dict[str, float] = field(default_factory=dict)
    params: dict[str, float] = field(default_factory=dict)
    mine_composition_fallback: str | None = "monazite"
    removed_nodes: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class SupplyChain:
    """The built chain: an xarray Dataset and the options and parameters it came from."""

    data: xr.Dataset
    params: ChainParams
    options: ChainOptions
    digest: str = ""

    @property
    def elements(self) -> list[str]:
        """Element symbols of the chain."""
        return [str(e) for e in self.data.element.values]

    @property
    def countries(self) -> list[str]:
        """Country codes of the chain (including ROW, the rest-of-world sink)."""
        return [str(c) for c in self.data.country.values]


def element_set(group: str, elements: list[str]) -> list[str]:
    """Elements covered by an element-group label (``all``, ``LREE``, ``NdPr``, ``Dy;Tb``...)."""
    if group == "all":
        return list(elements)
    if group in GROUPS:
        return [e for e in GROUPS[group] if e in elements]
    return [e for e in split_list(group.replace(" ", ";")) if e in elements]


def us_demand(ds: Dataset, elements: list[str], years: np.ndarray) -> xr.DataArray:
    r"""US demand ``element × sector × year``: :math:`D_{es,y} = q_{es}(1 + g_{es})^{y - y_0}`."""
    dem = ds["us_demand"]
    sectors = sorted(set(dem["sector"]))
    out = xr.DataArray(np.zeros((len(elements), len(sectors), len(years))),
                       dims=("element", "sector", "year"),
                       coords={"element": elements, "sector": sectors, "year": years})
    for _, row in dem.iterrows():
        if row["element"] not in elements:
            continue
        growth = (1.0 + float(row["growth_rate"])) ** (years - int(row["year"]))
        out.loc[{"element": row["element"], "sector": row["sector"]}] += float(
            row["quantity"]) * growth
    out.attrs["unit"] = "t REO-eq/yr"
    return out


@dataclass(frozen=True)
class ChainInputs:
    """Everything routing needs, prepared once: capacity, mine output, demand, contracts."""

    ds: Dataset
    options: ChainOptions
    params: ChainParams
    elements: list[str]
    countries: list[str]
    years: np.ndarray
    capacity: xr.DataArray
    mine: xr.DataArray
    demand: xr.DataArray
    ctx: _Context
    row_end_demand: dict[str, np.ndarray] = field(default_factory=dict)
    """Rest-of-world end-use receipts in the unshocked chain, by source stage: in a chain with
    removed nodes the rest of the world keeps competing for supply at these levels, so shortages
    are shared in proportion instead of the US being served first."""


def prepare_chain(ds: Dataset, options: ChainOptions | None = None) -> ChainInputs:
    """Capacity, mine output, US demand and trade/feed contracts of a dataset (no routing)."""
    options = options or ChainOptions()
    params = read_chain_params(ds, options.params)
    elements = [str(e) for e in ds["elements"].sort_values("atomic_number").index]
    countries = [c for c in ds["countries"].index if c != "WLD"]
    if "ROW" not in countries:
        countries.append("ROW")
    years = np.arange(options.years[0], options.years[1] + 1)
    cap, per_fac = define_capacity(ds, params, elements, countries, years, options.completion)
    mine = define_mine_output(ds, cap, per_fac, options.mine_composition_fallback)
    demand = us_demand(ds, elements, years)
    o2m = xr.DataArray(ds["elements"]["oxide_to_metal"].reindex(elements).to_numpy(float),
                       dims="element", coords={"element": elements})
    ctx = _Context(ds, elements, countries, years, params, o2m, per_fac)
    inputs = ChainInputs(ds, options, params, elements, countries, years, cap, mine, demand, ctx)
    base = route_chain(inputs)
    row = countries.index("ROW")
    for link, src in (("magnet>end_use", "magnet"), ("separation>end_use", "separation")):
        received = base.data["flow"].sel(link=link).transpose(
            "element", "year", "origin", "destination").values[..., row].sum(-1)
        inputs.row_end_demand[src] = received
    return inputs


def build_chain(ds: Dataset, options: ChainOptions | None = None) -> SupplyChain:
    """Build the supply chain from a dataset.

    Parameters
    ----------
    ds
        A loaded, checked dataset.
    options
        Years, completion probabilities, parameter overrides, removed nodes.

    Returns
    -------
    SupplyChain
        Capacity, output, flows, losses and unallocated output by element, stage, country and
        year, checked for mass balance.
    """
    inputs = prepare_chain(ds, options)
    return route_chain(inputs, inputs.options.removed_nodes)


def route_chain(inputs: ChainInputs, removed_nodes: tuple[tuple[str, str], ...] = ()
                ) -> SupplyChain:
    """Route prepared inputs stage by stage, with some (stage, country) nodes removed."""
    from reeplan.chain.balance import check_mass_balance

    params, elements, countries = inputs.params, inputs.elements, inputs.countries
    years, demand, ctx, ds = inputs.years, inputs.demand, inputs.ctx, inputs.ds
    cap = inputs.capacity.copy() if removed_nodes else inputs.capacity
    mine = inputs.mine.copy() if removed_nodes else inputs.mine
    for stage, country in removed_nodes:
        cap.loc[{"stage": stage, "country": country}] = 0.0
        if stage == "mining":
            mine.loc[{"country": country}] = 0.0
    options = ChainOptions(inputs.options.years, inputs.options.completion,
                           inputs.options.params, inputs.options.mine_composition_fallback,
                           tuple(removed_nodes))

    def eyc(arr: xr.DataArray) -> np.ndarray:
        return arr.transpose("element", "year", "country").values

    # end use: magnet sectors take finished magnets, the other sectors oxides; which elements
    # go by magnet is a property of the base chain (a removed magnet node does not turn magnet
    # users into oxide users, who are now served before the metal stage)
    us = countries.index("USA") if "USA" in countries else None
    magnet_elements = (eyc(inputs.capacity.sel(stage="magnet")).sum((1, 2)) > 0)
    sector_is_mag = np.isin(demand.sector.values, MAGNET_SECTORS)
    dem = demand.transpose("element", "year", "sector").values
    d_mag = np.where(magnet_elements[:, None], dem[..., sector_is_mag].sum(-1), 0.0)
    d_ox = dem.sum(-1) - d_mag
    row = countries.index("ROW")

    def end_requirement(src: str, d: np.ndarray, like: np.ndarray) -> np.ndarray:
        req = np.zeros_like(like)
        if us is not None:
            req[..., us] = d
        if src in inputs.row_end_demand:
            req[..., row] = inputs.row_end_demand[src]
        return req

    output = {"mining": eyc(mine)}
    flows: dict[str, np.ndarray] = {}
    losses: dict[str, np.ndarray] = {}
    kept: dict[str, np.ndarray] = {}
    for stage in ("separation", "metal", "magnet"):
        prev = STAGES[STAGES.index(stage) - 1]
        y = params.stage_yield(stage)
        req = eyc(cap.sel(stage=stage)) / y
        supply = output[prev]
        if stage == "metal":
            # US oxide end users buy separated oxide alongside the metal makers, not only what
            # metal plants leave: where metal capacity exceeds oxide output (NdPr since the
            # corrected chain data) a leftovers rule would leave them nothing. Their (small)
            # need is routed first, by the same four passes (domestic supply first); with
            # removed nodes the rest of the world's baseline oxide use takes part in the pool
            # so that shortages are shared in proportion, but it is then served from what the
            # metal stage leaves, as in the base chain.
            sep = supply
            ox = route_stage(sep, end_requirement("separation", d_ox, sep),
                             ctx.contracts("end_use", sep, ("oxide",)))
            us_oxide = np.zeros_like(ox.flow)
            if us is not None:
                us_oxide[..., us] = ox.flow[..., us]
            supply = sep - us_oxide.sum(-1)
        res = route_stage(supply, req, ctx.contracts(stage, output[prev]))
        flows[stage] = res.flow
        kept[prev] = res.unallocated
        inflow = res.flow.sum(-2)
        output[stage] = inflow * y
        losses[stage] = inflow * (1 - y)
    # oxide: the US users' share was routed before the metal stage; what the metal stage left
    # goes to consumers in the rest of the world
    us_oxide[..., :, row] += kept["separation"]
    flows["separation>end_use"] = us_oxide
    kept["separation"] = np.zeros_like(kept["separation"])
    supply = output["magnet"]
    res = route_stage(supply, end_requirement("magnet", d_mag, supply),
                      ctx.contracts("end_use", supply, ("magnet", "embedded_magnet")))
    res.flow[..., :, row] += res.unallocated  # everything else goes to the rest of world
    flows["magnet>end_use"] = res.flow
    kept["magnet"] = np.zeros_like(res.unallocated)
    flows = {
        "mining>separation": flows["separation"], "separation>metal": flows["metal"],
        "metal>magnet": flows["magnet"], "magnet>end_use": flows["magnet>end_use"],
        "separation>end_use": flows["separation>end_use"],
    }
    data = _assemble(cap, output, flows, losses, kept, demand, elements, countries, years)
    data.attrs.update({"unit": "t REO-eq/yr", "mine_basis": mine.attrs.get("basis", ""),
                       "dataset_digest": ds.digest})
    chain = SupplyChain(data, params, options, ds.digest)
    check_mass_balance(chain.data)
    return chain


def _assemble(cap: xr.DataArray, output: dict[str, np.ndarray], flows: dict[str, np.ndarray],
              losses: dict[str, np.ndarray], kept: dict[str, np.ndarray], demand: xr.DataArray,
              elements: list[str], countries: list[str], years: np.ndarray) -> xr.Dataset:
    coords = {"element": elements, "year": years, "country": countries}

    def stack(parts: dict[str, np.ndarray], stages: tuple[str, ...]) -> xr.DataArray:
        arr = np.stack([parts.get(s, np.zeros((len(elements), len(years), len(countries))))
                        for s in stages], axis=1)
        return xr.DataArray(arr, dims=("element", "stage", "year", "country"),
                            coords={**coords, "stage": list(stages)})

    flow = np.stack([flows[name] for name in LINK_NAMES], axis=1)
    return xr.Dataset({
        "capacity": cap,
        "output": stack(output, STAGES),
        "loss": stack(losses, STAGES),
        "unallocated": stack(kept, STAGES),
        "flow": xr.DataArray(flow, dims=("element", "link", "year", "origin", "destination"),
                             coords={"element": elements, "link": list(LINK_NAMES),
                                     "stage_from": ("link", [a for a, _ in LINKS]),
                                     "stage_to": ("link", [b for _, b in LINKS]),
                                     "year": years, "origin": countries,
                                     "destination": countries}),
        "us_demand": demand,
    })


class _Context:
    """Trade-link and feed contracts for each stage transition."""

    FORMS = {"separation": ("concentrate",), "metal": ("oxide",), "magnet": ("metal_alloy",)}

    def __init__(self, ds: Dataset, elements: list[str], countries: list[str], years: np.ndarray,
                 params: ChainParams, o2m: xr.DataArray, per_fac: xr.DataArray) -> None:
        self.ds, self.elements, self.countries, self.years = ds, elements, countries, years
        self.params, self.o2m, self.per_fac = params, o2m.values, per_fac
        self._feed_cache: dict[str, list[Contract]] = {}
        self._link_cache: dict[tuple[str, ...], list[tuple]] = {}

    def contracts(self, stage: str, supply: np.ndarray,
                  forms: tuple[str, ...] | None = None) -> list[Contract]:
        forms = forms or self.FORMS[stage]
        out = self._links(forms, supply)
        if stage in self.FORMS:
            if stage not in self._feed_cache:  # feed shares from the first (baseline) supply
                self._feed_cache[stage] = self._feeds(stage, supply)
            out += self._feed_cache[stage]
        return out

    def _links(self, forms: tuple[str, ...], supply: np.ndarray) -> list[Contract]:
        out: list[Contract] = []
        for i, j, covered, active, share, qty, form, lid in self._parsed_links(forms):
            if share is not None:
                amount = np.where(covered[:, None] & active[None, :], share, 0.0)
                out.append(Contract(i, j, amount, "share", lid))
            else:
                amount = self._split(qty, form, supply[..., i], covered) * active[None, :]
                out.append(Contract(i, j, amount, "quantity", lid))
        return out

    def _parsed_links(self, forms: tuple[str, ...]) -> list[tuple]:
        """Trade links of ``forms`` between two modelled countries, parsed once: origin,
        destination, elements covered, years active, share or quantity, form, id."""
        key = ("links", *forms)
        if key in self._link_cache:
            return self._link_cache[key]
        links = self.ds["trade_links"]
        links = links[links["form"].isin(forms)]
        idx = {c: i for i, c in enumerate(self.countries)}
        parsed = []
        for lid, link in links.iterrows():
            i, j = idx.get(link["exporter"]), idx.get(link["importer"])
            if i is None or j is None or i == j:
                continue
            covered = np.isin(self.elements, element_set(link["element_group"], self.elements))
            last = int(link["year"])
            first = int(link["year_start"]) if link["year_start"] == link["year_start"] and \
                link["year_start"] is not None else last
            has_share = link["share"] is not None and link["share"] == link["share"]
            if has_share:
                active = self.years >= first  # import structures persist until replaced
                parsed.append((i, j, covered, active, float(link["share"]), None, link["form"],
                               str(lid)))
            else:
                active = (self.years >= first) & (self.years <= last)
                parsed.append((i, j, covered, active, None, float(link["quantity"]),
                               link["form"], str(lid)))
        self._link_cache[key] = parsed
        return parsed

    def _split(self, qty: float, form: str, origin_supply: np.ndarray, covered: np.ndarray
               ) -> np.ndarray:
        """Spread a total quantity over elements by the exporter's output mix (t REO-eq)."""
        mix = np.where(covered[:, None], origin_supply, 0.0)
        tot = mix.sum(0, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(tot > 0, mix / tot, 0.0)
        if form in ("concentrate", "oxide"):
            return qty * share
        # metal and magnet tonnes: convert REO-eq shares to metal-mass shares, then back to REO-eq
        metal = share * self.o2m[:, None]
        msum = metal.sum(0, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(msum > 0, metal / msum, 0.0)
        phi = self.params.re_fraction_ndfeb if form in ("magnet", "embedded_magnet") else 1.0
        return qty * phi * w / self.o2m[:, None]

    def _feeds(self, stage: str, supply: np.ndarray) -> list[Contract]:
        """Feed contracts: a plant draws its need from the origins its feed list names, in
        proportion to their output of the upstream form (domestic origins are served by the
        domestic-first pass; equal shares where no origin has output yet)."""
        fac = self.ds["facilities"]
        idx = {c: i for i, c in enumerate(self.countries)}
        out: list[Contract] = []
        y = self.params.stage_yield(stage)
        links = self.ds["trade_links"]
        links = links[links["form"].isin(self.FORMS[stage]) & links["quantity"].notna()]
        linked = set(zip(links["exporter"], links["importer"], strict=True))
        problems = []
        for fid, f in fac[(fac["stage"] == stage) & fac["feed"].notna()].iterrows():
            sources = split_list(f["feed"])
            origins = []
            for src in sources:
                country = fac.loc[src, "country"] if src in fac.index else src
                if country not in idx:
                    problems.append(Problem("facilities.csv", None, "feed",
                                            f"{fid}: feed {src!r} is not a facility or country"))
                    continue
                origins.append(idx[country])
            j = idx.get(f["country"])
            if j is None:
                continue
            need = self.per_fac.sel(facility=fid).transpose("element", "year").values / y
            origins = sorted(set(origins))
            out_y = supply[..., origins].sum(0)  # year × origin
            tot = out_y.sum(1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(tot > 0, out_y / tot, 1.0 / len(origins))
            for n, i in enumerate(origins):
                # where the dataset has quantity trade links for this pair and form, the links
                # give the cross-border volumes (and no flow in years they do not cover): a
                # share of a national aggregate's need would override what was traded
                if i != j and (self.countries[i], self.countries[j]) not in linked:
                    out.append(Contract(i, j, need * share[None, :, n], "quantity",
                                        f"feed:{fid}"))
        if problems:
            raise DataError(problems, "cannot build the supply chain")
        return out
