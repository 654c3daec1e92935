"""Read scenario YAML (preset names or paths), merge ``includes``, validate, and check names.

Every problem is reported at once as a :class:`~reeplan.errors.ScenarioError` whose problems name
the file and the field path (``export_controls[0].approval_rate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reeplan.chain.model import GROUPS
from reeplan.errors import Problem, ScenarioError, shorten
from reeplan.io.dataset import Dataset
from reeplan.io.yaml import YamlDoc
from reeplan.sim.dists import DatasetValue as _DV
from reeplan.sim.dists import Param, Triangular, Uniform
from reeplan.sim.presets import list_presets, preset_path
from reeplan.sim.scenario import Scenario

__all__ = ["check_scenario", "load_scenario", "resolve_ref", "scenario_from_dict"]

_LISTS = ("export_controls", "outages", "demand_shifts", "project_delays", "assumptions")
_BLOCKS = ("market", "inventory", "stockpile", "dpa")
_DIST_TAGS = {"beta", "uniform", "triangular", "lognormal", "normal", "dataset"}
_TYPE_TAGS = {"float", "int", "str", "bool", "date"}


def resolve_ref(ref: str | Path, base: Path | None = None) -> Path:
    """Path of a scenario given as a preset name or a file path.

    Raises
    ------
    ScenarioError
        If neither a preset nor a file of that name exists.
    """
    text = str(ref)
    try:
        if not text.endswith((".yaml", ".yml")) and "/" not in text:
            preset = preset_path(text)
            if preset is not None:
                return preset
        path = Path(text)
        if not path.is_absolute() and base is not None and (base / path).is_file():
            path = base / path
        if path.is_file():
            return path
    except (OSError, ValueError) as exc:  # a name too long for a path, a NUL byte, ...
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError([Problem(_short(text), None, None,
                                     f"not a usable scenario file name ({reason})")],
                            "cannot load scenario") from None

    raise ScenarioError([Problem(_short(text), None, None,
                                 "no such scenario file or preset (presets: "
                                 f"{', '.join(list_presets())})")], "cannot load scenario")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    doc = YamlDoc(path)
    raw = doc.mapping("a scenario (a YAML mapping)")
    return raw, doc.problems


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Shocks and assumptions are concatenated (same id: the later one wins); blocks are merged
    key by key; sources are united; other keys are overridden."""
    out = dict(base)
    for key, value in top.items():
        if key in _LISTS and isinstance(value, list) and isinstance(out.get(key), list):
            merged = list(out[key])
            for item in value:
                iid = item.get("id") if isinstance(item, dict) else None
                merged = [m for m in merged
                          if not (iid and isinstance(m, dict) and m.get("id") == iid)]
                merged.append(item)
            out[key] = merged
        elif key in _BLOCKS and isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        elif key == "sources" and isinstance(value, list) and isinstance(out.get(key), list):
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = value
    return out


def _expand(path: Path, chain: tuple[Path, ...], problems: list[Problem]
            ) -> dict[str, Any] | None:
    raw, found = _read_yaml(path)
    problems += found
    if raw is None:
        return None
    merged: dict[str, Any] = {}
    includes = raw.get("includes") or []
    if not isinstance(includes, list):
        problems.append(Problem(str(path), None, "includes", "must be a list of presets/paths"))
        includes = []
    for i, inc in enumerate(includes):
        if not isinstance(inc, str):
            problems.append(Problem(str(path), None, f"includes[{i}]",
                                    "must be a preset name or a file path (text)"))
            continue
        try:
            inc_path = resolve_ref(str(inc), path.parent)
        except ScenarioError as exc:
            problems += [Problem(str(path), None, f"includes[{i}]", p.message)
                         for p in exc.problems]
            continue
        if inc_path.resolve() in {p.resolve() for p in (*chain, path)}:
            problems.append(Problem(str(path), None, f"includes[{i}]",
                                    f"{inc} includes itself (cycle)"))
            continue
        sub = _expand(inc_path, (*chain, path), problems)
        if sub is not None:
            problems += _validate(sub, inc_path)[1]
            sub = {k: v for k, v in sub.items() if k not in ("name", "title", "description")}
            merged = _merge(merged, sub)
    merged = _merge(merged, {k: v for k, v in raw.items() if k != "includes"})
    if includes:  # only the names given as text (others are problems above)
        merged["includes"] = [i for i in includes if isinstance(i, str)]
    return merged


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str, bool]:
    """Field path without pydantic's union-branch tags; and whether a dist branch was entered."""
    parts: list[str] = []
    in_dist = False
    skip_tag = False
    for part in loc:
        if isinstance(part, int):
            if parts:
                parts[-1] += f"[{part}]"
            continue
        text = str(part)
        if text.startswith("tagged-union"):
            in_dist, skip_tag = True, True
            continue
        if skip_tag and text in _DIST_TAGS:
            skip_tag = False
            continue
        if "[" in text or "(" in text or text in _TYPE_TAGS:
            continue
        parts.append(text)
    return ".".join(parts), in_dist


