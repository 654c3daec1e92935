r"""The simulator's view of a built chain: quarterly arrays over the active nodes of each stage.

:func:`build_network` turns a :class:`~reeplan.chain.model.SupplyChain` (annual, t REO-eq/yr) into
a :class:`Network` on the quarter axis 2025Q1–2040Q4 (t REO-eq per quarter = annual / 4), keeping
per stage only the countries that produce, hold capacity, or send or receive material. It also
reads what the simulator needs from the dataset, each with its source id: routing shares, base
prices (ex-China ``usgs_fob`` and ``china_domestic``), NDS holdings from ``stockpile_plan``, the
parameters table, and each exporter's export share of its end-use sales from ``trade_links``.

Routing share of link :math:`l` from node :math:`o` to node :math:`d`:
:math:`f^l_{od} = F^l_{od} / Q_o` with :math:`Q_o` the origin's output, so that a shocked origin
passes on :math:`f^l_{od} Q'_o` (asm_sim_routing).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reeplan.chain.model import LINK_NAMES, LINKS, MAGNET_SECTORS, SupplyChain
from reeplan.errors import DataError, Problem, ReeError
from reeplan.io.dataset import Dataset
from reeplan.schema.types import split_list
from reeplan.sim.dists import ParamTable
from reeplan.sim.scenario import HORIZON

__all__ = ["PROCESS", "ROUTES", "Network", "build_network", "quarter_labels"]

PROCESS = (("mining>separation", "separation"), ("separation>metal", "metal"),
           ("metal>magnet", "magnet"))
"""Processing transitions in order: incoming link and the stage it feeds."""

ROUTES = {"magnet": "magnet>end_use", "oxide": "separation>end_use"}
"""End-use routes: magnet sectors take finished magnets, the others oxides."""

_RE_FRACTION_ID = "ndfeb_re_mass_fraction"
_SMCO_SM_ID = "smco_sm_mass_fraction"
_NDPR_ND_ID = "ndpr_nd_share"
_DEFENSE_MAGNET_COMPOSITIONS = ("ndfeb_magnet_high_dy", "ndfeb_magnet")


def quarter_labels(first: int = HORIZON[0], last: int = HORIZON[1]) -> list[str]:
    """``["2025Q1", ..., "2040Q4"]``."""
    return [f"{y}Q{q}" for y in range(first, last + 1) for q in range(1, 5)]


@dataclass(frozen=True)
class Network:
    """Quarterly arrays of the base (unshocked) chain; shapes use T quarters, E elements,
    N nodes of a stage, K sectors."""

    elements: tuple[str, ...]
    countries: tuple[str, ...]
    quarters: tuple[str, ...]
    nodes: dict[str, np.ndarray]
    """Stage (and ``end_use``) -> indices into ``countries`` of its active nodes."""
    output: dict[str, np.ndarray]
    """Stage -> base output ``[T, E, N]`` (t/quarter)."""
    capacity: dict[str, np.ndarray]
    """Stage -> capacity ``[T, E, N]`` (t/quarter)."""
    share: dict[str, np.ndarray]
    """Link -> routing share ``[T, E, O, D]`` of the origin's output."""
    yields: dict[str, float]
    sectors: tuple[str, ...]
    demand: np.ndarray
    """US demand ``[T, E, K]`` (t/quarter)."""
    magnet_route: np.ndarray
    """``[E, K]``: the sector takes the element as finished magnets."""
    price_ex: np.ndarray
    """Base ex-China price ``[E]`` (USD/kg, NaN when the dataset has none)."""
    price_cn: np.ndarray
    """Base Chinese domestic price ``[E]`` (USD/kg, NaN when the dataset has none)."""
    nds_rows: tuple[tuple[int, str, np.ndarray], ...]
    """Stockpile plan rows ``(fiscal_year, id, t REO-eq [E])``."""
    params: ParamTable
    export_share: dict[tuple[str, str], float]
    """``(exporter, stage)`` -> share of its end-use flow to ROW that is exported."""
    uses: np.ndarray
    """``[U, 2]`` (element, sector) index pairs with US demand: the reported uses."""
    sources: dict[str, list[str]] = field(default_factory=dict)
    """What each derived input rests on (source ids), for the run's provenance."""

    @property
    def n_quarters(self) -> int:
        """Number of quarters T."""
        return len(self.quarters)

    def index(self, stage: str, country: str) -> int | None:
        """Position of ``country`` among the nodes of ``stage`` (``None`` if inactive)."""
        c = self.countries.index(country) if country in self.countries else -1
        hits = np.flatnonzero(self.nodes[stage] == c)
        return int(hits[0]) if len(hits) else None


