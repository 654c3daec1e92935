"""Market inputs of the finance module: USGS price history and the Treasury curve, with sources.

The price history is the same as the bundled ``prices.csv`` rows with ``market=usgs_fob`` (USGS
Mineral Commodity Summaries 2026, annual averages, Argus Media, free on board);
:func:`price_history_from_table` reads it from a (possibly overlaid) dataset instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from reeplan.errors import DataError, Problem

__all__ = [
    "BENCHMARK_PRODUCT",
    "TREASURY_2025_07",
    "USGS_PRICE_HISTORY",
    "PriceHistory",
    "TreasuryCurve",
    "price_history_from_table",
]

BENCHMARK_PRODUCT = {"NdPr": "ndpr_oxide", "Dy": "dy_oxide", "Tb": "tb_oxide"}
"""Benchmark name -> product id in the ``prices`` table."""


@dataclass(frozen=True)
class PriceHistory:
    """Annual average prices of the benchmarks (USD/kg), one row per year."""

    years: tuple[int, ...]
    prices: dict[str, tuple[float, ...]]
    source_ids: dict[str, str]

    def frame(self) -> pd.DataFrame:
        """Prices as a DataFrame indexed by year, one column per benchmark."""
        return pd.DataFrame(self.prices, index=pd.Index(self.years, name="year"))


USGS_PRICE_HISTORY = PriceHistory(
    years=(2021, 2022, 2023, 2024, 2025),
    prices={
        "NdPr": (92.0, 124.0, 75.0, 55.0, 69.0),
        "Dy": (410.0, 382.0, 330.0, 257.0, 239.0),
        "Tb": (1340.0, 2050.0, 1300.0, 812.0, 1010.0),
    },
    source_ids={"NdPr": "usgs_mcs2026_re", "Dy": "usgs_mcs2026_heavy", "Tb": "usgs_mcs2026_heavy"},
)
"""USGS MCS 2026 annual averages 2021–2025 (2025 estimated), USD/kg: NdPr oxide 99 %, Dy oxide
99.5 %, Tb oxide 99.99 %. One vintage (MCS 2026) for all three series."""


@dataclass(frozen=True)
class TreasuryCurve:
    """Treasury yields by maturity, used as annually compounded zero rates.

    FCRA discounts each cash flow at the Treasury rate of its own maturity (the "basket of
    zeros"). We approximate zero rates with par yields and interpolate linearly in maturity, flat
    beyond the ends.
    """

    maturities: tuple[float, ...]
    rates: tuple[float, ...]
    source_ids: tuple[str, ...]
    as_of: str

    def zero_rate(self, t: np.ndarray | float) -> np.ndarray:
        """Interpolated zero rate at maturity ``t`` (years)."""
        return np.interp(np.asarray(t, dtype=float), self.maturities, self.rates)

    def discount(self, t: np.ndarray | float, spread: float = 0.0) -> np.ndarray:
        """Discount factor ``(1 + z(t) + spread) ** -t`` for ``t >= 0`` (1 for ``t <= 0``).

        Examples
        --------
        >>> c = TreasuryCurve((1.0, 30.0), (0.05, 0.05), ("x", "x"), "test")
        >>> round(float(c.discount(2.0)), 6)
        0.907029
        """
        t = np.asarray(t, dtype=float)
        tt = np.maximum(t, 0.0)
        return (1.0 + self.zero_rate(tt) + spread) ** (-tt)

    def rate_at(self, maturity: float) -> float:
        """The yield of one maturity (e.g. the 10-year rate for a loan priced off it)."""
        return float(self.zero_rate(maturity))


TREASURY_2025_07 = TreasuryCurve(
    maturities=(2.0, 10.0, 30.0),
    rates=(0.0388, 0.0434, 0.0488),
    source_ids=("fin_treasury_2025_07_22", "fin_treasury_2025_07_07", "fin_treasury_2025_07_07"),
    as_of="July 2025 (the MP–DoD agreements were signed 9–10 July 2025)",
)
"""2-year 3.88 % (22 Jul 2025), 10-year 4.34 % and 30-year 4.88 % (week of 7 Jul 2025)."""


def price_history_from_table(prices: pd.DataFrame, first_year: int = 2021) -> PriceHistory:
    """Read the USGS benchmark history from a dataset's ``prices`` table.

    Parameters
    ----------
    prices
        The ``prices`` table (columns product, year, market, price, source_id).
    first_year
        First year to use; every benchmark must have every year from here on.

    Returns
    -------
    PriceHistory
        Annual averages of NdPr, Dy and Tb oxide (market ``usgs_fob``).

    Raises
    ------
    DataError
        When a benchmark year is missing or duplicated.
    """
    usgs = prices[(prices["market"] == "usgs_fob") & (prices["year"] >= first_year)]
    series: dict[str, tuple[float, ...]] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    years: tuple[int, ...] | None = None
    for name, product in BENCHMARK_PRODUCT.items():
        rows = usgs[usgs["product"] == product].sort_values("year")
        if rows["year"].duplicated().any() or rows.empty:
            problems.append(Problem("prices.csv", None, "year",
                                    f"need one usgs_fob price per year for {product}"))
            continue
        ys = tuple(int(y) for y in rows["year"])
        if years is None:
            years = ys
        elif ys != years:
            problems.append(Problem("prices.csv", None, "year",
                                    f"{product} covers years {ys}, NdPr covers {years}"))
        series[name] = tuple(float(p) for p in rows["price"])
        sources[name] = str(rows["source_id"].iloc[-1])
    if problems or years is None:
        raise DataError(problems, "cannot build the price history")
    return PriceHistory(years, series, sources)
