"""Compiled inner loop of the physical propagation (:mod:`reeplan.sim.physical`).

The propagation is independent for every quarter, element and sample, and each of those cells
only moves a few tonnes between at most 13 nodes a stage. Written as whole-array numpy it
allocated a dozen ``[T, E, S, N]`` temporaries per link and spent its time moving them through
memory; here the same formulas run for one quarter and element at a time on ``[N, S]`` blocks
that stay in the CPU cache, with the samples as the innermost, contiguous loop (numba, compiled
once and cached on disk; the GIL is released so chunks run on threads). The arrays it reads
are packed by :func:`reeplan.sim.physical.pack` into a :class:`Packed` of fixed-shape arrays,
nodes padded to ``N`` (the largest stage).

Index conventions: stages ``0..4`` = mining, separation, metal, magnet, end use; links
``0..4`` = mining>separation, separation>metal, metal>magnet, magnet>end_use,
separation>end_use (:data:`LINKS`); routes ``0, 1`` = magnet, oxide.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

__all__ = ["LINKS", "Packed", "run_kernel"]

LINKS = ("mining>separation", "separation>metal", "metal>magnet", "magnet>end_use",
         "separation>end_use")
"""Link order of the packed arrays."""
_UP = (0, 1, 2, 3, 1)
_DN = (1, 2, 3, 4, 4)


class Packed(NamedTuple):
    """Inputs of :func:`run_kernel` (shapes: T quarters, E elements, S samples, N nodes)."""

    n_nodes: np.ndarray      # [5] active nodes per stage
    mine: np.ndarray         # [T, E, N] base mine output
    capacity: np.ndarray     # [4, T, E, N] base capacity of stages 0..3
    share: np.ndarray        # [5, T, E, N, N] routing shares
    yields: np.ndarray       # [4] yield of stages 0..3 (index 0 unused)
    xn: np.ndarray           # [5, N] node of a controlling exporter
    us: np.ndarray           # [5] US node of each stage (-1: none)
    cn: np.ndarray           # [5] China node of each stage (-1: none)
    row_end: int             # ROW end-use node (-1: none)
    xi: np.ndarray           # [2] China's export share of its end-use flow to ROW, by route
    out_used: np.ndarray     # [5] links leaving the link's origin stage: bitmask over LINKS
    q: np.ndarray            # [K, T, S] denial of each control part
    cell_g: np.ndarray       # [5, C, T, E, N, N] controlled share of each cell group
    cell_members: np.ndarray  # [5, C, K] parts covering the group
    n_cells: np.ndarray      # [5]
    bl_g: np.ndarray         # [5, B, T, E, N, N] blended-lot (de minimis) weights
    bl_k: np.ndarray         # [5, B] part of each blended entry
    n_bl: np.ndarray         # [5]
    bl_c: np.ndarray         # [K, T, S] denial of C material over the threshold
    deminimis: np.ndarray    # [K]
    loss: np.ndarray         # [J, T, S] outage: share of output lost
    loss_mask: np.ndarray    # [J, E, N]
    loss_stage: np.ndarray   # [J]
    has_cap: np.ndarray      # [4] stage has delayed capacity
    cap_t: np.ndarray        # [4, T, N, S] quarter whose base capacity applies (delays)
    has_rated: bool
    rated: np.ndarray        # [4, T, E, S] rated magnet, rated oxide, all magnet, all oxide
    has_rho: bool
    rho: np.ndarray          # [T, E, S] share of trapped clean material redirected
    has_claim: np.ndarray    # [3] processing link with a reallocation claim
    base_in: np.ndarray      # [3, T, E, N] pre-shock input of each plant


@njit(cache=True, nogil=True)
def _flow(f, no, nd, A, C, inA, inC):
    """``inA = A f``, ``inC = C f`` over the origins (rows ``[N, S]``)."""
    S = A.shape[1]
    for d in range(nd):
        for s in range(S):
            inA[d, s] = 0.0
            inC[d, s] = 0.0
        for o in range(no):
            w = f[o, d]
            if w != 0.0:
                for s in range(S):
                    inA[d, s] += A[o, s] * w
                    inC[d, s] += C[o, s] * w


@njit(cache=True, nogil=True)
def _controls(g, qc, n_cells, no, nd, A, inA, cn, den):
    """Subtract the denied adversary material of each cell group; count China's."""
    S = A.shape[1]
    for j in range(n_cells):
        for o in range(no):
            rs = 0.0
            for d in range(nd):
                w = g[j, o, d]
                rs += w
                if w != 0.0:
                    for s in range(S):
                        inA[d, s] -= qc[j, s] * A[o, s] * w
            if o == cn and rs != 0.0:
                for s in range(S):
                    den[s] += qc[j, s] * A[o, s] * rs


