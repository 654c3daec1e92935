"""``reeplan finance``: cost to the government and effect on a project of DPA award packages.

Both spellings work with one command whose first argument may be the word ``compare``::

    reeplan finance mp-10x --package mp-2025
    reeplan finance compare mp-10x --package mp-2025 --package mp-10x-grant

(``--list`` shows the preset projects and packages.) Every :class:`~reeplan.errors.ReeError`
becomes a readable message on stderr and exit code 1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import pandas as pd
import typer
from rich.table import Table
from typer.core import TyperGroup

from reeplan.cli.common import DataOpt, OverlayOpt, fail, load, settings, write_json
from reeplan.cli.common import out as _out
from reeplan.errors import ReeError

if TYPE_CHECKING:
    from reeplan.finance.evaluation import Evaluation
    from reeplan.io.dataset import Dataset

__all__ = ["register"]

_COST_COLUMNS = {
    "instrument": "instrument", "kind": "kind", "authority": "authority",
    "beneficiary": "to", "expected_cost_musd": "expected", "fair_value_musd": "fair value",
    "p90_cost_musd": "P90", "p95_cost_musd": "P95", "annual_outlay_p95_musd": "P95 yr outlay",
    "p_pays": "P(pays)", "max_exposure_musd": "max exposure",
}
_PRICE_COLUMNS = {
    "benchmark": "benchmark", "start_price": "P0 $/kg", "kappa": "kappa /yr",
    "half_life_yr": "half-life yr", "long_run_median": "LR median", "long_run_mean": "LR mean",
    "sigma": "sigma", "jump_rate": "jumps /yr", "jump_std": "jump sd", "mu": "mu",
    "ar1_slope": "AR(1) b", "resid_std": "resid sd", "source_id": "source",
}
_EFFECT_ROWS = [
    ("NPV, expected (M$)", "npv_without_musd", "npv_with_musd", ",.0f"),
    ("NPV, 5th percentile (M$)", "npv_p05_without_musd", "npv_p05_with_musd", ",.0f"),
    ("NPV + transfers to sponsor (M$)", "npv_without_musd", "npv_with_sponsor_musd", ",.0f"),
    ("IRR of expected cash flows", "irr_without", "irr_with", ".1%"),
    ("Payback from first spend (yr)", "payback_years_without", "payback_years_with", ".1f"),
    ("Break-even basket price ($/kg)", "breakeven_basket_usd_per_kg_without",
     "breakeven_basket_usd_per_kg_with", ",.1f"),
    ("P(reach production)", "p_production_without", "p_production_with", ".1%"),
    ("Build start (yr)", "build_start_without", "build_start_with", ".2f"),
    ("Production start, mean (yr)", "production_start_without", "production_start_with", ".2f"),
]


def _fmt(v: object, spec: str = ",.1f") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    return format(v, spec)


def _table(frame: pd.DataFrame, columns: dict[str, str], title: str,
           specs: dict[str, str] | None = None) -> Table:
    specs = specs or {}
    t = Table(title=title, title_justify="left")
    cols = [c for c in columns if c in frame.columns]
    for c in cols:
        t.add_column(columns[c], overflow="fold",
                     justify="left" if frame[c].dtype == object else "right")
    for _, row in frame.iterrows():
        t.add_row(*[_fmt(row[c], specs.get(c, ",.1f")) for c in cols])
    return t


def _print_evaluation(ev: Evaluation) -> None:
    st = ev.settings
    _out.print(f"[bold]reeplan finance[/] — project [bold]{ev.project}[/], package "
               f"[bold]{ev.package or '(none)'}[/]; {st.samples} samples, seed {st.seed}, "
               f"price model {st.price_model}; PVs in million USD as of "
               f"{ev.price_model.start_time:.1f}")
    pm = ev.price_model
    _out.print(_table(pm.table(), _PRICE_COLUMNS,
                      f"Price model ({pm.kind}), calibrated to USGS annual averages "
                      f"{pm.history_years[0]}–{pm.history_years[-1]}",
                      {"kappa": ".3f", "half_life_yr": ".2f", "sigma": ".3f", "jump_rate": ".2f",
                       "jump_std": ".3f", "mu": ".3f", "ar1_slope": ".3f", "resid_std": ".3f",
                       "long_run_median": ",.1f", "long_run_mean": ",.1f"}))
    corr = ", ".join(f"{a}-{b} {pm.correlation[i][j]:.2f}"
                     for i, a in enumerate(pm.benchmarks) for j, b in enumerate(pm.benchmarks)
                     if j > i)
    _out.print(f"Shock correlation: {corr}; fair-value market price of risk "
               f"{pm.market_price_of_risk}", markup=False)
    if ev.package is not None:
        frame = ev.instruments.copy()
        total = {"instrument": "TOTAL", "kind": "", "authority": "", "beneficiary": "",
                 "expected_cost_musd": ev.totals["expected_cost_musd"],
                 "fair_value_musd": ev.totals["fair_value_musd"],
                 "p90_cost_musd": ev.totals["p90_cost_musd"],
                 "p95_cost_musd": ev.totals["p95_cost_musd"],
                 "annual_outlay_p95_musd": ev.totals["annual_outlay_p95_musd"],
                 "p_pays": None, "max_exposure_musd": ev.totals["max_exposure_musd"]}
        frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
        _out.print(_table(frame, _COST_COLUMNS,
                          "Cost to the government (PV at Treasury; P90/P95 of PV; P95 yr outlay "
                          "= largest yearly 95th-percentile budget outlay)",
                          {"p_pays": ".0%"}))
        for _, r in ev.instruments.iterrows():
            _out.print(f"  {r['instrument']}: {r['basis']}", markup=False)
    _out.print(_effect_table(ev))
    e = ev.effect
    _out.print(f"Years earlier: {e['years_earlier']:.2f} (funding-gap coverage "
               f"{e.get('coverage', 0):.0%}); value of the earlier start "
               f"{e['timing_value_musd']:,.0f} M$; transfers to the sponsor's other assets "
               f"{e['sponsor_transfer_pv_musd']:,.0f} M$ (PV at the project rate "
               f"{e['discount_rate']:.0%}). NPVs with and without share the package's schedule.",
               markup=False)
    book = ev.bookkeeping
    if book is not None:
        _out.print(_table(book.shortfalls,
                          {"shortfall": "shortfall", "prior_musd": "prior",
                           "package_musd": "this package", "cumulative_musd": "cumulative",
                           "threshold_musd": "threshold", "crossed": "crossed"},
                          "Title III actions per shortfall (§303(a)(6)(B), million USD)"))
        _out.print(f"DPA Fund obligations of the Title III actions: maximum "
                   f"{book.dpa_fund_max_musd:,.0f} M$, expected {book.dpa_fund_expected_musd:,.0f}"
                   " M$ (end-of-year balance cap 750 M$)", markup=False)
        for w in book.warnings:
            _out.print("[yellow]warning[/] ", end="")
            _out.print(f"[{w.code}] {w.message} ({w.source_id})", markup=False)
    _out.print("Sources: " + ", ".join(ev.sources), markup=False)


_TERM_LABELS = {
    "strike_usd_per_kg": ("floor price", "$/kg"), "volume_t": ("volumes", "t"),
    "upside_share": ("upside share", "share"), "start": ("from", "year"),
    "end": ("to", "year"), "term_years": ("tenor", "yr"), "grace_years": ("grace", "yr"),
    "principal_musd": ("principal", "$M"), "amount_musd": ("amount", "$M"),
    "treasury_spread": ("rate: Treasury +", "share"), "rate": ("loan rate", "share"),
    "interest_rate": ("loan rate", "share"), "dividend_rate": ("dividend", "share"),
    "annual_pd": ("annual default probability", "share"),
    "share_of_output": ("share of output", "share"), "min_ebitda_musd": ("minimum EBITDA", "$M"),
    "guaranteed_share": ("guaranteed share", "share"), "upfront_fee": ("upfront fee", "share"),
    "share_of_capex": ("share of capex", "share"),
}
_SKIP_TERMS = {"id", "kind", "authority", "beneficiary", "note", "year", "source_id", "grade",
               "warrants", "shortfall", "averaging", "price_basis", "benchmark", "product",
               "full_production_year", "amortization", "treasury_tenor", "min_ebitda_growth"}


def _term_value(v: object, unit: str) -> str:
    if isinstance(v, dict) and "value" in v:
        v = v["value"]
    if isinstance(v, dict):
        return ", ".join(f"{k} {_term_value(x, unit)}" for k, x in v.items())
    if isinstance(v, bool) or not isinstance(v, int | float):
        return str(v)
    if unit == "$/kg":
        return f"${v:,.0f}/kg"
    if unit == "$M":
        return f"${v:,.0f}M"
    if unit == "share":
        return f"{v:.1%}"
    if unit == "year":
        return f"{v:.2f}"
    if unit == "t":
        return f"{v:,.0f} t"
    if unit == "yr":
        return f"{v:g} years"
    return f"{v:,g}"


def package_terms(pkg: object) -> list[str]:
    """The package's terms, one line per instrument (floor price, volumes, tenor, rate...)."""
    lines = []
    for inst in getattr(pkg, "instruments", []):
        d = inst.model_dump()
        parts = []
        for k, v in d.items():
            if k in _SKIP_TERMS or v in (None, [], {}, ""):
                continue
            if isinstance(v, dict) and "value" in v and v["value"] is None:
                continue
            label, unit = _TERM_LABELS.get(k, (k.replace("_", " "), ""))
            parts.append(f"{label} {_term_value(v, unit)}")
        extra = []
        if d.get("benchmark"):
            extra.append(f"benchmark {d['benchmark']}")
        lines.append(f"{d.get('kind', '?')} {d.get('id', '')} ({d.get('authority', '')} → "
                     f"{d.get('beneficiary', '')}): " + "; ".join(extra + parts))
    return lines


