"""Straightforward reference implementation of the simulator: plain Python loops.

One sample at a time, one quarter at a time, one element and one node at a time, with scalar
arithmetic only; it takes the same inputs as :func:`reeplan.sim.engine.run_batch` (network,
compiled scenario, sampled parameters) and re-implements every step from the formulas in the
engine's docstrings. The benchmark runs it on a subset to show that the vectorised engine gives
the same numbers, and how much faster it is.
"""

from __future__ import annotations

import math

import numpy as np

from reeplan.sim.network import PROCESS, ROUTES, Network
from reeplan.sim.shocks import Compiled

DAYS_PER_QUARTER = 365.25 / 4
TOL = 1e-9


def window(start: float, end: float, t: int) -> float:
    """Share of quarter ``[t, t + 1)`` inside ``[start, end)``."""
    return min(max(min(end, t + 1.0) - max(start, t), 0.0), 1.0)


def reference_run(net: Network, comp: Compiled, P: dict[str, np.ndarray], S: int
                  ) -> dict[str, np.ndarray]:
    """Shortfall ``[S, T, U]`` and ex-China price multiples ``[S, T, E]``, loop by loop."""
    if any(comp.blended.values()):
        msg = "the reference implementation covers segregated lots only"
        raise NotImplementedError(msg)
    T, E, U = net.n_quarters, len(net.elements), len(net.uses)
    short_out = np.zeros((S, T, U))
    price_out = np.zeros((S, T, E))
    for s in range(S):
        p = {k: float(v[s]) for k, v in P.items()}
        short_out[s], price_out[s] = _one_sample(net, comp, p)
    return {"shortfall": short_out, "price_ex": price_out}


def _end(comp: Compiled, key: str, p: dict[str, float]) -> float:
    if comp.ends.get(key) is not None:
        return comp.ends[key]
    if f"{key}.duration_years" in p:
        return comp.starts[key] + 4.0 * p[f"{key}.duration_years"]
    return math.inf


