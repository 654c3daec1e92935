"""Named consistency checks of a dataset.

Each ``check_*`` function takes a :class:`~reeplan.io.dataset.Dataset` and returns the problems
it finds (empty list when the check passes), each naming file, row and field. They never raise;
:func:`check_dataset` runs them all and raises one :class:`~reeplan.errors.DataError` with every
problem, so a user fixes a dataset in one pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from reeplan.errors import Problem, raise_if_problems, shorten
from reeplan.io.dataset import ORIGIN_FILE, ORIGIN_ROW, Dataset
from reeplan.schema.parameters import PARAMETER_IDS
from reeplan.schema.types import iso_date_error, split_list

__all__ = [
    "CHECKS",
    "COMPOSITION_TOLERANCE",
    "REQUIRED_ELEMENTS",
    "check_assumption_grades",
    "check_compositions",
    "check_consequence_references",
    "check_dataset",
    "check_element_references",
    "check_elements_complete",
    "check_facility_cycles",
    "check_parameter_ranges",
    "check_production_capacity",
    "check_references",
    "check_required_parameters",
    "check_stage_shares",
    "check_substitution_horizons",
    "check_unique_keys",
    "check_year_order",
]

COMPOSITION_TOLERANCE = 0.005
"""Allowed deviation of an element mix's sum from 1 (0.5 %)."""

SHARE_TOLERANCE = 1e-6
"""Rounding allowance when stage shares are summed."""

