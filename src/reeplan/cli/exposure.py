"""`reeplan exposure`: US exposure by element and stage, the Sankey and the China-share heatmap."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    check_output_files,
    fail,
    figure_files,
    load,
    os_errors,
    out,
    rich_table,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register"]

PCT = {"adversary_share": ".1%", "top_share": ".1%", "us_nir": ".1%", "independence": ".1%",
       "independence_domestic": ".1%", "hhi": ".3f", "coverage": ".2f",
       "world_output_t": ",.0f", "us_output_t": ",.0f", "us_requirement_t": ",.1f"}


SHORT = {"world_output_t": "world t", "adversary_share": "adv. share", "top_country": "top",
         "top_share": "top share", "us_output_t": "US t", "us_requirement_t": "US need t",
         "us_nir": "US NIR", "independence": "indep.", "independence_domestic": "indep. US"}


def register(app: typer.Typer) -> None:
    """Add the ``exposure`` command to ``app``."""
    app.command("exposure")(exposure)


def exposure(
    year: Annotated[int | None, typer.Option(
        help="Model year (2022–2040) \\[default: 2025].", show_default=False)] = None,
    element: Annotated[str, typer.Option(
        help="Element symbol or group (NdPr, DyTb, LREE, HREE, all).")] = "all",
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    adversary: Annotated[list[str] | None, typer.Option(
        help="Adversary country (ISO3, repeatable); default CHN.")] = None,
    chokepoints: Annotated[bool, typer.Option(
        help="Also rank nodes by the US shortfall their loss for a year causes.")] = False,
    sankey: Annotated[Path | None, typer.Option(
        help="Write the Sankey of the selection to PATH.html and PATH.png.")] = None,
    heatmap: Annotated[Path | None, typer.Option(
        help="Write the China-share heatmap (element × stage) to PATH.html and PATH.png.")] = None,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Shares by country, China's share, HHI, US import reliance, coverage and independence."""
    from reeplan.workflows.exposure import exposure as run_exposure

    adversaries = tuple(adversary or ["CHN"])
    try:
        check_format(fmt)
        for option, stem in (("--sankey", sankey), ("--heatmap", heatmap)):
            if stem is not None:
                check_output_files(figure_files(stem, option), option)
        year = settings(year=year).year
        ds = load(data, overlay)
        res = run_exposure(ds, year, element, adversaries, chokepoints=chokepoints)
        chain, elements = res.chain, res.elements
        table, crit, chokes = res.table, res.criticality, res.chokepoints
        with os_errors("write the figures"):
            written = _figures(chain, elements, year, sankey, heatmap, adversaries[0])
    except ReeError as exc:
        raise fail(exc) from None
    if fmt == "json":
        write_json({"year": year, "elements": elements, "adversaries": list(adversaries),
                    "exposure": table, "criticality": crit, "chokepoints": chokes,
                    "figures": written})
        return
    if fmt == "csv":
        sys.stdout.write(table.to_csv(index=False))
        return
    label = element if element != "all" else "all elements"
    shown = table.copy()
    shown["us_nir"] = [_nir_label(v) for v in table["us_nir"]]
    narrow = out.width < 130
    if narrow:  # the columns a reader needs first; --format csv|json has them all
        shown = shown[["element", "stage", "world_output_t", "adversary_share", "us_nir",
                       "independence", "independence_domestic"]]
    shown = shown.rename(columns=SHORT)
    out.print(rich_table(shown, title=f"US exposure {year}, {label} (adversary: "
                         f"{', '.join(adversaries)}; t REO-eq)",
                         floatfmt={SHORT.get(k, k): v for k, v in PCT.items()}))
    if narrow:
        out.print("Compact view for a narrow terminal: --format csv or json shows every column "
                  "(top country, HHI, US output and requirement, coverage).")
    for line in _published_nir(ds, elements, year):
        out.print(line)
    if len(crit):
        cols = ["element", "stage", "method", "value", "threshold", "hhi_wgi_global",
                "hhi_wgi_sourcing", "import_reliance", "eol_rir", "hhi_production",
                "import_risk", "import_fraction"]
        out.print(rich_table(crit[cols], title="Criticality indices (EU CRM supply risk, EC 2017 "
                             "method, US lens; GeoPolRisk, geopolrisk-py method) with inputs",
                             floatfmt={c: ".3f" for c in cols}))
    out.print("US NIR: USGS net import reliance (C − P)/C of the stage's product (E = net "
              "exporter, — = no US consumption at that stage). indep.: share of US demand a "
              "chain with no adversary stage can serve (allied output fully available to the "
              "US, an upper bound); indep. US: US plants only.")
    if chokes is not None:
        out.print(rich_table(chokes.head(20), title=f"Chokepoints {year}: US shortfall if the "
                             "node is lost for a year (t REO-eq)", floatfmt={
                                 "node_output_t": ",.1f", "us_shortfall_t": ",.1f",
                                 "defense_shortfall_t": ",.2f"}))
    for path in written:
        out.print(f"wrote {escape(str(path))}")


def _figures(chain, elements, year, sankey, heatmap, adversary):
    if sankey is None and heatmap is None:
        return []
    from reeplan.brief.plots import china_share_heatmap, sankey_figure, write_figure
    from reeplan.indicators.views import adversary_share_matrix, sankey_flows

    written: list[str] = []
    if sankey is not None:
        flows = sankey_flows(chain, elements, year)
        label = "+".join(elements) if len(elements) < 4 else f"{len(elements)} elements"
        fig = sankey_figure(flows, title=f"Rare-earth flows {year}: {label} (t REO-eq)")
        written += [str(p) for p in write_figure(fig, sankey)]
    if heatmap is not None:
        share = adversary_share_matrix(chain, year, adversary)
        fig = china_share_heatmap(share)
        written += [str(p) for p in write_figure(fig, heatmap)]
    return written


def _nir_label(v: float) -> str:
    """USGS style: 'E' for a net exporter, '—' where the US consumes none of the product."""
    if v != v:  # NaN
        return "—"
    return "E" if v < 0 else f"{v:.1%}"


def _published_nir(ds, elements, year) -> list[str]:
    """USGS published net import reliance for the groups the selection touches."""
    sal = ds["us_salient"]
    el = ds["elements"]
    items = []
    if any(el.loc[e, "group"] == "HREE" and e != "Y" for e in elements if e in el.index):
        items.append(("nir_heavy_published", "heavy rare earths (Tb, Dy, Ho, Er, Tm, Yb, Lu)"))
    if "Y" in elements:
        items.append(("nir_yttrium_published", "yttrium"))
    if any(el.loc[e, "group"] == "LREE" for e in elements if e in el.index):
        items.append(("nir_published", "rare-earth compounds and metals"))
    lines = []
    for item, what in items:
        rows = sal[(sal["item"] == item) & (sal["year"] <= year)].sort_values("year")
        if len(rows):
            r = rows.iloc[-1]
            q = r["qualifier"] if isinstance(r["qualifier"], str) else ""
            lines.append(f"USGS published net import reliance, {what}, {int(r['year'])}: "
                         f"{q}{r['value']:g} % ({r['source_id']}).")
    return lines
