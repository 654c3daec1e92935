"""Report figures: pure functions, data in, figure out.

Every builder returns a :class:`ReportFigure`: the interactive plotly figure, a static
matplotlib rendering of the same data (for PNG export without a browser), and the tidy tables
the figure was drawn from, so tests and callers can check that the picture adds up. Nothing here
writes a file except :func:`write_figure`.

The static PNG is drawn with matplotlib, not exported from plotly: plotly's static export
(kaleido ≥ 1) needs a Chrome/Chromium binary at run time, which a fresh machine or CI run may not
have, and takes seconds per image.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import xarray as xr
from matplotlib.figure import Figure as MplFigure
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath

from reeplan.errors import ReeError

__all__ = [
    "COUNTRY_COLORS",
    "STAGE_ORDER",
    "ReportFigure",
    "bar_figure",
    "china_share_heatmap",
    "country_color",
    "fan_chart",
    "plot_fan",
    "sankey_figure",
    "with_source",
    "write_figure",
]

STAGE_ORDER = ("mining", "separation", "metal", "magnet", "end_use")
"""Supply-chain stages, upstream to downstream (``stages.csv``)."""

STAGE_LABELS = {
    "mining": "Mining",
    "separation": "Separation",
    "metal": "Metal / alloy",
    "magnet": "Magnet",
    "end_use": "End use",
}

COUNTRY_COLORS = {
    "CHN": "#c62828",  # China: red
    "USA": "#1f5fa8",  # United States: blue
    "AUS": "#2e7d32",
    "JPN": "#7b1fa2",
    "MYS": "#ef6c00",
    "KOR": "#00897b",
    "CAN": "#6d4c41",
    "EST": "#5c6bc0",
    "GBR": "#ad1457",
    "DEU": "#9e9d24",
    "FRA": "#0277bd",
    "VNM": "#f9a825",
    "PHL": "#4e342e",
    "IND": "#00acc1",
    "BRA": "#558b2f",
}
"""Node and link colours by country; others (and ``ROW``) are grey."""
OTHER_COLOR = "#9e9e9e"

SANKEY_COLUMNS = ("element", "year", "stage_from", "country_from", "stage_to", "country_to",
                  "value")
FAN_COLUMNS = ("quarter", "p5", "p50", "p95", "label")


def country_color(country: str) -> str:
    """Hex colour of a country (China red, the USA blue, allies distinct, others grey).

    Examples
    --------
    >>> country_color("CHN"), country_color("USA"), country_color("ROW")
    ('#c62828', '#1f5fa8', '#9e9e9e')
    """
    return COUNTRY_COLORS.get(country, OTHER_COLOR)


@dataclass(frozen=True)
class ReportFigure:
    """A report figure: interactive, static, and the data behind both.

    Attributes
    ----------
    title
        Figure title.
    plotly
        The interactive :class:`plotly.graph_objects.Figure` (HTML).
    static
        A matplotlib :class:`~matplotlib.figure.Figure` of the same data (PNG).
    data
        Tidy tables the figure was drawn from (e.g. ``nodes`` and ``links`` of a Sankey).
    """

    title: str
    plotly: go.Figure
    static: MplFigure
    data: Mapping[str, pd.DataFrame] = field(default_factory=dict)

    def to_html(self, **kwargs: Any) -> str:
        """HTML of the interactive figure (arguments as plotly's ``Figure.to_html``)."""
        return self.plotly.to_html(**kwargs)

    def _repr_html_(self) -> str:
        """In a notebook: the interactive figure (plotly.js inline, works offline)."""
        return self.plotly.to_html(full_html=False, include_plotlyjs=True)


# -- Sankey ---------------------------------------------------------------------------------


def sankey_figure(flows: pd.DataFrame, title: str) -> ReportFigure:
    """Sankey diagram of material flows through the stages, for one element and year.

    Nodes are ``(stage, country)`` pairs laid out in stage order (mining → separation → metal →
    magnet → end use; US end use is its own node), links are coloured by the supplying
    (``country_from``) country. Duplicate links are summed; zero flows are dropped.

    Parameters
    ----------
    flows
        Columns ``element, year, stage_from, country_from, stage_to, country_to, value``
        (t REO-eq), one element (or group) and one year; ``stage_to`` must lie downstream of
        ``stage_from``.
    title
        Figure title.

    Returns
    -------
    ReportFigure
        ``data["links"]`` (source, target, stage/country from/to, value, color) and
        ``data["nodes"]`` (node, stage, country, label, inflow, outflow, throughput, x, y),
        where ``throughput = max(inflow, outflow)`` is the node's drawn size.

    Raises
    ------
    ReeError
        On missing columns, several elements or years, unknown stages, upstream links,
        negative or non-finite values, or no positive flow.

    Examples
    --------
    >>> f = pd.DataFrame({"element": "Nd", "year": 2024,
    ...     "stage_from": ["mining", "separation"], "country_from": ["AUS", "MYS"],
    ...     "stage_to": ["separation", "end_use"], "country_to": ["MYS", "USA"],
    ...     "value": [10.0, 9.0]})
    >>> fig = sankey_figure(f, "Nd 2024")
    >>> fig.data["nodes"][["label", "inflow", "outflow"]].values.tolist()
    [['Mining · AUS', 0.0, 10.0], ['Separation · MYS', 10.0, 9.0], ['US end use', 9.0, 0.0]]
    """
    links = _sankey_links(flows)
    nodes, scale = _sankey_nodes(links)
    index = {(r.stage, r.country): i for i, r in enumerate(nodes.itertuples())}
    links["source"] = [index[k] for k in zip(links["stage_from"], links["country_from"],
                                             strict=True)]
    links["target"] = [index[k] for k in zip(links["stage_to"], links["country_to"],
                                             strict=True)]
    links["color"] = [country_color(c) for c in links["country_from"]]
    links = links[["source", "target", "stage_from", "country_from", "stage_to", "country_to",
                   "value", "color"]]
    fig = go.Figure(go.Sankey(
        arrangement="fixed",
        valueformat=",.0f",
        valuesuffix=" t",
        node={
            "label": nodes["label"].tolist(),
            "color": [country_color(c) for c in nodes["country"]],
            "x": np.clip(nodes["x"], 0.001, 0.999).tolist(),
            "y": np.clip(nodes["y"], 0.001, 0.999).tolist(),
            "pad": 12,
            "thickness": 16,
            "customdata": nodes[["inflow", "outflow"]].astype(float).values.tolist(),
            "hovertemplate": "%{label}<br>input %{customdata[0]:,.0f} t · output "
                             "%{customdata[1]:,.0f} t<extra></extra>",
        },
        link={
            "source": links["source"].tolist(),
            "target": links["target"].tolist(),
            "value": links["value"].astype(float).tolist(),
            "color": [_rgba(c, 0.45) for c in links["color"]],
            "customdata": links["country_from"].tolist(),
            "hovertemplate": "%{source.label} → %{target.label}<br>%{value}"
                             "<extra>from %{customdata}</extra>",
        },
    ))
    fig.update_layout(title={"text": title}, font={"size": 12}, height=560,
                      margin={"l": 20, "r": 20, "t": 60, "b": 20})
    static = _static_sankey(nodes, links, scale, title)
    return ReportFigure(title, fig, static, {"nodes": nodes, "links": links})


def _sankey_links(flows: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in SANKEY_COLUMNS if c not in flows.columns]
    if missing:
        msg = f"flows lack column(s): {', '.join(missing)}"
        raise ReeError(msg)
    for col in ("element", "year"):
        if flows[col].nunique(dropna=False) > 1:
            msg = f"a Sankey shows one {col}; got {sorted(map(str, flows[col].unique()))}"
            raise ReeError(msg)
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    stages = set(flows["stage_from"]) | set(flows["stage_to"])
    unknown = sorted(map(str, stages - set(order)))
    if unknown:
        msg = f"unknown stage(s): {', '.join(unknown)}"
        raise ReeError(msg)
    upstream = flows["stage_from"].map(order) >= flows["stage_to"].map(order)
    if upstream.any():
        row = flows[upstream].iloc[0]
        msg = f"link {row['stage_from']} -> {row['stage_to']} does not go downstream"
        raise ReeError(msg)
    values = pd.to_numeric(flows["value"], errors="coerce")
    if not np.isfinite(values).all() or (values < 0).any():
        msg = "flow values must be finite and non-negative"
        raise ReeError(msg)
    keys = ["stage_from", "country_from", "stage_to", "country_to"]
    links = (flows.assign(value=values.astype(float))
             .groupby(keys, sort=False, as_index=False)["value"].sum())
    links = links[links["value"] > 0].reset_index(drop=True)
    if links.empty:
        msg = "no positive flow to draw"
        raise ReeError(msg)
    return links


def _sankey_nodes(links: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    out = links.groupby(["stage_from", "country_from"])["value"].sum()
    inn = links.groupby(["stage_to", "country_to"])["value"].sum()
    out.index.names = inn.index.names = ["stage", "country"]
    nodes = pd.concat({"inflow": inn, "outflow": out}, axis=1).fillna(0.0).reset_index()
    nodes["throughput"] = nodes[["inflow", "outflow"]].max(axis=1)
    order = {s: i for i, s in enumerate(STAGE_ORDER)}
    nodes["_order"] = nodes["stage"].map(order)
    nodes = nodes.sort_values(["_order", "throughput", "country"],
                              ascending=[True, False, True]).reset_index(drop=True)
    nodes["label"] = [_node_label(s, c) for s, c in zip(nodes["stage"], nodes["country"],
                                                         strict=True)]
    # Columns at equal spacing; within a column nodes stacked top-down, sized by throughput on
    # one scale for the whole figure, each column centred vertically (y = node centre, 0 = top).
    present = sorted(nodes["_order"].unique())
    col = {o: i for i, o in enumerate(present)}
    nodes["x"] = [col[o] / max(len(present) - 1, 1) for o in nodes["_order"]]
    gap = 0.03
    counts = nodes.groupby("_order").size()
    totals = nodes.groupby("_order")["throughput"].sum()
    scale = min((1.0 - gap * (counts[o] - 1)) / totals[o] for o in present)
    ys: list[float] = []
    for _, group in nodes.groupby("_order", sort=True):
        height = group["throughput"].sum() * scale + gap * (len(group) - 1)
        top = (1.0 - height) / 2
        for h in group["throughput"] * scale:
            ys.append(top + h / 2)
            top += h + gap
    nodes["y"] = ys
    cols = ["stage", "country", "label", "inflow", "outflow", "throughput", "x", "y"]
    return nodes[cols], float(scale)


def _node_label(stage: str, country: str) -> str:
    if stage == "end_use" and country == "USA":
        return "US end use"
    return f"{STAGE_LABELS.get(stage, stage)} · {country}"


def _static_sankey(nodes: pd.DataFrame, links: pd.DataFrame, scale: float,
                   title: str) -> MplFigure:
    fig = MplFigure(figsize=(12, 6.8), layout="constrained")
    ax = fig.add_subplot()
    width = 0.018
    height = nodes["throughput"] * scale
    top = nodes["y"] - height / 2
    out_next = dict(enumerate(top))
    in_next = dict(enumerate(top))
    ordered = links.assign(_ty=links["target"].map(nodes["y"]),
                           _sy=links["source"].map(nodes["y"]))
    # Outgoing bands leave a node in the order of their targets' height, incoming bands arrive
    # in the order of their sources', so bands do not cross at the nodes.
    out_pos: dict[int, float] = {}
    for i in ordered.sort_values(["source", "_ty"]).index:
        s = int(ordered.at[i, "source"])
        out_pos[i] = out_next[s]
        out_next[s] += ordered.at[i, "value"] * scale
    in_pos: dict[int, float] = {}
    for i in ordered.sort_values(["target", "_sy"]).index:
        t = int(ordered.at[i, "target"])
        in_pos[i] = in_next[t]
        in_next[t] += ordered.at[i, "value"] * scale
    for i, link in ordered.iterrows():
        h = link["value"] * scale
        x0 = nodes.at[int(link["source"]), "x"] + width
        x1 = nodes.at[int(link["target"]), "x"]
        y0, y1 = out_pos[i], in_pos[i]
        xm = (x0 + x1) / 2
        verts = [(x0, y0), (xm, y0), (xm, y1), (x1, y1), (x1, y1 + h), (xm, y1 + h),
                 (xm, y0 + h), (x0, y0 + h), (x0, y0)]
        codes = [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.LINETO,
                 MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4, MplPath.CLOSEPOLY]
        ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=link["color"], alpha=0.45,
                               edgecolor="none"))
    last_x = nodes["x"].max()
    for n, node in nodes.iterrows():
        ax.add_patch(Rectangle((node["x"], top[n]), width, height[n],
                               facecolor=country_color(node["country"]), edgecolor="black",
                               linewidth=0.4))
        text = f"{node['label']}  {node['throughput']:,.0f} t"
        if node["x"] >= last_x:
            ax.text(node["x"] - 0.006, node["y"], text, ha="right", va="center", fontsize=8)
        else:
            ax.text(node["x"] + width + 0.006, node["y"], text, ha="left", va="center",
                    fontsize=8)
    for stage, x in nodes.groupby("stage", sort=False)["x"].first().items():
        ax.text(x + width / 2, -0.03, STAGE_LABELS.get(stage, stage), ha="center", va="bottom",
                fontsize=10, fontweight="bold")
    countries = list(dict.fromkeys(links["country_from"]))
    ax.legend(handles=[Patch(facecolor=country_color(c), alpha=0.6, label=c) for c in countries],
              title="Flow from", loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=8,
              ncol=min(len(countries), 10), frameon=False)
    ax.set_xlim(-0.01, 1.0 + width + 0.01)
    ax.set_ylim(1.02, -0.08)
    ax.set_axis_off()
    ax.set_title(title, fontsize=13)
    return fig


