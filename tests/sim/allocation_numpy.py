"""The whole-array numpy allocation the compiled loops replaced, kept as a test oracle.

Same steps as :mod:`reeplan.sim.allocation` (see its docstring);
``test_kernel_matches_numpy`` runs the engine with both.
"""

from __future__ import annotations

import numpy as np

from reeplan.sim.allocation import Uses

_TOL = 1e-9
_DAYS_PER_QUARTER = 365.25 / 4

def allocate_numpy(uses: Uses, need: np.ndarray, pools: dict[str, np.ndarray], dpa_on: np.ndarray,
             dx_share: float) -> dict[str, np.ndarray]:
    """Numpy form of :func:`reeplan.sim.allocation.allocate` (same parameters)."""
    dfn = uses.defense[None, :, None]
    g1 = uses.pro_rata(pools["x_mil"], need * ~dfn)
    rem = need - g1
    g2 = uses.pro_rata(pools["free"], rem)
    rem = rem - g2
    dom = pools["dom"]
    served = np.zeros_like(rem)
    left = dom
    rem_def = rem * dfn
    for tier in (rem_def * dx_share, rem_def * (1.0 - dx_share), rem * ~dfn):
        got = uses.pro_rata(left, tier)  # DX, then DO, then unrated (15 CFR 700.14)
        served += got
        left = left - uses.gsum(got)
    prio = dpa_on[:, None, None]
    served = np.where(prio, served, uses.pro_rata(dom, rem))
    rem = rem - served
    spare = (pools["x_mil"] - uses.gsum(g1)) + (pools["free"] - uses.gsum(g2)) + \
        (dom - uses.gsum(served))
    return {"short": np.maximum(rem, 0.0), "spare": np.maximum(spare, 0.0), "served": served,
            "dom_unrated": uses.gsum(served * ~dfn), "dom_defense": uses.gsum(served * dfn)}


def stocks_numpy(uses: Uses, demand: np.ndarray, short_pre: np.ndarray, spare: np.ndarray,
           cover: np.ndarray, nds: np.ndarray, release: bool, delay_days: np.ndarray,
           order_at: float | np.ndarray = np.inf) -> dict[str, np.ndarray]:
    """Numpy form of :func:`reeplan.sim.allocation.stocks` (same parameters)."""
    T = short_pre.shape[0]
    inv = demand[0] * cover[None, :]
    dfn = uses.defense[:, None]
    eu = uses.e
    stock = nds[eu] * dfn  # [U, S]: each defense use holds its element's stock
    delay = delay_days[None, :] / _DAYS_PER_QUARTER
    first = np.broadcast_to(np.asarray(order_at, float), inv.shape[-1:]) * np.ones(inv.shape)
    short = np.empty_like(short_pre)
    short_no = np.empty_like(short_pre)
    draw_out = np.zeros_like(short_pre)
    rel_out = np.zeros_like(short_pre)
    for t in range(T):
        s = short_pre[t]
        draw = np.minimum(inv, s)
        inv = inv - draw
        s = s - draw
        deficit = np.maximum(demand[t] * cover[None, :] - inv, 0.0)
        inv = inv + uses.pro_rata(spare[t][None], deficit[None])[0]
        short_no[t] = s
        first = np.where((s > _TOL) & dfn, np.minimum(first, float(t)), first)
        if release:
            # the quarter's deficit is spread evenly and inventories cover its earliest part,
            # so the stockpile can serve what is left of the deficit arising after the release
            # date: min(s, s_pre * a_t). (Capping the *remainder* s by a_t, as before, left a
            # sliver unmet in the first quarter whatever the stockpile's size.)
            avail = np.clip(t + 1.0 - (first + delay), 0.0, 1.0)
            rel = np.minimum(stock, np.minimum(s, short_pre[t] * avail) * dfn)
            stock = stock - rel
            s = s - rel
            rel_out[t] = rel
        short[t] = s
        draw_out[t] = draw
    return {"short": np.maximum(short, 0.0), "short_no_nds": np.maximum(short_no, 0.0),
            "nds": rel_out, "draw": draw_out}
