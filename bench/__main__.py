"""Run the benchmarks: ``python -m bench`` (from the repository root).

Each benchmark module has ``main(argv)``; options after ``--`` go to every benchmark, e.g.
``python -m bench -- --samples 2000``. Add a benchmark by appending its module to ``BENCHES``.
"""

from __future__ import annotations

import importlib
import sys

BENCHES = ["bench.sim_bench", "bench.sim_threats_bench", "bench.opt_bench", "bench.run_bench"]


def main() -> None:
    """Run every benchmark in ``BENCHES``."""
    argv = sys.argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    for name in BENCHES:
        importlib.import_module(name).main(argv)


if __name__ == "__main__":
    main()
