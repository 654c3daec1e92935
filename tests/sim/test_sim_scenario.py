"""Scenario files: strict schema, every problem reported with file and field, presets, includes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reeplan.errors import ScenarioError
from reeplan.sim import check_scenario, list_presets, load_scenario, scenario_from_dict
from reeplan.sim.dists import Beta, Triangular, resolve, sample
from reeplan.sim.scenario import quarter_index

DATA = Path(__file__).parent / "data"
EXPECTED_PRESETS = {
    "december-2023-tech-ban", "april-2025-controls", "october-2025-expansion",
    "october-2025-suspended", "heavy-ree-embargo", "myanmar-feed-loss",
}


def test_bad_scenario_lists_every_problem_with_file_and_field() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(DATA / "bad_scenario.yaml")
    problems = info.value.problems
    fields = {p.field for p in problems}
    assert all(p.file.endswith("bad_scenario.yaml") for p in problems)
    for expected in ("name", "sources", "export_controls[0].forms[1]",
                     "export_controls[0].start", "export_controls[0].approval_rate.a",
                     "outages[0].colour", "outages[0].fraction"):
        assert expected in fields, (expected, sorted(f or "" for f in fields))
    text = str(info.value)
    assert "unknown field" in text
    assert "plutonium" in text
    assert "must lie in [0, 1]" in text


def test_yaml_syntax_error_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\n  title: [unclosed\n")
    with pytest.raises(ScenarioError, match="invalid YAML"):
        load_scenario(path)


def test_unknown_preset_names_the_presets() -> None:
    with pytest.raises(ScenarioError, match="april-2025-controls"):
        load_scenario("no-such-preset")


def test_regime_rules() -> None:
    base = {"name": "x", "title": "t", "sources": ["s"]}
    ctl = {"id": "c", "elements": ["Dy"], "forms": ["oxide"], "start": "2025Q2"}
    with pytest.raises(ScenarioError, match="needs approval_rate"):
        scenario_from_dict({**base, "export_controls": [{**ctl, "regime": "licence"}]})
    with pytest.raises(ScenarioError, match="a ban has no approval_rate"):
        scenario_from_dict({**base, "export_controls": [
            {**ctl, "regime": "ban", "approval_rate": 0.5}]})
    with pytest.raises(ScenarioError, match="not after start"):
        scenario_from_dict({**base, "export_controls": [
            {**ctl, "regime": "ban", "end": "2025-01-01"}]})
    with pytest.raises(ScenarioError, match="used twice"):
        scenario_from_dict({**base, "export_controls": [{**ctl, "regime": "ban"}] * 2})


def test_presets_exist_cite_sources_and_match_the_dataset(bundled_net) -> None:
    ds = bundled_net[0]
    assert set(list_presets()) >= EXPECTED_PRESETS
    combos = [n for n in list_presets() if load_scenario(n).includes]
    assert len(combos) >= 2
    for name in list_presets():
        sc = load_scenario(name)
        assert sc.sources
        check_scenario(sc, ds, name)


def test_includes_merge_shocks_and_sources() -> None:
    combo = load_scenario("april-2025-plus-myanmar")
    april = load_scenario("april-2025-controls")
    assert [c.id for c in combo.export_controls] == [c.id for c in april.export_controls]
    assert [o.id for o in combo.outages] == ["myanmar_kachin"]
    assert set(april.sources) <= set(combo.sources)


def test_include_cycle_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\ntitle: a\nsources: [s]\nincludes: [b.yaml]\n")
    (tmp_path / "b.yaml").write_text("name: b\ntitle: b\nsources: [s]\nincludes: [a.yaml]\n")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(tmp_path / "a.yaml")


def test_check_scenario_names_unknown_ids(simnet) -> None:
    sc = scenario_from_dict({
        "name": "x", "title": "t", "sources": ["nope"],
        "export_controls": [{"id": "c", "ref": "no_such_measure", "exporter": ["XXX"],
                             "elements": ["Dy", "Unobtainium"], "forms": ["oxide"],
                             "regime": "ban", "start": "2025Q2"}],
        "market": {"ramp_rate": {"dist": "dataset", "id": "missing_param"}},
    }, "x.yaml")
    with pytest.raises(ScenarioError) as info:
        check_scenario(sc, simnet[0], "x.yaml")
    fields = {p.field for p in info.value.problems}
    assert {"sources[0]", "export_controls[0].ref", "export_controls[0].exporter[0]",
            "export_controls[0].elements[1]", "market.ramp_rate"} <= fields


def test_quarter_axis() -> None:
    assert quarter_index("2025Q1") == 0.0
    assert quarter_index("2040Q4") == 63.0
    assert quarter_index("2025-04-01") == 1.0
    assert 1.0 < quarter_index("2025-04-04") < 1.05


def test_distributions_sample_within_bounds_and_resolve_dataset_ranges() -> None:
    rng = np.random.default_rng(0)
    x = sample(Beta(dist="beta", a=2, b=5, low=0.2, high=0.6), rng, 2000)
    assert x.min() >= 0.2
    assert x.max() <= 0.6
    assert abs(x.mean() - (0.2 + 0.4 * 2 / 7)) < 0.01
    table = {"eps": (-0.1, -0.3, -0.05, "asm_elasticities")}
    tri = resolve(Triangular(dist="triangular", from_param="eps"), table)
    assert (tri.low, tri.mode, tri.high, tri.source) == (-0.3, -0.1, -0.05, "asm_elasticities")
