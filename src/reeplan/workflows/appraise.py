"""Appraise DPA award packages: cost to the government and effect on a project.

Everything the appraisal reads comes from the loaded dataset (with overlays): the risk model's
parameters from ``parameters``, the source ids that package and project files may cite from
``sources``. Nothing reads the bundled files behind the user's back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reeplan.errors import DataError, Problem, ReeError
from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.inputs import finance_inputs
from reeplan.finance.instruments import Package
from reeplan.finance.loader import list_package_presets
from reeplan.finance.project import Project
from reeplan.finance.tables import compare_packages, summary_row
from reeplan.io.dataset import Dataset

__all__ = [
    "Appraisal",
    "AwardCosts",
    "appraise",
    "award_costs",
]


def settings(samples: int, seed: int, price_model: str = "log_ou_jump") -> Settings:
    """The finance module's Monte Carlo settings (samples per package, one seed)."""
    if price_model not in ("log_ou_jump", "gbm"):
        msg = f"price model must be log_ou_jump or gbm, not {price_model!r}"
        raise ReeError(msg)
    return Settings(samples=samples, seed=seed, price_model=price_model)


@dataclass
class Appraisal:
    """Packages appraised for one project (the first row: the project without a package)."""

    project: Project
    table: pd.DataFrame
    evaluations: list[Evaluation]
    packages: list[Package] = field(default_factory=list)

    def _repr_html_(self) -> str:
        return f"<p>Appraisal of {self.project.id}</p>" + self.table.to_html(index=False)


def appraise(ds: Dataset, project: str, packages: Sequence[str | Path], samples: int, seed: int,
             price_model: str = "log_ou_jump", *, force: bool = False) -> Appraisal:
    """Evaluate packages for a project with common random numbers.

    Parameters
    ----------
    ds
        The dataset (its parameters and sources are used).
    project
        Preset id, ``file.yaml`` or ``file.yaml:id``.
    packages
        Preset ids or YAML paths; may be empty (the project alone).
    samples, seed, price_model
        Monte Carlo settings (samples per package).
    force
        Appraise a package written for another project anyway.

    Raises
    ------
    DataError
        Unknown or invalid files, or a package written for another project (unless ``force``).
    """
    fin = finance_inputs(ds)
    proj = fin.project(project)
    pkgs = [fin.package(p) for p in packages]
    wrong = [p for p in pkgs if p.project != proj.id]
    if wrong and not force:
        raise DataError([Problem(p.id, None, "project",
                                 f"package {p.id!r} is written for project {p.project!r}, not "
                                 f"{proj.id!r} (use --force to appraise it anyway)")
                         for p in wrong], "package does not match the project")
    st = settings(samples, seed, price_model)
    table, evals = compare_packages(proj, pkgs, st, fin.risk)
    return Appraisal(proj, table, evals, pkgs)


@dataclass
class AwardCosts:
    """Expected cost and tail exposure of every preset package, for the brief."""

    table: pd.DataFrame
    price_model: pd.DataFrame
    samples: int
    seed: int
    warnings: dict[str, list[str]]


def award_costs(ds: Dataset, samples: int, seed: int,
                packages: Sequence[str] | None = None) -> AwardCosts:
    """Evaluate every preset package (or ``packages``) for the project it names."""
    fin = finance_inputs(ds)
    st = settings(samples, seed)
    rows, warnings = [], {}
    model = None
    for pid in packages or list_package_presets():
        pkg = fin.package(pid)
        ev = evaluate(fin.project(pkg.project), pkg, st, risk=fin.risk)
        model = ev.price_model
        rows.append(summary_row(ev))
        warnings[pkg.id] = [w.message for w in ev.bookkeeping.warnings] if ev.bookkeeping else []
    return AwardCosts(pd.DataFrame(rows), model.table() if model is not None else pd.DataFrame(),
                      samples, seed, warnings)
