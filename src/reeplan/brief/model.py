"""Result containers of a run: sections of tables, figures and headline numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Headline", "RunResult", "Section"]


@dataclass(frozen=True)
class Headline:
    """One headline number of the brief, with its unit and where it comes from."""

    key: str
    value: float
    unit: str
    label: str
    source: str = ""
    primary: bool = True
    """Shown as a card in the executive summary (all headlines go to the JSON and workbook)."""


@dataclass
class Section:
    """One section of the brief: tables, figures, headline numbers and prose."""

    name: str
    title: str
    summary: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    headlines: list[Headline] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    """Everything a run produced, in section order, with its provenance."""

    sections: list[Section]
    provenance: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)

    def section(self, name: str) -> Section:
        """The section called ``name``."""
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(name)

    def headlines(self) -> list[Headline]:
        """All headline numbers, in section order."""
        return [h for s in self.sections for h in s.headlines]

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables keyed ``section.table``."""
        return {f"{s.name}.{k}": v for s in self.sections for k, v in s.tables.items()}

    def _repr_html_(self) -> str:
        """In a notebook: the headline numbers, then the sections and their tables
        (``reeplan.brief.findings.findings(result)`` gives the written findings)."""
        import html

        from reeplan.brief.formats import format_cell

        items = "".join(f"<li>{html.escape(h.label)}: <b>{format_cell(h.value, 'number')}</b> "
                        f"{html.escape(h.unit)}</li>" for h in self.headlines() if h.primary)
        secs = "".join(f"<li>{html.escape(s.title)}: {', '.join(s.tables)}</li>"
                       for s in self.sections)
        return (f"<p><b>reeplan run</b></p><ol>{items}</ol><p>Sections and tables:</p>"
                f"<ul>{secs}</ul>")
