"""DPA Title III and related instruments, and packages that combine them (``dpa.md`` §2–4).

Each instrument is a frozen, strict pydantic model keyed by ``kind``. Numbers may be bare (they
inherit the instrument's ``source_id``/``grade``) or sourced mappings. Money in million USD,
prices in USD/kg, volumes in t, times in decimal years.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from reeplan.finance.project import Benchmark
from reeplan.finance.sourced import (
    FinanceModel,
    Key,
    NonNegNum,
    Num,
    NumList,
    NumMap,
    ShareNum,
    SourceRow,
    YearNum,
)
from reeplan.schema.types import Grade, Id

__all__ = [
    "Authority",
    "DirectLoan",
    "Equipment",
    "Grant",
    "Instrument",
    "LoanGuarantee",
    "Offtake",
    "Package",
    "PreferredEquity",
    "PriceFloor",
    "StockpilePurchase",
    "Warrants",
]

Authority = Literal["dpa_title_iii", "osc", "doe_lpo", "chips", "nds", "exim", "dfc", "other"]
"""Legal authority; only ``dpa_title_iii`` actions count toward the §303 $50M notification
threshold and the DPA Fund."""


class _Base(FinanceModel):
    id: Key
    authority: Authority = "dpa_title_iii"
    beneficiary: Literal["project", "sponsor"] = "project"
    """``project``: the support flows into the project's cash flows; ``sponsor``: to the sponsor's
    other assets (reported apart from the project NPV)."""
    year: YearNum
    """Decimal year of signing / first disbursement."""
    shortfall: Key | None = None
    """DPA determination the action counts against; default the project's shortfall."""
    source_id: Id | None = None
    grade: Grade | None = None
    note: str | None = None


class Grant(_Base):
    """Grant or cost-share agreement (e.g. a Title III technology investment agreement)."""

    kind: Literal["grant"]
    amount_musd: NonNegNum
    schedule: NumList = Field(default_factory=lambda: [1.0])
    """Share disbursed in each year from ``year`` (sums to 1)."""
    cost_share: ShareNum = 0.5
    """Maximum federal share of the eligible cost (TIA default 50 %, ``dpa.md`` §2.6)."""
    eligible_cost_musd: NonNegNum | None = None
    """Eligible project cost; default the project's capex."""

    @model_validator(mode="after")
    def _shares(self) -> Grant:
        if abs(sum(self.schedule.value) - 1.0) > 1e-6 or min(self.schedule.value) < 0:
            msg = "schedule must be non-negative shares summing to 1"
            raise ValueError(msg)
        return self


class _Credit(_Base):
    principal_musd: NonNegNum
    term_years: int = Field(ge=1, le=40)
    grace_years: int = Field(default=0, ge=0)
    amortization: Literal["level", "straight", "bullet"] = "level"
    upfront_fee: ShareNum = 0.0
    """Fee as a share of the principal (direct loan) or guaranteed amount (guarantee)."""
    annual_pd: ShareNum | None = None
    """Annual default probability; default from the project's stage and maturity."""
    recovery: ShareNum | None = None
    """Recovery share on default; default 40 % (assumption)."""


class DirectLoan(_Credit):
    """Direct loan (DPA §302, OSC, DOE LPO, CHIPS)."""

    kind: Literal["direct_loan"]
    rate: Num | None = None
    """Fixed interest rate; or give ``treasury_spread``."""
    treasury_spread: Num | None = None
    """Rate = Treasury yield of ``treasury_tenor`` years + spread (e.g. 10-year + 1 %)."""
    treasury_tenor: float = 10.0

    @model_validator(mode="after")
    def _one_rate(self) -> DirectLoan:
        if (self.rate is None) == (self.treasury_spread is None):
            msg = "give exactly one of rate and treasury_spread"
            raise ValueError(msg)
        return self


class LoanGuarantee(_Credit):
    """Guarantee of a private loan (DPA §301; normally under 100 %)."""

    kind: Literal["loan_guarantee"]
    rate: Num
    """Interest rate of the guaranteed loan."""
    guaranteed_share: ShareNum = 0.8
    annual_fee: ShareNum = 0.0


