"""DPA award portfolio optimisation: which projects, which instruments, for the most
independence per dollar (linopy MILP solved with HiGHS)."""

from reeplan.optimize.inputs import PortfolioInputs, PortfolioSpec, check_portfolio_inputs
from reeplan.optimize.model import ExtensiveSolution, create_model, solve_portfolio

__all__ = [
    "ExtensiveSolution",
    "PortfolioInputs",
    "PortfolioSpec",
    "check_portfolio_inputs",
    "create_model",
    "solve_portfolio",
]
