"""The dashboard: Jinja pages and htmx fragments over the same services as the API.

Pages are plain server-rendered HTML; htmx attributes swap fragments in (filters, forms, job
polling, the budget slider). Every asset is served by this app: htmx from ``/static``,
plotly.js from the installed plotly package at ``/assets/plotly.min.js``. Jinja autoescapes
everything; figures are plotly's own HTML.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from reeplan.api.deps import (
    AnalystDep,
    ApiSettingsDep,
    JobsDep,
    SettingsDep,
    StoreDep,
    UserDep,
    WorkspaceDep,
    require_htmx,
)
from reeplan.api.forms import apply_form, form_fields
from reeplan.api.jobs import COMMAND_PREFIX
from reeplan.api.routes.jobs import RUN_ID, find_job
from reeplan.api.security import COOKIE, lookup
from reeplan.api.services import (
    custom_scenario,
    frame_rows,
    portfolio_job,
    preset_infos,
    run_job,
    scenario_document,
    simulation_job,
    threat_model,
    with_id,
)
from reeplan.errors import ReeError
from reeplan.workflows.simulate import THREATS

__all__ = ["plotly_dir", "render", "router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
HtmxDep = Depends(require_htmx)
UI_SAMPLES = 1000
"""Default samples of a what-if run from the dashboard."""

NAV = [("/", "Overview"), ("/chain", "Supply chain"), ("/whatif", "What-if"),
       ("/awards", "Awards"), ("/portfolio", "Portfolio"), ("/runs", "Runs")]


def plotly_dir() -> Path:
    """The folder of the installed plotly package's ``plotly.min.js``."""
    import plotly

    return Path(plotly.__file__).parent / "package_data"


def fmt(value: Any, col: str = "") -> str:
    """A table cell: shares as %, money with separators, other floats to 4 figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, float) and math.isinf(value):
        return "never" if value > 0 else "-inf"
    c = col.lower()
    if any(k in c for k in ("share", "nir", "independence", "probability", "p_", "reduction")):
        return f"{value:.1%}"
    if "usd" in c and abs(value) >= 1000:
        return f"${value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if "year" not in c and "seed" not in c else str(value)
    return f"{value:,.4g}"


templates.env.filters["fmt"] = fmt


def fig_html(fig: Any) -> Markup:
    """A figure's HTML (plotly.js is loaded once by the page)."""
    plot = getattr(fig, "plotly", fig)
    return Markup(plot.to_html(full_html=False, include_plotlyjs=False,
                               config={"displaylogo": False, "responsive": True}))


def render(request: Request, name: str, **ctx: Any) -> HTMLResponse:
    """Render a template with the navigation and the user."""
    return templates.TemplateResponse(request, name, {"nav": NAV, "path": request.url.path,
                                                      "who": getattr(request.state, "user",
                                                                     None), **ctx})


def error(request: Request, exc: Exception) -> HTMLResponse:
    """A fragment listing what was wrong (htmx swaps 200 responses only)."""
    problems = [str(p) for p in getattr(exc, "problems", [])] or [str(exc)]
    return render(request, "error.html", header=getattr(exc, "header", "error"),
                  problems=problems)


def table(frame: pd.DataFrame, limit: int | None = None) -> dict[str, Any]:
    cols, rows = frame_rows(frame, limit)
    return {"columns": cols, "rows": rows, "count": len(frame)}


# -- assets, login ----------------------------------------------------------------------------


@router.get("/assets/plotly.min.js")
def plotly_js() -> FileResponse:
    return FileResponse(plotly_dir() / "plotly.min.js", media_type="text/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", next=next if next.startswith("/") else "/",
                  failed=False)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, api: ApiSettingsDep, token: Annotated[str, Form(max_length=500)],
          next: Annotated[str, Form(max_length=500)] = "/") -> Response:
    user = lookup(api, token)
    if user is None:
        return render(request, "login.html", next=next, failed=True)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(COOKIE, token, httponly=True, samesite="strict",
                    secure=request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout() -> Response:
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


# -- overview ---------------------------------------------------------------------------------


def _quick_headlines(ws: Any, year: int) -> list[dict[str, Any]]:
    from reeplan.brief.render import format_value
    from reeplan.brief.sections.exposure import summary_section
    from reeplan.indicators.summary import build_summary

    def build() -> list[dict[str, Any]]:
        sec = summary_section(build_summary(ws.dataset(), year), year)
        return [{"label": h.label, "display": format_value(h.value, h.unit),
                 "source": h.source} for h in sec.headlines]

    return ws._cached(f"overview:{year}", build)


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, store: StoreDep, ws: WorkspaceDep, settings: SettingsDep,
             user: UserDep) -> HTMLResponse:
    from reeplan.brief.render import format_value

    latest = next((r for r in store.list_runs(100, status="succeeded")
                   if r.command in ("run", f"{COMMAND_PREFIX}run")), None)
    run_heads: list[dict[str, Any]] = []
    if latest is not None:
        run = store.get_run(latest.id)
        run_heads = [{"label": m.label or k, "display": format_value(m.value, m.unit or ""),
                      "key": k} for k, m in run.metrics.items()]
    return render(request, "overview.html", latest=latest, run_heads=run_heads,
                  quick=_quick_headlines(ws, settings.year), year=settings.year,
                  can_submit=user.can_submit)


