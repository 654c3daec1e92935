"""The executive summary, written from a run's results: findings, awards, risks.

:func:`findings` reads the sections of a :class:`~reeplan.brief.model.RunResult` (never the
template) and returns three to six :class:`Finding` s in plain sentences, each with its number,
its uncertainty (P5–P95 where the simulation gives one) and its source. :func:`award_summary`
names the recommended awards and what they buy. The HTML brief, ``brief.json`` and
``reeplan run`` print the same findings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from reeplan.brief.formats import NO_SHORTFALL, format_money
from reeplan.brief.model import RunResult, Section
from reeplan.optimize.objective import OBJECTIVES

__all__ = ["AwardSummary", "Finding", "award_summary", "findings", "risks"]


@dataclass(frozen=True)
class Finding:
    """One finding of the executive summary."""

    key: str
    title: str
    text: str
    """The finding as one or two plain sentences, with its number."""
    value: float | None
    unit: str
    uncertainty: str = ""
    """P5–P95 range (or why there is none)."""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass
class AwardSummary:
    """The recommended awards and what they buy."""

    awards: pd.DataFrame
    """One row per award: project, instrument, scored cost, P(production) without/with."""
    cost_usd: float
    budget_usd: float
    shortfall_avoided_wt: float
    """Expected weighted shortfall avoided (weighted t REO-eq)."""
    reduction: float
    """Share of the expected weighted shortfall avoided."""
    usd_per_weighted_t: float
    defense_avoided_t: float
    """Expected defense shortfall avoided, t REO-eq."""
    defense_cover_months: float
    """Months of defense cover gained (time to survive, P50, best element group)."""
    marginal_value: float
    """Weighted t avoided by the next $1bn."""
    names: list[str] = field(default_factory=list)
    valued_against: str = "the threat model"
    """What the awards are valued against (the threat model, or the scenarios given)."""
    unit: str = "weighted t"
    """Unit of ``shortfall_avoided_wt`` and ``marginal_value``: the objective's (weighted t,
    $M of output, F-35-eq deliveries)."""
    defense_baseline_t: float = float("nan")
    """Expected defense shortfall with no awards, t REO-eq (all groups)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        d = {k: v for k, v in asdict(self).items() if k != "awards"}
        d["awards"] = self.awards.to_dict(orient="records")
        return d


def _section(result: RunResult, name: str) -> Section | None:
    try:
        return result.section(name)
    except KeyError:
        return None


def _headline(sec: Section | None, key: str) -> float | None:
    if sec is None:
        return None
    for h in sec.headlines:
        if h.key == key:
            return h.value
    return None


def _years(v: float) -> str:
    if not math.isfinite(v):
        return NO_SHORTFALL
    if v < 1:
        return f"{v * 12:.0f} months"
    return f"{v:.1f} years"


def _range(p5: float, p95: float, fmt=_years) -> str:
    if not math.isfinite(p5) and not math.isfinite(p95):
        return "P5–P95: no shortfall in any sample"
    if fmt(p5) == fmt(p95):  # P5 = P95: the same in at least 90 % of the samples
        return f"P5 = P95 = {fmt(p5)}: the same in at least 90 % of samples"
    return f"P5–P95 {fmt(p5)} to {fmt(p95)}"


