"""Time candidate generation on synthetic regions (symbiosis.generate.region): the
candidate list the model reads (``candidate_exchanges``) and the park graph built with
it (``build_graph``). A benchmark measures; it asserts nothing.

    python benchmarks/bench_candidates.py [plants ...]     (default: 1000)

Prints, per size, the median of 7 runs (after one warm-up) in seconds.
"""
from __future__ import annotations

import statistics
import sys
import time

from symbiosis.generate import region
from symbiosis.graph import build_graph, candidate_exchanges
from symbiosis.io import case_from_dict


def _median(fn, runs: int = 7) -> float:
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(sizes: list[int]) -> None:
    print(f"{'plants':>7} {'candidates':>11} {'candidate_exchanges [s]':>24} {'build_graph [s]':>16}")
    for n in sizes:
        case = case_from_dict(region(n, seed=1), file=f"<region {n}>")
        n_x = len(candidate_exchanges(case))
        t_list = _median(lambda: candidate_exchanges(case))
        t_graph = _median(lambda: build_graph(case))
        print(f"{n:>7} {n_x:>11} {t_list:>24.3f} {t_graph:>16.3f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
