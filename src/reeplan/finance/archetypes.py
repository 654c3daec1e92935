"""Per-stage project archetypes: finance :class:`Project`\\ s for candidates without a preset.

Three kinds of candidate have no hand-written entry in ``presets/projects.yaml``:

* planned or under-construction facilities of the dataset (``facilities.csv``) that are not
  among the presets;
* hypothetical projects an analyst defines in YAML ("a 200 t/yr Dy/Tb metal plant"), read by
  :func:`load_hypotheticals` with the one strict YAML reader;
* hub bundles: one award funding complementary stages of one element group together.

Each is built from the archetype of its stage: capex per t/yr, build years, ramp-up, opex and
margins, each a labelled assumption in ``sources.csv`` (``asm_archetype_*``) derived from the
preset projects of the same stage where there are any:

=============  ==================  ===========  ============================================
stage          capex, $M per t/yr  build years  derived from
=============  ==================  ===========  ============================================
separation     0.10 (light/mixed)  3            Energy Fuels Phase 2 ($410M / 6,306 t),
               1.00 (heavy, Dy/Tb)              Aclara ($277M / 1,630 t); MP HREE ($200M /
                                                200 t Dy+Tb)
metal          0.05; 0.25 Dy/Tb    2            a third of the magnet-plant intensity (metal
                                                and alloy lines of an integrated plant);
                                                small heavy-RE lines at 5×
magnet         0.156               3            MP 10X ($1.25bn / 8,000 t/yr)
mining         0.20                8            (no preset mine; greenfield prior)
=============  ==================  ===========  ============================================
"""

from __future__ import annotations

from collections.abc import Set
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reeplan.errors import DataError, Problem
from reeplan.finance.project import Project
from reeplan.io.yaml import YamlDoc, validation_problems

__all__ = ["ARCHETYPES", "Hypothetical", "archetype_project", "load_hypotheticals"]

Group = Literal["NdPr", "DyTb", "Sm"]
StageName = Literal["mining", "separation", "metal", "magnet"]

ARCHETYPES: dict[str, dict[str, float]] = {
    # capex $M per t/yr, build years, opex $/kg, fixed opex $M per 1,000 t/yr, price premium
    # over the oxide benchmark (multiplier) and feed cost as a share of the product's value
    "mining": {"capex": 0.20, "build": 8.0, "opex": 8.0, "fixed": 4.0, "mult": 0.5,
               "feed": 0.0},
    "separation": {"capex": 0.10, "build": 3.0, "opex": 10.0, "fixed": 2.5, "mult": 1.0,
                   "feed": 0.6},
    "metal": {"capex": 0.05, "build": 2.0, "opex": 12.0, "fixed": 2.0, "mult": 1.25,
              "feed": 1.0},
    "magnet": {"capex": 0.156, "build": 3.0, "opex": 25.0, "fixed": 5.0, "mult": 0.46,
               "feed": 0.46},
}
"""Stage archetypes (source ids ``asm_archetype_<stage>``)."""
HEAVY_CAPEX = {"separation": 1.0, "metal": 0.25}
"""Capex $M per t/yr of heavy-RE (Dy/Tb) plants (asm_archetype_heavy)."""
BENCHMARK = {"NdPr": "NdPr", "DyTb": "Dy", "Sm": None}
SM_PRICE = 2.82  # USD/kg Sm oxide, USGS 2025 (as in the MP HREE preset note)
SM_PRODUCT = {"mining": 1.0, "separation": SM_PRICE, "metal": 30.0, "magnet": 100.0}
"""USD/kg of Sm products (no benchmark series): oxide at the USGS price; metal and SmCo magnet
prices are judgements (asm_archetype_metal, asm_archetype_magnet)."""


