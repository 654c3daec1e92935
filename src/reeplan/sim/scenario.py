"""Disruption scenarios: the strict pydantic schema of scenario YAML files.

A scenario lists shocks (export controls, outages, demand shifts, project delays) and the
settings of the market response, inventories, the National Defense Stockpile and DPA Title I.
Every uncertain number may be a distribution (:mod:`reeplan.sim.dists`). Defaults that are not in
the dataset are labelled assumptions (:data:`reeplan.sim.assumptions.ASSUMPTIONS`, ids in the
field docs), reported with every run.

:func:`reeplan.sim.loader.load_scenario` reads a preset name or a YAML path, merges
``includes``, validates, and raises one :class:`~reeplan.errors.ScenarioError` listing every
problem with file and field; :func:`reeplan.sim.loader.check_scenario` checks the names against
a dataset (elements, countries, sectors, source and export-control ids).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from reeplan.schema.types import SIM_HORIZON
from reeplan.sim.dists import Param, param_bounds

__all__ = [
    "FORMS",
    "HORIZON",
    "DemandShift",
    "Dpa",
    "ExportControl",
    "ForeignProductRule",
    "Inventory",
    "Market",
    "Outage",
    "ProjectDelay",
    "Scenario",
    "Stockpile",
    "quarter_index",
]

HORIZON = SIM_HORIZON
"""First and last calendar year simulated (quarters 2025Q1–2040Q4)."""

MATERIAL_FORMS = {
    "concentrate": "mining", "mining": "mining",
    "oxide": "separation", "compound": "separation", "separation": "separation",
    "metal": "metal", "alloy": "metal",
    "magnet": "magnet", "embedded_magnet": "magnet",
}
"""Controlled form -> the producing stage whose outgoing links it restricts."""

FORMS = (*MATERIAL_FORMS, "technology", "equipment", "auxiliary_materials")
"""Accepted ``forms``; technology/equipment have no direct material effect (model them as project
delays, as the December 2023 technology-ban preset does)."""

Stage = Literal["mining", "separation", "metal", "magnet"]
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def quarter_index(when: str | date, origin: int = HORIZON[0]) -> float:
    """Position of a date on the quarter axis (0.0 = start of ``origin`` Q1), fractional.

    Examples
    --------
    >>> quarter_index("2025Q2")
    1.0
    >>> round(quarter_index("2025-04-04"), 4)
    1.033
    >>> quarter_index("2026-01")
    4.0
    """
    if isinstance(when, date):
        y, m, d = when.year, when.month, when.day
    else:
        s = str(when).strip()
        if mq := _QUARTER.match(s):
            return 4.0 * (int(mq[1]) - origin) + int(mq[2]) - 1
        if mm := _MONTH.match(s):
            y, m, d = int(mm[1]), int(mm[2]), 1
            if not 1 <= m <= 12:
                msg = f"invalid month in {s!r}"
                raise ValueError(msg)
        else:
            try:
                parsed = date.fromisoformat(s)
            except ValueError:
                msg = f"{s!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYYQn)"
                raise ValueError(msg) from None
            y, m, d = parsed.year, parsed.month, parsed.day
    q0 = (m - 1) // 3
    start = date(y, 3 * q0 + 1, 1)
    end = date(y + (q0 == 3), 1 if q0 == 3 else 3 * q0 + 4, 1)
    frac = (date(y, m, d) - start).days / (end - start).days
    return 4.0 * (y - origin) + q0 + frac


DATE_YEARS = (HORIZON[0] - 30, HORIZON[1] + 30)
"""Years a scenario date may name: shocks may have started before the horizon (the December
2023 technology ban) or end after it, but 1800 or 2200 is a typing error."""


def _when(v: str | date) -> str:
    q = quarter_index(v)
    year = HORIZON[0] + int(q // 4)
    if not DATE_YEARS[0] <= year <= DATE_YEARS[1]:
        msg = (f"{v} is far outside the simulated horizon {HORIZON[0]}–{HORIZON[1]} (dates "
               f"must lie in {DATE_YEARS[0]}–{DATE_YEARS[1]})")
        raise ValueError(msg)
    return v.isoformat() if isinstance(v, date) else str(v).strip()


When = Annotated[str | date, AfterValidator(_when)]
"""A date: ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYYQn``."""

Names = Literal["all"] | list[Annotated[str, Field(min_length=1)]]
Countries = list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]]


def _range(lo: float, hi: float) -> Any:
    """A parameter (number or distribution) whose values must lie in ``[lo, hi]``."""

    def check(p: Param | None) -> Param | None:
        bounds = None if p is None else param_bounds(p)
        if bounds is None:
            return p
        a, b = bounds
        if a < lo or b > hi:
            msg = f"must lie in [{lo:g}, {hi:g}]; this value or distribution reaches " \
                  f"[{a:g}, {b:g}]"
            raise ValueError(msg)
        return p

    return AfterValidator(check)


Share = Annotated[Param, _range(0.0, 1.0)]
OptShare = Annotated[Param | None, _range(0.0, 1.0)]


class _Model(BaseModel):
    # strict: ``true`` is not a number and ``2025.0`` not a year; no NaN or infinity anywhere
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class _Shock(_Model):
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Identifier, unique within the scenario."""
    start: When
    """When the shock starts."""
    end: When | None = None
    """When it ends (exclusive); give ``end`` or ``duration_years`` or neither (open-ended)."""
    duration_years: Annotated[Param | None, _range(0.0, 100.0)] = None
    """Duration from ``start`` in years (uncertain durations as a distribution)."""
    probability: Share = 1.0
    """Probability the shock happens at all in a sample."""
    source: str | None = None
    """Source id or ``assumption: <reasoning>``."""
    note: str | None = None

    @model_validator(mode="after")
    def _timing(self) -> _Shock:
        if self.end is not None and self.duration_years is not None:
            msg = "give end or duration_years, not both"
            raise ValueError(msg)
        if self.end is not None and quarter_index(self.end) <= quarter_index(self.start):
            msg = f"end {self.end} is not after start {self.start}"
            raise ValueError(msg)
        return self


