"""Throughput and memory of lambdasim against an idiomatic SimPy model, measured in one run.

    python benchmarks/throughput.py            # full: ~1M invocations per workload, 10M memory
    python benchmarks/throughput.py --quick    # smaller, for a smoke check

Workloads (issue 2):
  W1  Poisson 500/s, exponential 0.1 s, reserved concurrency 60, 2,000 s   (~1M arrivals)
  W2  Poisson 100/s, warm 2 s (exponential), cold start 23 s extra, keep-alive 600 s,
      10,000 s (~1M invocations)

Two baselines, timed in the same process run as lambdasim, alternating, so that machine noise
hits all three; the script prints invocations simulated per second of process CPU time (as
issue 16 measured: time the process was descheduled on the shared machine is not counted) and
the ratios (medians):

* idiomatic: the way SimPy models are usually written, one generator process per request and a
  ``simpy.Resource`` for the concurrency slots (W2 also keeps a list of idle warm instances);
* callback: the fastest plain-SimPy model of the same system we could write (issue 16): no
  process and no ``Resource``, one ``Timeout`` with a callback per arrival and per departure,
  numpy draws in blocks, a counter for the busy slots (W2: a stack of idle instances' expiry
  times).
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
from simpy.events import Timeout

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


def _draws(rng: np.random.Generator, scale: float, n: int = 65536) -> Any:
    """Exponential draws of mean ``scale``, one Python float per ``next``, numpy in blocks."""
    while True:
        yield from rng.exponential(scale, n).tolist()


def callback_w1(horizon_s: float, seed: int = 1) -> int:
    """Plain SimPy callbacks: a Timeout per arrival and per departure, a busy counter (60)."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    inter, serv = _draws(rng, 1 / 500), _draws(rng, 0.1)
    st = {"arrivals": 0, "busy": 0, "throttled": 0}
    latency: list[float] = []

    def depart(ev: Any) -> None:
        st["busy"] -= 1
        latency.append(ev._value)

    def arrive(_ev: Any) -> None:
        st["arrivals"] += 1
        if st["busy"] >= 60:
            st["throttled"] += 1
        else:
            st["busy"] += 1
            d = next(serv)
            Timeout(env, d, d).callbacks.append(depart)
        Timeout(env, next(inter)).callbacks.append(arrive)

    Timeout(env, next(inter)).callbacks.append(arrive)
    env.run(until=horizon_s)
    return st["arrivals"]


