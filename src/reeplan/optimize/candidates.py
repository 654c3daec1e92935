"""Candidates beyond the finance presets: facilities, hub bundles, hypotheticals, NDS lots.

* :func:`facility_candidates`: every planned or under-construction facility of the dataset at a
  magnet-chain stage, in the US or Canada (a "domestic source" under 50 U.S.C. 4552), with
  capacity, and not already a preset project; its finance project comes from the stage
  archetype (:func:`reeplan.finance.archetypes.archetype_project`) at the facility's capacity
  (the last phase in ``facility_phases``, else its nameplate) and published capex if any.
* :func:`hub_candidates`: the bundled hub bundles (``finance/presets/hubs.yaml``) and the
  user's hypothetical projects (``--project FILE.yaml``), each with its capacity by element
  group and stage.
* :func:`stockpile_lots`: NDS purchases per element group in lots (asm_nds_lots).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeplan.finance.archetypes import archetype_project, load_hypotheticals
from reeplan.finance.loader import presets_dir
from reeplan.finance.project import Project
from reeplan.io.dataset import Dataset

__all__ = ["LOTS", "Candidate", "candidates", "facility_candidates", "hub_candidates",
           "stockpile_lots"]

LOTS = {"NdPr": 50.0, "DyTb": 5.0, "Sm": 5.0}
"""NDS lot sizes, t REO-eq (asm_nds_lots)."""
DOMESTIC = ("USA", "CAN")
HEAVY = ("dy_tb_oxide",)


@dataclass(frozen=True)
class Candidate:
    """A candidate project built from archetypes: its finance project, where it comes from
    (``facility``, ``hub``, ``hypothetical``) and, without a facility row, its capacity."""

    project: Project
    kind: str
    capacity: dict[tuple[str, str], float] | None = None


def facility_candidates(ds: Dataset, preset_facilities: set[str]) -> list[Candidate]:
    """Planned or under-construction US/Canadian facilities that are not preset projects."""
    fac = ds["facilities"]
    phases = ds["facility_phases"] if "facility_phases" in ds.tables else None
    out = []
    for fid, row in fac.iterrows():
        if row["status"] not in ("planned", "construction") or fid in preset_facilities:
            continue
        if row["country"] not in DOMESTIC:
            continue
        capacity = float(row["capacity"])
        if phases is not None and len(ph := phases[phases["facility_id"] == fid]):
            capacity = float(ph.sort_values("year")["capacity"].iloc[-1])
        if not capacity > 0:
            continue
        group = "DyTb" if row.get("composition") in HEAVY else "NdPr"
        start = row["start_year"]
        start = float(start) - 3.0 if start == start and start is not None else 2027.0
        capex = row.get("capex_musd")
        capex = float(capex) if capex == capex and capex is not None else None
        pid = str(fid).replace("_", "-")
        out.append(Candidate(archetype_project(
            pid, str(row["name"]), [str(row["stage"])], group, capacity, capex_musd=capex,
            start=max(start, 2026.0), country=str(row["country"]),
            status=str(row["status"]), facility_id=str(fid),
            note="finance from the stage archetype (asm_archetype_*)"), "facility"))
    return out


def hub_candidates(paths: Sequence[Path | str] = (), hubs: bool = True) -> list[Candidate]:
    """The bundled hub bundles (``hubs``) and the hypothetical projects of ``paths``."""
    files = ([presets_dir() / "hubs.yaml"] if hubs else []) + [Path(p) for p in paths]
    out = []
    for i, path in enumerate(files):
        kind = "hub" if hubs and i == 0 else "hypothetical"
        for hyp, project in load_hypotheticals(path).values():
            stages = [hyp.stage] if isinstance(hyp.stage, str) else list(hyp.stage)
            out.append(Candidate(project, kind,
                                 {(hyp.group, s): hyp.capacity_t for s in stages}))
    return out


def candidates(ds: Dataset, preset_facilities: set[str], project_files: Sequence[Path | str]
               = (), *, facilities: bool = True, hubs: bool = True) -> list[Candidate]:
    """Every archetype-built candidate: facilities, hub bundles and the user's projects."""
    out = facility_candidates(ds, preset_facilities) if facilities else []
    return out + hub_candidates(project_files, hubs)


def stockpile_lots(groups: list[str], stock_max: np.ndarray, defense_first_year: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(lot size, largest purchase) per group: lots of :data:`LOTS`, up to the larger of the
    plan quantity and two years of defense demand, in whole lots."""
    lot = np.array([LOTS.get(g, 0.0) for g in groups])
    ceiling = np.maximum(stock_max, 2.0 * np.asarray(defense_first_year, float))
    return lot, np.where(lot > 0, np.floor(ceiling / np.where(lot > 0, lot, 1.0)) * lot,
                         ceiling)