class ForeignProductRule(_Model):
    """Extraterritorial rule: third-country items with the exporter's content need a licence."""

    deminimis_value_share: float = Field(0.001, gt=0, lt=1)
    """Content threshold (share of value); MOFCOM No. 61: 0.1 % (export_controls row)."""
    start: When | None = None
    """When the rule takes effect (default: the control's start)."""
    lots: Literal["segregated", "blended"] = "segregated"
    """How third-country plants mix inputs (asm_sim_fdpr_lots)."""


class ExportControl(_Shock):
    """An export control: who, what, to whom, and how strictly."""

    ref: str | None = None
    """Id of the measure in the dataset's ``export_controls`` table."""
    exporter: Countries = Field(default_factory=lambda: ["CHN"], min_length=1)
    elements: Names
    """Element symbols or groups (LREE, HREE, NdPr, DyTb) or ``all``."""
    forms: list[Literal[FORMS]] = Field(min_length=1)  # type: ignore[valid-type]
    destinations: Literal["all"] | Countries = "all"
    regime: Literal["ban", "licence"]
    approval_rate: OptShare = None
    """Share of licensed export volume approved (licence regime only)."""
    licence_delay_days: Annotated[Param, _range(0.0, 3650.0)] = 0.0
    """Processing time during which nothing is shipped."""
    military_end_use: Literal["allowed", "denied"] = "allowed"
    """``denied``: approved exports may not reach defense users."""
    foreign_product_rule: ForeignProductRule | None = None
    direct: bool = True
    """Whether the control covers the exporter's own exports (``false``: only its
    foreign-product rule and military end-use denial, e.g. when another entry already licenses
    the direct exports)."""

    @model_validator(mode="after")
    def _regime(self) -> ExportControl:
        if not self.direct and self.foreign_product_rule is None:
            msg = "direct: false needs a foreign_product_rule (otherwise the control does nothing)"
            raise ValueError(msg)
        if self.regime == "licence" and self.approval_rate is None:
            msg = "a licence regime needs approval_rate"
            raise ValueError(msg)
        if self.regime == "ban" and self.approval_rate is not None:
            msg = "a ban has no approval_rate (use regime: licence)"
            raise ValueError(msg)
        return self


