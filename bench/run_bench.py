"""`reeplan run` with defaults (issue 7): total time and time per step. Target ≤ 60 s."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from reeplan.brief import build_brief, write_brief
from reeplan.io.readers import load_dataset
from reeplan.settings import Settings
from reeplan.workflows.run import RunOptions, run_analysis


def main(argv: list[str] | None = None) -> None:
    """Run the main job once and print its timings."""
    t = time.perf_counter()
    settings = Settings()
    ds = load_dataset()
    result = build_brief(run_analysis(ds, RunOptions.from_settings(settings)), settings)
    with tempfile.TemporaryDirectory() as tmp:
        t_brief = time.perf_counter()
        write_brief(result, Path(tmp))
        brief = time.perf_counter() - t_brief
    total = time.perf_counter() - t
    print(f"reeplan run (defaults): {total:.1f} s in all (target ≤ 60 s)")
    for step, seconds in {**result.timings, "brief": brief}.items():
        print(f"  {step:<10} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
