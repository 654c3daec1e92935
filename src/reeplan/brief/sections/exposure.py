"""Brief sections on where rare earths come from, US exposure, and the sources."""

from __future__ import annotations

import pandas as pd

from reeplan.brief.model import Headline, Section
from reeplan.brief.plots import bar_figure, china_share_heatmap, sankey_figure, with_source
from reeplan.indicators.summary import Summary
from reeplan.indicators.views import adversary_share_matrix, sankey_flows
from reeplan.io.dataset import Dataset
from reeplan.workflows.exposure import ExposureResult

__all__ = ["KEY_ELEMENTS", "exposure_section", "sources_section", "summary_section"]

KEY_ELEMENTS = ("Nd", "Pr", "Dy", "Tb", "Sm", "Y")
"""Elements the brief reports one by one (magnet and defense-critical elements)."""


def summary_section(s: Summary, year: int) -> Section:
    """World mine production, China's share and HHI by stage, US net import reliance."""
    conc = s.concentration
    observed = conc[conc["year"] <= year]
    latest = observed.sort_values("year").groupby("stage", sort=False).tail(1)
    sec = Section(
        "summary", "Where rare earths come from",
        summary=(f"China mined {s.china_mine_share:.0%} of the world's rare earths in {year} "
                 f"(USGS: {s.world_total:,.0f} t REO world total); mine-production HHI "
                 f"{s.mine_hhi:.3f}."),
        tables={"mine_production": s.mine, "stage_concentration": conc,
                "us_net_import_reliance": s.nir},
    )
    sec.headlines.append(Headline("china_mine_share", s.china_mine_share, "share",
                                  f"China's share of world mine production {year}",
                                  "mine_production (USGS MCS)"))
    sec.headlines.append(Headline("mine_hhi", s.mine_hhi, "index",
                                  f"HHI of world mine production {year}",
                                  "mine_production (USGS MCS)", primary=False))
    for _, row in latest[latest["stage"] != "mining"].iterrows():
        sec.headlines.append(Headline(f"china_share_{row['stage']}", row["adversary_share"],
                                      "share", f"China's share of {row['stage']} "
                                      f"({int(row['year'])})", str(row["source"]),
                                      primary=row["stage"] != "metal"))
    nir = s.nir.sort_values("year").iloc[-1]
    sec.headlines.append(Headline("us_nir_compounds_metals", float(nir["nir_computed"]), "share",
                                  f"US net import reliance, compounds and metals "
                                  f"{int(nir['year'])}", "us_salient (USGS MCS 2026)"))
    order = {st: i for i, st in enumerate(("mining", "separation", "metal", "magnet"))}
    bars = latest.sort_values("stage", key=lambda c: c.map(order))
    bars = bars.assign(stage_label=bars["stage"].str.capitalize()
                       + " (" + bars["year"].astype(int).astype(str) + ")")
    sec.figures["china_share_by_stage"] = with_source(bar_figure(
        bars, "stage_label", {"adversary_share": "China's share"},
        f"China's share of world output by stage, latest year up to {year}",
        "Share of world output (%)", percent=True),
        "USGS Mineral Commodity Summaries 2026 (mining); IEA Global Critical Minerals Outlook "
        "and commentary (separation, metal, magnet; lower bounds)")
    return sec


def exposure_section(expo: ExposureResult) -> Section:
    """US exposure by element and stage, the NdPr Sankey, the China-share heatmap, chokepoints."""
    table, chain, year = expo.table, expo.chain, expo.year
    key = table[table["element"].isin(KEY_ELEMENTS)].reset_index(drop=True)
    final = key[key["stage"] == "magnet"].set_index("element")
    sec = Section(
        "exposure", f"US exposure by element and stage ({year})",
        summary=("Independence is the share of US demand a chain with no Chinese stage could "
                 "serve, stage by stage, with allied output fully available to the US (an upper "
                 "bound) and with US plants only."),
        tables={"exposure_key_elements": key, "exposure_all": table},
    )
    for e in KEY_ELEMENTS:
        if e in final.index and final.loc[e, "us_requirement_t"] > 0:
            sec.headlines.append(Headline(f"independence_{e}", float(final.loc[e, "independence"]),
                                          "share", f"US independence for {e} magnets "
                                          f"({year}, allied access)", "chain model",
                                          primary=e in ("Dy", "Tb")))
    crit = expo.criticality
    crit = crit[crit["element"].isin(KEY_ELEMENTS)].reset_index(drop=True)
    if len(crit):
        sec.tables["criticality"] = crit
    if expo.chokepoints is not None and len(expo.chokepoints):
        sec.tables["chokepoints"] = expo.chokepoints.head(25).reset_index(drop=True)
    src = "reeplan chain model on the bundled facilities, trade and demand tables"
    sec.figures["china_share_heatmap"] = with_source(china_share_heatmap(
        adversary_share_matrix(chain, year),
        title=f"China's share of output by element and stage, {year} (%)"), src)
    flows = sankey_flows(chain, ["Nd", "Pr"], year)
    if len(flows):
        sec.figures["sankey_ndpr"] = with_source(sankey_figure(
            flows, title=f"NdPr flows {year} (t REO-eq; band = tonnes shipped; hover a node for "
            "its input and output)"), src)
    else:
        sec.notes.append(f"No NdPr flows between stages in {year}: no Sankey is drawn.")
    return sec


def sources_section(ds: Dataset) -> Section:
    """The data sources and labelled assumptions behind every figure."""
    src = ds["sources"].reset_index(drop=True)
    used = pd.concat([ds[t]["source_id"] for t in ds.tables if "source_id" in ds[t].columns])
    counts = used.value_counts()
    src["rows_citing"] = src["id"].map(counts).fillna(0).astype(int)
    assumptions = src[src["kind"] == "assumption"][["id", "title", "note", "rows_citing"]]
    return Section(
        "sources", "Data sources and assumptions",
        summary=(f"{len(src)} sources; {len(assumptions)} labelled assumptions. Every figure in "
                 "the dataset names one of these sources and a quality grade (A official, B "
                 "company, C trade press, D aggregator or assumption)."),
        tables={"sources": src[["id", "kind", "title", "publisher", "date", "grade", "url",
                                "rows_citing"]],
                "assumptions": assumptions.reset_index(drop=True)},
    )
