"""Value each instrument against one project's simulated cash flows (vectorised over samples).

For every instrument :func:`value_instrument` returns, per sample, the PV cost to the government
(at Treasury rates, as of the valuation date), the budget outlay by year, and what the project
receives (taxable price support, or untaxed capital transfers). Conventions:

* **PV cost** — grant: disbursements; direct loan and guarantee: FCRA subsidy (realised per
  sample from a simulated default year; its mean is the analytic FCRA figure); price floor,
  offtake, stockpile: net payments (contract price less market value of the material);
  equity: outlay less the risk-adjusted value of the security and of the warrants (assumption);
  equipment: value less PV of the residual.
* **Budget outlay** — cash the government pays in a year (for loans: the subsidy cost, which FCRA
  records when the loan is disbursed). Its 95th percentile by year is the tail exposure that
  matters for funds and the Antideficiency Act (``dpa.md`` §4.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from reeplan.errors import ReeError
from reeplan.finance.cashflows import calc_window_fraction, link_price
from reeplan.finance.instruments import (
    DirectLoan,
    Equipment,
    Grant,
    Instrument,
    LoanGuarantee,
    Offtake,
    PreferredEquity,
    PriceFloor,
    StockpilePurchase,
)
from reeplan.finance.market import TreasuryCurve
from reeplan.finance.prices import calc_period_average
from reeplan.finance.project import Project
from reeplan.finance.risk import RiskDraws, RiskProfile
from reeplan.finance.scoring import (
    calc_black_scholes_call,
    calc_floor_payments,
    calc_guarantee_subsidy,
    calc_loan_schedule,
    calc_loan_subsidy,
    calc_value_to_borrower,
)
from reeplan.finance.sourced import val

__all__ = ["Context", "InstrumentValue", "value_instrument"]


@dataclass(frozen=True)
class Context:
    """Everything an instrument is valued against, for one project and one schedule."""

    project: Project
    profile: RiskProfile
    curve: TreasuryCurve
    valuation: float
    """Decimal year all PVs refer to."""
    annual: xr.DataArray
    """Annual average benchmark prices ``(benchmark, sample, year)``."""
    paths: xr.DataArray
    """Simulated prices ``(benchmark, sample, time)`` (real-world measure)."""
    paths_fair: xr.DataArray | None
    """The same shocks under the fair-value measure (``None`` when not needed)."""
    base: xr.Dataset
    """The project's cash flows without the package."""
    credit_uniform: np.ndarray
    """One uniform per sample for the default year of credit instruments."""
    draws: RiskDraws
    """The project's risk draws."""
    start_shift: float = 0.0
    """Years the build starts before ``decision_year`` on this schedule (negative: later)."""

    @property
    def years(self) -> np.ndarray:
        """Calendar years of the grid."""
        return self.annual["year"].values

    @property
    def n(self) -> int:
        """Number of samples."""
        return self.annual.sizes["sample"]

    def df(self, t: np.ndarray | float) -> np.ndarray:
        """Treasury discount factor for decimal year ``t``."""
        return self.curve.discount(np.asarray(t, dtype=float) - self.valuation)

    def year_index(self, t: float) -> int:
        """Index of the calendar year containing decimal year ``t``."""
        i = int(np.floor(t)) - int(self.years[0])
        if not 0 <= i < len(self.years):
            msg = f"year {t} is outside the model horizon {self.years[0]}–{self.years[-1]}"
            raise ReeError(msg)
        return i


@dataclass
class InstrumentValue:
    """Cost and effect of one instrument (arrays over sample, or sample × year)."""

    id: str
    kind: str
    authority: str
    beneficiary: str
    basis: str
    pv_cost: np.ndarray
    budget_outlay: np.ndarray
    fair_pv: np.ndarray | None = None
    revenue_transfer: np.ndarray | None = None
    capital_transfer: np.ndarray | None = None
    title_iii_musd: float = 0.0
    max_exposure: float = 0.0
    upfront_support: float = 0.0
    shortfall: str = ""
    details: dict[str, float | str] = field(default_factory=dict)


def value_instrument(inst: Instrument, ctx: Context) -> InstrumentValue:
    """Value one instrument against the context (dispatch on its kind)."""
    handlers = {"grant": _grant, "direct_loan": _credit, "loan_guarantee": _credit,
                "price_floor": _floor, "offtake": _offtake, "preferred_equity": _equity,
                "equipment": _equipment, "stockpile_purchase": _stockpile}
    return handlers[inst.kind](inst, ctx)  # type: ignore[operator]


