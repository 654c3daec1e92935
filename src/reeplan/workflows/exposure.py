"""US exposure for one year: the one path used by ``reeplan exposure``, the brief and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from reeplan.chain import ChainOptions, SupplyChain, build_chain
from reeplan.errors import ReeError
from reeplan.indicators.chain_criticality import chain_criticality
from reeplan.indicators.exposure import calc_chokepoints, exposure_table
from reeplan.indicators.views import resolve_elements
from reeplan.io.dataset import Dataset

__all__ = ["EXPOSURE_YEARS", "ExposureResult", "check_elements", "check_year", "exposure"]

EXPOSURE_YEARS = (2022, 2040)
"""Years with observed or modelled chain data (mine production from 2022)."""


@dataclass
class ExposureResult:
    """Exposure tables of one year and element selection."""

    year: int
    elements: list[str]
    adversaries: tuple[str, ...]
    chain: SupplyChain
    table: pd.DataFrame
    """Per element × stage: world output, adversary share, HHI, US NIR, independence."""
    criticality: pd.DataFrame
    chokepoints: pd.DataFrame | None = None

    def _repr_html_(self) -> str:
        return (f"<p>US exposure {self.year} ({', '.join(self.elements)})</p>"
                + self.table.to_html(index=False))


def check_year(year: int) -> None:
    """Raise ReeError unless the chain has data for ``year``."""
    lo, hi = EXPOSURE_YEARS
    if not lo <= year <= hi:
        msg = f"year must be between {lo} and {hi} (years with chain data), not {year}"
        raise ReeError(msg)


def check_elements(chain: SupplyChain, element: str | Sequence[str]) -> list[str]:
    """The elements of an element, a group (NdPr, DyTb, LREE, HREE), ``all`` or a list.

    Raises
    ------
    ReeError
        An unknown element or group.
    """
    try:
        elements = (resolve_elements(chain, element) if isinstance(element, str)
                    else list(element))
    except ValueError as exc:
        raise ReeError(str(exc)) from None
    unknown = [e for e in elements if e not in chain.elements]
    if unknown:
        msg = f"unknown element: {', '.join(unknown)}"
        raise ReeError(msg)
    return elements


def exposure(ds: Dataset, year: int, element: str | Sequence[str] = "all",
             adversaries: Sequence[str] = ("CHN",), *, chokepoints: bool = False,
             chain: SupplyChain | None = None) -> ExposureResult:
    """Shares, concentration, import reliance, independence and criticality for ``year``.

    Parameters
    ----------
    ds
        The dataset.
    year
        Model year (:data:`EXPOSURE_YEARS`).
    element
        An element, a group (NdPr, DyTb, LREE, HREE) or ``all``; or a list of elements.
    adversaries
        ISO3 codes of the adversary countries.
    chokepoints
        Also rank (stage, country) nodes by the US shortfall their loss causes (slow).
    chain
        The chain of ``ds`` if already built.

    Raises
    ------
    ReeError
        A year without data, an unknown element or country.
    """
    check_year(year)
    chain = chain if chain is not None else build_chain(ds, ChainOptions())
    elements = check_elements(chain, element)
    adversaries = tuple(adversaries)
    missing = [a for a in adversaries if a not in chain.countries]
    if missing:
        msg = f"unknown adversary country: {', '.join(missing)}"
        raise ReeError(msg)
    table = exposure_table(chain, year, adversaries, elements)
    crit = chain_criticality(ds, chain, year, elements)
    chokes = None
    if chokepoints:
        chokes = calc_chokepoints(ds, chain, year)
        if len(chokes):
            chokes = chokes[chokes["element"].isin(elements)].reset_index(drop=True)
    return ExposureResult(year, elements, adversaries, chain, table, crit, chokes)
