"""DPA instruments and project finance: what an award costs the government and what it does to
a project's viability and timing.

Modules: :mod:`~reeplan.finance.project` (project inputs), :mod:`~reeplan.finance.cashflows`
(cash flows, NPV, IRR, payback, break-even), :mod:`~reeplan.finance.risk` (overrun, delay,
completion), :mod:`~reeplan.finance.prices` (calibrated price paths),
:mod:`~reeplan.finance.instruments` (grants, credit, floors, offtakes, equity, equipment,
stockpile purchases and packages), :mod:`~reeplan.finance.scoring` (FCRA, fair value, floors,
Black–Scholes), :mod:`~reeplan.finance.valuation`, :mod:`~reeplan.finance.evaluation`,
:mod:`~reeplan.finance.bookkeeping` (statutory thresholds), :mod:`~reeplan.finance.loader`
(strict YAML) and :mod:`~reeplan.finance.tables` (tidy tables).
"""

from reeplan.finance.evaluation import Evaluation, Settings, evaluate
from reeplan.finance.instruments import Package
from reeplan.finance.loader import list_package_presets, load_package, load_projects
from reeplan.finance.project import Project
from reeplan.finance.risk import RiskParameters, risk_parameters
from reeplan.finance.tables import compare_packages, summary_row

__all__ = [
    "Evaluation",
    "Package",
    "Project",
    "RiskParameters",
    "Settings",
    "compare_packages",
    "evaluate",
    "list_package_presets",
    "load_package",
    "load_projects",
    "risk_parameters",
    "summary_row",
]