def award_summary(result: RunResult) -> AwardSummary | None:
    """The recommended awards and what they buy, or ``None`` if the run has no portfolio."""
    sec = _section(result, "portfolio")
    if sec is None or "awards" not in sec.tables:
        return None
    awards = sec.tables["awards"]
    cost = _headline(sec, "portfolio_cost") or 0.0
    base = _headline(sec, "portfolio_baseline_loss")
    loss = _headline(sec, "portfolio_expected_loss")
    reduction = _headline(sec, "portfolio_shortfall_reduction") or 0.0
    avoided = (base - loss) if base is not None and loss is not None else float("nan")
    per_t = cost / avoided if avoided and avoided > 1e-9 else float("nan")
    groups = sec.tables.get("shortfall_by_group", pd.DataFrame())
    defense = 0.0
    defense_base = float("nan")
    cover = 0.0
    if len(groups):
        if {"expected_defense_shortfall_t_without", "expected_defense_shortfall_t_with"} <= set(
                groups.columns):
            defense = float((groups["expected_defense_shortfall_t_without"]
                             - groups["expected_defense_shortfall_t_with"]).sum())
            defense_base = float(groups["expected_defense_shortfall_t_without"].sum())
        if "time_to_survive_gained_years" in groups.columns:
            gained = pd.to_numeric(groups["time_to_survive_gained_years"], errors="coerce")
            finite = gained[gained.map(math.isfinite)]
            cover = max(float(finite.max()), 0.0) * 12 if len(finite) else 0.0
    names = [f"{r['project']} ({r.get('option', r.get('package', ''))})"
             for _, r in awards.iterrows()]
    options = result.provenance.get("options", {})
    budget = float(options.get("budget", float("nan")))
    given = list(options.get("scenarios") or [])
    against = (("the scenarios " + ", ".join(given)) if given else
               "the threat model (future export controls, feed losses and outages, 2026–2040)")
    objective = str(options.get("objective") or "tonnes")
    unit = OBJECTIVES[objective].sentence_unit if objective in OBJECTIVES else objective
    return AwardSummary(awards, float(cost), budget, float(avoided), float(reduction),
                        float(per_t), defense, cover,
                        float(_headline(sec, "portfolio_marginal_value") or 0.0), names,
                        against, unit, defense_base)


def findings(result: RunResult) -> list[Finding]:
    """Three to six findings of the run, most important first."""
    out: list[Finding] = []
    year = result.provenance.get("options", {}).get("year", "")
    summ = _section(result, "summary")
    if summ is not None:
        mine = _headline(summ, "china_mine_share")
        stages = {s: _headline(summ, f"china_share_{s}")
                  for s in ("separation", "metal", "magnet")}
        have = [f"{v:.0%} of {s}" for s, v in stages.items() if v is not None]
        parts = (", ".join(have[:-1]) + " and " + have[-1] if len(have) > 1
                 else "".join(have)) + " output" if have else ""
        hhi = _headline(summ, "mine_hhi")
        nir = _headline(summ, "us_nir_compounds_metals")
        nir_text = (f" The US imports {nir:.0%} of the rare-earth compounds and metals it uses "
                    "(net import reliance)." if nir is not None and math.isfinite(nir) and nir >= 0
                    else "")
        if mine is not None:
            out.append(Finding(
                "concentration", "China controls every stage",
                f"China mined {mine:.0%} of the world's rare earths in {year}"
                + (f" and holds {parts} (the later stages are lower bounds)" if parts else "")
                + (f"; mine-production HHI {hhi:.2f} (above 0.25 is highly concentrated)."
                   if hhi is not None else ".") + nir_text,
                mine, "share", "published statistics; no sampling range",
                "USGS Mineral Commodity Summaries 2026; IEA (stage shares)"))
    expo = _section(result, "exposure")
    if expo is not None and "exposure_key_elements" in expo.tables:
        key = expo.tables["exposure_key_elements"]
        mag = key[(key["stage"] == "magnet") & (key["us_requirement_t"] > 0)]
        heavy = mag[mag["element"].isin(["Dy", "Tb"])].sort_values("independence")
        if len(heavy):
            worst = heavy.iloc[0]
            others = ", ".join(f"{r['element']} {r['independence']:.0%}"
                               for _, r in heavy.iloc[1:].iterrows())
            out.append(Finding(
                "independence", "Heavy rare earths are the gap",
                f"A chain with no Chinese stage could serve only "
                f"{worst['independence']:.0%} of US {worst['element']} magnet demand in {year}, "
                f"even with full access to allied output"
                + (f" ({others})" if others else "") + "; light rare earths (Nd, Pr) are "
                f"{_light(mag)}.",
                float(worst["independence"]), "share",
                "upper bound (allied output fully available to the US); no sampling range",
                "reeplan chain model on the bundled facilities and trade tables"))
    sim = _section(result, "disruptions")
    if sim is not None and len(sim.tables.get("sim_tts", [])):
        out += _disruption_findings(sim)
    aw = award_summary(result)
    if aw is not None:
        out.append(_award_finding(aw))
    fin = _section(result, "finance")
    if fin is not None and len(fin.tables.get("award_costs", [])):
        costs = fin.tables["award_costs"].sort_values("expected_cost_musd", ascending=False)
        top = costs.iloc[0]
        out.append(Finding(
            "package_cost", "The July 2025 package is the costliest commitment"
            if top["package"] == "mp-2025" else "Award package cost",
            f"The {top['package']} package for {top['project']} is expected to cost the "
            f"government {format_money(top['expected_cost_musd'] * 1e6)} (present value); in "
            f"the worst 5 % of price paths it costs {format_money(top['p95_cost_musd'] * 1e6)} "
            f"or more.",
            float(top["expected_cost_musd"]), "million USD",
            f"P95 {format_money(top['p95_cost_musd'] * 1e6)}",
            f"reeplan finance {top['project']} --package {top['package']}"))
    return out[:6]