def _new(inst: Instrument, ctx: Context, basis: str) -> InstrumentValue:
    zeros = np.zeros((ctx.n, len(ctx.years)))
    return InstrumentValue(id=inst.id, kind=inst.kind, authority=inst.authority,
                           beneficiary=inst.beneficiary, basis=basis, pv_cost=np.zeros(ctx.n),
                           budget_outlay=zeros,
                           shortfall=inst.shortfall or ctx.project.shortfall)


def _annual_pv(ctx: Context, annual: np.ndarray) -> np.ndarray:
    """PV at Treasury of annual flows (mid-year timing)."""
    return (annual * ctx.df(ctx.years + 0.5)).sum(axis=-1)


def _grant(inst: Grant, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "grant: PV of disbursements at Treasury")
    amount = inst.amount_musd.value
    flows = np.zeros(len(ctx.years))
    for k, share in enumerate(inst.schedule.value):
        flows[ctx.year_index(inst.year.value + k)] += amount * share
    out.budget_outlay = np.broadcast_to(flows, (ctx.n, len(flows))).copy()
    out.pv_cost = _annual_pv(ctx, out.budget_outlay)
    out.capital_transfer = out.budget_outlay.copy()
    out.title_iii_musd = amount
    out.max_exposure = amount
    out.upfront_support = amount
    eligible = val(inst.eligible_cost_musd, ctx.project.capex_musd.value)
    out.details = {"amount_musd": amount, "federal_share": amount / eligible if eligible else 1.0,
                   "cost_share_limit": inst.cost_share.value}
    return out


def _credit(inst: DirectLoan | LoanGuarantee, ctx: Context) -> InstrumentValue:
    pd_ = val(inst.annual_pd, ctx.profile.annual_pd)
    rec = val(inst.recovery, ctx.profile.recovery)
    principal = inst.principal_musd.value
    t_dis = inst.year.value
    common = {"grace": inst.grace_years, "amortization": inst.amortization}
    if isinstance(inst, DirectLoan):
        rate = (inst.rate.value if inst.rate is not None
                else ctx.curve.rate_at(inst.treasury_tenor) + inst.treasury_spread.value)
        score = calc_loan_subsidy(principal, rate, inst.term_years, pd_, rec, ctx.curve,
                                  upfront_fee=inst.upfront_fee.value, **common)
        g_share, basis = 1.0, "FCRA subsidy (direct loan), PV at Treasury"
        fee = inst.upfront_fee.value * principal
    else:
        rate = inst.rate.value
        g_share = inst.guaranteed_share.value
        score = calc_guarantee_subsidy(principal, rate, inst.term_years, g_share, pd_, rec,
                                       ctx.curve, upfront_fee=inst.upfront_fee.value,
                                       annual_fee=inst.annual_fee.value, **common)
        basis = "FCRA subsidy (loan guarantee), PV at Treasury"
        fee = inst.upfront_fee.value * g_share * principal
    out = _new(inst, ctx, basis)
    realised = _realised_credit_cost(inst, rate, g_share, pd_, rec, ctx)
    df0 = float(ctx.df(t_dis))
    out.pv_cost = realised * df0
    out.fair_pv = np.full(ctx.n, score.fair_value * df0)
    out.budget_outlay[:, ctx.year_index(t_dis)] = realised
    value = calc_value_to_borrower(principal, rate, inst.term_years,
                                   ctx.project.financing.cost_of_debt.value, fees=fee, **common)
    out.capital_transfer = np.zeros_like(out.budget_outlay)
    out.capital_transfer[:, ctx.year_index(t_dis)] = value
    out.title_iii_musd = g_share * principal
    out.max_exposure = g_share * principal
    out.upfront_support = principal
    out.details = {"principal_musd": principal, "rate": rate, "term_years": inst.term_years,
                   "annual_pd": pd_, "recovery": rec, "fcra_subsidy_musd": score.subsidy * df0,
                   "fcra_subsidy_rate": score.rate, "default_cost_musd": score.default_cost * df0,
                   "interest_subsidy_musd": score.interest_subsidy * df0,
                   "fees_musd": score.fees * df0, "fair_value_musd": score.fair_value * df0,
                   "value_to_borrower_musd": value}
    return out