@njit(cache=True, nogil=True)
def _over(A, C, o, theta, out):
    """C material of origin ``o`` where its adversary share reaches ``theta`` (else 0)."""
    for s in range(A.shape[1]):
        tot = A[o, s] + C[o, s]
        share = A[o, s] / tot if tot > 0 else 0.0
        out[s] = C[o, s] if share >= theta else 0.0


@njit(cache=True, nogil=True)
def _blended(g, ks, n_bl, c_t, theta, no, nd, A, C, inC, tmp):
    """Foreign-product rule on blended lots: deny C material of origins over de minimis."""
    S = A.shape[1]
    for b in range(n_bl):
        k = ks[b]
        for o in range(no):
            _over(A, C, o, theta[k], tmp)
            for d in range(nd):
                w = g[b, o, d]
                if w != 0.0:
                    for s in range(S):
                        inC[d, s] -= c_t[k, s] * tmp[s] * w


@njit(cache=True, nogil=True)
def _clip(nd, inA, inC):
    for d in range(nd):
        for s in range(inA.shape[1]):
            inA[d, s] = max(inA[d, s], 0.0)
            inC[d, s] = max(inC[d, s], 0.0)


@njit(cache=True, nogil=True)
def _capv(capacity, has_cap, cap_t, st, t, e, n, out):
    """Capacity ``[S]`` of node ``n`` of stage ``st`` after project delays."""
    base = capacity[st, t, e, n]
    if has_cap[st]:
        ti = cap_t[st, t, n]
        for s in range(out.shape[0]):
            out[s] = min(capacity[st, ti[s], e, n], base)
    else:
        out[:] = base


@njit(cache=True, nogil=True)
def _keepv(loss, loss_stage, loss_mask, st, t, e, n, out):
    """Share ``[S]`` of node ``n``'s output surviving the outages of stage ``st``."""
    out[:] = 1.0
    for j in range(loss.shape[0]):
        if loss_stage[j] == st and loss_mask[j, e, n]:
            for s in range(out.shape[0]):
                out[s] *= 1.0 - loss[j, t, s]


@njit(cache=True, nogil=True)
def _reallocate(f, xo, xd, no, nd, C, inA, inC, claim, rho, cx, pool, total):
    """Trapped clean material bound for the exporter's plants goes to the other plants, pro
    rata to their lost purchases (``claim [N, S]``: most each plant may buy)."""
    S = C.shape[1]
    pool[:] = 0.0
    total[:] = 0.0
    for d in range(nd):
        if xd[d]:
            cx[d, :] = 0.0
            for o in range(no):
                w = f[o, d]
                if not xo[o] and w != 0.0:
                    for s in range(S):
                        cx[d, s] += C[o, s] * w
            for s in range(S):
                pool[s] += cx[d, s]
        for s in range(S):
            total[s] += max(claim[d, s] - (inA[d, s] + inC[d, s]), 0.0)
    for s in range(S):
        pl = rho[s] * pool[s]
        moved = min(pl, total[s])
        pool[s] = moved / pl if pl > 0 else 0.0      # f_out
        total[s] = moved / total[s] if total[s] > 0 else 0.0  # f_in
    for d in range(nd):
        for s in range(S):
            inC[d, s] += max(claim[d, s] - (inA[d, s] + inC[d, s]), 0.0) * total[s]
    for d in range(nd):
        if xd[d]:
            for s in range(S):
                inC[d, s] = max(inC[d, s] - cx[d, s] * (pool[s] * rho[s]), 0.0)


