"""`reeplan optimize` and `reeplan frontier`: the DPA award portfolio."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_output_files,
    err,
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

ScenarioOpt = Annotated[list[str] | None, typer.Option(
    "--scenario", help="Scenario the awards are valued against: 'threats' (the threat model of "
    "future disruptions 2026-2040, the default), a preset name or a YAML file (repeatable).")]
SamplesOpt = Annotated[int | None, typer.Option(
    help="Monte Carlo samples per scenario (all enter the model) and per appraised package "
         "\\[default: 1000].", show_default=False)]
SeedOpt = Annotated[int | None, typer.Option(help="Random seed \\[default: 20250404].",
                                             show_default=False)]


def register(app: typer.Typer) -> None:
    """Add ``optimize`` and ``frontier`` to ``app``."""
    app.command("optimize")(optimize_cmd)
    app.command("frontier")(frontier_cmd)


def _prepare(data, overlay, scenario, samples, seed):
    from reeplan.chain import build_chain
    from reeplan.workflows.simulate import THREATS, load_scenarios, simulate

    st = settings(samples=samples, seed=seed)
    ds = load(data, overlay)
    scenarios = load_scenarios(list(scenario or (THREATS,)), ds)
    with err.status(f"simulating {len(scenarios)} scenario(s) × {st.samples} samples"):
        sims = simulate(ds, scenarios, st.samples, st.seed)
    return ds, build_chain(ds), sims, st


ProjectOpt = Annotated[list[Path] | None, typer.Option(
    "--project", help="YAML file of hypothetical projects (stage, group, capacity_t, "
    "capex_musd, earliest_start, country) added to the candidates (repeatable).",
    show_default=False)]
GapOpt = Annotated[float | None, typer.Option(
    help="Relative optimality gap at which the solver stops \\[default: 1e-4].",
    show_default=False)]


ObjectiveOpt = Annotated[str | None, typer.Option(
    "--objective", help="What the awards minimise: tonnes (weighted tonnes of shortfall, "
    "defense 10x civilian), value (million USD of downstream output at risk) or defense "
    "(F-35-equivalent defense deliveries at risk) \\[default: tonnes].", show_default=False)]


def _spec(budget: float, cvar: float | None, defense_weight: float, time_limit: float,
          gap: float = 1e-4, objective: str = "tonnes"):
    from pydantic import ValidationError

    from reeplan.optimize.inputs import PortfolioSpec
    from reeplan.optimize.objective import OBJECTIVES

    if objective not in OBJECTIVES:
        msg = f"--objective must be one of {', '.join(OBJECTIVES)}, not {objective!r}"
        raise ReeError(msg)
    try:
        return PortfolioSpec(budget=budget, cvar_alpha=cvar, defense_weight=defense_weight,
                             time_limit=time_limit, mip_gap=gap, objective=objective)
    except ValidationError as exc:
        e = exc.errors()[0]
        msg = f"option --{str(e['loc'][0]).replace('_', '-')}: {e['msg']}"
        raise ReeError(msg) from None


def optimize_cmd(
    budget: Annotated[float | None, typer.Option(
        help="Budget of scored cost, USD \\[default: 2.5e9].", show_default=False)] = None,
    scenario: ScenarioOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    cvar: Annotated[float | None, typer.Option(help="CVaR level α (e.g. 0.9).")] = None,
    defense_weight: Annotated[float, typer.Option(help="Weight of defense shortfall.")] = 10.0,
    time_limit: Annotated[float | None, typer.Option(
        help="Solver time limit, s \\[default: 60].", show_default=False)] = None,
    gap: GapOpt = None,
    objective: ObjectiveOpt = None,
    compare: Annotated[bool, typer.Option(
        "--compare-objectives", help="Also solve for the other objectives and show every "
        "portfolio measured under every objective.")] = False,
    project: ProjectOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Recommend awards: which projects, which instruments, for the least expected loss."""
    from reeplan.workflows.portfolio import portfolio

    try:
        st = settings(budget=budget, time_limit=time_limit, mip_gap=gap, objective=objective)
        spec = _spec(st.budget, cvar, defense_weight, st.time_limit, st.mip_gap, st.objective)
        budget = st.budget
        ds, chain, sims, st = _prepare(data, overlay, scenario, samples, seed)
        with err.status("appraising packages and solving"):
            res = portfolio(ds, chain, sims, spec, st.samples, st.seed,
                            project_files=list(project or ()), compare_objectives=compare)
    except ReeError as exc:
        raise fail(exc) from None
    pf = res.result
    unit, label = res.unit, res.weights.label if res.weights else res.spec.objective
    if as_json:
        write_json({
            "budget_usd": budget, "samples_per_scenario": st.samples, "seed": st.seed,
            "scenarios": list(res.scenarios), "objective_name": res.spec.objective,
            "objective_unit": unit, "objective_label": label,
            "weights_per_t": res.weights.table() if res.weights else None,
            "value_floor_per_bn": res.spec.min_value_per_bn,
            "selection": pf.selection,
            "stockpile_t": pf.stockpile, "cost_usd": pf.cost, "expected_loss": pf.expected_loss,
            "baseline_loss": pf.baseline_loss, "objective": pf.objective,
            "unspent_usd": res.unspent,
            "marginal_value_per_bn": res.marginal_value, "solver": pf.solver,
            "awards": res.awards, "groups": res.groups, "why": res.why,
            "by_objective": res.by_objective})
        return
    out.print(rich_table(res.awards, title=f"Recommended awards (budget ${budget:,.0f})",
                         floatfmt={"scored_cost_usd": ",.0f", "p95_cost_usd": ",.0f",
                                   "fund_liability_usd": ",.0f", "p_production_without": ".0%",
                                   "p_production_with": ".0%", "years_earlier": ".2f"}))
    out.print(f"Objective: {res.spec.objective} — {label}; value floor "
              f"{res.spec.min_value_per_bn:,.1f} {unit} per $1bn.", markup=False)
    out.print(f"Scored cost ${pf.cost:,.0f}; expected loss {pf.expected_loss:,.1f} {unit} "
              f"(no awards: {pf.baseline_loss:,.1f}; reduction "
              f"{1 - pf.expected_loss / max(pf.baseline_loss, 1e-9):.1%}); marginal value of "
              f"the next $1bn: {res.marginal_value:,.1f} {unit}; unspent "
              f"${res.unspent:,.0f}.", markup=False)
    out.print(rich_table(res.groups, title="Shortfall by element group (t REO-eq, expected)",
                         floatfmt={}))
    if res.why is not None:
        out.print(rich_table(res.why, title="Why each project is in or out"))
    if res.by_objective is not None:
        out.print(rich_table(res.by_objective, title="The portfolio under each objective "
                             "(avoided: expected loss avoided in each objective's units)",
                             floatfmt={"scored_cost_usd": ",.0f", "stockpile_t": ",.1f",
                                       "avoided_tonnes": ",.1f", "avoided_value": ",.0f",
                                       "avoided_defense": ",.2f", "reduction_tonnes": ".1%",
                                       "reduction_value": ".1%", "reduction_defense": ".1%"}))
    s = pf.solver
    gap = s.get("mip_gap")
    out.print(f"Solver: {s['method']}; status {s['termination']}; gap "
              f"{'n/a' if gap is None else f'{gap:.3%}'}; {s['seconds']:.1f} s.")


