"""Local search on award selections: the upper-bound heuristic of the Benders solver.

From a feasible selection it tries, with exact (closed-form) losses, every change of one
project's package (drop, add, switch) and every swap of a selected project for one outside the
selection, and moves to the best improving feasible neighbour until none improves. A move only
changes the losses of the element groups the projects touch, so each candidate is evaluated on
those groups alone, vectorised over samples, years and stages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reeplan.optimize.inputs import PortfolioSpec
from reeplan.optimize.recourse import RecourseArrays, calc_served_loss

__all__ = ["Feasibility", "calc_objectives", "improve_selection"]


def calc_objectives(loss: np.ndarray, w: np.ndarray, spec: PortfolioSpec) -> np.ndarray:
    """Objective (1 − λ)E + λ·CVaR_α for each row of per-sample losses ``loss[c, s]``.

    CVaR_α is the weighted mean of the worst 1 − α of probability mass (the Rockafellar–Uryasev
    minimum), taken exactly with fractional weight on the boundary sample.
    """
    loss = np.atleast_2d(loss)
    expected = loss @ w
    if spec.cvar_alpha is None:
        return expected
    order = np.argsort(-loss, axis=1)
    ls = np.take_along_axis(loss, order, 1)
    ws = w[order]
    tail = 1.0 - spec.cvar_alpha
    before = np.cumsum(ws, 1) - ws
    take = np.clip(tail - before, 0.0, ws)
    cvar = (take * ls).sum(1) / tail
    return (1 - spec.cvar_lambda) * expected + spec.cvar_lambda * cvar


@dataclass
class Feasibility:
    """Budget, yearly budget, DPA Fund, per-project limit and forced projects of a spec."""

    spec: PortfolioSpec
    a: RecourseArrays
    force_in: np.ndarray  # p bool
    force_out: np.ndarray  # p bool
    pruned: np.ndarray | None = None  # p k bool: packages left out (dominated)

    def allowed(self) -> np.ndarray:
        """allowed[p, k]: the package exists, is not pruned and respects the per-project
        limit."""
        ok = self.a.available.copy()
        if self.pruned is not None:
            ok &= ~self.pruned
        if self.spec.max_per_project is not None:
            ok &= self.a.cost.sum(-1) <= self.spec.max_per_project
        return ok

    def check(self, cost_year: np.ndarray, liability: np.ndarray, stock: float) -> np.ndarray:
        """Which candidates (rows of ``cost_year[c, t]``, ``liability[c]``) are feasible."""
        eps = 1e-9 * max(self.spec.budget, 1.0)
        ok = cost_year.sum(-1) + stock <= self.spec.budget + eps
        if self.spec.budget_per_year is not None:
            yearly = cost_year.copy()
            yearly[:, 0] += stock
            ok &= (yearly <= self.spec.budget_per_year + eps).all(-1)
        if self.spec.fund_cap is not None:
            ok &= liability <= self.spec.fund_cap + eps
        return ok


def improve_selection(a: RecourseArrays, spec: PortfolioSpec, feas: Feasibility,
                      choice: np.ndarray, z: np.ndarray, max_rounds: int = 50,
                      chunk: int = 256) -> tuple[np.ndarray, float]:
    """Best-improvement local search from ``choice[p]`` (package index, −1 for none).

    Returns the improved choice and its objective (without the cost tie-break).
    """
    n_p, n_k = a.available.shape
    none = n_k
    online = np.concatenate([a.online, np.zeros((n_p, 1, *a.online.shape[2:]))], 1)
    cost = np.concatenate([a.cost, np.zeros((n_p, 1, a.cost.shape[-1]))], 1)
    liability = np.concatenate([a.liability, np.zeros((n_p, 1))], 1)
    allowed = feas.allowed()
    touches = a.touches
    n_g = len(z)
    stock = float(a.stock_cost @ z)
    ch = np.where(choice >= 0, choice, none)
    rows = np.arange(n_p)
    w1, w2 = a.weights(spec)

    def losses(ch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cap_now = a.base + np.einsum("pgc,pts->gcts", a.cap, online[rows, ch])
        return cap_now, np.stack([calc_served_loss(w1[g], w2[g], a.dem[g], a.dfn[g], cap_now[g],
                                                   z[g])
                                  for g in range(n_g)])

    cap_now, loss_g = losses(ch)
    best = float(calc_objectives(loss_g.sum(0), a.w, spec)[0])
    for _ in range(max_rounds):
        p1, k1, p2, k2 = _candidate_moves(ch, allowed, feas, none)
        if not len(p1):
            break
        cy = cost[rows, ch].sum(0)[None] - cost[p1, ch[p1]] + cost[p1, k1] - cost[p2, ch[p2]] \
            + cost[p2, k2]
        lb = liability[rows, ch].sum() - liability[p1, ch[p1]] + liability[p1, k1] \
            - liability[p2, ch[p2]] + liability[p2, k2]
        ok = feas.check(cy, lb, stock)
        idx = np.flatnonzero(ok)
        if not len(idx):
            break
        new_loss = np.repeat(loss_g.sum(0)[None], len(idx), 0)
        for g in range(n_g):
            hit = idx[touches[p1[idx], g] | touches[p2[idx], g]]
            pos = np.searchsorted(idx, hit)
            for lo in range(0, len(hit), chunk):
                c = hit[lo:lo + chunk]
                sc = np.repeat(cap_now[g][None], len(c), 0)
                for pp, kk in ((p1[c], k1[c]), (p2[c], k2[c])):
                    dy = online[pp, kk] - online[pp, ch[pp]]
                    sc += a.cap[pp, g][:, :, None, None] * dy[:, None]
                moved = calc_served_loss(w1[g], w2[g], a.dem[g], a.dfn[g], sc, z[g])
                new_loss[pos[lo:lo + chunk]] += moved - loss_g[g]
        obj = calc_objectives(new_loss, a.w, spec) + spec.cost_weight * (
            cy[idx].sum(-1) - cost[rows, ch].sum())
        c = int(obj.argmin())
        if obj[c] >= best - 1e-12 * max(abs(best), 1.0):
            break
        m = idx[c]
        ch[p2[m]] = k2[m]
        ch[p1[m]] = k1[m]
        cap_now, loss_g = losses(ch)
        best = float(calc_objectives(loss_g.sum(0), a.w, spec)[0])
    return np.where(ch == none, -1, ch), best


def _candidate_moves(ch: np.ndarray, allowed: np.ndarray, feas: Feasibility, none: int
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Moves as arrays (p1, k1, p2, k2): one-project changes (add, drop, switch package), and
    swaps of a selected project for an unselected one. Index ``none`` means no award; a
    one-project change repeats its project, unchanged, as the second element."""
    n_p = len(ch)
    p1, k1, p2, k2 = [], [], [], []
    for p in range(n_p):
        if feas.force_out[p]:
            continue
        opts = [k for k in range(none) if allowed[p, k] and k != ch[p]]
        if ch[p] != none and not feas.force_in[p]:
            opts.append(none)
        for k in opts:
            p1.append(p), k1.append(k), p2.append(p), k2.append(ch[p])
    selected = [p for p in range(n_p) if ch[p] != none and not feas.force_in[p]]
    outside = [p for p in range(n_p) if ch[p] == none and not feas.force_out[p]]
    for p in selected:
        for q in outside:
            for k in range(none):
                if allowed[q, k]:
                    p1.append(p), k1.append(none), p2.append(q), k2.append(k)
    return (np.array(p1, int), np.array(k1, int), np.array(p2, int), np.array(k2, int))