def _realised_credit_cost(inst: DirectLoan | LoanGuarantee, rate: float, g_share: float,
                          pd_: float, rec: float, ctx: Context) -> np.ndarray:
    """Per-sample subsidy cost at disbursement, given a simulated default year.

    The default year is geometric: ``ceil(log(1-u)/log(1-pd))`` (beyond the term = no default).
    """
    sch = calc_loan_schedule(inst.principal_musd.value, rate, inst.term_years,
                             inst.grace_years, inst.amortization)
    u = ctx.credit_uniform
    with np.errstate(divide="ignore"):
        year = np.where(pd_ > 0, np.ceil(np.log1p(-u) / np.log1p(-pd_)), np.inf)
    t = sch["time"]
    df = ctx.curve.discount(t)
    paid = (t[None, :] < year[:, None]).astype(float)
    at_default = (t[None, :] == year[:, None]).astype(float)
    principal = inst.principal_musd.value
    if isinstance(inst, DirectLoan):
        inflow = paid * (sch["interest"] + sch["principal"]) + at_default * rec * sch["balance"]
        return principal * (1 - inst.upfront_fee.value) - (inflow * df).sum(axis=1)
    claims = at_default * g_share * (1 - rec) * sch["balance"]
    alive = (t[None, :] <= year[:, None]).astype(float)
    fees = inst.upfront_fee.value * g_share * principal + (
        alive * inst.annual_fee.value * sch["balance"] * df).sum(axis=1)
    return (claims * df).sum(axis=1) - fees


def _quarter_prices(ctx: Context, inst: PriceFloor, paths: xr.DataArray,
                    ends: np.ndarray) -> np.ndarray:
    bench = paths.sel(benchmark=inst.benchmark)
    if inst.averaging == "point":
        return bench.sel(time=ends, method="nearest").values
    q = calc_period_average(bench, 0.25)
    return q.sel(period_end=ends, method="nearest").values


def _floor(inst: PriceFloor, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "price floor: expected net payments, PV at Treasury")
    start, end = inst.start.value, inst.end.value
    ends = np.round(np.arange(start + 0.25, end + 1e-9, 0.25), 6)
    qyear = np.floor(ends - 0.25 + 1e-9).astype(int)
    yidx = qyear - int(ctx.years[0])
    if inst.volume_t is not None:
        sched = inst.volume_t.value
        keys = sorted(sched)
        annual_vol = np.array([sched[max([k for k in keys if k <= y], default=keys[0])]
                               for y in qyear])
        vol_q = np.broadcast_to(annual_vol / 4.0, (ctx.n, len(ends)))
    else:
        prod = ctx.base["volume"].sel(product=inst.volume_product).values
        vol_q = prod[:, yidx] / 4.0
    if inst.volume_cap_t is not None:
        vol_q = np.minimum(vol_q, inst.volume_cap_t.value / 4.0)
    full = (ends > val(inst.full_production_year, start - 1.0))
    k, s = inst.strike_usd_per_kg.value, inst.upside_share.value
    pay = calc_floor_payments(_quarter_prices(ctx, inst, ctx.paths, ends), vol_q, k, s, full)
    df = ctx.df(ends)
    out.pv_cost = (pay * df).sum(axis=1)
    if ctx.paths_fair is not None:
        pay_fair = calc_floor_payments(_quarter_prices(ctx, inst, ctx.paths_fair, ends), vol_q,
                                       k, s, full)
        out.fair_pv = (pay_fair * df).sum(axis=1)
    annual = np.zeros((ctx.n, len(ctx.years)))
    np.add.at(annual.T, yidx, pay.T)
    out.budget_outlay = annual
    out.revenue_transfer = annual.copy()
    puts = vol_q * k / 1000.0
    out.title_iii_musd = out.max_exposure = float(puts.max(axis=0).sum())
    out.details = {"strike_usd_per_kg": k, "upside_share": s, "quarters": len(ends),
                   "p_floor_binds": float((pay > 0).mean()),
                   "volume_t_total": float(vol_q.mean(axis=0).sum())}
    return out


