r"""Compile a scenario against a network: shock masks (sample-free) and per-sample draws.

Export controls act on adversary-origin material only (colour A: output of an exporter's nodes
and whatever embeds it downstream). A control covers a link cell (element, origin, destination)
with weight :math:`w \in [0, 1]`: direct exports of the exporter's nodes, or — under the
foreign-product rule — third-country shipments of A material to covered destinations. Cells
covered by the same set of controls form one group :math:`j` with matrix
:math:`G^l_j = f^l \circ w \circ 1_j`; a sample's denial of group :math:`j` in quarter :math:`t` is

.. math:: q_j(s, t) = 1 - \prod_{k \in j} \bigl(1 - c_k(s, t)\bigr),\quad
          c_k = \text{window}_k - a_k \cdot \text{after-delay}_k

(the share of a quarter the control is in force, less the approved share after the licence
delay), so the engine evaluates :math:`A\,f - \sum_j q_j\, A\,G_j` per quarter and element
(:mod:`reeplan.sim.kernel`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from reeplan.chain.model import element_set
from reeplan.errors import Problem, ScenarioError
from reeplan.sim.dists import Param, resolve, sample
from reeplan.sim.network import Network
from reeplan.sim.scenario import MATERIAL_FORMS, Scenario, quarter_index

__all__ = ["Compiled", "ControlPart", "compile_scenario", "draw"]

_INF = 1e9


@dataclass(frozen=True)
class ControlPart:
    """One timed part of an export control (the control itself, or its foreign-product rule)."""

    key: str
    start: float
    end: float | None
    fdpr: bool
    military_denied: bool
    end_elements: np.ndarray
    """``[E]`` elements the part covers at end use (for the military end-use denial)."""
    elements: np.ndarray | None = None
    """``[E]`` elements the part covers (for the market reallocation of allied output)."""


@dataclass(frozen=True)
class Compiled:
    """A scenario ready to run on a network."""

    name: str
    parts: tuple[ControlPart, ...]
    cells: dict[str, tuple[tuple[tuple[int, ...], np.ndarray, np.ndarray], ...]]
    """Link -> ``(part indices, origin rows R, G [T, E, R, D])`` per covered group."""
    blended: dict[str, tuple[tuple[int, np.ndarray], ...]]
    """Link -> ``(part, G)`` for blended-lot foreign-product rules (C material of A-bearing
    origins)."""
    deminimis: np.ndarray
    """``[parts]`` content threshold of each part (0 for direct controls)."""
    x_nodes: dict[str, np.ndarray]
    """Stage -> ``[N]`` node belongs to a controlling exporter."""
    outages: tuple[tuple[str, str, np.ndarray], ...]
    """``(key, stage, mask [E, N])``."""
    delays: tuple[tuple[str, str, np.ndarray], ...]
    """``(key, stage, node mask [N])``."""
    shifts: tuple[tuple[str, np.ndarray], ...]
    """``(key, mask [E, K])``."""
    params: dict[str, Param]
    """Every sampled quantity by key, resolved against the dataset."""
    starts: dict[str, float]
    ends: dict[str, float | None]
    first_shock: float
    """Quarter index where the first shock starts (clipped at 0): the origin of TTS/TTR."""
    dpa_window: tuple[float, float]
    dx_share: float
    nds: np.ndarray
    """``[E]`` NDS holdings at full acquisition (t REO-eq)."""
    nds_release: bool
    defense_substitution: bool
    provenance: dict[str, list[str]]
    ttr_materiality: float = 0.01
    """Unmet demand at or below this share of demand counts as recovered (TTR)."""
    sampler: Any = None
    """Generated scenarios: ``sampler(seed, block, n)`` returns per-sample shock paths that
    :func:`draw` adds to the parameters (:class:`reeplan.sim.threat_draws.ThreatSampler`)."""


def compile_scenario(sc: Scenario, net: Network, file: str = "<scenario>") -> Compiled:
    """Build masks and the parameter list of ``sc`` on ``net``.

    Raises
    ------
    ScenarioError
        If a dataset parameter the scenario refers to is missing.
    """
    E = len(net.elements)
    params: dict[str, Param] = {}
    starts: dict[str, float] = {}
    ends: dict[str, float | None] = {}
    problems: list[Problem] = []

    def put(key: str, p: Param | None, default_id: str | None = None) -> None:
        if p is None:
            if default_id is None or default_id not in net.params:
                problems.append(Problem(file, None, key, f"no value given and dataset parameter "
                                        f"{default_id!r} is missing"))
                return
            p = net.params[default_id][0]
        try:
            params[key] = resolve(p, net.params)
        except KeyError as exc:
            problems.append(Problem(file, None, key, str(exc).strip("'\"")))

    def timing(key: str, shock: object) -> None:
        starts[key] = quarter_index(shock.start)  # type: ignore[attr-defined]
        end = shock.end  # type: ignore[attr-defined]
        ends[key] = quarter_index(end) if end is not None else None
        put(f"{key}.probability", shock.probability)  # type: ignore[attr-defined]
        if shock.duration_years is not None:  # type: ignore[attr-defined]
            put(f"{key}.duration_years", shock.duration_years)  # type: ignore[attr-defined]

    x_countries = sorted({c for ctl in sc.export_controls for c in ctl.exporter})
    x_nodes = {s: np.isin(np.array(net.countries)[net.nodes[s]], x_countries)
               for s in net.nodes}
    parts: list[ControlPart] = []
    masks: dict[str, list[np.ndarray]] = {link: [] for link in net.share}
    blended: dict[str, list[tuple[int, np.ndarray]]] = {link: [] for link in net.share}
    deminimis: list[float] = []
    for i, ctl in enumerate(sc.export_controls):
        key = f"export_controls[{i}]"
        timing(key, ctl)
        put(f"{key}.approval_rate", ctl.approval_rate if ctl.regime == "licence" else 0.0)
        put(f"{key}.licence_delay_days", ctl.licence_delay_days)
        els = np.isin(net.elements, _elements(ctl.elements, net))
        covered_stages = {MATERIAL_FORMS[f] for f in ctl.forms if f in MATERIAL_FORMS}
        exporters = np.isin(net.countries, ctl.exporter)
        dest_ok = np.ones(len(net.countries), bool) if ctl.destinations == "all" else \
            np.isin(net.countries, ctl.destinations)
        fdpr = ctl.foreign_product_rule
        versions = [(False, starts[key])] if ctl.direct else []
        if fdpr is not None:
            versions.append((True, max(starts[key], quarter_index(fdpr.start)
                                       if fdpr.start else starts[key])))
        # military end-use denial reaches the exporter's own end-use exports of the elements
        end_cov = els & bool(covered_stages & {"separation", "magnet"})
        for is_fdpr, start in versions:
            k = len(parts)
            for link, share in net.share.items():
                a, b = link.split(">")
                w = np.zeros(share.shape[1:])  # [E, O, D]
                if a in covered_stages:
                    o_c, d_c = net.nodes[a], net.nodes[b]
                    origin_x = exporters[o_c]
                    rows = ~origin_x if is_fdpr else origin_x
                    cols = dest_ok[d_c] & ~exporters[d_c]
                    w = (els[:, None, None] & rows[None, :, None] & cols[None, None, :]) * 1.0
                    w *= (o_c[:, None] != d_c[None, :])[None]  # domestic flows are free
                    if b == "end_use":
                        w *= _row_weights(net, a, o_c, d_c, exporters, is_fdpr)[None]
                masks[link].append(w)
                if is_fdpr and fdpr is not None and fdpr.lots == "blended":
                    blended[link].append((k, share * w[None]))
            parts.append(ControlPart(f"{key}{'.fdpr' if is_fdpr else ''}", start, ends[key],
                                     is_fdpr, ctl.military_end_use == "denied", end_cov,
                                     els))
            deminimis.append(fdpr.deminimis_value_share if (is_fdpr and fdpr) else 0.0)
    cells = {link: _group(masks[link], net.share[link]) for link in net.share}

    outages = []
    for i, o in enumerate(sc.outages):
        key = f"outages[{i}]"
        timing(key, o)
        put(f"{key}.fraction", o.fraction)
        node_c = np.isin(np.array(net.countries)[net.nodes[o.stage]], o.countries)
        els = np.isin(net.elements, _elements(o.elements, net))
        outages.append((key, o.stage, els[:, None] & node_c[None, :]))
    delays = []
    for i, p in enumerate(sc.project_delays):
        key = f"project_delays[{i}]"
        put(f"{key}.delay_years", p.delay_years)
        put(f"{key}.probability", p.probability)
        for stage in p.stages:
            cs = np.array(net.countries)[net.nodes[stage]]
            m = np.ones(len(cs), bool) if p.countries == "all" else np.isin(cs, p.countries)
            delays.append((key, stage, m & ~np.isin(cs, p.exclude_countries)))
    shifts = []
    for i, dsh in enumerate(sc.demand_shifts):
        key = f"demand_shifts[{i}]"
        timing(key, dsh)
        put(f"{key}.factor", dsh.factor)
        els = np.isin(net.elements, _elements(dsh.elements, net))
        sec = np.ones(len(net.sectors), bool) if dsh.sectors == "all" else \
            np.isin(net.sectors, dsh.sectors)
        shifts.append((key, els[:, None] & sec[None, :]))

    m = sc.market
    put("market.ramp_rate", m.ramp_rate, "non_china_ramp_rate")
    put("market.substitution_rate", m.substitution_rate, "substitution_rate_max")
    put("market.demand_elasticity_short", m.demand_elasticity_short,
        "price_elasticity_demand_short")
    put("market.demand_elasticity_long", m.demand_elasticity_long, "price_elasticity_demand_long")
    put("market.supply_elasticity_short", m.supply_elasticity_short,
        "price_elasticity_supply_nonchina_short")
    put("market.supply_elasticity_long", m.supply_elasticity_long,
        "price_elasticity_supply_nonchina_long")
    put("market.adjustment_years", m.adjustment_years, "build_years_separation")
    put("market.price_cap_multiple", m.price_cap_multiple)
    put("market.china_surplus_absorbed", m.china_surplus_absorbed)
    put("inventory.cover_quarters", sc.inventory.cover_quarters)
    put("stockpile.acquired_fraction", sc.stockpile.acquired_fraction)
    put("stockpile.release_delay_days", sc.stockpile.release_delay_days)
    put("demand_growth_shift", sc.demand_growth_shift)
    if problems:
        raise ScenarioError(problems, f"cannot compile scenario {sc.name}")

    nds = sum((v for fy, _, v in net.nds_rows if fy <= sc.stockpile.through_fiscal_year),
              np.zeros(E))
    first = min([*starts.values(), _INF])
    dpa = sc.dpa
    window = ((quarter_index(dpa.start) if dpa.start else -_INF,
               quarter_index(dpa.end) if dpa.end else _INF) if dpa.in_force else (0.0, 0.0))
    prov = {k: v for k, v in net.sources.items()}
    prov["scenario"] = list(sc.sources)
    return Compiled(sc.name, tuple(parts), cells,
                    {k: tuple(v) for k, v in blended.items() if v}, np.array(deminimis),
                    x_nodes, tuple(outages), tuple(delays), tuple(shifts), params, starts, ends,
                    max(0.0, first) if first < _INF else 0.0, window, dpa.dx_share_of_defense,
                    np.asarray(nds, float), sc.stockpile.release,
                    sc.market.defense_substitution, prov, sc.ttr_materiality)


def _elements(spec: str | list[str], net: Network) -> list[str]:
    if spec == "all":
        return list(net.elements)
    out: list[str] = []
    for s in spec:
        out += element_set(s, list(net.elements)) if s not in net.elements else [s]
    return out


def _row_weights(net: Network, stage: str, o_c: np.ndarray, d_c: np.ndarray,
                 exporters: np.ndarray, fdpr: bool) -> np.ndarray:
    """``[O, D]`` weight of end-use cells: flows to ROW count as exports by the exporter's export
    share (direct controls) or in full (third countries under the foreign-product rule)."""
    w = np.ones((len(o_c), len(d_c)))
    if "ROW" not in net.countries:
        return w
    row = net.countries.index("ROW")
    for j, d in enumerate(d_c):
        if d != row:
            continue
        for i, o in enumerate(o_c):
            if exporters[o] and not fdpr:
                w[i, j] = net.export_share.get((net.countries[o], stage), 1.0)
    return w


def _group(masks: list[np.ndarray], share: np.ndarray
           ) -> tuple[tuple[tuple[int, ...], np.ndarray, np.ndarray], ...]:
    """Group cells by the set of parts covering them; weight = the largest part weight.

    Returns ``(parts, origin rows, G restricted to those rows [T, E, R, D])`` per group.
    """
    if not masks:
        return ()
    stack = np.stack(masks)  # [K, E, O, D]
    covered = stack > 0
    if not covered.any():
        return ()
    code = np.zeros(stack.shape[1:], dtype=np.int64)
    for k in range(len(masks)):
        code |= covered[k].astype(np.int64) << k
    weight = stack.max(0)
    out = []
    for c in np.unique(code[code > 0]):
        members = tuple(k for k in range(len(masks)) if (int(c) >> k) & 1)
        g = share * ((code == c) * weight)[None]
        rows = np.flatnonzero(g.any((0, 1, 3)))
        if len(rows):
            out.append((members, rows, np.ascontiguousarray(g[:, :, rows, :])))
    return tuple(out)


def _stream(seed: int, block: int, key: str) -> np.random.Generator:
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(block, zlib.crc32(key.encode())))
    return np.random.default_rng(ss)


def draw(comp: Compiled, seed: int, block: int, n: int) -> dict[str, np.ndarray]:
    """Sample every parameter of ``comp`` for ``n`` samples of seed block ``block``.

    Each parameter has its own random stream keyed by ``(seed, block, name)``, so results do
    not depend on how blocks are grouped into chunks or on which parameters a scenario has.
    Shock occurrence is a Bernoulli draw against the sampled probability (``<key>.occurs``).
    """
    out = {key: sample(p, _stream(seed, block, key), n) for key, p in comp.params.items()}
    for key in list(out):
        if key.endswith(".probability"):
            base = key.removesuffix(".probability")
            u = _stream(seed, block, f"{base}.occurs").random(n)
            out[f"{base}.occurs"] = (u < out[key]).astype(float)
    if comp.sampler is not None:
        out.update(comp.sampler(seed, block, n))
    return out

