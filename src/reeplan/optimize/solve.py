"""One entry point for both solution methods, the frontier, marginal values and why-in/out."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.errors import InfeasibleError
from reeplan.optimize.benders import BendersSolver
from reeplan.optimize.explain import prune_selection, selection_arrays
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec, check_portfolio_inputs
from reeplan.optimize.model import _diagnose, solve_portfolio
from reeplan.optimize.recourse import calc_objective, calc_recourse, recourse_arrays

__all__ = ["PortfolioResult", "calc_frontier", "explain_projects", "optimize", "selection_arrays"]


def explain_projects(inputs: PortfolioInputs, spec: PortfolioSpec, best: PortfolioResult
                     ) -> pd.DataFrame:
    """Why each project is in or out (:func:`reeplan.optimize.explain.explain_projects`)."""
    from reeplan.optimize.explain import explain_projects as explain

    return explain(inputs, spec, best)

EXTENSIVE_LIMIT = 60_000
"""Largest project × option × year × sample size solved as one MILP; larger ones use Benders."""


@dataclass
class PortfolioResult:
    """A recommended portfolio, with what it buys and how it was solved."""

    selection: dict[str, str]
    stockpile: dict[str, float]
    objective: float
    loss_by_sample: np.ndarray
    baseline_loss_by_sample: np.ndarray
    cost: float
    solver: dict[str, object] = field(default_factory=dict)

    @property
    def expected_loss(self) -> float:
        """Expected weighted shortfall with the portfolio."""
        return float(self.loss_by_sample.mean())

    @property
    def baseline_loss(self) -> float:
        """Expected weighted shortfall with no awards and no stockpile purchase."""
        return float(self.baseline_loss_by_sample.mean())

    @property
    def reduction(self) -> float:
        """Share of the expected weighted shortfall the portfolio avoids."""
        base = self.baseline_loss
        return 1.0 - self.expected_loss / base if base > 0 else 0.0

    def to_frame(self) -> pd.DataFrame:
        """The selection: one row per funded project (option) and per stockpile purchase."""
        rows: list[dict[str, object]] = [{"kind": "award", "item": p, "choice": k}
                                         for p, k in sorted(self.selection.items())]
        rows += [{"kind": "stockpile", "item": g, "choice": f"{t:,.1f} t"}
                 for g, t in self.stockpile.items() if t > 0]
        return pd.DataFrame(rows, columns=["kind", "item", "choice"])

    def to_xarray(self) -> xr.Dataset:
        """Weighted loss by sample with and without the portfolio (``sample`` dimension)."""
        n = len(self.loss_by_sample)
        return xr.Dataset({"loss": ("sample", np.asarray(self.loss_by_sample, float)),
                           "baseline_loss": ("sample", np.asarray(self.baseline_loss_by_sample,
                                                                  float))},
                          coords={"sample": np.arange(n)},
                          attrs={"cost_usd": self.cost, "objective": self.objective})

    def _repr_html_(self) -> str:
        head = (f"<p>Portfolio: scored cost ${self.cost / 1e9:,.2f}bn; expected weighted "
                f"shortfall {self.expected_loss:,.1f} (no awards {self.baseline_loss:,.1f}; "
                f"{self.reduction:.1%} avoided)</p>")
        return head + self.to_frame().to_html(index=False)


def choose_method(inputs: PortfolioInputs) -> str:
    """``extensive`` up to :data:`EXTENSIVE_LIMIT` project × option × year × sample, else
    ``benders``."""
    d = inputs.data
    size = d.sizes["project"] * d.sizes["option"] * d.sizes["year"] * d.sizes["sample"]
    return "extensive" if size <= EXTENSIVE_LIMIT else "benders"


def optimize(inputs: PortfolioInputs, spec: PortfolioSpec, method: str = "auto",
             solver: BendersSolver | None = None,
             start: tuple[np.ndarray, np.ndarray] | None = None) -> PortfolioResult:
    """Solve the portfolio problem (extensive MILP for small instances, Benders for large).

    ``solver`` reuses a Benders master (and its cuts) built for the same inputs and spec up to
    the budget; ``start`` is a feasible (x, z) to begin from.

    Raises
    ------
    InfeasibleError
        Naming the constraint families in conflict.
    """
    check_portfolio_inputs(inputs)
    d = inputs.data
    if method == "auto":
        method = "benders" if solver is not None else choose_method(inputs)
    t0 = time.perf_counter()
    a = recourse_arrays(inputs)
    if method == "extensive":
        res = solve_portfolio(inputs, spec)
        selection = res.selection
        z = res.solution["stockpile"].values
        solver = {"method": "extensive MILP (linopy + HiGHS)", **res.solver, **res.timings}
        gap = res.solver.get("mip_gap")
    else:
        bad = set(spec.force_in) & set(spec.force_out)
        if bad:
            fams = _diagnose(inputs, spec)
            raise InfeasibleError("infeasible portfolio specification: " + "; ".join(fams), fams)
        if solver is None:
            solver = BendersSolver(inputs, spec)
        b = solver.solve(spec.budget, start, time_limit=spec.time_limit)
        if b.status == "infeasible":
            fams = _diagnose(inputs, spec)
            raise InfeasibleError("infeasible portfolio specification: " + "; ".join(fams), fams)
        opts = [str(o) for o in d.option.values]
        selection = {inputs.projects[i]: opts[j] for i, j in np.argwhere(b.x > 0.5)}
        z = b.z
        gap = (b.upper - b.lower) / max(abs(b.upper), 1e-9) if np.isfinite(b.lower) else None
        solver = {"method": "Benders (L-shaped, multi-cut) with HiGHS master", "name": "highs",
                  "termination": b.status, "iterations": b.iterations, "cuts": b.cuts,
                  "upper_bound": b.upper, "lower_bound": b.lower}
    x = selection_arrays(inputs, selection)
    # never keep an award (or NDS lot) that does not pay for its cost at the value floor
    keep = np.array([p in spec.force_in for p in inputs.projects])
    x, z = prune_selection(a, spec, x, np.asarray(z, float), keep)
    opts = [str(o) for o in d.option.values]
    selection = {inputs.projects[i]: opts[j] for i, j in np.argwhere(x > 0.5)}
    loss = calc_recourse(a, spec, x, np.asarray(z, float))
    base_loss = calc_recourse(a, spec, np.zeros_like(x), np.zeros(len(a.stock_max)))

    cost = float((a.cost.sum(-1) * x).sum() + a.stock_cost @ np.asarray(z, float))
    solver.update({"mip_gap": gap, "rel_gap_target": spec.mip_gap,
                   "seconds": time.perf_counter() - t0})
    groups = [str(g) for g in d.group.values]
    return PortfolioResult(selection, {g: float(v) for g, v in zip(groups, z, strict=True)},
                     calc_objective(a, spec, loss), loss, base_loss, cost, solver)


def calc_frontier(inputs: PortfolioInputs, spec: PortfolioSpec, max_budget: float,
                  points: int = 20, solver: BendersSolver | None = None) -> pd.DataFrame:
    """Efficient frontier: the optimum at budgets from 0 to ``max_budget`` (``solver``: a
    Benders master of the same inputs and spec to reuse, with its cuts).

    With Benders, ``spec.time_limit`` is the time per point *on average*: the frontier as a
    whole gets ``points × time_limit`` (overheads included), and a point that finishes early
    leaves its time to the points after it (small budgets are quick, large ones are not).
    Points are solved in ascending budget, each starting from the previous optimum (feasible
    at a larger budget); time left at the end goes to the points still above the gap, largest
    first, re-solved from their own best portfolio (the master keeps every cut). The reported
    gap of each point uses the best bounds of all points: the optimum never rises with the
    budget, so a portfolio found at a smaller budget bounds it from above, and a lower bound
    proved at a larger budget bounds it from below.
    """
    budgets = np.linspace(0.0, max_budget, points)
    if solver is None and choose_method(inputs) == "benders":
        solver = BendersSolver(inputs, spec)
    t0, total = time.perf_counter(), points * spec.time_limit

    def solve_at(i: int, n_left: int, start: tuple[np.ndarray, np.ndarray] | None
                 ) -> PortfolioResult:
        update: dict[str, float] = {"budget": float(budgets[i])}
        if solver is not None:  # an equal share of the frontier's time left
            left = total - (time.perf_counter() - t0)
            update["time_limit"] = max(left / n_left, 0.1 * spec.time_limit)
        return optimize(inputs, spec.model_copy(update=update), solver=solver, start=start)

    results: list[PortfolioResult] = []
    for i in range(points):  # the optimum here is feasible at the next, larger budget
        start = _start_of(inputs, results[-1]) if results and solver is not None else None
        results.append(solve_at(i, points - i, start))
    bounds = [(r.solver.get("upper_bound"), r.solver.get("lower_bound")) for r in results]
    shared = all(u is not None and lo is not None for u, lo in bounds)
    gaps = _shared_gaps(*np.array(bounds, float).T) if shared else \
        np.array([r.solver.get("mip_gap") or np.inf for r in results])
    if solver is not None and shared:
        redo = [int(i) for i in np.argsort(-gaps) if gaps[i] > spec.mip_gap]
        for n, i in enumerate(redo):
            if total - (time.perf_counter() - t0) < 0.5 * spec.time_limit:
                break
            again = solve_at(i, len(redo) - n, _start_of(inputs, results[i]))
            up, lo = bounds[i]
            if again.solver["upper_bound"] < up:
                results[i] = again
            bounds[i] = (min(up, again.solver["upper_bound"]),
                         max(lo, again.solver["lower_bound"]))
        gaps = _shared_gaps(*np.array(bounds, float).T)
    rows = [{"budget_usd": float(b), "cost_usd": pf.cost,
             "expected_loss": pf.expected_loss, "objective": pf.objective,
             "reduction": 1 - pf.expected_loss / pf.baseline_loss
             if pf.baseline_loss > 0 else 0.0,
             "projects": ", ".join(f"{p}:{k}" for p, k in sorted(pf.selection.items())),
             "gap": float(gap) if np.isfinite(gap) else pf.solver.get("mip_gap")}
            for b, pf, gap in zip(budgets, results, gaps, strict=True)]
    frame = pd.DataFrame(rows)
    # the optimum cannot get worse with more budget: report the running best (a solver stopping
    # within its gap can otherwise show a tiny bump)
    frame["objective"] = frame["objective"].cummin()
    return frame


def _start_of(inputs: PortfolioInputs, pf: PortfolioResult) -> tuple[np.ndarray, np.ndarray]:
    """A result's portfolio as a Benders start (x, z)."""
    return selection_arrays(inputs, pf.selection), np.array(list(pf.stockpile.values()), float)


def _shared_gaps(upper: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """Relative gaps of frontier points in ascending budget from each point's (upper, lower)
    bounds, tightened across points: the optimum at a budget is at most the best upper bound
    at any smaller budget and at least the best lower bound at any larger one."""
    up = np.minimum.accumulate(upper)
    lo = np.maximum.accumulate(np.where(np.isfinite(lower), lower, -np.inf)[::-1])[::-1]
    lo = np.minimum(lo, up)
    with np.errstate(invalid="ignore"):
        gap = (up - lo) / np.maximum(np.abs(up), 1e-9)
    return np.where(np.isnan(gap), np.inf, gap)
