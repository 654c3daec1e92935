r"""Threat model: a calibrated stochastic generator of disruptions 2026Q1–2040Q4.

Beside the dated presets, a *generated* scenario draws, per Monte Carlo sample:

* **Chinese export-control events** as a Poisson process over the horizon whose rate is itself
  uncertain: :math:`\lambda \sim \text{Gamma}(a_0 + n, b_0 + E)` per sample (the posterior of a
  Gamma(:math:`a_0, b_0`) prior after :math:`n` counted events in :math:`E` years of history,
  :func:`calc_calibration`), then :math:`N \sim \text{Poisson}(\lambda H)` events at uniform
  times. Each event has a scope (heavy REE, all REE, magnets, technology; Dirichlet posterior of
  the history's scope counts), a regime (ban with a sampled probability, else licensing with an
  approval rate after a licence delay), a foreign-product rule and a military end-use denial
  (each with a sampled probability), and a duration. Technology events delay ex-China
  separation, metal and magnet capacity added after them.
* **Hazards**: Myanmar feed disruptions and plant outages, each a Poisson process with a
  (possibly uncertain) rate, a share of output lost and a duration.
* **Demand paths**: a growth shift per sector added to the dataset's growth.

Every parameter is read from YAML (:class:`ThreatModel`, strict: unknown fields and non-finite
numbers are errors) with a source id or a labelled assumption; the default ships as
``reeplan/data/threats/threat_model.yaml`` with the event history
``export_control_history.yaml``. :func:`compile_threats` returns a
:class:`~reeplan.sim.shocks.Compiled` that :func:`~reeplan.sim.runner.run_simulation` runs like
a preset: one control part per scope (and its foreign-product rule) carries the masks, and the
sampler :class:`~reeplan.sim.threat_draws.ThreatSampler` gives each part a per-sample denial
path, vectorised over samples (:mod:`reeplan.sim.threat_draws`).
"""

from __future__ import annotations

import math
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy import stats

from reeplan.errors import Problem, ScenarioError
from reeplan.sim.dists import Param, param_bounds
from reeplan.sim.scenario import (
    FORMS,
    Dpa,
    Inventory,
    Market,
    Scenario,
    Stage,
    Stockpile,
    When,
    quarter_index,
)

__all__ = [
    "SCOPES",
    "History",
    "ThreatModel",
    "calc_calibration",
    "compile_threats",
    "default_model_path",
    "load_history",
    "load_threat_model",
    "load_threat_scenario",
    "threat_scenario",
]

SCOPES = ("heavy_ree", "all_ree", "magnets", "technology")
"""Scopes of export-control events."""


def _finite_param(p: Param | None) -> Param | None:
    if p is None:
        return p
    nums = [p] if isinstance(p, int | float) else [
        v for k, v in p.model_dump().items() if isinstance(v, int | float) and
        not isinstance(v, bool) and k not in ("high",)]
    if any(not math.isfinite(float(v)) for v in nums):
        msg = "numbers must be finite"
        raise ValueError(msg)
    return p


def _range(lo: float, hi: float) -> Any:
    def check(p: Param | None) -> Param | None:
        p = _finite_param(p)
        b = None if p is None else param_bounds(p)
        if b is not None and (b[0] < lo or b[1] > hi):
            msg = f"must lie in [{lo:g}, {hi:g}]; this value or distribution reaches " \
                  f"[{b[0]:g}, {b[1]:g}]"
            raise ValueError(msg)
        return p

    return AfterValidator(check)


Share = Annotated[Param, _range(0.0, 1.0)]
Years = Annotated[Param, _range(0.0, 100.0)]
Rate = Annotated[Param, _range(0.0, 50.0)]
Growth = Annotated[Param, _range(-0.5, 0.5)]
Source = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Window(_Model):
    """A period ``[start, end)``."""

    start: When
    end: When

    @model_validator(mode="after")
    def _order(self) -> Window:
        if quarter_index(self.end) <= quarter_index(self.start):
            msg = f"end {self.end} is not after start {self.start}"
            raise ValueError(msg)
        return self

    @property
    def years(self) -> float:
        """Length in years."""
        return (quarter_index(self.end) - quarter_index(self.start)) / 4.0


class GammaPrior(_Model):
    """Gamma(shape, rate) prior of a Poisson rate (per year)."""

    shape: float = Field(gt=0)
    rate: float = Field(ge=0)
    source: Source


