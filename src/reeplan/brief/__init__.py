"""The decision brief: sections, headlines and figures built from a run, written as HTML, Excel
and JSON. This is the only code that builds sections, headlines and figures.
"""

from reeplan.brief.build import build_brief
from reeplan.brief.model import Headline, RunResult, Section
from reeplan.brief.render import write_brief

__all__ = ["Headline", "RunResult", "Section", "build_brief", "write_brief"]
