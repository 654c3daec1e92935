r"""Quarterly simulation 2025Q1–2040Q4 of a batch of samples: shocks, market, DPA, inventories.

For one batch (all arrays carry the sample dim; nothing loops over samples):

1. **Shocks** (:func:`timing`): each sampled control, outage, demand shift and delay becomes a
   per-quarter activity share (fractional in the first and last quarter).
2. **Physical propagation** (:mod:`reeplan.sim.physical`): surviving output flows down the chain;
   US receipts split into US-jurisdiction output, imports from controlling exporters, and other
   imports.
3. **Market response** (Sprecher et al. 2017, ``methods.md`` §4), ex-China, per element: with
   :math:`\tau` the years since the ex-China deficit :math:`G` appeared (asm_sim_market_lag),
   non-China ramp-up :math:`R = \min(G, r\,\tau\,W)` (W world end-use volume) and substitution
   :math:`\Sigma = \min(G - R, \sigma\,\tau\,D^{ex})`; the US takes its share of both by its share
   of the deficit.
4. **Prices** (explicit elasticities): the ex-China price clears the residual deficit left after
   ex-China commercial stocks, :math:`z = (G - R - \Sigma - \text{stock draw})/D^{ex}`,
   :math:`\ln(p/p_0) = -\ln(1 - z)/(\varepsilon_s - \varepsilon_d)`; China's domestic price falls
   with the denied exports :math:`u` kept at home and not absorbed by quota cuts or state
   buying (share :math:`\alpha`), :math:`\ln(p/p_0) = -\ln(1 + (1 - \alpha) u/C^{CN})/
   (\varepsilon_s - \varepsilon_d)`. Elasticities move from short- to long-run over the
   adjustment years; prices are capped at ``price_cap_multiple``. Prices are outputs: quantities
   follow the rate-limited response above.
5. **Allocation to US sectors** (DPA Title I, ``methods.md`` §5; :mod:`reeplan.sim.allocation`):
   imports go pro rata to demand (imports from an exporter that denies military end use go to
   non-defense users only); then US-jurisdiction output serves DX, then DO, then unrated demand
   (pro rata when DPA is not in force); then each sector draws its own commercial inventory;
   then the National Defense Stockpile releases to defense only, from the release order at the
   first shock plus the release delay.
"""

from __future__ import annotations

import numpy as np

from reeplan.sim.allocation import Uses, allocate, stocks
from reeplan.sim.metrics import calc_ttr, calc_tts
from reeplan.sim.network import ROUTES, Network
from reeplan.sim.physical import Physical, base_flows, propagate
from reeplan.sim.shocks import Compiled

__all__ = ["run_batch", "timing"]

_DAYS_PER_QUARTER = 365.25 / 4
_TOL = 1e-9


def timing(start: float | np.ndarray, end: float | np.ndarray | None, T: int,
           occurs: np.ndarray | None = None) -> np.ndarray:
    """Share of each quarter ``[t, t + 1)`` inside ``[start, end)``, ``[S, T]``.

    Examples
    --------
    >>> timing(np.array([1.5]), np.array([3.0]), 4).tolist()
    [[0.0, 0.5, 1.0, 0.0]]
    """
    start = np.atleast_1d(np.asarray(start, float))[:, None]
    end = np.full_like(start, np.inf) if end is None else \
        np.atleast_1d(np.asarray(end, float))[:, None]
    t = np.arange(T, dtype=float)[None, :]
    share = np.clip(np.minimum(end, t + 1.0) - np.maximum(start, t), 0.0, 1.0)
    return share if occurs is None else share * occurs[:, None]


def _end(comp: Compiled, key: str, P: dict[str, np.ndarray], S: int) -> np.ndarray:
    if comp.ends.get(key) is not None:
        return np.full(S, comp.ends[key])
    if f"{key}.duration_years" in P:
        return comp.starts[key] + 4.0 * P[f"{key}.duration_years"]
    return np.full(S, np.inf)


