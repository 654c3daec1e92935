r"""The portfolio MILP, built with linopy as an ordered list of ``define_*`` functions.

Symbols (dims in brackets)

=====================  =====================================================================
:math:`x_{pk}`         1 if project *p* receives package *k* (binary) — ``Award-select``
:math:`y_{pts}`        share of *p*'s capacity online in year *t*, sample *s* — ``Project-online``
:math:`q_{gts}`        US end use served by adversary-free chains — ``Hub-served``
:math:`u_{gts}`        total shortfall; :math:`v_{gts}` defense shortfall — ``Shortfall-*``
:math:`z_g, r_{gts}`   NDS purchase and release to defense — ``Stockpile-*``
=====================  =====================================================================

Constraints

* one package per project: :math:`\sum_k x_{pk} \le 1`;
* :math:`y_{pts} = \sum_k o_{pkts} x_{pk}` (outcome and timing of the chosen package);
* **hub rule**: :math:`q_{gts} \le f_s \,(B_{g,st,t} + \sum_p C_{p,g,st}\, y_{pts})` for every
  stage *st* — capacity counts only as far as the chain is complete outside the adversary set;
* :math:`u_{gts} \ge D_{gt} - q_{gts} - A_{gts}`, :math:`v_{gts} \ge D^{def}_{gt} - q_{gts} -
  A_{gts} - r_{gts}` (defense served first, DPA DX; releases reach defense only);
* :math:`\sum_t r_{gts} \le z_g \le Z_g`; budget :math:`\sum_{pkt} c_{pkt} x_{pk} + \sum_g
  c^{NDS}_g z_g \le B` (and per year); DPA Fund: :math:`\sum L_{pk} x_{pk} \le F`.

Objective: :math:`\min (1-\lambda)\,\mathbb{E}_s[\ell_s] + \lambda\, \mathrm{CVaR}_\alpha[\ell_s]
+ \epsilon \cdot \text{cost}`, with :math:`\ell_s = \sum_{g,t} w^{civ} u_{gts} + (w^{def} -
w^{civ}) v_{gts}` and the Rockafellar–Uryasev form of CVaR.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import linopy
import pandas as pd
import xarray as xr

from reeplan.errors import InfeasibleError
from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec, check_portfolio_inputs
from reeplan.optimize.master import quiet_stdout

__all__ = ["ExtensiveSolution", "SolverStatus", "create_model", "solve_portfolio"]

PTS = ("project", "year", "sample")
GTS = ("group", "year", "sample")


class SolverStatus(StrEnum):
    """Outcome of a solve."""

    OPTIMAL = "optimal"
    GAP = "stopped at gap or time limit with a feasible portfolio"
    INFEASIBLE = "infeasible"
    ERROR = "error"


@dataclass
class ExtensiveSolution:
    """A solved portfolio: selection, objective, solver report and the solution arrays."""

    status: SolverStatus
    selection: dict[str, str]
    objective: float
    expected_loss: float
    cvar: float | None
    cost_total: float
    cost_by_year: pd.Series
    solution: xr.Dataset
    solver: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def define_award_variables(m: linopy.Model, d: xr.Dataset, spec: PortfolioSpec) -> None:
    """``Award-select`` x[project, option] ∈ {0, 1}; fixed at 0 where the option does not exist."""
    x = m.add_variables(binary=True, coords=[d.indexes["project"], d.indexes["option"]],
                        name="Award-select")
    missing = (~d["available"]).astype(float)
    if float(missing.sum()) > 0:
        m.add_constraints((x * missing).sum() <= 0, name="Award-unavailable")


def define_online(m: linopy.Model, d: xr.Dataset) -> None:
    """``Project-online`` y = Σ_k online·x (the chosen package's outcome and timing)."""
    x = m.variables["Award-select"]
    y = m.add_variables(lower=0, upper=1, coords=[d.indexes[k] for k in PTS],
                        name="Project-online")
    m.add_constraints(y - (x * d["online"]).sum("option") == 0, name="Project-online-def")


def define_hub(m: linopy.Model, d: xr.Dataset) -> None:
    """``Hub-stage``: served ≤ f_st·(base + Σ_p C·y) at every stage, for every group.

    Only projects that add capacity somewhere enter the sum; zero coefficients are dropped by
    the solver interface.
    """
    q = m.add_variables(lower=0, coords=[d.indexes[k] for k in GTS], name="Hub-served")
    y = m.variables["Project-online"]
    cap = d["capacity"] * d["stage_factor"]
    active = cap.project.values[(cap > 0).any(["group", "stage"]).values]
    rhs = d["base"] * d["stage_factor"]
    if len(active):
        add = (y.sel(project=active) * cap.sel(project=active)).sum("project")
        m.add_constraints(q - add <= rhs, name="Hub-stage")
    else:
        m.add_constraints(q.broadcast_like(rhs) <= rhs, name="Hub-stage")


def define_stockpile(m: linopy.Model, d: xr.Dataset) -> None:
    """``Stockpile-buy`` z[group] ≤ max and ``Stockpile-release`` r with Σ_t r ≤ z per sample."""
    z = m.add_variables(lower=0, upper=d["stockpile_max"], coords=[d.indexes["group"]],
                        name="Stockpile-buy")
    if "stockpile_lot" in d and float(d["stockpile_lot"].max()) > 0:
        # purchases in whole lots: z = lot · n with n integer (groups without lots: n free)
        lot = d["stockpile_lot"]
        n_max = (d["stockpile_max"] / lot.where(lot > 0, 1.0)).fillna(0.0)
        n = m.add_variables(lower=0, upper=xr.where(lot > 0, (n_max + 1e-9) // 1, 0.0),
                            integer=True, coords=[d.indexes["group"]], name="Stockpile-lots")
        m.add_constraints(z - lot * n == 0, name="Stockpile-lot-def", mask=lot > 0)
    r = m.add_variables(lower=0, upper=d["defense"].broadcast_like(d["adversary_supply"]),
                        coords=[d.indexes[k] for k in GTS], name="Stockpile-release")
    m.add_constraints(r.sum("year") - z <= 0, name="Stockpile-release-limit")


def define_shortfall(m: linopy.Model, d: xr.Dataset) -> None:
    """``Shortfall-total`` u ≥ D − q − A and ``Shortfall-defense`` v ≥ D_def − q − A − r."""
    q = m.variables["Hub-served"]
    r = m.variables["Stockpile-release"]
    u = m.add_variables(lower=0, coords=[d.indexes[k] for k in GTS], name="Shortfall-total")
    v = m.add_variables(lower=0, coords=[d.indexes[k] for k in GTS], name="Shortfall-defense")
    m.add_constraints(u + q >= d["demand"] - d["adversary_supply"], name="Shortfall-total-def")
    m.add_constraints(v + q + r >= d["defense"] - d["adversary_supply"],
                      name="Shortfall-defense-def")


def _cost_expr(m: linopy.Model, d: xr.Dataset) -> linopy.LinearExpression:
    x = m.variables["Award-select"]
    z = m.variables["Stockpile-buy"]
    return (x * d["cost"].sum("year")).sum() + (z * d["stockpile_cost"]).sum()


def define_budget(m: linopy.Model, d: xr.Dataset, spec: PortfolioSpec) -> None:
    """``Budget-total``, ``Budget-year`` (NDS purchases in the first year), ``Budget-project``."""
    x = m.variables["Award-select"]
    z = m.variables["Stockpile-buy"]
    m.add_constraints(_cost_expr(m, d) <= spec.budget, name="Budget-total")
    if spec.budget_per_year is not None:
        per_year = (x * d["cost"]).sum(["project", "option"])
        first = d.year.values[0]
        stock = (z * d["stockpile_cost"]).sum()
        m.add_constraints(per_year.sel(year=first) + stock <= spec.budget_per_year,
                          name="Budget-year-first")
        if len(d.year) > 1:
            rest = per_year.sel(year=d.year.values[1:])
            m.add_constraints(rest <= spec.budget_per_year, name="Budget-year")


def define_fund(m: linopy.Model, d: xr.Dataset, spec: PortfolioSpec) -> None:
    """``Fund-liability``: contingent liabilities obligated against the DPA Fund ≤ its cap."""
    if spec.fund_cap is None or float(d["liability"].sum()) == 0:
        return
    x = m.variables["Award-select"]
    m.add_constraints((x * d["liability"]).sum() <= spec.fund_cap, name="Fund-liability")


def define_project_limits(m: linopy.Model, d: xr.Dataset, spec: PortfolioSpec) -> None:
    """``Award-one`` Σ_k x ≤ 1; forced projects; per-project cost limit (mask)."""
    x = m.variables["Award-select"]
    m.add_constraints(x.sum("option") <= 1, name="Award-one")
    if spec.force_in:
        m.add_constraints(x.sel(project=list(spec.force_in)).sum("option") >= 1,
                          name="Award-force-in")
    if spec.force_out:
        m.add_constraints(x.sel(project=list(spec.force_out)).sum("option") <= 0,
                          name="Award-force-out")
    if spec.max_per_project is not None:
        too_big = d["cost"].sum("year") > spec.max_per_project
        if bool(too_big.any()):
            m.add_constraints((x * too_big).sum() <= 0, name="Award-project-limit")


def sample_loss(d: xr.Dataset, spec: PortfolioSpec, u: Any, v: Any) -> Any:
    """ℓ_s = Σ_{g,t} w_civ[g]·u + (w_def[g] − w_civ[g])·v, in the objective's units."""
    w1, w2 = (xr.DataArray(w, dims=["group"], coords={"group": d.indexes["group"]})
              for w in spec.loss_weights(list(d.indexes["group"])))
    return (u * w1 + v * w2).sum(["group", "year"])


def define_objective(m: linopy.Model, d: xr.Dataset, spec: PortfolioSpec) -> None:
    """(1 − λ)·E[ℓ] + λ·CVaR_α[ℓ] (Rockafellar–Uryasev) + ε·cost."""
    u = m.variables["Shortfall-total"]
    v = m.variables["Shortfall-defense"]
    loss = sample_loss(d, spec, u, v)
    expected = (loss * d["weight"]).sum()
    obj = expected
    if spec.cvar_alpha is not None:
        eta = m.add_variables(coords=[], name="Risk-var")
        xi = m.add_variables(lower=0, coords=[d.indexes["sample"]], name="Risk-excess")
        m.add_constraints(xi - loss + eta >= 0, name="Risk-excess-def")
        cvar = eta + (xi * d["weight"]).sum() / (1 - spec.cvar_alpha)
        obj = (1 - spec.cvar_lambda) * expected + spec.cvar_lambda * cvar
    m.add_objective(obj + spec.cost_weight * _cost_expr(m, d))


def create_model(inputs: PortfolioInputs, spec: PortfolioSpec) -> linopy.Model:
    """Build the portfolio model: variables, constraints, global constraints, objective."""
    check_portfolio_inputs(inputs)
    d = inputs.data
    unknown = sorted((set(spec.force_in) | set(spec.force_out)) - set(inputs.projects))
    if unknown:
        msg = f"forced projects not among the candidates: {', '.join(unknown)}"
        raise InfeasibleError(msg, ["Award-force-in", "Award-force-out"])
    m = linopy.Model(force_dim_names=True)
    define_award_variables(m, d, spec)
    define_online(m, d)
    define_hub(m, d)
    define_stockpile(m, d)
    define_shortfall(m, d)
    define_project_limits(m, d, spec)
    define_budget(m, d, spec)
    define_fund(m, d, spec)
    define_objective(m, d, spec)
    return m


def _diagnose(inputs: PortfolioInputs, spec: PortfolioSpec) -> list[str]:
    """Which constraint families conflict (checked on the forced projects' cheapest options)."""
    d = inputs.data
    fams = []
    both = set(spec.force_in) & set(spec.force_out)
    if both:
        fams.append(f"Award-force-in/Award-force-out ({', '.join(sorted(both))})")
    if spec.force_in:
        total = d["cost"].sum("year").where(d["available"]).sel(
            project=list(spec.force_in)).min("option")
        if float(total.sum()) > spec.budget:
            fams.append(f"Award-force-in vs Budget-total (cheapest packages of the forced "
                        f"projects cost {float(total.sum()):,.0f} > {spec.budget:,.0f})")
        if spec.max_per_project is not None and bool((total > spec.max_per_project).any()):
            fams.append("Award-force-in vs Award-project-limit")
        if spec.fund_cap is not None:
            liab = d["liability"].where(d["available"]).sel(
                project=list(spec.force_in)).min("option")
            if float(liab.sum()) > spec.fund_cap:
                fams.append("Award-force-in vs Fund-liability")
        no_option = [p for p in spec.force_in if not bool(d["available"].sel(project=p).any())]
        if no_option:
            fams.append(f"Award-force-in vs Award-select mask (no package for "
                        f"{', '.join(no_option)})")
    return fams or ["(not identified: check budgets and forced projects)"]


def solve_portfolio(inputs: PortfolioInputs, spec: PortfolioSpec,
                    allow_nonoptimal: bool = True) -> ExtensiveSolution:
    """Build and solve the model with HiGHS; report status, gap and times.

    Raises
    ------
    InfeasibleError
        When no portfolio satisfies the constraints; names the constraint families in conflict.
    """
    t0 = time.perf_counter()
    if set(spec.force_in) & set(spec.force_out):
        raise InfeasibleError("infeasible portfolio specification: " + "; ".join(
            _diagnose(inputs, spec)), _diagnose(inputs, spec))
    m = create_model(inputs, spec)
    t1 = time.perf_counter()
    with quiet_stdout():
        status, condition = m.solve(solver_name="highs", mip_rel_gap=spec.mip_gap,
                                    time_limit=spec.time_limit, output_flag=False, threads=1)
    t2 = time.perf_counter()
    if status != "ok" and condition in ("infeasible", "infeasible_or_unbounded"):
        fams = _diagnose(inputs, spec)
        raise InfeasibleError("infeasible portfolio specification: " + "; ".join(fams), fams)
    if status != "ok" and not allow_nonoptimal:
        raise InfeasibleError(f"solver stopped: {status} / {condition}", [])
    return _result(m, inputs, spec, condition, {"build_s": t1 - t0, "solve_s": t2 - t1})


def _result(m: linopy.Model, inputs: PortfolioInputs, spec: PortfolioSpec, condition: str,
            timings: dict[str, float]) -> ExtensiveSolution:
    d = inputs.data
    x = m.variables["Award-select"].solution.fillna(0.0)
    chosen = x.where(x > 0.5, drop=False).fillna(0.0)
    selection = {}
    for p in d.project.values:
        row = chosen.sel(project=p)
        if float(row.sum()) > 0.5:
            selection[str(p)] = str(row.idxmax("option").values)
    z = m.variables["Stockpile-buy"].solution.fillna(0.0)
    cost_by_year = (chosen * d["cost"]).sum(["project", "option"]).to_series()
    stock_cost = float((z * d["stockpile_cost"]).sum())
    cost_by_year.iloc[0] += stock_cost
    u = m.variables["Shortfall-total"].solution
    v = m.variables["Shortfall-defense"].solution
    loss = sample_loss(d, spec, u, v)
    expected = float((loss * d["weight"]).sum())
    cvar = None
    if spec.cvar_alpha is not None:
        from reeplan.optimize.evaluate import calc_cvar

        cvar = calc_cvar(loss.values, d["weight"].values, spec.cvar_alpha)
    gap = None
    try:
        gap = float(m.solver_model.getInfo().mip_gap)  # highspy
    except Exception:
        gap = None
    solution = xr.Dataset({
        "select": x, "stockpile": z, "served": m.variables["Hub-served"].solution,
        "shortfall": u, "shortfall_defense": v,
        "release": m.variables["Stockpile-release"].solution, "loss": loss})
    status = SolverStatus.OPTIMAL if condition == "optimal" else SolverStatus.GAP
    return ExtensiveSolution(
        status=status, selection=selection, objective=float(m.objective.value),
        expected_loss=expected, cvar=cvar, cost_total=float(cost_by_year.sum()),
        cost_by_year=cost_by_year, solution=solution,
        solver={"name": "highs", "termination": condition, "mip_gap": gap,
                "rel_gap_target": spec.mip_gap, "binaries": int(d["available"].sum()),
                "variables": int(m.nvars), "constraints": int(m.ncons)},
        timings=timings)
