"""Compiled loops of the allocation to US uses (:mod:`reeplan.sim.allocation`).

The same steps as the module's docstring, for one quarter and group at a time with the samples
innermost: pro rata shares of group pools (:func:`_pro_rata`), the DPA Title I order
(:func:`allocate_kernel`) and the quarter-by-quarter inventories and stockpile
(:func:`stocks_kernel`). Arrays are ``[T, U, S]`` per use and ``[T, G, S]`` per group; the uses
of group ``g`` are ``gstart[g] .. gstart[g + 1] - 1``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["allocate_kernel", "stocks_kernel"]

_TOL = 1e-9


@njit(cache=True, nogil=True)
def _pro_rata(pool, need, gstart, got):
    """``got[u] = need[u] * min(pool[g] / Σ need, 1)`` for each group (``[U, S]``/``[G, S]``);
    0 where the group needs nothing."""
    G, S = pool.shape
    U = need.shape[0]
    for g in range(G):
        lo, hi = gstart[g], gstart[g + 1] if g + 1 < G else U
        for s in range(S):
            tot = 0.0
            for u in range(lo, hi):
                tot += need[u, s]
            frac = min(pool[g, s] / tot, 1.0) if tot > _TOL else 0.0
            for u in range(lo, hi):
                got[u, s] = need[u, s] * frac


@njit(cache=True, nogil=True)
def _take(pool, got, gstart):
    """``pool[g] -= Σ got[u]`` over each group's uses."""
    G, S = pool.shape
    U = got.shape[0]
    for g in range(G):
        lo, hi = gstart[g], gstart[g + 1] if g + 1 < G else U
        for u in range(lo, hi):
            for s in range(S):
                pool[g, s] -= got[u, s]


@njit(cache=True, nogil=True)
def allocate_kernel(need, x_mil, free, dom, dpa_on, dx_share, defense, gstart,
                    short, spare, served, dom_unrated, dom_defense):
    """Steps 1–3 (imports closed to defense, other imports, US output by DX/DO/unrated)."""
    T, U, S = need.shape
    G = x_mil.shape[1]
    tier = np.empty((U, S))
    got = np.empty((U, S))
    rem = np.empty((U, S))
    left = np.empty((G, S))
    for t in range(T):
        for u in range(U):
            for s in range(S):
                tier[u, s] = 0.0 if defense[u] else need[t, u, s]
        _pro_rata(x_mil[t], tier, gstart, got)
        spare[t] = x_mil[t]
        _take(spare[t], got, gstart)
        for u in range(U):
            for s in range(S):
                rem[u, s] = need[t, u, s] - got[u, s]
        _pro_rata(free[t], rem, gstart, got)
        for g in range(G):
            for s in range(S):
                spare[t, g, s] += free[t, g, s]
        _take(spare[t], got, gstart)
        for u in range(U):
            for s in range(S):
                rem[u, s] -= got[u, s]
                served[t, u, s] = 0.0
        if dpa_on[t]:  # DX, then DO, then unrated (15 CFR 700.14)
            left[:] = dom[t]
            for k in range(3):
                for u in range(U):
                    w = (dx_share if k == 0 else 1.0 - dx_share) if defense[u] else 0.0
                    for s in range(S):
                        tier[u, s] = rem[u, s] * (w if k < 2 else (0.0 if defense[u] else 1.0))
                _pro_rata(left, tier, gstart, got)
                _take(left, got, gstart)
                for u in range(U):
                    for s in range(S):
                        served[t, u, s] += got[u, s]
        else:
            _pro_rata(dom[t], rem, gstart, got)
            for u in range(U):
                for s in range(S):
                    served[t, u, s] = got[u, s]
        for g in range(G):
            for s in range(S):
                spare[t, g, s] += dom[t, g, s]
                dom_unrated[t, g, s] = 0.0
                dom_defense[t, g, s] = 0.0
        _take(spare[t], served[t], gstart)
        for g in range(G):
            lo, hi = gstart[g], gstart[g + 1] if g + 1 < G else U
            for u in range(lo, hi):
                out = dom_defense[t, g] if defense[u] else dom_unrated[t, g]
                for s in range(S):
                    out[s] += served[t, u, s]
            for s in range(S):
                spare[t, g, s] = max(spare[t, g, s], 0.0)
        for u in range(U):
            for s in range(S):
                short[t, u, s] = max(rem[u, s] - served[t, u, s], 0.0)


@njit(cache=True, nogil=True)
def stocks_kernel(demand, short_pre, spare, cover, stock, release, delay, first, defense,
                  gstart, short, short_no, rel_out, draw_out):
    """Steps 4–5 quarter by quarter: commercial inventories (drawn, then refilled from the
    spare pools pro rata to each use's deficit), then stockpile releases to defense uses.
    ``stock`` and ``first`` ``[U, S]`` are updated in place."""
    T, U, S = short_pre.shape
    inv = np.empty((U, S))
    deficit = np.empty((U, S))
    refill = np.empty((U, S))
    for u in range(U):
        for s in range(S):
            inv[u, s] = demand[0, u, s] * cover[s]
    for t in range(T):
        for u in range(U):
            for s in range(S):
                x = short_pre[t, u, s]
                draw = min(inv[u, s], x)
                inv[u, s] -= draw
                short_no[t, u, s] = x - draw
                draw_out[t, u, s] = draw
                deficit[u, s] = max(demand[t, u, s] * cover[s] - inv[u, s], 0.0)
        _pro_rata(spare[t], deficit, gstart, refill)
        for u in range(U):
            for s in range(S):
                inv[u, s] += refill[u, s]
                x = short_no[t, u, s]
                if x > _TOL and defense[u]:
                    first[u, s] = min(first[u, s], float(t))
                if release:
                    # the quarter's deficit is spread evenly and inventories cover its earliest
                    # part, so the stockpile serves what is left of the deficit arising after
                    # the release date: min(s, s_pre * a_t)
                    avail = min(max(t + 1.0 - (first[u, s] + delay[s]), 0.0), 1.0)
                    want = min(x, short_pre[t, u, s] * avail) if defense[u] else 0.0
                    rel = min(stock[u, s], want)
                    stock[u, s] -= rel
                    x -= rel
                    rel_out[t, u, s] = rel
                else:
                    rel_out[t, u, s] = 0.0
                short[t, u, s] = max(x, 0.0)
                short_no[t, u, s] = max(short_no[t, u, s], 0.0)
