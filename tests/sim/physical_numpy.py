"""The whole-array numpy propagation the compiled kernel replaced, kept as a test oracle.

Same formulas as :mod:`reeplan.sim.physical` (see its docstring), written over
``[T, E, S, N]`` arrays with batched matrix products; ``test_kernel_matches_numpy`` checks
the kernel against it on every bundled scenario.
"""

from __future__ import annotations

import numpy as np

from reeplan.sim.network import PROCESS, ROUTES, Network
from reeplan.sim.physical import Physical
from reeplan.sim.shocks import Compiled

__all__ = ["propagate_numpy"]


def propagate_numpy(net: Network, comp: Compiled | None, S: int, q=None, outages=None,
                    cap_t=None, rated=None, blended_c=None, redirect=None) -> Physical:
    """:func:`reeplan.sim.physical.propagate` on dense ``keep``/``cap`` arrays."""
    T = net.n_quarters
    keep: dict[str, np.ndarray] = {}
    for stage, lost, mask in outages or []:
        loss = lost[:, None, :, None] * mask[None, :, None, :]
        keep[stage] = keep.get(stage, 1.0) * (1.0 - loss)
    cap = {}
    for stage, ti in (cap_t or {}).items():
        base = net.capacity[stage].transpose(0, 2, 1)  # [T, N, E]
        n = np.arange(base.shape[1])[None, None, :]
        cap[stage] = np.minimum(base[ti, n].transpose(1, 3, 0, 2),
                                net.capacity[stage][:, :, None, :])
    del T
    return _propagate(net, comp, S, q, keep, cap, rated, blended_c, redirect)


