"""Mutation fuzz of scenario and package YAML (issue 17).

Every mutated file must either load or raise :class:`~reeplan.errors.DataError` (a
ScenarioError for scenarios) naming the file -- never another exception, never a hang. Values
are replaced by NaN, infinities, booleans, huge numbers, dates far away, markup, formulas, long
text, aliases and nested structures; keys are duplicated, dropped and renamed; alias bombs and
deep nesting are appended.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reeplan.errors import DataError
from reeplan.finance.loader import load_package, presets_dir
from reeplan.io.readers import load_dataset
from reeplan.sim.loader import load_scenario
from reeplan.sim.presets import preset_path
from tests.fuzz.conftest import EXAMPLE_SECONDS, EXAMPLES, TALLY

pytestmark = pytest.mark.timeout(120 + 10 * EXAMPLES)

SCENARIOS = [preset_path(n).read_text(encoding="utf-8")
             for n in ("april-2025-controls", "heavy-ree-embargo-plus-myanmar")]
PACKAGES = [p.read_text(encoding="utf-8") for p in sorted((presets_dir() / "packages")
                                                             .glob("*.yaml"))]
SOURCES = set(map(str, load_dataset()["sources"].index))

BAD_VALUES = [
    ".nan", ".NaN", ".inf", "-.inf", "1e400", "-1e400", "true", "false", "null", "~", "''",
    "-1", "-0.5", "2", "1e12", "0", "-5", "99999999999999999999", "0x10", "1_000",
    "1800-01-01", "2200-01-01", "2025-13-45", "2025Q5", "0000-00-00", "2025-04-04T00:00:00",
    "'[/bold]'", "'[link=https://example.com]x[/link]'", "'=HYPERLINK(\"x\")'",
    "\"=cmd|' /C calc'!A0\"", "[]", "{}", "[1, 2]", "{dist: beta}", "{dist: beta, a: .nan, b: 1}",
    "{dist: uniform, low: 1, high: 0}", "{dist: normal, mean: 0, sd: -1}",
    "{dist: dataset, id: nope}", "{dist: lognormal, median: .inf, sigma: 1}",
    "*nowhere", "&a x", "!!python/object:os.system ls", "!!binary aGk=", "\"\\0\"",
    "'" + "x" * 5000 + "'", "'\u202eevil'", "'😀'", "[[[[[[[[1]]]]]]]]",
]


def _bomb() -> str:
    lines = ["b0: &b0 [x, x]"] + [f"b{i}: &b{i} [*b{i - 1}, *b{i - 1}]" for i in range(1, 60)]
    return "\n".join(lines) + "\ninstruments: *b59\nincludes: [*b59]\n"


@st.composite
def _mutated(draw: st.DrawFn, texts: list[str]) -> str:
    lines = draw(st.sampled_from(texts)).splitlines()
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["value", "value", "value", "dup", "drop", "rename",
                                     "indent", "append", "bytes"]))
        keyed = [i for i, ln in enumerate(lines) if re.match(r"^\s*(- )?[a-z_0-9]+:", ln)]
        if kind == "value" and keyed:
            i = draw(st.sampled_from(keyed))
            key = lines[i].split(":", 1)[0]
            value = draw(st.one_of(st.sampled_from(BAD_VALUES),
                                   st.floats().map(repr), st.integers().map(str),
                                   st.text(max_size=20).map(repr)))
            lines[i] = f"{key}: {value}"
        elif kind == "dup" and keyed:
            i = draw(st.sampled_from(keyed))
            lines.insert(i, lines[i])
        elif kind == "drop" and lines:
            del lines[draw(st.integers(0, len(lines) - 1))]
        elif kind == "rename" and keyed:
            i = draw(st.sampled_from(keyed))
            lines[i] = re.sub(r"[a-z_0-9]+:", draw(st.sampled_from(
                ["colour:", "includes:", "name:", "kind:", "id:", "x" * 300 + ":"])),
                lines[i], count=1)
        elif kind == "indent" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] = draw(st.sampled_from(["  ", "\t", ""])) + lines[i].lstrip()
        elif kind == "append":
            lines.append(draw(st.sampled_from(
                [_bomb(), "[" * 5000, "a: &a [1, *a]", "\x00", "key: [unclosed", "---\nx: 1",
                 "includes: [april-2025-controls, april-2025-controls]", "includes: [*x]"])))
        elif kind == "bytes" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines[i] += draw(st.sampled_from(["\x00", "\ufeff", "\x85", "\u2028", "\x1b[31m"]))
    return "\n".join(lines) + "\n"


def _check(target: str, load, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    start = time.perf_counter()
    try:
        load(path)
        outcome = "ok"
    except DataError as exc:
        outcome = "data_error" if exc.problems and all(p.file for p in exc.problems) else "bad"
    except Exception as exc:
        TALLY[f"{target}:traceback"] += 1
        raise AssertionError(f"{type(exc).__name__}: {exc}\n--- input ---\n{text[:2000]}") \
            from exc
    elapsed = time.perf_counter() - start
    TALLY["slowest_ms"] = max(TALLY["slowest_ms"], int(elapsed * 1000))
    if elapsed > EXAMPLE_SECONDS:
        TALLY[f"{target}:hang"] += 1
        raise AssertionError(f"{elapsed:.1f} s for one input (a hang)")
    assert outcome != "bad", "a DataError without problems naming the file"
    TALLY[f"{target}:{outcome}"] += 1


@settings(settings.get_profile("reeplan-fuzz"))
@given(text=_mutated(SCENARIOS))
def test_fuzz_scenario_yaml(tmp_path: Path, text: str) -> None:
    _check("scenario_yaml", load_scenario, tmp_path / "fuzz.yaml", text)


@settings(settings.get_profile("reeplan-fuzz"))
@given(text=_mutated(PACKAGES))
def test_fuzz_package_yaml(tmp_path: Path, text: str) -> None:
    _check("package_yaml", lambda p: load_package(p, source_ids=SOURCES),
           tmp_path / "fuzz.yaml", text)
