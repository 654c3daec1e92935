r"""Benders (L-shaped) decomposition of the portfolio model for large instances.

Given the award selection :math:`x` and NDS purchases :math:`z`, each sample's recourse is
explicit (see :mod:`reeplan.optimize.evaluate`): the adversary-free chain serves
:math:`q_{gt} = \min_{st} f_{st}(B_{g,st,t} + \sum_p C_{p,g,st}\, y_{pt})` with
:math:`y_{pt} = \sum_k o_{pkt} x_{pk}`, and

.. math:: \ell_s(x, z) = \sum_{g}\Big[ w^{civ}\sum_t (D_{gt} - q_{gt} - A_{gt})^+ +
          (w^{def} - w^{civ}) \Big(\sum_t (D^{def}_{gt} - q_{gt} - A_{gt})^+ - z_g\Big)^+ \Big]

(releases of the stockpile reduce defense shortfall tonne for tonne in any year). :math:`\ell_s`
is convex and piecewise linear in :math:`(x, z)`, so a master MILP over the awards with one
variable :math:`\theta_s` per sample and subgradient cuts
:math:`\theta_s \ge \ell_s(\hat x, \hat z) + g_s^\top (x - \hat x) + h_s^\top (z - \hat z)`
converges to the same optimum as the extensive form (multi-cut L-shaped method, Van Slyke & Wets
1969). The master is solved with HiGHS through highspy, adding cuts between solves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import highspy
import numpy as np

from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec

__all__ = ["BendersResult", "calc_recourse", "solve_benders"]


@dataclass
class _Arrays:
    online: np.ndarray  # p k t s
    cap: np.ndarray  # p g st (stage factor applied)
    base: np.ndarray  # g st t s (stage factor applied)
    dem: np.ndarray  # g t s
    dfn: np.ndarray  # g t s
    w: np.ndarray  # s
    cost: np.ndarray  # p k t
    liability: np.ndarray  # p k
    available: np.ndarray  # p k
    stock_cost: np.ndarray  # g
    stock_max: np.ndarray  # g


def _arrays(inputs: PortfolioInputs) -> _Arrays:
    d = inputs.data
    f = d["stage_factor"]
    base = (d["base"] * f).broadcast_like(d["adversary_supply"]).transpose(
        "group", "stage", "year", "sample").values
    adv = d["adversary_supply"].transpose("group", "year", "sample").values
    return _Arrays(
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
        stock_max=d["stockpile_max"].values)


def calc_recourse(a: _Arrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss per sample and its subgradients with respect to x (s, p, k) and z (s, g)."""
    w1 = spec.civil_weight
    w2 = spec.defense_weight - spec.civil_weight
    y = np.einsum("pkts,pk->pts", a.online, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)
    star = stage_cap.argmin(1)  # g t s
    q = np.take_along_axis(stage_cap, star[:, None], 1)[:, 0]
    short = np.maximum(a.dem - q, 0.0)
    dshort = np.maximum(a.dfn - q, 0.0)
    dsum = dshort.sum(1)  # g s
    excess = dsum - z[:, None]
    loss = w1 * short.sum((0, 1)) + w2 * np.maximum(excess, 0.0).sum(0)
    # d loss / d q (g t s), then through the binding stage to y and x
    dq = -w1 * (short > 0) - w2 * ((dshort > 0) & (excess > 0)[:, None, :])
    cap_star = np.take_along_axis(a.cap[:, :, :, None, None],
                                  star[None, :, None, :, :], 2)[:, :, 0]  # p g t s
    coef = np.einsum("gts,pgts->pts", dq, cap_star)
    gx = np.einsum("pts,pkts->spk", coef, a.online)
    gz = -(w2 * (excess > 0)).T  # s g
    return loss, gx, gz


@dataclass
class BendersResult:
    """Selection, purchases, bounds and iteration log of a Benders solve."""

    x: np.ndarray
    z: np.ndarray
    upper: float
    lower: float
    iterations: int
    cuts: int
    seconds: float
    status: str


