"""Strict row models of the dataset tables, one per CSV file.

Every model forbids unknown fields, so a misspelt column is an error, never silently ignored.
The registry :data:`TABLES` maps a table name (the CSV file stem) to its row model; the table
specification for users is ``docs/data-model.md``.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reeplan.schema.types import (
    ISO3,
    Grade,
    Id,
    IdList,
    IsoDate,
    NonNegative,
    Share,
    StageId,
    Year,
)

__all__ = ["TABLES", "Row", "SourcedRow", "register"]

TABLES: dict[str, type[Row]] = {}
"""Table name -> row model, in load order."""


def register(name: str):
    """Register a row model under the table ``name`` (the CSV file stem)."""

    def wrap(cls: type[Row]) -> type[Row]:
        cls.table = name
        TABLES[name] = cls
        return cls

    return wrap


class Row(BaseModel):
    """Base of every table row: frozen, unknown columns rejected."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, allow_inf_nan=False
    )
    table: ClassVar[str] = ""

    id: Id
    """Unique row identifier within the table."""


class SourcedRow(Row):
    """A row that carries a figure and therefore its provenance."""

    source_id: Id
    """Id of the row in ``sources.csv`` the figure comes from."""
    grade: Grade
    """Quality grade A–D."""
    note: str | None = None
    """Context, conflicts, the inputs of a derived figure."""


@register("sources")
class Source(Row):
    """A publication, a derivation rule or a labelled assumption."""

    kind: Literal["publication", "derived", "assumption"]
    title: str
    publisher: str | None = None
    url: str | None = None
    date: IsoDate | None = None
    grade: Grade
    note: str | None = None

    @model_validator(mode="after")
    def _reasoning(self) -> Source:
        if self.kind in ("derived", "assumption") and not self.note:
            msg = f"a {self.kind} source needs a note with its reasoning or inputs"
            raise ValueError(msg)
        return self


@register("elements")
class Element(SourcedRow):
    """A rare-earth element."""

    name: str
    atomic_number: int = Field(ge=21, le=71)
    group: Literal["LREE", "HREE", "none"]
    oxide_formula: str
    oxide_to_metal: float = Field(gt=0.5, lt=1.0)
    """Metal mass / oxide mass."""


@register("stages")
class Stage(Row):
    """A supply-chain stage."""

    order: int = Field(ge=1, le=9)
    product: str
    unit: str
    description: str | None = None


@register("countries")
class Country(Row):
    """A country (ISO3) or the pseudo-codes WLD and ROW."""

    id: ISO3
    name: str
    region: str
    note: str | None = None


@register("mine_production")
class MineProduction(SourcedRow):
    """Mine production of a country in a year, t REO."""

    country: ISO3
    year: Year
    value: NonNegative
    vintage: str


@register("reserves")
class Reserve(SourcedRow):
    """Reserves of a country, t REO."""

    country: ISO3
    value: NonNegative
    vintage: str
    qualifier: Literal[">", "<"] | None = None


@register("us_salient")
class UsSalient(SourcedRow):
    """A USGS salient statistic of the United States."""

    item: Literal[
        "prod_concentrates",
        "prod_compounds_metals",
        "imports_compounds",
        "imports_ferrocerium_alloys",
        "imports_metals_alloys",
        "exports_ores_compounds",
        "exports_ferrocerium_alloys",
        "exports_metals_alloys",
        "apparent_consumption",
        "nir_published",
        "nir_heavy_published",
        "nir_yttrium_published",
        "nir_concentrates_published",
    ]
    year: Year
    value: NonNegative
    unit: str
    vintage: str
    qualifier: Literal[">", "<", "E"] | None = None


@register("stage_shares")
class StageShare(SourcedRow):
    """A country's share of world output (or capacity) of a stage."""

    stage: StageId
    country: ISO3
    year: Year
    share: Share
    basis: Literal["production", "capacity"]
    element_group: str = "all"


@register("compositions")
class Composition(SourcedRow):
    """One element's share in an ore (share of TREO) or in a product's RE content."""

    composition: Id
    kind: Literal["ore", "product"]
    element: str
    share: Share


@register("facilities")
class Facility(SourcedRow):
    """A mine, plant or aggregate national node."""

    name: str
    owner: str
    country: ISO3
    stage: StageId
    product: str
    capacity: NonNegative
    capacity_unit: Literal["t_REO", "t_oxide", "t_metal", "t_magnet"]
    status: Literal["operating", "construction", "planned", "cancelled", "idle"]
    composition: Id | None = None
    start_year: Year | None = None
    capex_musd: NonNegative | None = None
    production: NonNegative | None = None
    production_year: Year | None = None
    feed: IdList = None
    part_of: Id | None = None
    """Id of an aggregate facility whose capacity already includes this one (not counted twice)."""


