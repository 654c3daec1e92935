"""What each award buys, and why each project is in or out, computed from the model's numbers.

* :func:`calc_contributions`: the objective change when one award (or one NDS purchase) is
  removed from a portfolio, everything else fixed (its *marginal contribution*).
* :func:`prune_selection`: drops awards whose contribution does not pay for their cost at the
  spec's value floor (``spec.cost_weight``), one at a time, so the recommended portfolio never
  holds an award that adds nothing (a solver stopping within its gap could otherwise keep one).
* :func:`explain_projects`: one row per candidate with its contribution or its gain if added at
  no cost, $ per weighted tonne, P(production) and start year under its package, and a
  ``reason`` that names the binding constraint with its numbers: the stage with no non-China
  capacity to take its output, the share of the expected shortfall that falls before it comes
  online, the probability that the award brings it into production, or its $ per tonne against
  the cut-off at this budget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from reeplan.optimize.inputs import STAGES, PortfolioInputs, PortfolioSpec
from reeplan.optimize.objective import OBJECTIVES
from reeplan.optimize.recourse import (
    RecourseArrays,
    calc_objective,
    calc_recourse,
    calc_served_loss,
)

__all__ = ["calc_contributions", "calc_online_stats", "explain_projects", "prune_selection",
           "selection_arrays"]

TOL = 1e-3
"""Weighted tonnes below which a change counts as nothing."""


def selection_arrays(inputs: PortfolioInputs, selection: dict[str, str]) -> np.ndarray:
    """x[p, k]: 1 where project *p* receives package *k*."""
    d = inputs.data
    x = np.zeros((len(d.project), len(d.option)))
    opts = [str(o) for o in d.option.values]
    for p, k in selection.items():
        x[inputs.projects.index(p), opts.index(k)] = 1.0
    return x


def _objective(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray) -> float:
    return calc_objective(a, spec, calc_recourse(a, spec, x, z))


def calc_contributions(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    """(contribution[p], stock_contribution[g]): the rise of the objective (weighted t) when
    project *p*'s award, or group *g*'s NDS purchase, is removed from the portfolio (x, z).

    Removing one award changes only the losses of the groups it adds capacity to, so each
    removal recomputes those groups' losses alone from the portfolio's stage capacities."""
    w1, w2 = a.weights(spec)
    y = np.einsum("pkts,pk->pts", a.online, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)  # g st t s
    loss_g = calc_served_loss(w1[:, None], w2[:, None], a.dem, a.dfn, stage_cap, z[:, None])
    total = loss_g.sum(0)
    base = calc_objective(a, spec, total)

    def without(gs: np.ndarray, cap: np.ndarray, zg: np.ndarray) -> float:
        new = calc_served_loss(w1[gs, None], w2[gs, None], a.dem[gs], a.dfn[gs], cap,
                               zg[:, None])
        return calc_objective(a, spec, total - loss_g[gs].sum(0) + new.sum(0)) - base

    out = np.zeros(x.shape[0])
    touches = a.touches
    for p in np.flatnonzero(x.sum(1) > 0.5):
        gs = np.flatnonzero(touches[p])
        if len(gs):
            cap = stage_cap[gs] - np.einsum("gc,ts->gcts", a.cap[p, gs], y[p])
            out[p] = without(gs, cap, z[gs])
    stock = np.zeros(len(z))
    for g in np.flatnonzero(z > 1e-9):
        gs = np.array([g])
        stock[g] = without(gs, stage_cap[gs], np.zeros(1))
    return out, stock


def prune_selection(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray,
                    keep: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Remove, one at a time, the award or NDS lot whose removal lowers the objective with its
    cost term the most, until none does (``keep[p]``: forced projects, never removed)."""
    x, z = x.copy(), np.asarray(z, float).copy()
    cost = a.cost.sum(-1)
    while True:
        contrib, _ = calc_contributions(a, spec, x, z)
        saving = spec.cost_weight * (cost * x).sum(1) - contrib
        saving[x.sum(1) < 0.5] = -np.inf
        if keep is not None:
            saving[keep] = -np.inf
        base = _objective(a, spec, x, z)
        step = np.where(a.zscale != 1.0, a.zscale, z)  # one lot, or the whole purchase
        zsave = np.full(len(z), -np.inf)
        for g in np.flatnonzero(z > 1e-9):
            z2 = z.copy()
            z2[g] = max(z[g] - step[g], 0.0)
            zsave[g] = spec.cost_weight * a.stock_cost[g] * (z[g] - z2[g]) - (
                _objective(a, spec, x, z2) - base)
        p, g = int(saving.argmax()), int(zsave.argmax()) if len(z) else -1
        best_p = saving[p] if len(saving) else -np.inf
        best_g = zsave[g] if g >= 0 else -np.inf
        if max(best_p, best_g) <= 1e-12:
            return x, z
        if best_p >= best_g:
            x[p] = 0.0
        else:
            z[g] = max(z[g] - step[g], 0.0)


