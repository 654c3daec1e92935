"""Tests of the report figures: the drawn data add up to the input, and files are written."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import reeplan.brief.plots as plots
from reeplan.brief.plots import (
    STAGE_ORDER,
    china_share_heatmap,
    country_color,
    fan_chart,
    sankey_figure,
    write_figure,
)
from reeplan.errors import ReeError

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def flows() -> pd.DataFrame:
    """A small balanced NdPr chain (t REO-eq): every pass-through node's inflow = outflow.

    Mining 100 CHN + 20 AUS + 10 USA = 130 → separation CHN 110 (100 + 10 USA ore),
    MYS 20 → magnet CHN 105 + JPN 25 (MYS 20, CHN 5) → end use ROW 90, USA 40. The AUS → MYS
    link is split in two rows to check that duplicates are summed.
    """
    rows = [
        ("mining", "CHN", "separation", "CHN", 100.0),
        ("mining", "AUS", "separation", "MYS", 12.5),
        ("mining", "AUS", "separation", "MYS", 7.5),
        ("mining", "USA", "separation", "CHN", 10.0),
        ("separation", "CHN", "magnet", "CHN", 105.0),
        ("separation", "CHN", "magnet", "JPN", 5.0),
        ("separation", "MYS", "magnet", "JPN", 20.0),
        ("magnet", "CHN", "end_use", "ROW", 80.0),
        ("magnet", "CHN", "end_use", "USA", 25.0),
        ("magnet", "JPN", "end_use", "USA", 15.0),
        ("magnet", "JPN", "end_use", "ROW", 10.0),
    ]
    f = pd.DataFrame(rows, columns=["stage_from", "country_from", "stage_to", "country_to",
                                    "value"])
    return f.assign(element="NdPr", year=2024)


def test_docstring_examples() -> None:
    """The worked examples in the module's docstrings hold."""
    result = doctest.testmod(plots, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 4
    assert result.failed == 0


def test_sankey_links_sum_to_input_per_stage(flows: pd.DataFrame) -> None:
    """Link values, summed per stage transition, equal the input flows; duplicates merge."""
    fig = sankey_figure(flows, "NdPr 2024")
    links = fig.data["links"]
    expected = flows.groupby(["stage_from", "stage_to"])["value"].sum()
    got = links.groupby(["stage_from", "stage_to"])["value"].sum()
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index())
    assert len(links) == len(flows) - 1  # the two AUS -> MYS rows are one link
    trace = fig.plotly.data[0]
    assert sum(trace.link.value) == pytest.approx(flows["value"].sum())
    assert list(trace.link.source) == links["source"].tolist()


def test_sankey_node_totals_balance(flows: pd.DataFrame) -> None:
    """Node in/outflows match the links; pass-through nodes conserve mass (inflow = outflow)."""
    fig = sankey_figure(flows, "NdPr 2024")
    nodes, links = fig.data["nodes"], fig.data["links"]
    assert np.allclose(nodes["inflow"], [links.loc[links["target"] == i, "value"].sum()
                                         for i in nodes.index])
    assert np.allclose(nodes["outflow"], [links.loc[links["source"] == i, "value"].sum()
                                          for i in nodes.index])
    through = nodes[(nodes["inflow"] > 0) & (nodes["outflow"] > 0)]
    assert len(through) == 4  # separation CHN, MYS; magnet CHN, JPN
    assert np.allclose(through["inflow"], through["outflow"])
    first = nodes[nodes["stage"] == "mining"]["outflow"].sum()
    last = nodes[nodes["stage"] == "end_use"]["inflow"].sum()
    assert first == pytest.approx(last) == pytest.approx(130.0)
    us = nodes.set_index("label").loc["US end use"]
    assert (us["stage"], us["country"], us["inflow"]) == ("end_use", "USA", 40.0)


def test_sankey_layout_and_colours(flows: pd.DataFrame) -> None:
    """Nodes follow the stage order left to right; links take the supplying country's colour."""
    fig = sankey_figure(flows, "NdPr 2024")
    nodes, links = fig.data["nodes"], fig.data["links"]
    rank = nodes["stage"].map({s: i for i, s in enumerate(STAGE_ORDER)})
    assert rank.is_monotonic_increasing
    assert nodes.groupby("stage")["x"].nunique().eq(1).all()
    assert nodes["y"].between(0, 1).all()
    assert set(links.loc[links["country_from"] == "CHN", "color"]) == {country_color("CHN")}
    assert set(links.loc[links["country_from"] == "USA", "color"]) == {country_color("USA")}
    assert country_color("CHN") != country_color("USA") != country_color("AUS")