class PriceFloor(_Base):
    """Price floor: quarterly puts on a benchmark, less an upside share (``dpa.md`` §4.3)."""

    kind: Literal["price_floor"]
    benchmark: Benchmark
    strike_usd_per_kg: NonNegNum
    start: YearNum
    """Decimal year the first settlement quarter starts (2025.75 = 1 Oct 2025)."""
    end: YearNum
    """Decimal year the last settlement quarter ends (2036.0 = 31 Dec 2035)."""
    volume_t: NumMap | None = None
    """Designated volume by calendar year (t/yr; later years repeat the last); or use
    ``volume_product``."""
    volume_product: Id | None = None
    """Designate the project's output of this product instead."""
    volume_cap_t: NonNegNum | None = None
    """Cap on the designated volume (t/yr)."""
    upside_share: ShareNum = 0.0
    full_production_year: YearNum | None = None
    """Decimal year from which the upside share applies (``None``: from the start)."""
    averaging: Literal["quarterly_average", "point"] = "quarterly_average"
    """Settle on the quarter's average price (Asian) or on the quarter-end price."""

    @model_validator(mode="after")
    def _volume(self) -> PriceFloor:
        if (self.volume_t is None) == (self.volume_product is None):
            msg = "give exactly one of volume_t and volume_product"
            raise ValueError(msg)
        if self.end.value <= self.start.value:
            msg = "end must be after start"
            raise ValueError(msg)
        return self


class Offtake(_Base):
    """Purchase commitment / offtake of the project's output (DPA §303(a)(1)(A), ≤ 10 years)."""

    kind: Literal["offtake"]
    product: Id
    share_of_output: ShareNum = 1.0
    term_years: NonNegNum
    """Years from the start of production."""
    price_basis: Literal["market", "fixed", "cost_plus"] = "market"
    price_usd_per_kg: NonNegNum | None = None
    markup: NonNegNum | None = None
    """Markup on unit cash cost for ``cost_plus``."""
    min_ebitda_musd: NonNegNum | None = None
    """Guaranteed minimum annual EBITDA of the project (topped up by the government)."""
    min_ebitda_growth: Num = 0.0

    @model_validator(mode="after")
    def _price(self) -> Offtake:
        if self.price_basis == "fixed" and self.price_usd_per_kg is None:
            msg = "price_basis fixed needs price_usd_per_kg"
            raise ValueError(msg)
        if self.price_basis == "cost_plus" and self.markup is None:
            msg = "price_basis cost_plus needs markup"
            raise ValueError(msg)
        return self


class Warrants(FinanceModel):
    """Warrants received with an equity investment (valued by Black–Scholes)."""

    count_m: NonNegNum
    """Number of shares, millions."""
    strike: NonNegNum
    term_years: NonNegNum
    share_price: NonNegNum
    volatility: NonNegNum
    dividend_yield: ShareNum = 0.0
    source_id: Id | None = None
    grade: Grade | None = None


class PreferredEquity(_Base):
    """Preferred equity (and warrants) bought by the government."""

    kind: Literal["preferred_equity"]
    amount_musd: NonNegNum
    dividend_rate: Num = 0.0
    value_ratio: NonNegNum | None = None
    """Risk-adjusted expected value of the security per dollar invested; default
    ``1 - (1 - (1 - pd)^10)(1 - recovery)`` from the project's risk (assumption)."""
    warrants: Warrants | None = None


class Equipment(_Base):
    """Government-owned equipment installed in a private plant (DPA §303(e))."""

    kind: Literal["equipment"]
    value_musd: NonNegNum
    residual_share: ShareNum = 0.0
    """Value the government recovers at the end of ``life_years`` (share of ``value_musd``)."""
    life_years: NonNegNum = 10.0


class StockpilePurchase(_Base):
    """National Defense Stockpile (or other) purchase of the project's product."""

    kind: Literal["stockpile_purchase"]
    product: Id
    tonnes_per_year: NonNegNum
    years: NonNegNum
    price_usd_per_kg: NonNegNum | None = None
    """Contract price; ``None`` buys at the market price."""


Instrument = Annotated[
    Grant | DirectLoan | LoanGuarantee | PriceFloor | Offtake | PreferredEquity | Equipment
    | StockpilePurchase,
    Field(discriminator="kind"),
]


class Package(FinanceModel):
    """A set of instruments offered together for one project."""

    id: Key
    name: str
    project: Key
    """The project the package is designed for (``reeplan finance PROJECT`` may override)."""
    description: str | None = None
    source_id: Id | None = None
    grade: Grade | None = None
    waiver_303a7: bool = False
    """§303(a)(7) waiver or national emergency in force (EO 14241 waived §303(a)(1)–(6) for
    minerals, March 2025): skip the 30-day wait."""
    dpa_reauthorized: bool = False
    """Whether DPA Title III authority is in force after its 30 Sep 2025 lapse (``dpa.md``
    §1.3); instruments dated later warn otherwise."""
    prior_title_iii_musd: dict[Id, float] = {}
    """Outstanding Title III actions per shortfall before this package (million USD)."""
    instruments: list[Instrument] = Field(min_length=1)
    sources: list[SourceRow] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> Package:
        ids = [i.id for i in self.instruments]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            msg = f"duplicate instrument ids: {', '.join(dup)}"
            raise ValueError(msg)
        return self