def build_network(ds: Dataset, chain: SupplyChain) -> Network:
    """Compile the chain and the dataset inputs of the simulator.

    Raises
    ------
    ReeError
        If the chain does not cover the simulated years 2025–2040.
    DataError
        If a parameter needed to convert a stockpile row is missing.
    """
    d = chain.data
    years = [int(y) for y in d.year.values]
    need = list(range(HORIZON[0], HORIZON[1] + 1))
    if not set(need) <= set(years):
        msg = (f"the chain covers {years[0]}–{years[-1]}; the simulation needs {need[0]}–"
               f"{need[-1]}: build it with ChainOptions(years=({need[0]}, {need[-1]}))")
        raise ReeError(msg)
    elements = tuple(str(e) for e in d.element.values)
    countries = tuple(str(c) for c in d.country.values)
    quarters = tuple(quarter_labels())
    yq = np.repeat([years.index(y) for y in need], 4)
    out = d["output"].transpose("year", "element", "stage", "country").values[yq] / 4.0
    cap = d["capacity"].transpose("year", "element", "stage", "country").values[yq] / 4.0
    flow = d["flow"].transpose("year", "element", "link", "origin", "destination").values[yq] / 4.0
    stages = [str(s) for s in d.stage.values]
    us = countries.index("USA") if "USA" in countries else None

    nodes: dict[str, np.ndarray] = {}
    for s in stages:
        active = (np.abs(out[:, :, stages.index(s)]).sum((0, 1)) > 0) | \
                 (np.abs(cap[:, :, stages.index(s)]).sum((0, 1)) > 0)
        for li, (a, b) in enumerate(LINKS):
            if a == s:
                active |= np.abs(flow[:, :, li]).sum((0, 1, 3)) > 0
            if b == s:
                active |= np.abs(flow[:, :, li]).sum((0, 1, 2)) > 0
        if us is not None:
            active[us] = True
        nodes[s] = np.flatnonzero(active)
    end = np.zeros(len(countries), bool)
    for li, (_, b) in enumerate(LINKS):
        if b == "end_use":
            end |= np.abs(flow[:, :, li]).sum((0, 1, 2)) > 0
    if us is not None:
        end[us] = True
    nodes["end_use"] = np.flatnonzero(end)

    output = {s: out[:, :, stages.index(s)][..., nodes[s]] for s in stages}
    capacity = {s: cap[:, :, stages.index(s)][..., nodes[s]] for s in stages}
    share: dict[str, np.ndarray] = {}
    for li, name in enumerate(LINK_NAMES):
        a, b = LINKS[li]
        f = flow[:, :, li][:, :, nodes[a]][:, :, :, nodes[b]]
        q = output[a][..., None]
        with np.errstate(invalid="ignore", divide="ignore"):
            share[name] = np.where(q > 0, f / np.where(q > 0, q, 1.0), 0.0)
    p = chain.params
    yields = {"separation": p.yield_separation, "metal": p.yield_metal, "magnet": p.yield_magnet}

    dem = d["us_demand"]
    sectors = tuple(str(k) for k in dem.sector.values)
    demand = dem.transpose("year", "element", "sector").values[yq] / 4.0
    has_magnet = cap[:, :, stages.index("magnet")].sum((0, 2)) > 0
    magnet_route = has_magnet[:, None] & np.isin(sectors, MAGNET_SECTORS)[None, :]

    table = _param_table(ds)
    sources: dict[str, list[str]] = {}
    price_ex, price_cn = _base_prices(ds, elements, sources)
    o2m = ds["elements"]["oxide_to_metal"].reindex(list(elements)).astype(float).to_numpy()
    nds_rows = _nds_rows(ds, elements, o2m, table, sources)
    end_flow = {r: flow[:, :, LINK_NAMES.index(link)] for r, link in ROUTES.items()}
    xshare = _export_shares(ds, chain, out, end_flow, stages, countries, o2m, sources)
    uses = np.argwhere(demand.sum(0) > 0)
    # grouped by element, then route, so that group and element sums are contiguous slices
    uses = uses[np.lexsort((uses[:, 1], ~magnet_route[uses[:, 0], uses[:, 1]], uses[:, 0]))]
    return Network(elements, countries, quarters, nodes, output, capacity, share, yields,
                   sectors, demand, magnet_route, price_ex, price_cn, tuple(nds_rows), table,
                   xshare, uses, sources)