class Outage(_Shock):
    """Loss of a share of the output of some (stage, country) nodes."""

    stage: Stage
    countries: Countries = Field(min_length=1)
    elements: Names = "all"
    fraction: Share
    """Share of the nodes' output lost while the outage lasts."""


class DemandShift(_Shock):
    """US demand multiplied by ``factor`` for some sectors and elements."""

    sectors: Names = "all"
    elements: Names = "all"
    factor: Annotated[Param, _range(0.0, 100.0)]


class ProjectDelay(_Model):
    """Capacity added after 2025 at some nodes arrives ``delay_years`` later."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    stages: list[Stage] = Field(min_length=1)
    countries: Literal["all"] | Countries = "all"
    exclude_countries: Countries = Field(default_factory=list)
    delay_years: Annotated[Param, _range(0.0, 30.0)]
    probability: Share = 1.0
    source: str | None = None
    note: str | None = None


class Market(_Model):
    """Market response; ``None`` takes the dataset parameter named in the comment."""

    ramp_rate: OptShare = None
    """Non-China ramp-up, share of market volume per year (``non_china_ramp_rate``)."""
    substitution_rate: OptShare = None
    """Substitution and thrifting, share of demand per year (``substitution_rate_max``)."""
    demand_elasticity_short: Param | None = None
    """(``price_elasticity_demand_short``)"""
    demand_elasticity_long: Param | None = None
    """(``price_elasticity_demand_long``)"""
    supply_elasticity_short: Param | None = None
    """(``price_elasticity_supply_nonchina_short``)"""
    supply_elasticity_long: Param | None = None
    """(``price_elasticity_supply_nonchina_long``)"""
    adjustment_years: Annotated[Param | None, _range(0.0, 50.0)] = None
    """Years from short- to long-run elasticities (``build_years_separation``)."""
    price_cap_multiple: Annotated[Param, _range(1.0, 1000.0)] = 10.0
    """Largest price multiple of the base price (asm_sim_price_cap)."""
    china_surplus_absorbed: Share = 0.9
    """Share of denied Chinese exports absorbed by quota cuts and state buying
    (asm_sim_china_absorption)."""
    defense_substitution: bool = False
    """Whether defense demand substitutes too (asm_sim_defense_substitution)."""


class Inventory(_Model):
    """Commercial inventories held by US users."""

    cover_quarters: Annotated[Param, _range(0.0, 40.0)] = 0.5
    """Initial stock in quarters of each sector's demand (asm_sim_inventory_cover)."""


class Stockpile(_Model):
    """National Defense Stockpile: holdings from ``stockpile_plan``; releases to defense only."""

    acquired_fraction: Share = 1.0
    """Share of the plan quantities held (asm_sim_nds_acquired)."""
    through_fiscal_year: int = Field(2025, ge=1990, le=HORIZON[1])
    """Plan rows up to this fiscal year count as held."""
    release: bool = True
    """Whether a release order (50 U.S.C. 98f) is issued when the disruption starts."""
    release_delay_days: Annotated[Param, _range(0.0, 3650.0)] = 30.0
    """Delay from the release order to the first release (asm_sim_nds_release_delay)."""


