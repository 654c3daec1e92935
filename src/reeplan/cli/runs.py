"""``reeplan runs``: list, show and compare the runs recorded in the run store.

A thin adapter over :mod:`reeplan.store`; every :class:`~reeplan.errors.ReeError` becomes a
message on stderr and exit code 1, never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from reeplan.cli.common import write_json
from reeplan.errors import ReeError

if TYPE_CHECKING:
    from reeplan.store import Run, RunDiff, RunStore

__all__ = ["register", "runs_app"]

runs_app = typer.Typer(help="List, show and compare recorded runs.", no_args_is_help=True)

out = Console(highlight=False, soft_wrap=False, width=140)
err = Console(stderr=True, highlight=False, width=140)

StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Run store: a SQLite file path, sqlite:///PATH or "
                 "postgresql://USER:PASSWORD@HOST:PORT/DB (default: $REEPLAN_STORE, else "
                 "runs.sqlite in the user data directory).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

_STATUS_STYLE = {"succeeded": "green", "failed": "red", "running": "yellow",
                 "stale": "magenta"}


def register(app: typer.Typer) -> None:
    """Add the ``runs`` command group to ``app``."""
    app.add_typer(runs_app, name="runs")


@contextmanager
def _store(url: str | None) -> Iterator[RunStore]:
    """Open the store; any ReeError inside becomes a message and exit code 1."""
    from reeplan.store import RunStore

    try:
        with RunStore(url) as store:
            yield store
    except ReeError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None


def _dump(obj: Any) -> None:
    write_json(obj)


@runs_app.command("list")
def runs_list(
    store: StoreOpt = None,
    limit: Annotated[int, typer.Option(help="Most recent runs to show (0 = all).")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """List recorded runs, most recent first."""
    with _store(store) as st:
        runs = st.list_runs(limit or None)
        url, lease = st.url, st.lease
    if as_json:
        _dump({"store": url, "count": len(runs), "data": [r.to_dict() for r in runs]})
        return
    if not runs:
        out.print(f"no runs recorded in {escape(url)}")
        return
    t = Table(title=f"Runs in {escape(url)}", title_justify="left")
    for col, justify in [("id", "left"), ("status", "left"), ("started (UTC)", "left"),
                         ("seconds", "right"), ("command", "left"), ("seed", "right"),
                         ("dataset", "left"), ("overlays", "right"), ("code", "left")]:
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for r in runs:
        t.add_row(
            r.id[:8],
            _status(r.status),
            _when(r.started_at),
            _seconds(r.duration),
            escape(r.command),
            "" if r.seed is None else str(r.seed),
            r.dataset_digest[:12],
            str(max(len(r.dataset_paths) - 1, 0)),
            escape(r.code_version),
        )
    out.print(t)
    if any(r.status == "stale" for r in runs):
        out.print(f"stale: no heartbeat for more than {lease:g} s; the run's process died or lost "
                  "the store, and the run will never finish.")


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(metavar="ID", help="Run id or a unique prefix.")],
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show one run: inputs, provenance, timings, headline metrics and result tables."""
    with _store(store) as st:
        run = st.get_run(run_id)
    if as_json:
        _dump(run.to_dict(results=True))
        return
    _print_run(run)


