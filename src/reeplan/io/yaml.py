"""The one strict YAML reader of reeplan (scenario, threat-model and finance files).

Every YAML input goes through :class:`YamlDoc`, which

* reads only regular files, as UTF-8 (a BOM is allowed), up to :data:`MAX_BYTES`;
* rejects NUL bytes, more than :data:`MAX_ALIASES` aliases (alias bombs) and nesting deeper than
  :data:`MAX_DEPTH`, before anything is constructed;
* rejects duplicate mapping keys (PyYAML would silently keep the last one);
* keeps dates as text, so a bad date is a field problem rather than a crash;
* keeps the node tree, so a pydantic error location maps back to a line number
  (:meth:`YamlDoc.locate`).

Problems are :class:`~reeplan.errors.Problem` records naming the file and the field, with the line
number at the end of the message (``(line 12)``).
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from reeplan.errors import Problem

__all__ = ["MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_VALUES", "YamlDoc",
           "validation_problems"]

MAX_BYTES = 2_000_000
"""Largest YAML file read (bytes)."""
MAX_ALIASES = 200
"""Most aliases (``*name``) one document may use."""
MAX_DEPTH = 60
"""Deepest nesting of mappings and sequences."""
MAX_VALUES = 200_000
"""Most values (scalars, sequences, mappings) the document may hold once its aliases are
expanded: a few aliases of aliases (a "billion laughs" bomb) expand exponentially, and any code
that walks the data would hang."""


class _LimitExceeded(yaml.YAMLError):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.problem = message
        self.problem_mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader with alias and depth limits and dates kept as text."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitExceeded(f"more than {MAX_ALIASES} aliases",
                                     self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitExceeded(f"nesting deeper than {MAX_DEPTH} levels",
                                     self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlDoc:
    """A parsed YAML file: ``data`` (Python objects), ``node`` (the tree) and ``problems``.

    Parameters
    ----------
    path
        The file to read.
    name
        Name used in problems (default: the path as given).
    """

    def __init__(self, path: Path | str, name: str | None = None) -> None:
        path = Path(path)
        self.path = path
        self.name = name or str(path)
        self.problems: list[Problem] = []
        self.node: yaml.Node | None = None
        self.data: Any = None
        text = self._read(path)
        if text is None:
            return
        loader = None
        try:
            loader = _Loader(text)  # its reader rejects control characters at once
            self.node = loader.get_single_node()
            if self.node is not None:
                self._check_expansion(self.node)
            if self.node is not None and not self.problems:
                self._check_duplicates(self.node, "")
                if not self.problems:
                    self.data = loader.construct_document(self.node)
        except (yaml.YAMLError, RecursionError) as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            what = getattr(exc, "problem", None) or exc
            self.problems.append(Problem(self.name, None, None, f"invalid YAML{where}: {what}"))
            self.node = None
        finally:
            if loader is not None:
                loader.dispose()

    def _read(self, path: Path) -> str | None:
        try:
            mode = path.stat().st_mode
            if not stat.S_ISREG(mode):
                self._fail("not a regular file")
                return None
            size = path.stat().st_size
            if size > MAX_BYTES:
                self._fail(f"file is larger than {MAX_BYTES:,} bytes ({size:,})")
                return None
            raw = path.read_bytes()
        except OSError as exc:
            self._fail(f"cannot read file: {exc.strerror or exc}")
            return None
        if b"\x00" in raw:
            self._fail("file contains a NUL byte (not a text file)")
            return None
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self._fail(f"not UTF-8 text (line {line}, byte {exc.start + 1})")
            return None

    def _fail(self, message: str) -> None:
        self.problems.append(Problem(self.name, None, None, message))

    def _check_expansion(self, root: yaml.Node) -> None:
        """Reject recursive aliases and documents that expand to more than MAX_VALUES values.

        Sizes are counted per node once (memoised), so the check itself is linear in the file.
        """
        size: dict[int, int] = {}
        on_path: set[int] = set()
        stack: list[tuple[yaml.Node, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            key = id(node)
            if children_done:
                on_path.discard(key)
                total = 1 + sum(size[id(c)] for c in _children(node))
                size[key] = min(total, MAX_VALUES + 1)
                continue
            if key in size:
                continue
            if key in on_path:
                self._fail(f"invalid YAML (line {node.start_mark.line + 1}): an alias refers "
                           "to a value that contains it (recursive alias)")
                self.node = None
                return
            on_path.add(key)
            stack.append((node, True))
            stack.extend((c, False) for c in _children(node) if id(c) not in size)
        if size.get(id(root), 0) > MAX_VALUES:
            self._fail(f"invalid YAML: its aliases expand to more than {MAX_VALUES:,} values "
                       "(an alias bomb?)")
            self.node = None

    def _check_duplicates(self, root: yaml.Node, path: str) -> None:
        """Duplicate keys anywhere in the tree (iterative; each node visited once)."""
        stack: list[tuple[yaml.Node, str]] = [(root, path)]
        seen_nodes: set[int] = set()
        while stack:
            node, where = stack.pop()
            if id(node) in seen_nodes:
                continue  # an alias points here: already checked
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                keys: set[str] = set()
                for key, value in node.value:
                    k = str(key.value)
                    if k in keys:
                        self.problems.append(Problem(
                            self.name, None, f"{where}{k}",
                            f"duplicate key (line {key.start_mark.line + 1})"))
                    keys.add(k)
                    stack.append((value, f"{where}{k}."))
            elif isinstance(node, yaml.SequenceNode):
                stack.extend((item, f"{where}{i}.") for i, item in enumerate(node.value))

    def mapping(self, what: str = "a YAML mapping") -> dict[str, Any] | None:
        """The document as a mapping, or ``None`` with a problem recorded."""
        if self.problems:
            return None
        if not isinstance(self.data, dict):
            self._fail(f"the file must hold {what}")
            return None
        return self.data

    def locate(self, loc: tuple[Any, ...]) -> tuple[str, int | None]:
        """Readable dotted field path and line number of a pydantic error location."""
        node, parts = self.node, []
        line = None if node is None else node.start_mark.line + 1
        for i, part in enumerate(loc):
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if str(k.value) == str(part)), None)
                tag = next((str(v.value) for k, v in node.value if k.value == "kind"), None)
                if child is None:
                    if str(part) == tag or (part == "value" and i == len(loc) - 1 and parts):
                        continue
                    parts.append(str(part))
                    break
                node = child
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    parts.append(str(part))
                    break
                node = node.value[part]
            else:
                if part == "value" or isinstance(node, yaml.ScalarNode):
                    continue
                parts.append(str(part))
                continue
            parts.append(str(part))
            line = node.start_mark.line + 1
        return ".".join(parts), line


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def validation_problems(doc: YamlDoc, exc: ValidationError, prefix: tuple[Any, ...] = ()
                        ) -> list[Problem]:
    """pydantic errors as problems naming the file, line and dotted field."""
    out = []
    for err in exc.errors():
        field, line = doc.locate((*prefix, *err["loc"]))
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field"
        elif err.get("type") == "missing":
            msg = "required field is missing"
        else:
            given = err.get("input")
            if given is not None and not isinstance(given, dict | list):
                shown = repr(given)
                msg += f" (got {shown[:80]}{'…' if len(shown) > 80 else ''})"
        out.append(Problem(doc.name, None, field or None,
                           msg + (f" (line {line})" if line else "")))
    return out


def validate_model(doc: YamlDoc, model: type[BaseModel], data: Any,
                   prefix: tuple[Any, ...] = ()) -> BaseModel | None:
    """Validate ``data`` against ``model``; record problems on ``doc`` and return ``None``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        doc.problems += validation_problems(doc, exc, prefix)
        return None
