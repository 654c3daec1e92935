"""The main job: exposure → disruptions → award costs → portfolio → brief, with provenance.

:func:`run_pipeline` runs the analysis steps in order and returns a
:class:`~reeplan.results.RunResult`; it never prints. Each step is timed; a ``progress`` callback
receives ``(step, done, total)`` so the CLI can draw a progress bar.
"""

from __future__ import annotations

import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reeplan.chain import ChainOptions, build_chain
from reeplan.io.dataset import Dataset
from reeplan.io.readers import load_dataset
from reeplan.results import RunResult, Section
from reeplan.sections import exposure_section, sources_section, summary_section

__all__ = ["RunConfig", "code_version", "run_pipeline"]

Progress = Callable[[str, int, int], None]


class RunConfig(BaseModel):
    """Options of one run of the main job (validated; unknown options rejected)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    data: Path | None = None
    """Dataset folder (None: the bundled dataset)."""
    overlay: tuple[Path, ...] = ()
    """Overlay folders applied in order."""
    year: int = Field(2025, ge=2020, le=2040)
    """Reference year of the exposure tables."""
    budget: float = Field(2.5e9, ge=0)
    """Award budget for the portfolio, USD."""
    scenarios: tuple[str, ...] = ()
    """Disruption scenarios (preset names or YAML paths); empty: the presets."""
    samples: int = Field(1000, ge=1, le=1_000_000)
    """Monte Carlo samples per scenario."""
    seed: int = Field(20250404, ge=0)
    """Random seed: the same seed gives the same results."""
    chokepoints: bool = True
    """Rank chokepoints (re-routes the chain once per node)."""
    skip: tuple[Literal["simulate", "finance", "optimize"], ...] = ()
    """Analysis steps to leave out of the brief."""


def code_version() -> str:
    """reeplan's version, with the git commit when run from a checkout (see the run store)."""
    from reeplan.store import code_version as store_code_version

    return store_code_version()


def _optional_steps() -> list[tuple[str, Callable[..., list[Section]]]]:
    """Steps whose modules may be absent in a partial install (each returns sections)."""
    steps: list[tuple[str, Callable[..., list[Section]]]] = []
    try:
        from reeplan.sim.report import simulation_sections

        steps.append(("simulate", simulation_sections))
    except ImportError:
        pass
    try:
        from reeplan.finance.report import finance_sections

        steps.append(("finance", finance_sections))
    except ImportError:
        pass
    try:
        from reeplan.optimize.report import portfolio_sections

        steps.append(("optimize", portfolio_sections))
    except ImportError:
        pass
    return steps


def run_pipeline(config: RunConfig, progress: Progress | None = None,
                 dataset: Dataset | None = None) -> RunResult:
    """Run the main job and return its sections, timings and provenance.

    Parameters
    ----------
    config
        The run's options.
    progress
        Called as ``progress(step, done, total)`` before each step and at the end.
    dataset
        The dataset, when the caller has already loaded it from ``config.data``/``overlay``.

    Raises
    ------
    ReeError
        On invalid data, scenarios or options (nothing is written by this function).
    """
    optional = [(n, f) for n, f in _optional_steps() if n not in config.skip]
    names = ["load", "summary", "chain", "exposure", *[n for n, _ in optional], "sources"]
    total = len(names)
    timings: dict[str, float] = {}
    state: dict[str, Any] = {}

    def step(i: int, name: str) -> float:
        if progress:
            progress(name, i, total)
        return time.perf_counter()

    t = step(0, "load")
    ds = dataset if dataset is not None else load_dataset(config.data, list(config.overlay))
    timings["load"] = time.perf_counter() - t
    sections: list[Section] = []
    t = step(1, "summary")
    sections.append(summary_section(ds, config.year))
    timings["summary"] = time.perf_counter() - t
    t = step(2, "chain")
    chain = build_chain(ds, ChainOptions())
    timings["chain"] = time.perf_counter() - t
    t = step(3, "exposure")
    sections.append(exposure_section(ds, chain, config.year, config.chokepoints))
    timings["exposure"] = time.perf_counter() - t
    state.update(ds=ds, chain=chain, config=config, sections=sections, shared={})
    for i, (name, fn) in enumerate(optional, start=4):
        t = step(i, name)
        sections.extend(fn(**state))
        timings[name] = time.perf_counter() - t
    t = step(total - 1, "sources")
    sections.append(sources_section(ds))
    timings["sources"] = time.perf_counter() - t
    if progress:
        progress("done", total, total)
    provenance = {
        "code_version": code_version(),
        "python": platform.python_version(),
        "dataset_digest": ds.digest,
        "dataset_paths": [str(p) for p in ds.paths],
        "dataset_files": list(ds.files),
        "options": config.model_dump(mode="json"),
        "seed": config.seed,
        "chain_parameters": chain.params.__dict__,
        "mine_basis": chain.data.attrs.get("mine_basis", ""),
    }
    return RunResult(sections, provenance, timings)
