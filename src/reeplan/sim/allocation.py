r"""Allocation of what reaches US users, by sector: DPA Title I, inventories, the stockpile.

Works on the *uses* (element × sector pairs with US demand), layout ``[T, U, S]``. Uses of the
same element served by the same route (finished magnets, or oxides) form a group that shares
the route's supply pools. Per quarter and group (``methods.md`` §5, ``dpa.md`` §1.4):

1. imports from an exporter that denies military end use go pro rata to non-defense uses;
2. other imports and the US share of the non-China ramp-up go pro rata to remaining demand
   (foreign suppliers are not bound by DPAS);
3. US-jurisdiction output serves DX, then DO, then unrated demand when DPA Title I is in force
   (pro rata otherwise): it re-orders US output only and cannot bring back denied imports;
4. each use draws its own commercial inventory, refilled from material left unallocated;
5. National Defense Stockpile releases go to defense uses only: the release order follows the
   first shock (or an earlier defense shortfall) and material arrives after the release delay,
   :math:`r = \min(\text{stock}, U_t, U^{pre}_t a_t)`, with :math:`U^{pre}_t` the defense deficit
   before stocks, :math:`U_t` what is left of it after inventories and :math:`a_t` the share of
   the quarter after the release date (the deficit is spread evenly over the quarter and
   inventories cover its earliest part). Releases are not capped per quarter: the stockpile
   lasts as long as its size allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reeplan.sim.alloc_kernel import allocate_kernel, stocks_kernel
from reeplan.sim.network import Network

__all__ = ["Uses", "allocate", "stocks"]

_TOL = 1e-9
_DAYS_PER_QUARTER = 365.25 / 4


@dataclass(frozen=True)
class Uses:
    """Index structure of the uses and their (element, route) groups."""

    e: np.ndarray
    """``[U]`` element index."""
    k: np.ndarray
    """``[U]`` sector index."""
    magnet: np.ndarray
    """``[U]`` served by finished magnets (else by oxides)."""
    defense: np.ndarray
    """``[U]`` the defense sector (rated demand)."""
    g: np.ndarray
    """``[U]`` group index."""
    ge: np.ndarray
    """``[G]`` element of each group."""
    gmag: np.ndarray
    """``[G]`` group served by magnets."""
    gstart: np.ndarray
    """``[G]`` first use of each group (uses are sorted by element, then route)."""
    gmat: np.ndarray
    """``[G, U]`` 1 where the use belongs to the group (sums as one matrix product)."""
    emat: np.ndarray
    """``[E, U]`` 1 where the use is of the element."""
    gemat: np.ndarray
    """``[E, G]`` 1 where the group is of the element."""

    @classmethod
    def of(cls, net: Network) -> Uses:
        """Build the index structure of ``net``'s uses (sorted by element, then route)."""
        e, k = net.uses[:, 0], net.uses[:, 1]
        magnet = net.magnet_route[e, k]
        defense = np.array([net.sectors[i] == "defense" for i in k], bool)
        key = e * 2 + (~magnet).astype(int)
        if np.any(np.diff(key) < 0):
            msg = "network uses must be sorted by element, then route"
            raise ValueError(msg)
        new_g = np.r_[True, np.diff(key) != 0]
        g = np.cumsum(new_g) - 1
        gstart = np.flatnonzero(new_g)
        ge, gmag = e[gstart], magnet[gstart]
        E = len(net.elements)
        gmat = (g[None, :] == np.arange(len(gstart))[:, None]).astype(float)
        emat = (e[None, :] == np.arange(E)[:, None]).astype(float)
        gemat = (ge[None, :] == np.arange(E)[:, None]).astype(float)
        return cls(e, k, magnet, defense, g, ge, gmag, gstart, gmat, emat, gemat)

    def gsum(self, x: np.ndarray) -> np.ndarray:
        """Sum ``[T, U, S]`` over each group's uses -> ``[T, G, S]``."""
        return np.matmul(self.gmat, x)

    def esum(self, x: np.ndarray) -> np.ndarray:
        """Sum ``[T, U, S]`` over each element's uses -> ``[T, E, S]``."""
        return np.matmul(self.emat, x)

    def g_to_e(self, x: np.ndarray) -> np.ndarray:
        """Sum ``[T, G, S]`` over each element's groups -> ``[T, E, S]``."""
        return np.matmul(self.gemat, x)

    def by_group(self, magnet: np.ndarray, oxide: np.ndarray) -> np.ndarray:
        """Route pools ``[T, E, S]`` -> ``[T, G, S]``."""
        return np.where(self.gmag[None, :, None], magnet[:, self.ge], oxide[:, self.ge])

    def pro_rata(self, pool: np.ndarray, need: np.ndarray) -> np.ndarray:
        """Share group pools ``[T, G, S]`` over ``need [T, U, S]`` in proportion, capped."""
        tot = self.gsum(need)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(tot > _TOL, np.minimum(pool / np.where(tot > _TOL, tot, 1.0), 1.0),
                            0.0)
        return need * frac[:, self.g]


def allocate(uses: Uses, need: np.ndarray, pools: dict[str, np.ndarray], dpa_on: np.ndarray,
             dx_share: float) -> dict[str, np.ndarray]:
    """Steps 1–3 for every quarter (compiled: :func:`reeplan.sim.alloc_kernel.allocate_kernel`).

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
    T, U, S = need.shape
    G = len(uses.gstart)
    out = {"short": np.empty((T, U, S)), "spare": np.empty((T, G, S)),
           "served": np.empty((T, U, S)), "dom_unrated": np.empty((T, G, S)),
           "dom_defense": np.empty((T, G, S))}
    c = np.ascontiguousarray
    allocate_kernel(c(need, float), c(pools["x_mil"], float), c(pools["free"], float),
                    c(pools["dom"], float), c(dpa_on, bool), float(dx_share), c(uses.defense),
                    c(uses.gstart, np.int64), out["short"], out["spare"], out["served"],
                    out["dom_unrated"], out["dom_defense"])
    return out


def stocks(uses: Uses, demand: np.ndarray, short_pre: np.ndarray, spare: np.ndarray,
           cover: np.ndarray, nds: np.ndarray, release: bool, delay_days: np.ndarray,
           order_at: float | np.ndarray = np.inf) -> dict[str, np.ndarray]:
    """Steps 4–5, quarter by quarter (compiled: :func:`reeplan.sim.alloc_kernel.stocks_kernel`).

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
    T, U, S = short_pre.shape
    stock = np.ascontiguousarray(nds[uses.e] * uses.defense[:, None], float)  # [U, S]
    first = np.broadcast_to(np.asarray(order_at, float), (S,)) * np.ones((U, S))
    out = {k: np.empty((T, U, S)) for k in ("short", "short_no_nds", "nds", "draw")}
    c = np.ascontiguousarray
    stocks_kernel(c(demand, float), c(short_pre, float), c(spare, float), c(cover, float), stock,
                  bool(release), c(np.broadcast_to(delay_days / _DAYS_PER_QUARTER, (S,)), float),
                  first, c(uses.defense), c(uses.gstart, np.int64), out["short"],
                  out["short_no_nds"], out["nds"], out["draw"])
    return out