@register("trade_links")
class TradeLink(SourcedRow):
    """A trade flow: exporter -> importer, by product form."""

    exporter: ISO3
    importer: ISO3
    form: Literal["concentrate", "oxide", "metal_alloy", "magnet", "embedded_magnet"]
    element_group: str
    year: Year
    year_start: Year | None = None
    quantity: NonNegative | None = None
    share: Share | None = None

    @model_validator(mode="after")
    def _amount(self) -> TradeLink:
        if self.quantity is None and self.share is None:
            msg = "a trade link needs a quantity or a share"
            raise ValueError(msg)
        if self.year_start is not None and self.year_start > self.year:
            msg = "year_start is after year"
            raise ValueError(msg)
        return self


@register("us_demand")
class UsDemand(SourcedRow):
    """US demand of a sector for an element in the base year, t REO-equivalent."""

    sector: Literal[
        "defense",
        "ev_traction",
        "wind",
        "consumer_electronics",
        "industrial_motors",
        "catalysts",
        "glass_polishing",
        "other",
    ]
    element: str
    year: Year
    quantity: NonNegative
    growth_rate: float = Field(ge=-0.5, le=1.0)


@register("defense_platforms")
class DefensePlatform(SourcedRow):
    """Rare-earth material in one defense platform.

    ``units_per_year`` is the build rate for all customers (what the consequence model delays);
    ``us_units_per_year`` the units a year bought by the US services only, with its own source
    and grade because it comes from a different document than the row's ``re_mass_kg``.
    """

    platform: str
    re_mass_kg: NonNegative
    units_per_year: NonNegative | None = None
    us_units_per_year: NonNegative | None = None
    us_units_source_id: Id | None = None
    """Id in ``sources.csv`` of ``us_units_per_year``."""
    us_units_grade: Grade | None = None
    """Quality grade A–D of ``us_units_per_year``."""

    @model_validator(mode="after")
    def _us_units_sourced(self) -> DefensePlatform:
        given = [self.us_units_per_year is not None, self.us_units_source_id is not None,
                 self.us_units_grade is not None]
        if any(given) and not all(given):
            msg = ("us_units_per_year, us_units_source_id and us_units_grade go together: "
                   "give all three or none")
            raise ValueError(msg)
        return self


@register("prices")
class Price(SourcedRow):
    """A price observation, USD/kg."""

    product: str
    year: Year
    market: Literal["usgs_fob", "china_domestic", "europe", "volume_weighted", "us_floor"]
    price: NonNegative
    element: str | None = None
    date: IsoDate | None = None
    price_low: NonNegative | None = None
    price_high: NonNegative | None = None


@register("export_controls")
class ExportControl(SourcedRow):
    """An export-control measure (China's, mostly)."""

    date: IsoDate
    authority: str
    measure: str
    status: Literal["in_force", "suspended", "expired", "announced"]
    end_date: IsoDate | None = None
    elements: IdList = None
    forms: str | None = None
    scope: str | None = None
    destinations: str | None = None
    deminimis_value_share: Share | None = None


@register("awards")
class Award(SourcedRow):
    """A US government award or financing action."""

    date: IsoDate
    recipient: str
    agency: str
    instrument: Literal[
        "grant",
        "tia",
        "contract",
        "direct_loan",
        "loan_guarantee",
        "preferred_equity",
        "equity",
        "warrants",
        "price_floor",
        "offtake",
        "tax_credit",
        "incentive",
        "other",
    ]
    amount_musd: NonNegative | None = None
    facility_id: Id | None = None
    program: str | None = None
    terms: str | None = None


@register("stockpile_plan")
class StockpilePlan(SourcedRow):
    """A National Defense Stockpile planned acquisition."""

    fiscal_year: Year
    material: str
    quantity: NonNegative
    element: str | None = None


@register("parameters")
class Parameter(SourcedRow):
    """A model parameter with its range."""

    name: str
    value: float
    unit: str
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _range(self) -> Parameter:
        if self.low is not None and self.high is not None and self.low > self.high:
            msg = "low is above high"
            raise ValueError(msg)
        return self


@register("governance")
class Governance(SourcedRow):
    """A country governance indicator (World Bank WGI), used by the criticality indices."""

    country: ISO3
    year: Year
    indicator: str
    """E.g. ``wgi_ps`` (political stability, -2.5..2.5) or ``wgi_scaled`` (0–10, 10 = worst)."""
    value: float