@router.post("/ui/runs", response_class=HTMLResponse, dependencies=[HtmxDep])
def ui_run(request: Request, ws: WorkspaceDep, jobs: JobsDep, settings: SettingsDep,
           api: ApiSettingsDep, user: AnalystDep,
           samples: Annotated[int, Form(ge=1, le=200_000)] = 200) -> HTMLResponse:
    try:
        if samples > api.max_samples:
            raise ReeError(f"samples: at most {api.max_samples} on this server")
        ds = ws.dataset()
        options = {"samples": samples, "seed": settings.seed, "chokepoints": False,
                   "frontier_points": 4}
        job = jobs.submit("run", user.name, options, ds.digest, [str(p) for p in ds.paths],
                          settings.seed, run_job(ws, settings, options, None))
    except ReeError as exc:
        return error(request, exc)
    return render(request, "job.html", job=find_job(jobs, request.app.state.store, job.id),
                  view="run")


# -- supply chain -------------------------------------------------------------------------


@router.get("/chain", response_class=HTMLResponse)
def chain_page(request: Request, ws: WorkspaceDep, settings: SettingsDep, user: UserDep
               ) -> HTMLResponse:
    from reeplan.chain.model import GROUPS

    chain = ws.chain()
    stages = [str(s) for s in ws.dataset()["stages"].index]
    return render(request, "chain.html", elements=[*GROUPS, *map(str, chain.elements)],
                  years=list(range(2022, 2041)), stages=stages, year=settings.year,
                  element="NdPr")


@router.get("/ui/chain", response_class=HTMLResponse)
def ui_chain(request: Request, ws: WorkspaceDep, user: UserDep,
             element: Annotated[str, Query(max_length=20)] = "NdPr",
             year: Annotated[int, Query(ge=2022, le=2040)] = 2025,
             stage: Annotated[str, Query(max_length=30)] = "") -> HTMLResponse:
    """Sankey, China-share heatmap, exposure and facilities for the filters (figures cached)."""
    try:
        view = ws.recent(f"chain:{element}:{year}:{stage}",
                         lambda: _chain_view(ws, element, year, stage))
    except ReeError as exc:
        return error(request, exc)
    return render(request, "chain_view.html", **view)


def _chain_view(ws: Any, element: str, year: int, stage: str) -> dict[str, Any]:
    """The chain page's data and figures for one choice of filters."""
    from reeplan.brief.plots import china_share_heatmap, sankey_figure
    from reeplan.indicators.views import adversary_share_matrix, resolve_elements, sankey_flows

    ds, chain = ws.dataset(), ws.chain()
    try:
        elements = resolve_elements(chain, element)
    except ValueError as exc:
        raise ReeError(str(exc)) from None
    expo = ws.exposure(year, elements)[1]
    flows = sankey_flows(chain, elements, year)
    share = adversary_share_matrix(chain, year)
    share = share.sel(element=[e for e in elements if e in share.element.values])
    if stage:
        if stage not in share.stage.values:
            raise ReeError(f"no stage {stage!r}")
        flows = flows[(flows["stage_from"] == stage) | (flows["stage_to"] == stage)]
        expo = expo[expo["stage"] == stage]
        share = share.sel(stage=[stage])
    fac = with_id(ds["facilities"])
    if stage:
        fac = fac[fac["stage"] == stage]
    src = ds["sources"]
    fac = fac.assign(source_title=[str(src.loc[s, "title"]) if s in src.index else ""
                                   for s in fac["source_id"]],
                     source_url=[str(src.loc[s, "url"]) if s in src.index else ""
                                 for s in fac["source_id"]])
    cols = ["id", "name", "owner", "country", "stage", "product", "capacity",
            "capacity_unit", "status", "grade", "source_id", "source_title", "source_url"]
    label = "+".join(elements) if len(elements) <= 3 else element
    sankey = (fig_html(sankey_figure(flows, f"{label} flows {year} (t REO-eq)"))
              if len(flows) else None)
    heat = (fig_html(china_share_heatmap(share, f"China's share {year}"))
            if share.size else None)
    return {"sankey": sankey, "heatmap": heat, "exposure": table(expo.reset_index(drop=True)),
            "facilities": fac[cols].to_dict(orient="records"), "year": year,
            "element": element, "stage": stage}


