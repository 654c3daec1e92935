r"""Physical propagation of a shock through the chain, vectorised over samples.

Arrays have the layout ``[T, E, S, N]`` (quarter, element, sample, node). Each node's output is
split into adversary-origin material A (output of a controlling exporter's nodes and what embeds
it) and other material C. Down each processing link :math:`l` into stage :math:`k`:

.. math::
    I^A_d = \sum_o A_o f^l_{od} - \sum_j q_j \sum_o A_o G^l_{j,od},\qquad
    I^C_d = \sum_o C_o f^l_{od},\qquad
    Q'_d = \min\bigl(\bar K_d,\ \eta_k (I^A_d + I^C_d)\bigr)\,(1 - \text{outage}_d)

with :math:`\bar K` the (possibly delayed) capacity; a node of a controlling exporter outputs only
A, others keep their input's A share. Every quarter, element and sample is independent here;
the compiled loop of :mod:`reeplan.sim.kernel` evaluates the formulas cell by cell, and this
module packs its inputs and unpacks its outputs.

**Market allocation of allied output under a control** (asm_sim_allied_reallocation). Routing
shares are fixed, so without a rule the clean output of non-controlling origins (Lynas oxide,
US oxide) keeps flowing into the controlling exporter's plants, where it becomes adversary
material that the control then holds in the country, while allied plants that lost the
exporter's material stand idle. Ex-China buyers outbid the controlling exporter's plants for it
(the ex-China price rises, China's domestic price falls), so on each processing link the share
:math:`\rho` of clean material bound for the exporter's plants that the control traps
(:math:`\rho` = the largest denial share of the direct controls covering the element) goes
instead to non-controlling plants, **pro rata to their lost purchases**: a plant's claim is its
pre-shock purchases on the link (capped by its capacity) less what still reaches it,

.. math::
    P = \rho \sum_{o \notin X} \sum_{d \in X} C_o f^l_{od},\qquad
    g_d = \text{room}_d \min\Bigl(1, \frac{P}{\sum_{d' \notin X} \text{room}_{d'}}\Bigr),\qquad
    \text{room}_d = \max\bigl(0, \min(\bar F_d, \bar K_d / \eta_k) - I_d\bigr)

(:math:`\bar F_d` the plant's pre-shock input). Buyers never get more than they bought before
the shock: growth beyond that is the market ramp-up of :mod:`reeplan.sim.engine`. At end use,
allied magnets and oxides keep going to the US and the rest of the world in their pre-shock
shares (pro rata to pre-shock purchases). DPA Title I does not enter: DPAS binds suppliers
subject to US jurisdiction only (``dpa.md`` §1.4 item 6), so foreign plants sell by the market.

DPA Title I flow-down: where the US plant of a stage receives less than the rated (DX + DO)
requirement carried back through the yields, US-origin upstream output that is unallocated or
exported on the same link is diverted to it, within its spare capacity. It only reorders US
output: nothing a foreign control denies comes back.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from reeplan.sim.kernel import LINKS, Packed, run_kernel
from reeplan.sim.network import PROCESS, Network
from reeplan.sim.shocks import Compiled

__all__ = ["Physical", "base_flows", "pack", "propagate"]

_STAGES = ("mining", "separation", "metal", "magnet", "end_use")
Outage = tuple[str, np.ndarray, np.ndarray]
"""Stage, ``[T, S]`` share of output lost, ``[E, N]`` nodes hit."""


@dataclass
class Physical:
    """End-use receipts ``[T, E, S]`` by route (``magnet``, ``oxide``) and origin class."""

    dom: dict[str, np.ndarray]
    """US-origin material received by US users (US jurisdiction)."""
    imp: dict[str, np.ndarray]
    """Imports received by US users from origins outside the controlling exporters."""
    imp_x: dict[str, np.ndarray]
    """Imports received by US users from controlling exporters (licensed or uncontrolled)."""
    row: np.ndarray
    """Received by end users outside the US and outside China (ex-China rest of world)."""
    china_home: np.ndarray
    """China's own end use (its end-use flow to ROW that is not exported)."""
    denied_cn: np.ndarray
    """Chinese-origin material denied export (stays in China), all links."""
    world: np.ndarray
    """Everything received at end use, all destinations."""
    diverted: np.ndarray
    """US material diverted by DPA flow-down, all stages (t REO-eq of the stage's input)."""


