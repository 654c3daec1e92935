"""Each named check: a passing case (the tiny dataset) and a failing case naming file/row/field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from reeplan.errors import DataError
from reeplan.io.checks import (
    CHECKS,
    check_assumption_grades,
    check_compositions,
    check_dataset,
    check_elements_complete,
    check_production_capacity,
    check_references,
    check_stage_shares,
    check_year_order,
)
from reeplan.io.readers import load_dataset
from tests.conftest import replace_in


def _load(path: Path):
    return load_dataset(path, check=False)


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_check_passes_on_tiny_dataset(tiny_dir: Path, name: str) -> None:
    assert CHECKS[name](_load(tiny_dir)) == []


def test_references_unknown_source(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "awards.csv", "DoD,direct_loan,src_a", "DoD,direct_loan,src_zz")
    problems = check_references(_load(tiny_dir))
    assert [(p.file, p.row, p.field) for p in problems] == [("awards.csv", 1, "source_id")]


def test_references_unknown_country_feed_and_composition(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "facilities.csv", ",mine_usa,", ",mine_xyz,")
    replace_in(tiny_dir / "facilities.csv", "operating,src_a,A,ore_a", "operating,src_a,A,ore_b")
    replace_in(tiny_dir / "trade_links.csv", "USA,CHN", "USA,FRA")
    found = {(p.file, p.row, p.field) for p in check_references(_load(tiny_dir))}
    assert found == {
        ("facilities.csv", 2, "feed"),
        ("facilities.csv", 1, "composition"),
        ("trade_links.csv", 1, "importer"),
    }


_PLATFORMS = ("id,platform,re_mass_kg,source_id,grade,units_per_year,us_units_per_year,"
              "us_units_source_id,us_units_grade,note\n")


@pytest.mark.parametrize(("row", "check", "field"), [
    # issue 12 row 12: the US services' buys carry their own source id, resolved like source_id
    ("f35,F-35,417,src_a,A,,68,src_zz,C,\n", check_references, "us_units_source_id"),
    # resting on an assumption, they need grade D
    ("f35,F-35,417,src_a,A,,68,asm_x,C,\n", check_assumption_grades, "us_units_grade"),
])
def test_us_units_source_and_grade_are_checked(tiny_dir: Path, row: str, check, field: str
                                               ) -> None:
    (tiny_dir / "defense_platforms.csv").write_text(_PLATFORMS + row)
    problems = check(_load(tiny_dir))
    assert [(p.file, p.row, p.field) for p in problems] == [("defense_platforms.csv", 1, field)]


def test_us_units_need_their_source_and_grade(tiny_dir: Path) -> None:
    (tiny_dir / "defense_platforms.csv").write_text(_PLATFORMS + "f35,F-35,417,src_a,A,,68,,,\n")
    with pytest.raises(DataError) as exc:
        _load(tiny_dir)
    assert [(p.file, p.row) for p in exc.value.problems] == [("defense_platforms.csv", 1)]
    assert "go together" in exc.value.problems[0].message


def test_references_unknown_element_group(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "stage_shares.csv", "0.1,production,all", "0.1,production,Xx")
    found = [(p.row, p.field) for p in check_references(_load(tiny_dir))]
    assert found == [(2, "element_group")]


def test_stage_shares_over_one(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "stage_shares.csv", "AUS,2025,0.1", "AUS,2025,0.2")
    problems = check_stage_shares(_load(tiny_dir))
    assert len(problems) == 1
    assert problems[0].file == "stage_shares.csv"
    assert problems[0].field == "share"
    assert "1.100" in problems[0].message


def test_stage_shares_within_rounding_pass(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "stage_shares.csv", "AUS,2025,0.1", "AUS,2025,0.1000001")
    assert check_stage_shares(_load(tiny_dir)) == []


def test_compositions_must_sum_to_one(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "compositions.csv", "Nd,0.2", "Nd,0.21")  # sums to 1.01 > 0.5 %
    problems = check_compositions(_load(tiny_dir))
    assert [(p.file, p.field) for p in problems] == [("compositions.csv", "share")]
    assert "1.0100" in problems[0].message


def test_compositions_within_half_percent_pass(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "compositions.csv", "Nd,0.2", "Nd,0.204")
    assert check_compositions(_load(tiny_dir)) == []


def test_production_above_capacity(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "facilities.csv", "2010,,30,2025", "2010,,45,2025")
    problems = check_production_capacity(_load(tiny_dir))
    assert [(p.file, p.row, p.field) for p in problems] == [("facilities.csv", 1, "production")]


def test_dates_must_be_iso(tiny_dir: Path) -> None:
    # a bad date is rejected by the row model when the file is read (file, row and field named)
    replace_in(tiny_dir / "export_controls.csv", "2025-04-04", "4 Apr 2025")
    with pytest.raises(DataError) as exc:
        _load(tiny_dir)
    assert [(p.file, p.row, p.field) for p in exc.value.problems] == [
        ("export_controls.csv", 1, "date")
    ]


@pytest.mark.parametrize("bad", ["4 Apr 2025", "2025-13-45", "2025-02-30"])
def test_year_order_checks_dates_of_tables_built_in_code(tiny_dir: Path, bad: str) -> None:
    ds = _load(tiny_dir)
    frame = ds.tables["export_controls"].copy()
    frame["date"] = bad
    problems = check_year_order(replace(ds, tables={**ds.tables, "export_controls": frame}))
    assert [(p.file, p.row, p.field) for p in problems] == [("export_controls.csv", 1, "date")]


def test_assumption_needs_grade_d(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "us_demand.csv", "asm_x,D", "asm_x,B")
    problems = check_assumption_grades(_load(tiny_dir))
    assert [(p.file, p.row, p.field) for p in problems] == [("us_demand.csv", 1, "grade")]


def test_elements_complete(tiny_dir: Path) -> None:
    path = tiny_dir / "elements.csv"
    path.write_text("\n".join(line for line in path.read_text().splitlines()
                              if not line.startswith("Sc,")) + "\n")
    problems = check_elements_complete(_load(tiny_dir))
    assert len(problems) == 1
    assert "Sc" in problems[0].message


def test_check_dataset_raises_with_every_problem(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "compositions.csv", "Nd,0.2", "Nd,0.3")
    replace_in(tiny_dir / "facilities.csv", "2010,,30,2025", "2010,,45,2025")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert {p.file for p in exc.value.problems} == {"compositions.csv", "facilities.csv"}


def test_check_dataset_skip_validates_names(tiny_dir: Path) -> None:
    with pytest.raises(DataError, match="unknown check 'nope'"):
        check_dataset(_load(tiny_dir), skip=["nope"])


def test_assumption_source_needs_reasoning(tiny_dir: Path) -> None:
    replace_in(tiny_dir / "sources.csv", "D,reasoning: hand-made for tests", "D,")
    with pytest.raises(DataError) as exc:
        load_dataset(tiny_dir)
    assert [(p.file, p.row) for p in exc.value.problems] == [("sources.csv", 3)]


def test_unique_keys(tiny_dir: Path) -> None:
    from reeplan.io.checks import check_unique_keys

    path = tiny_dir / "mine_production.csv"
    path.write_text(path.read_text() + "mp_chn_2025_b,CHN,2025,61,test,src_a,A,\n")
    problems = check_unique_keys(_load(tiny_dir))
    assert [(p.file, p.row, p.field) for p in problems] == [("mine_production.csv", 5, "country")]
