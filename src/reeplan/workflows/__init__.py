"""Workflows: typed options in, typed results out. One function per thing a user does.

``exposure`` (US exposure for a year), ``simulate`` (disruption scenarios), ``appraise`` and
``award_costs`` (DPA award packages), ``portfolio`` (the recommended awards) and
``run_analysis`` (all of them, for the brief). The CLI, the brief and the API call these, so they
agree for the same inputs and seed.
"""

from reeplan.workflows.appraise import Appraisal, AwardCosts, appraise, award_costs
from reeplan.workflows.exposure import ExposureResult, exposure
from reeplan.workflows.portfolio import PortfolioOutcome, portfolio
from reeplan.workflows.run import Analysis, RunOptions, run_analysis
from reeplan.workflows.simulate import load_scenarios, simulate

__all__ = [
    "Analysis",
    "Appraisal",
    "AwardCosts",
    "ExposureResult",
    "PortfolioOutcome",
    "RunOptions",
    "appraise",
    "award_costs",
    "exposure",
    "load_scenarios",
    "portfolio",
    "run_analysis",
    "simulate",
]