def calc_online_stats(a: RecourseArrays, years: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(p_production[p, k], start[p, k]): probability that package *k* brings project *p*
    into production (capacity online it would not have without the award) and the median first
    year it does so (NaN if never)."""
    on = a.online > 1e-9  # p k t s
    ever = on.any(2)
    p_prod = (ever * a.w).sum(-1)
    first = np.where(ever, on.argmax(2), -1)  # p k s
    start = np.full(p_prod.shape, np.nan)
    for p, k in np.argwhere(p_prod > 0):
        s = first[p, k] >= 0
        order = np.argsort(first[p, k][s])
        cw = np.cumsum(a.w[s][order])
        start[p, k] = years[first[p, k][s][order][np.searchsorted(cw, cw[-1] / 2)]]
    return p_prod, start


def _hub_reason(a: RecourseArrays, x: np.ndarray, p: int, groups: list[str],
                years: np.ndarray) -> str | None:
    """If the project's capacity, fully online in every year, raises what the adversary-free
    chain serves nowhere: the stage that binds instead, with its capacity and the first year
    it would let the project's output through."""
    y = np.einsum("pkts,pk->pts", a.online, x)
    cap_now = a.base + np.einsum("pgc,pts->gcts", a.cap, y)  # g st t s
    full = cap_now + a.cap[p][:, :, None, None]
    gain = full.min(1) - cap_now.min(1)  # g t s
    touched = np.flatnonzero(a.cap[p].sum(1) > 0)
    if not len(touched) or (gain[touched] > 1e-6).any((1, 2)).all():
        return None
    g = touched[int(np.argmax(a.cap[p][touched].sum(1)))]
    if (gain[g] > 1e-6).any():
        return None
    own = a.cap[p, g] > 0
    lvl = cap_now[g].mean(-1)  # st t (expected over samples)
    stage = int(np.argmin(np.where(own[:, None], np.inf, lvl).mean(1)))
    level = lvl[stage]
    later = np.flatnonzero(level > lvl.min(0) + 1e-6)
    when = f"before {years[later[0]]}" if len(later) else f"through {years[-1]}"
    own_stage = STAGES[int(np.flatnonzero(own)[0])]
    return (f"no non-China {groups[g]} {STAGES[stage]} capacity beyond the "
            f"{level.max():,.0f} t/yr already used {when}: its {own_stage} output has no "
            "route to US magnets")


def _timing_reason(a: RecourseArrays, x: np.ndarray, z: np.ndarray, p: int, k: int,
                   start: float, groups: list[str], years: np.ndarray,
                   base_short: np.ndarray) -> str:
    """Why capacity that would pass through adds nothing: it arrives after the shortfall."""
    touched = np.flatnonzero(a.cap[p].sum(1) > 0)
    g = touched[int(np.argmax(a.cap[p][touched].sum(1)))]
    total = base_short[g].sum()
    if np.isfinite(start) and total > 0:
        before = base_short[g][years < start].sum() / total
        if before >= 0.5:
            return (f"online in {int(start)} (median), after {before:.0%} of the expected "
                    f"{groups[g]} shortfall")
    return (f"the {groups[g]} shortfall in the years it would produce is already met by the "
            "portfolio and the capacity in place")


def _fmt_usd(v: float) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"${v / 1e6:,.1f}M" if v >= 1e6 else f"${v:,.0f}"


def explain_projects(inputs: PortfolioInputs, spec: PortfolioSpec, best: object,
                     a: RecourseArrays | None = None) -> pd.DataFrame:
    """For each candidate: its contribution (in) or free gain (out), $ per weighted tonne,
    P(production) and start under its package, and the binding ``reason`` with its numbers."""
    from reeplan.optimize.recourse import recourse_arrays

    a = a if a is not None else recourse_arrays(inputs)
    text = OBJECTIVES[spec.objective]
    what, u = text.reason_loss, text.reason_unit
    d = inputs.data
    years = d.year.values
    groups = [str(g) for g in d.group.values]
    opts = [str(o) for o in d.option.values]
    x = selection_arrays(inputs, best.selection)
    z = np.array(list(best.stockpile.values()), float)
    obj = _objective(a, spec, x, z)
    contrib, _ = calc_contributions(a, spec, x, z)
    p_prod, start = calc_online_stats(a, years)
    cost = a.cost.sum(-1)
    # the cut-off: the highest $ per weighted tonne among the awards bought
    in_ratio = [cost[p][x[p] > 0.5].sum() / contrib[p] for p in np.flatnonzero(x.sum(1) > .5)
                if contrib[p] > TOL]
    floor = 1 / spec.cost_weight if spec.cost_weight > 0 else np.inf
    cutoff = max(in_ratio) if in_ratio else floor
    unspent = max(spec.budget - best.cost, 0.0)
    y0 = np.zeros((a.online.shape[0], a.online.shape[2], a.online.shape[3]))
    q0 = (a.base + np.einsum("pgc,pts->gcts", a.cap, y0)).min(1)
    base_short = (np.maximum(a.dem - q0, 0.0) * a.w).sum(-1)  # g t
    rows = []
    for p, name in enumerate(inputs.projects):
        inside = bool(x[p].sum() > 0.5)
        row: dict[str, object] = {"project": name, "in_portfolio": inside}
        if inside:
            k = int(x[p].argmax())
            c = float(cost[p, k])
            row.update(option=opts[k], cost_usd=c, value_t=float(contrib[p]),
                       usd_per_t=c / contrib[p] if contrib[p] > TOL else np.inf,
                       p_production=float(p_prod[p, k]), start_year=start[p, k])
            row["reason"] = (f"removing it raises the {what} by "
                             f"{contrib[p]:,.1f} {u} ({_fmt_usd(row['usd_per_t'])} per {u})")
            rows.append(row)
            continue
        ks = np.flatnonzero(a.available[p])
        if not len(ks):
            rows.append({**row, "option": "", "reason": "no package is available for it"})
            continue
        gains = np.zeros(len(ks))
        for i, k in enumerate(ks):
            x2 = x.copy()
            x2[p, k] = 1.0
            gains[i] = obj - _objective(a, spec, x2, z)
        ratio = np.where(gains > TOL, cost[p, ks] / np.maximum(gains, 1e-12), np.inf)
        i = int(np.argmin(ratio)) if np.isfinite(ratio).any() else int(np.argmax(p_prod[p, ks]))
        k = int(ks[i])
        c, gain = float(cost[p, k]), float(gains[i])
        row.update(option=opts[k], cost_usd=c, value_t=gain,
                   usd_per_t=float(ratio[i]), p_production=float(p_prod[p, k]),
                   start_year=start[p, k])
        if p_prod[p, ks].max() <= 0:
            reason = ("P(production) 0.00 under every package: no award changes whether or "
                      "when it produces")
        elif gain <= TOL:
            reason = _hub_reason(a, x, p, groups, years) or _timing_reason(
                a, x, z, p, k, start[p, k], groups, years, base_short)
        else:
            usd_t = float(ratio[i])
            if usd_t > cutoff * (1 + 1e-9):
                reason = (f"{_fmt_usd(usd_t)} per {u} ({gain:,.1f} {u} for {_fmt_usd(c)}), "
                          f"above the cut-off of {_fmt_usd(cutoff)} per {u} at this budget")
                if not in_ratio:
                    reason += " (the value floor)"
            elif c > unspent:
                reason = (f"{_fmt_usd(usd_t)} per {u}, within the cut-off of "
                          f"{_fmt_usd(cutoff)} per {u}, but it costs {_fmt_usd(c)} and only "
                          f"{_fmt_usd(unspent)} is unspent: the awards it would displace buy "
                          "more")
            else:
                reason = (f"{_fmt_usd(usd_t)} per {u} ({gain:,.1f} {u} for {_fmt_usd(c)}): "
                          "left out within the solver's gap")
        if 0 < p_prod[p, k] < 0.5:
            reason += f"; P(production) {p_prod[p, k]:.2f} with {opts[k]}"
        row["reason"] = reason
        rows.append(row)
    cols = ["project", "in_portfolio", "option", "cost_usd", "value_t", "usd_per_t",
            "p_production", "start_year", "reason"]
    return pd.DataFrame(rows).reindex(columns=cols)
