"""Model parameters read from the dataset's ``parameters`` table, by id.

The chain never falls back to a number that is not in the dataset: a missing parameter is a
:class:`~reeplan.errors.DataError` naming the table and id, so every figure stays traceable.
"""

from __future__ import annotations

from dataclasses import dataclass

from reeplan.errors import DataError, Problem
from reeplan.io.dataset import Dataset
from reeplan.schema.parameters import PARAMETER_IDS

__all__ = ["PARAMETER_IDS", "ChainParams", "read_chain_params"]

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