def _print_terms(pkg: object) -> None:
    _out.print(f"[bold]Package terms[/] — {getattr(pkg, 'id', '')}: {getattr(pkg, 'name', '')} "
               f"(for project {getattr(pkg, 'project', '')})")
    for line in package_terms(pkg):
        _out.print(f"  {line}", markup=False)


def _effect_table(ev: Evaluation) -> Table:
    t = Table(title="Effect on the project", title_justify="left")
    t.add_column("metric")
    t.add_column("without package", justify="right")
    t.add_column("with package", justify="right")
    for label, a, b, spec in _EFFECT_ROWS:
        t.add_row(label, _fmt(ev.effect.get(a), spec), _fmt(ev.effect.get(b), spec))
    return t


def _print_compare(frame: pd.DataFrame, project: str, samples: int, seed: int) -> None:
    _out.print(f"[bold]reeplan finance compare[/] — project [bold]{project}[/]; {samples} "
               f"samples, seed {seed} (common random numbers); million USD")
    cols = {"package": "package", "expected_cost_musd": "expected cost",
            "fair_value_musd": "fair value", "p95_cost_musd": "P95 cost",
            "annual_outlay_p95_musd": "P95 yr outlay", "npv_with_musd": "NPV with",
            "npv_gain_musd": "NPV gain", "p_production_with": "P(prod)",
            "years_earlier": "yrs earlier", "warnings": "warnings"}
    _out.print(_table(frame, cols, "Packages compared",
                      {"p_production_with": ".1%", "years_earlier": ".2f"}))