# -- heatmap ---------------------------------------------------------------------------------


def china_share_heatmap(share: xr.DataArray,
                        title: str = "China's share by element and stage") -> ReportFigure:
    """Heatmap of China's share (0–1) by element (rows) and stage (columns, in stage order).

    Parameters
    ----------
    share
        Fractions with dims ``element`` and ``stage`` (NaN = no data).
    title
        Figure title.

    Returns
    -------
    ReportFigure
        ``data["cells"]``: one row per element and stage with its ``share``.

    Raises
    ------
    ReeError
        If the dims are not exactly ``element`` and ``stage`` or a share is outside [0, 1].

    Examples
    --------
    >>> s = xr.DataArray([[0.7, 0.9]], dims=("element", "stage"),
    ...                  coords={"element": ["Nd"], "stage": ["separation", "mining"]})
    >>> china_share_heatmap(s).data["cells"].values.tolist()
    [['Nd', 'mining', 0.9], ['Nd', 'separation', 0.7]]
    """
    if set(share.dims) != {"element", "stage"}:
        msg = f"share must have dims element and stage, not {share.dims}"
        raise ReeError(msg)
    values = share.values.astype(float)
    if bool(np.any((values < 0) | (values > 1))):
        msg = "shares must lie in [0, 1]"
        raise ReeError(msg)
    rank = {s: i for i, s in enumerate(STAGE_ORDER)}
    stages = sorted(map(str, share["stage"].values), key=lambda s: (rank.get(s, len(rank)), s))
    grid = share.transpose("element", "stage").sel(stage=stages)
    elements = [str(e) for e in grid["element"].values]
    z = grid.values.astype(float)
    cells = pd.DataFrame(
        [(e, s, z[i, j]) for i, e in enumerate(elements) for j, s in enumerate(stages)],
        columns=["element", "stage", "share"],
    )
    text = [["" if np.isnan(v) else f"{v:.0%}" for v in row] for row in z]
    x_labels = [STAGE_LABELS.get(s, s) for s in stages]
    fig = go.Figure(go.Heatmap(
        z=[[None if np.isnan(v) else float(v) for v in row] for row in z],
        x=x_labels, y=elements, zmin=0.0, zmax=1.0, colorscale="Reds", text=text,
        texttemplate="%{text}", colorbar={"title": {"text": "China share"}, "tickformat": ".0%"},
        hovertemplate="%{y} · %{x}: %{z:.1%}<extra></extra>",
    ))
    fig.update_layout(title={"text": title}, yaxis={"autorange": "reversed"},
                      height=120 + 36 * len(elements), margin={"l": 60, "r": 20, "t": 60,
                                                               "b": 40})
    static = MplFigure(figsize=(1.6 + 1.5 * len(stages), 1.2 + 0.42 * len(elements)),
                       layout="constrained")
    ax = static.add_subplot()
    ax.set_facecolor("#e0e0e0")  # cells without data show grey, not as 0 %
    image = ax.imshow(np.ma.masked_invalid(z), cmap="Reds", vmin=0.0, vmax=1.0, aspect="auto")
    for i in range(len(elements)):
        for j in range(len(stages)):
            if not np.isnan(z[i, j]):
                ax.text(j, i, text[i][j], ha="center", va="center", fontsize=8,
                        color="white" if z[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(stages)), x_labels)
    ax.set_yticks(range(len(elements)), elements)
    ax.set_title(title)
    static.colorbar(image, ax=ax, label="China share", format=lambda v, _: f"{v:.0%}")
    return ReportFigure(title, fig, static, {"cells": cells})