def callback_w2(horizon_s: float, seed: int = 1) -> int:
    """Plain SimPy callbacks: idle instances' expiry times on a stack, cold start 23 s."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    inter, serv = _draws(rng, 1 / 100), _draws(rng, 2.0)
    idle: list[float] = []  # expiry times of idle instances, newest last
    st = {"arrivals": 0, "cold": 0}
    latency: list[float] = []

    def depart(ev: Any) -> None:
        idle.append(env.now + 600.0)
        latency.append(ev._value)

    def arrive(_ev: Any) -> None:
        st["arrivals"] += 1
        now = env.now
        while idle and idle[-1] <= now:
            idle.pop()
        if idle:
            idle.pop()
            d = next(serv)
        else:
            st["cold"] += 1
            d = 23.0 + next(serv)
        Timeout(env, d, d).callbacks.append(depart)
        Timeout(env, next(inter)).callbacks.append(arrive)

    Timeout(env, next(inter)).callbacks.append(arrive)
    env.run(until=horizon_s)
    return st["arrivals"]


# ----------------------------------------------------------------------------- measurement


def _time(fn: Any) -> tuple[float, int]:
    t0 = time.process_time()
    n = fn()
    return time.process_time() - t0, n


def measure(
    name: str, scenario: ls.Scenario, idiomatic: Any, callback: Any, repeats: int
) -> dict[str, float]:
    """Invocations per CPU second of lambdasim and both baselines, alternating; medians."""
    ours, idio, cb = [], [], []
    n = 0
    # A run of each at a tenth of the horizon first. lambdasim's first run in a process
    # imports what it needs (pandas for the results: ~0.8 s of CPU), and the first long run
    # of any model grows the process's heap (~4 % more CPU, page faults); that is start-up
    # (benchmarks/startup.py, overhead.py), not throughput. Left in, it made W1's first
    # sample ~50 % slow, and the median of three the slower of the other two.
    short = scenario.horizon_s / 10
    ls.run(scenario.model_copy(update={"horizon_s": short}), progress=False)
    idiomatic(short)
    callback(short)
    for _ in range(repeats):
        dt, n = _time(lambda: ls.run(scenario, progress=False).functions["f"]["invocations"])
        ours.append(n / dt)
        dt, m = _time(lambda: idiomatic(scenario.horizon_s))
        idio.append(m / dt)
        dt, m = _time(lambda: callback(scenario.horizon_s))
        cb.append(m / dt)
    o, i, c = statistics.median(ours), statistics.median(idio), statistics.median(cb)
    pairs = sorted(a / b for a, b in zip(ours, idio, strict=True))
    print(
        f"{name}: lambdasim {o:,.0f} invocations/s, idiomatic SimPy {i:,.0f}/s, "
        f"callback SimPy {c:,.0f}/s; ratios {o / i:.2f}x idiomatic, {o / c:.2f}x callback  "
        f"(medians of {repeats}; n≈{n:,}; idiomatic ratio of each repeat "
        f"{pairs[0]:.2f}–{pairs[-1]:.2f}x)",
        flush=True,
    )
    return {
        "lambdasim_per_s": o,
        "idiomatic_per_s": i,
        "callback_per_s": c,
        "ratio": o / i,
        "ratio_callback": o / c,
    }


#: Peak resident memory of this process, kB: the high-water mark of its own address space
#: (``VmHWM``; ``ru_maxrss`` is kept across ``exec`` on Linux, so a child started by a large
#: parent would report the parent's size), else ``ru_maxrss``.
_PEAK_KB = (
    "import resource\n"
    "def peak_kb():\n"
    "    try:\n"
    "        for line in open('/proc/self/status'):\n"
    "            if line.startswith('VmHWM:'):\n"
    "                return int(line.split()[1])\n"
    "    except OSError:\n"
    "        pass\n"
    "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
)


def peak_rss_mb(horizon_s: float) -> tuple[float, int]:
    """Peak memory (MB) and invocations of W1 at ``horizon_s`` in a fresh process."""
    code = (
        _PEAK_KB + f"import json, sys; sys.path.insert(0, {sys.path[0]!r})\n"
        "import throughput as t\n"
        f"r = t.ls.run(t.w1({horizon_s!r}), progress=False)\n"
        "print(json.dumps([peak_kb(), r.functions['f']['invocations']]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    kb, n = json.loads(out)
    return kb / 1024.0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1/10 of the sizes, 1 repeat")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0
    reps = 1 if args.quick else args.repeats
    print(
        f"lambdasim {ls.__version__}, simpy {simpy.__version__}, numpy {np.__version__}, "
        f"python {sys.version.split()[0]}"
    )
    r1 = measure("W1", w1(2000.0 * scale), baseline_w1, callback_w1, reps)
    r2 = measure("W2", w2(10000.0 * scale), baseline_w2, callback_w2, reps)
    m1, n1 = peak_rss_mb(2000.0 * scale)
    m10, n10 = peak_rss_mb(20000.0 * scale)
    print(
        f"peak memory (W1): {m1:,.0f} MB at {n1:,} invocations, {m10:,.0f} MB at {n10:,}: "
        f"ratio {m10 / m1:.2f}x"
    )
    for label, ok in (
        ("W1 and W2 >= 8x idiomatic", r1["ratio"] >= 8 and r2["ratio"] >= 8),
        ("W1 and W2 >= 1.0x callback", min(r1["ratio_callback"], r2["ratio_callback"]) >= 1.0),
        ("memory at 10x the invocations <= 1.5x", m10 / m1 <= 1.5),
    ):
        print(f"target ({label}):", "met" if ok else "NOT met")


if __name__ == "__main__":
    main()
