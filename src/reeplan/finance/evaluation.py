"""Evaluate a package for a project: cost to the government and effect on the project.

Method (see ``docs/finance.md``):

1. Simulate benchmark prices (calibrated log-OU with jumps, or GBM) and the project's risks
   (overrun, delay, technical completion) over a ``sample`` dimension, from one seed.
2. Build the project's cash flows without the package and value each instrument against them.
3. Schedule: without a package the build starts after the full ``fid_delay``; with one, at
   ``decision_year + min(fid_delay, max(fid_delay * (1 - coverage), notice))``, where
   ``coverage = min(1, support / funding gap)`` counts upfront federal money at face value and
   price support at its expected PV, and ``notice`` is the 30-day §303 wait when it applies
   (it runs while financing closes; a package never delays a project that could go ahead).
4. NPV with and without the package are computed on the package's schedule, so their difference
   is the value the package transfers; the value of the earlier start is reported apart.
5. Probability of reaching production: ``p_technical * P(NPV >= 0 | built)``, where with a
   package the NPV includes the PV of the package's transfers to the sponsor's other assets
   (the package is offered as a whole, so the sponsor weighs all of it when deciding to build).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import xarray as xr

from reeplan.finance.bookkeeping import Bookkeeping, calc_bookkeeping
from reeplan.finance.cashflows import (
    calc_breakeven_price,
    calc_irr,
    calc_npv,
    calc_payback,
    calc_project_cashflows,
)
from reeplan.finance.instruments import Package
from reeplan.finance.market import TREASURY_2025_07, TreasuryCurve
from reeplan.finance.prices import (
    PriceModel,
    calc_period_average,
    default_price_model,
    simulate_prices,
    time_grid,
)
from reeplan.finance.project import Project
from reeplan.finance.risk import RiskParameters, RiskProfile, draw_risk, risk_profile
from reeplan.finance.scoring import calc_outlay_summary
from reeplan.finance.sourced import provenance
from reeplan.finance.valuation import Context, InstrumentValue, value_instrument

__all__ = ["HORIZON", "Evaluation", "Settings", "evaluate"]

HORIZON = 2080.0
"""Last simulated time; cash flows after it are ignored."""


@dataclass(frozen=True)
class Settings:
    """Monte Carlo settings of one evaluation."""

    samples: int = 2000
    seed: int = 20250710
    price_model: str = "log_ou_jump"
    curve: TreasuryCurve = TREASURY_2025_07
    horizon: float = HORIZON
    breakeven: bool = True
    """Solve for the break-even basket price (a root search: about half the time of an
    evaluation); the portfolio's appraisal of every option does not need it."""


@dataclass
class Evaluation:
    """Result of :func:`evaluate`: tidy tables and headline figures (million USD)."""

    project: str
    package: str | None
    settings: Settings
    price_model: PriceModel
    instruments: pd.DataFrame
    totals: dict[str, float]
    effect: dict[str, float]
    cashflows: pd.DataFrame
    bookkeeping: Bookkeeping | None
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        book = self.bookkeeping
        return {
            "project": self.project, "package": self.package,
            "settings": {"samples": self.settings.samples, "seed": self.settings.seed,
                         "price_model": self.settings.price_model,
                         "treasury_curve": dict(zip(self.settings.curve.maturities,
                                                    self.settings.curve.rates, strict=True))},
            "price_model": {"kind": self.price_model.kind,
                            "start_time": self.price_model.start_time,
                            "history_years": self.price_model.history_years,
                            "parameters": self.price_model.table().to_dict(orient="records"),
                            "correlation": self.price_model.correlation,
                            "market_price_of_risk": self.price_model.market_price_of_risk},
            "cost_to_government": {"instruments": self.instruments.to_dict(orient="records"),
                                   "total": self.totals},
            "effect_on_project": self.effect,
            "bookkeeping": None if book is None else {
                "shortfalls": book.shortfalls.to_dict(orient="records"),
                "dpa_fund_max_musd": book.dpa_fund_max_musd,
                "dpa_fund_expected_musd": book.dpa_fund_expected_musd,
                "notification_wait_years": book.notification_wait_years,
                "warnings": [w.__dict__ for w in book.warnings]},
            "cashflows_expected": self.cashflows.to_dict(orient="records"),
            "sources": self.sources,
        }


def _streams(seed: int) -> tuple[np.random.SeedSequence, ...]:
    return tuple(np.random.SeedSequence(seed).spawn(3))


