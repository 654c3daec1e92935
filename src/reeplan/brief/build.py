"""Turn an :class:`~reeplan.workflows.run.Analysis` into the brief's sections."""

from __future__ import annotations

from reeplan.brief.model import RunResult, Section
from reeplan.brief.sections.consequences import consequences_section
from reeplan.brief.sections.exposure import exposure_section, sources_section, summary_section
from reeplan.brief.sections.finance import finance_section
from reeplan.brief.sections.portfolio import portfolio_section
from reeplan.brief.sections.simulation import simulation_section
from reeplan.brief.sections.validation import validation_section
from reeplan.settings import Settings
from reeplan.workflows.run import Analysis

__all__ = ["build_brief"]


def build_brief(an: Analysis, settings: Settings | None = None) -> RunResult:
    """The brief's sections in reading order, with the run's provenance and timings."""
    opts = an.options
    featured = (settings or Settings()).featured_scenarios
    sections: list[Section] = [summary_section(an.summary, opts.year),
                               exposure_section(an.exposure)]
    if "simulate" not in opts.skip and an.network is not None:
        sections.append(simulation_section(an.simulations, an.network, an.scenario_assumptions,
                                           opts.samples, opts.seed, featured))
    if an.award_costs is not None:
        sections.append(finance_section(an.award_costs))
    if an.portfolio is not None:
        sections.append(portfolio_section(an.portfolio))
    if an.consequences is not None:
        c = an.consequences
        sections.append(consequences_section(c.result.by_element, c.result.by_sector,
                                             c.result.platforms, c.ranking, c.sensitivity,
                                             scenario=c.result.scenario))
    sections.append(validation_section(an.validation))
    sections.append(sources_section(an.dataset))
    return RunResult(sections, an.provenance, an.timings)