@register("facility_phases")
class FacilityPhase(SourcedRow):
    """A facility's nameplate from a year on: one row per build phase, expansion or closure.

    A facility with phases takes its nameplate path from them (in the facility's capacity unit);
    ``facilities.capacity``, ``start_year`` and ``status`` then describe the latest phase only.
    """

    facility_id: Id
    year: Year
    """First year the phase's capacity is (or is planned to be) available."""
    capacity: NonNegative
    """Nameplate from ``year`` on, in the facility's ``capacity_unit`` (0 for a closure)."""
    status: Literal["operating", "construction", "planned", "cancelled", "idle"]


@register("facility_output")
class FacilityOutput(SourcedRow):
    """Reported (or estimated) actual output of a facility in a year, in its capacity unit."""

    facility_id: Id
    year: Year
    output: NonNegative
    basis: Literal["reported", "estimated", "fiscal_year"] = "reported"
    """``fiscal_year``: a company year not equal to the calendar year (e.g. Lynas FY to June),
    attributed to the calendar year in which it ends."""


@register("benchmarks")
class Benchmark(SourcedRow):
    """A published aggregate the model's own result is validated against."""

    metric: Literal[
        "mine_output",
        "stage_share",
        "us_production",
        "us_nir",
        "facility_output",
        "us_imports",
    ]
    element: str = "all"
    """An element symbol, an element group (``all``, ``NdPr``, ``DyTb`` ...) or ``;``-list."""
    stage: StageId | None = None
    country: ISO3 | None = None
    """Country (share or output of); for ``us_imports`` the exporter."""
    facility_id: Id | None = None
    year: Year
    value: float
    low: float | None = None
    high: float | None = None
    unit: str

    @model_validator(mode="after")
    def _range(self) -> Benchmark:
        if self.low is not None and self.high is not None and self.low > self.high:
            msg = "low is above high"
            raise ValueError(msg)
        if self.low is None or self.high is None:
            msg = "a benchmark needs its tolerance range (low and high)"
            raise ValueError(msg)
        return self


Sector = Literal[
    "defense",
    "ev_traction",
    "wind",
    "consumer_electronics",
    "industrial_motors",
    "catalysts",
    "glass_polishing",
    "other",
]
"""End-use sectors of ``us_demand`` (the consequence tables use the same names)."""


def _check_range(value: float, low: float | None, high: float | None, what: str) -> None:
    if low is not None and high is not None and low > high:
        msg = f"{what}: low is above high"
        raise ValueError(msg)
    if low is not None and value < low:
        msg = f"{what}: value is below low"
        raise ValueError(msg)
    if high is not None and value > high:
        msg = f"{what}: value is above high"
        raise ValueError(msg)


@register("sector_intensities")
class SectorIntensity(SourcedRow):
    """How much of an element one unit of a sector's output holds, and what the unit is worth.

    A tonne of ``element`` short in ``sector`` stops ``1000 / intensity`` units worth
    ``unit_value_usd`` each (before substitution).
    """

    element: str
    sector: Sector
    unit: str
    """The unit of output (vehicle, MW, hard disk drive, F-35-equivalent ...)."""
    intensity: float = Field(gt=0.0)
    """kg of the element (as oxide, REO) per unit of output."""
    intensity_low: float | None = Field(default=None, gt=0.0)
    intensity_high: float | None = Field(default=None, gt=0.0)
    unit_value_usd: NonNegative
    """Value of one unit of output, USD."""
    value_low: NonNegative | None = None
    value_high: NonNegative | None = None

    @model_validator(mode="after")
    def _ranges(self) -> SectorIntensity:
        _check_range(self.intensity, self.intensity_low, self.intensity_high, "intensity")
        _check_range(self.unit_value_usd, self.value_low, self.value_high, "unit_value_usd")
        return self


@register("substitution")
class Substitution(SourcedRow):
    """Share of a sector's shortfall that can be switched or thrifted after a given duration."""

    sector: Sector
    horizon: Literal["quarter", "year", "three_years"]
    """How long the shortfall has lasted."""
    share: Share
    low: Share | None = None
    high: Share | None = None

    @model_validator(mode="after")
    def _range(self) -> Substitution:
        _check_range(self.share, self.low, self.high, "share")
        return self


@register("published_rankings")
class PublishedRanking(SourcedRow):
    """An element's place in a published criticality assessment (1 = most critical; ties share
    their mean rank)."""

    assessment: Literal["usgs_2025", "doe_cma_2023", "eu_crm_2023"]
    element: str
    rank: float = Field(ge=1.0)