def shock_arrays(net: Network, comp: Compiled, P: dict[str, np.ndarray], S: int,
                 uses: Uses) -> dict[str, object]:
    """Per-sample activity of every shock, outage keep shares, delayed capacities, demand.

    Generated scenarios (:mod:`reeplan.sim.threats`) may give per-sample paths instead of
    timed shocks: ``<part>.deny`` and ``<part>.mil`` ``[S, T]`` (denial share and military
    end-use denial of a control part), ``<outage>.loss`` ``[S, T]`` (share of output lost),
    ``<delay>.start`` ``[S]`` (quarter from which capacity additions slip), and
    ``demand_growth_shift.<sector>`` ``[S]`` (added to that sector's growth).
    """
    T, E = net.n_quarters, len(net.elements)
    deny, deny_mil = [], np.zeros((T, E, S))
    for part in comp.parts:
        key = part.key.removesuffix(".fdpr")
        if f"{part.key}.deny" in P:
            c, win = P[f"{part.key}.deny"], P.get(f"{part.key}.mil")
        else:
            end = _end(comp, key, P, S)
            occ = P[f"{key}.occurs"]
            delay = P[f"{key}.licence_delay_days"] / _DAYS_PER_QUARTER
            win = timing(np.full(S, part.start), end, T, occ)
            after = timing(part.start + delay, end, T, occ)
            c = np.clip(win - P[f"{key}.approval_rate"][:, None] * after, 0.0, 1.0)
        deny.append(c.T[:, None, :, None])
        if part.military_denied and win is not None:
            deny_mil = np.maximum(deny_mil, win.T[:, None, :] * part.end_elements[None, :, None])
    outages = []
    for key, stage, mask in comp.outages:
        if f"{key}.loss" in P:
            lost = P[f"{key}.loss"]
        else:
            win = timing(np.full(S, comp.starts[key]), _end(comp, key, P, S), T,
                         P[f"{key}.occurs"])
            lost = P[f"{key}.fraction"][:, None] * win
        outages.append((stage, lost.T, mask))  # [T, S] share lost, [E, N] nodes hit
    cap = _delayed_capacity(net, comp, P, S)
    years = np.arange(T) // 4
    growth = (1.0 + P["demand_growth_shift"][None, :]) ** years[:, None]  # [T, S]
    demand = net.demand[:, uses.e, uses.k][:, :, None] * growth[:, None, :]  # [T, U, S]
    for k, sector in enumerate(net.sectors):
        g = P.get(f"demand_growth_shift.{sector}")
        if g is not None and (uses.k == k).any():
            f = (1.0 + g[None, :]) ** years[:, None]  # [T, S]
            demand[:, uses.k == k] *= f[:, None, :]
    for key, mask in comp.shifts:
        win = timing(np.full(S, comp.starts[key]), _end(comp, key, P, S), T, P[f"{key}.occurs"])
        factor = 1.0 + (P[f"{key}.factor"][:, None] - 1.0) * win  # [S, T]
        m_u = mask[uses.e, uses.k]
        demand = demand * np.where(m_u[None, :, None], factor.T[:, None, :], 1.0)
    blended = [d if comp.deminimis[k] > 0 else None for k, d in enumerate(deny)]
    return {"deny": deny, "deny_mil": deny_mil, "outages": outages, "cap_t": cap,
            "demand": demand,
            "blended": blended, "redirect": trapped_share(comp, deny, T, E, S)}


def trapped_share(comp: Compiled, deny: list[np.ndarray], T: int, E: int, S: int
                  ) -> np.ndarray | None:
    """``[T, E, S]`` share of clean material bound for the controlling exporter's plants that its
    direct controls trap there: the largest denial of the direct parts covering the element."""
    rho = None
    for part, c in zip(comp.parts, deny, strict=True):
        if part.fdpr or part.elements is None:
            continue
        r = c[:, 0, :, 0][:, None, :] * part.elements[None, :, None]
        rho = r if rho is None else np.maximum(rho, r)
    return rho