def _print_presets(ds: Dataset) -> None:
    from reeplan.finance.inputs import finance_inputs
    from reeplan.finance.loader import list_package_presets

    fin = finance_inputs(ds)
    projects = fin.projects()
    t = Table(title="Preset projects", title_justify="left")
    for c in ("id", "name", "stage", "maturity", "status", "shortfall"):
        t.add_column(c)
    for p in projects.values():
        t.add_row(p.id, p.name, p.stage, p.maturity, p.status, p.shortfall)
    _out.print(t)
    t = Table(title="Preset packages", title_justify="left")
    for c in ("id", "project", "name", "instruments"):
        t.add_column(c)
    for pid in list_package_presets():
        pkg = fin.package(pid)
        t.add_row(pkg.id, pkg.project, pkg.name, ", ".join(i.kind for i in pkg.instruments))
    _out.print(t)


_SamplesOpt = Annotated[int | None, typer.Option(
    help="Monte Carlo samples per package \\[default: 1000].", min=10, show_default=False)]
_SeedOpt = Annotated[int | None, typer.Option(
    help="Random seed (results are reproducible) \\[default: 20250404].", show_default=False)]
_PriceOpt = Annotated[str, typer.Option(
    "--price-model", help="log_ou_jump (calibrated, default) or gbm (baseline).")]
_FormatOpt = Annotated[str, typer.Option("--format", help="table or json.")]
_ForceOpt = Annotated[bool, typer.Option(
    "--force", help="Appraise a package written for another project anyway.")]