# -- fan chart -------------------------------------------------------------------------------


def fan_chart(percentiles: pd.DataFrame, title: str = "", y_label: str = "") -> ReportFigure:
    """Fan chart: median line and 5–95 % band per series over quarters.

    Parameters
    ----------
    percentiles
        Columns ``quarter, p5, p50, p95, label``; one row per series (``label``) and quarter.
        Quarters are shown in their order of first appearance.
    title
        Figure title.
    y_label
        Axis label of the values (with unit).

    Returns
    -------
    ReportFigure
        ``data["percentiles"]``: the input rows used, quarters as strings.

    Raises
    ------
    ReeError
        On missing columns or where ``p5 ≤ p50 ≤ p95`` fails.

    Examples
    --------
    >>> p = pd.DataFrame({"quarter": ["2026Q1", "2026Q2"], "p5": [1.0, 1.0],
    ...                   "p50": [2.0, 2.5], "p95": [3.0, 4.0], "label": "shortfall"})
    >>> len(fan_chart(p, "Dy shortfall").plotly.data)
    3
    """
    missing = [c for c in FAN_COLUMNS if c not in percentiles.columns]
    if missing:
        msg = f"percentiles lack column(s): {', '.join(missing)}"
        raise ReeError(msg)
    data = percentiles[list(FAN_COLUMNS)].copy()
    data["quarter"] = data["quarter"].astype(str)
    for col in ("p5", "p50", "p95"):
        data[col] = pd.to_numeric(data[col], errors="coerce").astype(float)
    bad = (data["p5"] > data["p50"] + 1e-12) | (data["p50"] > data["p95"] + 1e-12)
    if bad.any():
        row = data[bad].iloc[0]
        msg = f"percentiles out of order for {row['label']} {row['quarter']}: p5 ≤ p50 ≤ p95"
        raise ReeError(msg)
    quarters = list(dict.fromkeys(data["quarter"]))
    position = {q: i for i, q in enumerate(quarters)}
    palette = ["#1f5fa8", "#c62828", "#2e7d32", "#7b1fa2", "#ef6c00", "#00897b"]
    fig = go.Figure()
    static = MplFigure(figsize=(10, 4.8), layout="constrained")
    ax = static.add_subplot()
    for k, (label, series) in enumerate(data.groupby("label", sort=False)):
        series = series.sort_values("quarter", key=lambda q: q.map(position))
        color = palette[k % len(palette)]
        x = series["quarter"].tolist()
        fig.add_trace(go.Scatter(x=x, y=series["p95"].tolist(), mode="lines",
                                 line={"width": 0}, legendgroup=str(label), showlegend=False,
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=x, y=series["p5"].tolist(), mode="lines", line={"width": 0},
                                 fill="tonexty", fillcolor=_rgba(color, 0.2),
                                 legendgroup=str(label), name=f"{label} 5–95 %"))
        fig.add_trace(go.Scatter(x=x, y=series["p50"].tolist(), mode="lines+markers",
                                 line={"color": color, "width": 2}, legendgroup=str(label),
                                 name=f"{label} median"))
        pos = series["quarter"].map(position).to_numpy()
        ax.fill_between(pos, series["p5"], series["p95"], color=color, alpha=0.2,
                        label=f"{label} 5–95 %")
        ax.plot(pos, series["p50"], color=color, marker="o", markersize=3,
                label=f"{label} median")
    fig.update_layout(title={"text": title}, xaxis={"title": {"text": "Quarter"},
                                                    "categoryorder": "array",
                                                    "categoryarray": quarters},
                      yaxis={"title": {"text": y_label}, "rangemode": "tozero"}, height=460)
    ax.set_ylim(bottom=0)
    step = max(1, len(quarters) // 12)
    ax.set_xticks(range(0, len(quarters), step), quarters[::step], rotation=45, ha="right")
    ax.set_xlabel("Quarter")
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(data):
        ax.legend(fontsize=8, frameon=False)
    return ReportFigure(title, fig, static, {"percentiles": data})


# -- writing ---------------------------------------------------------------------------------


def write_figure(fig: ReportFigure, path_stem: str | Path, dpi: int = 150) -> tuple[Path, Path]:
    """Write ``<path_stem>.html`` (self-contained, plotly.js inline) and ``<path_stem>.png``.

    The HTML embeds plotly.js, so it opens offline; the PNG is the matplotlib rendering
    (no browser needed). Parent folders are created.

    Parameters
    ----------
    fig
        A figure from this module.
    path_stem
        Output path without suffix (a ``.html`` or ``.png`` suffix is dropped, so ``chart.png``
        writes ``chart.html`` and ``chart.png``).
    dpi
        Resolution of the PNG.

    Returns
    -------
    tuple of pathlib.Path
        The HTML and PNG paths.
    """
    stem = Path(path_stem)
    if stem.suffix.lower() in (".html", ".png"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    html = stem.parent / f"{stem.name}.html"
    png = stem.parent / f"{stem.name}.png"
    fig.plotly.write_html(html, include_plotlyjs=True, full_html=True,
                          config={"displaylogo": False})
    fig.static.savefig(png, format="png", dpi=dpi, facecolor="white")
    return html, png


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


# -- frontier and time to survive / recover ------------------------------------------------


def frontier_figure(frontier: pd.DataFrame,
                    title: str = "Expected weighted shortfall avoided, by award budget",
                    unit: str = "weighted t") -> ReportFigure:
    """Expected weighted shortfall avoided against budget, both axes from zero.

    ``frontier`` has columns ``budget_usd`` and ``expected_loss``; the shortfall avoided is the
    expected loss at the smallest budget (no awards) less the expected loss at each budget, so a
    0.9 % change does not look like a cliff. The expected loss itself is in ``data``.
    ``unit`` is the objective's (weighted t, $M of output, F-35-eq deliveries).
    """
    data = frontier[["budget_usd", "expected_loss"]].astype(float).copy()
    base = float(data["expected_loss"].iloc[int(data["budget_usd"].idxmin())]) if len(data) \
        else 0.0
    data["avoided"] = base - data["expected_loss"]
    x = (data["budget_usd"] / 1e9).tolist()
    y_label = ("Weighted shortfall avoided (weighted t REO-eq)" if unit == "weighted t"
               else f"Loss avoided ({unit})")
    fig = go.Figure(go.Scatter(
        x=x, y=data["avoided"].tolist(), mode="lines+markers",
        line={"color": "#1f5fa8", "width": 2}, name="optimal portfolio",
        customdata=data["expected_loss"].tolist(),
        hovertemplate=f"budget $%{{x:.2f}}bn<br>avoided %{{y:,.1f}} {unit}<br>"
                      f"remaining %{{customdata:,.0f}} {unit}<extra></extra>"))
    fig.update_layout(title={"text": title}, height=420, showlegend=False,
                      xaxis={"title": {"text": "Budget (scored cost, $bn)"}, "rangemode": "tozero"},
                      yaxis={"title": {"text": y_label}, "rangemode": "tozero"})
    static = MplFigure(figsize=(8, 4.2), layout="constrained")
    ax = static.add_subplot()
    ax.plot(x, data["avoided"], marker="o", color="#1f5fa8")
    ax.set_xlabel("Budget (scored cost, $bn)")
    ax.set_ylabel(y_label)
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0, top=max(float(data["avoided"].max()) * 1.15, 1.0))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return ReportFigure(title, fig, static, {"frontier": data})


def tts_ttr_figure(tts: pd.DataFrame, title: str = "Time to survive against time to recover"
                   ) -> ReportFigure:
    """Scatter of P50 time to survive (x) against time to recover (y) per scenario × use.

    Points above the diagonal are exposed (TTS < TTR). Infinite TTS (never short) is left out.
    """
    need = ["scenario", "element", "sector", "stockpile", "tts_years_p50", "ttr_years_p50"]
    data = tts[need].copy()
    data = data[np.isfinite(data["tts_years_p50"].astype(float))]
    fig = go.Figure()
    static = MplFigure(figsize=(7, 5.5), layout="constrained")
    ax = static.add_subplot()
    for k, (stock, part) in enumerate(data.groupby("stockpile")):
        color = ["#c62828", "#1f5fa8"][k % 2]
        text = (part["scenario"] + ": " + part["element"] + " " + part["sector"]).tolist()
        fig.add_trace(go.Scatter(x=part["tts_years_p50"].tolist(),
                                 y=part["ttr_years_p50"].tolist(), mode="markers", text=text,
                                 name=f"{stock} stockpile", marker={"color": color}))
        ax.scatter(part["tts_years_p50"], part["ttr_years_p50"], s=12, color=color,
                   label=f"{stock} stockpile")
    top = float(max(data["tts_years_p50"].max(), data["ttr_years_p50"].max(), 1.0)) \
        if len(data) else 1.0
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="TTS = TTR",
                             line={"dash": "dot", "color": "grey"}))
    fig.update_layout(title={"text": title}, height=480,
                      xaxis={"title": {"text": "Time to survive, P50 (years)"},
                             "rangemode": "tozero"},
                      yaxis={"title": {"text": "Time to recover, P50 (years)"},
                             "rangemode": "tozero"})
    ax.plot([0, top], [0, top], ls=":", color="grey")
    ax.set_xlabel("Time to survive, P50 (years)")
    ax.set_ylabel("Time to recover, P50 (years)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_title(title)
    if len(data):
        ax.legend()
    return ReportFigure(title, fig, static, {"points": data})


def plot_fan(fan: pd.DataFrame, path: Path) -> Path:
    """Write a fan chart (P5–P95 band and P50) of ``fan_table`` rows to a PNG file."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(fan.groupby(["scenario", "element", "sector", "stockpile"], sort=False))
    fig, axes = plt.subplots(len(groups), 1, figsize=(9, 2.6 * max(len(groups), 1)),
                             squeeze=False)
    for ax, ((sc, el, sec, case), g) in zip(axes[:, 0], groups, strict=True):
        x = np.arange(len(g))
        ax.fill_between(x, g["unmet_t_p5"], g["unmet_t_p95"], alpha=0.3, label="P5–P95")
        ax.plot(x, g["unmet_t_p50"], label="P50")
        ax.plot(x, g["demand_t"], ls=":", color="grey", label="demand")
        ticks = x[::8]
        ax.set_xticks(ticks, g["quarter"].to_numpy()[::8])
        ax.set_ylabel("t REO-eq / quarter")
        ax.set_title(f"{sc}: unmet {el} demand, {sec} ({case} stockpile)", fontsize=9)
        ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


# -- bars and the source line ----------------------------------------------------------------


def bar_figure(frame: pd.DataFrame, x: str, ys: Mapping[str, str], title: str, y_label: str,
               percent: bool = False) -> ReportFigure:
    """Grouped bars of ``frame[ys]`` by ``frame[x]``, y-axis from zero.

    ``ys`` maps a column to its legend name. ``percent`` formats the axis as 0–100 %.
    """
    data = frame[[x, *ys]].copy()
    palette = ["#1f5fa8", "#c62828", "#2e7d32", "#7b1fa2"]
    fig = go.Figure()
    static = MplFigure(figsize=(8, 4.2), layout="constrained")
    ax = static.add_subplot()
    cats = data[x].astype(str).tolist()
    width = 0.8 / max(len(ys), 1)
    for k, (col, name) in enumerate(ys.items()):
        vals = pd.to_numeric(data[col], errors="coerce").astype(float)
        fmt = "%{y:.0%}" if percent else "%{y:,.0f}"
        fig.add_trace(go.Bar(x=cats, y=vals.tolist(), name=name,
                             marker={"color": palette[k % len(palette)]},
                             texttemplate=fmt, textposition="outside"))
        ax.bar(np.arange(len(cats)) + k * width - 0.4 + width / 2, vals, width,
               color=palette[k % len(palette)], label=name)
    yaxis: dict[str, Any] = {"title": {"text": y_label}, "rangemode": "tozero"}
    if percent:
        yaxis.update(tickformat=".0%", range=[0, 1.08])
    fig.update_layout(title={"text": title}, height=420, barmode="group", yaxis=yaxis,
                      showlegend=len(ys) > 1, uniformtext={"minsize": 9, "mode": "hide"})
    ax.set_xticks(range(len(cats)), cats)
    ax.set_ylabel(y_label)
    ax.set_ylim(0, 1.05 if percent else None)
    ax.set_title(title)
    if len(ys) > 1:
        ax.legend(frameon=False)
    return ReportFigure(title, fig, static, {"bars": data})


def with_source(fig: ReportFigure, source: str) -> ReportFigure:
    """The figure with a source line under the plot (HTML and PNG)."""
    text = f"Source: {source}"
    fig.plotly.add_annotation(text=text, xref="paper", yref="paper", x=0, y=-0.02,
                              yshift=-52, xanchor="left", yanchor="top", showarrow=False,
                              font={"size": 11, "color": "#5b6775"}, align="left")
    margin = fig.plotly.layout.margin
    fig.plotly.update_layout(margin={"b": max(int(margin.b or 0), 90)})
    fig.static.text(0.01, 0.005, text, fontsize=7, color="#5b6775", ha="left", va="bottom")
    return fig
