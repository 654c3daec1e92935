"""`reeplan exposure` and the chain views (Sankey flows, China-share heatmap)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from reeplan.chain import ChainOptions, build_chain
from reeplan.cli import app
from reeplan.indicators.views import adversary_share_matrix, resolve_elements, sankey_flows
from reeplan.io.readers import load_dataset

CHAIN3 = Path(__file__).parent / "data" / "chain3"
runner = CliRunner()


@pytest.fixture(scope="module")
def chain3():
    return build_chain(load_dataset(CHAIN3), ChainOptions(years=(2025, 2025)))


def test_sankey_flows_sum_to_chain_totals(chain3) -> None:
    flows = sankey_flows(chain3, ["Nd", "Dy"], 2025)
    by_link = flows.groupby(["stage_from", "stage_to"])["value"].sum()
    chain_links = chain3.data["flow"].sel(year=2025, element=["Nd", "Dy"]).sum(
        ("element", "origin", "destination"))
    for link in chain_links.link.values:
        a, b = str(link).split(">")
        expected = float(chain_links.sel(link=link))
        assert by_link.get((a, b), 0.0) == pytest.approx(expected)
    # what leaves separation = what separation produced (170 t mined → 117 Nd + 22.5 Dy made)
    sep_out = flows[flows["stage_from"] == "separation"]["value"].sum()
    made = float(chain3.data["output"].sel(year=2025, stage="separation",
                                           element=["Nd", "Dy"]).sum())
    assert sep_out == pytest.approx(made)
    assert made == pytest.approx(117 + 22.5)


def test_sankey_figure_totals(chain3) -> None:
    from reeplan.brief.plots import sankey_figure

    flows = sankey_flows(chain3, ["Nd"], 2025)
    fig = sankey_figure(flows, title="Nd")
    assert sum(fig.plotly.data[0].link.value) == pytest.approx(flows["value"].sum())


def test_heatmap_matrix(chain3) -> None:
    share = adversary_share_matrix(chain3, 2025)
    assert float(share.sel(element="Nd", stage="separation")) == pytest.approx(90 / 117)
    assert float(share.sel(element="Dy", stage="magnet")) == pytest.approx(1.0)
    assert np.isnan(float(share.sel(element="La", stage="mining")))


def test_resolve_elements(chain3) -> None:
    assert resolve_elements(chain3, "NdPr") == ["Nd", "Pr"]
    assert resolve_elements(chain3, "Dy") == ["Dy"]
    with pytest.raises(ValueError, match="unknown element or group"):
        resolve_elements(chain3, "Xx")


def test_exposure_cli_dy_bundled() -> None:
    """Dysprosium 2025: China dominates separation; US heavy-RE NIR published 100 %."""
    res = runner.invoke(app, ["exposure", "--year", "2025", "--element", "Dy", "--format",
                              "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    rows = {r["stage"]: r for r in data["exposure"]}
    assert set(rows) == {"mining", "separation", "metal", "magnet"}
    assert rows["separation"]["adversary_share"] > 0.9
    assert rows["magnet"]["us_nir"] > 0.95
    assert 0 <= rows["magnet"]["independence"] <= 1
    assert rows["magnet"]["independence_domestic"] <= rows["magnet"]["independence"]
    methods = {r["method"] for r in data["criticality"]}
    assert methods == {"eu_crm_supply_risk", "geopolrisk"}


def test_exposure_cli_table_names_published_nir() -> None:
    res = runner.invoke(app, ["exposure", "--element", "Dy"])
    assert res.exit_code == 0, res.output
    assert "heavy rare earths" in res.output
    assert "100 %" in res.output


def test_exposure_cli_writes_figures(tmp_path: Path) -> None:
    res = runner.invoke(app, ["exposure", "--data", str(CHAIN3), "--element", "Nd",
                              "--sankey", str(tmp_path / "s"), "--heatmap", str(tmp_path / "h")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "s.html").read_text()
    assert "Sankey" in html or "sankey" in html
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "h.png").stat().st_size > 1000


@pytest.mark.parametrize(("args", "message"), [
    (["--element", "Xx"], "unknown element or group"),
    (["--year", "1999"], "--year (or REEPLAN_YEAR"),
    (["--year", "2021"], "--year (or REEPLAN_YEAR"),
    (["--format", "xml"], "--format must be one of"),
    (["--adversary", "ZZZ"], "unknown adversary"),
])
def test_exposure_bad_options(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["exposure", "--data", str(CHAIN3), *args])
    assert res.exit_code == 1
    assert message in res.output
    assert "Traceback" not in res.output
