"""Benchmark of the disruption simulator (not a test): ``python -m bench`` from the repo root.

Full resolution: every element, stage and country of the bundled dataset, 64 quarters
(2025Q1–2040Q4). Reports

* throughput in sample-quarters per second for 10,000 samples (target: ≤ 60 s),
* peak memory of the process (``ru_maxrss``; target ≤ 2 GB) and the traced peak of one chunk,
* a plain-loop reference implementation (:mod:`bench.sim_reference`) on a subset of the same
  samples: agreement with the vectorised engine and the speed ratio (target ≥ 50×).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import tracemalloc
from typing import Any

import numpy as np

DEFAULT_SCENARIO = "october-2025-expansion-plus-tech-ban"
"""The heaviest preset: 7 controls incl. the foreign-product rule, and project delays."""


def run(samples: int = 10_000, reference_samples: int = 12, scenario: str = DEFAULT_SCENARIO,
        workers: int | None = None, chunk_size: int = 250, seed: int = 0) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    from bench.sim_reference import reference_run
    from reeplan.chain import ChainOptions, build_chain
    from reeplan.io.readers import load_dataset
    from reeplan.sim import build_network, compile_scenario, load_scenario, run_simulation
    from reeplan.sim.runner import BLOCK
    from reeplan.sim.shocks import draw

    workers = workers or min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    ds = load_dataset()
    chain = build_chain(ds, ChainOptions(years=(2025, 2040)))
    net = build_network(ds, chain)
    comp = compile_scenario(load_scenario(scenario), net, scenario)
    setup = time.perf_counter() - t0
    T = net.n_quarters
    size = {"elements": len(net.elements), "countries": len(net.countries),
            "nodes": {k: len(v) for k, v in net.nodes.items()}, "uses": len(net.uses),
            "control_parts": len(comp.parts)}

    run_simulation(net, comp, BLOCK, seed)  # warm-up (imports, caches)
    t1 = time.perf_counter()
    res = run_simulation(net, comp, samples, seed, chunk_size=chunk_size, workers=workers)
    elapsed = time.perf_counter() - t1
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    tracemalloc.start()
    run_simulation(net, comp, chunk_size, seed, chunk_size=chunk_size)
    chunk_peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()

    n_ref = min(reference_samples, BLOCK, samples)
    P = {k: v[:n_ref] for k, v in draw(comp, seed, 0, BLOCK).items()}
    t2 = time.perf_counter()
    ref = reference_run(net, comp, P, n_ref)
    ref_elapsed = time.perf_counter() - t2
    t3 = time.perf_counter()
    vec = run_simulation(net, comp, n_ref, seed)
    vec_small = time.perf_counter() - t3
    short = vec.data["shortfall"].values.astype(float)
    scale = max(1.0, float(np.abs(ref["shortfall"]).max()))
    diff_short = float(np.abs(short - ref["shortfall"]).max())
    diff_price = float(np.abs(vec.data["price_ex"].values - ref["price_ex"]).max())
    # the same samples, vectorised in the full run, also agree
    diff_full = float(np.abs(res.data["shortfall"].values[:n_ref] - short).max())

    sq = samples * T
    throughput = sq / elapsed
    ref_throughput = n_ref * T / ref_elapsed
    return {
        "scenario": scenario, "samples": samples, "quarters": T, "workers": workers,
        "chunk_size": chunk_size, "size": size, "setup_s": setup, "elapsed_s": elapsed,
        "sample_quarters_per_s": throughput, "peak_rss_mb": peak_rss_mb,
        "chunk_traced_peak_mb": chunk_peak_mb, "reference_samples": n_ref,
        "reference_s": ref_elapsed, "reference_sample_quarters_per_s": ref_throughput,
        "vectorised_small_s": vec_small, "speed_ratio": throughput / ref_throughput,
        "max_abs_diff_shortfall_t": diff_short, "shortfall_scale_t": scale,
        "max_abs_diff_price_multiple": diff_price, "max_abs_diff_full_vs_small_t": diff_full,
        "targets": {"elapsed_le_60s": elapsed <= 60.0, "peak_le_2gb": peak_rss_mb <= 2048,
                    "ratio_ge_50": throughput / ref_throughput >= 50,
                    "agree": diff_short <= 1e-4 * scale and diff_price <= 1e-5},
    }


def report(r: dict[str, Any]) -> str:
    """The benchmark figures as text."""
    t = r["targets"]
    ok = {True: "ok", False: "MISSED"}
    return "\n".join([
        f"simulator benchmark — scenario {r['scenario']}, {r['samples']:,} samples × "
        f"{r['quarters']} quarters, {r['workers']} worker thread(s), chunks of {r['chunk_size']}",
        f"  resolution: {r['size']['elements']} elements, {r['size']['countries']} countries, "
        f"active nodes {r['size']['nodes']}, {r['size']['uses']} US uses, "
        f"{r['size']['control_parts']} control parts (setup {r['setup_s']:.1f} s)",
        f"  elapsed {r['elapsed_s']:.1f} s -> {r['sample_quarters_per_s']:,.0f} sample-quarters/s"
        f"   [target ≤ 60 s: {ok[t['elapsed_le_60s']]}]",
        f"  peak memory (max RSS of the process) {r['peak_rss_mb']:,.0f} MB; traced peak of one "
        f"chunk {r['chunk_traced_peak_mb']:,.0f} MB   [target ≤ 2 GB: {ok[t['peak_le_2gb']]}]",
        f"  reference (plain loops) on {r['reference_samples']} samples: "
        f"{r['reference_s']:.1f} s -> {r['reference_sample_quarters_per_s']:,.0f} "
        f"sample-quarters/s; speed ratio {r['speed_ratio']:,.0f}×   "
        f"[target ≥ 50×: {ok[t['ratio_ge_50']]}]",
        f"  agreement: max |Δ shortfall| {r['max_abs_diff_shortfall_t']:.2e} t (largest "
        f"{r['shortfall_scale_t']:,.1f} t), max |Δ price multiple| "
        f"{r['max_abs_diff_price_multiple']:.2e}, full run vs small run "
        f"{r['max_abs_diff_full_vs_small_t']:.2e} t   [{ok[t['agree']]}]",
    ])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry: ``python -m bench [sim options]``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--reference-samples", type=int, default=12)
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--chunk-size", type=int, default=250)
    args = ap.parse_args(argv)
    r = run(args.samples, args.reference_samples, args.scenario, args.workers, args.chunk_size)
    print(report(r))
    return r


if __name__ == "__main__":
    main()
