"""Cost to the government of each instrument: pure ``calc_*`` functions.

* **Credit (FCRA)** — ``dpa.md`` §3.5: the subsidy cost is the present value, at Treasury rates
  matched to each cash flow's timing, of cash flows from the government (disbursement, default
  claims) minus cash flows to it (repayments, interest, fees, recoveries); administrative costs
  are excluded. **Fair value** (CBO): adds the cost of market risk, which CBO estimates for
  commercial loans as a multiple of the expected default losses (CBO 2021, pub. 57581).
* **Price floor** — ``dpa.md`` §4.3: a strip of quarterly puts at strike :math:`K` on the
  designated volume, less the government's share :math:`s` of a call strip after full
  production: :math:`\\text{pay}_q = Q_q[\\max(K-\\bar P_q,0) - s\\,1_{full}\\max(\\bar P_q-K,0)]`.
* **Equity and warrants** — no budget-scoring rule was found (``dpa.md`` §3.5); scored as the
  outlay less the risk-adjusted expected value of the security, labelled an assumption.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import norm

from reeplan.finance.market import TreasuryCurve

__all__ = [
    "FAIR_VALUE_MULTIPLE",
    "CreditScore",
    "calc_black_scholes_call",
    "calc_black_scholes_put",
    "calc_floor_payments",
    "calc_guarantee_subsidy",
    "calc_loan_schedule",
    "calc_loan_subsidy",
    "calc_outlay_summary",
    "calc_value_to_borrower",
]

FAIR_VALUE_MULTIPLE = 3.0
"""Market-risk cost as a multiple of expected default losses (``fin_asm_fair_value_multiple``:
CBO's commercial-loan method; Baa spreads are about four times expected loss, Amato & Remolona
2005, so the risk premium is about three times)."""

Amortization = Literal["level", "straight", "bullet"]


def calc_loan_schedule(principal: float, rate: float, term: int, grace: int = 0,
                       amortization: Amortization = "level") -> dict[str, np.ndarray]:
    """Scheduled annual payments of a loan disbursed at time 0.

    Years ``1..grace`` pay interest only; the principal is then repaid over ``term - grace``
    years: ``level`` (annuity :math:`B\\,r/(1-(1+r)^{-n})`), ``straight`` (equal principal) or
    ``bullet`` (all at maturity).

    Returns
    -------
    dict
        Arrays over years ``1..term``: ``time``, ``balance`` (at the start of the year),
        ``interest``, ``principal``.

    Examples
    --------
    >>> s = calc_loan_schedule(100.0, 0.05, 2, amortization="bullet")
    >>> s["interest"].tolist(), s["principal"].tolist()
    ([5.0, 5.0], [0.0, 100.0])
    """
    n = term - grace
    if n <= 0:
        msg = "term must exceed the grace period"
        raise ValueError(msg)
    balance = np.empty(term)
    interest = np.empty(term)
    repaid = np.zeros(term)
    b = principal
    annuity = principal * (rate / (1 - (1 + rate) ** (-n)) if rate != 0 else 1.0 / n)
    for k in range(term):
        balance[k] = b
        interest[k] = b * rate
        if k >= grace:
            if amortization == "level":
                repaid[k] = annuity - interest[k]
            elif amortization == "straight":
                repaid[k] = principal / n
            elif k == term - 1:
                repaid[k] = b
        repaid[k] = min(repaid[k], b) if k < term - 1 else b
        b -= repaid[k]
    return {"time": np.arange(1, term + 1, dtype=float), "balance": balance,
            "interest": interest, "principal": repaid}


@dataclass(frozen=True)
class CreditScore:
    """FCRA subsidy of one loan or guarantee, with its components (million USD, PV)."""

    subsidy: float
    """Total FCRA subsidy cost (positive = cost to the government)."""
    default_cost: float
    """PV of expected default losses net of recoveries."""
    interest_subsidy: float
    """PV cost of lending below Treasury (zero for guarantees)."""
    fees: float
    """PV of fees received (reduces the subsidy)."""
    fair_value: float
    """Subsidy + market-risk cost (``multiple * default_cost``)."""
    exposure: float
    """Principal at risk (disbursed or guaranteed)."""

    @property
    def rate(self) -> float:
        """Subsidy rate (subsidy / exposure)."""
        return self.subsidy / self.exposure if self.exposure else 0.0


def _survival(annual_pd: float, term: int) -> tuple[np.ndarray, np.ndarray]:
    """Survival to the end of each year and probability of default in each year."""
    s = (1.0 - annual_pd) ** np.arange(0, term + 1)
    return s[1:], s[:-1] - s[1:]


def calc_loan_subsidy(principal: float, rate: float, term: int, annual_pd: float,
                      recovery: float, curve: TreasuryCurve, *, grace: int = 0,
                      amortization: Amortization = "level", upfront_fee: float = 0.0,
                      multiple: float = FAIR_VALUE_MULTIPLE) -> CreditScore:
    """FCRA subsidy cost of a direct loan (PV at disbursement, Treasury basket of zeros).

    With survival :math:`S_t=(1-p)^t`, default probability in year :math:`t` of
    :math:`d_t=S_{t-1}-S_t`, start-of-year balance :math:`B_t` and scheduled payment
    :math:`A_t` (interest + principal):

    .. math:: \\text{subsidy} = L - fL - \\sum_t DF_t\\,[S_t A_t + d_t\\,R\\,B_t]

    A default in year :math:`t` loses that year's payment and everything after, and recovers
    :math:`R B_t` at the end of year :math:`t`. Components: interest subsidy
    :math:`L-\\sum_t DF_t A_t`; default cost :math:`\\sum_t DF_t A_t - \\sum_t DF_t[S_tA_t +
    d_tRB_t]`; fees :math:`fL`.

    Examples
    --------
    Two-year bullet loan of 10 at 5 % with Treasury at 5 %, 10 % annual default probability,
    50 % recovery, 1 % fee: subsidy = 10 − 0.1 − (0.95/1.05 + 8.955/1.05²) = 0.872789.

    >>> from reeplan.finance.market import TreasuryCurve
    >>> flat = TreasuryCurve((1.0, 30.0), (0.05, 0.05), ("x", "x"), "test")
    >>> s = calc_loan_subsidy(10.0, 0.05, 2, 0.10, 0.5, flat, amortization="bullet",
    ...                       upfront_fee=0.01)
    >>> round(s.subsidy, 6), round(s.rate, 5)
    (0.872789, 0.08728)
    """
    sch = calc_loan_schedule(principal, rate, term, grace, amortization)
    surv, dflt = _survival(annual_pd, term)
    df = curve.discount(sch["time"])
    pay = sch["interest"] + sch["principal"]
    scheduled = float((df * pay).sum())
    expected = float((df * (surv * pay + dflt * recovery * sch["balance"])).sum())
    fees = upfront_fee * principal
    default_cost = scheduled - expected
    interest_subsidy = principal - scheduled
    subsidy = interest_subsidy + default_cost - fees
    return CreditScore(subsidy=subsidy, default_cost=default_cost,
                       interest_subsidy=interest_subsidy, fees=fees,
                       fair_value=subsidy + multiple * default_cost, exposure=principal)


def calc_guarantee_subsidy(principal: float, rate: float, term: int, guaranteed_share: float,
                           annual_pd: float, recovery: float, curve: TreasuryCurve, *,
                           grace: int = 0, amortization: Amortization = "level",
                           upfront_fee: float = 0.0, annual_fee: float = 0.0,
                           multiple: float = FAIR_VALUE_MULTIPLE) -> CreditScore:
    """FCRA subsidy cost of a loan guarantee.

    .. math:: \\text{subsidy} = \\sum_t DF_t\\,d_t\\,g\\,(1-R)\\,B_t - fgL
              - \\sum_t DF_t\\,S_{t-1}\\,a\\,B_t

    — claims on the guaranteed share :math:`g` of the balance at default, net of the
    government's share of recoveries, less the upfront fee (on the guaranteed amount) and annual
    fees :math:`a` on the outstanding balance while the loan performs.

    Examples
    --------
    >>> from reeplan.finance.market import TreasuryCurve
    >>> flat = TreasuryCurve((1.0, 30.0), (0.05, 0.05), ("x", "x"), "test")
    >>> s = calc_guarantee_subsidy(10.0, 0.06, 1, 0.8, 0.1, 0.5, flat, amortization="bullet")
    >>> round(s.subsidy, 6)  # 0.1 * 0.8 * 0.5 * 10 / 1.05
    0.380952
    """
    sch = calc_loan_schedule(principal, rate, term, grace, amortization)
    surv, dflt = _survival(annual_pd, term)
    alive = np.concatenate([[1.0], surv[:-1]])
    df = curve.discount(sch["time"])
    default_cost = float((df * dflt * guaranteed_share * (1 - recovery) * sch["balance"]).sum())
    fees = upfront_fee * guaranteed_share * principal + float(
        (df * alive * annual_fee * sch["balance"]).sum())
    subsidy = default_cost - fees
    return CreditScore(subsidy=subsidy, default_cost=default_cost, interest_subsidy=0.0,
                       fees=fees, fair_value=subsidy + multiple * default_cost,
                       exposure=guaranteed_share * principal)


def calc_value_to_borrower(principal: float, rate: float, term: int, cost_of_debt: float, *,
                           grace: int = 0, amortization: Amortization = "level",
                           fees: float = 0.0) -> float:
    """Value of concessional credit to the borrower: principal less the PV of its payments.

    .. math:: V = L - \\sum_t A_t (1 + r_d)^{-t} - \\text{fees}

    at the borrower's market cost of debt :math:`r_d` (adjusted present value, Myers 1974). For a
    guarantee, :math:`A_t` are the payments at the guaranteed rate.

    Examples
    --------
    >>> round(calc_value_to_borrower(100.0, 0.0, 1, 0.10, amortization="bullet"), 4)
    9.0909
    """
    sch = calc_loan_schedule(principal, rate, term, grace, amortization)
    pay = sch["interest"] + sch["principal"]
    return float(principal - (pay * (1 + cost_of_debt) ** (-sch["time"])).sum() - fees)


def calc_floor_payments(price: np.ndarray, volume_t: np.ndarray, strike: float,
                        upside_share: float = 0.0, full: np.ndarray | None = None
                        ) -> np.ndarray:
    """Government's net payment per settlement period under a price floor (million USD).

    .. math:: \\text{pay} = Q\\,[\\max(K - P, 0) - s\\,1_{full}\\max(P - K, 0)] / 1000

    Parameters
    ----------
    price
        Settlement prices (USD/kg), settlement period on the last axis.
    volume_t
        Designated volume per settlement period (t), broadcastable to ``price``.
    strike
        Floor :math:`K` (USD/kg).
    upside_share
        Government's share :math:`s` of the price above the floor.
    full
        Whether full production has been reached, per period (bool); default all ``True``.

    Examples
    --------
    >>> calc_floor_payments(np.array([100.0, 120.0]), np.array([1000.0, 1000.0]), 110.0, 0.3)
    array([10., -3.])
    """
    full_f = 1.0 if full is None else np.asarray(full, dtype=float)
    put = np.maximum(strike - price, 0.0)
    call = np.maximum(price - strike, 0.0)
    return volume_t * (put - upside_share * full_f * call) / 1000.0


def _d1d2(s: np.ndarray, k: float, t: np.ndarray, r: float, q: float, sigma: float
          ) -> tuple[np.ndarray, np.ndarray]:
    vol = sigma * np.sqrt(t)
    d1 = (np.log(s / k) + (r - q + sigma**2 / 2) * t) / vol
    return d1, d1 - vol


def calc_black_scholes_put(s: float, k: float, t: np.ndarray, r: float, q: float, sigma: float
                           ) -> np.ndarray:
    """Black–Scholes–Merton put with continuous yield :math:`q`.

    .. math:: P = K e^{-rT} N(-d_2) - S e^{-qT} N(-d_1)

    Examples
    --------
    >>> round(float(calc_black_scholes_put(100.0, 100.0, 1.0, 0.05, 0.0, 0.2)), 4)
    5.5735
    """
    t = np.asarray(t, dtype=float)
    d1, d2 = _d1d2(np.asarray(s, dtype=float), k, t, r, q, sigma)
    return k * np.exp(-r * t) * norm.cdf(-d2) - s * np.exp(-q * t) * norm.cdf(-d1)


def calc_black_scholes_call(s: float, k: float, t: np.ndarray, r: float, q: float, sigma: float
                            ) -> np.ndarray:
    """Black–Scholes–Merton call :math:`C = S e^{-qT} N(d_1) - K e^{-rT} N(d_2)`.

    Examples
    --------
    >>> round(float(calc_black_scholes_call(100.0, 100.0, 1.0, 0.05, 0.0, 0.2)), 4)
    10.4506
    """
    t = np.asarray(t, dtype=float)
    d1, d2 = _d1d2(np.asarray(s, dtype=float), k, t, r, q, sigma)
    return s * np.exp(-q * t) * norm.cdf(d1) - k * np.exp(-r * t) * norm.cdf(d2)


def calc_outlay_summary(pv: np.ndarray, annual: np.ndarray) -> dict[str, float]:
    """Expected cost and tails of a simulated outlay.

    Parameters
    ----------
    pv
        PV of the outlay per sample.
    annual
        Nominal outlay per (sample, year).

    Returns
    -------
    dict
        ``expected`` (mean PV), ``p90``/``p95`` (quantiles of PV), ``annual_p90``/``annual_p95``
        (the largest over years of that year's 90th/95th percentile outlay), ``p_pays`` (share
        of samples with a positive outlay in some year) and ``mc_se`` (standard error of the
        mean).

    Examples
    --------
    >>> out = calc_outlay_summary(np.array([0.0, 10.0]), np.array([[0.0, 0.0], [4.0, 6.0]]))
    >>> out["expected"], out["p_pays"]
    (5.0, 0.5)
    """
    pv = np.asarray(pv, dtype=float)
    annual = np.asarray(annual, dtype=float)
    has_years = annual.ndim == 2 and annual.shape[1] > 0
    return {
        "expected": float(pv.mean()),
        "p90": float(np.quantile(pv, 0.90)),
        "p95": float(np.quantile(pv, 0.95)),
        "annual_p90": float(np.quantile(annual, 0.90, axis=0).max()) if has_years else 0.0,
        "annual_p95": float(np.quantile(annual, 0.95, axis=0).max()) if has_years else 0.0,
        "p_pays": float((annual > 1e-9).any(axis=-1).mean()) if has_years else 0.0,
        "mc_se": float(pv.std(ddof=1) / np.sqrt(len(pv))) if len(pv) > 1 else 0.0,
    }
