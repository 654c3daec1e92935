r"""Benders (L-shaped) decomposition of the portfolio model for large instances.

The recourse is explicit and separable by element group (:mod:`reeplan.optimize.recourse`), so
the master MILP over the awards keeps one cut variable :math:`\theta_{bg}` per sample block *b*
and group *g*, split further by part (each year's civilian loss and the defense excess) when
risk-neutral, or per sample and group with a CVaR term, and subgradient cuts

.. math:: \theta_{bg} \ge \ell_{bg}(\hat x, \hat z) + g_{bg}^\top (x - \hat x) +
          h_{bg}(z_g - \hat z_g)

that involve only the projects adding capacity to *g* (multi-cut L-shaped method, Van Slyke &
Wets 1969; disaggregated cuts, Birge & Louveaux 1988), risk-neutral tightened for binary awards
(:mod:`reeplan.optimize.cuts`). The loop:

1. **LP phase**: solve the master's LP relaxation and add cuts until it converges; this gives
   the LP bound cheaply and a set of cuts around the relaxed optimum.
2. **Incumbent**: local search (:mod:`reeplan.optimize.heuristic`) from the empty selection and
   from the rounded LP point gives a feasible portfolio (the upper bound); cuts are added there.
3. **MILP phase**: solve the master MILP (HiGHS, objective cutoff = incumbent less the gap)
   for a lower bound and a candidate; add cuts at the candidate and at its local-search
   improvement; stop when the gap between the best portfolio's exact objective and the
   master's bound is within ``spec.mip_gap`` (or at the time limit, reporting the gap
   reached). The first master MILPs are *quick*: they stop at the first portfolio below the
   cutoff, so cuts accumulate where the master still errs at a fraction of the cost of a full
   branch-and-bound (whose bound is still valid when stopped early); once a quick solve
   becomes slow, or half the time is gone, full solves prove the gap. A warm start (the
   frontier's previous optimum, with the master's cuts from earlier budgets) goes straight to
   full solves.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np

from reeplan.optimize.heuristic import Feasibility, improve_selection
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec
from reeplan.optimize.master import BendersMaster
from reeplan.optimize.recourse import (
    RecourseArrays,
    calc_dominated,
    calc_objective,
    recourse_arrays,
)

__all__ = ["BendersResult", "BendersSolver", "solve_benders"]

# quick master solves (stop at the first portfolio under the cutoff) for at most this share of
# the time, and only while each takes at most QUICK_SOLVE of it; then full solves prove the gap
QUICK_PHASE, QUICK_SOLVE = 0.5, 0.05
SEARCH_SAMPLES = 300
"""Samples the local search works on (all of them on smaller instances)."""


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
    log: list[dict[str, float]] = field(default_factory=list)


def _choice_to_x(choice: np.ndarray, n_k: int) -> np.ndarray:
    x = np.zeros((len(choice), n_k))
    sel = choice >= 0
    x[np.flatnonzero(sel), choice[sel]] = 1.0
    return x


class BendersSolver:
    """A Benders master with its cuts, reusable across budgets (the frontier warm start: cuts
    do not depend on the budget, and the optimum at a smaller budget is feasible at a larger)."""

    def __init__(self, inputs: PortfolioInputs, spec: PortfolioSpec, blocks: int = 1) -> None:
        self.spec = spec
        self.a = a = recourse_arrays(inputs)
        self.projects = inputs.projects
        n_s = len(a.w)
        block_of = np.arange(n_s) * min(blocks, n_s) // n_s  # the master keeps samples with CVaR
        self.pruned = calc_dominated(a, spec)
        # sample aggregation for the local search: on large instances it runs on a fixed
        # subsample of SEARCH_SAMPLES samples (reweighted); its moves are then evaluated
        # exactly on every sample, so only the search, not the bound, is approximate
        self.a_search = _subsample(a, SEARCH_SAMPLES)
        self.master = BendersMaster(a, spec, self.projects, block_of, self.pruned)
        n_p, n_k = a.available.shape
        self.master.add_cuts(np.zeros((n_p, n_k)), np.zeros(self.master.n_g))
        self.master.add_cuts(a.available / np.maximum(a.available.sum(1, keepdims=True), 1),
                             a.stock_max.astype(float))
        # integer points already cut, with their per-sample losses: a point offered again (the
        # previous budget's optimum along a frontier, the empty selection) adds no duplicate
        # cuts (cuts do not depend on the budget)
        self.seen: dict[bytes, np.ndarray] = {}

    def feas_search(self, feas: Feasibility) -> Feasibility:
        """The feasibility rules on the local search's arrays."""
        return Feasibility(feas.spec, self.a_search, feas.force_in, feas.force_out,
                           feas.pruned)

    def solve(self, budget: float | None = None, start: tuple[np.ndarray, np.ndarray] | None
              = None, max_iterations: int = 400,
              progress: Callable[[dict[str, float]], None] | None = None,
              time_limit: float | None = None) -> BendersResult:
        """Solve at ``budget`` (default: the spec's), optionally from a feasible ``start``,
        within ``time_limit`` seconds (default: the spec's)."""
        update = {k: v for k, v in (("budget", budget), ("time_limit", time_limit))
                  if v is not None}
        spec = self.spec.model_copy(update=update) if update else self.spec
        return _loop(self, spec, start, max_iterations, progress)


