"""`reeplan validate`: the model's own aggregates beside published ones, with tolerance.

Exposes :func:`register` only; the main CLI wires it in. Exit status 1 when any benchmark is
outside its tolerance (verdict ``warn``), so a CI job can run it on a dataset or overlay.
"""

from __future__ import annotations

from typing import Annotated

import typer

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    err,
    fail,
    load,
    out,
    rich_table,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register", "validate"]


def register(app: typer.Typer) -> None:
    """Add the ``validate`` command to ``app``."""
    app.command("validate")(validate)


_RANK_COLUMNS = {"consequence_usd": "expected consequence", "p05": "P5", "p95": "P95",
                 "rank": "reeplan rank", "rank_usgs_2025": "USGS 2025",
                 "rank_doe_cma_2023": "DOE 2023", "rank_eu_crm_2023": "EU 2023",
                 "main_sector": "main US use"}


def _rankings(ds, samples: int | None, seed: int | None) -> dict[str, object]:
    """The element ranking by expected consequence under the threat model, beside the
    published orderings, with Spearman correlations and a sentence per disagreement."""
    from reeplan.workflows.consequences import element_ranking
    from reeplan.workflows.simulate import THREATS, load_scenarios, simulate

    st = settings(samples=samples, seed=seed)
    with err.status(f"simulating the threat model ({st.samples} samples) for the ranking"):
        sims = simulate(ds, load_scenarios([THREATS], ds), st.samples, st.seed)
        table = element_ranking(ds, sims, indicators=False)
    return {"ranking": table.reset_index(), "correlations": table.attrs["correlations"],
            "disagreements": table.attrs["disagreements"], "samples": st.samples,
            "seed": st.seed}


def _print_rankings(r: dict[str, object]) -> None:
    table = r["ranking"]
    shown = table[["element", *[c for c in _RANK_COLUMNS if c in table]]].copy()
    for c in ("consequence_usd", "p05", "p95"):
        shown[c] = shown[c].map(lambda v: f"${v / 1e9:,.2f}bn")
    shown = shown.rename(columns=_RANK_COLUMNS)
    out.print(rich_table(shown, f"Elements ranked by expected consequence (USD of US output at "
                                f"risk, threat model 2026–2040, {r['samples']} samples, seed "
                                f"{r['seed']}) beside published orderings (1 = most critical)"))
    corr = r["correlations"]
    pub = corr[corr["ordering"].isin(["usgs_2025", "doe_cma_2023", "eu_crm_2023"])]
    out.print("Spearman rank correlation with reeplan: " + "; ".join(
        f"{row['ordering']} ρ = {row['spearman_rho']:.2f} ({row['elements']} elements)"
        for _, row in pub.iterrows()), markup=False)
    for sentence in r["disagreements"]:
        out.print(f"  - {sentence}", markup=False)


def validate(
    fmt: Annotated[str, typer.Option(
        "--format", help="table, csv or json (csv: the benchmarks table only).")] = "table",
    rankings: Annotated[bool, typer.Option(
        "--rankings/--no-rankings", help="Also rank the elements by expected consequence under "
        "the threat model beside the USGS 2025, DOE 2023 and EU 2023 orderings (simulates; "
        "not with --format csv).")] = True,
    samples: Annotated[int | None, typer.Option(
        help="Threat-model samples for the ranking \\[default: 1000].", min=1,
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        help="Random seed of the ranking \\[default: 20250404].", show_default=False)] = None,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Compare the model with published figures: world/China mine output, China's share per
    stage, US production and NIR, company output and US magnet imports (benchmarks.csv); and
    the element ranking by consequence with the published criticality orderings.

    Exit status 1 when a benchmark is outside its tolerance (the ranking never fails a run:
    disagreements are explained, not errors)."""
    from reeplan.chain import build_chain
    from reeplan.indicators.validation import validation_table

    try:
        check_format(fmt)
        ds = load(data, overlay)
        table = validation_table(ds, build_chain(ds))
        ranked = _rankings(ds, samples, seed) if rankings and fmt != "csv" else None
    except ReeError as exc:
        raise fail(exc) from None
    if fmt == "csv":
        typer.echo(table.to_csv(index=False), nl=False)
    elif fmt == "json":
        write_json({"benchmarks": table, **(ranked or {})})
    else:
        shown = table.drop(columns=["note"])
        out.print(rich_table(shown, "Validation: model vs published (verdict ok = inside \\[low, "
                                    "high])"))
        if ranked is not None:
            _print_rankings(ranked)
    bad = table[table["verdict"] != "ok"]
    if len(bad):
        err.print(f"[bold yellow]{len(bad)} benchmark(s) outside tolerance:[/] "
                  + ", ".join(bad["id"]))
        raise typer.Exit(1)
