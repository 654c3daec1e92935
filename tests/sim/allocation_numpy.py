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
    """Steps 1–3 for every quarter at once.

    Parameters
    ----------
    need
        Demand after substitution ``[T, U, S]``.
    pools
        ``x_mil`` (imports closed to defense), ``free`` (other imports and ramp-up), ``dom``
        (US jurisdiction), each ``[T, G, S]``.
    dpa_on
        ``[T]`` DPA Title I in force.
    dx_share
        Share of defense demand on DX-rated orders.

    Returns
    -------
    dict
        ``short`` (unmet after flows, ``[T, U, S]``), ``spare`` (pools left, ``[T, G, S]``),
        ``served`` (US-jurisdiction output served to each use, ``[T, U, S]``),
        ``dom_unrated`` and ``dom_defense`` (US-jurisdiction output served to unrated and
        defense uses, ``[T, G, S]``).
    """
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
    """Steps 4–5, quarter by quarter (the only loop: 64 quarters, every sample at once).

    Parameters
    ----------
    demand, short_pre
        Demand and unmet demand after flows ``[T, U, S]``.
    spare
        Pools left after allocation ``[T, G, S]``.
    cover
        ``[S]`` commercial inventory in quarters of demand.
    nds
        ``[E, S]`` stockpile holdings (t REO-eq).
    release, delay_days
        Whether releases are ordered, and the delay ``[S]`` from the order to the first release.
    order_at
        Quarter index of the release order (the first shock), a number or ``[S]``; a defense
        shortfall before it brings the order forward.
    """
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