def solve_benders(inputs: PortfolioInputs, spec: PortfolioSpec, max_iterations: int = 400,
                  blocks: int = 1, progress: Callable[[dict[str, float]], None] | None = None
                  ) -> BendersResult:
    """Multi-cut L-shaped method with group-disaggregated cuts and a local-search incumbent.

    Risk-neutral, samples are grouped into ``blocks`` with one cut variable per block, group
    and part (each year's civilian loss, the defense excess; one block solved the benchmark
    fastest); with a CVaR term every sample keeps its own cut variable per group.
    """
    return BendersSolver(inputs, spec, blocks).solve(max_iterations=max_iterations,
                                                     progress=progress)


def _loop(solver: BendersSolver, spec: PortfolioSpec, start: tuple[np.ndarray, np.ndarray]
          | None, max_iterations: int, progress: Callable[[dict[str, float]], None] | None
          ) -> BendersResult:
    t0 = time.perf_counter()
    a, master, projects = solver.a, solver.master, solver.projects
    master.set_budget(spec.budget)
    cuts0 = master.cuts
    n_p, n_k = a.available.shape
    feas = Feasibility(spec, a, np.array([p in spec.force_in for p in projects]),
                       np.array([p in spec.force_out for p in projects]), solver.pruned)
    tiebreak_x = spec.cost_weight * a.cost.sum(-1)
    log: list[dict[str, float]] = []

    def exact(x: np.ndarray, z: np.ndarray, loss: np.ndarray) -> float:
        return calc_objective(a, spec, loss) + float((tiebreak_x * x).sum()) + \
            spec.cost_weight * float(a.stock_cost @ z)

    z0 = np.zeros(master.n_g)
    best: tuple[float, np.ndarray, np.ndarray] | None = None

    def offer(x: np.ndarray, z: np.ndarray, search: bool, theta: np.ndarray | None = None
              ) -> None:
        """Evaluate a feasible integer point (and its local-search improvement); add cuts (with
        the master's ``theta`` there, only those it violates: the master's own candidate is
        always re-cut, so dropped cuts return where they matter)."""
        nonlocal best
        key = np.concatenate([x.ravel(), z]).tobytes()
        loss = solver.seen.get(key)
        if loss is None or theta is not None:
            loss = solver.seen[key] = master.add_cuts(x, z, theta)
        value = exact(x, z, loss)
        if best is None or value < best[0]:
            best = (value, x, z)
        if search and left() > reserve:
            choice = np.where(x.max(1) > 0.5, x.argmax(1), -1)
            choice2, _ = improve_selection(solver.a_search, spec, solver.feas_search(feas),
                                           choice, z)
            if not np.array_equal(choice2, choice):
                offer(_choice_to_x(choice2, n_k), z, search=False)

    def left() -> float:
        return spec.time_limit - (time.perf_counter() - t0)

    # time kept back from the master for evaluating and improving its last candidate
    reserve = min(2.0, 0.05 * spec.time_limit)

    status, lower, it = "iteration_limit", -np.inf, 0
    integer = quick = False
    master.set_integer(False)
    for it in range(1, max_iterations + 1):
        if left() <= 0:
            status = "time_limit"
            break
        if not integer:
            st, bound, x, z, theta = master.solve(left(), False, None)
            if st in ("infeasible", "nosolution"):
                status = "infeasible" if st == "infeasible" else "time_limit"
                break
            before = master.cuts
            loss = master.add_cuts(x, z, theta)
            value = calc_objective(a, spec, loss)
            log.append({"iteration": it, "phase": 0, "bound": bound, "upper": np.nan,
                        "seconds": time.perf_counter() - t0})
            # the LP phase only gathers cuts: it ends when the relaxation is converged, adds
            # nothing new, or has had a quarter of the time
            converged = value - bound <= 0.1 * spec.mip_gap * max(abs(value), 1e-9)
            if not converged and master.cuts > before and \
                    time.perf_counter() - t0 < 0.25 * spec.time_limit:
                continue
            # LP converged: incumbents from the start, the empty selection and the rounded LP
            integer, quick = True, start is None  # warm: straight to full solves
            master.set_integer(True)
            started = start is not None and _feasible(feas, a, *start)
            if started:
                offer(*start, search=True)
            if not feas.force_in.any() and not started:  # a feasible start searches better
                offer(np.zeros((n_p, n_k)), z0, search=True)
            rounded = np.where((x.max(1) > 0.5) | feas.force_in, x.argmax(1), -1)
            cand = _choice_to_x(rounded, n_k)
            z = _whole_lots(a, z, np.floor)
            if _feasible(feas, a, cand, z):
                offer(cand, z, search=True)
            continue
        # only a portfolio better than the incumbent by more than the gap matters: the master
        # prunes every node above that cutoff, and proves the gap when it finds none
        cutoff = (best[0] - spec.mip_gap * abs(best[0]) * 0.999) if best is not None else None
        quick = quick and cutoff is not None and \
            time.perf_counter() - t0 < QUICK_PHASE * spec.time_limit
        started = time.perf_counter()
        st, bound, x, z, theta = master.solve(left() - reserve, True, cutoff, quick)
        quick = quick and time.perf_counter() - started <= QUICK_SOLVE * spec.time_limit
        if st == "infeasible":
            status = "infeasible"
            break
        if np.isfinite(bound):
            # with a cutoff the master bounds only the portfolios below it
            lower = max(lower, bound if cutoff is None else min(bound, cutoff))
        if st in ("optimal", "limit"):
            xr, zr = np.round(x), _whole_lots(a, z, np.round)
            exact_point = np.abs(x - xr).max() < 1e-6 and np.abs(z - zr).max() < 1e-6
            offer(xr, zr, search=True, theta=theta if exact_point else None)
            for ox, oz in master.pool[:-1]:  # improving solutions found on the way
                offer(np.round(ox), _whole_lots(a, oz, np.round), search=False)
        if best is not None:
            entry = {"iteration": it, "phase": 1, "bound": lower, "upper": best[0],
                     "seconds": time.perf_counter() - t0}
            log.append(entry)
            if progress is not None:
                progress(entry)
            if best[0] - lower <= spec.mip_gap * max(abs(best[0]), 1e-9):
                status = "optimal"
                break
        if st == "cutoff":  # nothing better than the cutoff exists under the cuts
            lower = max(lower, cutoff) if cutoff is not None else lower
            status = "optimal"
            break
    seconds = time.perf_counter() - t0
    if best is None:
        return BendersResult(np.zeros((n_p, n_k)), z0, np.inf, lower, it, master.cuts - cuts0,
                             seconds, status, log)
    return BendersResult(best[1], best[2], best[0], min(lower, best[0]), it,
                         master.cuts - cuts0, seconds, status, log)


