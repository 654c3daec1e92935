"""What the routes and pages compute: thin adapters over :mod:`reeplan.workflows`.

Synchronous views (tables, exposure, validation, scenarios, appraisals) and the functions run
as background jobs (simulation, portfolio, full run). Every number comes from the same workflow
functions the CLI and the brief call, with the same settings and seed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from pydantic import ValidationError

from reeplan.api.jobs import JobContext, JobFn, JobOutput
from reeplan.api.workspace import Workspace
from reeplan.errors import DataError, Problem, ScenarioError
from reeplan.io.dataset import Dataset
from reeplan.io.jsonable import to_jsonable
from reeplan.settings import Settings
from reeplan.sim.loader import check_scenario, load_scenario, scenario_from_dict
from reeplan.sim.presets import list_presets
from reeplan.sim.scenario import Scenario
from reeplan.sim.tables import fan_table, shortfall_table, tts_table
from reeplan.sim.threats import ThreatModel, check_sources, load_threat_model
from reeplan.workflows.simulate import THREATS

__all__ = [
    "KEY_USES",
    "frame_rows",
    "portfolio_job",
    "preset_infos",
    "resolve_scenario",
    "run_job",
    "scenario_document",
    "simulation_job",
    "table_view",
]

KEY_USES = (("Dy", "defense"), ("Tb", "defense"), ("Nd", "defense"), ("Pr", "defense"))
"""Uses whose quarterly unmet demand a simulation job keeps (the what-if fan chart)."""
SOURCE_COLUMNS = ("source_id", "source", "sources", "source_ids")


# -- tables -------------------------------------------------------------------------------


def frame_rows(frame: pd.DataFrame, limit: int | None = None, offset: int = 0
               ) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and strict-JSON rows (NaN and inf as null) of a page of ``frame``."""
    page = frame.iloc[offset: offset + limit if limit is not None else None]
    rows = to_jsonable(page.to_dict(orient="records"))
    return [str(c) for c in frame.columns], rows


def table_view(ds: Dataset, name: str, limit: int, offset: int
               ) -> tuple[pd.DataFrame, pd.DataFrame, list[dict[str, Any]]]:
    """A page of table ``name`` (id as a column) and the ``sources`` rows it cites."""
    frame = with_id(ds[name])
    page = frame.iloc[offset: offset + limit]
    cited: set[str] = set()
    for col in SOURCE_COLUMNS:
        if col in page.columns:
            for v in page[col].dropna().astype(str):
                cited.update(s.strip() for s in v.replace(";", ",").split(",") if s.strip())
    src = ds["sources"]
    hits = with_id(src.loc[[s for s in sorted(cited) if s in src.index]])
    return frame, page, frame_rows(hits)[1]


def with_id(frame: pd.DataFrame) -> pd.DataFrame:
    """A dataset table with its ``id`` as the first column (once)."""
    if "id" in frame.columns:
        return frame.reset_index(drop=True)
    return frame.reset_index()


# -- scenarios ----------------------------------------------------------------------------


def preset_infos() -> list[dict[str, Any]]:
    """The preset scenarios and the threat model: name, title, kind, number of shocks."""
    out = []
    for name in list_presets():
        sc = load_scenario(name)
        out.append({"name": name, "title": sc.title, "kind": "preset",
                    "shocks": len(sc.export_controls) + len(sc.outages)
                    + len(sc.demand_shifts) + len(sc.project_delays)})
    tm = load_threat_model()
    out.append({"name": THREATS, "title": tm.title, "kind": "threats", "shocks": None})
    return out


def scenario_document(name: str) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
    """``(kind, title, definition, JSON schema)`` of a preset or of the threat model.

    The threat model's definition leaves out its event history (kept on the server).

    Raises
    ------
    ScenarioError
        When there is no such preset.
    """
    if name == THREATS:
        tm = load_threat_model()
        doc = tm.model_dump(mode="json", exclude={"history"})
        return "threats", tm.title, doc, ThreatModel.model_json_schema()
    if name not in list_presets():
        raise ScenarioError([Problem("scenario", None, "scenario",
                                     f"no preset {name!r} (presets: "
                                     f"{', '.join(list_presets())}, or {THREATS})")],
                            "unknown scenario")
    sc = load_scenario(name)
    return "preset", sc.title, sc.model_dump(mode="json", exclude_none=True), \
        Scenario.model_json_schema()


def _threat_problems(exc: ValidationError) -> list[Problem]:
    return [Problem("definition", None,
                    ".".join(str(p) for p in e["loc"]) or None,
                    str(e["msg"]).removeprefix("Value error, ")) for e in exc.errors()]