@lru_cache(maxsize=8)
def _price_paths(price_model: str, samples: int, seed: int, horizon: float, measure: str
                 ) -> tuple[xr.DataArray, xr.DataArray]:
    """Price paths and their annual averages, computed once per (model, samples, seed,
    horizon, measure): every package of every project sees the same paths (common random
    numbers), so the portfolio's appraisal of ~70 options simulates them once. The arrays are
    read-only: callers must not write to them."""
    model = default_price_model(price_model)
    times = time_grid(model.start_time, horizon)
    s_price = _streams(seed)[0]
    paths = simulate_prices(model, times, samples, np.random.Generator(np.random.PCG64(s_price)),
                            measure=measure)  # type: ignore[arg-type]
    annual = calc_period_average(paths, 1.0)
    annual = annual.assign_coords(period_end=(annual["period_end"].values - 1).astype(int))
    annual = annual.rename(period_end="year")
    for arr in (paths, annual):
        arr.values.flags.writeable = False
    return paths, annual


def _schedule_shift(project: Project, start: float) -> float:
    return project.decision_year.value - start


def evaluate(project: Project, package: Package | None = None,
             settings: Settings | None = None, *, risk: RiskParameters) -> Evaluation:
    """Evaluate ``package`` (or no package) for ``project``.

    Parameters
    ----------
    project
        The project.
    package
        The package; ``None`` evaluates the project alone.
    settings
        Samples, seed, price model and Treasury curve.
    risk
        The dataset's risk parameters (:func:`reeplan.finance.risk.risk_parameters`), so that an
        overlay of ``parameters.csv`` reaches the award costs.

    Returns
    -------
    Evaluation
        Cost per instrument and in total, effect on the project, bookkeeping.
    """
    st = settings or Settings()
    _, s_risk, s_credit = _streams(st.seed)
    model = default_price_model(st.price_model)
    paths, annual = _price_paths(st.price_model, st.samples, st.seed, st.horizon, "real")
    needs_fair = package is not None and any(i.kind == "price_floor" for i in package.instruments)
    paths_fair = (_price_paths(st.price_model, st.samples, st.seed, st.horizon, "fair")[0]
                  if needs_fair else None)
    profile = risk_profile(project, risk)
    draws = draw_risk(profile, st.samples, np.random.Generator(np.random.PCG64(s_risk)))
    credit_u = np.random.Generator(np.random.PCG64(s_credit)).random(st.samples)
    fid = project.financing.fid_delay_years.value
    valuation = model.start_time

    def context(start: float) -> Context:
        shift = _schedule_shift(project, start)
        base = calc_project_cashflows(project, annual, draws, start_shift=shift)
        return Context(project=project, profile=profile, curve=st.curve, valuation=valuation,
                       annual=annual, paths=paths, paths_fair=paths_fair, base=base,
                       credit_uniform=credit_u, draws=draws, start_shift=shift)

    start_without = project.decision_year.value + fid
    if package is None:
        ctx = context(start_without)
        effect = _effect(project, ctx, [], ctx.base, start_without, start_without, ctx.base,
                         st.breakeven)
        return Evaluation(project.id, None, st, model, pd.DataFrame(), {}, effect,
                          _expected_cashflows(ctx.base, ctx.base), None,
                          _sources(project, None, model, st.curve, profile))
    announced = context(project.decision_year.value)
    first = [value_instrument(i, announced) for i in package.instruments]
    coverage = _coverage(project, first, announced)
    book0 = calc_bookkeeping(project, package, first)
    # the notice period runs while financing closes, and the sponsor can always go ahead on its
    # own schedule, so a package never delays the build
    wait = min(fid, max(fid * (1 - coverage), book0.notification_wait_years))
    start_with = project.decision_year.value + wait
    ctx = context(start_with)
    values = [value_instrument(i, ctx) for i in package.instruments]
    book = calc_bookkeeping(project, package, values)
    without_own = calc_project_cashflows(project, annual, draws,
                                         start_shift=_schedule_shift(project, start_without))
    with_cf = _with_package(project, ctx, values)
    effect = _effect(project, ctx, values, with_cf, start_with, start_without, without_own,
                     st.breakeven)
    effect["coverage"] = coverage
    table, totals = _cost_tables(values, ctx)
    return Evaluation(project.id, package.id, st, model, table, totals, effect,
                      _expected_cashflows(ctx.base, with_cf), book,
                      _sources(project, package, model, st.curve, profile, book))


