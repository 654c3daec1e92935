"""DPA instruments and project finance: what an award costs the government and what it does to
a project's viability and timing.

Modules: :mod:`~reeplan.finance.project` (project inputs), :mod:`~reeplan.finance.cashflows`
(cash flows, NPV, IRR, payback, break-even), :mod:`~reeplan.finance.risk` (overrun, delay,
completion), :mod:`~reeplan.finance.prices` (calibrated price paths),
:mod:`~reeplan.finance.instruments` (grants, credit, floors, offtakes, equity, equipment,
stockpile purchases and packages), :mod:`~reeplan.finance.scoring` (FCRA, fair value, floors,
Black–Scholes), :mod:`~reeplan.finance.valuation`, :mod:`~reeplan.finance.evaluation`,
:mod:`~reeplan.finance.bookkeeping` (statutory thresholds), :mod:`~reeplan.finance.loader`
(strict YAML) and :mod:`~reeplan.finance.report` (tables for ``reeplan run``).
"""

from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import Package
from reeplan.finance.loader import list_package_presets, load_package, load_projects
from reeplan.finance.project import Project
from reeplan.finance.report import award_cost_section, compare_packages

__all__ = [
    "Evaluation",
    "Package",
    "Project",
    "Settings",
    "award_cost_section",
    "compare_packages",
    "evaluate",
    "list_package_presets",
    "load_package",
    "load_projects",
]