def _delayed_capacity(net: Network, comp: Compiled, P: dict[str, np.ndarray], S: int
                      ) -> dict[str, np.ndarray]:
    """Stage -> ``[S, T, N]`` quarter whose base capacity applies after project delays: capacity
    at quarter t is the base capacity at ``t - shift`` (from the delay's start ``s`` on when it
    has one: the capacity of ``max(s, t - shift)``), never above the base (the propagation
    takes the minimum)."""
    T = net.n_quarters
    out: dict[str, np.ndarray] = {}
    shift: dict[str, np.ndarray] = {}
    start: dict[str, np.ndarray] = {}
    for key, stage, mask in comp.delays:
        q = 4.0 * P[f"{key}.delay_years"] * P[f"{key}.occurs"]
        shift[stage] = np.maximum(shift.get(stage, 0.0), q[:, None] * mask[None, :])
        s0 = P.get(f"{key}.start")
        if s0 is not None:
            start[stage] = np.minimum(start.get(stage, np.inf), s0)
    for stage, sh in shift.items():
        t = np.arange(T)[None, :, None]
        ti = t - np.rint(sh)[:, None, :]  # [S, T, N]
        if stage in start:
            s0 = np.ceil(start[stage])[:, None, None]
            ti = np.where(t < s0, t, np.maximum(ti, s0))
        out[stage] = np.clip(ti, 0, T - 1).astype(np.int64)
    return out


