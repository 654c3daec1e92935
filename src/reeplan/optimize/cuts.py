r"""Benders cuts for the risk-neutral master, tightened for binary awards.

:func:`reeplan.optimize.recourse.calc_year_recourse` gives subgradient cuts of each part (the
civilian loss of group *g* in year *t*, and the defense excess of *g*). They are tangent to the
convex recourse, so they are valid for fractional awards too, and the master's LP relaxation
is that of the convex recourse: half an award brings half its capacity in every sample, and
the relaxation spreads the budget over fractions of projects that would each overshoot a small
shortfall. Awards are binary, which allows stronger cuts.

Every cut is a weighted sum, over samples, of one affine piece per sample. For the civilian
part of year *t* and the stage :math:`\sigma` that binds at the cut point, the piece is

.. math:: \ell_{s} = (D_{ts} - q_{ts})^+ \ge r_{s} - \sum_{pk} c_{pks} x_{pk},
          \qquad r_s = D_{ts} - B_{\sigma ts},\; c_{pks} = C_{p\sigma}\, o_{pkts} \ge 0,

and because :math:`\ell_s \ge 0` and :math:`x` is binary, the coefficients may be capped at the
residual (coefficient tightening, as in mixed-integer rounding):

.. math:: \ell_s \ge r_s - \sum_{pk} \min(c_{pks}, r_s)\, x_{pk}.

(If an award with :math:`c_{pks} \ge r_s` is selected the right-hand side is at most zero;
otherwise it is the untightened piece.) The defense piece :math:`(\sum_{t \in T_s} (D^{def}_{ts}
- q_{ts}) - z)^+` is capped the same way, with :math:`z \ge 0` left as it is. A sample enters a
cut when its tightened piece is positive at the cut point. At a binary point the tightened cut
equals the recourse (each selected award's capacity is then below the residual it serves), so
the cuts of integer candidates stay exact; at fractional points they lie above the convex
recourse but below its values at every binary point, which is what the master's bound needs.
"""

from __future__ import annotations

import numpy as np

from reeplan.optimize.inputs import PortfolioSpec
from reeplan.optimize.recourse import RecourseArrays, calc_year_recourse

__all__ = ["calc_year_cuts"]


def calc_year_cuts(a: RecourseArrays, spec: PortfolioSpec, x: np.ndarray, z: np.ndarray,
                   weights: np.ndarray | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(ℓ_s, V[b, g, j], G[b, g, j, p, k], H[b, g, j]): per-sample loss at (x, z) and, for each
    block and part as in :func:`calc_year_recourse`, a cut valid at every binary x,
    ``θ ≥ V + G·(x' − x) + H·(z' − z)`` (V: the cut's value at (x, z), the part's value there
    when x is binary)."""
    w1, w2 = a.weights(spec)
    if (w1 < 0).any() or (w2 < 0).any():  # the capping needs nonnegative weights
        return calc_year_recourse(a, spec, x, z, weights)
    om = a.w[None] if weights is None else weights
    y = _online_of(a, x)
    stage_cap = a.base + np.einsum("pgc,pts->gcts", a.cap, y)
    star = stage_cap.argmin(1)  # g t s
    q = np.take_along_axis(stage_cap, star[:, None], 1)[:, 0]
    base = np.take_along_axis(a.base, star[:, None], 1)[:, 0]  # g t s: binding stage at y = 0
    short = np.maximum(a.dem - q, 0.0)
    dshort = np.maximum(a.dfn - q, 0.0)
    loss = (w1[:, None] * short.sum(1) + w2[:, None] * np.maximum(dshort.sum(1) - z[:, None],
                                                                    0.0)).sum(0)
    n_b, (n_g, n_t) = len(om), short.shape[:2]
    value = np.zeros((n_b, n_g, n_t + 1))
    grad = np.zeros((n_b, n_g, n_t + 1, *x.shape))
    gz = np.zeros((n_b, n_g, n_t + 1))
    binary = np.isin(x, (0.0, 1.0)).all()
    for g in range(n_g):
        ps, on, on_st, on01 = _group_online(a, g)  # on: p t s k, on_st: p s t k
        r_civ = np.maximum(a.dem[g] - base[g], 0.0)  # t s
        active = dshort[g] > 0  # t s: years in the defense piece
        r_def = (active * (a.dfn[g] - base[g])).sum(0)  # s
        if len(ps):
            cs = a.cap[ps, g][:, star[g]]  # p t s: capacity at the binding stage
            if on01:  # min(c·o, r) = o·min(c, r) for o in {0, 1}: no p t s k array needed
                cap_civ = np.minimum(cs, r_civ[None])  # p t s
                t_civ = r_civ - (cap_civ * y[ps]).sum(0) if binary else \
                    r_civ - np.einsum("pts,ptsk,pk->ts", cap_civ, on, x[ps])
            else:
                m_civ = np.minimum(cs[..., None] * on, r_civ[None, :, :, None])  # p t s k
                t_civ = r_civ - (m_civ @ x[ps][:, None, :, None])[..., 0].sum(0)
            ca = (cs * active).transpose(0, 2, 1)[:, :, None, :]  # p s 1 t
            m_def = np.minimum((ca @ on_st)[:, :, 0], r_def[None, :, None])  # p s k
            t_def = r_def - (m_def @ x[ps][:, :, None])[..., 0].sum(0) - z[g]
        else:
            t_civ, t_def = r_civ, r_def - z[g]
        u_civ = w1[g] * (t_civ > 0)  # t s
        u_def = w2[g] * (t_def > 0)  # s
        value[:, g, :n_t] = om @ (u_civ * t_civ).T
        value[:, g, n_t] = om @ (u_def * t_def)
        gz[:, g, n_t] = -(om @ u_def)
        if not len(ps):
            continue
        for b in range(n_b):
            uc = (u_civ * om[b])[None, :, None, :]  # 1 t 1 s
            grad[b, g, :n_t, ps] = -np.matmul(uc * cap_civ[:, :, None, :], on)[:, :, 0] \
                if on01 else -np.matmul(uc, m_civ)[:, :, 0]
            grad[b, g, n_t, ps] = -np.matmul((u_def * om[b])[None, None], m_def)[:, 0]
    return loss, value, grad, gz


def _online_of(a: RecourseArrays, x: np.ndarray) -> np.ndarray:
    """y[p, t, s]: capacity share online (a gather of one package per project when x is
    binary, else the weighted sum)."""
    if np.isin(x, (0.0, 1.0)).all() and (x.sum(1) <= 1).all():
        y = np.zeros(a.online.shape[:1] + a.online.shape[2:])
        sel = np.flatnonzero(x.sum(1) > 0.5)
        y[sel] = a.online[sel, x[sel].argmax(1)]
        return y
    return np.einsum("pkts,pk->pts", a.online, x)


def _group_online(a: RecourseArrays, g: int
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(projects adding capacity to group g, their online[p, t, s, k] and [p, s, t, k], whether
    online is 0 or 1 throughout), computed once."""
    cache = a.__dict__.setdefault("_group_online", {})
    if g not in cache:
        ps = np.flatnonzero(a.touches[:, g])
        on = np.ascontiguousarray(a.online_ptsk[ps])
        cache[g] = (ps, on, np.ascontiguousarray(on.transpose(0, 2, 1, 3)),
                    bool(np.isin(on, (0.0, 1.0)).all()))
    return cache[g]
