"""What the finance module takes from the loaded dataset (with overlays)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reeplan.finance.instruments import Package
from reeplan.finance.loader import load_package, load_projects, resolve_project
from reeplan.finance.project import Project
from reeplan.finance.risk import RiskParameters, risk_parameters
from reeplan.io.dataset import Dataset

__all__ = ["FinanceInputs", "finance_inputs"]


@dataclass(frozen=True)
class FinanceInputs:
    """What the finance module takes from the dataset."""

    risk: RiskParameters
    source_ids: frozenset[str]

    def project(self, ref: str) -> Project:
        """A project by preset id, ``file.yaml`` or ``file.yaml:id``."""
        return resolve_project(ref, source_ids=self.source_ids)

    def package(self, ref: str | Path) -> Package:
        """A package by preset id or YAML path."""
        return load_package(ref, source_ids=self.source_ids)

    def projects(self) -> dict[str, Project]:
        """The preset candidate projects."""
        return load_projects(source_ids=self.source_ids)


def finance_inputs(ds: Dataset) -> FinanceInputs:
    """Risk parameters and citable source ids of ``ds``."""
    return FinanceInputs(risk_parameters(ds), frozenset(map(str, ds["sources"].index)))