def run_batch(net: Network, comp: Compiled, P: dict[str, np.ndarray], S: int,
              diagnostics: bool = False) -> dict[str, np.ndarray]:
    """Simulate ``S`` samples with parameters ``P`` (each ``[S]``).

    Returns
    -------
    dict
        Per use (element × sector with demand, ``net.uses``): ``shortfall`` (after inventories
        and stockpile), ``shortfall_no_nds`` and ``demand`` ``[S, T, U]`` (t per quarter);
        ``tts``/``ttr`` ``[S, U, 2]`` (quarters; without/with stockpile) and ``unmet`` (t);
        ``price_ex``/``price_cn`` ``[S, T, E]`` (multiple of the base price); with
        ``diagnostics`` also intermediate flows ``[S, T, E]`` (``us_supply``, ``ramp_us``,
        ``world``, ``served_dom_unrated``, ``nds_release``...).
    """
    T = net.n_quarters
    uses = Uses.of(net)
    sh = shock_arrays(net, comp, P, S, uses)
    demand: np.ndarray = sh["demand"]  # type: ignore[assignment]
    lo, hi = comp.dpa_window
    dpa_on = timing(np.array([lo]), np.array([hi]), T)[0] >= 0.5  # [T]
    dfn = uses.defense[None, :, None]
    rated = None
    if dpa_on.any():
        rated = {}
        for r, mag in (("magnet", True), ("oxide", False)):
            in_route = (uses.magnet == mag)[None, :, None]
            rated[r] = (uses.esum(demand * dfn * in_route)) * dpa_on[:, None, None]
            rated[f"{r}_total"] = uses.esum(demand * in_route)
    phys = propagate(net, comp, S, sh["deny"], sh["outages"], sh["cap_t"], rated,  # type: ignore[arg-type]
                     sh["blended"], sh["redirect"])  # type: ignore[arg-type]
    del sh["outages"], sh["cap_t"], sh["deny"], sh["blended"], sh["redirect"]
    base = base_flows(net)
    mk = _market(net, comp, P, phys, base, demand, uses)
    deny_mil: np.ndarray = sh["deny_mil"]  # type: ignore[assignment]
    x_mil = {r: phys.imp_x[r] * deny_mil for r in ROUTES}
    pools = {
        "x_mil": uses.by_group(x_mil["magnet"], x_mil["oxide"]),
        "free": uses.by_group(*(phys.imp[r] + phys.imp_x[r] - x_mil[r] for r in ROUTES))
        + mk["ramp_group"],
        "dom": uses.by_group(phys.dom["magnet"], phys.dom["oxide"]),
    }
    alloc = allocate(uses, mk["demand_after"], pools, dpa_on, comp.dx_share)
    nds = comp.nds[:, None] * P["stockpile.acquired_fraction"][None, :]
    s0 = P.get("first_shock", comp.first_shock)  # per sample for generated scenarios
    order = s0 if comp.parts or comp.outages or comp.delays else np.inf
    res = stocks(uses, demand, alloc["short"], alloc["spare"], P["inventory.cover_quarters"],
                 nds, comp.nds_release, P["stockpile.release_delay_days"], order)
    short, short_no, pre = (x.transpose(2, 0, 1) for x in
                            (res["short"], res["short_no_nds"], alloc["short"]))
    out_demand = demand.transpose(2, 0, 1)
    out = {
        "shortfall": short,
        "shortfall_no_nds": short_no,
        "demand": out_demand,
        "price_ex": mk["price_ex"].transpose(2, 0, 1),
        "price_cn": mk["price_cn"].transpose(2, 0, 1),
        "tts": np.stack([calc_tts(short_no, pre, s0), calc_tts(short, pre, s0)], -1),
        "ttr": np.stack([calc_ttr(x, s0, out_demand, comp.ttr_materiality)
                         for x in (short_no, short)], -1),
        "unmet": np.stack([short_no.sum(1), short.sum(1)], -1),
    }
    if "first_shock" in P:
        out["first_shock"] = np.asarray(s0, float)
    if diagnostics:
        us = sum(phys.dom[r] + phys.imp[r] + phys.imp_x[r] for r in ROUTES)
        by_el = {"nds_release": res["nds"], "inventory_draw": res["draw"]}
        extra = {"us_supply": us, "ramp_us": mk["ramp_us"], "world": phys.world,
                 "diverted": phys.diverted, "substitution_us": mk["subst_us"],
                 "us_dom": sum(phys.dom.values()), "denied_cn": phys.denied_cn,
                 "served_dom_unrated": _to_elements(uses, alloc["dom_unrated"], group=True),
                 "served_dom_defense": _to_elements(uses, alloc["dom_defense"], group=True),
                 **{k: _to_elements(uses, v) for k, v in by_el.items()}}
        extra |= {"served_dom_use": alloc["served"], "shortfall_pre": alloc["short"],
                  "nds_release_use": res["nds"], "inventory_draw_use": res["draw"],
                  "demand_after": mk["demand_after"]}
        out.update({k: v.transpose(2, 0, 1) for k, v in extra.items()})
        out["world_base"] = base.world[:, :, 0]
    return out


def _to_elements(uses: Uses, x: np.ndarray, group: bool = False) -> np.ndarray:
    """Sum per-use ``[T, U, S]`` (or per-group ``[T, G, S]``) arrays to elements ``[T, E, S]``."""
    return uses.g_to_e(x) if group else uses.esum(x)