def _light(mag: pd.DataFrame) -> str:
    light = mag[mag["element"].isin(["Nd", "Pr"])]
    if not len(light):
        return "not reported"
    lo = light["independence"].min()
    return "fully covered" if lo >= 0.999 else f"at least {lo:.0%} covered"


def _disruption_findings(sim: Section) -> list[Finding]:
    tts = sim.tables["sim_tts"]
    short = sim.tables.get("sim_shortfall", pd.DataFrame())
    out: list[Finding] = []
    dy = tts[(tts["element"] == "Dy") & (tts["sector"] == "defense")]
    if not len(dy):
        return out
    total = (short.groupby("scenario")["unmet_t_p50"].sum() if len(short)
             else pd.Series(dtype=float))
    worst = str(total.idxmax()) if len(total) else str(dy["scenario"].iloc[0])
    row = dy[dy["scenario"] == worst]
    without = row[row["stockpile"] == "without"]
    with_ = row[row["stockpile"] == "with"]
    if len(without) and len(with_):
        a, b = without.iloc[0], with_.iloc[0]
        gain = b["tts_years_p50"] - a["tts_years_p50"]
        extra = ("the National Defense Stockpile adds "
                 + (f"{_years(gain)}" if math.isfinite(gain) else
                    "enough to avoid any defense shortfall before 2040")
                 if math.isfinite(a["tts_years_p50"]) else "")
        text = (f"Under {worst} (the worst preset scenario), defense Dy demand can be met for "
                f"{_years(a['tts_years_p50'])} after the first shock without the stockpile"
                + (f"; {extra}" if extra else "") + f". Recovery takes "
                f"{_years(a['ttr_years_p50'])} (time to recover, P50).")
        out.append(Finding(
            "time_to_survive",
            f"Defense Dy lasts {_years(a['tts_years_p50'])} in the worst scenario",
            text, float(a["tts_years_p50"]), "years",
            _range(a["tts_years_p5"], a["tts_years_p95"]) + " (without the stockpile)",
            f"reeplan simulate {worst}"))
    if len(short):
        s = short[short["scenario"] == worst]
        lo, mid, hi = (float(s[c].sum()) for c in ("unmet_t_p5", "unmet_t_p50", "unmet_t_p95"))
        dem = float(s["demand_t"].sum())
        out.append(Finding(
            "unmet", "Cumulative US shortfall",
            f"Under {worst}, {mid:,.0f} t REO-eq of US demand go unmet 2025–2040 "
            f"({mid / max(dem, 1e-9):.1%} of demand; the P50s of each use added up).",
            mid, "t REO-eq", f"P5–P95 {lo:,.0f} to {hi:,.0f} t (sums of per-use percentiles)",
            f"reeplan simulate {worst}"))
    return out


