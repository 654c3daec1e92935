"""`reeplan run`: the main job end to end, recorded in the run store."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from reeplan.cli.common import (
    DataOpt,
    OverlayOpt,
    check_output_dir,
    err,
    fail,
    fault_point,
    load,
    os_errors,
    out,
    settings,
    write_json,
)
from reeplan.errors import ReeError

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add the ``run`` command to ``app``."""
    app.command("run")(run)


def run(
    data: DataOpt = None,
    overlay: OverlayOpt = None,
    budget: Annotated[float | None, typer.Option(
        help="Award budget for the portfolio, USD of scored cost \\[default: 2.5e9].",
        show_default=False)] = None,
    scenario: Annotated[list[str] | None, typer.Option(
        help="Disruption scenario (preset name or YAML file; repeatable). Default: the "
             "presets.")] = None,
    samples: Annotated[int | None, typer.Option(
        help="Monte Carlo samples per scenario and per appraised package \\[default: 1000].",
        show_default=False)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed \\[default: 20250404].",
                                             show_default=False)] = None,
    year: Annotated[int | None, typer.Option(
        help="Reference year of the exposure tables \\[default: 2025].", show_default=False)
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the brief.")] = Path("out"),
    store: Annotated[str | None, typer.Option(
        help="Run store: a SQLite path or URL, or postgresql://... (default: user data "
             "dir).")] = None,
    no_store: Annotated[bool, typer.Option("--no-store", help="Do not record the run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the headlines as JSON.")] = False,
    skip: Annotated[list[str] | None, typer.Option(
        help="Leave a step out: simulate, finance, optimize or consequences (repeatable).")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Dask scheduler address for the simulations (default: this machine).",
        show_default=False)] = None,
    objective: Annotated[str | None, typer.Option(
        "--objective", help="What the awards minimise: tonnes, value (USD of downstream "
        "output at risk) or defense (defense deliveries at risk); the brief also shows the "
        "portfolio under the others \\[default: tonnes].", show_default=False)] = None,
) -> None:
    """Run the main job: exposure, disruptions, award costs, portfolio; write the brief.

    All or nothing: inputs and --out are checked before any work; the brief's three files are
    published together (a per-run folder under OUT/runs and one rename of OUT/latest) and only
    after the run store has committed the run. Ctrl-C or SIGTERM records the run as
    ``interrupted by ...`` and exits with code 130.
    """
    from pydantic import ValidationError

    from reeplan.brief import build_brief, write_brief
    from reeplan.workflows.run import RunOptions, run_analysis

    try:
        st = settings(year=year, budget=budget, samples=samples, seed=seed,
                      objective=objective)
        try:
            config = RunOptions.from_settings(
                st, data=data, overlay=tuple(overlay or ()), scenarios=tuple(scenario or ()),
                skip=tuple(skip or ()))
        except ValidationError as exc:
            first = exc.errors()[0]
            msg = f"option --{str(first['loc'][0]).replace('_', '-')}: {first['msg']}"
            raise ReeError(msg) from None
        check_output_dir(out_dir, "--out")
        ds = load(data, overlay)
        _check_year(ds, config.year)
        with _recorded(store, no_store, ds, config) as (run_store, active):
            with Progress(TextColumn("[bold]{task.description:<10}"), BarColumn(),
                          TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                          console=err, transient=False, disable=as_json) as bar:
                task = bar.add_task("load", total=1)

                def progress(step: str, done: int, total: int) -> None:
                    bar.update(task, description=step, completed=done, total=total)

                result = build_brief(run_analysis(ds, config, progress, scheduler), st)
            fault_point("after_analysis")

            def commit() -> None:
                """The store commits before the brief is published."""
                if active is not None:
                    active.record(tables=result.tables(),
                                  metrics={h.key: (h.value, h.unit, h.label)
                                           for h in result.headlines()},
                                  timings=result.timings)
                    active.commit()
                fault_point("before_publish")

            with os_errors(f"write the brief to {out_dir}"):
                paths = write_brief(result, out_dir, before_publish=commit)
            fault_point("after_publish")
        run_id = active.id if active is not None else None
        where = run_store.url if run_store is not None else None
    except ReeError as exc:
        raise fail(exc) from None
    if as_json:
        from reeplan.brief.findings import findings

        write_json({"run_id": run_id, "files": [str(p) for p in paths],
                    "findings": [f.to_dict() for f in findings(result)],
                    "headlines": {h.key: h.value for h in result.headlines()}})
        return
    _print_summary(result, paths, run_id, where)


def _print_summary(result, paths, run_id, where) -> None:
    """The findings, the recommended awards' risks, then the files written."""
    from reeplan.brief.findings import findings, risks

    out.print("[bold]Findings[/]")
    for i, f in enumerate(findings(result), start=1):
        out.print(f"{i}. [bold]{escape(f.title)}.[/] {escape(f.text)}")
        meta = (f"uncertainty: {f.uncertainty}; " if f.uncertainty else "") + f"source: {f.source}"
        out.print(f"   [dim]{escape(meta)}[/]")
    rs = risks(result)
    if rs:
        out.print("[bold]Biggest risks[/]")
        for r in rs:
            out.print(f"  - {escape(r)}")
    if run_id:
        out.print(f"run {run_id} recorded in the run store ({escape(where or 'default')})")
    for p in paths:
        out.print(f"wrote {escape(str(p))}")


def _check_year(ds, year: int) -> None:
    """--year must be a year of the dataset's mine production (checked before any work)."""
    years = sorted({int(y) for y in ds["mine_production"]["year"]})
    if year not in years:
        msg = (f"--year {year}: the dataset has mine production for "
               f"{', '.join(map(str, years))} only; choose one of those years")
        raise ReeError(msg)


@contextmanager
def _recorded(store: str | None, no_store: bool, ds, config):
    """Record the run in the store, with a heartbeat while it runs: failed (and re-raised) on
    any error, ``interrupted by Ctrl-C`` or ``interrupted by SIGTERM`` on a signal."""
    if no_store:
        yield None, None
        return
    from reeplan.store import RunStore
    from reeplan.version import code_version

    run_store = RunStore(store)
    try:
        with run_store.run("run", config.model_dump(mode="json"), ds.digest,
                           [str(p) for p in ds.paths], config.seed,
                           code_version=code_version()) as active:
            yield run_store, active
    finally:
        run_store.close()