def threat_model(overrides: dict[str, Any] | None) -> ThreatModel:
    """The bundled threat model with top-level ``overrides`` (its history cannot be replaced).

    Raises
    ------
    ScenarioError
        Naming each invalid field.
    """
    base = load_threat_model()
    if not overrides:
        return base
    if "history" in overrides:
        raise ScenarioError([Problem("definition", None, "history",
                                     "the event history cannot be replaced through the API")],
                            "invalid threat model")
    raw = base.model_dump(mode="json")
    raw.update(overrides)
    try:
        return ThreatModel.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(_threat_problems(exc), "invalid threat model") from None


def custom_scenario(definition: dict[str, Any], ds: Dataset) -> Scenario:
    """Validate a user scenario with the scenario schema and check it against the dataset.

    Raises
    ------
    ScenarioError
        Naming each invalid field (``includes`` is refused: it would name files).
    """
    if definition.get("includes"):
        raise ScenarioError([Problem("definition", None, "includes",
                                     "includes name files on the server; send the whole "
                                     "scenario instead")], "invalid scenario")
    sc = scenario_from_dict(definition, "definition")
    check_scenario(sc, ds, "definition")
    return sc


def resolve_scenario(name: str | None, definition: dict[str, Any] | None, ds: Dataset
                     ) -> Scenario | ThreatModel:
    """The scenario of a simulation request (see :class:`~reeplan.api.schemas.SimulationCreate`).

    Raises
    ------
    ScenarioError
        Unknown preset, invalid definition, or both a preset and a definition.
    """
    if name == THREATS:
        tm = threat_model(definition)
        check_sources(tm, ds)
        return tm
    if name is not None and definition is not None:
        raise ScenarioError([Problem("request", None, "definition",
                                     "give a preset name or a definition, not both (edit a "
                                     "preset by sending its whole definition)")],
                            "invalid simulation request")
    if definition is not None:
        return custom_scenario(definition, ds)
    if name is None:
        raise ScenarioError([Problem("request", None, "scenario",
                                     "give a preset name, 'threats' or a definition")],
                            "invalid simulation request")
    scenario_document(name)  # raises for an unknown preset
    sc = load_scenario(name)
    check_scenario(sc, ds, name)
    return sc


# -- jobs ---------------------------------------------------------------------------------


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def simulation_job(ws: Workspace, sc: Scenario | ThreatModel, samples: int, seed: int,
                   overlay: str | None, workers: int = 1) -> JobFn:
    """The job that simulates ``sc``: shortfall, time to survive and the key uses' fan."""
    from reeplan.workflows.simulate import simulate

    def run(ctx: JobContext) -> JobOutput:
        ds = ws.dataset(overlay)
        ctx.report("network", 0, 1)
        net = ws.network(overlay)
        [res] = simulate(ds, [sc], samples, seed, network=net, scheduler=ctx.scheduler,
                         workers=1 if ctx.scheduler else workers, timeout=ctx.remaining(),
                         progress=lambda _n, done, total: ctx.report("simulate", done, total))
        short, tts = shortfall_table(res), tts_table(res)
        fan = fan_table(res, KEY_USES)
        tables: dict[str, pd.DataFrame] = {"shortfall": short, "time_to_survive": tts,
                                           "fan": fan,
                                           "scenario": pd.DataFrame([{
                                               "name": sc.name, "title": sc.title,
                                               "first_shock_quarter": res.first_shock,
                                               "definition": json.dumps(
                                                   sc.model_dump(mode="json",
                                                                 exclude={"history"}))}])}
        if overlay:
            tables.update(ws.overlay_tables(overlay))
        metrics: dict[str, Any] = {}
        with_nds = tts[tts["stockpile"] == tts["stockpile"].iloc[-1]] if len(tts) else tts
        for el in ("Dy", "Tb"):
            row = with_nds[(with_nds["element"] == el) & (with_nds["sector"] == "defense")]
            if len(row):
                metrics[f"tts_{el}_defense_p50"] = (
                    _finite(row["tts_years_p50"].iloc[0]), "years",
                    f"Time to survive, defense {el} (P50, years)")
        metrics["unmet_total_p50"] = (float(short["unmet_t_p50"].sum()), "t REO-eq",
                                      "Cumulative unmet US demand 2025–2040 (sum of P50s)")
        return JobOutput(tables, metrics)

    return run