def _problems(exc: ValidationError, file: str) -> list[Problem]:
    by_path: dict[str, list[tuple[bool, dict[str, Any]]]] = {}
    for err in exc.errors():
        path, in_dist = _clean_loc(tuple(err["loc"]))
        if not in_dist and isinstance(err.get("input"), dict) and \
                err.get("type") in ("float_type", "float_parsing"):
            continue  # a mapping given for a number-or-distribution: the dist branch reports
        by_path.setdefault(path, []).append((in_dist, err))
    out: list[Problem] = []
    for path, errs in by_path.items():
        given = errs[0][1].get("input")
        if isinstance(given, dict) and any(d for d, _ in errs):
            errs = [(d, e) for d, e in errs if d]  # a mapping was given: report the dist branch
        msgs = []
        for _, e in errs:
            msgs.append(_message(e))
        msg = " or ".join(dict.fromkeys(msgs))
        out.append(Problem(file, None, path or None, msg))
    return out


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type")
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "missing":
        return "required field is missing"
    if kind == "model_attributes_type":
        return "expected a distribution mapping such as {dist: beta, a: 2, b: 3}"
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    value = err.get("input")
    if value is not None and not isinstance(value, dict | list) and kind != "value_error":
        return f"{msg} (got {shorten(value)})"
    return msg


def _validate(raw: dict[str, Any], path: Path) -> tuple[Scenario | None, list[Problem]]:
    try:
        return Scenario.model_validate(raw), []
    except ValidationError as exc:
        return None, _problems(exc, str(path))


def scenario_from_dict(raw: dict[str, Any], file: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a mapping (no includes).

    Raises
    ------
    ScenarioError
        Listing every problem with ``file`` and field.
    """
    sc, problems = _validate(raw, Path(file))
    if problems or sc is None:
        raise ScenarioError(problems, f"invalid scenario {file}")
    return sc


def load_scenario(ref: str | Path) -> Scenario:
    """Load a scenario from a preset name or a YAML path, with its includes.

    Raises
    ------
    ScenarioError
        Listing every problem found (file and field), in this file and the files it includes.
    """
    path = resolve_ref(ref)
    problems: list[Problem] = []
    raw = _expand(path, (), problems)
    sc = None
    if raw is not None:
        sc, found = _validate(raw, path)
        problems += found
    if problems or sc is None:
        raise ScenarioError(problems, f"invalid scenario {path}")
    return sc


def check_scenario(sc: Scenario, ds: Dataset, file: str = "<scenario>") -> None:
    """Check the scenario's names against a dataset.

    Raises
    ------
    ScenarioError
        Unknown elements, groups, countries, sectors, source ids, export-control ids or parameter
        ids, each with the file and field.
    """
    elements = set(map(str, ds["elements"].index))
    countries = set(map(str, ds["countries"].index)) - {"WLD"}
    sectors = set(map(str, ds["us_demand"]["sector"]))
    params = set(map(str, ds["parameters"].index))
    refs = set(map(str, ds["export_controls"].index))
    sources = set(map(str, ds["sources"].index)) | refs
    for table in ("trade_links", "parameters", "stockpile_plan", "prices"):
        sources |= set(map(str, ds[table].index))
    problems: list[Problem] = []

    def bad(field: str, msg: str) -> None:
        problems.append(Problem(file, None, field, msg))

    def names(field: str, value: str | list[str], known: set[str], what: str,
              groups: bool = False) -> None:
        if value == "all":
            return
        for i, v in enumerate(value):
            if v not in known and not (groups and v in GROUPS):
                extra = f" or a group ({', '.join(GROUPS)})" if groups else ""
                bad(f"{field}[{i}]", f"unknown {what} {v!r}; use one of the dataset's{extra}")

    for i, s in enumerate(sc.sources):
        if s not in sources:
            bad(f"sources[{i}]", f"unknown id {s!r} (use ids of sources, export_controls, "
                "trade_links, parameters, stockpile_plan or prices rows)")
    for i, c in enumerate(sc.export_controls):
        f = f"export_controls[{i}]"
        if c.ref is not None and c.ref not in refs:
            bad(f"{f}.ref", f"unknown export_controls id {c.ref!r}")
        names(f"{f}.elements", c.elements, elements, "element", groups=True)
        names(f"{f}.exporter", c.exporter, countries, "country")
        names(f"{f}.destinations", c.destinations, countries, "country")
    for i, o in enumerate(sc.outages):
        names(f"outages[{i}].elements", o.elements, elements, "element", groups=True)
        names(f"outages[{i}].countries", o.countries, countries, "country")
    for i, d in enumerate(sc.demand_shifts):
        names(f"demand_shifts[{i}].elements", d.elements, elements, "element", groups=True)
        names(f"demand_shifts[{i}].sectors", d.sectors, sectors, "sector")
    for i, p in enumerate(sc.project_delays):
        names(f"project_delays[{i}].countries", p.countries, countries, "country")
        names(f"project_delays[{i}].exclude_countries", p.exclude_countries, countries,
              "country")
    for field, p in _params(sc):
        for pid in _param_ids(p):
            if pid not in params:
                bad(field, f"unknown parameters.csv id {pid!r}")
    if problems:
        raise ScenarioError(problems, f"scenario {sc.name} does not match the dataset")


def _params(sc: Scenario) -> list[tuple[str, Param | None]]:
    out: list[tuple[str, Param | None]] = [("demand_growth_shift", sc.demand_growth_shift)]
    for block in ("market", "inventory", "stockpile"):
        model = getattr(sc, block)
        for name in type(model).model_fields:
            out.append((f"{block}.{name}", getattr(model, name)))
    for group in ("export_controls", "outages", "demand_shifts", "project_delays"):
        for i, shock in enumerate(getattr(sc, group)):
            for name in type(shock).model_fields:
                out.append((f"{group}[{i}].{name}", getattr(shock, name)))
    return out


def _param_ids(p: object) -> list[str]:
    if isinstance(p, _DV):
        return [p.id]
    if isinstance(p, Uniform | Triangular) and p.from_param:
        return [p.from_param]
    return []
