"""`reeplan run`: the main job end to end, recorded in the run store."""

from __future__ import annotations

import json
import signal
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from reeplan.cli_common import DataOpt, OverlayOpt, err, fail, load, out, rich_table
from reeplan.errors import ReeError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""
    app.command("run")(run)


def run(
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    budget: Annotated[float, typer.Option(help="Award budget for the portfolio, USD.")] = 2.5e9,
    scenario: Annotated[list[str] | None, typer.Option(
        help="Disruption scenario (preset name or YAML file; repeatable). Default: the "
             "presets.")] = None,
    samples: Annotated[int, typer.Option(help="Monte Carlo samples per scenario.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20250404,
    year: Annotated[int, typer.Option(help="Reference year of the exposure tables.")] = 2025,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the brief.")] = Path("out"),
    store: Annotated[str | None, typer.Option(
        help="Run store: a SQLite path or URL, or postgresql://... (default: user data "
             "dir).")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the headlines as JSON.")] = False,
    skip: Annotated[list[str] | None, typer.Option(
        help="Leave a step out: simulate, finance or optimize (repeatable).")] = None,
) -> None:
    """Run the main job: exposure, disruptions, award costs, portfolio; write the brief."""
    from pydantic import ValidationError

    from reeplan.pipeline import RunConfig, run_pipeline
    from reeplan.report.render import format_value, write_brief

    try:
        try:
            config = RunConfig(data=data, overlay=tuple(overlay or ()), year=year, budget=budget,
                               scenarios=tuple(scenario or ()), samples=samples, seed=seed,
                               skip=tuple(skip or ()))
        except ValidationError as exc:
            first = exc.errors()[0]
            msg = f"option --{first['loc'][0]}: {first['msg']}"
            raise ReeError(msg) from None
        ds = load(data, overlay)
        with _recorded(store, no_store, ds, config) as (_store, active):
            with Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(),
                          TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                          console=err, transient=False, disable=as_json) as bar:
                task = bar.add_task("load", total=1)

                def progress(step: str, done: int, total: int) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                result = run_pipeline(config, progress, dataset=ds)
            paths = write_brief(result, out_dir)
            if active is not None:
                active.record(tables=result.tables(),
                              metrics={h.key: (h.value, h.unit, h.label)
                                       for h in result.headlines()},
                              timings=result.timings)
        run_id = active.id if active is not None else None
    except ReeError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps({
            "run_id": run_id, "files": [str(p) for p in paths],
            "headlines": {h.key: h.value for h in result.headlines()}}, indent=1,
            default=str) + "\n")
        return
    summary = result.section("summary")
    out.print(rich_table(summary.tables["mine_production"],
                         title=f"World mine production {year} (t REO, USGS)",
                         floatfmt={"production_t": ",.0f", "share": ".1%"}))
    out.print(rich_table(summary.tables["stage_concentration"],
                         title="China's share and HHI by stage",
                         floatfmt={"adversary_share": ".1%", "hhi": ".3f"}))
    out.print(rich_table(summary.tables["us_net_import_reliance"],
                         title="US net import reliance, rare-earth compounds and metals (USGS "
                         "definition, (C − P)/C)",
                         floatfmt={"nir_computed": ".1%", "production_t": ",.0f",
                                   "apparent_consumption_t": ",.0f"}))
    out.print("[bold]Headlines[/]")
    for h in result.headlines():
        out.print(f"  {h.label}: [bold]{format_value(h.value, h.unit)}[/]")
    if run_id:
        out.print(f"run {run_id} recorded in the run store ({store or 'default'})")
    for p in paths:
        out.print(f"wrote {p}")


@contextmanager
def _recorded(store: str | None, no_store: bool, ds, config):
    """Record the run in the store: failed (and re-raised) on any error, Ctrl-C or SIGTERM."""
    if no_store:
        yield None, None
        return
    from reeplan.pipeline import code_version
    from reeplan.store import RunStore

    run_store = RunStore(store)

    def terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"terminated by signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        with run_store.run("run", config.model_dump(mode="json"), ds.digest,
                           [str(p) for p in ds.paths], config.seed,
                           code_version=code_version()) as active:
            yield run_store, active
    finally:
        signal.signal(signal.SIGTERM, previous)
