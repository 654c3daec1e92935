"""Closed-form evaluation of a given selection (for brute force, baselines and reports).

With the selection fixed (and no stockpile), the model's optimum is explicit: the adversary-free
chain serves :math:`q = \\min_{st} f_{st}(B_{st} + \\sum_p C_{p,st} y_p)`, the shortfalls are
:math:`u = (D - q - A)^+` and :math:`v = (D^{def} - q - A)^+`.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np
import xarray as xr

from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec

__all__ = ["calc_cvar", "calc_losses", "enumerate_optimum", "evaluate_selection"]


def calc_cvar(loss: np.ndarray, weight: np.ndarray, alpha: float) -> float:
    r"""CVaR_α of a discrete loss: :math:`\min_\eta \eta + E[(\ell-\eta)^+]/(1-\alpha)`.

    Examples
    --------
    >>> round(calc_cvar(np.array([0., 10., 20., 30.]), np.full(4, .25), 0.5), 6)
    25.0
    """
    loss = np.asarray(loss, float)
    weight = np.asarray(weight, float)
    candidates = np.unique(loss)
    vals = [eta + (weight * np.maximum(loss - eta, 0.0)).sum() / (1 - alpha) for eta in candidates]
    return float(min(vals))


def calc_losses(inputs: PortfolioInputs, spec: PortfolioSpec,
                selection: Mapping[str, str]) -> xr.DataArray:
    """Weighted shortfall ℓ_s per sample for a selection {project: option}, no stockpile."""
    d = inputs.data
    x = xr.zeros_like(d["available"], dtype=float)
    for p, k in selection.items():
        x.loc[{"project": p, "option": k}] = 1.0
    y = (x * d["online"]).sum("option")
    add = (d["capacity"] * y).sum("project")
    stage_cap = (d["base"] + add) * d["stage_factor"]
    q = stage_cap.min("stage")
    u = np.maximum(d["demand"] - q - d["adversary_supply"], 0.0)
    v = np.maximum(d["defense"] - q - d["adversary_supply"], 0.0)
    w1, w2 = (xr.DataArray(w, dims=["group"], coords={"group": d.indexes["group"]})
              for w in spec.loss_weights(list(d.indexes["group"])))
    return (w1 * u + w2 * v).sum(["group", "year"])


def evaluate_selection(inputs: PortfolioInputs, spec: PortfolioSpec,
                       selection: Mapping[str, str]) -> tuple[float, float]:
    """(objective without the tie-break term, total scored cost) of a selection."""
    d = inputs.data
    loss = calc_losses(inputs, spec, selection)
    w = d["weight"].values
    expected = float((loss.values * w).sum())
    obj = expected
    if spec.cvar_alpha is not None:
        obj = (1 - spec.cvar_lambda) * expected + spec.cvar_lambda * calc_cvar(
            loss.values, w, spec.cvar_alpha)
    cost = sum(float(d["cost"].sel(project=p, option=k).sum()) for p, k in selection.items())
    return obj, cost


def _feasible_arrays(spec: PortfolioSpec, picked: list[tuple[int, int]], cost: np.ndarray,
                     liability: np.ndarray, projects: list[str]) -> bool:
    cost_y = np.zeros(cost.shape[-1])
    liab = 0.0
    for i, j in picked:
        c = cost[i, j]
        if spec.max_per_project is not None and c.sum() > spec.max_per_project:
            return False
        cost_y += c
        liab += float(liability[i, j])
    sel = {projects[i] for i, _ in picked}
    if cost_y.sum() > spec.budget * (1 + 1e-9):
        return False
    if spec.budget_per_year is not None and (cost_y > spec.budget_per_year * (1 + 1e-9)).any():
        return False
    if spec.fund_cap is not None and liab > spec.fund_cap * (1 + 1e-9):
        return False
    return not (any(p not in sel for p in spec.force_in)
                or any(p in sel for p in spec.force_out))


def enumerate_optimum(inputs: PortfolioInputs, spec: PortfolioSpec
                      ) -> tuple[float, dict[str, str]]:
    """Exhaustive search over every selection: the exact optimum for small cases.

    Minimises the model's objective, cost term included (``spec.cost_weight`` · scored cost);
    returns that objective and the selection. Without lots (``stockpile_lot``) there is no
    stockpile; with lots every whole number of lots of every group is enumerated too.
    Vectorised over samples with numpy; ties go to the cheaper selection.
    """
    d = inputs.data
    online = d["online"].transpose("project", "option", "year", "sample").values
    cap = d["capacity"].transpose("project", "group", "stage").values
    base = d["base"].transpose("group", "stage", "year", ...).values
    if base.ndim == 3:
        base = base[..., None]
    fac = d["stage_factor"].values
    dem = d["demand"].transpose("group", "year").values[..., None]
    dfn = d["defense"].transpose("group", "year").values[..., None]
    adv = d["adversary_supply"].transpose("group", "year", "sample").values
    w = d["weight"].values
    options = [str(k) for k in d.option.values]
    choices = []
    cost = d["cost"].transpose("project", "option", "year").values
    liability = d["liability"].transpose("project", "option").values
    for p in inputs.projects:
        avail = d["available"].sel(project=p).values
        choices.append([None] + [j for j in range(len(options)) if avail[j]])
    lot = d["stockpile_lot"].values if "stockpile_lot" in d else np.zeros(len(d.group))
    n_lots = [range(int(np.floor(m / t + 1e-9)) + 1) if t > 0 else range(1)
              for m, t in zip(d["stockpile_max"].values, lot, strict=True)]
    stock_cost = d["stockpile_cost"].values
    w_civ, w_def = spec.loss_weights([str(g) for g in d.group.values])
    best = (np.inf, np.inf, {})
    for combo in itertools.product(*choices):
        sel = {p: options[j] for p, j in zip(inputs.projects, combo, strict=True)
               if j is not None}
        picked = [(i, j) for i, j in enumerate(combo) if j is not None]
        if not _feasible_arrays(spec, picked, cost, liability, inputs.projects):
            continue
        add = np.zeros((*base.shape[:3], len(w)))
        for i, j in enumerate(combo):
            if j is not None:
                add += cap[i][:, :, None, None] * online[i, j][None, None]
        q = ((base + add) * fac[None, :, None, None]).min(1)
        u = np.maximum(dem - q - adv, 0.0)
        excess = np.maximum(dfn - q - adv, 0.0).sum(1)
        total = float(sum(cost[i, j].sum() for i, j in picked))
        for lots in itertools.product(*n_lots):
            z = np.array(lots, float) * lot
            spend = total + float(stock_cost @ z)
            if spend > spec.budget * (1 + 1e-9) or (
                    spec.budget_per_year is not None and float(stock_cost @ z) + sum(
                        cost[i, j][0] for i, j in picked) > spec.budget_per_year * (1 + 1e-9)):
                continue
            v = np.maximum(excess - z[:, None], 0.0)
            loss = (w_civ[:, None] * u.sum(1) + w_def[:, None] * v).sum(0)
            obj = float((loss * w).sum())
            if spec.cvar_alpha is not None:
                obj = (1 - spec.cvar_lambda) * obj + spec.cvar_lambda * calc_cvar(
                    loss, w, spec.cvar_alpha)
            obj += spec.cost_weight * spend
            if (obj, spend) < best[:2]:
                best = (obj, spend, {**sel, **{f"NDS:{g}": f"{n} lots" for g, n in zip(
                    d.group.values, lots, strict=True) if n}})
    return best[0], best[2]
