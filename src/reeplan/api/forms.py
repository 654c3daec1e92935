"""Forms generated from a pydantic model's JSON Schema and a document of current values.

:func:`form_fields` walks a scenario (or threat model) document alongside its JSON Schema and
returns one field per scalar value (or list of scalars), with its type, bounds and description
from the schema; :func:`apply_form` writes submitted strings back into a copy of the document,
converting each to the type of the value it replaces. The document is then validated by the
model's own schema, so the form never accepts what a YAML file could not hold.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from reeplan.errors import DataError, Problem

__all__ = ["FormField", "apply_form", "form_fields"]

PREFIX = "f:"
SKIP = {"name", "title", "description", "sources", "assumptions", "history", "includes"}
"""Top-level keys that are not parameters (kept from the server's copy)."""
SKIP_LEAF = {"source", "id", "ref", "dist", "note"}
"""Keys at any depth that label a value rather than set it (kept from the server's copy)."""


@dataclass(frozen=True)
class FormField:
    """One input of the generated form."""

    path: str
    label: str
    kind: str
    """``number``, ``integer``, ``text``, ``bool`` or ``list``."""
    value: str
    group: str
    description: str = ""
    minimum: float | None = None
    maximum: float | None = None

    @property
    def name(self) -> str:
        """The input's name in the form."""
        return PREFIX + self.path


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema and seen < 20:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**root.get("$defs", {}).get(ref, {}), **extra}
        seen += 1
    if "allOf" in schema and len(schema["allOf"]) == 1:
        schema = {**_resolve(schema["allOf"][0], root),
                  **{k: v for k, v in schema.items() if k != "allOf"}}
    return schema


def _branches(schema: dict[str, Any], root: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema, root)
    opts = schema.get("anyOf") or schema.get("oneOf")
    if not opts:
        return [schema]
    out = []
    for o in opts:
        out += _branches(o, root)
    return [{**{k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}, **b}
            for b in out]


def _for_value(schema: dict[str, Any], root: dict[str, Any], value: Any) -> dict[str, Any]:
    """The branch of a union schema that describes ``value``."""
    kinds = {bool: "boolean", int: "integer", float: "number", str: "string",
             list: "array", dict: "object"}
    want = kinds.get(type(value), "")
    best: dict[str, Any] = {}
    for b in _branches(schema, root):
        t = b.get("type")
        if isinstance(value, dict) and (t == "object" or "properties" in b):
            props = b.get("properties", {})
            tag = value.get("dist")
            const = props.get("dist", {}).get("const") if "dist" in props else None
            if (tag is not None and const == tag) or (tag is None and set(value) <= set(props)):
                return b
            best = best or b
        elif t == want or (want == "integer" and t == "number"):
            return b
        elif not best:
            best = b
    return best


def form_fields(doc: dict[str, Any], schema: dict[str, Any]) -> list[FormField]:
    """One field per scalar (or list of scalars) of ``doc``, described by ``schema``."""
    out: list[FormField] = []

    def walk(value: Any, sch: dict[str, Any], path: list[str], group: str) -> None:
        sch = _for_value(sch, schema, value)
        if isinstance(value, dict):
            props = sch.get("properties", {})
            extra = sch.get("additionalProperties")
            for k, v in value.items():
                if k in SKIP_LEAF:
                    continue
                sub = props.get(k, extra if isinstance(extra, dict) else {})
                walk(v, sub, [*path, str(k)], group)
            return
        if isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out.append(_field(path, "list", ", ".join(map(str, value)), sch, group))
                return
            items = sch.get("items", {})
            for i, v in enumerate(value):
                walk(v, items, [*path, str(i)], group)
            return
        if isinstance(value, bool):
            out.append(_field(path, "bool", "true" if value else "false", sch, group))
        elif isinstance(value, int):
            out.append(_field(path, "integer", str(value), sch, group))
        elif isinstance(value, float):
            out.append(_field(path, "number", repr(value), sch, group))
        elif isinstance(value, str):
            out.append(_field(path, "text", value, sch, group))

    for key, value in doc.items():
        if key in SKIP or value is None:
            continue
        walk(value, schema.get("properties", {}).get(key, {}), [key], key)
    return out


def _field(path: list[str], kind: str, value: str, sch: dict[str, Any], group: str
           ) -> FormField:
    return FormField(".".join(path), " › ".join(path[1:]) or path[0], kind, value, group,
                     str(sch.get("description") or sch.get("title") or "")[:300],
                     sch.get("minimum", sch.get("exclusiveMinimum")),
                     sch.get("maximum", sch.get("exclusiveMaximum")))


def apply_form(doc: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """A copy of ``doc`` with the submitted values (names ``f:PATH``) in place.

    Raises
    ------
    DataError
        Naming each field whose text is not a value of the right type, or that is unknown.
    """
    out = copy.deepcopy(doc)
    problems = []
    for name, text in form.items():
        if not name.startswith(PREFIX):
            continue
        path = name[len(PREFIX):]
        parts = path.split(".")
        try:
            parent = out
            for p in parts[:-1]:
                parent = parent[int(p)] if isinstance(parent, list) else parent[p]
            last: Any = int(parts[-1]) if isinstance(parent, list) else parts[-1]
            old = parent[last]
        except (KeyError, IndexError, ValueError, TypeError):
            problems.append(Problem("form", None, path, "not a parameter of this scenario"))
            continue
        try:
            parent[last] = _convert(old, text.strip())
        except ValueError as exc:
            problems.append(Problem("form", None, path, str(exc)))
    if problems:
        raise DataError(problems, "invalid form")
    return out


def _convert(old: Any, text: str) -> Any:
    if isinstance(old, bool):
        if text not in ("true", "false"):
            msg = f"must be true or false, not {text!r}"
            raise ValueError(msg)
        return text == "true"
    if isinstance(old, int):
        try:
            return int(text)
        except ValueError:
            msg = f"must be a whole number, not {text!r}"
            raise ValueError(msg) from None
    if isinstance(old, float):
        try:
            v = float(text)
        except ValueError:
            msg = f"must be a number, not {text!r}"
            raise ValueError(msg) from None
        if not math.isfinite(v):
            msg = "must be a finite number"
            raise ValueError(msg)
        return v
    if isinstance(old, list):
        items = [s.strip() for s in text.split(",") if s.strip()]
        if old and all(isinstance(x, int | float) and not isinstance(x, bool) for x in old):
            return [_convert(float(old[0]), s) for s in items]
        return items
    return text
