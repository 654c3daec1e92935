"""Mass balance of a built chain: a named check with a tolerance scaled to the largest flow."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from reeplan.errors import ReeError

if TYPE_CHECKING:
    from reeplan.chain.model import SupplyChain

__all__ = ["MassBalanceError", "calc_balance_residuals", "check_mass_balance"]

RELATIVE_TOLERANCE = 1e-9
"""Residuals are compared with this fraction of the largest flow in the chain."""


class MassBalanceError(ReeError):
    """Material was created or destroyed somewhere in the chain."""


def calc_balance_residuals(chain: SupplyChain) -> dict[str, xr.DataArray]:
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
    d = chain.data
    flow = d["flow"]
    inflow = flow.sum("origin").rename(destination="country")
    outflow = flow.sum("destination").rename(origin="country")
    residuals = {}
    for stage in ("mining", "separation", "metal", "magnet"):
        into = inflow.where(flow.stage_to == stage, 0.0).sum("link")
        out_of = outflow.where(flow.stage_from == stage, 0.0).sum("link")
        produced = d["output"].sel(stage=stage)
        loss = d["loss"].sel(stage=stage)
        stock = d["unallocated"].sel(stage=stage)
        if stage == "mining":
            into = into + produced  # extraction is the source term
        residuals[f"in:{stage}"] = into - produced - loss if stage != "mining" else into * 0
        residuals[f"out:{stage}"] = produced - out_of - stock
    return residuals


def check_mass_balance(chain: SupplyChain) -> None:
    """Raise :class:`MassBalanceError` if any node's balance is off by more than the tolerance.

    The tolerance is :data:`RELATIVE_TOLERANCE` times the largest flow in the chain, so it scales
    with the size of the system, and every flow and stock must be non-negative.
    """
    d = chain.data
    scale = max(float(np.abs(d["flow"]).max()), float(np.abs(d["output"]).max()), 1.0)
    tol = RELATIVE_TOLERANCE * scale
    bad = []
    for name, res in calc_balance_residuals(chain).items():
        worst = float(np.abs(res).max()) if res.size else 0.0
        if not np.isfinite(worst) or worst > tol:
            bad.append(f"{name}: residual {worst:.3g} t (tolerance {tol:.3g} t)")
    for var in ("flow", "output", "loss", "unallocated"):
        neg = float(d[var].min())
        if neg < -tol:
            bad.append(f"{var}: negative value {neg:.3g}")
    if bad:
        raise MassBalanceError("mass balance violated: " + "; ".join(bad))
