"""Project risk: capex overrun, build delay, technical completion and default probability.

Defaults by plant/mine and maturity synthesise ``dpa.md`` §6.2–6.3 (observed rare-earth plant
timelines and overruns) and are labelled assumptions in ``sources.csv``:

* capex overrun multiplier — first-of-a-kind and greenfield projects: triangular(low, value,
  high) of the dataset parameter ``capex_overrun_multiplier`` (1.3, 1.6, 2.2: Lynas Kalgoorlie
  1.60×, Lynas Seadrift heavy-RE 2.15×, Iluka Eneabba 1.59×, Arafura Nolans 1.51×; the
  ``dpa.md`` §0 range "+60 % to +115 %" are the two Lynas cases); smaller for proven and
  brownfield projects (assumption);
* build delay (years added to the announced build time) — separation plants took ≈4.5 years
  against ≈3 announced (Kalgoorlie, MP heavy-RE), magnet plants 2–4 years; US mines take ≈29 years
  from discovery (S&P Global 2024);
* technical completion — the dataset parameters ``completion_prob_<status>`` (operating 1,
  construction 0.8, planned with committed finance 0.6, cancelled 0; reference class of §6.2–6.3).
  A planned project is taken at the "with committed finance" value because financing risk is
  modelled separately, as the probability that the project's NPV is non-negative;
* annual default probability and recovery for federal credit (``methods.md`` §6: recovery 20–60 %).

Draws are vectorised over a ``sample`` dimension from an explicit :class:`numpy.random.Generator`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reeplan.errors import DataError, Problem
from reeplan.finance.project import Maturity, Project, Triangular
from reeplan.io.dataset import Dataset

__all__ = [
    "ABANDON_FRACTION",
    "DEFAULT_RECOVERY",
    "RiskDraws",
    "RiskParameters",
    "RiskProfile",
    "draw_risk",
    "risk_parameters",
    "risk_profile",
]

ABANDON_FRACTION = 0.5
"""Share of the build schedule spent before a project that fails technically is abandoned
(assumption ``fin_asm_abandon_fraction``)."""
DEFAULT_RECOVERY = 0.4
"""Recovery on defaulted federal credit, mid-point of the 20–60 % range (``fin_asm_recovery``)."""


@dataclass(frozen=True)
class RiskProfile:
    """Risk inputs of one project, with the source id of each."""

    p_technical: float
    overrun: Triangular
    delay_years: Triangular
    annual_pd: float
    recovery: float
    source_ids: dict[str, str]


_OVERRUN_KNOWN = {
    "proven": Triangular(low=0.95, mode=1.1, high=1.6),
    "brownfield": Triangular(low=1.0, mode=1.3, high=1.9),
}
_STATUS_PARAMETER = {
    "operating": "completion_prob_operating",
    "construction": "completion_prob_construction",
    "planned": "completion_prob_planned_financed",
    "idle": "completion_prob_planned_financed",
    "cancelled": "completion_prob_cancelled",
}
_DELAY_PLANT = {
    "proven": Triangular(low=0.0, mode=0.5, high=1.5),
    "brownfield": Triangular(low=0.0, mode=0.75, high=2.0),
    "first_of_a_kind": Triangular(low=0.0, mode=1.5, high=3.0),
    "greenfield": Triangular(low=0.0, mode=1.5, high=3.0),
}
_DELAY_MINE = {
    "proven": Triangular(low=0.0, mode=0.5, high=2.0),
    "brownfield": Triangular(low=0.0, mode=1.0, high=3.0),
    "first_of_a_kind": Triangular(low=0.5, mode=2.0, high=6.0),
    "greenfield": Triangular(low=1.0, mode=4.0, high=10.0),
}
_ANNUAL_PD = {"proven": 0.02, "brownfield": 0.03, "first_of_a_kind": 0.05, "greenfield": 0.07}

_SOURCES = {
    "p_technical": "asm_completion_prob",
    "overrun": "fin_asm_capex_overrun",
    "delay_years": "fin_asm_build_delay",
    "annual_pd": "fin_asm_default_probability",
    "recovery": "fin_asm_recovery",
}


RiskParameters = Mapping[str, tuple[float, float | None, float | None, str]]
"""Dataset parameters the risk model reads: id -> (value, low, high, source_id)."""


def risk_parameters(ds: Dataset) -> RiskParameters:
    """The rows of the dataset's ``parameters`` table (after overlays) as risk-model inputs.

    Parameters
    ----------
    ds
        The loaded, validated dataset (bundled or the user's, with overlays).

    Returns
    -------
    RiskParameters
        Parameter id -> (value, low, high, source_id); low/high are ``None`` where blank.
    """
    table = ds["parameters"]

    def num(v: object) -> float | None:
        return None if v is None or v != v else float(v)  # type: ignore[arg-type]

    return {str(i): (float(r["value"]), num(r.get("low")), num(r.get("high")),
                     str(r.get("source_id") or ""))
            for i, r in table.iterrows()}


def _parameter(params: RiskParameters, name: str
               ) -> tuple[float, float | None, float | None, str]:
    if name not in params:
        msg = f"parameter {name!r} needed by the finance risk model is missing"
        raise DataError([Problem("parameters.csv", None, "id", msg)], "incomplete dataset")
    return params[name]


def _overrun(params: RiskParameters, maturity: Maturity) -> tuple[Triangular, str]:
    if maturity in _OVERRUN_KNOWN:
        return _OVERRUN_KNOWN[maturity], _SOURCES["overrun"]
    value, low, high, source = _parameter(params, "capex_overrun_multiplier")
    return Triangular(low=low or value, mode=value, high=high or value), source


def risk_profile(project: Project, params: RiskParameters) -> RiskProfile:
    """Risk inputs of ``project``: its own overrides, else the defaults for its stage/maturity.

    Parameters
    ----------
    project
        The project.
    params
        The dataset's parameters (:func:`risk_parameters`).

    Returns
    -------
    RiskProfile
        With the source id used for each input.

    Raises
    ------
    DataError
        When a dataset parameter the defaults need is missing.
    """
    m: Maturity = project.maturity
    p_tech, _, _, p_source = _parameter(params, _STATUS_PARAMETER[project.status])
    overrun, o_source = _overrun(params, m)
    p = {"p_technical": p_tech, "overrun": overrun,
         "delay_years": (_DELAY_PLANT if project.plant else _DELAY_MINE)[m],
         "annual_pd": _ANNUAL_PD[m], "recovery": DEFAULT_RECOVERY}
    sources = dict(_SOURCES) | {"p_technical": p_source or _SOURCES["p_technical"],
                                "overrun": o_source}
    o = project.risk
    if o is not None:
        own = o.source_id or project.source_id or ""
        for name in p:
            item = getattr(o, name)
            if item is None:
                continue
            if isinstance(item, Triangular):
                p[name] = item
                sources[name] = own
            else:
                p[name] = item.value
                sources[name] = item.source_id or own
    return RiskProfile(source_ids=sources, **p)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RiskDraws:
    """Per-sample draws of the project risks (arrays over ``sample``)."""

    overrun: np.ndarray
    """Capex multiplier."""
    delay: np.ndarray
    """Years added to the build."""
    completed: np.ndarray
    """Whether the project reaches production (bool)."""


def draw_risk(profile: RiskProfile, n_samples: int, rng: np.random.Generator) -> RiskDraws:
    """Draw overrun, delay and technical completion for ``n_samples`` samples.

    Draw order is fixed (overrun, delay, completion) so equal seeds give equal draws.

    Parameters
    ----------
    profile
        The project's risk inputs.
    n_samples
        Number of samples.
    rng
        Seeded generator.

    Returns
    -------
    RiskDraws
        ``overrun ~ Tri(o)``, ``delay ~ Tri(d)``, ``completed ~ Bernoulli(p_technical)``.
    """
    o, d = profile.overrun, profile.delay_years
    overrun = _triangular(rng, o, n_samples)
    delay = _triangular(rng, d, n_samples)
    completed = rng.random(n_samples) < profile.p_technical
    return RiskDraws(overrun=overrun, delay=delay, completed=completed)


def _triangular(rng: np.random.Generator, t: Triangular, n: int) -> np.ndarray:
    if t.high == t.low:
        rng.random(n)  # keep the stream aligned whatever the distribution
        return np.full(n, t.low)
    return rng.triangular(t.low, t.mode, t.high, n)
