"""Mass balance of a built chain: a named check with a tolerance scaled to the largest flow."""

from __future__ import annotations

import numpy as np
import xarray as xr

from reeplan.errors import ReeError

__all__ = ["MassBalanceError", "calc_balance_residuals", "check_mass_balance"]

RELATIVE_TOLERANCE = 1e-9
"""Residuals are compared with this fraction of the largest flow in the chain."""


class MassBalanceError(ReeError):
    """Material was created or destroyed somewhere in the chain."""


def calc_balance_residuals(data: xr.Dataset) -> dict[str, xr.DataArray]:
    r"""Residuals of the node balances, ``element × year × country`` per stage.

    At every node (stage *s*, country *c*):

    .. math:: \underbrace{\sum_{links \to s} \text{inflow}}_{\text{in}}
              + \text{output}_{mining}
              = \text{loss} + \sum_{links\, s \to} \text{outflow} + \Delta\text{stock}

    where the node's output is what it passes on, its loss is the processing yield loss and the
    stock change is output left unallocated (kept, stocked or used outside the model). Mining has no
    inflow: its output enters the system. Receiving nodes are never sent more than they can
    process, so their own stock change is zero.
    """
    coords = {"element": data.element.values, "year": data.year.values,
              "country": data.country.values}
    return {name: xr.DataArray(res, dims=tuple(coords), coords=coords)
            for name, res in _residuals(data).items()}


def _residuals(d: xr.Dataset) -> dict[str, np.ndarray]:
    """The residuals of :func:`calc_balance_residuals` as plain ``[E, Y, C]`` arrays."""
    flow = d["flow"].transpose("element", "link", "year", "origin", "destination").values
    inflow = flow.sum(-2)  # element, link, year, country (destination)
    outflow = flow.sum(-1)  # element, link, year, country (origin)
    stage_to = d["flow"].stage_to.values
    stage_from = d["flow"].stage_from.values
    stages = list(d["output"].stage.values)

    def var(name: str, stage: str) -> np.ndarray:
        arr = d[name].transpose("element", "stage", "year", "country").values
        return arr[:, stages.index(stage)]

    residuals = {}
    for stage in ("mining", "separation", "metal", "magnet"):
        into = inflow[:, stage_to == stage].sum(1)
        out_of = outflow[:, stage_from == stage].sum(1)
        produced = var("output", stage)
        residuals[f"in:{stage}"] = np.zeros_like(produced) if stage == "mining" else (
            into - produced - var("loss", stage))
        residuals[f"out:{stage}"] = produced - out_of - var("unallocated", stage)
    return residuals


def check_mass_balance(data: xr.Dataset) -> None:
    """Raise :class:`MassBalanceError` if any node's balance is off by more than the tolerance.

    The tolerance is :data:`RELATIVE_TOLERANCE` times the largest flow in the chain, so it scales
    with the size of the system, and every flow and stock must be non-negative.
    """
    d = data
    scale = max(float(np.abs(d["flow"].values).max(initial=0.0)),
                float(np.abs(d["output"].values).max(initial=0.0)), 1.0)
    tol = RELATIVE_TOLERANCE * scale
    bad = []
    for name, res in _residuals(data).items():
        worst = float(np.abs(res).max()) if res.size else 0.0
        if not np.isfinite(worst) or worst > tol:
            bad.append(f"{name}: residual {worst:.3g} t (tolerance {tol:.3g} t)")
    for var in ("flow", "output", "loss", "unallocated"):
        neg = float(d[var].values.min(initial=0.0))
        if neg < -tol:
            bad.append(f"{var}: negative value {neg:.3g}")
    if bad:
        raise MassBalanceError("mass balance violated: " + "; ".join(bad))
