"""The Benders master problem in HiGHS: awards, NDS purchases and one cut variable per sample
block and element group; cuts are added as rows between solves."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator

import highspy
import numpy as np

from reeplan.optimize.cuts import calc_year_cuts
from reeplan.optimize.inputs import PortfolioSpec
from reeplan.optimize.recourse import RecourseArrays, calc_group_recourse

__all__ = ["BendersMaster", "quiet_stdout"]


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 (HiGHS prints its banner there when a solver is created, which
    would corrupt ``--json`` output)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


FULL_SOLVE_OPTIONS = {"mip_allow_restart": (True, False), "mip_pscost_minreliable": (8, 2)}
"""HiGHS options (quick solve, full solve). A full solve mostly proves that no portfolio beats
the cutoff: restarts after root reduced-cost fixing and strong branching until pseudo-costs are
reliable cost more than they save there (on master models saved from the benchmark, 25-45 %
less time); quick solves keep HiGHS's defaults, which find a first portfolio sooner."""


class BendersMaster:
    """The master problem in HiGHS: x (p·k), z (g), θ (b·g), [η, ξ (b)]."""

    def __init__(self, a: RecourseArrays, spec: PortfolioSpec, projects: list[str],
                 block_of: np.ndarray, pruned: np.ndarray | None = None) -> None:
        self.a, self.spec = a, spec
        n_p, n_k = a.available.shape
        self.n_p, self.n_k, self.n_g = n_p, n_k, len(a.stock_max)
        if spec.cvar_alpha is not None:  # the CVaR term needs every sample's own loss
            block_of = np.arange(len(a.w))
        self.block_of = block_of
        self.n_b = int(block_of.max()) + 1
        self.wb = np.bincount(block_of, weights=a.w, minlength=self.n_b)
        with quiet_stdout():
            self.h = h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_improving_solution_save", True)
        # a wall-clock deadline through the MIP interrupt callback: HiGHS's own time limit is
        # measured against a run clock that is not always reset between runs
        self.deadline = float("inf")
        h.setCallback(self._interrupt, None)
        h.startCallback(highspy.cb.HighsCallbackType.kCallbackMipInterrupt)
        inf = highspy.kHighsInf
        self.nx = nx = n_p * n_k
        total = a.cost.sum(-1)
        allowed = a.available.copy() if pruned is None else a.available & ~pruned
        if spec.max_per_project is not None:
            allowed &= total <= spec.max_per_project
        h.addVars(nx, np.zeros(nx), allowed.ravel().astype(float))
        self.zcol = nx
        # NDS purchases: in lots (an integer count of lots) where a lot size is given, else
        # in tonnes; zscale converts the column to tonnes
        self.zscale = a.zscale
        self.zlots = (a.stock_lot > 0 if a.stock_lot is not None
                      else np.zeros(self.n_g, bool))
        h.addVars(self.n_g, np.zeros(self.n_g),
                  np.where(self.zlots, np.floor(a.stock_max / self.zscale + 1e-9),
                           a.stock_max).astype(float))
        self.tcol = nx + self.n_g
        cvar = spec.cvar_alpha is not None
        # risk-neutral: a cut variable per (block, group, part), the parts being the civilian
        # loss of each year and the defense excess (calc_year_recourse); with CVaR one per
        # (sample, group)
        self.n_parts = a.cost.shape[-1] + 1 if not cvar else 1
        n_t = self.n_b * self.n_g * self.n_parts
        h.addVars(n_t, np.zeros(n_t), np.full(n_t, inf))
        lam = spec.cvar_lambda if cvar else 0.0
        costs = np.concatenate([spec.cost_weight * total.ravel(),
                                spec.cost_weight * a.stock_cost * self.zscale,
                                np.repeat((1 - lam) * self.wb, self.n_g * self.n_parts)])
        h.changeColsCost(len(costs), np.arange(len(costs), dtype=np.int32), costs)
        if cvar:
            ecol = self.tcol + n_t
            h.addVar(-inf, inf)
            h.changeColCost(ecol, lam)
            for b in range(self.n_b):
                h.addVar(0.0, inf)
                h.changeColCost(ecol + 1 + b, lam * self.wb[b] / (1 - spec.cvar_alpha))
                # ξ_b − Σ_g θ_bg + η ≥ 0
                idx = [ecol + 1 + b, *(self.theta(b, g) for g in range(self.n_g)), ecol]
                h.addRow(0.0, inf, len(idx), np.array(idx, np.int32),
                         np.array([1.0, *([-1.0] * self.n_g), 1.0]))
        self._static_rows(projects)
        self.touch_cols = [np.flatnonzero(np.repeat(a.touches[:, g], n_k))
                           for g in range(self.n_g)]
        self.cuts = 0
        self.master_gap = spec.mip_gap / 4

    def _interrupt(self, kind: object, message: str, data_out: object, data_in: object,
                   user: object) -> None:
        # set both ways: HiGHS keeps the flag from the last callback of the previous run, so a
        # run after one that was interrupted would otherwise stop at its first callback
        data_in.user_interrupt = time.perf_counter() > self.deadline

    def theta(self, b: int, g: int, j: int = 0) -> int:
        return self.tcol + (b * self.n_g + g) * self.n_parts + j

    def _static_rows(self, projects: list[str]) -> None:
        """One package per project, forced projects, budgets, DPA Fund."""
        a, spec, h, n_k = self.a, self.spec, self.h, self.n_k
        inf = highspy.kHighsInf
        for p in range(self.n_p):
            idx = np.arange(p * n_k, (p + 1) * n_k, dtype=np.int32)
            lo = 1.0 if projects[p] in spec.force_in else 0.0
            hi = 0.0 if projects[p] in spec.force_out else 1.0
            h.addRow(lo, hi, n_k, idx, np.ones(n_k))
        all_x = np.arange(self.nx, dtype=np.int32)
        zidx = self.zcol + np.arange(self.n_g, dtype=np.int32)
        both = np.concatenate([all_x, zidx])
        self.budget_row = h.getNumRow()
        h.addRow(-inf, spec.budget, len(both), both,
                 np.concatenate([a.cost.sum(-1).ravel(), a.stock_cost * self.zscale]))
        if spec.budget_per_year is not None:
            for t in range(a.cost.shape[-1]):
                vals = a.cost[..., t].ravel()
                if t == 0:
                    h.addRow(-inf, spec.budget_per_year, len(both), both,
                             np.concatenate([vals, a.stock_cost * self.zscale]))
                else:
                    h.addRow(-inf, spec.budget_per_year, len(all_x), all_x, vals)
        if spec.fund_cap is not None and a.liability.sum() > 0:
            h.addRow(-inf, spec.fund_cap, len(all_x), all_x, a.liability.ravel())

    def add_cuts(self, x: np.ndarray, z: np.ndarray, theta: np.ndarray | None = None
                 ) -> np.ndarray:
        """Cuts at (x, z) for every cut variable the master underestimates (``theta[b, g, j]``,
        the master's values); returns the loss per sample."""
        if self.n_parts > 1:
            om = np.zeros((self.n_b, len(self.a.w)))
            om[self.block_of, np.arange(len(self.a.w))] = self.a.w / self.wb[self.block_of]
            loss, lb, gxb, gzb = calc_year_cuts(self.a, self.spec, x, z, om)
        else:  # CVaR: one block per sample, one part per group
            lg, gx, gz = calc_group_recourse(self.a, self.spec, x, z)
            loss = lg.sum(0)
            lb, gxb, gzb = lg.T[..., None], gx.transpose(1, 0, 2, 3)[:, :, None], gz.T[..., None]
        inf = highspy.kHighsInf
        starts, index, value, lower = [], [], [], []
        nnz = 0
        for (b, g, j), level in np.ndenumerate(lb):
            if theta is not None and theta[b, g, j] >= level - 1e-7 * max(1.0, level):
                continue
            cols = self.touch_cols[g]
            cx = gxb[b, g, j].ravel()[cols]
            keep = cx != 0
            gzj = gzb[b, g, j]
            rhs = level - cx @ x.ravel()[cols] - gzj * z[g]
            idx = [*cols[keep], self.theta(b, g, j)]
            val = [*(-cx[keep]), 1.0]
            if gzj != 0:
                idx.append(self.zcol + g)
                val.append(-gzj * self.zscale[g])
            starts.append(nnz)
            index.extend(idx)
            value.extend(val)
            lower.append(rhs)
            nnz += len(idx)
        if lower:
            n = len(lower)
            self.h.addRows(n, np.array(lower), np.full(n, inf), nnz,
                           np.array(starts, np.int32), np.array(index, np.int32),
                           np.array(value, float))
            self.cuts += n
        return loss

    def set_budget(self, budget: float) -> None:
        """Change the total budget (cuts stay valid: they do not depend on it)."""
        self.h.changeRowBounds(self.budget_row, -highspy.kHighsInf, budget)

    def set_integer(self, integer: bool) -> None:
        kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
        self.h.changeColsIntegrality(self.nx, np.arange(self.nx, dtype=np.int32),
                                     np.full(self.nx, kind))
        lots = self.zcol + np.flatnonzero(self.zlots).astype(np.int32)
        if len(lots):
            self.h.changeColsIntegrality(len(lots), lots, np.full(len(lots), kind))

    def solve(self, time_left: float, integer: bool, cutoff: float | None, first: bool = False
              ) -> tuple[str, float, np.ndarray, np.ndarray, np.ndarray]:
        """(status, bound, x, z, θ[b, g, j]) of the master; with ``first`` the MILP stops at
        its first solution below the cutoff (its bound is still valid)."""
        h = self.h
        self.deadline = time.perf_counter() + max(time_left, 0.1)
        if integer:
            h.setOptionValue("mip_rel_gap", self.master_gap)
            h.setOptionValue("mip_max_improving_sols", 1 if first else highspy.kHighsIInf)
            for name, (quick, full) in FULL_SOLVE_OPTIONS.items():
                h.setOptionValue(name, quick if first else full)
        h.setOptionValue("objective_bound", cutoff if integer and cutoff is not None
                         else highspy.kHighsInf)
        h.run()
        status = h.getModelStatus()
        empty = np.empty(0)
        info = h.getInfo()
        no_solution = info.primal_solution_status == 0
        if status in (highspy.HighsModelStatus.kInfeasible,
                      highspy.HighsModelStatus.kObjectiveBound):
            # with a cutoff: nothing beats the incumbent under the current cuts
            return ("cutoff" if integer and cutoff is not None else "infeasible"), np.inf, \
                empty, empty, empty
        bound = float(info.mip_dual_bound if integer else info.objective_function_value)
        if no_solution:
            return "nosolution", bound, empty, empty, empty
        sol = np.asarray(h.getSolution().col_value)
        x = sol[:self.nx].reshape(self.n_p, self.n_k)
        z = sol[self.zcol:self.zcol + self.n_g] * self.zscale
        n_t = self.n_b * self.n_g * self.n_parts
        theta = sol[self.tcol:self.tcol + n_t].reshape(self.n_b, self.n_g, self.n_parts)
        self.pool = [(np.asarray(o.col_value)[:self.nx].reshape(self.n_p, self.n_k),
                      np.asarray(o.col_value)[self.zcol:self.zcol + self.n_g] * self.zscale)
                     for o in h.getSavedMipSolutions()] if integer else []
        done = status == highspy.HighsModelStatus.kOptimal
        return ("optimal" if done else "limit"), bound, x, z, theta
