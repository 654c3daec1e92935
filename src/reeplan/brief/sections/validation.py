"""Brief section: the model's own aggregates beside published figures, with verdicts."""

from __future__ import annotations

import pandas as pd

from reeplan.brief.formats import format_cell
from reeplan.brief.model import Headline, Section

__all__ = ["validation_section"]


def validation_section(table: pd.DataFrame) -> Section:
    """Validation against USGS, IEA and company reports; a breach is a warning in the brief."""
    bad = table[table["verdict"] != "ok"]
    sec = Section(
        "validation", "Validation: the model beside published figures",
        summary=(f"{len(table) - len(bad)} of {len(table)} published aggregates (world and China "
                 "mine output, China's share of separation and magnets, US production and net "
                 "import reliance, MP and Lynas output, US magnet imports) are reproduced within "
                 "their tolerance."),
        tables={"validation": table})
    num = lambda v: format_cell(v, "number")  # noqa: E731
    sec.notes += [f"WARNING: {r['id']} ({r['metric']}, {r['year']}): model {num(r['model'])} "
                  f"outside [{num(r['low'])}, {num(r['high'])}] {r['unit']} ({r['source_id']})"
                  for _, r in bad.iterrows()]
    sec.headlines.append(Headline(
        "validation_within_tolerance", float(len(table) - len(bad)), "benchmarks",
        f"Published benchmarks reproduced (of {len(table)})", "reeplan validate", primary=False))
    return sec
