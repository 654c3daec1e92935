"""The run summary: the headline figures `reeplan run` prints and later writes to the brief."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from reeplan.indicators.production import (
    mine_production_table,
    mining_hhi,
    stage_concentration,
    us_net_import_reliance,
)
from reeplan.io.dataset import Dataset

__all__ = ["Summary", "build_summary"]


@dataclass(frozen=True)
class Summary:
    """Headline figures of the dataset."""

    dataset: str
    digest: str
    year: int
    mine: pd.DataFrame
    world_total: float
    china_mine_share: float
    mine_hhi: float
    mine_hhi_sum: float
    concentration: pd.DataFrame
    nir: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "dataset": self.dataset,
            "digest": self.digest,
            "year": self.year,
            "world_total_t": self.world_total,
            "china_mine_share": self.china_mine_share,
            "mine_hhi": self.mine_hhi,
            "mine_hhi_sum_denominator": self.mine_hhi_sum,
            "mine_production": self.mine.to_dict(orient="records"),
            "concentration": self.concentration.to_dict(orient="records"),
            "us_net_import_reliance": self.nir.to_dict(orient="records"),
        }


def build_summary(ds: Dataset, year: int = 2025) -> Summary:
    """Assemble the headline figures for ``year`` from the dataset."""
    mine = mine_production_table(ds, year)
    mp = ds["mine_production"]
    world = mp[(mp["country"] == "WLD") & (mp["year"] == year)]["value"]
    world_total = float(world.iloc[0]) if len(world) else float("nan")
    china = mine.loc[mine["country"] == "CHN", "share"]
    return Summary(
        dataset=str(ds.paths[0]) if ds.paths else "",
        digest=ds.digest,
        year=year,
        mine=mine,
        world_total=world_total,
        china_mine_share=float(china.iloc[0]) if len(china) else float("nan"),
        mine_hhi=float(mining_hhi(ds, "world").sel(year=year)),
        mine_hhi_sum=float(mining_hhi(ds, "sum").sel(year=year)),
        concentration=stage_concentration(ds),
        nir=us_net_import_reliance(ds),
    )
