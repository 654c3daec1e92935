r"""Exact time-to-survive and time-to-recover linear programs (Simchi-Levi et al.), small networks.

``methods.md`` §3: nodes :math:`j` with inventory :math:`s_j`, capacity :math:`c_j` per period and
(for end products) demand :math:`d_j` per period; :math:`r_{kj}` units of input :math:`k` per unit
of :math:`j`; :math:`P_{jk}` the suppliers of input :math:`k` to :math:`j`; disrupted nodes have
:math:`u_j = 0`. Over a disruption of length :math:`t`:

.. math::
    u_j - \sum_{i \in P_{jk}} y_{ij} / r_{kj} \le 0 \quad \forall j, k; \qquad
    \sum_{j \in children(i)} y_{ij} - u_i \le s_i; \qquad u_j \le c_j t

**TTS**: maximise :math:`t` subject to :math:`u_j + s_j \ge d_j t` for end products.
**TTR** (lost value for a disruption of length :math:`t`): minimise :math:`\sum_j f_j l_j` subject
to :math:`l_j + u_j + s_j \ge d_j t`. Solved with HiGHS through :func:`scipy.optimize.linprog`;
used to check the simulator on hand-checkable networks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linprog

from reeplan.errors import InfeasibleError

__all__ = ["LPNetwork", "LPNode", "calc_ttr_lp", "calc_tts_lp"]

_T_CAP = 1e7
"""Bound on t (periods) used to confirm that a TTS program is unbounded (TTS = ∞)."""


@dataclass(frozen=True)
class LPNode:
    """A node: its product, inventory, capacity per period, demand per period, lost value."""

    name: str
    product: str
    inventory: float = 0.0
    capacity: float = math.inf
    demand: float = 0.0
    value: float = 1.0


@dataclass(frozen=True)
class LPNetwork:
    """Nodes, supply edges ``(supplier, customer)`` and bill of materials ``{(k, j): r_kj}``."""

    nodes: tuple[LPNode, ...]
    edges: tuple[tuple[str, str], ...] = ()
    bom: dict[tuple[str, str], float] = field(default_factory=dict)


def _build(net: LPNetwork, disrupted: set[str], t: float | None
           ) -> tuple[list[str], list[tuple[str, str]], np.ndarray, np.ndarray, np.ndarray,
                      np.ndarray, list[tuple[float, float]]]:
    """Variables ``[u_j..., y_e..., (t | l_j...)]`` and the shared constraints."""
    names = [n.name for n in net.nodes]
    node = {n.name: n for n in net.nodes}
    unknown = {a for e in net.edges for a in e} - set(names)
    unknown |= {j for (_, j) in net.bom} - set(names)
    if unknown:
        msg = f"edges or bill of materials name unknown nodes: {sorted(unknown)}"
        raise ValueError(msg)
    nu, ne = len(names), len(net.edges)
    ends = [j for j, n in enumerate(net.nodes) if n.demand > 0]
    nv = nu + ne + (1 if t is None else len(ends))
    rows, rhs = [], []

    def row() -> np.ndarray:
        return np.zeros(nv)

    for (k, j), r in net.bom.items():
        a = row()
        a[names.index(j)] = 1.0
        for ei, (i, jj) in enumerate(net.edges):
            if jj == j and node[i].product == k:
                a[nu + ei] = -1.0 / r
        rows.append(a)
        rhs.append(0.0)
    for i, n in enumerate(net.nodes):
        out_edges = [ei for ei, (a, _) in enumerate(net.edges) if a == n.name]
        if out_edges:
            a = row()
            a[nu + np.array(out_edges)] = 1.0
            a[i] = -1.0
            rows.append(a)
            rhs.append(n.inventory)
    bounds: list[tuple[float, float]] = []
    for n in net.nodes:
        if n.name in disrupted:
            bounds.append((0.0, 0.0))
        elif t is not None and math.isfinite(n.capacity):
            bounds.append((0.0, n.capacity * t))
        else:
            bounds.append((0.0, math.inf))
    bounds += [(0.0, math.inf)] * (nv - nu)
    if t is None:
        for j, n in enumerate(net.nodes):
            if math.isfinite(n.capacity) and n.name not in disrupted:
                a = row()
                a[j] = 1.0
                a[-1] = -n.capacity
                rows.append(a)
                rhs.append(0.0)
    return names, list(net.edges), np.array(rows).reshape(-1, nv), np.array(rhs), \
        np.array(ends, int), np.zeros(nv), bounds


def calc_tts_lp(net: LPNetwork, disrupted: set[str] | frozenset[str]) -> float:
    """Time to survive (periods) of the network when ``disrupted`` nodes stop.

    Examples
    --------
    A defense user holding 2 t, needing 2 t a period; its two suppliers make 1.125 and
    (disrupted) 10 t a period: it survives 2 / (2 − 1.125) = 2.2857 periods.

    >>> net = LPNetwork(
    ...     (LPNode("us", "magnet", capacity=1.125), LPNode("cn", "magnet", capacity=10),
    ...      LPNode("defense", "system", inventory=2, demand=2)),
    ...     (("us", "defense"), ("cn", "defense")), {("magnet", "defense"): 1.0})
    >>> round(calc_tts_lp(net, {"cn"}), 4)
    2.2857

    Returns ``inf`` when the surviving capacity meets demand forever (the program is unbounded;
    HiGHS may report this as infeasible after presolve, but t = 0 is always feasible).
    """
    _, _, A, b, ends, c, bounds = _build(net, set(disrupted), None)
    rows, rhs = [A], [b]
    for j in ends:  # d_j t - u_j <= s_j
        a = np.zeros(A.shape[1])
        a[j] = -1.0
        a[-1] = net.nodes[j].demand
        rows.append(a[None])
        rhs.append(np.array([net.nodes[j].inventory]))
    c = c.copy()
    c[-1] = -1.0
    A_ub, b_ub = np.vstack(rows), np.concatenate(rhs)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if res.status == 3:
        return math.inf
    if res.status == 2:
        # t = 0 with no production is always feasible (every right-hand side is >= 0), so
        # "infeasible" is HiGHS's presolve answer for an unbounded t: surviving capacity meets
        # demand forever. Confirm on the bounded problem t <= _T_CAP.
        capped = [*bounds[:-1], (0.0, _T_CAP)]
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=capped, method="highs")
        if res.status == 0 and res.x[-1] >= _T_CAP * (1.0 - 1e-9):
            return math.inf
    if res.status != 0:
        raise InfeasibleError(f"TTS linear program failed: {res.message}", ["tts"])
    return float(res.x[-1])


def calc_ttr_lp(net: LPNetwork, disrupted: set[str] | frozenset[str], duration: float
                ) -> dict[str, float]:
    """Demand lost at each end product over a disruption of ``duration`` periods (TTR model).

    Examples
    --------
    >>> net = LPNetwork(
    ...     (LPNode("us", "magnet", capacity=1.125), LPNode("cn", "magnet", capacity=10),
    ...      LPNode("defense", "system", inventory=2, demand=2)),
    ...     (("us", "defense"), ("cn", "defense")), {("magnet", "defense"): 1.0})
    >>> calc_ttr_lp(net, {"cn"}, 4.0)
    {'defense': 1.5}
    """
    names, _, A, b, ends, c, bounds = _build(net, set(disrupted), duration)
    nu_ne = A.shape[1] - len(ends)
    rows, rhs = [A], [b]
    c = c.copy()
    for n_l, j in enumerate(ends):  # -l_j - u_j <= s_j - d_j t
        a = np.zeros(A.shape[1])
        a[j] = -1.0
        a[nu_ne + n_l] = -1.0
        rows.append(a[None])
        rhs.append(np.array([net.nodes[j].inventory - net.nodes[j].demand * duration]))
        c[nu_ne + n_l] = net.nodes[j].value
    res = linprog(c, A_ub=np.vstack(rows), b_ub=np.concatenate(rhs), bounds=bounds,
                  method="highs")
    if res.status != 0:
        raise InfeasibleError(f"TTR linear program failed: {res.message}", ["ttr"])
    return {names[j]: round(float(res.x[nu_ne + n_l]), 9) for n_l, j in enumerate(ends)}
