"""Mutation fuzz of command-line options (issue 17).

For every combination: exit code 0, 1 (bad input, with a message) or 2 (usage error), never a
traceback; no hang; on failure no brief is published in ``--out``; and no run is left
``running`` in the store. ``reeplan run`` works on the tiny dataset with the slow steps skipped,
so a valid combination stays cheap.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reeplan.cli import app
from reeplan.store import RunStore
from tests.fuzz.conftest import EXAMPLE_SECONDS, EXAMPLES, TALLY

pytestmark = pytest.mark.timeout(300 + 60 * EXAMPLES)

TINY = Path(__file__).parents[1] / "data" / "tiny"
runner = CliRunner()
RUN_EXAMPLES = EXAMPLES if os.environ.get("REEPLAN_FUZZ_EXAMPLES") else 10
"""``reeplan run`` examples: all of them under ``make fuzz``, 10 in ``make test``."""

NUMBERS = ["0", "-1", "1", "2", "2025", "2039", "2041", "1999", "inf", "-inf", "nan", "1e400",
           "1e12", "1e13", "abc", "", " ", "0x10", "1_000", "99999999999999999999", "2.5e9",
           "[/bold]", "=1+1", "😀"]
PATHS = ["{tmp}/out", "{tmp}/a-file", "{tmp}/a-file/x", "/proc/reeplan-fuzz", "{tmp}/" + "x" * 300,
         "{tmp}/[red]x", "", "{tmp}/out/../out", "/dev/null", "{tmp}/\u202eevil"]
SCENARIOS = ["april-2025-controls", "nope", "x" * 300, "/etc/passwd", "{tmp}/a-file",
             "{tmp}/missing.yaml", "../../x.yaml", "[/bold]"]
STORES = ["{tmp}/runs.sqlite", "postgresql://u:PW@127.0.0.1:1/db", "mysql://x", "sqlite:///",
          "{tmp}/a-file/runs.sqlite", "::", "\x01"]


@st.composite
def _run_args(draw: st.DrawFn) -> list[str]:
    args = ["run", "--data", str(TINY), "--skip", "simulate", "--skip", "finance",
            "--skip", "optimize", "--skip", "consequences", "--json"]
    for opt, values in (("--year", [*NUMBERS, "2024", "2023"]), ("--budget", NUMBERS),
                        ("--samples", NUMBERS), ("--seed", NUMBERS), ("--out", PATHS),
                        ("--scenario", SCENARIOS), ("--store", STORES),
                        ("--skip", ["simulate", "nope", ""]), ("--overlay", PATHS[1:4])):
        if draw(st.booleans()) or opt in ("--out", "--store"):
            args += [opt, draw(st.sampled_from(values))]
    if draw(st.integers(0, 9)) == 0:
        args.append(draw(st.sampled_from(["--no-such-option", "--year", "extra-arg"])))
    return args


@st.composite
def _other_args(draw: st.DrawFn) -> list[str]:
    kind = draw(st.sampled_from(["exposure", "frontier", "data", "simulate", "runs"]))
    if kind == "exposure":
        return ["exposure", "--data", str(TINY), "--year", draw(st.sampled_from(NUMBERS)),
                "--element", draw(st.sampled_from(["Nd", "all", "Xx", "[/bold]", ""])),
                "--format", draw(st.sampled_from(["table", "json", "csv", "xml"])),
                "--sankey", draw(st.sampled_from(PATHS[1:]))]
    if kind == "frontier":  # only values that must fail fast (a valid frontier runs minutes)
        return ["frontier", "--points", draw(st.sampled_from(["0", "1", "201", "1000000", "-1",
                                                                "abc"])),
                "--chart", draw(st.sampled_from(PATHS))]
    if kind == "simulate":
        return ["simulate", draw(st.sampled_from(SCENARIOS[1:])), "--samples",
                draw(st.sampled_from(NUMBERS)), "--fan", draw(st.sampled_from(PATHS))]
    if kind == "runs":
        return ["runs", draw(st.sampled_from(["list", "show", "diff"])), "--store",
                draw(st.sampled_from(STORES))]
    return ["data", "show", draw(st.sampled_from(["facilities", "nope", "[/bold]", ""])),
            "--data", str(TINY), "--format", draw(st.sampled_from(["csv", "json", "x"]))]


def _check(target: str, tmp: Path, args: list[str]) -> None:
    (tmp / "a-file").write_text("x")
    args = [a.replace("{tmp}", str(tmp)) for a in args]
    start = time.perf_counter()
    here = Path.cwd()
    os.chdir(tmp)  # relative paths the fuzz draws (a store, an output) land in tmp, not the repo
    try:
        res = runner.invoke(app, args)
    finally:
        os.chdir(here)
    elapsed = time.perf_counter() - start
    TALLY["slowest_ms"] = max(TALLY["slowest_ms"], int(elapsed * 1000))
    code = res.exit_code
    crashed = res.exception is not None and not isinstance(res.exception, SystemExit)
    if crashed or "Traceback" in res.output or code not in (0, 1, 2):
        TALLY[f"{target}:traceback"] += 1
        raise AssertionError(f"exit {code} for {args}:\n{res.output[-3000:]}") \
            from res.exception
    if elapsed > EXAMPLE_SECONDS:
        TALLY[f"{target}:hang"] += 1
        raise AssertionError(f"{elapsed:.1f} s for {args}")
    if code != 0:
        assert res.output.strip(), f"exit {code} without a message: {args}"
        assert "PW@" not in res.output
    inconsistent = []
    if args[0] == "run":
        out = Path(args[args.index("--out") + 1]) if "--out" in args else Path("out")
        out = out if out.is_absolute() else tmp / out
        try:
            published = (out / "latest").exists()
        except OSError:  # a name too long to exist
            published = False
        if code != 0 and published:
            inconsistent.append("a brief was published by a failed run")
        db = tmp / "runs.sqlite"
        if db.is_file():
            with RunStore(db) as store:
                if store.list_runs(0, status="running"):
                    inconsistent.append("a run was left running")
    if inconsistent:
        TALLY[f"{target}:inconsistent"] += 1
        raise AssertionError(f"{inconsistent} for {args}")
    TALLY[f"{target}:{'ok' if code == 0 else 'data_error'}"] += 1


@settings(settings.get_profile("reeplan-fuzz"), max_examples=RUN_EXAMPLES)
@given(args=_run_args())
def test_fuzz_cli_run(tmp_path_factory: pytest.TempPathFactory, args: list[str]) -> None:
    _check("cli_run", tmp_path_factory.mktemp("fuzz"), args)


@settings(settings.get_profile("reeplan-fuzz"))
@given(args=_other_args())
def test_fuzz_cli_commands(tmp_path_factory: pytest.TempPathFactory, args: list[str]) -> None:
    _check("cli_other", tmp_path_factory.mktemp("fuzz"), args)