def _propagate(net: Network, comp: Compiled | None, S: int, q: list[np.ndarray] | None = None,
              keep: dict[str, np.ndarray] | None = None, cap: dict[str, np.ndarray] | None = None,
              rated: dict[str, np.ndarray] | None = None,
              blended_c: list[np.ndarray] | None = None,
              redirect: np.ndarray | None = None) -> Physical:
    """Numpy form of :func:`reeplan.sim.physical.propagate` on dense ``keep``/``cap``."""
    T, E = net.n_quarters, len(net.elements)
    keep = keep or {}
    cap = cap or {}
    q = q or []
    us_c = net.countries.index("USA") if "USA" in net.countries else -1
    cn_c = net.countries.index("CHN") if "CHN" in net.countries else -1
    xn = comp.x_nodes if comp is not None else {s: np.zeros(len(v), bool)
                                                 for s, v in net.nodes.items()}
    denied_cn = np.zeros((T, E, S))
    diverted = np.zeros((T, E, S))

    mine = np.broadcast_to(net.output["mining"][:, :, None, :],
                           (T, E, S, len(net.nodes["mining"]))).copy()
    if "mining" in cap:
        lost = np.maximum(net.capacity["mining"][:, :, None, :] - cap["mining"], 0.0)
        mine = np.maximum(mine - lost, 0.0)
    if "mining" in keep:
        mine *= keep["mining"]
    xa = xn["mining"].astype(float)
    A = mine * xa
    C = np.subtract(mine, A, out=mine)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {"mining": (A, C)}

    def through(link: str, A: np.ndarray, C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        f = net.share[link]
        inA, inC = A @ f, C @ f
        if comp is not None:
            origins = net.nodes[link.split(">")[0]]
            for members, rows, G in comp.cells.get(link, ()):
                qj = _union([q[k] for k in members])
                Ar = A[..., rows]
                inA -= qj * (Ar @ G)
                cn = origins[rows] == cn_c
                if cn.any():
                    denied_cn[...] += qj[..., 0] * (Ar[..., cn] * G[..., cn, :].sum(-1)[
                        :, :, None, :]).sum(-1)
            for k, G in comp.blended.get(link, ()):
                if blended_c is not None:
                    inC -= blended_c[k] * _over_threshold(A, C, comp.deminimis[k]) @ G
        np.maximum(inA, 0.0, out=inA)
        np.maximum(inC, 0.0, out=inC)
        if redirect is not None and comp is not None and link in claims:
            _reallocate(link, C, inA, inC, comp, net, redirect, claims[link])
        return inA, inC

    claims = {} if redirect is None or comp is None else _claims(net, comp, cap)
    for link, stage in PROCESS:
        up = link.split(">")[0]
        A, C = out[up]
        inA, inC = through(link, A, C)
        y = net.yields[stage]
        u_up, u_dn = net.index(up, "USA"), net.index(stage, "USA")
        if rated is not None and u_up is not None and u_dn is not None:
            need = np.maximum(_requirement(net, stage, rated) - (inA + inC)[..., u_dn], 0.0)
            k_dn = cap[stage][..., u_dn] if stage in cap else \
                net.capacity[stage][:, :, None, u_dn]
            room = np.maximum(k_dn / y - (inA + inC)[..., u_dn], 0.0)
            d = _divert(net, link, A, C, u_up, u_dn, np.minimum(need, room), inA, inC)
            diverted += d
        total = inA + inC
        o = y * total
        if stage in cap:
            o = np.minimum(o, cap[stage])
        if stage in keep:
            o *= keep[stage]
        with np.errstate(invalid="ignore", divide="ignore"):
            fa = np.where(total > 0, inA / np.where(total > 0, total, 1.0), 0.0)
        fa = np.where(xn[stage], 1.0, fa)
        oa = o * fa
        out[stage] = (oa, np.subtract(o, oa, out=o))
        del inA, inC, total, fa
        if up in ("mining", "metal"):  # only separation and magnet outputs reach end use
            del out[up]

    end = net.nodes["end_use"]
    u_end = int(np.flatnonzero(end == us_c)[0]) if us_c in end else None
    row_c = net.countries.index("ROW") if "ROW" in net.countries else -2
    dom, imp, imp_x = {}, {}, {}
    row = np.zeros((T, E, S))
    home = np.zeros((T, E, S))
    world = np.zeros((T, E, S))
    for route, link in ROUTES.items():
        src = link.split(">")[0]
        A, C = out[src]
        o_nodes = net.nodes[src]
        inA, inC = through(link, A, C)
        f = net.share[link]
        if u_end is not None:
            contrib = A * f[..., u_end][:, :, None, :] + C * f[..., u_end][:, :, None, :]
            if comp is not None:
                for members, rows, G in comp.cells.get(link, ()):
                    contrib[..., rows] -= _union([q[k] for k in members]) * A[..., rows] * \
                        G[..., u_end][:, :, None, :]
                for k, G in comp.blended.get(link, ()):
                    if blended_c is not None:
                        contrib -= blended_c[k] * _over_threshold(A, C, comp.deminimis[k]) * \
                            G[..., u_end][:, :, None, :]
            contrib = np.maximum(contrib, 0.0)
            is_us = o_nodes == us_c
            is_x = xn[src] & ~is_us
            dom[route] = contrib[..., is_us].sum(-1)
            imp_x[route] = contrib[..., is_x].sum(-1)
            imp[route] = contrib[..., ~is_us & ~is_x].sum(-1)
            u_src = net.index(src, "USA")
            if rated is not None and u_src is not None:
                # imports are shared pro rata, so rated users still need this from US output
                imports = imp[route] + imp_x[route]
                total = rated[f"{route}_total"]
                with np.errstate(invalid="ignore", divide="ignore"):
                    covered = np.where(total > 0, np.minimum(imports / np.where(
                        total > 0, total, 1.0), 1.0), 1.0)
                need = np.maximum(rated[route] * (1.0 - covered) - dom[route], 0.0)
                got = _divert(net, link, A, C, u_src, u_end, need, inA, inC, end_use=True)
                dom[route] = dom[route] + got
                diverted += got
                world += got
        else:
            dom[route] = imp[route] = imp_x[route] = np.zeros((T, E, S))
        world += (inA + inC).sum(-1)
        others = np.array([c != us_c for c in end])
        row += (inA + inC)[..., others].sum(-1)
        if row_c in end and cn_c in o_nodes:
            i_cn = int(np.flatnonzero(o_nodes == cn_c)[0])
            j_row = int(np.flatnonzero(end == row_c)[0])
            xi = net.export_share.get(("CHN", src), 1.0)
            home += (A[..., i_cn] + C[..., i_cn]) * f[:, :, None, i_cn, j_row] * (1.0 - xi)
    return Physical(dom, imp, imp_x, np.maximum(row - home, 0.0), home, denied_cn, world,
                    diverted)


def _claims(net: Network, comp: Compiled, cap: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Processing link -> ``[T, E, S|1, D]`` most each non-controlling plant may buy: its
    pre-shock input capped by its (possibly delayed) capacity over the yield; 0 for the
    controlling exporter's plants. Only links where clean origins ship to such plants."""
    out = {}
    for link, stage in PROCESS:
        up = link.split(">")[0]
        xo, xd = comp.x_nodes[up], comp.x_nodes[stage]
        f = net.share[link]
        if not xd.any() or not (f[:, :, ~xo][..., xd] > 0).any():
            continue
        base_in = np.einsum("teo,teod->ted", net.output[up], f)[:, :, None, :]
        k = cap[stage] if stage in cap else net.capacity[stage][:, :, None, :]
        out[link] = np.minimum(base_in, k / net.yields[stage]) * ~xd
    return out


def _reallocate(link: str, C: np.ndarray, inA: np.ndarray, inC: np.ndarray, comp: Compiled,
                net: Network, rho: np.ndarray, claim: np.ndarray) -> None:
    """Send the trapped share ``rho`` of clean material bound for the controlling exporter's
    plants to non-controlling plants, pro rata to their lost purchases (in place on ``inC``)."""
    up, stage = link.split(">")
    xo, xd = comp.x_nodes[up], comp.x_nodes[stage]
    if not rho.any():
        return
    fx = net.share[link][:, :, ~xo][..., xd]  # [T, E, O', Dx]
    cx = C[..., ~xo] @ fx  # clean inflow of the exporter's plants [T, E, S, Dx]
    pool = rho * cx.sum(-1)
    room = np.maximum(claim - (inA + inC), 0.0)
    total = room.sum(-1)
    moved = np.minimum(pool, total)
    with np.errstate(invalid="ignore", divide="ignore"):
        f_in = np.where(total > 0, moved / np.where(total > 0, total, 1.0), 0.0)
        f_out = np.where(pool > 0, moved / np.where(pool > 0, pool, 1.0), 0.0)
    inC += room * f_in[..., None]
    inC[..., xd] = np.maximum(inC[..., xd] - cx * (f_out * rho)[..., None], 0.0)


def _union(qs: list[np.ndarray]) -> np.ndarray:
    """Denial of a cell covered by several controls: 1 − Π(1 − c_k)."""
    if len(qs) == 1:
        return qs[0]
    keep = 1.0
    for x in qs:
        keep = keep * (1.0 - x)
    return 1.0 - keep


def _over_threshold(A: np.ndarray, C: np.ndarray, theta: float) -> np.ndarray:
    """C material of origins whose adversary-content share reaches the de minimis threshold."""
    tot = A + C
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, A / np.where(tot > 0, tot, 1.0), 0.0)
    return C * (share >= theta)


def _requirement(net: Network, stage: str, rated: dict[str, np.ndarray]) -> np.ndarray:
    """Rated input requirement of a US plant of ``stage`` (t REO-eq), carried back by yields."""
    y = net.yields
    mag = rated["magnet"] / y["magnet"]
    if stage == "magnet":
        return mag
    mag = mag / y["metal"]
    if stage == "metal":
        return mag
    return (mag + rated["oxide"]) / y["separation"]


def _divert(net: Network, link: str, A: np.ndarray, C: np.ndarray, u_up: int, u_dn: int,
            want: np.ndarray, inA: np.ndarray, inC: np.ndarray, end_use: bool = False
            ) -> np.ndarray:
    """Move up to ``want`` of US node ``u_up``'s unallocated or exported output on ``link`` to the
    US node ``u_dn`` (in place on ``inA``/``inC``); return the amount moved."""
    up = link.split(">")[0]
    f = net.share[link][:, :, None, u_up, :]  # [T, E, 1, D]
    out_links = [name for name in net.share if name.startswith(f"{up}>")]
    used = sum(net.share[name][:, :, None, u_up, :].sum(-1) for name in out_links)
    total = A[..., u_up] + C[..., u_up]
    unalloc = total * np.clip(1.0 - used, 0.0, 1.0)
    exp_share = f.sum(-1) - f[..., u_dn]
    exports = total * exp_share
    moved = np.minimum(np.maximum(want, 0.0), unalloc + exports)
    if not moved.any():
        return moved
    from_exp = np.maximum(moved - unalloc, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(exports > 0, from_exp / np.where(exports > 0, exports, 1.0), 0.0)
        fa = np.where(total > 0, A[..., u_up] / np.where(total > 0, total, 1.0), 0.0)
    cut = rho[..., None] * f * total[..., None]
    cut[..., u_dn] = 0.0
    inA -= cut * fa[..., None]
    inC -= cut * (1.0 - fa[..., None])
    np.maximum(inA, 0.0, out=inA)
    np.maximum(inC, 0.0, out=inC)
    if not end_use:
        inA[..., u_dn] += moved * fa
        inC[..., u_dn] += moved * (1.0 - fa)
    return moved
