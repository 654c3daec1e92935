"""Input model of a candidate project: schedule, capacity by product, costs, price exposure, risk.

Money is in million US dollars (``_musd``), capacities in t/yr, prices in USD/kg, so
``revenue_musd = volume_t * price_usd_per_kg / 1000``. Times are decimal years
(2027.5 = 1 July 2027).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reeplan.finance.sourced import (
    FinanceModel,
    Key,
    NonNegNum,
    Num,
    NumList,
    ShareNum,
    YearNum,
)
from reeplan.schema.types import ISO3, Grade, Id

__all__ = [
    "Benchmark",
    "Financing",
    "Input",
    "Maturity",
    "PriceLink",
    "Product",
    "Project",
    "RiskOverride",
    "Stage",
    "Triangular",
]

Stage = Literal["mining", "separation", "metal", "magnet"]
Maturity = Literal["proven", "brownfield", "first_of_a_kind", "greenfield"]
"""``proven``: an operator repeating a process it runs; ``brownfield``: restart or expansion at an
existing site; ``first_of_a_kind``: a new process or a new operator in the US; ``greenfield``: a new
site (for mines, discovery to production)."""
Benchmark = Literal["NdPr", "Dy", "Tb"]


class PriceLink(FinanceModel):
    """Price of a product or input: ``adder + multiplier * benchmark`` (USD/kg)."""

    benchmark: Benchmark | None = None
    """Simulated benchmark the price follows; ``None`` for a fixed price (``adder`` only)."""
    multiplier: Num = 1.0
    adder_usd_per_kg: Num = 0.0


class Product(FinanceModel):
    """One product the project sells (its share of the element basket)."""

    name: Id
    capacity_t: NonNegNum
    """Nameplate output, t/yr."""
    price: PriceLink
    opex_usd_per_kg: NonNegNum = 0.0
    """Variable operating cost per kg of this product."""


class Input(FinanceModel):
    """A purchased feed, in proportion to one product's output."""

    name: Id
    product: Id
    """The product whose output drives this input's quantity."""
    t_per_t: NonNegNum
    """Tonnes of input per tonne of that product."""
    price: PriceLink


class Financing(FinanceModel):
    """How far the project is financed without federal support."""

    committed_musd: NonNegNum = 0.0
    """Sponsor or private funds already committed to the capex."""
    fid_delay_years: NonNegNum
    """Expected wait to close financing without federal support (years)."""
    cost_of_debt: Num
    """The borrower's market borrowing rate (for the value of concessional credit)."""


class Triangular(FinanceModel):
    """A triangular distribution (low, mode, high)."""

    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            msg = "need low <= mode <= high"
            raise ValueError(msg)
        return self


class RiskOverride(FinanceModel):
    """Project-specific risk inputs replacing the stage/maturity defaults of ``risk.py``."""

    p_technical: ShareNum | None = None
    overrun: Triangular | None = None
    delay_years: Triangular | None = None
    annual_pd: ShareNum | None = None
    recovery: ShareNum | None = None
    source_id: Id | None = None
    grade: Grade | None = None
    note: str | None = None


class Project(FinanceModel):
    """A candidate project (one plant or mine) and the economics of its cash flows."""

    id: Key
    name: str
    sponsor: str
    stage: Stage
    maturity: Maturity
    country: ISO3
    status: Literal["operating", "construction", "planned", "cancelled", "idle"] = "planned"
    shortfall: Id
    """The DPA determination ("shortfall") Title III actions for this project count against."""
    facility_id: Id | None = None
    """Row of the dataset's ``facilities`` table, when there is one."""
    source_id: Id | None = None
    """Default source of the fields given as bare numbers."""
    grade: Grade | None = None
    note: str | None = None
    decision_year: YearNum
    """Decimal year construction starts once financing is closed."""
    build_years: NonNegNum
    capex_musd: NonNegNum
    capex_schedule: NumList = Field(default_factory=lambda: {"value": [1.0]})
    """Share of capex in each planned build year (sums to 1), stretched over the actual build."""
    ramp_up: NumList
    """Utilisation in each operating year until it reaches 1 (e.g. [0.3, 0.6, 0.9])."""
    life_years: NonNegNum
    products: list[Product] = Field(min_length=1)
    inputs: list[Input] = []
    opex_fixed_musd: NonNegNum
    tax_rate: ShareNum
    discount_rate: Num
    depreciation_years: NonNegNum
    financing: Financing
    risk: RiskOverride | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Project:
        schedule = self.capex_schedule.value
        if not schedule or abs(sum(schedule) - 1.0) > 1e-6 or min(schedule) < 0:
            msg = "capex_schedule must be non-negative shares summing to 1"
            raise ValueError(msg)
        if any(not 0.0 <= u <= 1.0 for u in self.ramp_up.value):
            msg = "ramp_up utilisations must lie in [0, 1]"
            raise ValueError(msg)
        names = [p.name for p in self.products]
        if len(set(names)) != len(names):
            msg = "product names must be unique"
            raise ValueError(msg)
        for i in self.inputs:
            if i.product not in names:
                msg = f"input {i.name!r} refers to unknown product {i.product!r}"
                raise ValueError(msg)
        positive = {"build_years": self.build_years, "life_years": self.life_years,
                    "depreciation_years": self.depreciation_years,
                    "discount_rate": self.discount_rate}
        for name, x in positive.items():
            if x.value <= 0:
                msg = f"{name} must be positive"
                raise ValueError(msg)
        if not 0 <= self.tax_rate.value < 1 or self.capex_musd.value < 0:
            msg = "tax_rate must be in [0, 1) and capex_musd non-negative"
            raise ValueError(msg)
        return self

    def product(self, name: str) -> Product:
        """The product called ``name``."""
        return next(p for p in self.products if p.name == name)

    @property
    def plant(self) -> bool:
        """Whether this is a processing plant (separation, metal, magnet) rather than a mine."""
        return self.stage != "mining"