@njit(cache=True, nogil=True)
def _divert(share, n_nodes, out_used, L, t, e, u_up, u_dn, A, C, want, inA, inC, end_use,
            moved_out):
    """Move up to ``want [S]`` of US node ``u_up``'s unallocated or exported output on link
    ``L`` to US node ``u_dn`` (``moved_out``: the amount moved)."""
    nd = n_nodes[_DN[L]]
    f = share[L, t, e, u_up]
    used = 0.0
    for m in range(5):
        if out_used[L] >> m & 1:
            for d in range(n_nodes[_DN[m]]):
                used += share[m, t, e, u_up, d]
    fsum = 0.0
    for d in range(nd):
        fsum += f[d]
    exp_share = fsum - f[u_dn]
    keep_un = min(max(1.0 - used, 0.0), 1.0)
    for s in range(A.shape[1]):
        total = A[u_up, s] + C[u_up, s]
        unalloc = total * keep_un
        exports = total * exp_share
        moved = min(max(want[s], 0.0), unalloc + exports)
        moved_out[s] = moved
        if moved == 0.0:
            continue
        from_exp = max(moved - unalloc, 0.0)
        rho = from_exp / exports if exports > 0 else 0.0
        fa = A[u_up, s] / total if total > 0 else 0.0
        for d in range(nd):
            if d != u_dn:
                cut = rho * f[d] * total
                inA[d, s] = max(inA[d, s] - cut * fa, 0.0)
                inC[d, s] = max(inC[d, s] - cut * (1.0 - fa), 0.0)
        if not end_use:
            inA[u_dn, s] += moved * fa
            inC[u_dn, s] += moved * (1.0 - fa)


@njit(cache=True, nogil=True)
def _link(share, cell_g, n_cells, bl_g, bl_k, n_bl, bl_c, deminimis, n_nodes, cn, L, t, e, A, C,
          inA, inC, qc, den, tmp):
    """Inflows of link ``L``'s destinations after the controls, clipped at zero."""
    up, dn = _UP[L], _DN[L]
    no, nd = n_nodes[up], n_nodes[dn]
    _flow(share[L, t, e], no, nd, A, C, inA, inC)
    _controls(cell_g[L, :, t, e], qc[L], n_cells[L], no, nd, A, inA, cn[up], den)
    _blended(bl_g[L, :, t, e], bl_k[L], n_bl[L], bl_c[:, t], deminimis, no, nd, A, C,
             inC, tmp)
    _clip(nd, inA, inC)