def _subsample(a: RecourseArrays, n: int) -> RecourseArrays:
    """``a`` on an evenly spaced subsample of ``n`` samples, weights rescaled to sum to 1."""
    n_s = len(a.w)
    if n_s <= n:
        return a
    idx = np.linspace(0, n_s - 1, n).round().astype(int)
    w = a.w[idx] / a.w[idx].sum()
    return replace(a, online=a.online[..., idx], base=a.base[..., idx], dem=a.dem[..., idx],
                   dfn=a.dfn[..., idx], w=w)


def _whole_lots(a: RecourseArrays, z: np.ndarray, how: Callable[[np.ndarray], np.ndarray]
                ) -> np.ndarray:
    """NDS purchases rounded (``how``: floor or round) to whole lots where lots are set."""
    if a.stock_lot is None:
        return z
    lots = a.stock_lot > 0
    return np.where(lots, how(z / a.zscale + 1e-9) * a.zscale, z)


def _feasible(feas: Feasibility, a: RecourseArrays, x: np.ndarray, z: np.ndarray) -> bool:
    if (x[feas.force_out] > 0).any() or (x.sum(1)[feas.force_in] < 1).any():
        return False
    if (x > 0).any() and not feas.allowed()[x > 0].all():
        return False
    cost_year = np.einsum("pkt,pk->t", a.cost, x)[None]
    liability = np.array([float((a.liability * x).sum())])
    return bool(feas.check(cost_year, liability, float(a.stock_cost @ z))[0])