def _param_table(ds: Dataset) -> ParamTable:
    t = ds["parameters"]
    out: ParamTable = {}
    for pid, row in t.iterrows():
        low = None if pd.isna(row.get("low")) else float(row["low"])
        high = None if pd.isna(row.get("high")) else float(row["high"])
        out[str(pid)] = (float(row["value"]), low, high, str(row["source_id"]))
    return out


def _base_prices(ds: Dataset, elements: tuple[str, ...], sources: dict[str, list[str]]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Base-year (2025) prices: single-element products first, else the median of 2025 quotes."""
    prices = ds["prices"]
    base = HORIZON[0]
    ex = np.full(len(elements), np.nan)
    cn = np.full(len(elements), np.nan)
    for market, arr in (("usgs_fob", ex), ("china_domestic", cn)):
        rows = prices[(prices["market"] == market) & prices["element"].map(
            lambda x: isinstance(x, str))]
        for i, e in enumerate(elements):
            els = rows["element"].map(split_list)
            own = rows[els.map(lambda x, e=e: x == [e])]
            mixed = rows[els.map(lambda x, e=e: e in x)]
            for cand in (own, mixed):
                cand = cand[cand["year"].astype(int) <= base]
                if len(cand):
                    last = cand[cand["year"].astype(int) == cand["year"].astype(int).max()]
                    arr[i] = float(last["price"].astype(float).median())
                    sources[f"price_{market}_{e}"] = [str(x) for x in last.index]
                    break
    return ex, cn


def _nds_rows(ds: Dataset, elements: tuple[str, ...], o2m: np.ndarray, table: ParamTable,
              sources: dict[str, list[str]]) -> list[tuple[int, str, np.ndarray]]:
    """Stockpile-plan rows as t REO-eq per element.

    NdFeB block: ``t × RE mass fraction × defense-grade composition / oxide_to_metal``; SmCo:
    ``t × Sm mass fraction / oxide_to_metal``; NdPr oxide: split by ``ndpr_nd_share``; other
    rows (gross weight of one element) are counted as t REO-eq (asm_sim_nds_acquired).
    """
    plan = ds["stockpile_plan"]
    comps = ds["compositions"]
    idx = {e: i for i, e in enumerate(elements)}
    problems: list[Problem] = []
    rows: list[tuple[int, str, np.ndarray]] = []

    def param(pid: str, rid: str) -> float | None:
        if pid not in table:
            problems.append(Problem("parameters.csv", None, "id", f"parameter {pid!r} is needed "
                                    f"to convert stockpile_plan row {rid!r}"))
            return None
        return table[pid][0]

    for rid, row in plan.iterrows():
        rid = str(rid)
        qty = float(row["quantity"])
        material = str(row["material"]).lower()
        cell = row.get("element")
        els = [e for e in split_list(cell if isinstance(cell, str) else None) if e in idx]
        vec = np.zeros(len(elements))
        used = [str(row["source_id"])]
        if "ndfeb" in material or "magnet block" in material:
            phi = param(_RE_FRACTION_ID, rid)
            name = next((c for c in _DEFENSE_MAGNET_COMPOSITIONS
                         if (comps["composition"] == c).any()), None)
            if phi is None or name is None:
                if name is None:
                    problems.append(Problem("compositions.csv", None, "composition",
                                            f"no NdFeB composition for stockpile row {rid!r}"))
                continue
            for _, c in comps[comps["composition"] == name].iterrows():
                if c["element"] in idx:
                    vec[idx[c["element"]]] = qty * phi * float(c["share"]) / o2m[idx[c["element"]]]
            used += [table[_RE_FRACTION_ID][3], f"compositions:{name}"]
        elif "smco" in material:
            frac = param(_SMCO_SM_ID, rid)
            if frac is None or "Sm" not in idx:
                continue
            vec[idx["Sm"]] = qty * frac / o2m[idx["Sm"]]
            used.append(table[_SMCO_SM_ID][3])
        elif set(els) == {"Nd", "Pr"}:
            nd = param(_NDPR_ND_ID, rid)
            if nd is None:
                continue
            vec[idx["Nd"]], vec[idx["Pr"]] = qty * nd, qty * (1 - nd)
            used.append(table[_NDPR_ND_ID][3])
        elif els:
            vec[[idx[e] for e in els]] = qty / len(els)
        rows.append((int(row["fiscal_year"]), rid, vec))
        sources[f"nds_{rid}"] = used
    if problems:
        raise DataError(problems, "cannot convert the stockpile plan")
    return rows


def _export_shares(ds: Dataset, chain: SupplyChain, out: np.ndarray,
                   end_flow: dict[str, np.ndarray], stages: list[str],
                   countries: tuple[str, ...], o2m: np.ndarray,
                   sources: dict[str, list[str]]) -> dict[tuple[str, str], float]:
    r"""Share of an exporter's end-use flow to ROW that leaves the country (asm_sim_row_exports).

    :math:`\xi = (X^{REO} - F_{\to USA}) / F_{\to ROW}` clipped to [0, 1], with :math:`X^{REO}` the
    exporter's world exports of the form in its latest ``trade_links`` year up to 2025 (magnets
    converted with the chain's RE mass fraction and the exporter's oxide-to-metal mix).
    """
    links = ds["trade_links"]
    links = links[(links["importer"] == "WLD") & links["quantity"].notna()]
    result: dict[tuple[str, str], float] = {}
    forms = {"magnet": ("magnet",), "separation": ("oxide",)}
    if "ROW" not in countries:
        return result
    row = countries.index("ROW")
    usa = countries.index("USA") if "USA" in countries else None
    for (stage, route) in (("magnet", "magnet"), ("separation", "oxide")):
        sel = links[links["form"].isin(forms[stage])]
        for exporter, grp in sel.groupby("exporter"):
            if exporter not in countries:
                continue
            grp = grp[grp["year"].astype(int) <= HORIZON[0]]
            if grp.empty:
                continue
            last = grp.loc[grp["year"].astype(int).idxmax()]
            c = countries.index(str(exporter))
            q = float(last["quantity"])
            year_q = 4 * (int(last["year"]) - HORIZON[0])
            t = max(0, min(year_q, out.shape[0] - 1))
            mix = out[t, :, stages.index(stage), c]
            if stage == "magnet":
                w = mix / mix.sum() if mix.sum() > 0 else np.full(len(mix), 1 / len(mix))
                q = q * chain.params.re_fraction_ndfeb / float((w * o2m).sum())
            f = end_flow[route][t]  # [E, O, D]
            to_row = 4 * float(f[:, c, row].sum())
            to_us = 4 * float(f[:, c, usa].sum()) if usa is not None else 0.0
            if to_row <= 0:
                continue
            result[(str(exporter), stage)] = float(np.clip((q - to_us) / to_row, 0.0, 1.0))
            sources[f"export_share_{exporter}_{stage}"] = [str(last.name)]
    return result