REQUIRED_ELEMENTS = frozenset(
    ["La", "Ce", "Pr", "Nd", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Y", "Sc"]
)
"""The 14 naturally occurring lanthanides (no Pm) plus Y and Sc."""

ELEMENT_GROUPS = frozenset({"all", "LREE", "HREE", "NdPr", "DyTb", "SEG"})
"""Names allowed in ``element_group`` besides element symbols and ``;``-lists of them."""


def _at(frame: pd.DataFrame, row_id: str, field: str, message: str) -> Problem:
    row = frame.loc[row_id]
    return Problem(Path(str(row[ORIGIN_FILE])).name, int(row[ORIGIN_ROW]), field, message)


def _refs(
    ds: Dataset, table: str, column: str, valid: set[str], what: str, *, is_list: bool = False
) -> list[Problem]:
    frame = ds.tables[table]
    out = []
    for row_id, value in frame[column].items():
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        items = split_list(value) if is_list else [value]
        for item in items:
            if item not in valid:
                out.append(_at(frame, row_id, column, f"unknown {what} {item!r}"))
    return out


def _element_set(value: str, elements: set[str]) -> bool:
    if value in ELEMENT_GROUPS:
        return True
    parts = [p for p in value.replace(";", " ").split() if p]
    return bool(parts) and all(p in elements for p in parts)


def check_references(ds: Dataset) -> list[Problem]:
    """Every id that points into another table resolves there.

    Covers source ids, countries, elements, stages, compositions, facility feeds and award
    facilities.
    """
    sources = set(ds.tables["sources"].index)
    countries = set(ds.tables["countries"].index)
    elements = set(ds.tables["elements"].index)
    facilities = set(ds.tables["facilities"].index)
    compositions = set(ds.tables["compositions"]["composition"])
    out: list[Problem] = []
    for name, frame in ds.tables.items():
        if "source_id" in frame.columns:
            out += _refs(ds, name, "source_id", sources, "source id")
    if "defense_platforms" in ds.tables:
        out += _refs(ds, "defense_platforms", "us_units_source_id", sources, "source id")
    for name, col in [
        ("mine_production", "country"),
        ("reserves", "country"),
        ("stage_shares", "country"),
        ("facilities", "country"),
        ("trade_links", "exporter"),
        ("trade_links", "importer"),
        ("governance", "country"),
    ]:
        out += _refs(ds, name, col, countries, "country")
    for name, col in [("compositions", "element"), ("us_demand", "element")]:
        out += _refs(ds, name, col, elements, "element")
    out += _refs(ds, "export_controls", "elements", elements, "element", is_list=True)
    out += _refs(ds, "facilities", "composition", compositions, "composition")
    out += _refs(ds, "facilities", "feed", facilities | countries, "feed", is_list=True)
    out += _refs(ds, "awards", "facility_id", facilities, "facility")
    out += _refs(ds, "facilities", "part_of", facilities, "facility")
    for name in ("facility_phases", "facility_output", "benchmarks"):
        if name in ds.tables:
            out += _refs(ds, name, "facility_id", facilities, "facility")
    if "benchmarks" in ds.tables:
        out += _refs(ds, "benchmarks", "country", countries, "country")
        frame = ds.tables["benchmarks"]
        for row_id, value in frame["element"].items():
            if not _element_set(str(value), elements):
                out.append(_at(frame, row_id, "element", f"unknown element group {value!r}"))
    for name in ("stage_shares", "trade_links"):
        frame = ds.tables[name]
        for row_id, value in frame["element_group"].items():
            if not _element_set(str(value), elements):
                out.append(_at(frame, row_id, "element_group", f"unknown element group {value!r}"))
    return out


def check_stage_shares(ds: Dataset) -> list[Problem]:
    """Country shares of a stage sum to at most 1 per (stage, year, basis, element group)."""
    frame = ds.tables["stage_shares"]
    frame = frame[~frame["country"].isin(["WLD"])]
    out = []
    for key, grp in frame.groupby(["stage", "year", "basis", "element_group"]):
        total = float(grp["share"].sum())
        if total > 1 + SHARE_TOLERANCE:
            first = grp.index[0]
            out.append(
                _at(frame, first, "share", f"shares of {key} sum to {total:.3f} > 1")
            )
    return out


def check_compositions(ds: Dataset) -> list[Problem]:
    """Each element mix sums to 1 within :data:`COMPOSITION_TOLERANCE` and lists an element once."""
    frame = ds.tables["compositions"]
    out = []
    for comp, grp in frame.groupby("composition"):
        total = float(grp["share"].sum())
        if abs(total - 1.0) > COMPOSITION_TOLERANCE:
            out.append(
                _at(frame, grp.index[0], "share",
                    f"composition {comp!r} sums to {total:.4f}, not 1 (±0.5 %)")
            )
        dup = grp["element"][grp["element"].duplicated()]
        out += [
            _at(frame, i, "element", f"element {e!r} listed twice in {comp!r}")
            for i, e in dup.items()
        ]
    return out


def check_production_capacity(ds: Dataset) -> list[Problem]:
    """A facility's reported production does not exceed its capacity."""
    frame = ds.tables["facilities"]
    bad = frame[frame["production"].notna() & (frame["production"] > frame["capacity"] * 1.0001)]
    return [
        _at(frame, i, "production",
            f"production {r['production']:g} exceeds capacity {r['capacity']:g}")
        for i, r in bad.iterrows()
    ]


def check_year_order(ds: Dataset) -> list[Problem]:
    """Production years are not before start years; dates are ISO (YYYY[-MM[-DD]])."""
    out = []
    fac = ds.tables["facilities"]
    both = fac[fac["production_year"].notna() & fac["start_year"].notna()]
    for i, r in both.iterrows():
        if r["production_year"] < r["start_year"] - 1:
            out.append(_at(fac, i, "production_year", "production reported before the start year"))
    for name in ("export_controls", "awards", "sources", "prices"):
        frame = ds.tables[name]
        for col in ("date", "end_date"):
            if col not in frame.columns:
                continue
            for i, v in frame[col].items():
                if v is None or (isinstance(v, float) and pd.isna(v)):
                    continue
                if not _iso_date(str(v)):
                    out.append(_at(frame, i, col, f"date {v!r} is not a real date YYYY[-MM[-DD]]"))
    return out


def check_assumption_grades(ds: Dataset) -> list[Problem]:
    """A figure resting on a labelled assumption carries grade D."""
    kinds = ds.tables["sources"]["kind"]
    assumed = set(kinds[kinds == "assumption"].index)
    out = []
    for name, frame in ds.tables.items():
        if name == "sources" or "source_id" not in frame.columns:
            continue
        rows = frame[frame["source_id"].isin(assumed) & (frame["grade"] != "D")]
        out += [
            _at(frame, i, "grade", "a figure resting on an assumption must have grade D")
            for i in rows.index
        ]
    if "defense_platforms" in ds.tables:
        plat = ds.tables["defense_platforms"]
        rows = plat[plat["us_units_source_id"].isin(assumed) & (plat["us_units_grade"] != "D")]
        out += [
            _at(plat, i, "us_units_grade", "a figure resting on an assumption must have grade D")
            for i in rows.index
        ]
    return out


NATURAL_KEYS = {
    "mine_production": ("country", "year"),
    "reserves": ("country",),
    "us_salient": ("item", "year"),
    "compositions": ("composition", "element"),
    "governance": ("country", "year", "indicator"),
    "facility_phases": ("facility_id", "year"),
    "facility_output": ("facility_id", "year"),
}
"""Columns whose combination identifies a fact: two rows must not state the same fact."""


def check_unique_keys(ds: Dataset) -> list[Problem]:
    """No two rows state the same fact (e.g. one country's mine production in one year)."""
    out = []
    for name, key in NATURAL_KEYS.items():
        if name not in ds.tables:
            continue
        frame = ds.tables[name]
        dup = frame[frame.duplicated(list(key), keep="first")]
        for i, row in dup.iterrows():
            what = ", ".join(f"{k}={row[k]}" for k in key)
            out.append(_at(frame, i, key[0], f"a second row for {what} (ids must match to "
                                              "replace a row in an overlay)"))
    return out


def check_elements_complete(ds: Dataset) -> list[Problem]:
    """The elements table holds the 16 rare-earth elements."""
    missing = REQUIRED_ELEMENTS - set(ds.tables["elements"].index)
    if not missing:
        return []
    return [Problem("elements.csv", None, "id", f"missing elements: {', '.join(sorted(missing))}")]


def _iso_date(value: str) -> bool:
    # the same rule as the schema's IsoDate: a real calendar date, YYYY[-MM[-DD]]
    return iso_date_error(value) is None


def check_element_references(ds: Dataset) -> list[Problem]:
    """Element columns not covered by :func:`check_references` name known elements.

    ``prices.element`` and ``stockpile_plan.element`` (a symbol or a ``;``-list of symbols).
    """
    elements = set(ds.tables["elements"].index)
    out: list[Problem] = []
    for name in ("prices", "stockpile_plan"):
        frame = ds.tables[name]
        for row_id, value in frame["element"].items():
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            items = split_list(str(value))
            if not items:
                out.append(_at(frame, row_id, "element", "element list is empty"))
            out += [_at(frame, row_id, "element", f"unknown element {shorten(item)}")
                    for item in items if item not in elements]
    return out


def _cycles(edges: dict[str, list[str]]) -> list[list[str]]:
    """The cycles of a directed graph, one per strongly connected component that has one.

    Each cycle is a path ``[a, b, ..., a]`` starting at the component's first node in the order
    of ``edges``; a self-loop is ``[a, a]``. Iterative (no recursion limit).
    """
    order = {n: i for i, n in enumerate(edges)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comps: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            nxt = next((m for m in it if m in edges), None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges[nxt])))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1 or node in edges[node]:
                    comps.append(sorted(comp, key=order.__getitem__))
    out = []
    for comp in sorted(comps, key=lambda c: order[c[0]]):
        members = set(comp)
        path = [comp[0]]
        seen = {comp[0]}
        while True:  # walk inside the component until a node repeats: that closes a cycle
            step = next(m for m in edges[path[-1]] if m in members)
            if step in seen:
                out.append([*path[path.index(step):], step])
                break
            path.append(step)
            seen.add(step)
    return out


