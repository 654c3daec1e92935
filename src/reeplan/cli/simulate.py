"""``reeplan simulate`` and ``reeplan scenarios``: thin adapters over :mod:`reeplan.sim`.

Every :class:`~reeplan.errors.ReeError` (a bad scenario file, a dataset problem) becomes a
message on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_format,
    check_output_files,
    err,
    fail,
    load,
    os_errors,
    out,
    rich_table,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register", "scenarios_app"]

scenarios_app = typer.Typer(help="List and show the preset disruption scenarios.",
                            no_args_is_help=True)

_KEY_USES = (("Dy", "defense"), ("Tb", "defense"))


def register(app: typer.Typer) -> None:
    """Add ``simulate`` and the ``scenarios`` group to ``app``."""
    app.command("simulate")(simulate)
    app.add_typer(scenarios_app, name="scenarios")


def simulate(
    scenario: Annotated[str, typer.Argument(help="Preset name (see `reeplan scenarios list`) "
                                            "or a scenario YAML file.")],
    samples: Annotated[int | None, typer.Option(
        help="Monte Carlo samples \\[default: 1000].", min=1, show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(
        help="Random seed (same seed, same result) \\[default: 20250404].",
        show_default=False)] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address (tcp://HOST:PORT); default: this process.",
        show_default=False)] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    workers: Annotated[int, typer.Option(
        help="Threads evaluating sample chunks in this process (results do not change).",
        min=1)] = 1,
    fan: Annotated[Path | None, typer.Option(
        help="Write a fan chart (PNG) of defense Dy and Tb unmet demand.",
        show_default=False)] = None,
) -> None:
    """Simulate a disruption scenario 2025–2040 and print percentiles (P5/P50/P95)."""
    from reeplan.brief.plots import plot_fan
    from reeplan.sim.tables import (
        baseline_coverage,
        fan_table,
        price_table,
        shortfall_table,
        tts_table,
    )
    from reeplan.workflows.simulate import build_sim_network, load_scenarios
    from reeplan.workflows.simulate import simulate as run_scenarios

    try:
        check_format(fmt)
        if fan is not None:
            check_output_files([fan], "--fan")
        st = settings(samples=samples, seed=seed)
        samples, seed = st.samples, st.seed
        ds = load(data, overlay)
        [sc] = load_scenarios([scenario], ds)
        net = build_sim_network(ds)
        [res] = _run(run_scenarios, ds, sc, net, samples, seed, scheduler, workers,
                     fmt == "table")
    except ReeError as exc:
        raise fail(exc) from None
    except (OSError, ValueError, TimeoutError) as exc:  # e.g. an unreachable Dask scheduler
        raise fail(ReeError(f"{type(exc).__name__}: {exc}")) from None
    short, tts = shortfall_table(res), tts_table(res)
    prices = price_table(res)
    baseline = baseline_coverage(net)
    if fan is not None:
        try:
            with os_errors("write the fan chart"):
                plot_fan(fan_table(res, _KEY_USES), fan)
        except ReeError as exc:
            raise fail(exc) from None
    if fmt == "json":
        payload = {"scenario": sc.name, "title": sc.title, "samples": samples, "seed": seed,
                   "first_shock_quarter": res.first_shock, "sources": sc.sources,
                   "shortfall": short, "time_to_survive": tts,
                   "prices": prices, "baseline_coverage": baseline,
                   "assumptions": res.assumptions, "scenario_assumptions": sc.assumptions}
        write_json(payload)
        return
    if fmt == "csv":
        short = short.assign(table="shortfall")
        tts = tts.assign(table="time_to_survive")
        sys.stdout.write(pd.concat([short, tts], ignore_index=True).to_csv(index=False))
        return
    _print_tables(sc, res, short, tts, prices, baseline, samples, seed, fan)


def _run(run: Any, ds: Any, sc: Any, net: Any, samples: int, seed: int,
         scheduler: str | None, workers: int, bar: bool) -> Any:
    if not bar:
        return run(ds, [sc], samples, seed, network=net, scheduler=scheduler, workers=workers)
    with Progress(TextColumn("simulating"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("samples"), TimeElapsedColumn(), console=err,
                  transient=True) as progress:
        task = progress.add_task("simulate", total=samples)
        return run(ds, [sc], samples, seed, network=net, scheduler=scheduler, workers=workers,
                   progress=lambda _, done, total: progress.update(task, completed=done))


def _print_tables(sc: Any, res: Any, short: pd.DataFrame, tts: pd.DataFrame,
                  prices: pd.DataFrame, baseline: pd.DataFrame, samples: int, seed: int,
                  fan: Path | None) -> None:
    q0 = res.first_shock
    out.print(f"[bold]{escape(sc.name)}[/] — {escape(sc.title)}")
    out.print(f"{samples} samples, seed {seed}; first shock at quarter {q0:.2f} from 2025Q1; "
              f"sources: {', '.join(sc.sources)}", markup=False)
    shown = short[short["unmet_t_p95"] > 1e-6].copy()
    cols = ["element", "sector", "demand_t", "unmet_t_p5", "unmet_t_p50", "unmet_t_p95",
            "unmet_share_p50", "peak_share_p50", "unmet_no_nds_t_p50", "p_short"]
    fmt = {c: ",.1f" for c in cols if c.endswith("_t") or "_t_" in c}
    fmt.update({"unmet_share_p50": ".2%", "peak_share_p50": ".1%", "p_short": ".0%"})
    out.print(rich_table(shown[cols], title="Cumulative unmet US demand 2025–2040 (t REO-eq), "
                         "with the stockpile; uses with any shortfall", floatfmt=fmt))
    key = tts[[(e, s) in _KEY_USES for e, s in zip(tts["element"], tts["sector"], strict=True)]]
    tcols = ["element", "sector", "stockpile", "tts_years_p5", "tts_years_p50", "tts_years_p95",
             "ttr_years_p50", "p_exposed"]
    out.print(rich_table(key[tcols], title="Time to survive / recover, defense demand of Dy and "
                         "Tb (years from the first shock)",
                         floatfmt={c: ".2f" for c in tcols if "years" in c} | {
                             "p_exposed": ".0%"}))
    sel = prices[prices["element"].isin(["Nd", "Pr", "Dy", "Tb"])]
    ex = sel[sel["market"] == "ex_china"].sort_values("multiple_p50").groupby("element").tail(1)
    cn = sel[sel["market"] == "china_domestic"].sort_values("multiple_p50").groupby(
        "element").head(1)
    peak = pd.concat([ex, cn]).sort_values(["market", "element"], ascending=[False, True])
    pcols = ["element", "market", "quarter", "base_usd_kg", "multiple_p5", "multiple_p50",
             "multiple_p95", "usd_kg_p50"]
    out.print(rich_table(peak[pcols], title="Prices: ex-China peak and China-domestic trough "
                         "(quarter of the extreme median multiple of the 2025 base)",
                         floatfmt={"base_usd_kg": ",.0f", "usd_kg_p50": ",.0f",
                                   "multiple_p5": ".2f", "multiple_p50": ".2f",
                                   "multiple_p95": ".2f"}))
    gaps = baseline[baseline["coverage"] < 0.999]
    for _, g in gaps.iterrows():
        out.print(f"[yellow]note:[/] the unshocked chain routes only {g['coverage']:.0%} of US "
                  f"{g['element']} demand via {g['route']}s: that gap is structural, present "
                  "in every scenario.")
    if fan is not None:
        out.print(f"fan chart written to {fan}", markup=False)


@scenarios_app.command("list")
def scenarios_list(
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
) -> None:
    """List the preset scenarios."""
    from reeplan.sim.loader import load_scenario
    from reeplan.sim.presets import list_presets

    try:
        check_format(fmt)
        rows = []
        for name in list_presets():
            sc = load_scenario(name)
            rows.append({"name": name, "title": sc.title,
                         "shocks": len(sc.export_controls) + len(sc.outages)
                         + len(sc.demand_shifts) + len(sc.project_delays),
                         "includes": ", ".join(sc.includes) if hasattr(sc, "includes") else ""})
    except ReeError as exc:
        raise fail(exc) from None
    frame = pd.DataFrame(rows)
    if fmt == "json":
        write_json(frame)
    elif fmt == "csv":
        sys.stdout.write(frame.to_csv(index=False))
    else:
        out.print(rich_table(frame, title=f"Preset scenarios ({len(frame)})"))


@scenarios_app.command("show")
def scenarios_show(
    name: Annotated[str, typer.Argument(help="Preset name or scenario YAML file.")],
    fmt: Annotated[str, typer.Option("--format", help="table, json or yaml.")] = "table",
) -> None:
    """Show a scenario: its shocks, sources and settings (with includes resolved)."""
    from reeplan.sim.loader import load_scenario

    try:
        check_format(fmt, ("table", "json", "yaml"))
        sc = load_scenario(name)
    except ReeError as exc:
        raise fail(exc) from None
    data = sc.model_dump(mode="json", exclude_none=True)
    if fmt == "json":
        write_json(data)
        return
    if fmt == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        return
    out.print(f"[bold]{escape(sc.name)}[/] — {escape(sc.title)}")
    if sc.description:
        out.print(sc.description.strip(), markup=False)
    out.print(f"sources: {', '.join(sc.sources)}", markup=False)
    out.print(rich_table(pd.DataFrame(sc.summary()), title="Shocks"))
    blocks = {block: getattr(sc, block).model_dump(mode="json", exclude_none=True)
              for block in ("market", "inventory", "stockpile", "dpa")}
    for block, values in blocks.items():
        text = ", ".join(f"{k}={_short(v)}" for k, v in values.items()) or "(dataset defaults)"
        out.print(f"{block}: {text}", markup=False)
    for a in sc.assumptions:
        out.print(f"assumption: {a}", markup=False)


def _short(v: Any) -> str:
    if isinstance(v, dict):
        inner = ", ".join(f"{k}={x}" for k, x in v.items() if k != "source")
        return "{" + inner + "}"
    return str(v)


SCHEMA_KINDS = ("scenario", "threats", "package")


def json_schemas() -> dict[str, dict]:
    """JSON Schema (draft 2020-12) of the scenario, threat-model and package YAML files,
    generated from the pydantic models that validate them."""
    from reeplan.finance.instruments import Package
    from reeplan.sim.scenario import Scenario
    from reeplan.sim.threats import ThreatModel

    out = {}
    for kind, model in zip(SCHEMA_KINDS, (Scenario, ThreatModel, Package), strict=True):
        schema = _bare_sourced(model.model_json_schema())
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"https://reeplan.dev/schema/{kind}.schema.json", **schema}
        out[kind] = schema
    return out


def _bare_sourced(schema: dict) -> dict:
    """A sourced value ({value, source_id, grade, note}) may also be written as the bare value,
    as the loaders accept; the generated schema says so."""
    for definition in schema.get("$defs", {}).values():
        props = definition.get("properties", {})
        if "value" in props and "source_id" in props:
            bare = {k: v for k, v in props["value"].items() if k != "title"}
            obj = dict(definition)
            definition.clear()
            definition.update({"title": obj.get("title", ""),
                               "description": obj.get("description", ""),
                               "anyOf": [obj, bare]})
    return schema


@scenarios_app.command("schema")
def scenarios_schema(
    kind: Annotated[str, typer.Argument(
        help="scenario, threats or package.")] = "scenario",
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write every schema as KIND.schema.json into this folder instead.",
        show_default=False)] = None,
) -> None:
    """Print the JSON Schema of scenario (or threat-model, or award-package) YAML files."""
    from reeplan.io.jsonable import dumps

    try:
        if kind not in SCHEMA_KINDS:
            msg = f"KIND must be one of {', '.join(SCHEMA_KINDS)}, not {kind!r}"
            raise ReeError(msg)
        schemas = json_schemas()
    except ReeError as exc:
        raise fail(exc) from None
    if out_dir is None:
        write_json(schemas[kind])
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, schema in schemas.items():
        path = out_dir / f"{name}.schema.json"
        path.write_text(dumps(schema) + "\n", encoding="utf-8")
        out.print(f"wrote {path}", markup=False)