def frontier_cmd(
    max_budget: Annotated[float, typer.Option(help="Largest budget, USD.")] = 5e9,
    points: Annotated[int, typer.Option(help="Budgets on the frontier.")] = 20,
    scenario: ScenarioOpt = None,
    samples: SamplesOpt = None,
    seed: SeedOpt = None,
    cvar: Annotated[float | None, typer.Option(help="CVaR level α.")] = None,
    chart: Annotated[Path | None, typer.Option(
        help="Write the chart to PATH.html and PATH.png (a .html or .png suffix is dropped).",
        show_default=False)] = None,
    project: ProjectOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Efficient frontier: the optimal portfolio at budgets from zero to --max-budget."""
    from reeplan.brief.plots import frontier_figure, write_figure
    from reeplan.optimize.build import define_portfolio_inputs
    from reeplan.optimize.solve import calc_frontier
    from reeplan.workflows.portfolio import candidate_options

    try:
        if points < 2:
            msg = f"--points must be at least 2, not {points}"
            raise ReeError(msg)
        spec = _spec(max_budget, cvar, 10.0, settings().time_limit)
        if points > 200:
            msg = f"--points must be at most 200, not {points}"
            raise ReeError(msg)
        if chart is not None:
            check_output_files(figure_files(chart, "--chart"), "--chart")
        ds, chain, sims, st = _prepare(data, overlay, scenario, samples, seed)
        options = candidate_options(ds, st.samples, st.seed, list(project or ()))
        inputs = define_portfolio_inputs(ds, chain, sims, options, st.seed)
        with err.status(f"solving {points} budgets"):
            table = calc_frontier(inputs, spec, max_budget, points)
        with os_errors("write the frontier chart"):
            written = ([str(p) for p in write_figure(frontier_figure(table), chart)]
                       if chart else [])
    except ReeError as exc:
        raise fail(exc) from None
    if as_json:
        write_json({"frontier": table, "figures": written})
        return
    out.print(rich_table(table, title="Efficient frontier", floatfmt={
        "budget_usd": ",.0f", "cost_usd": ",.0f", "expected_loss": ",.1f",
        "objective": ",.1f", "reduction": ".1%", "gap": ".3%"}))
    for p in written:
        out.print(f"wrote {escape(str(p))}")
