"""Fixed cost of a run: one ``ls.run``, one replication of ``ls.replicate``, one sweep point.

    python benchmarks/overhead.py             # medians of 3 rounds
    python benchmarks/overhead.py --rounds 5
    python benchmarks/overhead.py --profile sweep   # cProfile of one mode, top 30 by own time

The scenario is the quickstart function (configs/quickstart.yaml) with a 60-s horizon at
λ = 1/s, so a run simulates about 60 invocations and its time is almost all fixed cost. The
fixed cost is that time minus the invocations times the marginal cost of one invocation,
measured in the same run from the same scenario at λ = 200/s (12,000 invocations)::

    marginal = (t(200/s) − t(1/s)) / (n(200/s) − n(1/s));   fixed = t(1/s) − n(1/s) · marginal

Modes, all serial in this process (``n_jobs=1``; loky or Dask add their own per-task cost):

* ``run``: ``ls.run(sc, seed=1, rep=r)`` (the frames of the result are not read);
* ``replicate``: ``ls.replicate(sc, reps=200)``, per replication;
* ``sweep``: ``ls.sweep`` over 200 values of ``functions.api.memory_mb``, one replication each,
  per point.

Times are CPU seconds of this process (``time.process_time``: other processes on the machine
change them less than wall time); issue 16's targets are ≤ 5 ms per run and ≤ 10 ms per sweep
point. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import lambdasim as ls

ROOT = Path(__file__).resolve().parents[1]
POINTS = 200
REPS = 200
RUNS = 50


def scenario(rate_per_s: float) -> ls.Scenario:
    """The quickstart scenario for 60 simulated seconds at ``rate_per_s``."""
    sc = ls.load(ROOT / "configs" / "quickstart.yaml")
    return sc.replace({"horizon_s": 60.0, "workloads.0.arrivals.rate_per_s": rate_per_s})


def invocations(sc: ls.Scenario) -> int:
    """Invocations of one run (seed 1, rep 0)."""
    return int(ls.run(sc, seed=1, progress=False).functions["api"]["invocations"])


def cpu(fn: Callable[[], object]) -> float:
    """CPU seconds of one call of ``fn``."""
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def modes(sc: ls.Scenario) -> dict[str, tuple[Callable[[], object], int]]:
    """Each mode: a callable and how many runs it makes."""
    grid = {"functions.api.memory_mb": [128 + 8 * i for i in range(POINTS)]}
    return {
        "run": (lambda: [ls.run(sc, seed=1, rep=r, progress=False) for r in range(RUNS)], RUNS),
        "replicate": (
            lambda: ls.replicate(sc, reps=REPS, seed=1, n_jobs=1, progress=False),
            REPS,
        ),
        "sweep": (
            lambda: ls.sweep(sc, grid, reps=1, seed=1, n_jobs=1, progress=False),
            POINTS,
        ),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="rounds per mode (median)")
    ap.add_argument("--profile", choices=["run", "replicate", "sweep"], help="profile one mode")
    args = ap.parse_args()
    low, high = scenario(1.0), scenario(200.0)
    if args.profile:
        fn, _ = modes(low)[args.profile]
        fn()  # warm caches (pricing table, imports)
        prof = cProfile.Profile()
        prof.runcall(fn)
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    n_low, n_high = invocations(low), invocations(high)
    # marginal cost of one invocation: the same scenario at two rates, 10 runs each
    t_low = statistics.median(cpu(lambda: ls.run(low, seed=1, progress=False)) for _ in range(10))
    t_high = statistics.median(cpu(lambda: ls.run(high, seed=1, progress=False)) for _ in range(10))
    marginal = (t_high - t_low) / (n_high - n_low)
    print(
        f"scenario: quickstart, 60 s, λ = 1/s ({n_low} invocations per run); marginal cost "
        f"{marginal * 1e6:.1f} µs per invocation (from λ = 200/s, {n_high} invocations)"
    )
    print(f"{'mode':10} {'ms per run':>11} {'fixed ms':>9}  target")
    targets = {"run": 5.0, "replicate": 5.0, "sweep": 10.0}
    for name, (fn, n) in modes(low).items():
        fn()  # warm-up
        per_run = statistics.median(cpu(fn) for _ in range(args.rounds)) / n
        fixed = per_run - n_low * marginal
        print(f"{name:10} {per_run * 1e3:11.2f} {fixed * 1e3:9.2f}  ≤ {targets[name]:g} ms")


if __name__ == "__main__":
    main()