# -- what-if ------------------------------------------------------------------------------


@router.get("/whatif", response_class=HTMLResponse)
def whatif_page(request: Request, ws: WorkspaceDep, user: UserDep) -> HTMLResponse:
    return render(request, "whatif.html", scenarios=ws._cached("presets", preset_infos),
                  samples=UI_SAMPLES,
                  can_submit=user.can_submit)


@router.get("/ui/whatif/form", response_class=HTMLResponse)
def ui_whatif_form(request: Request, user: UserDep,
                   scenario: Annotated[str, Query(max_length=100)] = THREATS) -> HTMLResponse:
    try:
        kind, title, doc, schema = scenario_document(scenario)
    except ReeError as exc:
        return error(request, exc)
    fields = form_fields(doc, schema)
    groups: dict[str, list[Any]] = {}
    for f in fields:
        groups.setdefault(f.group, []).append(f)
    return render(request, "whatif_form.html", scenario=scenario, title=title, kind=kind,
                  groups=groups, samples=UI_SAMPLES, can_submit=user.can_submit)


@router.post("/ui/whatif/run", response_class=HTMLResponse, dependencies=[HtmxDep])
async def ui_whatif_run(request: Request, ws: WorkspaceDep, jobs: JobsDep,
                        settings: SettingsDep, api: ApiSettingsDep, user: AnalystDep
                        ) -> HTMLResponse:
    from starlette.concurrency import run_in_threadpool

    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    return await run_in_threadpool(_whatif_submit, request, form, ws, jobs, settings, api, user)


def _whatif_submit(request: Request, form: dict[str, str], ws: Any, jobs: Any, settings: Any,
                   api: Any, user: Any) -> HTMLResponse:
    try:
        name = form.get("scenario", "")
        try:
            samples = int(form.get("samples", str(UI_SAMPLES)))
        except ValueError:
            raise ReeError("samples: must be a whole number") from None
        if not 1 <= samples <= api.max_samples:
            raise ReeError(f"samples: between 1 and {api.max_samples}")
        kind, _title, doc, _schema = scenario_document(name)
        edited = apply_form(doc, form)
        ds = ws.dataset()
        sc = threat_model(edited) if kind == "threats" else custom_scenario(edited, ds)
        if kind == "threats":
            from reeplan.sim.threats import check_sources

            check_sources(sc, ds)
        options = {"scenario": sc.name, "samples": samples, "seed": settings.seed,
                   "custom": edited != doc, "overlay": None}
        job = jobs.submit("simulation", user.name, options, ds.digest,
                          [str(p) for p in ds.paths], settings.seed,
                          simulation_job(ws, sc, samples, settings.seed, None,
                                         settings.workers))
    except ReeError as exc:
        return error(request, exc)
    return render(request, "job.html", job=find_job(jobs, request.app.state.store, job.id),
                  view="whatif")


def _whatif_result(request: Request, run: Any) -> HTMLResponse:
    from reeplan.brief.plots import fan_chart

    fan = run.results["fan"]
    pct = pd.DataFrame({"quarter": fan["quarter"], "p5": fan["unmet_t_p5"],
                        "p50": fan["unmet_t_p50"], "p95": fan["unmet_t_p95"],
                        "label": fan["element"] + " " + fan["sector"]})
    sc = run.results["scenario"].iloc[0]
    chart = fig_html(fan_chart(pct, f"Unmet US defense demand — {sc['title']}",
                               "t REO-eq per quarter"))
    tts = run.results["time_to_survive"]
    key = tts[tts["sector"] == "defense"]
    key = key[key["element"].isin(["Dy", "Tb", "Nd", "Pr"])]
    cols = ["element", "sector", "stockpile", "tts_years_p5", "tts_years_p50",
            "tts_years_p95", "ttr_years_p50", "p_exposed"]
    return render(request, "whatif_result.html", run=run, chart=chart, scenario=sc,
                  tts=table(key[cols].reset_index(drop=True)))