def check_facility_cycles(ds: Dataset) -> list[Problem]:
    """No facility feeds itself or sits in a feed cycle; ``part_of`` has no cycle.

    A feed cycle has no upstream origin to draw from, and a facility that is ``part_of`` itself
    (directly or around a cycle) would have its capacity dropped everywhere. One problem per
    cycle, at its first row in the file, naming every row of the cycle.
    """
    frame = ds.tables["facilities"]
    ids = [str(i) for i in frame.index]
    known = set(ids)
    out: list[Problem] = []
    for column, what in (("feed", "feed"), ("part_of", "part_of")):
        edges: dict[str, list[str]] = {}
        for row_id, value in frame[column].items():
            if value is None or (isinstance(value, float) and pd.isna(value)):
                targets: list[str] = []
            else:
                targets = split_list(str(value)) if column == "feed" else [str(value)]
            edges[str(row_id)] = [t for t in targets if t in known]
        for cycle in _cycles(edges):
            rows = [f"{i} (row {int(frame.loc[i, ORIGIN_ROW])})" for i in cycle]
            if len(cycle) == 2:
                msg = (f"facility feeds itself: {rows[0]}" if what == "feed"
                       else f"facility is part_of itself: {rows[0]}")
            elif len(cycle) <= 13:
                msg = f"{what} cycle: {' -> '.join(rows)}"
            else:  # name the first rows of a long cycle, not thousands
                msg = (f"{what} cycle of {len(cycle) - 1} facilities: "
                       f"{' -> '.join(rows[:10])} -> … -> {rows[-1]}")
            out.append(_at(frame, cycle[0], column, msg))
    return out


def check_parameter_ranges(ds: Dataset) -> list[Problem]:
    """A parameter's value lies within its own ``[low, high]`` range (where given)."""
    frame = ds.tables["parameters"]
    out: list[Problem] = []
    for row_id, row in frame.iterrows():
        value, low, high = row["value"], row["low"], row["high"]
        low = None if low is None or pd.isna(low) else float(low)
        high = None if high is None or pd.isna(high) else float(high)
        if (low is not None and value < low) or (high is not None and value > high):
            lo = "-inf" if low is None else f"{low:g}"
            hi = "inf" if high is None else f"{high:g}"
            out.append(_at(frame, row_id, "value",
                           f"value {value:g} is outside its own range [{lo}, {hi}]"))
    return out