def propagate(net: Network, comp: Compiled | None, S: int, q: list[np.ndarray] | None = None,
              outages: list[Outage] | None = None, cap_t: dict[str, np.ndarray] | None = None,
              rated: dict[str, np.ndarray] | None = None,
              blended_c: list[np.ndarray | None] | None = None,
              redirect: np.ndarray | None = None) -> Physical:
    """Propagate surviving output from the mines to end use.

    Parameters
    ----------
    net, comp
        Network and compiled scenario (``comp=None``: the unshocked chain).
    S
        Number of samples.
    q
        Per control-part denial ``c_k`` as ``[T, 1, S, 1]`` arrays (see :mod:`reeplan.sim.shocks`).
    outages
        ``(stage, [T, S] share of output lost, [E, N] nodes hit)`` per outage.
    cap_t
        Stage -> ``[S, T, N]`` quarter whose base capacity applies (stages with project
        delays only; the capacity is the smaller of that and the quarter's own).
    rated
        Route -> rated US demand ``[T, E, S]`` when DPA Title I is in force (else ``None``), and
        ``"<route>_total"`` -> all US demand of the route.
    blended_c
        Per part, the denial applied to C material of origins over the de minimis threshold.
    redirect
        ``[T, E, S]`` share :math:`\\rho` of clean material bound for the controlling exporter's
        plants that the market sends to non-controlling plants instead (``None``: none).
    """
    T, E = net.n_quarters, len(net.elements)
    p = pack(net, comp, S, q, outages, cap_t, rated, blended_c, redirect)
    dom, imp, imp_x = (np.zeros((2, T, E, S)) for _ in range(3))
    row, home, denied, world, diverted = (np.zeros((T, E, S)) for _ in range(5))
    run_kernel(*p, T, E, S, dom, imp, imp_x, row, home, denied, world, diverted)
    routes = ("magnet", "oxide")
    return Physical({r: dom[i] for i, r in enumerate(routes)},
                    {r: imp[i] for i, r in enumerate(routes)},
                    {r: imp_x[i] for i, r in enumerate(routes)},
                    np.maximum(row - home, 0.0), home, denied, world, diverted)


def base_flows(net: Network) -> Physical:
    """The unshocked chain's flows (one sample), computed once per network."""
    key = (id(net), -1)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is net:
        return hit[2]
    out = propagate(net, None, 1)
    _CACHE[key] = (weakref.ref(net), None, out)
    return out


def pack(net: Network, comp: Compiled | None, S: int, q: list[np.ndarray] | None = None,
         outages: list[Outage] | None = None, cap_t: dict[str, np.ndarray] | None = None,
         rated: dict[str, np.ndarray] | None = None,
         blended_c: list[np.ndarray | None] | None = None,
         redirect: np.ndarray | None = None) -> Packed:
    """The inputs of :func:`propagate` as the fixed-shape arrays of the compiled kernel."""
    T, E = net.n_quarters, len(net.elements)
    st = _static(net, comp)
    N = st["mine"].shape[2]
    K = len(q or [])
    qa = np.zeros((max(K, 1), T, S))
    for k, c in enumerate(q or []):
        qa[k] = c[:, 0, :, 0]
    bl_c = np.zeros_like(qa)
    for k, c in enumerate(blended_c or []):
        if c is not None:
            bl_c[k] = c[:, 0, :, 0]
    outages = outages or []
    loss = np.zeros((max(1, len(outages)), T, S))
    loss_mask = np.zeros((loss.shape[0], E, N), bool)
    loss_stage = np.full(loss.shape[0], -1, np.int64)
    for j, (stage, lost, mask) in enumerate(outages):
        loss[j], loss_mask[j, :, :mask.shape[1]] = lost, mask
        loss_stage[j] = _STAGES.index(stage)
    has_cap = np.zeros(4, bool)
    cap_idx = np.zeros((4, T, N, S if cap_t else 1), np.int64)
    for stage, ti in (cap_t or {}).items():
        i = _STAGES.index(stage)
        has_cap[i] = True
        cap_idx[i, :, :ti.shape[2], :] = ti.transpose(1, 2, 0)
    rated_a = np.zeros((4, T, E, S) if rated is not None else (4, 1, 1, 1))
    if rated is not None:
        for i, key in enumerate(("magnet", "oxide", "magnet_total", "oxide_total")):
            rated_a[i] = rated[key]
    rho = np.zeros((1, 1, 1)) if redirect is None else np.ascontiguousarray(redirect, float)
    n_bl = st["n_bl"] if blended_c is not None else np.zeros(5, np.int64)
    return Packed(**{**st, "n_bl": n_bl}, q=qa, bl_c=bl_c, loss=loss, loss_mask=loss_mask,
                  loss_stage=loss_stage, has_cap=has_cap, cap_t=cap_idx,
                  has_rated=rated is not None, rated=rated_a, has_rho=redirect is not None,
                  rho=rho)