class Dpa(_Model):
    """DPA Title I priorities (DPAS): rated demand served first from US-jurisdiction output."""

    in_force: bool = True
    """Authority in force (it lapsed on 30 Sep 2025, dpa.md §1.3: make it a scenario choice)."""
    start: When | None = None
    end: When | None = None
    dx_share_of_defense: float = Field(0.5, ge=0, le=1)
    """Share of defense demand on DX-rated orders, the rest DO (asm_sim_dx_share)."""


class Scenario(_Model):
    """A disruption scenario."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)
    title: str = Field(min_length=1, max_length=300)
    description: str = ""
    sources: list[str] = Field(min_length=1)
    """Ids of the dataset rows the scenario rests on (sources, export_controls, trade_links,
    parameters, stockpile_plan, prices)."""
    includes: list[str] = Field(default_factory=list)
    """Presets or YAML paths whose shocks and settings this scenario starts from."""
    export_controls: list[ExportControl] = Field(default_factory=list)
    outages: list[Outage] = Field(default_factory=list)
    demand_shifts: list[DemandShift] = Field(default_factory=list)
    project_delays: list[ProjectDelay] = Field(default_factory=list)
    demand_growth_shift: Annotated[Param, _range(-0.5, 0.5)] = 0.0
    """Added to US demand growth, per year (uncertain growth as a distribution)."""
    market: Market = Field(default_factory=Market)
    inventory: Inventory = Field(default_factory=Inventory)
    stockpile: Stockpile = Field(default_factory=Stockpile)
    dpa: Dpa = Field(default_factory=Dpa)
    assumptions: list[str] = Field(default_factory=list)
    """Scenario-specific labelled assumptions, in words."""
    ttr_materiality: float = Field(0.01, ge=0, lt=1, allow_inf_nan=False)
    """Time to recover: unmet demand at or below this share of a use's demand counts as
    recovered (asm_sim_ttr_materiality)."""

    @model_validator(mode="after")
    def _unique_ids(self) -> Scenario:
        seen: set[str] = set()
        for group in (self.export_controls, self.outages, self.demand_shifts,
                      self.project_delays):
            for shock in group:
                if shock.id in seen:
                    msg = f"shock id {shock.id!r} is used twice"
                    raise ValueError(msg)
                seen.add(shock.id)
        return self

    def summary(self) -> list[dict[str, Any]]:
        """One row per shock: kind, id, what it hits, when."""
        rows: list[dict[str, Any]] = []
        for c in self.export_controls:
            rows.append({"kind": "export_control", "id": c.id, "ref": c.ref or "",
                         "what": f"{'/'.join(c.exporter)} {c.regime} on "
                                 f"{_names(c.elements)} ({', '.join(c.forms)}) to "
                                 f"{_names(c.destinations)}"
                                 + (" + foreign-product rule" if c.foreign_product_rule else ""),
                         "start": c.start, "end": c.end or _dur(c.duration_years)})
        for o in self.outages:
            rows.append({"kind": "outage", "id": o.id, "ref": "",
                         "what": f"{o.stage} in {'/'.join(o.countries)} ({_names(o.elements)})",
                         "start": o.start, "end": o.end or _dur(o.duration_years)})
        for d in self.demand_shifts:
            rows.append({"kind": "demand_shift", "id": d.id, "ref": "",
                         "what": f"{_names(d.sectors)} × {_names(d.elements)}",
                         "start": d.start, "end": d.end or _dur(d.duration_years)})
        for p in self.project_delays:
            rows.append({"kind": "project_delay", "id": p.id, "ref": "",
                         "what": f"{'/'.join(p.stages)} in {_names(p.countries)}"
                                 + (f" except {'/'.join(p.exclude_countries)}"
                                    if p.exclude_countries else ""),
                         "start": "", "end": ""})
        return rows


def _names(v: str | list[str]) -> str:
    return v if isinstance(v, str) else ";".join(v)


def _dur(p: Param | None) -> str:
    if p is None:
        return "open"
    if isinstance(p, int | float):
        return f"+{p:g} y"
    return f"+{p.dist} y"
