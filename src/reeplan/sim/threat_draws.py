r"""Per-sample draws of the threat model (:mod:`reeplan.sim.threats`), vectorised over samples.

For a seed block of ``n`` samples, events are held as ``[n, K]`` arrays (``K`` the largest
event count in the block, unused slots masked), their activity as ``[n, K, T]``; the output is
what :func:`reeplan.sim.engine.shock_arrays` reads for generated scenarios: per control part a
denial path ``<part>.deny`` and a military end-use denial ``<part>.mil`` ``[n, T]``, the union
over the sample's events of that scope,

.. math:: c(s, t) = 1 - \prod_{k \in \text{scope}} \bigl(1 - c_k(s, t)\bigr),\qquad
          c_k = \text{window}_k - (1 - \text{ban}_k)\, a_k\, \text{after-delay}_k,

per hazard a loss path ``<outage>.loss`` :math:`1 - \prod_k (1 - f_k\,\text{window}_k)`, the
technology delay (start of the first technology event, delay, occurrence), the sector growth
shifts and each sample's first shock (the origin of TTS/TTR and the stockpile release order).
Each quantity has its own random stream keyed by ``(seed, block, name)``, so a sample's draws do
not depend on chunking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from reeplan.sim.dists import Param, resolve, sample
from reeplan.sim.scenario import quarter_index
from reeplan.sim.shocks import _stream

__all__ = ["ThreatSampler", "draw_events"]

_DAYS_PER_QUARTER = 365.25 / 4


@dataclass(frozen=True)
class ThreatSampler:
    """Draws the shocks of a compiled threat model (picklable: plain data only)."""

    model: Any
    """The :class:`~reeplan.sim.threats.ThreatModel`."""
    params: dict[str, Param]
    """Resolved distributions by name."""
    scope_keys: dict[str, str]
    """Material scope -> key of its control part (its foreign-product part is ``<key>.fdpr``)."""
    hazard_keys: tuple[str, ...]
    """Outage key of each hazard, in order."""
    tech_key: str | None
    alpha: dict[str, float]
    """Dirichlet posterior weights of the scopes."""
    n_quarters: int
    rate_posterior: tuple[float, float]
    """Gamma posterior ``(shape, rate)`` of the event rate per year."""

    @classmethod
    def build(cls, model: Any, comp: Any, net: Any, *, scenario: Any,
              counted_scopes: list[str], rate_posterior: tuple[float, float]) -> ThreatSampler:
        """Resolve the model's distributions against ``net``'s parameters and map scopes to
        the parts of ``comp``, compiled from ``scenario``
        (:func:`~reeplan.sim.threats.threat_scenario`); ``counted_scopes`` are the scopes of
        the history's counted events."""
        sc = scenario
        ec = model.export_controls
        names = {"ban_probability": ec.ban_probability, "approval_rate": ec.approval_rate,
                 "licence_delay_days": ec.licence_delay_days,
                 "foreign_product_rule_probability": ec.foreign_product_rule_probability,
                 "military_denied_probability": ec.military_denied_probability,
                 "duration_years": ec.duration_years,
                 "technology_delay_years": ec.technology_delay_years}
        for h in model.hazards:
            for f in ("rate_per_year", "fraction", "duration_years"):
                names[f"{h.id}.{f}"] = getattr(h, f)
        for sector, p in model.demand_growth.items():
            names[f"growth.{sector}"] = p
        params = {k: resolve(p, net.params) for k, p in names.items()}
        scope_keys = {c.id: f"export_controls[{i}]" for i, c in enumerate(sc.export_controls)}
        counted = counted_scopes
        alpha = {s: spec.prior_weight + counted.count(s) for s, spec in ec.scopes.items()}
        missing = set(model.demand_growth) - set(net.sectors)
        if missing:
            from reeplan.errors import Problem, ScenarioError

            raise ScenarioError([Problem(model.name, None, "demand_growth",
                                         f"unknown sector {s!r}") for s in sorted(missing)],
                                "the threat model names unknown sectors")
        return cls(model, params, scope_keys, tuple(f"outages[{i}]" for i in
                                                    range(len(model.hazards))),
                   "project_delays[0]" if sc.project_delays else None, alpha,
                   net.n_quarters, rate_posterior)

    def __call__(self, seed: int, block: int, n: int) -> dict[str, np.ndarray]:
        ev = draw_events(self, seed, block, n)
        return ev["P"]


def _times(start: np.ndarray, end: np.ndarray, T: int) -> np.ndarray:
    """Share of each quarter inside ``[start, end)``: ``[..., T]``."""
    t = np.arange(T, dtype=float)
    return np.clip(np.minimum(end[..., None], t + 1.0) - np.maximum(start[..., None], t), 0.0, 1.0)