# -- jobs (polling) ---------------------------------------------------------------------------


@router.get("/ui/jobs/{job_id}/{view}", response_class=HTMLResponse)
def ui_job(request: Request, job_id: str,
           view: str, jobs: JobsDep, store: StoreDep, user: UserDep) -> HTMLResponse:
    import re

    if not re.fullmatch(RUN_ID, job_id) or view not in ("whatif", "portfolio", "run"):
        return error(request, ReeError("unknown job view"))
    try:
        job = find_job(jobs, store, job_id)
        if job.status != "succeeded":
            return render(request, "job.html", job=job, view=view)
        run = store.get_run(job.id)
    except (ReeError, Exception) as exc:  # an unknown id, a store error
        return error(request, exc)
    if view == "whatif":
        return _whatif_result(request, run)
    if view == "portfolio":
        return _portfolio_view(request, run, 0)
    return render(request, "run_done.html", run=run)


@router.post("/ui/jobs/{job_id}/cancel", response_class=HTMLResponse, dependencies=[HtmxDep])
def ui_cancel(request: Request, job_id: str, jobs: JobsDep, store: StoreDep,
              user: AnalystDep,
              view: Annotated[str, Query(pattern=r"^(whatif|portfolio|run)$")] = "whatif"
              ) -> HTMLResponse:
    job = jobs.cancel(job_id, user.name)
    if job is None:
        return error(request, ReeError("this server does not run that job"))
    return render(request, "job.html", job=find_job(jobs, store, job.id), view=view)


# -- awards -------------------------------------------------------------------------------


@router.get("/awards", response_class=HTMLResponse)
def awards_page(request: Request, ws: WorkspaceDep, user: UserDep) -> HTMLResponse:
    from reeplan.finance.inputs import finance_inputs
    from reeplan.finance.loader import list_package_presets

    def build() -> dict[str, Any]:
        fin = finance_inputs(ws.dataset())
        packages = [fin.package(p) for p in list_package_presets()]
        return {"projects": sorted(fin.projects()),
                "packages": [{"id": p.id, "project": p.project} for p in packages]}

    return render(request, "awards.html", **ws._cached("awards-page", build))


@router.post("/ui/awards", response_class=HTMLResponse, dependencies=[HtmxDep])
def ui_awards(request: Request, ws: WorkspaceDep, settings: SettingsDep, user: UserDep,
              project: Annotated[str, Form(max_length=100)],
              packages: Annotated[list[str] | None, Form()] = None,
              samples: Annotated[int, Form(ge=1, le=5000)] = 300) -> HTMLResponse:
    from reeplan.finance.inputs import finance_inputs
    from reeplan.finance.loader import list_package_presets
    from reeplan.workflows.appraise import appraise

    try:
        ds = ws.dataset()
        if project not in finance_inputs(ds).projects():
            raise ReeError(f"project: no preset project {project!r}")
        chosen = [p for p in (packages or []) if p]
        bad = [p for p in chosen if p not in list_package_presets()]
        if bad:
            raise ReeError(f"packages: no preset package {bad[0]!r}")
        res = appraise(ds, project, chosen, samples, settings.seed, force=True)
    except ReeError as exc:
        return error(request, exc)
    return render(request, "awards_result.html", project=project, samples=samples,
                  result=table(res.table))


# -- portfolio ----------------------------------------------------------------------------


def _portfolio_runs(store: Any) -> list[Any]:
    return [r for r in store.list_runs(100, status="succeeded")
            if r.command == f"{COMMAND_PREFIX}portfolio"]


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio_page(request: Request, store: StoreDep, user: UserDep,
                   run: Annotated[str | None, Query(pattern=RUN_ID)] = None) -> HTMLResponse:
    runs = _portfolio_runs(store)
    chosen = run or (runs[0].id if runs else None)
    view = None
    if chosen is not None:
        try:
            view = _portfolio_view(request, store.get_run(chosen), 0).body.decode()
        except (ReeError, KeyError) as exc:
            view = error(request, exc).body.decode()
    return render(request, "portfolio.html", runs=runs, chosen=chosen,
                  view=Markup(view) if view else None, can_submit=user.can_submit)


