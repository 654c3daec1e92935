"""Load project and package YAML files strictly, with errors that name file, field and line.

Presets ship in ``reeplan/finance/presets/`` (``projects.yaml`` and ``packages/*.yaml``); users
may pass their own files of the same shape. Every problem is collected and raised together as
one :class:`~reeplan.errors.DataError`: YAML syntax, duplicate keys, unknown keys, missing or
invalid fields, and numbers whose source id does not resolve in ``sources.csv`` (or in the
file's own ``sources:`` list).
"""

from __future__ import annotations

from collections.abc import Set
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reeplan.errors import DataError, Problem
from reeplan.finance.instruments import Package
from reeplan.finance.project import Project
from reeplan.finance.sourced import SourceRow, provenance
from reeplan.io.yaml import YamlDoc

__all__ = [
    "list_package_presets",
    "load_package",
    "load_projects",
    "presets_dir",
    "resolve_project",
]


def presets_dir() -> Path:
    """Folder of the shipped presets."""
    return Path(str(resources.files("reeplan.finance") / "presets"))


def list_package_presets() -> list[str]:
    """Ids (file stems) of the shipped package presets, sorted."""
    return sorted(p.stem for p in (presets_dir() / "packages").glob("*.yaml"))


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key (not in the schema)"
    if kind == "missing":
        return "required field is missing"
    msg = str(err.get("msg", "invalid value"))
    return msg.removeprefix("Value error, ")


def _validate(doc: YamlDoc, model: type[BaseModel], data: Any, loc: tuple[Any, ...]
              ) -> BaseModel | None:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where_loc = tuple(err["loc"])
            if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
                where_loc += ("kind",)  # point at the discriminator itself
            field, line = doc.locate(loc + where_loc)
            where = f" (line {line})" if line else ""
            doc.problems.append(Problem(doc.name, None, field or None, _message(err) + where))
        return None


def _declared_sources(model: BaseModel, path: str = "") -> list[tuple[str, str]]:
    """Every ``source_id`` set on ``model`` or a nested object, with its dotted path."""
    found = []
    own = getattr(model, "source_id", None)
    if isinstance(own, str):
        found.append((f"{path}source_id", own))
    for name in type(model).model_fields:
        item = getattr(model, name)
        items = item if isinstance(item, list) else [item]
        for i, sub in enumerate(items):
            if isinstance(sub, BaseModel) and not isinstance(sub, SourceRow):
                sub_path = f"{path}{name}." + (f"{i}." if isinstance(item, list) else "")
                found += _declared_sources(sub, sub_path)
    return found


def _check_sources(doc: YamlDoc, model: BaseModel, loc: tuple[Any, ...], known: set[str]) -> None:
    for path_s, sid in _declared_sources(model):
        if sid not in known:
            path = tuple(int(p) if p.isdigit() else p for p in path_s.split("."))
            field, line = doc.locate(loc + path)
            where = f" (line {line})" if line else ""
            doc.problems.append(Problem(doc.name, None, field,
                                        f"source id {sid!r} is not in sources.csv nor in the "
                                        f"file's sources{where}"))
    for row in provenance(model):
        path = tuple(int(p) if p.isdigit() else p for p in row.path.split("."))
        field, line = doc.locate(loc + path)
        where = f" (line {line})" if line else ""
        if row.source_id is None:
            doc.problems.append(Problem(doc.name, None, field,
                                        "no source: give source_id here or on the enclosing "
                                        f"object{where}"))