class ScopeSpec(_Model):
    """What an event of this scope covers, and its prior weight (Dirichlet)."""

    elements: Literal["all"] | list[str]
    forms: list[Literal[FORMS]] = Field(min_length=1)  # type: ignore[valid-type]
    prior_weight: float = Field(1.0, gt=0)
    source: Source


class ExportControlThreats(_Model):
    """Arrivals and features of Chinese export-control events."""

    exporter: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(
        default_factory=lambda: ["CHN"], min_length=1)
    rate_prior: GammaPrior
    scopes: dict[Literal[SCOPES], ScopeSpec]  # type: ignore[valid-type]
    ban_probability: Share
    approval_rate: Share
    licence_delay_days: Annotated[Param, _range(0.0, 3650.0)]
    foreign_product_rule_probability: Share
    military_denied_probability: Share
    duration_years: Years
    technology_delay_years: Annotated[Param, _range(0.0, 30.0)]


class Hazard(_Model):
    """A Poisson process of outages of some (stage, country) nodes."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    stage: Stage
    countries: list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]] = Field(min_length=1)
    elements: Literal["all"] | list[str] = "all"
    rate_per_year: Rate
    fraction: Share
    duration_years: Years
    source: str | None = None


class HistoryEvent(_Model):
    """One row of the export-control history."""

    id: str
    ref: str | None = None
    date: When
    end: When | None = None
    scope: Literal[SCOPES]  # type: ignore[valid-type]
    regime: Literal["ban", "licence"]
    foreign_product_rule: bool = False
    military_denied: bool = False
    duration_years: float | None = Field(None, ge=0)
    counted: bool
    source: Source
    note: str = ""


class History(_Model):
    """The export-control event history and its observation window."""

    window: Window
    events: list[HistoryEvent] = Field(min_length=1)

    def counted(self) -> list[HistoryEvent]:
        """Counted events (arrivals) inside the window."""
        lo, hi = quarter_index(self.window.start), quarter_index(self.window.end)
        return [e for e in self.events if e.counted and lo <= quarter_index(e.date) < hi]


class ThreatModel(_Model):
    """A threat model (see the module docstring); every number with a source or assumption."""

    name: str = Field("threats", pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    horizon: Window
    history: str | History
    """Path of the history YAML (relative to the model file) or the history inline."""
    sources: list[str] = Field(default_factory=list)
    export_controls: ExportControlThreats
    hazards: list[Hazard] = Field(default_factory=list)
    demand_growth: dict[str, Growth] = Field(default_factory=dict)
    """Sector -> growth shift per year added to the dataset's growth."""
    market: Market = Field(default_factory=Market)
    inventory: Inventory = Field(default_factory=Inventory)
    stockpile: Stockpile = Field(default_factory=Stockpile)
    dpa: Dpa = Field(default_factory=Dpa)
    ttr_materiality: float = Field(0.01, ge=0, lt=1)
    rate_multiplier: float = Field(1.0, gt=0)
    """Scales the sampled event rate (sensitivity runs; 1 = as calibrated)."""

    @model_validator(mode="after")
    def _checks(self) -> ThreatModel:
        ids = [h.id for h in self.hazards]
        if len(set(ids)) != len(ids):
            msg = "hazard ids must be unique"
            raise ValueError(msg)
        if quarter_index(self.horizon.start) < 0 or quarter_index(self.horizon.end) > 64:
            msg = "the horizon must lie within 2025Q1-2040Q4"
            raise ValueError(msg)
        return self


def default_model_path() -> Path:
    """The bundled default threat model."""
    return Path(str(resources.files("reeplan") / "data" / "threats" / "threat_model.yaml"))


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ScenarioError([Problem(str(path), None, None, str(exc))],
                            f"cannot read {path}") from None
    if not isinstance(raw, dict):
        raise ScenarioError([Problem(str(path), None, None, "must be a YAML mapping")],
                            f"cannot read {path}")
    return _dates_to_str(raw)