def _award_finding(aw: AwardSummary) -> Finding:
    names = (", ".join(aw.names[:-1]) + " and " + aw.names[-1] if len(aw.names) > 1
             else "".join(aw.names) or "no award")
    one = "weighted tonne" if aw.unit == "weighted t" else aw.unit.replace(" deliveries",
                                                                             " delivery")
    per_t = (f"{format_money(aw.usd_per_weighted_t)} per {one} avoided"
             if math.isfinite(aw.usd_per_weighted_t) else "no measurable loss avoided")
    cover = (f"{aw.defense_cover_months:.0f} more months of defense cover"
             if aw.defense_cover_months >= 0.5 else
             "no added months of defense cover (the P50 time to survive of defense demand does "
             "not change in the simulated scenarios)")
    if math.isfinite(aw.defense_baseline_t) and aw.defense_cover_months < 0.5:
        cover += (f": without awards the expected defense shortfall is only "
                  f"{aw.defense_baseline_t:,.1f} t REO-eq over the horizon, because DPA Title I "
                  "priority serves defense orders first from whatever non-Chinese supply "
                  "remains, so what the awards buy is civilian supply")
    spare = ""
    if (math.isfinite(aw.budget_usd) and aw.cost_usd < 0.9 * aw.budget_usd
            and abs(aw.marginal_value) < 1e-6):
        spare = (f" The budget is not binding: {format_money(aw.budget_usd - aw.cost_usd)} "
                 "is left, and the next $1bn would avoid no further shortfall.")
    return Finding(
        "awards", "Recommended awards",
        f"Valued against {aw.valued_against}: fund {names}. "
        f"{format_money(aw.cost_usd)} of scored cost buys "
        f"{aw.shortfall_avoided_wt:,.1f} {aw.unit} of expected loss avoided "
        f"({aw.reduction:.1%}), {per_t}, and {cover}.{spare}",
        aw.cost_usd, "USD", "expected over every simulated sample; no P5–P95 reported",
        "reeplan optimize")


def risks(result: RunResult) -> list[str]:
    """The biggest risks to the recommendation, in plain sentences."""
    out: list[str] = []
    aw = award_summary(result)
    if aw is not None and len(aw.awards) and "p_production_with" in aw.awards.columns:
        for _, r in aw.awards.iterrows():
            p = r.get("p_production_with")
            if isinstance(p, float) and math.isfinite(p) and p < 0.9:
                out.append(f"{r['project']} reaches production in only {p:.0%} of samples "
                           "even with the award.")
    sim = _section(result, "disruptions")
    if sim is not None and len(sim.tables.get("sim_baseline", [])):
        base = sim.tables["sim_baseline"]
        gaps = base[base["coverage"] < 0.999]
        if len(gaps):
            els = "; ".join(f"{r['element']} {r['route']}: {r['coverage']:.0%} of "
                            f"{r['demand_t']:,.0f} t" for _, r in gaps.iterrows())
            out.append(f"Structural gaps before any shock: the unshocked chain does not deliver "
                       f"all US demand ({els}); these gaps are in every scenario.")
    fin = _section(result, "finance")
    if fin is not None and len(fin.tables.get("award_costs", [])):
        c = fin.tables["award_costs"]
        tail = c.assign(r=c["p95_cost_musd"] / c["expected_cost_musd"].clip(lower=1e-9))
        top = tail.sort_values("r").iloc[-1]
        if top["r"] > 1.5:
            out.append(f"Price risk: {top['package']} costs up to "
                       f"{format_money(top['p95_cost_musd'] * 1e6)} at P95, "
                       f"{top['r']:.1f}× its expected cost, if prices stay low.")
    val = _section(result, "validation")
    if val is not None and len(val.tables.get("validation", [])):
        bad = val.tables["validation"]
        bad = bad[bad["verdict"] != "ok"]
        if len(bad):
            out.append(f"{len(bad)} published benchmark(s) are not reproduced within tolerance "
                       "(see Validation).")
    return out