def _coverage(project: Project, values: list[InstrumentValue], ctx: Context) -> float:
    """Share of the funding gap the package's support covers (capped at 1)."""
    gap = max(project.capex_musd.value - project.financing.committed_musd.value, 0.0)
    if gap <= 0:
        return 1.0
    r = project.discount_rate.value
    t = ctx.years + 0.5 - ctx.valuation
    support = 0.0
    for v in values:
        if v.beneficiary != "project":
            continue
        support += v.upfront_support
        if v.revenue_transfer is not None:
            support += float(calc_npv(r, v.revenue_transfer, t).mean())
    return float(min(1.0, max(support, 0.0) / gap))


def _project_transfers(ctx: Context, values: list[InstrumentValue]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Taxable price support and untaxed capital transfers the project receives."""
    revenue = np.zeros(ctx.base["fcf"].shape)
    capital = np.zeros_like(revenue)
    for v in values:
        if v.beneficiary != "project":
            continue
        if v.revenue_transfer is not None:
            revenue += v.revenue_transfer
        if v.capital_transfer is not None:
            capital += v.capital_transfer
    return revenue, capital


def _with_package(project: Project, ctx: Context, values: list[InstrumentValue]) -> xr.Dataset:
    revenue, capital = _project_transfers(ctx, values)
    return calc_project_cashflows(project, ctx.annual, ctx.draws, extra_revenue=revenue,
                                  transfers=capital, start_shift=ctx.start_shift)


def _npv_samples(project: Project, cf: xr.Dataset, valuation: float) -> np.ndarray:
    t = cf["year"].values + 0.5 - valuation
    return calc_npv(project.discount_rate.value, cf["fcf"].values, t)


def _effect(project: Project, ctx: Context, values: list[InstrumentValue], with_cf: xr.Dataset,
            start_with: float, start_without: float, without_own: xr.Dataset,
            breakeven: bool = True) -> dict[str, float]:
    npv_w = _npv_samples(project, with_cf, ctx.valuation)
    npv_wo = _npv_samples(project, ctx.base, ctx.valuation)
    npv_own = _npv_samples(project, without_own, ctx.valuation)
    done = ctx.draws.completed
    p_tech = float(ctx.profile.p_technical)

    def p_prod(npv: np.ndarray) -> float:
        return p_tech * float((npv[done] >= 0).mean()) if done.any() else 0.0

    years = ctx.years.astype(float)
    mean_w = with_cf["fcf"].mean("sample").values
    mean_wo = ctx.base["fcf"].mean("sample").values
    first = int(np.argmax(np.abs(mean_wo) > 1e-9)) if np.any(np.abs(mean_wo) > 1e-9) else 0
    t_mid = years + 0.5 - ctx.valuation
    sponsor = np.zeros(ctx.n)
    for v in values:
        if v.beneficiary != "sponsor":
            continue
        for flows in (v.revenue_transfer, v.capital_transfer):
            if flows is not None:
                sponsor = sponsor + calc_npv(project.discount_rate.value, flows, t_mid)
    prod_start = ctx.base["production_start"].values
    return {
        "npv_without_musd": float(npv_wo.mean()), "npv_with_musd": float(npv_w.mean()),
        "npv_gain_musd": float((npv_w - npv_wo).mean()),
        "npv_without_own_schedule_musd": float(npv_own.mean()),
        "timing_value_musd": float((npv_wo - npv_own).mean()),
        "npv_p05_without_musd": float(np.quantile(npv_wo, 0.05)),
        "npv_p05_with_musd": float(np.quantile(npv_w, 0.05)),
        "irr_without": float(calc_irr(mean_wo[first:])),
        "irr_with": float(calc_irr(mean_w[first:])),
        "payback_years_without": float(calc_payback(mean_wo[first:])),
        "payback_years_with": float(calc_payback(mean_w[first:])),
        "breakeven_basket_usd_per_kg_without": _breakeven(project, ctx, []) if breakeven
        else float("nan"),
        "breakeven_basket_usd_per_kg_with": _breakeven(project, ctx, values) if breakeven
        else float("nan"),
        "p_technical": p_tech,
        "npv_with_sponsor_musd": float((npv_w + sponsor).mean()),
        "p_production_without": p_prod(npv_wo), "p_production_with": p_prod(npv_w + sponsor),
        "build_start_without": start_without, "build_start_with": start_with,
        "production_start_without": float(np.nanmean(prod_start) + start_without - start_with)
        if np.isfinite(prod_start).any() else float("nan"),
        "production_start_with": float(np.nanmean(prod_start))
        if np.isfinite(prod_start).any() else float("nan"),
        "years_earlier": start_without - start_with,
        "sponsor_transfer_pv_musd": float(sponsor.mean()),
        "discount_rate": project.discount_rate.value,
    }


def _breakeven(project: Project, ctx: Context, values: list[InstrumentValue]) -> float:
    """Output basket price (USD/kg, revenue-weighted) at which the expected NPV is zero."""
    base = ctx.base
    vol = float(base["volume"].sum().values)
    if vol <= 0:
        return float("nan")
    basket = float(base["revenue"].sum().values) * 1000.0 / vol
    revenue, capital = _project_transfers(ctx, values)

    def npv(k: float) -> float:
        cf = calc_project_cashflows(project, ctx.annual, ctx.draws, revenue_scale=k,
                                    extra_revenue=revenue, transfers=capital,
                                    start_shift=ctx.start_shift)
        return float(_npv_samples(project, cf, ctx.valuation).mean())

    k = calc_breakeven_price(npv, 0.0, 20.0)
    return k * basket


def _cost_tables(values: list[InstrumentValue], ctx: Context
                 ) -> tuple[pd.DataFrame, dict[str, float]]:
    rows = []
    pv_total = np.zeros(ctx.n)
    annual_total = np.zeros((ctx.n, len(ctx.years)))
    fair_total = np.zeros(ctx.n)
    for v in values:
        s = calc_outlay_summary(v.pv_cost, v.budget_outlay)
        fair = v.fair_pv if v.fair_pv is not None else v.pv_cost
        expected = float(v.details.get("fcra_subsidy_musd", s["expected"]))
        rows.append({"instrument": v.id, "kind": v.kind, "authority": v.authority,
                     "beneficiary": v.beneficiary, "expected_cost_musd": expected,
                     "fair_value_musd": float(fair.mean()), "p90_cost_musd": s["p90"],
                     "p95_cost_musd": s["p95"], "annual_outlay_p95_musd": s["annual_p95"],
                     "p_pays": s["p_pays"], "mc_se_musd": s["mc_se"],
                     "max_exposure_musd": v.max_exposure, "basis": v.basis,
                     **{f"detail.{k}": d for k, d in v.details.items()}})
        pv_total += v.pv_cost
        annual_total += v.budget_outlay
        fair_total += fair
    s = calc_outlay_summary(pv_total, annual_total)
    totals = {"expected_cost_musd": float(sum(r["expected_cost_musd"] for r in rows)),
              "fair_value_musd": float(fair_total.mean()), "p90_cost_musd": s["p90"],
              "p95_cost_musd": s["p95"], "annual_outlay_p90_musd": s["annual_p90"],
              "annual_outlay_p95_musd": s["annual_p95"], "mc_se_musd": s["mc_se"],
              "max_exposure_musd": float(sum(v.max_exposure for v in values))}
    return pd.DataFrame(rows), totals


def _expected_cashflows(without: xr.Dataset, with_: xr.Dataset) -> pd.DataFrame:
    keep = ["capex", "revenue", "feed", "opex", "ebitda", "tax", "fcf"]
    frame = without[keep].mean("sample").to_dataframe()
    frame["volume_t"] = without["volume"].sum("product").mean("sample").to_series()
    frame["fcf_with_package"] = with_["fcf"].mean("sample").to_series()
    frame = frame.reset_index()
    active = (frame[[*keep, "fcf_with_package"]].abs() > 1e-6).any(axis=1)
    return frame[active].reset_index(drop=True)


METHOD_SOURCES = ("fin_asm_price_jumps", "fin_asm_price_mpr", "fin_asm_fair_value_multiple",
                  "fin_asm_abandon_fraction")
"""Assumptions every evaluation uses (price jumps, fair-value measures, abandonment)."""


def _sources(project: Project, package: Package | None, model: PriceModel,
             curve: TreasuryCurve, profile: RiskProfile, book: Bookkeeping | None = None
             ) -> list[str]:
    """Every source id behind an evaluation's figures."""
    ids = {row.source_id for row in provenance(project) if row.source_id}
    if package is not None:
        ids |= {row.source_id for row in provenance(package) if row.source_id}
    ids |= set(profile.source_ids.values())
    ids |= set(model.source_ids.values()) | set(curve.source_ids) | set(METHOD_SOURCES)
    if book is not None:
        ids |= {w.source_id for w in book.warnings}
    return sorted(i for i in ids if i)
