"""Cost of one invocation as the number of live execution environments grows (issue 16, target 2).

    python benchmarks/scaling.py            # 200,000 more invocations per size, medians of 5
    python benchmarks/scaling.py --quick    # 50,000 more, 1 repeat

Three sizes of the same synchronous function (1-s handlers, Poisson arrivals, keep-alive 600 s,
no cold-start time, no scaling or account limit in the way): λ = 10, 1,000 and 20,000 requests/s
keep about 25, 1,000 and 20,000 environments alive. Each size is run for ``n`` and for ``2n``
invocations (horizon ``n / λ`` and ``2n / λ``); the difference of the CPU times over the
difference of the invocations is the cost of one steady-state invocation, without start-up and
without the first second, in which the fleet fills up with cold starts. The script prints µs
per invocation (process CPU time, medians) and the growth from the smallest to the largest
size; the target is ≤ 1.3×. Sizes are measured alternately, so machine noise hits all of them.
"""

from __future__ import annotations

import argparse
import statistics
import time

import lambdasim as ls

SIZES = (10.0, 1000.0, 20000.0)


def scenario(rate: float, invocations: int) -> ls.Scenario:
    """The function at ``rate`` requests/s for ``invocations / rate`` seconds."""
    return ls.Scenario.from_dict(
        {
            "name": f"scaling-{rate:g}",
            "seed": 3,
            "horizon_s": invocations / rate,
            "account": {"concurrency": 1_000_000, "rps_limit": None, "scaling": {"mode": "none"}},
            "functions": {
                "f": {
                    "duration": {"dist": "constant", "value_s": 1.0},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "keep_alive_s": 600,
                    "max_lifetime_s": None,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate}}],
        }
    )


def one(sc: ls.Scenario) -> tuple[float, int, float]:
    """(CPU seconds, invocations, mean live environments) of one run."""
    t0 = time.process_time()
    res = ls.run(sc, progress=False)
    dt = time.process_time() - t0
    f = res.functions["f"]
    return dt, int(f["invocations_run"]), float(f["environments"]["mean"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="50,000 invocations, 1 repeat")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    n = 50_000 if args.quick else 200_000
    reps = 1 if args.quick else args.repeats
    pairs = [(scenario(r, n), scenario(r, 2 * n)) for r in SIZES]
    one(scenario(SIZES[0], 1000))  # first-use imports and caches are not per-invocation cost
    times: dict[float, list[float]] = {r: [] for r in SIZES}
    live: dict[float, float] = {}
    for _ in range(reps):
        for r, (short, long) in zip(SIZES, pairs, strict=True):
            dt1, inv1, _ = one(short)
            dt2, inv2, envs = one(long)
            times[r].append((dt2 - dt1) / (inv2 - inv1) * 1e6)
            live[r] = envs
    us = {r: statistics.median(v) for r, v in times.items()}
    for r in SIZES:
        print(f"λ = {r:>8,.0f}/s: {live[r]:>9,.0f} live environments, {us[r]:.2f} µs/invocation")
    growth = us[SIZES[-1]] / us[SIZES[0]]
    print(
        f"growth from {live[SIZES[0]]:,.0f} to {live[SIZES[-1]]:,.0f} environments: {growth:.2f}x "
        f"(target <= 1.3x: {'met' if growth <= 1.3 else 'NOT met'}; medians of {reps})"
    )


if __name__ == "__main__":
    main()
