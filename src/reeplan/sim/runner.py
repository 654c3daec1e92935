"""Monte Carlo runner: samples as an array dimension, in chunks, locally or on a Dask cluster.

Samples are grouped in seed blocks of :data:`BLOCK` samples; every parameter of block ``b`` is
drawn from its own stream ``SeedSequence(seed, spawn_key=(b, crc32(name)))``
(:func:`reeplan.sim.shocks.draw`). A chunk is a run of whole blocks evaluated as one vectorised
batch, so the result for a seed does not depend on where or in which order chunks run:
``scheduler=None`` evaluates them in this process, ``scheduler="tcp://HOST:PORT"`` (or a
:class:`distributed.Client`) on a Dask cluster, with identical numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from reeplan.errors import ReeError
from reeplan.sim.assumptions import ASSUMPTIONS
from reeplan.sim.engine import run_batch
from reeplan.sim.network import Network
from reeplan.sim.shocks import Compiled, draw

__all__ = ["BLOCK", "SimulationResult", "run_chunk", "run_simulation"]

BLOCK = 250
"""Samples per seed block (the unit of reproducible random streams)."""
BATCH = 125
"""Most samples evaluated as one vectorised batch: bounds the working memory of a chunk
(about 0.5 MB a sample) without changing any number."""

Progress = Callable[[int, int], None]
_FLOAT_KEYS = ("shortfall", "shortfall_no_nds", "demand", "price_ex", "price_cn")


@dataclass
class SimulationResult:
    """Per-sample results of one scenario and their provenance."""

    scenario: str
    seed: int
    samples: int
    data: xr.Dataset
    """``shortfall``/``shortfall_no_nds``/``demand`` (sample, quarter, use) in t per quarter;
    ``price_ex``/``price_cn`` (sample, quarter, element) as multiples of the base price;
    ``tts``/``ttr`` (sample, use, stockpile) in quarters; ``unmet`` (sample, use, stockpile) t."""
    first_shock: float
    """Quarter index (from 2025Q1) where the first shock starts: the TTS/TTR origin."""
    base_price: dict[str, dict[str, float]] = field(default_factory=dict)
    provenance: dict[str, list[str]] = field(default_factory=dict)
    assumptions: dict[str, str] = field(default_factory=dict)
    diagnostics: dict[str, np.ndarray] = field(default_factory=dict)


def run_chunk(net: Network, comp: Compiled, seed: int, blocks: list[int], n: int,
              diagnostics: bool = False) -> dict[str, np.ndarray]:
    """Evaluate seed blocks ``blocks`` (the last one truncated to total sample count ``n``)."""
    parts: dict[str, list[np.ndarray]] = {}
    sizes = [min(BLOCK, n - b * BLOCK) for b in blocks]
    for b, size in zip(blocks, sizes, strict=True):
        for key, value in draw(comp, seed, b, BLOCK).items():
            parts.setdefault(key, []).append(value[:size])
    P = {k: np.concatenate(v) for k, v in parts.items()}
    n_all = sum(sizes)
    pieces: dict[str, list[np.ndarray]] = {}
    for lo in range(0, n_all, BATCH):
        hi = min(lo + BATCH, n_all)
        out = run_batch(net, comp, {k: v[lo:hi] for k, v in P.items()}, hi - lo, diagnostics)
        for k, v in out.items():
            pieces.setdefault(k, []).append(v.astype(np.float32) if k in _FLOAT_KEYS else v)
    return {k: v[0] if len(v) == 1 or k == "world_base" else np.concatenate(v)
            for k, v in pieces.items()}


def run_simulation(net: Network, comp: Compiled, samples: int = 1000, seed: int = 0, *,
                   chunk_size: int = 250, scheduler: Any = None, workers: int = 1,
                   progress: Progress | None = None, diagnostics: bool = False,
                   timeout: float | None = None) -> SimulationResult:
    """Run ``samples`` Monte Carlo samples of a compiled scenario.

    Parameters
    ----------
    net, comp
        Network (:func:`~reeplan.sim.network.build_network`) and compiled scenario.
    samples, seed
        Sample count and seed; the same pair gives the same result wherever it runs.
    chunk_size
        Samples per chunk (rounded to whole blocks of :data:`BLOCK`); bounds memory.
    scheduler
        ``None`` (in-process), a Dask scheduler address, or a :class:`distributed.Client`.
    workers
        In-process threads evaluating chunks concurrently (numpy releases the GIL); ignored
        with a Dask scheduler. The numbers do not depend on it.
    progress
        Called with ``(samples done, samples)`` after each chunk.
    diagnostics
        Also return intermediate flows (tests, debugging).
    timeout
        With a Dask scheduler: the longest wait (s) for the cluster to finish every chunk;
        ``None`` waits as long as it takes. A cluster without live workers then fails the run
        with a clear error instead of leaving it waiting for ever.
    """
    n_blocks = -(-samples // BLOCK)
    per = max(1, chunk_size // BLOCK)
    chunks = [list(range(i, min(i + per, n_blocks))) for i in range(0, n_blocks, per)]
    sink = _Collector(samples, progress)
    if scheduler is None and workers > 1:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_chunk, net, comp, seed, blocks, samples, diagnostics): i
                       for i, blocks in enumerate(chunks)}
            for fut in as_completed(futures):
                # drop the future once copied: each holds its chunk's arrays until released
                sink.add(chunks[futures.pop(fut)], fut.result())
                del fut
    elif scheduler is None:
        for blocks in chunks:
            sink.add(blocks, run_chunk(net, comp, seed, blocks, samples, diagnostics))
    else:
        _run_dask(net, comp, seed, chunks, samples, diagnostics, scheduler, sink, timeout)
    return _assemble(net, comp, seed, samples, sink.arrays)


class _Collector:
    """Copies chunk results into full-size arrays as they arrive (no second copy in memory)."""

    def __init__(self, samples: int, progress: Progress | None) -> None:
        self.samples, self.progress, self.done = samples, progress, 0
        self.arrays: dict[str, np.ndarray] = {}

    def add(self, blocks: list[int], res: dict[str, np.ndarray]) -> None:
        lo = blocks[0] * BLOCK
        n = _size(blocks, self.samples)
        for key, value in res.items():
            if key == "world_base":
                self.arrays[key] = value
                continue
            if key not in self.arrays:
                self.arrays[key] = np.empty((self.samples, *value.shape[1:]), value.dtype)
            self.arrays[key][lo:lo + n] = value
        self.done += n
        if self.progress:
            self.progress(self.done, self.samples)


def _size(blocks: list[int], samples: int) -> int:
    return min(samples, (blocks[-1] + 1) * BLOCK) - blocks[0] * BLOCK


def _run_dask(net: Network, comp: Compiled, seed: int, chunks: list[list[int]], samples: int,
              diagnostics: bool, scheduler: Any, sink: _Collector,
              timeout: float | None = None) -> None:
    from distributed import Client, as_completed

    own = not isinstance(scheduler, Client)
    client = Client(scheduler) if own else scheduler
    try:
        # hash=False: keys unique to this call. With content-hashed keys, a second run that
        # scatters the same network while the scheduler is still forgetting the first run's
        # copy loses the data ("lost dependencies"), seen in CI.
        futures: list[Any] = []
        done = 0
        try:
            wait = {} if timeout is None else {"timeout": timeout}
            net_f, comp_f = client.scatter([net, comp], broadcast=True, hash=False, **wait)
            futures = [client.submit(run_chunk, net_f, comp_f, seed, blocks, samples,
                                     diagnostics, pure=False) for blocks in chunks]
            index = {f.key: i for i, f in enumerate(futures)}
            for fut in as_completed(futures, timeout=timeout):
                sink.add(chunks[index[fut.key]], fut.result())
                fut.release()
                done += 1
        except TimeoutError:
            if futures:
                client.cancel(futures)
            where = (f"the Dask cluster at {scheduler}" if isinstance(scheduler, str)
                     else "the Dask cluster")
            msg = (f"{where} finished {done} of {len(chunks)} simulation chunks within "
                   f"{timeout or 0:.0f} s: are its workers running?")
            raise ReeError(msg) from None
        net_f.release()
        comp_f.release()
    finally:
        if own:
            client.close()


def _assemble(net: Network, comp: Compiled, seed: int, samples: int,
              cat: dict[str, np.ndarray]) -> SimulationResult:
    uses = net.uses
    coords = {
        "sample": np.arange(samples), "quarter": list(net.quarters),
        "element": list(net.elements), "stockpile": ["without", "with"],
        "use_element": ("use", [net.elements[e] for e in uses[:, 0]]),
        "use_sector": ("use", [net.sectors[k] for k in uses[:, 1]]),
    }
    su, se, sus = ("sample", "quarter", "use"), ("sample", "quarter", "element"), \
        ("sample", "use", "stockpile")
    data = xr.Dataset({
        "shortfall": (su, cat["shortfall"]), "shortfall_no_nds": (su, cat["shortfall_no_nds"]),
        "demand": (su, cat["demand"]), "price_ex": (se, cat["price_ex"]),
        "price_cn": (se, cat["price_cn"]), "tts": (sus, cat["tts"]), "ttr": (sus, cat["ttr"]),
        "unmet": (sus, cat["unmet"]),
    }, coords=coords)
    data["shortfall"].attrs["unit"] = "t REO-eq per quarter"
    data["tts"].attrs["unit"] = "quarters from the first shock"
    data["price_ex"].attrs["unit"] = "multiple of the 2025 base price"
    diag = {k: v for k, v in cat.items() if k not in data}
    prices = {
        "ex_china": {e: float(p) for e, p in zip(net.elements, net.price_ex, strict=True)},
        "china_domestic": {e: float(p) for e, p in zip(net.elements, net.price_cn, strict=True)},
    }
    return SimulationResult(comp.name, seed, samples, data, comp.first_shock, prices,
                            comp.provenance, dict(ASSUMPTIONS), diag)