@runs_app.command("diff")
def runs_diff(
    a: Annotated[str, typer.Argument(metavar="A", help="First run (id or unique prefix).")],
    b: Annotated[str, typer.Argument(metavar="B", help="Second run (id or unique prefix).")],
    store: StoreOpt = None,
    show_all: Annotated[bool, typer.Option("--all", help="List unchanged metrics too.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Compare two runs: what changed in the inputs and in the headline results."""
    with _store(store) as st:
        diff = st.diff_runs(a, b)
    if as_json:
        _dump(diff.to_dict())
        return
    _print_diff(diff, show_all=show_all)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _print_run(run: Run) -> None:
    out.print(f"[bold]run {run.id}[/] {_status(run.status)}")
    finished = _when(run.finished_at) if run.finished_at else "-"
    rows = [
        ("command", escape(run.command)),
        ("started", f"{_when(run.started_at)} UTC"),
        ("finished", f"{finished} UTC ({_seconds(run.duration)} s)" if run.finished_at
         else "- (stale: its process died; last heartbeat "
              f"{_when(run.heartbeat_at or run.started_at)} UTC)" if run.status == "stale"
         else "- (still running)"),
        ("code version", escape(run.code_version)),
        ("seed", "" if run.seed is None else str(run.seed)),
        ("dataset sha256", run.dataset_digest),
        ("dataset paths", escape(", ".join(run.dataset_paths)) or "-"),
    ]
    rows += [(f"option {k}", escape(_fmt(v))) for k, v in sorted(run.options.items())]
    if run.error:
        rows.append(("error", f"[red]{escape(run.error)}[/]"))
    info = Table.grid(padding=(0, 2))
    info.add_column(style="bold")
    info.add_column()
    for k, v in rows:
        info.add_row(k, v)
    out.print(info)
    if run.timings:
        t = Table(title="Timings", title_justify="left")
        t.add_column("step")
        t.add_column("seconds", justify="right")
        for step, s in run.timings.items():
            t.add_row(escape(step), f"{s:.3f}")
        t.add_row("[bold]total[/]", f"[bold]{sum(run.timings.values()):.3f}[/]")
        out.print(t)
    if run.metrics:
        t = Table(title="Headline results", title_justify="left")
        for col, justify in [("key", "left"), ("label", "left"), ("value", "right"),
                             ("unit", "left")]:
            t.add_column(col, justify=justify)  # type: ignore[arg-type]
        for key, m in run.metrics.items():
            t.add_row(escape(key), escape(m.label or ""), _num(m.value), escape(m.unit or ""))
        out.print(t)
    if run.results:
        t = Table(title="Result tables", title_justify="left")
        t.add_column("name")
        t.add_column("rows", justify="right")
        t.add_column("columns")
        for name, frame in run.results.items():
            cols = [str(c) for c in (*frame.index.names, *frame.columns) if c is not None]
            t.add_row(escape(name), str(len(frame)), escape(", ".join(cols)))
        out.print(t)
    elif run.status == "succeeded":
        out.print("no result tables")


def _print_diff(diff: RunDiff, *, show_all: bool) -> None:
    a, b = diff.a, diff.b
    out.print(f"[bold]A[/] {a.id} {_status(a.status)} started {_when(a.started_at)} UTC")
    out.print(f"[bold]B[/] {b.id} {_status(b.status)} started {_when(b.started_at)} UTC")
    if diff.same_inputs:
        out.print("Inputs: identical (command, options, dataset, overlays, seed, code version)")
    else:
        t = Table(title=f"Inputs that changed ({len(diff.inputs)})", title_justify="left")
        t.add_column("input")
        t.add_column("A", overflow="fold")
        t.add_column("B", overflow="fold")
        for c in diff.inputs:
            t.add_row(escape(_input_name(c.field)), escape(_fmt(c.a)), escape(_fmt(c.b)))
        out.print(t)
    changed = diff.changed_metrics
    shown = diff.metrics if show_all else changed
    if not diff.metrics:
        out.print("Headline results: neither run has any")
        return
    if not shown:
        out.print(f"Headline results: all {len(diff.metrics)} unchanged")
        return
    t = Table(title=f"Headline results that changed ({len(changed)} of {len(diff.metrics)})"
              if not show_all else f"Headline results ({len(changed)} of {len(diff.metrics)} "
              "changed)", title_justify="left")
    for col, justify in [("metric", "left"), ("unit", "left"), ("A", "right"), ("B", "right"),
                         ("change", "right"), ("relative", "right")]:
        t.add_column(col, justify=justify)  # type: ignore[arg-type]
    for m in shown:
        name = escape(m.label or m.key)
        if m.label and m.label != m.key:
            name += f" [dim]({escape(m.key)})[/]"
        rel = "" if m.relative_change is None else f"{m.relative_change:+.1%}"
        change = "" if m.change is None else _num(m.change, signed=True)
        t.add_row(name, escape(m.unit or ""), _num(m.a), _num(m.b), change, rel,
                  style=None if m.changed else "dim")
    out.print(t)


def _input_name(field: str) -> str:
    names = {"dataset_digest": "dataset sha256", "dataset_paths": "dataset and overlay paths",
             "code_version": "code version"}
    return names.get(field, field)


def _status(status: str) -> str:
    return f"[{_STATUS_STYLE.get(status, 'white')}]{status}[/]"


def _when(ts: datetime | None) -> str:
    return "" if ts is None else ts.strftime("%Y-%m-%d %H:%M:%S")


def _seconds(s: float | None) -> str:
    return "" if s is None else f"{s:.1f}"


def _num(v: float | None, *, signed: bool = False) -> str:
    """A number without scientific notation (1,227,849,465 not 1.22785e+09)."""
    if v is None:
        return "-"
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    text = f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4f}".rstrip("0").rstrip(".")
    return f"+{text}" if signed and v >= 0 and text != "0" else text


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, list):
        return ", ".join(_fmt(x) for x in v) if v else "(none)"
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True)
    return str(v)