def _one_sample(net: Network, comp: Compiled, p: dict[str, float]
                ) -> tuple[np.ndarray, np.ndarray]:
    T, E = net.n_quarters, len(net.elements)
    uses = [(int(e), int(k)) for e, k in net.uses]
    sectors = net.sectors
    # shocks
    deny = []
    for part in comp.parts:
        key = part.key.removesuffix(".fdpr")
        end, occ = _end(comp, key, p), p[f"{key}.occurs"]
        delay = p[f"{key}.licence_delay_days"] / DAYS_PER_QUARTER
        a = p[f"{key}.approval_rate"]
        deny.append([min(max(occ * window(part.start, end, t) - a * occ * window(
            part.start + delay, end, t), 0.0), 1.0) for t in range(T)])
    mil = [[0.0] * E for _ in range(T)]
    for part in comp.parts:
        if part.military_denied:
            key = part.key.removesuffix(".fdpr")
            end, occ = _end(comp, key, p), p[f"{key}.occurs"]
            for t in range(T):
                for e in range(E):
                    if part.end_elements[e]:
                        mil[t][e] = max(mil[t][e], occ * window(part.start, end, t))
    keep: dict[tuple[str, int, int, int], float] = {}
    for key, stage, mask in comp.outages:
        end, occ = _end(comp, key, p), p[f"{key}.occurs"]
        for t in range(T):
            w = occ * window(comp.starts[key], end, t) * p[f"{key}.fraction"]
            for e in range(E):
                for n in range(mask.shape[1]):
                    if mask[e, n]:
                        keep[stage, t, e, n] = keep.get((stage, t, e, n), 1.0) * (1.0 - w)
    shift: dict[tuple[str, int], float] = {}
    for key, stage, mask in comp.delays:
        q = 4.0 * p[f"{key}.delay_years"] * p[f"{key}.occurs"]
        for n in range(len(mask)):
            if mask[n]:
                shift[stage, n] = max(shift.get((stage, n), 0.0), q)

    def cap(stage: str, t: int, e: int, n: int) -> float:
        c = float(net.capacity[stage][t, e, n])
        if (stage, n) in shift:
            ti = min(max(t - int(np.rint(shift[stage, n])), 0), T - 1)
            return min(float(net.capacity[stage][ti, e, n]), c)
        return c

    demand = [[0.0] * len(uses) for _ in range(T)]
    for t in range(T):
        for u, (e, k) in enumerate(uses):
            d = float(net.demand[t, e, k]) * (1.0 + p["demand_growth_shift"]) ** (t // 4)
            for key, mask in comp.shifts:
                if mask[e, k]:
                    w = p[f"{key}.occurs"] * window(comp.starts[key], _end(comp, key, p), t)
                    d *= 1.0 + (p[f"{key}.factor"] - 1.0) * w
            demand[t][u] = d
    lo, hi = comp.dpa_window
    dpa = [window(lo, hi, t) >= 0.5 for t in range(T)]
    mag_route = [bool(net.magnet_route[e, k]) for e, k in uses]
    is_def = [sectors[k] == "defense" for _, k in uses]
    phys = [[_physical(net, comp, t, e, deny, keep, cap, demand, uses, mag_route, is_def, dpa)
             for e in range(E)] for t in range(T)]
    base = [[_physical(net, None, t, e, None, {}, None, None, uses, mag_route, is_def, [False])
             for e in range(E)] for t in range(T)]
    market = _market(net, p, phys, base, demand, uses, mag_route, is_def, comp)
    short = _allocate_and_stock(net, comp, p, phys, market, demand, uses, mag_route, is_def,
                                dpa, mil)
    return short, market["price"]


def _physical(net, comp, t, e, deny, keep, cap, demand, uses, mag_route, is_def, dpa):
    countries = net.countries
    us_c = countries.index("USA")
    cn_c = countries.index("CHN")
    xn = comp.x_nodes if comp is not None else {s: [False] * len(v) for s, v in net.nodes.items()}
    rated = {"magnet": 0.0, "oxide": 0.0, "magnet_total": 0.0, "oxide_total": 0.0}
    if comp is not None:
        for u, (ue, _) in enumerate(uses):
            if ue == e:
                r = "magnet" if mag_route[u] else "oxide"
                rated[f"{r}_total"] += demand[t][u]
                if is_def[u] and dpa[t]:
                    rated[r] += demand[t][u]
    use_dpa = comp is not None and any(dpa)
    denied = 0.0
    diverted = 0.0

    def q_of(members):
        keep_ = 1.0
        for k in members:
            keep_ *= 1.0 - deny[k][t]
        return 1.0 - keep_

    nodes = net.nodes["mining"]
    A, C = [], []
    for n in range(len(nodes)):
        m = float(net.output["mining"][t, e, n])
        if comp is not None:
            m = max(m - max(float(net.capacity["mining"][t, e, n]) - cap("mining", t, e, n),
                            0.0), 0.0)
            m *= keep.get(("mining", t, e, n), 1.0)
        A.append(m if xn["mining"][n] else 0.0)
        C.append(0.0 if xn["mining"][n] else m)

    def through(link, A, C):
        nonlocal denied
        f = net.share[link][t, e]
        n_o, D = f.shape
        inA = [sum(A[o] * f[o, d] for o in range(n_o)) for d in range(D)]
        inC = [sum(C[o] * f[o, d] for o in range(n_o)) for d in range(D)]
        per_origin_cut = [[0.0] * D for _ in range(n_o)]
        if comp is not None:
            origins = net.nodes[link.split(">")[0]]
            for members, rows, G in comp.cells.get(link, ()):
                q = q_of(members)
                for r, o in enumerate(rows):
                    for d in range(D):
                        cut = q * A[o] * G[t, e, r, d]
                        inA[d] -= cut
                        per_origin_cut[o][d] += cut
                        if origins[o] == cn_c:
                            denied += cut
        inA, inC = [max(x, 0.0) for x in inA], [max(x, 0.0) for x in inC]
        if comp is not None and link in dict(PROCESS):
            reallocate(link, C, inA, inC)
        return inA, inC, per_origin_cut

    def reallocate(link, C, inA, inC):
        """Trapped clean material bound for the exporter's plants goes to the other plants,
        pro rata to their lost purchases (up to pre-shock purchases and capacity)."""
        up, stage = link.split(">")
        rho = 0.0
        for k, part in enumerate(comp.parts):
            if not part.fdpr and part.elements is not None and part.elements[e]:
                rho = max(rho, deny[k][t])
        xo, xd = comp.x_nodes[up], comp.x_nodes[stage]
        if rho <= 0.0 or not any(xd):
            return
        f = net.share[link][t, e]
        n_o, D = f.shape
        cx = [sum(C[o] * f[o, d] for o in range(n_o) if not xo[o]) if xd[d] else 0.0
              for d in range(D)]
        pool = rho * sum(cx)
        room = [0.0] * D
        for d in range(D):
            if not xd[d]:
                base_in = sum(float(net.output[up][t, e, o]) * f[o, d] for o in range(n_o))
                claim = min(base_in, cap(stage, t, e, d) / net.yields[stage])
                room[d] = max(claim - inA[d] - inC[d], 0.0)
        moved = min(pool, sum(room))
        if moved <= 0.0:
            return
        for d in range(D):
            if xd[d]:
                inC[d] = max(inC[d] - cx[d] * rho * moved / pool, 0.0)
            else:
                inC[d] += room[d] * moved / sum(room)

    def divert(link, A, C, u_up, u_dn, want, inA, inC, end_use=False):
        up = link.split(">")[0]
        f = net.share[link][t, e]
        used = sum(float(net.share[name][t, e, u_up].sum()) for name in net.share
                   if name.startswith(f"{up}>"))
        total = A[u_up] + C[u_up]
        unalloc = total * min(max(1.0 - used, 0.0), 1.0)
        exports = total * (float(f[u_up].sum()) - float(f[u_up, u_dn]))
        moved = min(max(want, 0.0), unalloc + exports)
        if moved == 0.0:
            return 0.0
        from_exp = max(moved - unalloc, 0.0)
        rho = from_exp / exports if exports > 0 else 0.0
        fa = A[u_up] / total if total > 0 else 0.0
        for d in range(f.shape[1]):
            if d == u_dn:
                continue
            cut = rho * f[u_up, d] * total
            inA[d] = max(inA[d] - cut * fa, 0.0)
            inC[d] = max(inC[d] - cut * (1.0 - fa), 0.0)
        if not end_use:
            inA[u_dn] += moved * fa
            inC[u_dn] += moved * (1.0 - fa)
        return moved

    out = {"mining": (A, C)}
    y = net.yields
    for link, stage in PROCESS:
        up = link.split(">")[0]
        A, C = out[up]
        inA, inC, _ = through(link, A, C)
        u_up, u_dn = net.index(up, "USA"), net.index(stage, "USA")
        if use_dpa and u_up is not None and u_dn is not None:
            mag = rated["magnet"] / y["magnet"]
            req = mag if stage == "magnet" else (mag / y["metal"] if stage == "metal" else
                                                 (mag / y["metal"] + rated["oxide"])
                                                 / y["separation"])
            need = max(req - (inA[u_dn] + inC[u_dn]), 0.0)
            room = max(cap(stage, t, e, u_dn) / y[stage] - (inA[u_dn] + inC[u_dn]), 0.0)
            diverted += divert(link, A, C, u_up, u_dn, min(need, room), inA, inC)
        oA, oC = [], []
        for n in range(len(inA)):
            tot = inA[n] + inC[n]
            o = y[stage] * tot
            if comp is not None:
                o = min(o, cap(stage, t, e, n)) if any(
                    k == stage for k, _ in _shift_keys(comp)) else o
                o *= keep.get((stage, t, e, n), 1.0)
            fa = 1.0 if xn[stage][n] else (inA[n] / tot if tot > 0 else 0.0)
            oA.append(o * fa)
            oC.append(o * (1.0 - fa))
        out[stage] = (oA, oC)
    end = list(net.nodes["end_use"])
    u_end = end.index(us_c)
    res = {"dom": {}, "imp": {}, "imp_x": {}, "row": 0.0, "home": 0.0, "world": 0.0}
    for route, link in ROUTES.items():
        src = link.split(">")[0]
        A, C = out[src]
        o_nodes = list(net.nodes[src])
        inA, inC, cut = through(link, A, C)
        f = net.share[link][t, e]
        dom = imp = imp_x = 0.0
        for o, c in enumerate(o_nodes):
            v = max(A[o] * f[o, u_end] + C[o] * f[o, u_end] - cut[o][u_end], 0.0)
            if c == us_c:
                dom += v
            elif xn[src][o]:
                imp_x += v
            else:
                imp += v
        u_src = net.index(src, "USA")
        if use_dpa and u_src is not None:
            total = rated[f"{route}_total"]
            covered = min((imp + imp_x) / total, 1.0) if total > 0 else 1.0
            need = max(rated[route] * (1.0 - covered) - dom, 0.0)
            got = divert(link, A, C, u_src, u_end, need, inA, inC, end_use=True)
            dom += got
            res["world"] += got
        res["dom"][route], res["imp"][route], res["imp_x"][route] = dom, imp, imp_x
        res["world"] += sum(inA) + sum(inC)
        res["row"] += sum(inA[d] + inC[d] for d in range(len(end)) if end[d] != us_c)
        if "ROW" in countries and cn_c in o_nodes and countries.index("ROW") in end:
            i_cn, j_row = o_nodes.index(cn_c), end.index(countries.index("ROW"))
            xi = net.export_share.get(("CHN", src), 1.0)
            res["home"] += (A[i_cn] + C[i_cn]) * f[i_cn, j_row] * (1.0 - xi)
    res["row"] = max(res["row"] - res["home"], 0.0)
    res["denied"] = denied
    return res


def _shift_keys(comp: Compiled) -> list[tuple[str, str]]:
    return [(stage, key) for key, stage, _ in comp.delays]


def _market(net, p, phys, base, demand, uses, mag_route, is_def, comp):
    T, E = net.n_quarters, len(net.elements)
    price = np.ones((T, E))
    out = {"price": price, "ramp": {}, "after": [[0.0] * len(uses) for _ in range(T)]}
    for e in range(E):
        my = [u for u, (ue, _) in enumerate(uses) if ue == e]
        rows = []
        for t in range(T):
            ph, b = phys[t][e], base[t][e]
            d_us = sum(demand[t][u] for u in my)
            recv = sum(ph[k][r] for k in ("dom", "imp", "imp_x") for r in ROUTES)
            gap_us = max(d_us - recv, 0.0)
            gap_row = max(b["row"] - ph["row"], 0.0)
            rows.append((d_us, gap_us, gap_us + gap_row, d_us + b["row"], b["world"]))
        onset = next((t for t, r in enumerate(rows) if r[2] > 1e-6 * max(r[3], TOL)), T)
        stock = p["inventory.cover_quarters"] * rows[0][3]
        for t, (_d_us, gap_us, gap, d_ex, world) in enumerate(rows):
            tau = max(t - onset, 0) / 4.0
            ramp_cap = p["market.ramp_rate"] * tau * world
            ramp = min(gap, ramp_cap)
            subst = min(gap - ramp, p["market.substitution_rate"] * tau * d_ex)
            unmet0 = max(gap - ramp - subst, 0.0)
            draw = min(stock, unmet0)
            unmet = unmet0 - draw
            stock = min(stock - draw + max(ramp_cap - ramp, 0.0) * (unmet0 <= TOL),
                        p["inventory.cover_quarters"] * d_ex)
            w_us = gap_us / gap if gap > TOL else 0.0
            z = unmet / d_ex if d_ex > TOL else 0.0
            lam = min(max(tau / max(p["market.adjustment_years"], 1e-9), 0.0), 1.0)
            ed = (1 - lam) * p["market.demand_elasticity_short"] + \
                lam * p["market.demand_elasticity_long"]
            es = (1 - lam) * p["market.supply_elasticity_short"] + \
                lam * p["market.supply_elasticity_long"]
            denom = max(es - ed, 1e-6)
            ln_ex = min(-math.log1p(-min(z, 1 - 1e-12)) / denom,
                        math.log(p["market.price_cap_multiple"]))
            price[t, e] = math.exp(ln_ex)
            ramp_us, subst_us = ramp * w_us, subst * w_us
            elig = [u for u in my if comp.defense_substitution or not is_def[u]]
            d_elig = sum(demand[t][u] for u in elig)
            f_sub = min(subst_us / d_elig, 1.0) if d_elig > TOL else 0.0
            for u in my:
                out["after"][t][u] = demand[t][u] * (1.0 - (f_sub if u in elig else 0.0))
            ph = phys[t][e]
            gaps = {}
            for r in ROUTES:
                d_r = sum(demand[t][u] for u in my if mag_route[u] == (r == "magnet"))
                gaps[r] = max(d_r - ph["dom"][r] - ph["imp"][r] - ph["imp_x"][r], 0.0)
            tot = sum(gaps[r] for r in ROUTES if any(mag_route[u] == (r == "magnet")
                                                    for u in my))
            for r in ROUTES:
                out["ramp"][t, e, r] = ramp_us * gaps[r] / tot if tot > TOL else 0.0
    return out


def _pro_rata(pool: float, need: dict[int, float]) -> dict[int, float]:
    tot = sum(need.values())
    frac = min(pool / tot, 1.0) if tot > TOL else 0.0
    return {u: n * frac for u, n in need.items()}


def _allocate_and_stock(net, comp, p, phys, market, demand, uses, mag_route, is_def, dpa, mil):
    T = net.n_quarters
    U = len(uses)
    groups: dict[tuple[int, bool], list[int]] = {}
    for u, (e, _) in enumerate(uses):
        groups.setdefault((e, mag_route[u]), []).append(u)
    cover = p["inventory.cover_quarters"]
    inv = [demand[0][u] * cover for u in range(U)]
    nds = [float(comp.nds[e]) * p["stockpile.acquired_fraction"] if is_def[u] else 0.0
           for u, (e, _) in enumerate(uses)]
    order = comp.first_shock if comp.parts or comp.outages or comp.delays else math.inf
    first = [order] * U
    delay = p["stockpile.release_delay_days"] / DAYS_PER_QUARTER
    short = np.zeros((T, U))
    for t in range(T):
        pre = [0.0] * U
        spare = {}
        for (e, mag), members in groups.items():
            r = "magnet" if mag else "oxide"
            ph = phys[t][e]
            need = {u: market["after"][t][u] for u in members}
            x_mil = ph["imp_x"][r] * mil[t][e]
            free = ph["imp"][r] + ph["imp_x"][r] - x_mil + market["ramp"][t, e, r]
            g1 = _pro_rata(x_mil, {u: (0.0 if is_def[u] else need[u]) for u in members})
            rem = {u: need[u] - g1[u] for u in members}
            g2 = _pro_rata(free, rem)
            rem = {u: rem[u] - g2[u] for u in members}
            dom = ph["dom"][r]
            if dpa[t]:
                served = dict.fromkeys(members, 0.0)
                left = dom
                tiers = ({u: rem[u] * comp.dx_share if is_def[u] else 0.0 for u in members},
                         {u: rem[u] * (1 - comp.dx_share) if is_def[u] else 0.0 for u in members},
                         {u: 0.0 if is_def[u] else rem[u] for u in members})
                for tier in tiers:
                    got = _pro_rata(left, tier)
                    for u in members:
                        served[u] += got[u]
                    left -= sum(got.values())
            else:
                served = _pro_rata(dom, rem)
            for u in members:
                pre[u] = max(rem[u] - served[u], 0.0)
            spare[e, mag] = max(x_mil - sum(g1.values()) + free - sum(g2.values())
                                + dom - sum(served.values()), 0.0)
        pre0 = list(pre)
        for u in range(U):
            draw = min(inv[u], pre[u])
            inv[u] -= draw
            pre[u] -= draw
        deficit = [max(demand[t][u] * cover - inv[u], 0.0) for u in range(U)]
        for key, members in groups.items():
            add = _pro_rata(spare[key], {u: deficit[u] for u in members})
            for u in members:
                inv[u] += add[u]
        for u in range(U):
            s = pre[u]
            if is_def[u]:
                if s > TOL:
                    first[u] = min(first[u], float(t))
                if comp.nds_release:
                    avail = min(max(t + 1.0 - (first[u] + delay), 0.0), 1.0)
                    rel = min(nds[u], s, pre0[u] * avail)
                    nds[u] -= rel
                    s -= rel
            short[t, u] = max(s, 0.0)
    return short