def _objective(a: _Arrays, spec: PortfolioSpec, loss: np.ndarray) -> float:
    from reeplan.optimize.evaluate import calc_cvar

    expected = float((loss * a.w).sum())
    if spec.cvar_alpha is None:
        return expected
    return (1 - spec.cvar_lambda) * expected + spec.cvar_lambda * calc_cvar(
        loss, a.w, spec.cvar_alpha)


def solve_benders(inputs: PortfolioInputs, spec: PortfolioSpec, max_iterations: int = 400,
                  blocks: int = 16) -> BendersResult:
    """Multi-cut L-shaped method: master MILP (HiGHS) + closed-form recourse per sample.

    Samples are grouped into ``blocks`` with one cut variable each (risk-neutral objective);
    with a CVaR term every sample keeps its own cut variable, as CVaR needs per-sample losses.
    """
    t0 = time.perf_counter()
    a = _arrays(inputs)
    n_p, n_k = a.available.shape
    n_g = len(a.stock_max)
    n_samples = len(a.w)
    if spec.cvar_alpha is not None or n_samples <= blocks:
        block_of = np.arange(n_samples)
    else:
        block_of = np.arange(n_samples) * blocks // n_samples
    n_s = int(block_of.max()) + 1
    wb = np.bincount(block_of, weights=a.w, minlength=n_s)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", spec.mip_gap / 4)
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    total_cost = a.cost.sum(-1)
    # columns: x (p*k), z (g), theta (s), [eta, xi (s)]
    nx = n_p * n_k
    for i in range(nx):
        p, k = divmod(i, n_k)
        ub = 1.0 if a.available[p, k] else 0.0
        h.addVar(0.0, ub)
        h.changeColCost(i, spec.cost_tiebreak * total_cost[p, k])
    zcol = nx
    for g in range(n_g):
        h.addVar(0.0, float(a.stock_max[g]))
        h.changeColCost(zcol + g, spec.cost_tiebreak * a.stock_cost[g])
    tcol = zcol + n_g
    cvar = spec.cvar_alpha is not None
    lam = spec.cvar_lambda if cvar else 0.0
    for s in range(n_s):
        h.addVar(0.0, inf)
        h.changeColCost(tcol + s, (1 - lam) * wb[s])
    if cvar:
        ecol = tcol + n_s
        h.addVar(-inf, inf)
        h.changeColCost(ecol, lam)
        for s in range(n_s):
            h.addVar(0.0, inf)
            h.changeColCost(ecol + 1 + s, lam * wb[s] / (1 - spec.cvar_alpha))
            # xi_s - theta_s + eta >= 0
            h.addRow(0.0, inf, 3, np.array([ecol + 1 + s, tcol + s, ecol], np.int32),
                     np.array([1.0, -1.0, 1.0]))
    _static_rows(h, a, spec, inputs, n_k, zcol)

    def add_cuts(x: np.ndarray, z: np.ndarray, theta: np.ndarray | None) -> tuple[np.ndarray, int]:
        loss_s, gx_s, gz_s = calc_recourse(a, spec, x, z)
        ws = (a.w / wb[block_of])
        loss = np.bincount(block_of, weights=ws * loss_s, minlength=n_s)
        gx = np.zeros((n_s, *gx_s.shape[1:]))
        np.add.at(gx, block_of, ws[:, None, None] * gx_s)
        gz = np.zeros((n_s, gz_s.shape[1]))
        np.add.at(gz, block_of, ws[:, None] * gz_s)
        added = 0
        for s in range(n_s):
            if theta is not None and theta[s] >= loss[s] - 1e-7 * max(1.0, abs(loss[s])):
                continue
            coef_x = gx[s].ravel()
            rhs = loss[s] - coef_x @ x.ravel() - gz[s] @ z
            idx = np.concatenate([np.arange(nx), zcol + np.arange(n_g), [tcol + s]])
            val = np.concatenate([-coef_x, -gz[s], [1.0]])
            keep = val != 0
            h.addRow(float(rhs), inf, int(keep.sum()), idx[keep].astype(np.int32), val[keep])
            added += 1
        return loss_s, added

    cuts = 0
    x0 = np.zeros((n_p, n_k))
    z0 = np.zeros(n_g)
    loss0, c = add_cuts(x0, z0, None)
    cuts += c
    best = (_objective(a, spec, loss0) + spec.cost_tiebreak * 0.0, x0, z0)
    full = a.available.astype(float) / np.maximum(a.available.sum(1, keepdims=True), 1)
    _, c = add_cuts(full, a.stock_max.astype(float), None)
    cuts += c
    # phase 1: cuts from the LP relaxation (cheap master solves), phase 2: the MILP
    integer = np.full(nx, highspy.HighsVarType.kInteger)
    continuous = np.full(nx, highspy.HighsVarType.kContinuous)
    cols = np.arange(nx, dtype=np.int32)
    h.changeColsIntegrality(nx, cols, continuous)
    relaxed = True
    lower = -np.inf
    status = "iteration_limit"
    it = 0
    for it in range(1, max_iterations + 1):  # noqa: B007 - the count is reported
        if time.perf_counter() - t0 > spec.time_limit:
            status = "time_limit"
            break
        h.run()
        if h.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            status = "infeasible"
            break
        sol = np.array(h.getSolution().col_value)
        bound = float(h.getInfo().objective_function_value if relaxed
                      else h.getInfo().mip_dual_bound)
        x = sol[:nx].reshape(n_p, n_k)
        if not relaxed:
            x = np.round(x)
            lower = max(lower, bound)
        z = sol[zcol:zcol + n_g]
        theta = sol[tcol:tcol + n_s]
        loss, c = add_cuts(x, z, theta)
        cuts += c
        value = _objective(a, spec, loss) + spec.cost_tiebreak * (
            float((total_cost * x).sum()) + float(a.stock_cost @ z))
        if relaxed:
            if value - bound <= 0.1 * spec.mip_gap * max(abs(value), 1e-9) or c == 0:
                relaxed = False
                h.changeColsIntegrality(nx, cols, integer)
            continue
        if value < best[0]:
            best = (value, x, z.copy())
        if best[0] - lower <= spec.mip_gap * max(abs(best[0]), 1e-9) or c == 0:
            status = "optimal"
            break
    return BendersResult(best[1], best[2], best[0], lower, it, cuts,
                         time.perf_counter() - t0, status)


