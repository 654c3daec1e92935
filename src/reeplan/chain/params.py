"""Model parameters read from the dataset's ``parameters`` table, by id.

The chain never falls back to a number that is not in the dataset: a missing parameter is a
:class:`~reeplan.errors.DataError` naming the table and id, so every figure stays traceable.
"""

from __future__ import annotations

from dataclasses import dataclass

from reeplan.errors import DataError, Problem
from reeplan.io.dataset import Dataset

__all__ = ["PARAMETER_IDS", "ChainParams", "read_chain_params"]

PARAMETER_IDS: dict[str, str] = {
    "yield_separation": "separation_recovery",
    "yield_metal": "oxide_to_metal_process_yield",
    "yield_magnet": "metal_to_magnet_yield",
    "re_fraction_ndfeb": "ndfeb_re_mass_fraction",
    "re_fraction_smco": "smco_sm_mass_fraction",
    "completion_construction": "completion_prob_construction",
    "completion_planned_financed": "completion_prob_planned_financed",
    "completion_planned": "completion_prob_planned_unfinanced",
    "ramp_up_years": "rampup_years_to_nameplate",
}
"""Chain parameter -> id of its row in ``parameters.csv``."""


@dataclass(frozen=True)
class ChainParams:
    """Stage yields, magnet RE content, completion probabilities and ramp-up."""

    yield_separation: float
    yield_metal: float
    yield_magnet: float
    re_fraction_ndfeb: float
    re_fraction_smco: float
    completion_construction: float
    completion_planned_financed: float
    completion_planned: float
    ramp_up_years: float

    def stage_yield(self, stage: str) -> float:
        """Output per unit of input (REO-equivalent) of a processing stage."""
        return {"separation": self.yield_separation, "metal": self.yield_metal,
                "magnet": self.yield_magnet}[stage]


def read_chain_params(ds: Dataset, overrides: dict[str, float] | None = None) -> ChainParams:
    """Read the chain parameters from the dataset, applying user overrides by field name.

    Raises
    ------
    DataError
        If a parameter id is missing from ``parameters.csv`` or an override names no field.
    """
    table = ds["parameters"]
    overrides = dict(overrides or {})
    problems = [
        Problem("<options>", None, k, "unknown chain parameter") for k in overrides
        if k not in PARAMETER_IDS
    ]
    values: dict[str, float] = {}
    for field, pid in PARAMETER_IDS.items():
        if field in overrides:
            values[field] = float(overrides[field])
        elif pid in table.index:
            values[field] = float(table.loc[pid, "value"])
        else:
            problems.append(Problem("parameters.csv", None, "id",
                                    f"parameter {pid!r} is required by the supply-chain model"))
    if problems:
        raise DataError(problems, "cannot build the supply chain")
    return ChainParams(**values)