class Hypothetical(BaseModel):
    """A user-defined candidate: stage(s), element group, capacity, capex, start, country."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    stage: StageName | list[StageName]
    """One stage, or several for a hub bundle (capacity at each)."""
    group: Group
    """Element group of the output: NdPr, DyTb (Dy/Tb) or Sm."""
    capacity_t: float = Field(gt=0)
    """Capacity, t REO-eq/yr (at every stage of a bundle)."""
    capex_musd: float | None = Field(None, ge=0)
    """Capex, $M (default: the stage archetypes' capex per t/yr × capacity)."""
    earliest_start: float = Field(2027.0, ge=2025, le=2040)
    """Earliest decimal year construction can start once an award is made."""
    country: str = "USA"
    note: str | None = None


def _capex(stage: str, group: str, capacity: float) -> float:
    per = HEAVY_CAPEX.get(stage, ARCHETYPES[stage]["capex"]) if group == "DyTb" else \
        ARCHETYPES[stage]["capex"]
    return per * capacity


def archetype_project(pid: str, name: str, stages: list[str], group: str, capacity_t: float,
                      *, capex_musd: float | None = None, start: float = 2027.0,
                      country: str = "USA", status: str = "planned",
                      facility_id: str | None = None, note: str | None = None) -> Project:
    """A finance project from the archetypes of ``stages`` (the last one sells the output).

    Capex is summed over the stages (or ``capex_musd``); the build takes the longest stage's
    build years; the product is priced off the group's oxide benchmark with the last stage's
    premium, less feed bought at the first stage's feed share.
    """
    last, first = ARCHETYPES[stages[-1]], ARCHETYPES[stages[0]]
    capex = capex_musd if capex_musd is not None else sum(
        _capex(s, group, capacity_t) for s in stages)
    bench = BENCHMARK[group]
    src = {"source_id": f"asm_archetype_{stages[-1]}", "grade": "D"}
    price: dict[str, Any] = ({"benchmark": bench, "multiplier": last["mult"]} if bench else
                             {"adder_usd_per_kg": SM_PRODUCT[stages[-1]]})
    if stages[-1] == "magnet" and bench:
        price["adder_usd_per_kg"] = 60.0
    product = {"name": "output", "capacity_t": capacity_t, "price": price,
               "opex_usd_per_kg": sum(ARCHETYPES[s]["opex"] for s in stages)}
    inputs = []
    if first["feed"] > 0:
        inputs.append({"name": "feed", "product": "output", "t_per_t": first["feed"],
                       "price": {"benchmark": bench} if bench else
                       {"adder_usd_per_kg": SM_PRICE}})
    data = {
        "id": pid, "name": name, "sponsor": "archetype", "stage": stages[-1],
        "maturity": "first_of_a_kind", "country": country, "status": status,
        "shortfall": "heavy_re_separation" if group == "DyTb" else "ndfeb_magnets",
        "facility_id": facility_id, **src, "note": note,
        "decision_year": start, "build_years": max(ARCHETYPES[s]["build"] for s in stages),
        "capex_musd": capex,
        "capex_schedule": {"value": [0.3, 0.4, 0.3], "source_id": "fin_asm_capex_schedule",
                           "grade": "D"},
        "ramp_up": {"value": [0.17, 0.5, 0.83], "source_id": "asm_rampup", "grade": "D"},
        "life_years": {"value": 20, "source_id": "fin_asm_project_life", "grade": "D"},
        "products": [product], "inputs": inputs,
        "opex_fixed_musd": sum(ARCHETYPES[s]["fixed"] for s in stages) * capacity_t / 1000,
        "tax_rate": {"value": 0.21, "source_id": "fin_irc_11b", "grade": "A"},
        "discount_rate": {"value": 0.10, "source_id": "fin_asm_discount_rate", "grade": "D"},
        "depreciation_years": {"value": 7, "source_id": "fin_asm_depreciation", "grade": "D"},
        "financing": {"committed_musd": 0.0,
                      "fid_delay_years": {"value": 2.0, "source_id": "fin_asm_fid_delay",
                                          "grade": "D"},
                      "cost_of_debt": {"value": 0.0834, "source_id": "fin_asm_cost_of_debt",
                                       "grade": "D"}},
    }
    return Project.model_validate(data)


def load_hypotheticals(path: Path | str, *, source_ids: Set[str] | None = None
                       ) -> dict[str, tuple[Hypothetical, Project]]:
    """Read hypothetical projects from YAML: ``projects: {id: {name, stage, group, capacity_t,
    capex_musd?, earliest_start?, country?, note?}}``.

    Raises
    ------
    DataError
        Every problem of the file, naming the file, the field and the line.
    """
    del source_ids  # archetype assumptions are bundled source ids
    path = Path(path)
    doc = YamlDoc(path, path.name)
    out: dict[str, tuple[Hypothetical, Project]] = {}
    data = doc.mapping("a mapping 'projects:' of project id -> fields")
    if data is not None:
        unknown = sorted(set(data) - {"projects"})
        for key in unknown:
            doc.problems.append(Problem(doc.name, None, key, "unknown key (expected 'projects')"))
        items = data.get("projects")
        if not isinstance(items, dict) or not items:
            doc.problems.append(Problem(doc.name, None, "projects",
                                        "expected a mapping of project id -> fields"))
            items = {}
        for pid, raw in items.items():
            try:
                hyp = Hypothetical.model_validate(raw)
            except ValidationError as exc:
                doc.problems += validation_problems(doc, exc, ("projects", pid))
                continue
            stages = [hyp.stage] if isinstance(hyp.stage, str) else list(hyp.stage)
            order = ["mining", "separation", "metal", "magnet"]
            stages = sorted(set(stages), key=order.index)
            out[str(pid)] = (hyp, archetype_project(
                str(pid), hyp.name, stages, hyp.group, hyp.capacity_t,
                capex_musd=hyp.capex_musd, start=hyp.earliest_start, country=hyp.country,
                note=hyp.note))
    if doc.problems:
        raise DataError(doc.problems, f"invalid hypothetical projects file {path}")
    return out