@njit(cache=True, nogil=True)
def run_kernel(n_nodes, mine, capacity, share, yields, xn, us, cn, row_end, xi, out_used, q,
               cell_g, cell_members, n_cells, bl_g, bl_k, n_bl, bl_c, deminimis, loss,
               loss_mask, loss_stage, has_cap, cap_t, has_rated, rated, has_rho, rho, has_claim,
               base_in, T, E, S, dom, imp, imp_x, row, home, denied, world, diverted):
    """Propagate every quarter and element; fills the ``[.., T, E, S]`` output arrays.

    Takes the fields of a :class:`Packed` in order (``run_kernel(*packed, T, E, S, ...)``):
    separate arguments keep the compile time short."""
    N = mine.shape[2]
    K = q.shape[0]
    A = np.zeros((4, N, S))
    C = np.zeros((4, N, S))
    inA = np.zeros((N, S))
    inC = np.zeros((N, S))
    claim = np.zeros((N, S))
    cx = np.zeros((N, S))
    qc = np.zeros((5, cell_members.shape[1], S))
    capv = np.zeros(S)
    keepv = np.zeros(S)
    v1 = np.zeros(S)
    v2 = np.zeros(S)
    v3 = np.zeros(S)
    u_end = us[4]
    for t in range(T):
        for L in range(5):
            for j in range(n_cells[L]):
                for s in range(S):
                    keep = 1.0
                    for k in range(K):
                        if cell_members[L, j, k]:
                            keep *= 1.0 - q[k, t, s]
                    qc[L, j, s] = 1.0 - keep
        for e in range(E):
            den = denied[t, e]
            for n in range(n_nodes[0]):
                _keepv(loss, loss_stage, loss_mask, 0, t, e, n, keepv)
                _capv(capacity, has_cap, cap_t, 0, t, e, n, capv)
                base, full = mine[t, e, n], capacity[0, t, e, n]
                for s in range(S):
                    m = base
                    if has_cap[0]:
                        m = max(m - max(full - capv[s], 0.0), 0.0)
                    m *= keepv[s]
                    a = m if xn[0, n] else 0.0
                    A[0, n, s] = a
                    C[0, n, s] = m - a
            for L in range(3):
                up, st = _UP[L], _DN[L]
                nd = n_nodes[st]
                y = yields[st]
                _link(share, cell_g, n_cells, bl_g, bl_k, n_bl, bl_c, deminimis, n_nodes, cn, L,
                      t, e, A[up], C[up], inA, inC, qc, den, v1)
                if has_rho and has_claim[L]:
                    for d in range(nd):
                        _capv(capacity, has_cap, cap_t, st, t, e, d, capv)
                        for s in range(S):
                            claim[d, s] = 0.0 if xn[st, d] else min(base_in[L, t, e, d],
                                                                       capv[s] / y)
                    _reallocate(share[L, t, e], xn[up], xn[st], n_nodes[up], nd, C[up],
                                inA, inC, claim, rho[t, e], cx, v1, v2)
                u_up, u_dn = us[up], us[st]
                if has_rated and u_up >= 0 and u_dn >= 0:
                    _capv(capacity, has_cap, cap_t, st, t, e, u_dn, capv)
                    for s in range(S):
                        got = inA[u_dn, s] + inC[u_dn, s]
                        mag = rated[0, t, e, s] / yields[3]
                        req = mag if st == 3 else (mag / yields[2] if st == 2 else
                                                   (mag / yields[2] + rated[1, t, e, s])
                                                   / yields[1])
                        v1[s] = min(max(req - got, 0.0), max(capv[s] / y - got, 0.0))
                    _divert(share, n_nodes, out_used, L, t, e, u_up, u_dn, A[up], C[up], v1, inA,
                            inC, False, v2)
                    for s in range(S):
                        diverted[t, e, s] += v2[s]
                for d in range(nd):
                    _keepv(loss, loss_stage, loss_mask, st, t, e, d, keepv)
                    _capv(capacity, has_cap, cap_t, st, t, e, d, capv)
                    xd = xn[st, d]
                    for s in range(S):
                        total = inA[d, s] + inC[d, s]
                        o = y * total
                        if has_cap[st]:
                            o = min(o, capv[s])
                        o *= keepv[s]
                        fa = 1.0 if xd else (inA[d, s] / total if total > 0 else 0.0)
                        A[st, d, s] = o * fa
                        C[st, d, s] = o - o * fa
            for r in range(2):
                L = 3 + r
                src = _UP[L]
                no = n_nodes[src]
                As, Cs = A[src], C[src]
                _link(share, cell_g, n_cells, bl_g, bl_k, n_bl, bl_c, deminimis, n_nodes, cn, L,
                      t, e, As, Cs, inA, inC, qc, den, v1)
                f = share[L, t, e]
                if u_end >= 0:
                    ds, dx, do = dom[r, t, e], imp_x[r, t, e], imp[r, t, e]
                    for o in range(no):
                        w = f[o, u_end]
                        for s in range(S):
                            v3[s] = As[o, s] * w + Cs[o, s] * w
                        for j in range(n_cells[L]):
                            g = cell_g[L, j, t, e, o, u_end]
                            if g != 0.0:
                                for s in range(S):
                                    v3[s] -= qc[L, j, s] * As[o, s] * g
                        for b in range(n_bl[L]):
                            k = bl_k[L, b]
                            g = bl_g[L, b, t, e, o, u_end]
                            if g != 0.0:
                                _over(As, Cs, o, deminimis[k], v1)
                                for s in range(S):
                                    v3[s] -= bl_c[k, t, s] * v1[s] * g
                        acc = ds if o == us[src] else (dx if xn[src, o] else do)
                        for s in range(S):
                            acc[s] += max(v3[s], 0.0)
                    if has_rated and us[src] >= 0:
                        for s in range(S):
                            tot_r = rated[2 + r, t, e, s]
                            covered = min((do[s] + dx[s]) / tot_r, 1.0) if tot_r > 0 else 1.0
                            v1[s] = max(rated[r, t, e, s] * (1.0 - covered) - ds[s], 0.0)
                        _divert(share, n_nodes, out_used, L, t, e, us[src], u_end, As, Cs, v1,
                                inA, inC, True, v2)
                        for s in range(S):
                            ds[s] += v2[s]
                            diverted[t, e, s] += v2[s]
                            world[t, e, s] += v2[s]
                for d in range(n_nodes[4]):
                    for s in range(S):
                        world[t, e, s] += inA[d, s] + inC[d, s]
                        if d != u_end:
                            row[t, e, s] += inA[d, s] + inC[d, s]
                i_cn = cn[src]
                if row_end >= 0 and i_cn >= 0:
                    w = f[i_cn, row_end] * (1.0 - xi[r])
                    for s in range(S):
                        home[t, e, s] += (As[i_cn, s] + Cs[i_cn, s]) * w