@pytest.mark.parametrize(("change", "match"), [
    ({"year": [2024] * 10 + [2025]}, "one year"),
    ({"stage_to": ["mining"] + ["separation"] * 3 + ["magnet"] * 3 + ["end_use"] * 4},
     "downstream"),
    ({"value": [-1.0] + [1.0] * 10}, "non-negative"),
    ({"stage_from": ["refining"] + ["mining"] * 3 + ["separation"] * 3 + ["magnet"] * 4},
     "unknown stage"),
])
def test_sankey_rejects_bad_flows(flows: pd.DataFrame, change: dict[str, list[object]],
                                  match: str) -> None:
    """Several years, upstream links, negative values and unknown stages are errors."""
    with pytest.raises(ReeError, match=match):
        sankey_figure(flows.assign(**change), "bad")
    with pytest.raises(ReeError, match="column"):
        sankey_figure(flows.drop(columns="value"), "bad")


def test_heatmap_cells_equal_input() -> None:
    """Every cell shows its input share, stages in supply-chain order, gaps as gaps."""
    share = xr.DataArray(
        [[0.94, 0.9, np.nan], [0.99, 0.7, 0.995]], dims=("element", "stage"),
        coords={"element": ["Nd", "Dy"], "stage": ["magnet", "separation", "mining"]})
    fig = china_share_heatmap(share)
    cells = fig.data["cells"].set_index(["element", "stage"])["share"]
    for e in ("Nd", "Dy"):
        for s in ("magnet", "separation", "mining"):
            want = float(share.sel(element=e, stage=s))
            got = cells.loc[(e, s)]
            assert (np.isnan(want) and np.isnan(got)) or got == want
    z = fig.plotly.data[0].z
    assert list(fig.plotly.data[0].x) == ["Mining", "Separation", "Magnet"]
    assert [list(row) for row in z] == [[None, 0.9, 0.94], [0.995, 0.7, 0.99]]
    with pytest.raises(ReeError):
        china_share_heatmap(share.rename(stage="country"))
    with pytest.raises(ReeError):
        china_share_heatmap(share * 2)


def test_fan_chart_bands() -> None:
    """One band and one median per label; out-of-order percentiles are rejected."""
    p = pd.DataFrame({"quarter": ["2026Q1", "2026Q2", "2026Q1", "2026Q2"],
                      "p5": [0.0, 1.0, 2.0, 2.0], "p50": [1.0, 2.0, 3.0, 3.5],
                      "p95": [2.0, 4.0, 5.0, 6.0], "label": ["Dy", "Dy", "Tb", "Tb"]})
    fig = fan_chart(p, "Shortfall", "t")
    assert len(fig.plotly.data) == 6
    medians = [t for t in fig.plotly.data if t.name and t.name.endswith("median")]
    assert [list(t.y) for t in medians] == [[1.0, 2.0], [3.0, 3.5]]
    with pytest.raises(ReeError, match="p5"):
        fan_chart(p.assign(p5=[3.0, 1.0, 2.0, 2.0]))


def test_write_figure_files(flows: pd.DataFrame, tmp_path: Path) -> None:
    """HTML is self-contained and carries the data; PNG is a real, non-trivial image."""
    html, png = write_figure(sankey_figure(flows, "NdPr flows 2024"), tmp_path / "out" / "sankey")
    assert html == tmp_path / "out" / "sankey.html"
    text = html.read_text()
    assert "NdPr flows 2024" in text
    for label in ("US end use", "Separation · MYS"):  # non-ASCII is JSON-escaped
        assert json.dumps(label)[1:-1] in text
    assert "[100.0,20.0,10.0" in text.replace(" ", "")  # link values, plain JSON
    assert "<script src=" not in text.replace(" ", "")  # plotly.js inline, no CDN
    assert len(text) > 1_000_000
    data = png.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert len(data) > 20_000


def test_write_figure_drops_a_given_suffix(flows: pd.DataFrame, tmp_path: Path) -> None:
    """``--chart frontier.png`` writes frontier.html and frontier.png, not frontier.png.png."""
    fig = sankey_figure(flows, "NdPr flows 2024")
    for given in ("chart.png", "chart.HTML", "chart"):
        html, png = write_figure(fig, tmp_path / given)
        assert (html.name, png.name) == ("chart.html", "chart.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chart.html", "chart.png"]
