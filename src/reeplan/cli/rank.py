"""`reeplan rank`: elements ranked by expected consequence under the threat model, beside
NIR, HHI, independence, EU supply risk, GeoPolRisk and the published assessments.

Exposes :func:`register` only; the main CLI wires it in.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    fail,
    load,
    out,
    rich_table,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["rank", "register"]


def register(app: typer.Typer) -> None:
    """Add the ``rank`` command to ``app``."""
    app.command("rank")(rank)


def rank(
    scenario: Annotated[list[str] | None, typer.Option(
        "--scenario", "-s", help="Scenario (preset, YAML or 'threats'); repeatable.")] = None,
    samples: Annotated[int | None, typer.Option(
        help="Monte Carlo samples per scenario \\[default: 1000].", min=1,
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        help="Random seed (same seed, same result) \\[default: 20250404].",
        show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Rank elements by expected downstream output at risk (USD, 5-95 % interval) with the
    other indicators and the USGS 2025 / DOE 2023 / EU 2023 orderings."""
    from reeplan.workflows.consequences import consequences, element_ranking
    from reeplan.workflows.simulate import simulate

    try:
        check_format(fmt)
        st = settings(samples=samples, seed=seed)
        ds = load(data, overlay)
        sims = simulate(ds, scenario or ["threats"], st.samples, st.seed)
        table = element_ranking(ds, sims)
        cons = consequences(ds, sims[0])
    except ReeError as exc:
        raise fail(exc) from None
    corr = table.attrs["correlations"]
    if fmt == "csv":
        typer.echo(table.reset_index().to_csv(index=False), nl=False)
        return
    if fmt == "json":
        write_json({"ranking": table.reset_index(), "correlations": corr,
                    "disagreements": table.attrs["disagreements"],
                    "by_sector": cons.by_sector.reset_index(),
                    "platforms": cons.platforms.reset_index()})
        return
    shown = table.reset_index().copy()
    for c in ("consequence_usd", "p05", "p95"):
        shown[c] = shown[c] / 1e6
    out.print(rich_table(shown, "Elements by expected output at risk ($M, 2025-2040)",
                         {"consequence_usd": ",.1f", "p05": ",.1f", "p95": ",.1f"}))
    out.print(rich_table(corr, "Spearman rank correlation with the consequence ranking"))
    out.print(rich_table((cons.by_sector / 1e6).reset_index(), "By sector ($M)",
                         {"mean": ",.1f", "p05": ",.1f", "p95": ",.1f"}))
    out.print(rich_table(cons.platforms.reset_index(), "Defense platform deliveries delayed"))
    for line in table.attrs["disagreements"]:
        out.print(f"- {line}")