def _file_sources(doc: YamlDoc, data: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for i, raw in enumerate(data.get("sources") or []):
        row = _validate(doc, SourceRow, raw, ("sources", i))
        if isinstance(row, SourceRow):
            ids.add(row.id)
    return ids


def load_projects(path: Path | None = None, *, source_ids: Set[str]) -> dict[str, Project]:
    """Read a projects file (default: the shipped presets).

    The file holds ``projects:`` (a mapping of project id to fields) and optionally
    ``sources:`` (rows like ``sources.csv`` for ids not in the bundled data).

    Raises
    ------
    DataError
        Every problem found, each naming the file, the field and the line.
    """
    path = Path(path) if path is not None else presets_dir() / "projects.yaml"
    doc = YamlDoc(path, path.name)
    projects: dict[str, Project] = {}
    if not doc.problems:
        data = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("projects"), dict):
            doc.problems.append(Problem(doc.name, None, "projects",
                                        "expected a mapping 'projects:' of project id -> fields"))
        else:
            unknown = sorted(set(data) - {"projects", "sources"})
            for key in unknown:
                doc.problems.append(Problem(doc.name, None, key, "unknown key (not in the "
                                            "schema)"))
            known = set(source_ids) | _file_sources(doc, data)
            for pid, raw in data["projects"].items():
                if not isinstance(raw, dict):
                    doc.problems.append(Problem(doc.name, None, f"projects.{pid}",
                                                "expected a mapping of fields"))
                    continue
                loc = ("projects", pid)
                project = _validate(doc, Project, {"id": str(pid), **raw}, loc)
                if isinstance(project, Project):
                    _check_sources(doc, project, loc, known)
                    projects[project.id] = project
    if doc.problems:
        raise DataError(doc.problems, f"invalid projects file {path}")
    return projects


def load_package(spec: str | Path, *, source_ids: Set[str]) -> Package:
    """Read a package: a preset id (e.g. ``mp-2025``) or a YAML file path.

    Raises
    ------
    DataError
        Unknown preset, or every problem of the file (file, field and line named).
    """
    path = Path(spec)
    if not path.suffix and not path.exists():
        preset = presets_dir() / "packages" / f"{spec}.yaml"
        if not preset.exists():
            raise DataError([Problem(str(spec), None, None,
                                     "no such package file or preset; presets: "
                                     + ", ".join(list_package_presets()))],
                            "unknown package")
        path = preset
    if not path.exists():
        raise DataError([Problem(str(path), None, None, "file does not exist")],
                        "unknown package")
    doc = YamlDoc(path, path.name)
    package = None
    if not doc.problems:
        if not isinstance(doc.data, dict):
            doc.problems.append(Problem(doc.name, None, None, "expected a mapping of fields"))
        else:
            known = set(source_ids) | _file_sources(doc, doc.data)
            package = _validate(doc, Package, doc.data, ())
            if isinstance(package, Package):
                _check_sources(doc, package, (), known)
    if doc.problems or not isinstance(package, Package):
        raise DataError(doc.problems, f"invalid package file {path}")
    return package


def resolve_project(spec: str, *, source_ids: Set[str]) -> Project:
    """A project by preset id, or from a file: ``path.yaml`` (one project) or ``path.yaml:id``.

    Raises
    ------
    DataError
        Unknown id or an invalid file.
    """
    file_part, pid = spec, ""
    if ":" in spec and Path(spec.rsplit(":", 1)[0]).exists():
        file_part, pid = spec.rsplit(":", 1)
    path = Path(file_part)
    if path.suffix in (".yaml", ".yml") or path.exists():
        projects = load_projects(path, source_ids=source_ids)
        if pid:
            if pid not in projects:
                raise DataError([Problem(path.name, None, "projects",
                                         f"no project {pid!r}; it has {', '.join(projects)}")],
                                "unknown project")
            return projects[pid]
        if len(projects) != 1:
            raise DataError([Problem(path.name, None, "projects",
                                     f"holds {len(projects)} projects; name one as "
                                     f"{path}:ID ({', '.join(projects)})")], "ambiguous project")
        return next(iter(projects.values()))
    projects = load_projects(source_ids=source_ids)
    if spec not in projects:
        raise DataError([Problem("projects.yaml", None, None,
                                 f"no preset project {spec!r}; presets: {', '.join(projects)}")],
                        "unknown project")
    return projects[spec]