def check_required_parameters(ds: Dataset) -> list[Problem]:
    """Every parameter the supply-chain model reads is in ``parameters.csv``.

    The ids are :data:`reeplan.schema.parameters.PARAMETER_IDS`, so ``data check`` rejects
    what ``run`` would.
    """

    have = set(ds.tables["parameters"].index)
    return [
        Problem("parameters.csv", None, "id",
                f"parameter {pid!r} is required by the supply-chain model ({field})")
        for field, pid in PARAMETER_IDS.items() if pid not in have
    ]



HORIZON_ORDER = ("quarter", "year", "three_years")
"""Substitution horizons, shortest first."""


def check_consequence_references(ds: Dataset) -> list[Problem]:
    """The consequence tables name known elements, and every element × sector with US demand
    has an intensity (else its shortfall would be valued at zero)."""
    if "sector_intensities" not in ds.tables:
        return []
    elements = set(ds.tables["elements"].index)
    out: list[Problem] = []
    for name in ("sector_intensities", "published_rankings"):
        if name in ds.tables:
            out += _refs(ds, name, "element", elements, "element")
    si = ds.tables["sector_intensities"]
    out += [_at(si, i, "element", f"a second intensity for {r['element']} in {r['sector']}")
            for i, r in si[si.duplicated(["element", "sector"])].iterrows()]
    have = set(zip(si["element"], si["sector"], strict=True))
    if have:
        demand = ds.tables["us_demand"]
        for i, r in demand.iterrows():
            if r["quantity"] > 0 and (r["element"], r["sector"]) not in have:
                out.append(_at(demand, i, "sector",
                               f"no sector_intensities row for {r['element']} in {r['sector']}"))
    return out


def check_substitution_horizons(ds: Dataset) -> list[Problem]:
    """Each sector has one substitution share per horizon, not falling with the horizon."""
    if "substitution" not in ds.tables:
        return []
    frame = ds.tables["substitution"]
    out = [_at(frame, i, "horizon", f"a second {r['horizon']} share for {r['sector']}")
           for i, r in frame[frame.duplicated(["sector", "horizon"])].iterrows()]
    for sector, group in frame.groupby("sector"):
        by = {r["horizon"]: (i, float(r["share"])) for i, r in group.iterrows()}
        missing = [h for h in HORIZON_ORDER if h not in by]
        if missing:
            i = next(iter(by.values()))[0]
            out.append(_at(frame, i, "horizon",
                           f"sector {sector!r} lacks horizons {', '.join(missing)}"))
            continue
        shares = [by[h][1] for h in HORIZON_ORDER]
        for h, a, b in zip(HORIZON_ORDER[1:], shares[:-1], shares[1:], strict=True):
            if b < a:
                out.append(_at(frame, by[h][0], "share",
                               f"{sector}: share after a {h} ({b}) is below the shorter "
                               f"horizon's ({a})"))
    return out


CHECKS: dict[str, Callable[[Dataset], list[Problem]]] = {
    "references": check_references,
    "stage_shares": check_stage_shares,
    "compositions": check_compositions,
    "production_capacity": check_production_capacity,
    "year_order": check_year_order,
    "assumption_grades": check_assumption_grades,
    "elements_complete": check_elements_complete,
    "unique_keys": check_unique_keys,
    "element_references": check_element_references,
    "facility_cycles": check_facility_cycles,
    "parameter_ranges": check_parameter_ranges,
    "required_parameters": check_required_parameters,
    "consequence_references": check_consequence_references,
    "substitution_horizons": check_substitution_horizons,
}
"""Every dataset check by name, in the order they run."""


def check_dataset(ds: Dataset, skip: Iterable[str] = ()) -> None:
    """Run every check and raise one error listing all problems.

    Parameters
    ----------
    ds
        The dataset.
    skip
        Names of checks (keys of :data:`CHECKS`) not to run.

    Raises
    ------
    DataError
        When a check finds a problem, or ``skip`` names an unknown check.
    """
    skip = set(skip)
    unknown = skip - set(CHECKS)
    problems: list[Problem] = [
        Problem("<options>", None, "skip", f"unknown check {u!r}") for u in sorted(unknown)
    ]
    for name, fn in CHECKS.items():
        if name not in skip:
            problems += fn(ds)
    raise_if_problems(problems, "dataset failed its consistency checks")