def _market(net: Network, comp: Compiled, P: dict[str, np.ndarray], phys: Physical,
            base: Physical, demand: np.ndarray, uses: Uses) -> dict[str, np.ndarray]:
    T = net.n_quarters
    d_us = uses.esum(demand)  # [T, E, S]
    recv = sum(phys.dom[r] + phys.imp[r] + phys.imp_x[r] for r in ROUTES)
    gap_us = np.maximum(d_us - recv, 0.0)
    row_base = base.row  # [T, E, 1]
    gap_row = np.maximum(row_base - phys.row, 0.0)
    gap = gap_us + gap_row
    d_ex = d_us + row_base
    short = gap > 1e-6 * np.maximum(d_ex, _TOL)
    t = np.arange(T, dtype=float)[:, None, None]
    onset = np.where(short.any(0), short.argmax(0), T)[None].astype(float)  # [1, E, S]
    tau = np.maximum(t - onset, 0.0) / 4.0  # years
    world = base.world  # [T, E, 1]
    ramp = np.minimum(gap, P["market.ramp_rate"][None, None, :] * tau * world)
    subst = np.minimum(gap - ramp, P["market.substitution_rate"][None, None, :] * tau * d_ex)
    unmet = _after_stocks(np.maximum(gap - ramp - subst, 0.0), d_ex,
                          P["market.ramp_rate"][None, None, :] * tau * world - ramp,
                          P["inventory.cover_quarters"])
    with np.errstate(invalid="ignore", divide="ignore"):
        w_us = np.where(gap > _TOL, gap_us / np.where(gap > _TOL, gap, 1.0), 0.0)
        z = np.where(d_ex > _TOL, unmet / np.where(d_ex > _TOL, d_ex, 1.0), 0.0)
    lam = np.clip(tau / np.maximum(P["market.adjustment_years"][None, None, :], 1e-9), 0, 1)
    ed = (1 - lam) * P["market.demand_elasticity_short"] + lam * P["market.demand_elasticity_long"]
    es = (1 - lam) * P["market.supply_elasticity_short"] + lam * P["market.supply_elasticity_long"]
    denom = np.maximum(es - ed, 1e-6)
    lncap = np.log(P["market.price_cap_multiple"])[None, None, :]
    ln_ex = np.minimum(-np.log1p(-np.minimum(z, 1 - 1e-12)) / denom, lncap)
    with np.errstate(invalid="ignore", divide="ignore"):
        u = np.where(base.china_home > _TOL, phys.denied_cn / np.where(
            base.china_home > _TOL, base.china_home, 1.0), 0.0)
    u = u * (1.0 - P["market.china_surplus_absorbed"][None, None, :])
    ln_cn = np.maximum(-np.log1p(u) / denom, -lncap)
    ramp_us, subst_us = ramp * w_us, subst * w_us
    elig = np.ones_like(uses.defense) if comp.defense_substitution else ~uses.defense
    d_elig = uses.esum(demand * elig[None, :, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        f_sub = np.where(d_elig > _TOL, np.minimum(subst_us / np.where(d_elig > _TOL, d_elig, 1.0),
                                                   1.0), 0.0)
    demand_after = demand * (1.0 - f_sub[:, uses.e] * elig[None, :, None])
    recv_g = uses.by_group(*(phys.dom[r] + phys.imp[r] + phys.imp_x[r] for r in ROUTES))
    gap_g = np.maximum(uses.gsum(demand) - recv_g, 0.0)
    tot = uses.g_to_e(gap_g)[:, uses.ge]
    with np.errstate(invalid="ignore", divide="ignore"):
        ramp_g = np.where(tot > _TOL, ramp_us[:, uses.ge] * gap_g / np.where(tot > _TOL, tot, 1.0),
                          0.0)
    return {"demand_after": demand_after, "ramp_us": ramp_us,
            "subst_us": d_us - uses.esum(demand_after), "ramp_group": ramp_g,
            "price_ex": np.exp(ln_ex), "price_cn": np.exp(ln_cn)}


def _after_stocks(unmet: np.ndarray, d_ex: np.ndarray, spare: np.ndarray, cover: np.ndarray
                  ) -> np.ndarray:
    """Ex-China deficit left after commercial stocks (``cover`` quarters of ex-China demand),
    refilled from unused ramp-up capacity; this is the deficit prices clear."""
    stock = cover[None, :] * d_ex[0]
    out = np.empty_like(unmet)
    for t in range(unmet.shape[0]):
        draw = np.minimum(stock, unmet[t])
        out[t] = unmet[t] - draw
        stock = np.minimum(stock - draw + np.maximum(spare[t], 0.0) * (unmet[t] <= _TOL),
                           cover[None, :] * d_ex[t])
    return out
