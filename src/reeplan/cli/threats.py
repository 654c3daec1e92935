"""``reeplan threats show``: print the threat model's parameters and its calibration.

A thin adapter over :mod:`reeplan.sim.threats`, self-contained (it depends on no other CLI
module) so that it can be wired wherever the CLI lives: ``register(app)`` adds the ``threats``
group. Simulating the threat model is
:func:`reeplan.sim.threats.load_threat_scenario` (to be wired as ``reeplan simulate threats``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from reeplan.errors import ReeError

__all__ = ["register", "show", "threats_app"]

threats_app = typer.Typer(help="The calibrated threat model of future disruptions.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``threats`` group (``threats show``) to ``app``."""
    app.add_typer(threats_app, name="threats")


def _fmt(p: Any) -> str:
    if p is None:
        return ""
    if isinstance(p, int | float):
        return f"{p:g}"
    d = {k: v for k, v in p.model_dump().items() if v is not None and k not in ("dist",
                                                                               "source")}
    return f"{p.dist}(" + ", ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
                                    for k, v in d.items()) + ")"


def _src(p: Any) -> str:
    return getattr(p, "source", None) or ""


def parameter_rows(model: Any) -> list[dict[str, str]]:
    """One row per parameter of ``model``: name, value or distribution, source."""
    ec = model.export_controls
    rows = [{"parameter": "horizon", "value": f"{model.horizon.start} – {model.horizon.end}",
             "source": ""},
            {"parameter": "export_controls.rate_prior",
             "value": f"Gamma({ec.rate_prior.shape:g}, {ec.rate_prior.rate:g})",
             "source": ec.rate_prior.source},
            {"parameter": "rate_multiplier", "value": f"{model.rate_multiplier:g}",
             "source": "sensitivity (1 = as calibrated)"}]
    for s, spec in ec.scopes.items():
        els = spec.elements if isinstance(spec.elements, str) else ";".join(spec.elements)
        rows.append({"parameter": f"scope {s}", "value": f"{els} ({', '.join(spec.forms)}), "
                     f"prior weight {spec.prior_weight:g}", "source": spec.source})
    for name in ("ban_probability", "approval_rate", "licence_delay_days",
                 "foreign_product_rule_probability", "military_denied_probability",
                 "duration_years", "technology_delay_years"):
        p = getattr(ec, name)
        rows.append({"parameter": f"export_controls.{name}", "value": _fmt(p),
                     "source": _src(p)})
    for h in model.hazards:
        where = f"{h.stage} in {'/'.join(h.countries)}"
        for f in ("rate_per_year", "fraction", "duration_years"):
            p = getattr(h, f)
            rows.append({"parameter": f"{h.id}.{f} ({where})", "value": _fmt(p),
                         "source": _src(p) or (h.source or "")})
    for sector, p in model.demand_growth.items():
        rows.append({"parameter": f"demand_growth.{sector}", "value": _fmt(p),
                     "source": _src(p)})
    return rows


def show(
    model: Annotated[Path | None, typer.Argument(help="Threat model YAML (default: the "
                                                 "bundled model).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Print the threat model's parameters and the calibration of its event rate."""
    from reeplan.sim.threats import calc_calibration, load_threat_model

    if fmt not in ("table", "json"):
        typer.echo(f"error: --format must be table or json, not {fmt!r}", err=True)
        raise typer.Exit(1)
    try:
        m = load_threat_model(model)
        cal = calc_calibration(m)
    except ReeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    params = parameter_rows(m)
    if fmt == "json":
        json.dump({"name": m.name, "title": m.title, "parameters": params,
                   "calibration": json.loads(cal.to_json(orient="records"))}, sys.stdout,
                  indent=2)
        sys.stdout.write("\n")
        return
    from rich.console import Console
    from rich.table import Table

    con = Console(width=160)
    t = Table(title=f"{escape(m.title)} — parameters")
    for c in ("parameter", "value", "source"):
        t.add_column(c, overflow="fold")
    for r in params:
        t.add_row(r["parameter"], r["value"], r["source"])
    con.print(t)
    c = Table(title="Calibration (history 2010–2025)")
    for col in ("quantity", "prior", "events", "exposure_years", "posterior", "mean", "p5",
                "p95"):
        c.add_column(col, overflow="fold")
    for r in cal.to_dict("records"):
        c.add_row(r["quantity"], r["prior"], str(r["events"]), f"{r['exposure_years']:g}",
                  r["posterior"], f"{r['mean']:.3g}", f"{r['p5']:.3g}", f"{r['p95']:.3g}")
    con.print(c)


threats_app.command("show")(show)
