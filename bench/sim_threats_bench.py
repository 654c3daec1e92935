"""Benchmark of the simulator on the threat model (not a test).

Run ``python -m bench.sim_threats_bench`` from the repository root.

10,000 samples of the bundled threat model (:mod:`reeplan.sim.threats`) × 64 quarters at full
resolution (every element, stage and country of the bundled dataset), on ``--workers`` threads
(default 2). Targets (issue 13 §6): ≤ 10 s and ≤ 1 GB peak memory (max RSS of the process).
The run happens in a fresh child process so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

TARGET_S = 10.0
TARGET_MB = 1024.0


def _child(samples: int, workers: int, chunk_size: int, seed: int) -> dict[str, Any]:
    import resource

    from reeplan.chain import ChainOptions, build_chain
    from reeplan.io.readers import load_dataset
    from reeplan.sim import build_network, run_simulation
    from reeplan.sim.threats import compile_threats, load_threat_model

    t0 = time.perf_counter()
    ds = load_dataset()
    net = build_network(ds, build_chain(ds, ChainOptions(years=(2025, 2040))))
    comp = compile_threats(load_threat_model(), net)
    setup = time.perf_counter() - t0
    run_simulation(net, comp, 250, seed)  # warm-up
    t1, c1 = time.perf_counter(), time.process_time()
    res = run_simulation(net, comp, samples, seed, chunk_size=chunk_size, workers=workers)
    elapsed, cpu = time.perf_counter() - t1, time.process_time() - c1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    unmet = res.data["unmet"].sel(stockpile="with").sum("use")
    return {"samples": samples, "quarters": net.n_quarters, "workers": workers,
            "chunk_size": chunk_size, "setup_s": setup, "elapsed_s": elapsed, "cpu_s": cpu,
            "peak_rss_mb": rss, "uses": len(net.uses), "elements": len(net.elements),
            "mean_unmet_t": float(unmet.mean()), "cpus": os.cpu_count(),
            "load_avg": os.getloadavg()[0]}


def run(samples: int = 10_000, workers: int = 2, chunk_size: int = 250, seed: int = 0
        ) -> dict[str, Any]:
    """Run the benchmark in a child process and return its figures."""
    code = ("import json, sys; from bench.sim_threats_bench import _child; "
            f"print(json.dumps(_child({samples}, {workers}, {chunk_size}, {seed})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["targets"] = {"elapsed_le_10s": r["elapsed_s"] <= TARGET_S,
                    "peak_le_1gb": r["peak_rss_mb"] <= TARGET_MB}
    return r


def report(r: dict[str, Any]) -> str:
    """The figures as text."""
    ok = {True: "ok", False: "MISSED"}
    t = r["targets"]
    return "\n".join([
        f"threat-model simulator benchmark — {r['samples']:,} samples × {r['quarters']} quarters,"
        f" {r['elements']} elements, {r['uses']} US uses, {r['workers']} worker thread(s), "
        f"chunks of {r['chunk_size']} (setup {r['setup_s']:.1f} s; {r['cpus']} CPUs, load "
        f"average {r['load_avg']:.1f} at the end)",
        f"  elapsed {r['elapsed_s']:.1f} s   [target ≤ {TARGET_S:g} s: {ok[t['elapsed_le_10s']]}]"
        f"; CPU time {r['cpu_s']:.1f} s (= {r['cpu_s'] / r['workers']:.1f} s wall on "
        f"{r['workers']} idle cores)",
        f"  peak memory (max RSS) {r['peak_rss_mb']:,.0f} MB   [target ≤ 1 GB: "
        f"{ok[t['peak_le_1gb']]}]",
        f"  mean unmet demand with the stockpile {r['mean_unmet_t']:,.1f} t per sample",
    ])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=250)
    ap.add_argument("--seed", type=int, default=0)
    args, _ = ap.parse_known_args(argv)
    r = run(args.samples, args.workers, args.chunk_size, args.seed)
    print(report(r))
    return r


if __name__ == "__main__":
    main()
