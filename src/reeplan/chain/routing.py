"""Routing of material from one stage to the next: who feeds whom.

For one stage transition, the upstream output of every country (``supply``, dims
``element × year × origin``) is allocated to the input requirement of every downstream country
(``requirement``, dims ``element × year × destination``) in four passes, each capped by what is
left on both sides:

1. **Contracted quantities** (trade links with a quantity, facility feed contracts);
2. **Domestic supply first** (a country feeds its own plants);
3. **Import shares** (trade links with a share of the importer's imports, e.g. USGS import
   sources), applied to the importer's requirement left after domestic supply;
4. **World pool**: what remains is rationed proportionally — each importer receives the same
   fraction :math:`\\min(1, S/R)` of its remaining requirement, drawn from exporters in proportion
   to their remaining supply.

Output left unallocated stays with the exporter (stock change or uses outside the model), so no
material is created: for every origin, Σ flows + unallocated = supply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Contract", "RouteResult", "route_stage"]


@dataclass(frozen=True)
class Contract:
    """A fixed or share-based flow from ``origin`` to ``destination`` (country indices).

    ``amount`` is an ``element × year`` array: t REO-eq for quantity contracts, a fraction of the
    importer's import requirement for share contracts.
    """

    origin: int
    destination: int
    amount: np.ndarray
    kind: str  # "quantity" or "share"
    label: str = ""


@dataclass(frozen=True)
class RouteResult:
    """Flows ``element × year × origin × destination`` and what each origin kept."""

    flow: np.ndarray
    unallocated: np.ndarray
    unmet: np.ndarray


def route_stage(supply: np.ndarray, requirement: np.ndarray,
                contracts: list[Contract] = ()) -> RouteResult:  # type: ignore[assignment]
    """Allocate ``supply`` (e × y × origin) to ``requirement`` (e × y × destination).

    Origins and destinations index the same country list.

    Examples
    --------
    Two countries; A produces 10 and needs 4, B produces 0 and needs 8: A keeps 4, the pool
    gives B the remaining 6 (75 % of its need).

    >>> r = route_stage(np.array([[[10.0, 0.0]]]), np.array([[[4.0, 8.0]]]))
    >>> r.flow[0, 0].tolist()
    [[4.0, 6.0], [0.0, 0.0]]
    >>> r.unmet[0, 0].tolist()
    [0.0, 2.0]
    """
    s = np.clip(supply.astype(float), 0.0, None).copy()
    r = np.clip(requirement.astype(float), 0.0, None).copy()
    n = s.shape[-1]
    flow = np.zeros((*s.shape, n))

    def move(i: int, j: int, amount: np.ndarray) -> None:
        amt = np.minimum(np.minimum(np.clip(amount, 0.0, None), s[..., i]), r[..., j])
        flow[..., i, j] += amt
        s[..., i] -= amt
        r[..., j] -= amt

    for c in contracts:
        if c.kind == "quantity":
            move(c.origin, c.destination, c.amount)
    for k in range(n):
        move(k, k, r[..., k])
    import_need = r.copy()
    for c in contracts:
        if c.kind == "share":
            move(c.origin, c.destination, c.amount * import_need[..., c.destination])
    total_s = s.sum(-1, keepdims=True)
    total_r = r.sum(-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        served = np.where(total_r > 0, np.minimum(1.0, total_s / total_r), 0.0)
        origin_share = np.where(total_s > 0, s / total_s, 0.0)
    pool = origin_share[..., :, None] * (r * served)[..., None, :]
    flow += pool
    s -= pool.sum(-1)
    r -= pool.sum(-2)
    return RouteResult(flow, np.clip(s, 0.0, None), np.clip(r, 0.0, None))