_CACHE: dict[tuple[int, int], tuple[weakref.ref, Any, Any]] = {}
"""Packed static inputs and base flows by ``(id(net), id(comp))``; weak references confirm
the objects are still the ones the ids belonged to."""


def _static(net: Network, comp: Compiled | None) -> dict[str, object]:
    """The parts of :class:`Packed` that depend only on the network and the scenario, packed
    once and shared by every chunk (``cell_g`` alone is tens of MB)."""
    key = (id(net), id(comp))
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is net and (comp is None or hit[1]() is comp):
        return hit[2]
    T, E = net.n_quarters, len(net.elements)
    nn = np.array([len(net.nodes[s]) for s in _STAGES])
    N = int(nn.max())
    c_of = {c: i for i, c in enumerate(net.countries)}

    def node(stage: str, country: str) -> int:
        hits = np.flatnonzero(net.nodes[stage] == c_of.get(country, -1))
        return int(hits[0]) if len(hits) else -1

    def pad(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        width = [(0, 0)] * x.ndim
        for a in axes:
            width[a] = (0, N - x.shape[a])
        return np.pad(x, width)

    xn = np.zeros((5, N), bool)
    if comp is not None:
        for i, stage in enumerate(_STAGES):
            xn[i, :nn[i]] = comp.x_nodes[stage]
    K = len(comp.parts) if comp is not None else 0
    cells = [comp.cells.get(link, ()) if comp is not None else () for link in LINKS]
    n_cells = np.array([len(c) for c in cells], np.int64)
    cell_g = np.zeros((5, max(1, n_cells.max()), T, E, N, N))
    cell_members = np.zeros((5, cell_g.shape[1], max(K, 1)), bool)
    for li, groups in enumerate(cells):
        for j, (members, rows, G) in enumerate(groups):
            cell_g[li, j, :, :, rows, :G.shape[-1]] = G.transpose(2, 0, 1, 3)
            cell_members[li, j, list(members)] = True
    bl = [comp.blended.get(link, ()) if comp is not None else () for link in LINKS]
    n_bl = np.array([len(b) for b in bl], np.int64)
    bl_g = np.zeros((5, max(1, n_bl.max()), T, E, N, N))
    bl_k = np.zeros((5, bl_g.shape[1]), np.int64)
    for li, entries in enumerate(bl):
        for b, (k, G) in enumerate(entries):
            bl_g[li, b] = pad(G, (2, 3))
            bl_k[li, b] = k
    deminimis = np.zeros(max(K, 1))
    if comp is not None and K:
        deminimis[:len(comp.deminimis)] = comp.deminimis
    has_claim = np.zeros(3, bool)
    base_in = np.zeros((3, T, E, N))
    for li, (link, stage) in enumerate(PROCESS if comp is not None else ()):
        up = link.split(">")[0]
        xo, xd = comp.x_nodes[up], comp.x_nodes[stage]  # type: ignore[union-attr]
        f = net.share[link]
        if xd.any() and (f[:, :, ~xo][..., xd] > 0).any():
            has_claim[li] = True
            base_in[li, :, :, :nn[_STAGES.index(stage)]] = np.einsum(
                "teo,teod->ted", net.output[up], f)
    up_of = [link.split(">")[0] for link in LINKS]
    out_used = np.array([sum(1 << m for m, u in enumerate(up_of) if u == up_of[li])
                         for li in range(5)], np.int64)
    out = {
        "n_nodes": nn.astype(np.int64), "mine": np.ascontiguousarray(pad(net.output["mining"],
                                                                           (2,))),
        "capacity": np.stack([pad(net.capacity[s], (2,)) for s in _STAGES[:4]]),
        "share": np.stack([pad(net.share[link], (2, 3)) for link in LINKS]),
        "yields": np.array([1.0, net.yields["separation"], net.yields["metal"],
                            net.yields["magnet"]]),
        "xn": xn, "us": np.array([node(s, "USA") for s in _STAGES], np.int64),
        "cn": np.array([node(s, "CHN") for s in _STAGES], np.int64),
        "row_end": node("end_use", "ROW"),
        "xi": np.array([net.export_share.get(("CHN", up_of[3 + r]), 1.0) for r in range(2)]),
        "out_used": out_used, "cell_g": cell_g, "cell_members": cell_members,
        "n_cells": n_cells, "bl_g": bl_g, "bl_k": bl_k, "n_bl": n_bl, "deminimis": deminimis,
        "has_claim": has_claim, "base_in": base_in,
    }
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = (weakref.ref(net), weakref.ref(comp) if comp is not None else None, out)
    return out
