"""Throughput and memory of lambdasim against an idiomatic SimPy model, measured in one run.

    python benchmarks/throughput.py            # full: ~1M invocations per workload, 10M memory
    python benchmarks/throughput.py --quick    # smaller, for a smoke check

Workloads (issue 2):
  W1  Poisson 500/s, exponential 0.1 s, reserved concurrency 60, 2,000 s   (~1M arrivals)
  W2  Poisson 100/s, warm 2 s (exponential), cold start 23 s extra, keep-alive 600 s,
      10,000 s (~1M invocations)

The baseline is the way SimPy models are usually written: one generator process per request and
a ``simpy.Resource`` for the concurrency slots (W2 also keeps a list of idle warm instances). It
is timed in the same process run as lambdasim, alternating, so that machine noise hits both; the
script prints invocations simulated per wall second for each and their ratio (medians).
Peak memory is measured in fresh subprocesses (ru_maxrss) for W1 at 1M and 10M arrivals.
lambdasim runs with all its metrics on (histograms, time series, time-weighted levels).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np
import simpy

import lambdasim as ls


def w1(horizon_s: float = 2000.0) -> ls.Scenario:
    return ls.Scenario.from_dict(
        {
            "name": "W1",
            "seed": 1,
            "horizon_s": horizon_s,
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": 0.1},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "reserved_concurrency": 60,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 500}}],
        }
    )


def w2(horizon_s: float = 10000.0) -> ls.Scenario:
    return ls.Scenario.from_dict(
        {
            "name": "W2",
            "seed": 1,
            "horizon_s": horizon_s,
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": 2.0},
                    "cold_start": {"dist": "constant", "value_s": 23.0},
                    "keep_alive_s": 600,
                    "max_lifetime_s": None,
                    "init_limit_s": None,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 100}}],
        }
    )


# ----------------------------------------------------------------------------- baselines


def baseline_w1(horizon_s: float, seed: int = 1) -> int:
    """Idiomatic SimPy: process per request, Resource(60), reject when all slots are busy."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    slots = simpy.Resource(env, capacity=60)
    stats: dict[str, Any] = {"arrivals": 0, "throttled": 0, "latency": []}

    def request(env: simpy.Environment) -> Any:
        t0 = env.now
        if slots.count >= slots.capacity:
            stats["throttled"] += 1
            return
        with slots.request() as req:
            yield req
            yield env.timeout(rng.exponential(0.1))
        stats["latency"].append(env.now - t0)

    def source(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rng.exponential(1 / 500))
            stats["arrivals"] += 1
            env.process(request(env))

    env.process(source(env))
    env.run(until=horizon_s)
    return int(stats["arrivals"])


def baseline_w2(horizon_s: float, seed: int = 1) -> int:
    """Idiomatic SimPy: process per request, Resource(1000), idle instances with expiry times."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    slots = simpy.Resource(env, capacity=1000)
    idle: list[float] = []  # expiry times of idle instances, newest last
    stats: dict[str, Any] = {"arrivals": 0, "cold": 0, "latency": []}

    def request(env: simpy.Environment) -> Any:
        t0 = env.now
        with slots.request() as req:
            yield req
            while idle and idle[-1] <= env.now:
                idle.pop()
            if idle:
                idle.pop()
                yield env.timeout(rng.exponential(2.0))
            else:
                stats["cold"] += 1
                yield env.timeout(23.0 + rng.exponential(2.0))
        idle.append(env.now + 600.0)
        stats["latency"].append(env.now - t0)

    def source(env: simpy.Environment) -> Any:
        while True:
            yield env.timeout(rng.exponential(1 / 100))
            stats["arrivals"] += 1
            env.process(request(env))

    env.process(source(env))
    env.run(until=horizon_s)
    return int(stats["arrivals"])


# ----------------------------------------------------------------------------- measurement


def _time(fn: Any) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn()
    return time.perf_counter() - t0, n


def measure(name: str, scenario: ls.Scenario, baseline: Any, repeats: int) -> dict[str, float]:
    ours, base = [], []
    for _ in range(repeats):
        dt, n = _time(lambda: ls.run(scenario, progress=False).functions["f"]["invocations"])
        ours.append(n / dt)
        dt, n = _time(lambda: baseline(scenario.horizon_s))
        base.append(n / dt)
    o, b = statistics.median(ours), statistics.median(base)
    print(
        f"{name}: lambdasim {o:,.0f} invocations/s, idiomatic SimPy {b:,.0f}/s, "
        f"ratio {o / b:.2f}x  (medians of {repeats}; n≈{n:,})",
        flush=True,
    )
    return {"lambdasim_per_s": o, "baseline_per_s": b, "ratio": o / b}


def peak_rss_mb(horizon_s: float) -> tuple[float, int]:
    code = (
        f"import resource, json, sys; sys.path.insert(0, {sys.path[0]!r}); "
        "import throughput as t; "
        f"r = t.ls.run(t.w1({horizon_s!r}), progress=False); "
        "print(json.dumps([resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "r.functions['f']['invocations']]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    kb, n = json.loads(out)
    return kb / 1024.0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1/10 of the sizes, 1 repeat")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    reps = 1 if args.quick else args.repeats
    print(
        f"lambdasim {ls.__version__}, simpy {simpy.__version__}, numpy {np.__version__}, "
        f"python {sys.version.split()[0]}"
    )
    r1 = measure("W1", w1(2000.0 * scale), baseline_w1, reps)
    r2 = measure("W2", w2(10000.0 * scale), baseline_w2, reps)
    m1, n1 = peak_rss_mb(2000.0 * scale)
    m10, n10 = peak_rss_mb(20000.0 * scale)
    print(
        f"peak memory (W1): {m1:,.0f} MB at {n1:,} invocations, {m10:,.0f} MB at {n10:,}: "
        f"ratio {m10 / m1:.2f}x"
    )
    ok = r1["ratio"] >= 4 and r2["ratio"] >= 4 and m10 / m1 <= 1.5
    print(
        "target (>= 4x on W1 and W2, memory 10x invocations <= 1.5x):", "met" if ok else "NOT met"
    )


if __name__ == "__main__":
    main()