def _offtake(inst: Offtake, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "offtake: purchases above market + EBITDA top-ups, PV at Treasury")
    base, years = ctx.base, ctx.years
    t0 = base["production_start"].values
    started = np.isfinite(t0)
    term = inst.term_years.value
    window = calc_window_fraction(np.where(started, t0, np.inf), term, years)
    product = ctx.project.product(inst.product)
    vol = base["volume"].sel(product=inst.product).values * inst.share_of_output.value * window
    market = link_price(product.price, ctx.annual)
    if inst.price_basis == "market":
        contract = market
    elif inst.price_basis == "fixed":
        contract = np.full_like(market, inst.price_usd_per_kg.value)
    else:
        total_t = base["volume"].sum("product").values
        cost = (base["feed"].values + base["opex"].values) * 1000.0
        unit = np.divide(cost, total_t, out=np.zeros_like(cost), where=total_t > 0)
        contract = unit * (1.0 + inst.markup.value)
    price_support = vol * (contract - market) / 1000.0
    topup = np.zeros_like(price_support)
    ebitda_min_total = 0.0
    if inst.min_ebitda_musd is not None:
        k = np.floor(np.maximum(years[None, :] - np.where(started, t0, 0.0)[:, None], 0.0))
        floor_ = inst.min_ebitda_musd.value * (1 + inst.min_ebitda_growth.value) ** k * window
        topup = np.maximum(floor_ - (base["ebitda"].values + price_support), 0.0)
        ebitda_min_total = float(sum(inst.min_ebitda_musd.value
                                     * (1 + inst.min_ebitda_growth.value) ** i
                                     for i in range(int(np.ceil(term)))))
    annual = price_support + topup
    out.pv_cost = _annual_pv(ctx, annual)
    out.budget_outlay = annual
    out.revenue_transfer = annual.copy()
    gross = vol * contract / 1000.0
    out.title_iii_musd = out.max_exposure = ebitda_min_total + float(
        np.quantile(_annual_pv(ctx, np.maximum(price_support, 0.0)), 0.95))
    out.details = {"gross_purchases_musd": float(gross.sum(axis=1).mean()),
                   "topup_pv_musd": float(_annual_pv(ctx, topup).mean()),
                   "min_ebitda_nominal_total_musd": ebitda_min_total,
                   "p_topup": float((topup > 1e-9).any(axis=1).mean())}
    return out


def _equity(inst: PreferredEquity, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "equity: outlay less risk-adjusted value (assumption)")
    amount = inst.amount_musd.value
    pd_, rec = ctx.profile.annual_pd, ctx.profile.recovery
    ratio = val(inst.value_ratio, 1.0 - (1.0 - (1.0 - pd_) ** 10) * (1.0 - rec))
    warrant = 0.0
    w = inst.warrants
    if w is not None:
        r = float(np.log1p(ctx.curve.rate_at(w.term_years.value)))
        per_share = float(calc_black_scholes_call(w.share_price.value, w.strike.value,
                                                  w.term_years.value, r, w.dividend_yield.value,
                                                  w.volatility.value))
        warrant = per_share * w.count_m.value
    cost = amount * (1.0 - ratio) - warrant
    t = inst.year.value
    out.pv_cost = np.full(ctx.n, cost * float(ctx.df(t)))
    out.budget_outlay[:, ctx.year_index(t)] = amount
    out.capital_transfer = np.zeros_like(out.budget_outlay)
    out.capital_transfer[:, ctx.year_index(t)] = cost
    out.title_iii_musd = out.max_exposure = amount
    out.upfront_support = amount
    out.details = {"amount_musd": amount, "value_ratio": ratio, "warrant_value_musd": warrant}
    return out


def _equipment(inst: Equipment, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "equipment: value less PV of residual")
    v, t = inst.value_musd.value, inst.year.value
    resid = v * inst.residual_share.value * float(ctx.df(t + inst.life_years.value))
    out.pv_cost = np.full(ctx.n, v * float(ctx.df(t)) - resid)
    out.budget_outlay[:, ctx.year_index(t)] = v
    out.capital_transfer = out.budget_outlay.copy()
    out.title_iii_musd = out.max_exposure = out.upfront_support = v
    return out


def _stockpile(inst: StockpilePurchase, ctx: Context) -> InstrumentValue:
    out = _new(inst, ctx, "stockpile purchase: price above market value, PV at Treasury")
    years = ctx.years
    window = calc_window_fraction(np.array([inst.year.value]), inst.years.value, years)[0]
    product = ctx.project.product(inst.product)
    produced = ctx.base["volume"].sel(product=inst.product).values
    vol = np.minimum(inst.tonnes_per_year.value * window[None, :], produced)
    market = link_price(product.price, ctx.annual)
    price = market if inst.price_usd_per_kg is None else inst.price_usd_per_kg.value
    net = vol * (price - market) / 1000.0
    out.pv_cost = _annual_pv(ctx, net)
    out.budget_outlay = vol * price / 1000.0
    out.revenue_transfer = net
    out.title_iii_musd = out.max_exposure = float(
        np.quantile(out.budget_outlay.sum(axis=1), 0.95))
    out.details = {"tonnes_total": float(vol.sum(axis=1).mean()),
                   "gross_purchases_musd": float(out.budget_outlay.sum(axis=1).mean())}
    return out