def draw_events(sm: ThreatSampler, seed: int, block: int, n: int) -> dict[str, Any]:
    """Draw ``n`` samples of seed block ``block``: the engine inputs ``P`` and the events
    (``start`` quarter index, ``scope`` index into ``scopes``, ``valid``, ``ban``, ``fdpr``,
    ``duration_years``, all ``[n, K]``; ``rate`` ``[n]``)."""
    model, T, prm = sm.model, sm.n_quarters, sm.params

    def rng(name: str) -> np.random.Generator:
        return _stream(seed, block, f"threats.{name}")

    def per_event(name: str, shape: tuple[int, int]) -> np.ndarray:
        return sample(prm[name], rng(name), shape[0] * shape[1]).reshape(shape)

    h0, h1 = quarter_index(model.horizon.start), quarter_index(model.horizon.end)
    years = (h1 - h0) / 4.0
    a, b = sm.rate_posterior
    rate = rng("rate").gamma(a, 1.0 / b, n) * model.rate_multiplier
    count = rng("count").poisson(rate * years)
    K = max(int(count.max()), 1)
    shape = (n, K)
    valid = np.arange(K)[None, :] < count[:, None]
    start = h0 + (h1 - h0) * rng("start").random(shape)
    scopes = list(sm.alpha)
    share = rng("scope_share").dirichlet([sm.alpha[s] for s in scopes], n)  # [n, scopes]
    u = rng("scope").random(shape)
    scope = (u[..., None] > np.cumsum(share, 1)[:, None, :]).sum(-1)
    scope = np.minimum(scope, len(scopes) - 1)
    ban = rng("ban").random(shape) < sample(prm["ban_probability"], rng("ban_probability"),
                                            n)[:, None]
    fdpr = rng("fdpr").random(shape) < sample(
        prm["foreign_product_rule_probability"], rng("fdpr_probability"), n)[:, None]
    mil = rng("mil").random(shape) < sample(
        prm["military_denied_probability"], rng("mil_probability"), n)[:, None]
    approval = per_event("approval_rate", shape)
    delay = per_event("licence_delay_days", shape) / _DAYS_PER_QUARTER
    duration = per_event("duration_years", shape)
    end = start + 4.0 * duration
    win = _times(start, end, T) * valid[..., None]  # [n, K, T]
    after = _times(start + delay, end, T)
    c = np.clip(win - np.where(ban, 0.0, approval)[..., None] * after, 0.0, 1.0)
    P: dict[str, np.ndarray] = {}
    for j, s in enumerate(scopes):
        m = (scope == j) & valid
        if s in sm.scope_keys:
            key = sm.scope_keys[s]
            keep = np.where(m[..., None], 1.0 - c, 1.0).prod(1)
            keep_f = np.where((m & fdpr)[..., None], 1.0 - c, 1.0).prod(1)
            m_mil = np.where((m & mil)[..., None], win, 0.0).max(1)
            P[f"{key}.deny"], P[f"{key}.mil"] = 1.0 - keep, m_mil
            P[f"{key}.fdpr.deny"], P[f"{key}.fdpr.mil"] = 1.0 - keep_f, m_mil
        elif s == "technology" and sm.tech_key is not None:
            k = sm.tech_key
            P[f"{k}.occurs"] = m.any(1).astype(float)
            P[f"{k}.start"] = np.where(m, start, h1).min(1)
            P[f"{k}.delay_years"] = sample(prm["technology_delay_years"],
                                           rng("technology_delay"), n)
    first = np.where(valid, start, np.inf).min(1)
    for h, key in zip(model.hazards, sm.hazard_keys, strict=True):
        r = sample(prm[f"{h.id}.rate_per_year"], rng(f"{h.id}.rate"), n)
        cnt = rng(f"{h.id}.count").poisson(r * years)
        k = max(int(cnt.max()), 1)
        ok = np.arange(k)[None, :] < cnt[:, None]
        st = h0 + (h1 - h0) * rng(f"{h.id}.start").random((n, k))
        du = sample(prm[f"{h.id}.duration_years"], rng(f"{h.id}.duration"),
                    n * k).reshape(n, k)
        fr = sample(prm[f"{h.id}.fraction"], rng(f"{h.id}.fraction"), n * k).reshape(n, k)
        w = _times(st, st + 4.0 * du, T) * (ok * fr)[..., None]
        P[f"{key}.loss"] = 1.0 - (1.0 - w).prod(1)
        first = np.minimum(first, np.where(ok, st, np.inf).min(1))
    for sector in model.demand_growth:
        P[f"demand_growth_shift.{sector}"] = sample(prm[f"growth.{sector}"],
                                                    rng(f"growth.{sector}"), n)
    P["first_shock"] = first
    return {"P": P, "start": start, "scope": scope, "scopes": scopes, "valid": valid,
            "ban": ban, "fdpr": fdpr, "duration_years": duration, "rate": rate,
            "count": count}