def _dates_to_str(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _dates_to_str(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_dates_to_str(v) for v in x]
    return x.isoformat() if isinstance(x, date) else x


def _validate(cls: type[BaseModel], raw: dict[str, Any], file: str) -> Any:
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        problems = [Problem(file, None, ".".join(str(p) for p in e["loc"]) or None,
                            str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]
        raise ScenarioError(problems, f"invalid {cls.__name__} in {file}") from None


def load_threat_model(path: str | Path | None = None, **overrides: Any) -> ThreatModel:
    """Read a threat model (the bundled default when ``path`` is ``None``), resolve its history
    and apply top-level ``overrides`` (e.g. ``rate_multiplier=2``).

    Raises
    ------
    ScenarioError
        Listing every problem with file and field.
    """
    p = Path(path) if path is not None else default_model_path()
    raw = _read(p) | overrides
    hist = raw.get("history")
    if isinstance(hist, str):
        hp = Path(hist) if Path(hist).is_absolute() else p.parent / hist
        if not hp.is_file():
            hp = default_model_path().parent / hist
        raw["history"] = _validate(History, _read(hp), str(hp)).model_dump(mode="json")
    return _validate(ThreatModel, raw, str(p))


def load_history(model: ThreatModel) -> History:
    """The model's history (inline after :func:`load_threat_model`)."""
    if isinstance(model.history, History):
        return model.history
    return load_threat_model(None).history  # type: ignore[return-value]


def posterior(model: ThreatModel) -> tuple[float, float]:
    """Gamma posterior ``(shape, rate)`` of the export-control event rate (per year)."""
    h = load_history(model)
    pr = model.export_controls.rate_prior
    return pr.shape + len(h.counted()), pr.rate + h.window.years


def scope_weights(model: ThreatModel) -> dict[str, float]:
    """Dirichlet posterior mean of the scope shares: prior weight + counted events."""
    counted = [e.scope for e in load_history(model).counted()]
    w = {s: spec.prior_weight + counted.count(s)
         for s, spec in model.export_controls.scopes.items()}
    tot = sum(w.values())
    return {s: v / tot for s, v in w.items()}


def calc_calibration(model: ThreatModel) -> pd.DataFrame:
    """The calibration of the event rate and scope shares, one row per quantity.

    Columns: ``quantity``, ``prior``, ``events`` (counted in the history), ``exposure_years``,
    ``posterior``, ``mean``, ``p5``, ``p95`` (90 % interval), ``source``. The row
    ``events over the history window`` gives the model's expected count over the window and its
    90 % posterior-predictive interval (negative binomial), against the count observed.
    """
    h = load_history(model)
    pr = model.export_controls.rate_prior
    n, E = len(h.counted()), h.window.years
    a, b = posterior(model)
    rate = stats.gamma(a, scale=1.0 / b)
    nb = stats.nbinom(a, b / (b + E))  # Poisson(λE) with λ ~ Gamma(a, b)
    rows = [
        {"quantity": "export-control event rate (per year)",
         "prior": f"Gamma({pr.shape:g}, {pr.rate:g})", "events": n, "exposure_years": E,
         "posterior": f"Gamma({a:g}, {b:g})", "mean": rate.mean(), "p5": rate.ppf(0.05),
         "p95": rate.ppf(0.95), "source": pr.source},
        {"quantity": f"events over the history window ({E:g} y)", "prior": "",
         "events": n, "exposure_years": E, "posterior": f"NegBin({a:g}, {b / (b + E):.3f})",
         "mean": a / b * E, "p5": float(nb.ppf(0.05)), "p95": float(nb.ppf(0.95)),
         "source": "; ".join(e.source for e in h.counted())},
        {"quantity": f"events over the horizon ({model.horizon.years:g} y)", "prior": "",
         "events": n, "exposure_years": E, "posterior": "", "mean": a / b * model.horizon.years
         * model.rate_multiplier, "p5": float(stats.nbinom(a, b / (b + model.horizon.years *
                                                                  model.rate_multiplier)).ppf(0.05)),
         "p95": float(stats.nbinom(a, b / (b + model.horizon.years * model.rate_multiplier)
                                   ).ppf(0.95)), "source": "posterior predictive"},
    ]
    counted = [e.scope for e in h.counted()]
    alpha = {s: spec.prior_weight + counted.count(s)
             for s, spec in model.export_controls.scopes.items()}
    tot = sum(alpha.values())
    for s, spec in model.export_controls.scopes.items():
        beta = stats.beta(alpha[s], tot - alpha[s])
        rows.append({"quantity": f"share of events: {s}",
                     "prior": f"Dirichlet weight {spec.prior_weight:g}",
                     "events": counted.count(s), "exposure_years": E,
                     "posterior": f"Beta({alpha[s]:g}, {tot - alpha[s]:g})", "mean": beta.mean(),
                     "p5": beta.ppf(0.05), "p95": beta.ppf(0.95), "source": spec.source})
    return pd.DataFrame(rows)


def threat_scenario(model: ThreatModel) -> Scenario:
    """The dated scenario that carries the threat model's masks: one ban per material scope
    (with its foreign-product rule and military end-use denial, switched per sample by the
    sampler), one outage per hazard and one project delay for technology events."""
    ec = model.export_controls
    start = model.horizon.start
    controls = []
    for s, spec in ec.scopes.items():
        if s == "technology" or not set(spec.forms) - {"technology", "equipment",
                                                        "auxiliary_materials"}:
            continue
        controls.append({
            "id": s, "exporter": list(ec.exporter), "elements": spec.elements,
            "forms": list(spec.forms), "regime": "ban", "start": start,
            "military_end_use": "denied", "foreign_product_rule": {"deminimis_value_share":
                                                                   0.001},
            "source": spec.source})
    outages = [{"id": h.id, "stage": h.stage, "countries": list(h.countries),
                "elements": h.elements, "fraction": 1.0, "start": start, "source": h.source}
               for h in model.hazards]
    delays = []
    if "technology" in ec.scopes:
        delays.append({"id": "technology", "stages": ["separation", "metal", "magnet"],
                       "exclude_countries": list(ec.exporter), "delay_years": 0.0,
                       "source": ec.scopes["technology"].source})
    return Scenario.model_validate({
        "name": model.name, "title": model.title,
        "sources": model.sources or ["lit_sprecher_2017"],
        "export_controls": controls, "outages": outages, "project_delays": delays,
        "market": model.market, "inventory": model.inventory, "stockpile": model.stockpile,
        "dpa": model.dpa, "ttr_materiality": model.ttr_materiality,
        "assumptions": ["Generated scenario: shocks are drawn per sample by the threat model."]})


def compile_threats(model: ThreatModel, net: Any, file: str = "<threats>") -> Any:
    """Compile ``model`` on network ``net`` into what
    :func:`~reeplan.sim.runner.run_simulation` takes (a :class:`~reeplan.sim.shocks.Compiled`
    whose sampler draws the shocks of each sample)."""
    from dataclasses import replace

    from reeplan.sim.shocks import compile_scenario
    from reeplan.sim.threat_draws import ThreatSampler

    sc = threat_scenario(model)
    comp = compile_scenario(sc, net, file)
    sampler = ThreatSampler.build(model, comp, net, scenario=sc,
                                  counted_scopes=[e.scope for e in load_history(model).counted()],
                                  rate_posterior=posterior(model))
    keep = {k: v for k, v in comp.params.items() if not k.startswith(
        ("export_controls[", "outages[", "project_delays["))}
    prov = dict(comp.provenance)
    prov["threat_history"] = [e.source for e in load_history(model).events]
    return replace(comp, params=keep, sampler=sampler,
                   first_shock=max(quarter_index(model.horizon.start), 0.0), provenance=prov)


def load_threat_scenario(path: str | Path | None, ds: Any, net: Any, samples: int = 1000,
                         seed: int = 0, **kwargs: Any) -> Any:
    """Simulate the threat model at ``path`` (``None``: the bundled default) on ``net``:
    ``run_simulation(net, compile_threats(model, net), samples, seed, **kwargs)``.

    ``ds`` (the dataset) is checked for the source ids the model cites (unknown ids that are
    not labelled assumptions are errors).
    """
    from reeplan.sim.runner import run_simulation

    model = load_threat_model(path)
    check_sources(model, ds)
    return run_simulation(net, compile_threats(model, net, str(path or "threats")), samples,
                          seed, **kwargs)


def check_sources(model: ThreatModel, ds: Any) -> None:
    """Every id the model and its history cite exists in the dataset's ``sources``,
    ``export_controls`` or ``parameters`` table.

    Raises
    ------
    ScenarioError
        Listing the unknown ids.
    """
    if ds is None:
        return
    known = {str(i) for t in ("sources", "export_controls", "parameters")
             for i in ds[t].index}
    cited = set(model.sources) | {e.source for e in load_history(model).events}
    bad = sorted(c for c in cited if c not in known)
    if bad:
        raise ScenarioError([Problem(model.name, None, "sources", f"unknown source id {b!r}")
                             for b in bad], "the threat model cites unknown sources")


def rate_draw(model: ThreatModel, rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` draws of the event rate (per year) from its posterior, times ``rate_multiplier``."""
    a, b = posterior(model)
    return rng.gamma(a, 1.0 / b, n) * model.rate_multiplier