def portfolio_job(ws: Workspace, scenarios: Sequence[str], spec: Any, samples: int, seed: int,
                  frontier_max: float, frontier_points: int, overlay: str | None) -> JobFn:
    """The job that recommends awards at a budget and traces the frontier with its awards."""
    from reeplan.workflows.portfolio import portfolio
    from reeplan.workflows.simulate import simulate

    def run(ctx: JobContext) -> JobOutput:
        ds = ws.dataset(overlay)
        chain = ws.chain(overlay)
        net = ws.network(overlay)
        sims = simulate(ds, list(scenarios), samples, seed, network=net,
                        scheduler=ctx.scheduler, timeout=ctx.remaining(),
                        progress=lambda name, d, t: ctx.report(f"simulate {name}", d, t))
        ctx.report("optimize", 0, 1)
        limited = spec.model_copy(update={"time_limit": min(spec.time_limit,
                                                            ctx.remaining() / 4)})
        out = portfolio(ds, chain, sims, limited, samples, seed, frontier_max=frontier_max,
                        frontier_points=frontier_points, explain=False)
        ctx.report("tables", 1, 1)
        frontier, awards = frontier_tables(out.frontier, out.options)
        tables = {"awards": out.awards, "groups": out.groups, "frontier": frontier,
                  "frontier_awards": awards}
        if overlay:
            tables.update(ws.overlay_tables(overlay))
        res = out.result
        metrics = {
            "portfolio_cost": (float(res.cost), "USD", "Scored cost of the recommended awards"),
            "expected_loss": (float(res.expected_loss), "t REO-eq",
                              "Expected weighted shortfall with the awards"),
            "baseline_loss": (float(res.baseline_loss), "t REO-eq",
                              "Expected weighted shortfall without awards"),
        }
        return JobOutput(tables, metrics)

    return run


def frontier_tables(frontier: pd.DataFrame, options: pd.DataFrame
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The frontier with tonnes avoided and $ per tonne, and the awards at each of its budgets.

    ``usd_per_t``: scored cost per weighted tonne of expected shortfall avoided (against no
    awards, the frontier's first point).
    """
    f = frontier.reset_index(drop=True).copy()
    base = float(f["expected_loss"].iloc[0]) if len(f) else 0.0
    f["avoided_t"] = base - f["expected_loss"].astype(float)
    f["usd_per_t"] = [c / a if a > 1e-9 else None
                      for c, a in zip(f["cost_usd"], f["avoided_t"], strict=True)]
    rows = []
    for i, r in f.iterrows():
        for item in filter(None, (s.strip() for s in str(r["projects"] or "").split(","))):
            project, _, option = item.partition(":")
            hit = options[(options["project"] == project) & (options["option"] == option)]
            o = hit.iloc[0] if len(hit) else None
            rows.append({"point": int(i), "budget_usd": float(r["budget_usd"]),
                         "project": project, "option": option,
                         "package": str(o["name"]) if o is not None else "",
                         "award_year": int(o["award_year"]) if o is not None else None,
                         "scored_cost_usd": float(o["cost_usd"]) if o is not None else None})
    cols = ["point", "budget_usd", "project", "option", "package", "award_year",
            "scored_cost_usd"]
    return f, pd.DataFrame(rows, columns=cols)


def run_job(ws: Workspace, settings: Settings, options: dict[str, Any], overlay: str | None
            ) -> JobFn:
    """The job that runs the main analysis and writes its brief next to the run."""
    from reeplan.brief import build_brief, write_brief
    from reeplan.workflows.run import RunOptions, run_analysis

    def run(ctx: JobContext) -> JobOutput:
        ds = ws.dataset(overlay)
        overlay_paths = (ws.overlay_dir(overlay),) if overlay else ()
        time_limit = min(settings.time_limit, ctx.remaining() / 8)
        opts = RunOptions.from_settings(settings, overlay=overlay_paths, time_limit=time_limit,
                                        **options)
        an = run_analysis(ds, opts, lambda step, d, t: ctx.report(step, d, t),
                          ctx.scheduler)
        ctx.report("brief", 1, 1)
        result = build_brief(an, settings)
        write_brief(result, ctx.artifacts)
        tables = dict(result.tables())
        if overlay:
            tables.update(ws.overlay_tables(overlay))
        return JobOutput(tables, {h.key: (h.value, h.unit, h.label)
                                  for h in result.headlines()}, result.timings)

    return run


def check_options(fn: Any, **kwargs: Any) -> Any:
    """Call a pydantic constructor; turn its errors into a DataError naming the fields."""
    try:
        return fn(**kwargs)
    except ValidationError as exc:
        raise DataError([Problem("request", None, ".".join(str(p) for p in e["loc"]) or None,
                                 str(e["msg"]).removeprefix("Value error, "))
                         for e in exc.errors()], "invalid options") from None


def ensure(cond: bool, field: str, message: str) -> None:
    """Raise a DataError naming ``field`` unless ``cond``."""
    if not cond:
        raise DataError([Problem("request", None, field, message)], "invalid request")


__all__ += ["check_options", "custom_scenario", "ensure", "frontier_tables", "threat_model",
            "with_id"]
