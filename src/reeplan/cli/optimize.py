"""`reeplan optimize` and `reeplan frontier`: the DPA award portfolio."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from reeplan.cli.common import DataOpt, OverlayOpt, err, fail, load, out, rich_table
from reeplan.errors import ReeError

__all__ = ["register"]

ScenarioOpt = Annotated[list[str] | None, typer.Option(
    "--scenario", help="Scenario preset or YAML (repeatable; default: all presets).")]
SamplesOpt = Annotated[int, typer.Option(help="Sampled scenarios in the model (split evenly "
                                              "over the scenarios).")]


def register(app: typer.Typer) -> None:
    """Add ``optimize`` and ``frontier`` to ``app``."""
    app.command("optimize")(optimize_cmd)
    app.command("frontier")(frontier_cmd)


def _prepare(data, overlay, scenario, samples, seed):
    from reeplan.chain import build_chain
    from reeplan.optimize.tables import run_sims
    from reeplan.sim.presets import list_presets

    if samples < 1:
        msg = f"--samples must be at least 1, not {samples}"
        raise ReeError(msg)
    ds = load(data, overlay)
    chain = build_chain(ds)
    names = list(scenario or list_presets())
    per = max(1, math.ceil(samples / len(names)))
    with err.status(f"simulating {len(names)} scenario(s) × {per} samples"):
        sims = run_sims(ds, chain, names, per, seed)
    return ds, chain, sims


GapOpt = Annotated[float, typer.Option(
    help="Relative optimality gap at which the solver stops (the bundled candidates solve to "
         "1e-4 in seconds).")]


def _spec(budget: float, cvar: float | None, defense_weight: float, time_limit: float,
          gap: float = 1e-4):
    from pydantic import ValidationError

    from reeplan.optimize.inputs import PortfolioSpec

    try:
        return PortfolioSpec(budget=budget, cvar_alpha=cvar, defense_weight=defense_weight,
                             time_limit=time_limit, mip_gap=gap)
    except ValidationError as exc:
        e = exc.errors()[0]
        msg = f"option --{str(e['loc'][0]).replace('_', '-')}: {e['msg']}"
        raise ReeError(msg) from None


def optimize_cmd(
    budget: Annotated[float, typer.Option(help="Budget of scored cost, USD.")] = 2.5e9,
    scenario: ScenarioOpt = None,
    samples: SamplesOpt = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    cvar: Annotated[float | None, typer.Option(help="CVaR level α (e.g. 0.9).")] = None,
    defense_weight: Annotated[float, typer.Option(help="Weight of defense shortfall.")] = 10.0,
    time_limit: Annotated[float, typer.Option(help="Solver time limit, s.")] = 60.0,
    gap: GapOpt = 1e-4,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Recommend awards: which projects, which instruments, for the least expected shortfall."""
    from reeplan.optimize.tables import run_portfolio

    try:
        spec = _spec(budget, cvar, defense_weight, time_limit, gap)
        ds, chain, sims = _prepare(data, overlay, scenario, samples, seed)
        with err.status("evaluating packages and solving"):
            res = run_portfolio(ds, chain, spec, sims, samples=samples, seed=seed,
                                finance_samples=min(200, max(50, samples)))
    except ReeError as exc:
        raise fail(exc) from None
    pf = res["portfolio"]
    if as_json:
        sys.stdout.write(json.dumps({
            "budget_usd": budget, "selection": pf.selection, "stockpile_t": pf.stockpile,
            "cost_usd": pf.cost, "expected_loss": pf.expected_loss,
            "baseline_loss": pf.baseline_loss, "objective": pf.objective,
            "marginal_value_per_bn": res["marginal_value"], "solver": pf.solver,
            "awards": res["awards"].to_dict(orient="records"),
            "groups": res["groups"].to_dict(orient="records"),
            "why": res["why"].to_dict(orient="records")}, indent=1, default=_num) + "\n")
        return
    out.print(rich_table(res["awards"], title=f"Recommended awards (budget ${budget:,.0f})",
                         floatfmt={"scored_cost_usd": ",.0f", "p95_cost_usd": ",.0f",
                                   "fund_liability_usd": ",.0f", "p_production_without": ".0%",
                                   "p_production_with": ".0%", "years_earlier": ".2f"}))
    out.print(f"Scored cost ${pf.cost:,.0f}; expected weighted shortfall {pf.expected_loss:,.1f} "
              f"(no awards: {pf.baseline_loss:,.1f}; reduction "
              f"{1 - pf.expected_loss / max(pf.baseline_loss, 1e-9):.1%}); marginal value of "
              f"the next $1bn: {res['marginal_value']:,.1f} weighted t.")
    out.print(rich_table(res["groups"], title="Shortfall by element group (t REO-eq, expected)",
                         floatfmt={}))
    out.print(rich_table(res["why"], title="Why each project is in or out"))
    s = pf.solver
    gap = s.get("mip_gap")
    out.print(f"Solver: {s['method']}; status {s['termination']}; gap "
              f"{'n/a' if gap is None else f'{gap:.3%}'}; {s['seconds']:.1f} s.")


def frontier_cmd(
    max_budget: Annotated[float, typer.Option(help="Largest budget, USD.")] = 5e9,
    points: Annotated[int, typer.Option(help="Budgets on the frontier.")] = 20,
    scenario: ScenarioOpt = None,
    samples: SamplesOpt = 500,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    cvar: Annotated[float | None, typer.Option(help="CVaR level α.")] = None,
    chart: Annotated[Path | None, typer.Option(
        help="Write the chart to PATH.html and PATH.png (a .html or .png suffix is dropped).")]
    = Path("frontier"),
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Efficient frontier: the optimal portfolio at budgets from zero to --max-budget."""
    from reeplan.brief.plots import frontier_figure, write_figure
    from reeplan.optimize.build import define_portfolio_inputs
    from reeplan.optimize.solve import calc_frontier

    try:
        if points < 2:
            msg = f"--points must be at least 2, not {points}"
            raise ReeError(msg)
        spec = _spec(max_budget, cvar, 10.0, 60.0)
        ds, chain, sims = _prepare(data, overlay, scenario, samples, seed)
        inputs, _ = define_portfolio_inputs(ds, chain, sims, samples, seed,
                                            finance_samples=min(200, max(50, samples)))
        with err.status(f"solving {points} budgets"):
            table = calc_frontier(inputs, spec, max_budget, points)
        written = [str(p) for p in write_figure(frontier_figure(table), chart)] if chart else []
    except ReeError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps({"frontier": table.to_dict(orient="records"),
                                     "figures": written}, indent=1, default=_num) + "\n")
        return
    out.print(rich_table(table, title="Efficient frontier", floatfmt={
        "budget_usd": ",.0f", "cost_usd": ",.0f", "expected_loss": ",.1f",
        "objective": ",.1f", "reduction": ".1%", "gap": ".3%"}))
    for p in written:
        out.print(f"wrote {p}")


def _num(v: Any) -> Any:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    return None if f != f else f