def _static_rows(h: highspy.Highs, a: _Arrays, spec: PortfolioSpec, inputs: PortfolioInputs,
                 n_k: int, zcol: int) -> None:
    """One package per project, forced projects, budgets, DPA Fund, per-project limit."""
    inf = highspy.kHighsInf
    n_p = a.available.shape[0]
    projects = inputs.projects
    for p in range(n_p):
        idx = np.arange(p * n_k, (p + 1) * n_k, dtype=np.int32)
        lo = 1.0 if projects[p] in spec.force_in else 0.0
        hi = 0.0 if projects[p] in spec.force_out else 1.0
        h.addRow(lo, hi, n_k, idx, np.ones(n_k))
    n_g = len(a.stock_max)
    all_x = np.arange(n_p * n_k, dtype=np.int32)
    zidx = zcol + np.arange(n_g, dtype=np.int32)
    total = a.cost.sum(-1).ravel()
    h.addRow(-inf, spec.budget, len(all_x) + n_g, np.concatenate([all_x, zidx]),
             np.concatenate([total, a.stock_cost]))
    if spec.budget_per_year is not None:
        for t in range(a.cost.shape[-1]):
            vals = a.cost[..., t].ravel()
            if t == 0:
                h.addRow(-inf, spec.budget_per_year, len(all_x) + n_g,
                         np.concatenate([all_x, zidx]), np.concatenate([vals, a.stock_cost]))
            else:
                h.addRow(-inf, spec.budget_per_year, len(all_x), all_x, vals)
    if spec.fund_cap is not None and a.liability.sum() > 0:
        h.addRow(-inf, spec.fund_cap, len(all_x), all_x, a.liability.ravel())
    if spec.max_per_project is not None:
        too_big = (a.cost.sum(-1) > spec.max_per_project).ravel()
        for i in np.flatnonzero(too_big):
            h.changeColBounds(int(i), 0.0, 0.0)
