r"""Closed-form recourse of the portfolio model, per sample and element group.

Given the award selection :math:`x` and NDS purchases :math:`z`, each sample's second stage is
explicit: the adversary-free chain serves :math:`q_{gt} = \min_{st} f_{st}(B_{g,st,t} + \sum_p
C_{p,g,st}\, y_{pt})` with :math:`y_{pt} = \sum_k o_{pkt} x_{pk}`, and the loss of group *g* is

.. math:: \ell_{gs}(x, z) = w^{civ}\sum_t (D_{gt} - q_{gt} - A_{gts})^+ +
          (w^{def} - w^{civ}) \Big(\sum_t (D^{def}_{gt} - q_{gt} - A_{gts})^+ - z_g\Big)^+

(stockpile releases reduce defense shortfall tonne for tonne in any year). The sample loss is
:math:`\ell_s = \sum_g \ell_{gs}`. Each :math:`\ell_{gs}` is convex and piecewise linear in
:math:`(x, z_g)` (a positive part of a convex function of a concave minimum of affine maps) and
depends only on the projects that add capacity to group *g*: that separability is what lets
the Benders master keep one cut variable per sample block *and* group.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec

__all__ = ["RecourseArrays", "calc_dominated", "calc_group_recourse", "calc_objective",
           "calc_recourse", "calc_served_loss", "calc_year_recourse", "recourse_arrays"]


@dataclass
class RecourseArrays:
    """The portfolio inputs as plain arrays, in the order the recourse needs them."""

    online: np.ndarray  # p k t s
    cap: np.ndarray  # p g st (stage factor applied)
    base: np.ndarray  # g st t s (stage factor applied)
    dem: np.ndarray  # g t s  (demand less adversary supply)
    dfn: np.ndarray  # g t s  (defense demand less adversary supply)
    w: np.ndarray  # s
    cost: np.ndarray  # p k t
    liability: np.ndarray  # p k
    available: np.ndarray  # p k
    stock_cost: np.ndarray  # g
    stock_max: np.ndarray  # g
    stock_lot: np.ndarray | None = None  # g (t per lot; 0: any quantity)
    groups: tuple[str, ...] = ()  # g (names, for the objective's per-group weights)

    def weights(self, spec: PortfolioSpec) -> tuple[np.ndarray, np.ndarray]:
        """(w_civ, w_def − w_civ) per group (g)."""
        groups = self.groups or tuple(str(i) for i in range(self.dem.shape[0]))
        return spec.loss_weights(groups)

    @property
    def online_ptsk(self) -> np.ndarray:
        """``online`` laid out (p, t, s, k) for batched products (computed once)."""
        cached = self.__dict__.get("_online_ptsk")
        if cached is None:
            cached = np.ascontiguousarray(self.online.transpose(0, 2, 3, 1))
            self.__dict__["_online_ptsk"] = cached
        return cached

    @property
    def zscale(self) -> np.ndarray:
        """Tonnes per unit of the master's purchase variable: the lot size, or 1 (tonnes)."""
        lot = self.stock_lot if self.stock_lot is not None else np.zeros_like(self.stock_max)
        return np.where(lot > 0, lot, 1.0)

    @property
    def touches(self) -> np.ndarray:
        """touches[p, g]: project *p* adds capacity to group *g*."""
        return (self.cap > 0).any(2)


def recourse_arrays(inputs: PortfolioInputs) -> RecourseArrays:
    """Arrays of the recourse from the labelled inputs."""
    d = inputs.data
    f = d["stage_factor"]
    base = (d["base"] * f).broadcast_like(d["adversary_supply"]).transpose(
        "group", "stage", "year", "sample").values
    adv = d["adversary_supply"].transpose("group", "year", "sample").values
    return RecourseArrays(
        online=d["online"].transpose("project", "option", "year", "sample").values,
        cap=(d["capacity"] * f).transpose("project", "group", "stage").values,
        base=base,
        dem=d["demand"].transpose("group", "year").values[..., None] - adv,
        dfn=d["defense"].transpose("group", "year").values[..., None] - adv,
        w=d["weight"].values,
        cost=d["cost"].transpose("project", "option", "year").values,
        liability=d["liability"].transpose("project", "option").values,
        available=d["available"].transpose("project", "option").values.astype(bool),
        stock_cost=d["stockpile_cost"].values,
        stock_max=d["stockpile_max"].values,
        stock_lot=d["stockpile_lot"].values if "stockpile_lot" in d else None,
        groups=tuple(str(g) for g in d["group"].values))