def _portfolio_view(request: Request, run: Any, point: int) -> HTMLResponse:
    from reeplan.brief.plots import frontier_figure

    if run.command != f"{COMMAND_PREFIX}portfolio" or "frontier" not in run.results:
        raise ReeError(f"run {run.id} is not a portfolio")
    f = run.results["frontier"]
    point = min(max(point, 0), len(f) - 1)
    chart = fig_html(frontier_figure(f))
    return render(request, "portfolio_view.html", run=run, frontier=f, n=len(f),
                  point=point, chart=chart, detail=_point(run, point))


def _point(run: Any, point: int) -> dict[str, Any]:
    f = run.results["frontier"].reset_index(drop=True)
    row = f.iloc[point]
    aw = run.results["frontier_awards"]
    aw = aw[aw["point"] == point][["project", "option", "package", "award_year",
                                   "scored_cost_usd"]]
    return {"point": point, "budget": float(row["budget_usd"]), "cost": float(row["cost_usd"]),
            "loss": float(row["expected_loss"]), "avoided": float(row["avoided_t"]),
            "usd_per_t": row["usd_per_t"], "reduction": float(row["reduction"]),
            "awards": table(aw.reset_index(drop=True))}


@router.get("/ui/portfolio/{run_id}/point", response_class=HTMLResponse)
def ui_point(request: Request, run_id: str, store: StoreDep, user: UserDep,
             point: Annotated[int, Query(ge=0, le=100)] = 0) -> HTMLResponse:
    import re

    try:
        if not re.fullmatch(RUN_ID, run_id):
            raise ReeError("unknown run")
        run = store.get_run(run_id)
        if "frontier" not in run.results:
            raise ReeError(f"run {run.id} is not a portfolio")
        n = len(run.results["frontier"])
        detail = _point(run, min(point, n - 1))
    except ReeError as exc:
        return error(request, exc)
    return render(request, "portfolio_point.html", d=detail)


@router.post("/ui/portfolio", response_class=HTMLResponse, dependencies=[HtmxDep])
def ui_portfolio(request: Request, ws: WorkspaceDep, jobs: JobsDep, settings: SettingsDep,
                 api: ApiSettingsDep, user: AnalystDep,
                 max_budget: Annotated[float, Form(gt=0, le=1e12)] = 5e9,
                 points: Annotated[int, Form(ge=2, le=20)] = 6,
                 samples: Annotated[int, Form(ge=1, le=200_000)] = 100) -> HTMLResponse:
    from reeplan.optimize.inputs import PortfolioSpec

    try:
        if samples > api.max_samples:
            raise ReeError(f"samples: at most {api.max_samples} on this server")
        scenarios = list(settings.featured_scenarios)
        spec = PortfolioSpec(budget=max_budget / 2, time_limit=settings.time_limit)
        ds = ws.dataset()
        options = {"budget": max_budget / 2, "scenarios": scenarios, "samples": samples,
                   "seed": settings.seed, "frontier_max": max_budget,
                   "frontier_points": points, "cvar_alpha": None, "overlay": None}
        job = jobs.submit("portfolio", user.name, options, ds.digest,
                          [str(p) for p in ds.paths], settings.seed,
                          portfolio_job(ws, scenarios, spec, samples, settings.seed,
                                        max_budget, points, None))
    except ReeError as exc:
        return error(request, exc)
    return render(request, "job.html", job=find_job(jobs, request.app.state.store, job.id),
                  view="portfolio")


# -- runs ---------------------------------------------------------------------------------


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request, store: StoreDep, user: UserDep) -> HTMLResponse:
    runs = store.list_runs(100)
    return render(request, "runs.html", runs=runs,
                  briefs={r.id for r in runs
                          if (request.app.state.jobs.artifacts / r.id / "brief.html").is_file()})


@router.get("/ui/runs/diff", response_class=HTMLResponse)
def ui_diff(request: Request, store: StoreDep, user: UserDep,
            a: Annotated[str, Query(max_length=40)] = "",
            b: Annotated[str, Query(max_length=40)] = "") -> HTMLResponse:
    import re

    try:
        if not (re.fullmatch(RUN_ID, a) and re.fullmatch(RUN_ID, b)):
            raise ReeError("pick two runs to compare")
        d = store.diff_runs(a, b)
    except ReeError as exc:
        return error(request, exc)
    return render(request, "diff.html", d=d)