def _appraise(project: str | None, packages: list[str], *, compare: bool, samples: int | None,
              seed: int | None, price_model: str, fmt: str, force: bool, data: Path | None,
              overlay: list[Path] | None, list_presets: bool = False) -> None:
    """The body of both spellings: check the options, appraise, print or write JSON."""
    from reeplan.workflows.appraise import appraise

    try:
        if fmt not in ("table", "json"):
            msg = f"--format must be table or json, not {fmt!r}"
            raise ReeError(msg)
        st = settings(samples=samples, seed=seed, price_model=price_model)
        ds = load(data, overlay)
        if list_presets:
            _print_presets(ds)
            return
        if not project:
            msg = ("give a PROJECT: reeplan finance PROJECT [--package P] or "
                   "reeplan finance compare PROJECT --package A --package B")
            raise ReeError(msg)
        if compare and not packages:
            msg = "compare needs at least one --package"
            raise ReeError(msg)
        if not compare and len(packages) > 1:
            msg = "several --package options: use 'reeplan finance compare PROJECT ...'"
            raise ReeError(msg)
        result = appraise(ds, project, packages, st.samples, st.seed, st.price_model,
                          force=force)
    except ReeError as exc:
        raise fail(exc) from None
    evals = result.evaluations
    if fmt == "json":
        write_json({"project": result.project.id, "comparison": result.table,
                    "evaluations": [e.to_dict() for e in evals]} if compare
                   else evals[-1].to_dict())
        return
    for pkg in result.packages:
        _print_terms(pkg)
    if compare:
        _print_compare(result.table, result.project.id, st.samples, st.seed)
    else:
        _print_evaluation(evals[-1])


def appraise_one(
    project: Annotated[str | None, typer.Argument(
        help="A preset project id, a projects YAML file, or FILE:ID.", show_default=False)] = None,
    package: Annotated[str | None, typer.Option(
        "--package", "-p", help="Package preset id or YAML file (none: the project alone).",
        show_default=False)] = None,
    samples: _SamplesOpt = None,
    seed: _SeedOpt = None,
    price_model: _PriceOpt = "log_ou_jump",
    fmt: _FormatOpt = "table",
    list_presets: Annotated[bool, typer.Option("--list", help="List preset projects and "
                                               "packages.")] = False,
    force: _ForceOpt = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Appraise one package: its terms, cost to the government and effect on the project.

    Cost: expected, fair value, P90/P95, largest P95 yearly outlay. Effect: NPV, IRR,
    P(production) and years earlier, with and without the package.

    'reeplan finance PROJECT --package P' is the short form of this command.
    """
    _appraise(project, [package] if package else [], compare=False, samples=samples, seed=seed,
              price_model=price_model, fmt=fmt, force=force, data=data, overlay=overlay,
              list_presets=list_presets)


def compare(
    project: Annotated[str, typer.Argument(
        help="A preset project id, a projects YAML file, or FILE:ID.", show_default=False)],
    package: Annotated[list[str], typer.Option(
        "--package", "-p", help="Package preset id or YAML file; repeat for each package.",
        show_default=False)],
    samples: _SamplesOpt = None,
    seed: _SeedOpt = None,
    price_model: _PriceOpt = "log_ou_jump",
    fmt: _FormatOpt = "table",
    force: _ForceOpt = False,
    data: DataOpt = None,
    overlay: OverlayOpt = None,
) -> None:
    """Compare several packages for one project side by side (common random numbers).

    Columns: expected cost, fair value, P95 cost, P95 yearly outlay, NPV gain, P(production),
    years earlier.

    Example: reeplan finance compare mp-10x --package mp-2025 --package mp-10x-grant
    """
    _appraise(project, list(package), compare=True, samples=samples, seed=seed,
              price_model=price_model, fmt=fmt, force=force, data=data, overlay=overlay)


class _DefaultGroup(TyperGroup):
    """A group whose first word may be a PROJECT: ``finance mp-10x ...`` runs ``appraise``."""

    default = "appraise"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default, *args]
        return super().parse_args(ctx, args)


def register(app: typer.Typer) -> None:
    """Add the ``finance`` group (``appraise``, the default, and ``compare``) to the app."""
    group = typer.Typer(
        cls=_DefaultGroup, no_args_is_help=True, add_completion=False,
        help="Cost to the government of a DPA award package and its effect on a project.\n\n"
             "'reeplan finance PROJECT --package P' appraises one package (the 'appraise' "
             "command); 'reeplan finance compare PROJECT --package A --package B' compares "
             "several; 'reeplan finance --list' lists the presets.")
    group.command("appraise", no_args_is_help=True)(appraise_one)
    group.command("compare", no_args_is_help=True)(compare)
    app.add_typer(group, name="finance")