def _served(a: RecourseArrays, x: np.ndarray, z: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shortfall (g t s), defense shortfall (g t s), defense excess over the stockpile (g s),
    and each project's capacity at its group's binding stage (p g t s; the smallest stage index
    where stages tie)."""
    y = np.einsum("pkts,pk->pts", a.online, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)
    star = stage_cap.argmin(1)  # g t s
    q = np.take_along_axis(stage_cap, star[:, None], 1)[:, 0]
    dshort = np.maximum(a.dfn - q, 0.0)
    cap_star = a.cap[:, np.arange(a.cap.shape[1])[:, None, None], star]  # p g t s
    return np.maximum(a.dem - q, 0.0), dshort, dshort.sum(1) - z[:, None], cap_star


def calc_group_recourse(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss ℓ[g, s] and subgradients with respect to x (g, s, p, k) and z_g (g, s).

    ``x`` may be fractional (a point of the relaxation); the subgradient then takes the binding
    stage with the smallest index where stages tie.
    """
    w1, w2 = a.weights(spec)
    short, dshort, excess, cap_star = _served(a, x, z)
    loss = w1[:, None] * short.sum(1) + w2[:, None] * np.maximum(excess, 0.0)
    # d loss / d q (g t s), then through the binding stage to y and x
    dq = -w1[:, None, None] * (short > 0) \
        - w2[:, None, None] * ((dshort > 0) & (excess > 0)[:, None, :])
    coef = dq[None] * cap_star  # p g t s
    gx = np.einsum("pgts,pkts->gspk", coef, a.online)
    gz = -w2[:, None] * (excess > 0).astype(float)  # g s
    return loss, gx, gz


def calc_year_recourse(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray,
                       weights: np.ndarray | None = None
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The expected loss split into parts, with subgradients: (ℓ_s, L[b, g, j],
    G[b, g, j, p, k], H[b, g, j]) for sample blocks with ``weights[b, s]`` (default: one block,
    the sample weights).

    Part *j* < T of group *g* is the civilian shortfall of year *t* = *j*,
    :math:`w^{civ} \sum_s \omega_{bs} (D_{gts} - q_{gts})^+`; part T is the defense excess over
    the stockpile, :math:`(w^{def} - w^{civ}) \sum_s \omega_{bs} (\sum_t (D^{def}_{gts} -
    q_{gts})^+ - z_g)^+`. Each part is convex in (x, z_g), and the parts sum to the expected
    loss. The civilian term of one year depends only on the packages online by then, so a cut
    per (group, year) keeps far more of the loss's shape than one cut per group (risk-neutral
    master only: the CVaR term needs per-sample losses).
    """
    om = a.w[None] if weights is None else weights
    w1, w2 = a.weights(spec)
    y = np.einsum("pkts,pk->pts", a.online, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)
    star = stage_cap.argmin(1)  # g t s
    q = np.take_along_axis(stage_cap, star[:, None], 1)[:, 0]
    short = np.maximum(a.dem - q, 0.0)
    dshort = np.maximum(a.dfn - q, 0.0)
    excess = dshort.sum(1) - z[:, None]
    n_b, (n_g, n_t) = len(om), short.shape[:2]
    value = np.empty((n_b, n_g, n_t + 1))
    value[..., :n_t] = w1[None, :, None] * np.einsum("gts,bs->bgt", short, om)
    value[..., n_t] = w2[None, :] * (om @ np.maximum(excess, 0.0).T)
    grad = np.zeros((n_b, n_g, n_t + 1, *x.shape))
    # per group, only the projects that add capacity to it; batched matrix products over
    # (p, t) of (1 × s) @ (s × k), with online laid out (p, t, s, k)
    on = a.online_ptsk
    touches = a.touches
    for g in range(n_g):
        ps = np.flatnonzero(touches[:, g])
        if not len(ps):
            continue
        cs = a.cap[ps, g][:, star[g]]  # p t s: capacity at the binding stage
        civ = -w1[g] * (short[g] > 0) * cs
        dfn = -w2[g] * ((dshort[g] > 0) & (excess[g] > 0)[None, :]) * cs
        on_g = on[ps]
        for b in range(n_b):
            grad[b, g, :n_t, ps] = np.matmul((civ * om[b])[:, :, None, :], on_g)[:, :, 0]
            grad[b, g, n_t, ps] = np.matmul((dfn * om[b])[:, :, None, :], on_g)[:, :, 0].sum(1)
    gz = np.zeros((n_b, n_g, n_t + 1))
    gz[..., n_t] = -w2[None, :] * (om @ (excess > 0).T)
    loss = (w1[:, None] * short.sum(1) + w2[:, None] * np.maximum(excess, 0.0)).sum(0)
    return loss, value, grad, gz


def calc_served_loss(w1: np.ndarray | float, w2: np.ndarray | float, dem: np.ndarray,
                     dfn: np.ndarray, stage_cap: np.ndarray, z: np.ndarray | float
                     ) -> np.ndarray:
    """ℓ from stage capacities ``stage_cap[..., st, t, s]`` (served = the smallest stage), the
    demand and defense demand left after adversary supply (``[..., t, s]``) and NDS purchases
    ``z``; ``w1`` (civilian weight), ``w2`` (defense − civilian) and ``z`` broadcast against
    ``[..., s]``."""
    q = stage_cap.min(-3)
    short = np.maximum(dem - q, 0.0).sum(-2)
    excess = np.maximum(dfn - q, 0.0).sum(-2) - z
    return w1 * short + w2 * np.maximum(excess, 0.0)


def calc_recourse(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray
                  ) -> np.ndarray:
    """Loss per sample ℓ_s = Σ_g ℓ_gs of a selection ``x[p, k]`` and purchases ``z[g]``."""
    y = np.einsum("pkts,pk->pts", a.online, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)
    w1, w2 = a.weights(spec)
    return calc_served_loss(w1[:, None], w2[:, None], a.dem, a.dfn, stage_cap,
                            z[:, None]).sum(0)


def calc_objective(a: RecourseArrays, spec: PortfolioSpec, loss: np.ndarray) -> float:
    """(1 − λ)·E[ℓ] + λ·CVaR_α[ℓ] of per-sample losses (the expectation alone without CVaR)."""
    from reeplan.optimize.evaluate import calc_cvar

    expected = float((loss * a.w).sum())
    if spec.cvar_alpha is None:
        return expected
    return (1 - spec.cvar_lambda) * expected + spec.cvar_lambda * calc_cvar(
        loss, a.w, spec.cvar_alpha)


def calc_dominated(a: RecourseArrays, spec: PortfolioSpec) -> np.ndarray:
    """dominated[p, k]: another package of the same project is at least as good in every way.

    Package *j* dominates *k* when it brings the capacity online at least as much in every year
    and sample, costs no more (in total, and in every year when there is a yearly budget), and
    obligates no more DPA Fund authority. Shortfall never rises with capacity, so some optimum
    never uses *k*: dropping it is a valid reduction. Of identical packages the first is kept.
    """
    n_p, n_k = a.available.shape
    total = a.cost.sum(-1)
    out = np.zeros((n_p, n_k), bool)
    for p in range(n_p):
        for k, j in itertools.permutations(range(n_k), 2):
            if not (a.available[p, j] and a.available[p, k]) or out[p, j]:
                continue
            cheaper = total[p, j] <= total[p, k] and a.liability[p, j] <= a.liability[p, k]
            if spec.budget_per_year is not None:
                cheaper = cheaper and bool((a.cost[p, j] <= a.cost[p, k]).all())
            if cheaper and bool((a.online[p, j] >= a.online[p, k]).all()):
                same = (total[p, j] == total[p, k] and a.liability[p, j] == a.liability[p, k]
                        and bool((a.online[p, j] == a.online[p, k]).all()))
                if not same or j < k:
                    out[p, k] = True
    return out
