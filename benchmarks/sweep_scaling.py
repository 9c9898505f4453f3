"""Parallel scaling of a sweep: the same 24 runs serially, on 2 loky processes and on Dask.

    python benchmarks/sweep_scaling.py            # 24 runs of ~720k arrivals (~1.5 s each)
    python benchmarks/sweep_scaling.py --quick    # a tenth of the run length, a smoke check

The sweep is the quickstart API function (Poisson 100/s) over memory_mb × reserved concurrency
(3 × 2 points) × 4 replications = 24 runs. Each mode runs the whole sweep through ``ls.sweep``:
``n_jobs=1`` (in this process), ``n_jobs=2`` (joblib/loky) and ``backend="dask"`` on a
2-worker LocalCluster (one thread per worker process). The first loky sweep includes starting
the worker processes, as a user sees it; joblib keeps them, and the next ``--rounds`` rounds
(default 3) alternate serial, warm loky and Dask (on a cluster already started; its start-up is
printed separately) and report medians. The script checks that every mode gives the identical
table (seeds do not depend on the backend) and prints speedups against the serial time; the
target on 2 cores is ≥ 1.7×. Other processes on the machine lower the speedup: run it on an
otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import pandas as pd

import lambdasim as ls

GRID = {
    "functions.api.memory_mb": [512, 1024, 2048],
    "functions.api.reserved_concurrency": [None, 40],
}
REPS = 4


def scenario(horizon_s: float) -> ls.Scenario:
    return ls.Scenario.from_dict(
        {
            "name": "sweep-scaling",
            "seed": 1,
            "horizon_s": horizon_s,
            "functions": {
                "api": {
                    "memory_mb": 512,
                    "timeout_s": 10,
                    "duration": {
                        "dist": "lognormal",
                        "p50_s": 0.045,
                        "p99_s": 0.25,
                        "memory_ref_mb": 512,
                        "cpu_bound": 0.5,
                    },
                    "cold_start": {"dist": "lognormal", "p50_s": 0.3, "p99_s": 0.9},
                }
            },
            "workloads": [{"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": 100.0}}],
        }
    )


def timed(label: str, **kw: object) -> tuple[float, pd.DataFrame]:
    t0 = time.perf_counter()
    res = ls.sweep(SC, GRID, reps=REPS, seed=1, progress=False, chunk=1, **kw)  # type: ignore[arg-type]
    wall = time.perf_counter() - t0
    print(f"{label:<34} {wall:7.2f} s", flush=True)
    return wall, res.table


def main() -> None:
    global SC
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of the run length")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds (medians)")
    args = ap.parse_args()
    horizon = 720.0 if args.quick else 7200.0
    SC = scenario(horizon)
    runs = (
        REPS
        * len(GRID["functions.api.memory_mb"])
        * len(GRID["functions.api.reserved_concurrency"])
    )
    print(
        f"{runs} runs of {horizon:g} s at 100 requests/s (~{100 * horizon:,.0f} arrivals each); "
        f"{os.cpu_count()} CPUs"
    )
    from distributed import Client, LocalCluster

    t0 = time.perf_counter()
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster),
    ):
        start = time.perf_counter() - t0
        print(f"Dask LocalCluster start-up {start:.1f} s")
        t2, loky = timed("n_jobs=2 (loky, incl. start-up)", n_jobs=2)
        serial_t, loky_t, dask_t = [], [], []
        # rounds alternate the modes so that load from other processes hits all of them
        for k in range(args.rounds):
            print(f"round {k + 1}/{args.rounds}")
            t, serial = timed("  n_jobs=1 (serial)", n_jobs=1)
            serial_t.append(t)
            t, table = timed("  n_jobs=2 (loky, warm workers)", n_jobs=2)
            pd.testing.assert_frame_equal(serial, table, obj="loky table")
            loky_t.append(t)
            t, table = timed("  Dask LocalCluster, 2 workers", n_jobs=2, backend="dask")
            pd.testing.assert_frame_equal(serial, table, obj="dask table")
            dask_t.append(t)
    pd.testing.assert_frame_equal(serial, loky, obj="loky table")
    t1, tl, td = (statistics.median(x) for x in (serial_t, loky_t, dask_t))
    print(
        f"medians of {args.rounds}: serial {t1:.2f} s ({t1 / runs:.2f} s per run), "
        f"loky {tl:.2f} s, Dask {td:.2f} s; tables identical in all modes"
    )
    print(f"speedup n_jobs=2: {t1 / tl:.2f}x warm, {t1 / t2:.2f}x including worker start-up")
    print(
        f"speedup Dask 2 workers: {t1 / td:.2f}x on a running cluster, "
        f"{t1 / (td + start):.2f}x including its {start:.1f} s start-up"
    )


SC: ls.Scenario

if __name__ == "__main__":  # worker processes re-import this file: keep the work behind main
    main()
