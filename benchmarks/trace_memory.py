"""Peak memory of replaying a CSV trace (issue 6: memory flat) and of ``trace=True`` (issue 16).

    python benchmarks/trace_memory.py           # stream the CSV through the trace reader
    python benchmarks/trace_memory.py --sim     # also simulate the replay (slower: ~10M invokes)
    python benchmarks/trace_memory.py --log     # bytes per row of trace=True, 1M invocations
    python benchmarks/trace_memory.py --log --rows 3000000

Writes a timestamp,function,duration_s CSV of N rows (1,000 rows per simulated second, one
function) to a temporary directory, then measures, in a fresh subprocess each, the peak RSS
(``ru_maxrss``) of reading every row with :func:`lambdasim.workload.traces.trace_events` (and,
with ``--sim``, of ``lambdasim.run`` replaying it with recorded durations). Prints the numbers
and the 10M/1M ratio; a flat reader gives a ratio near 1.

``--log`` measures the per-invocation log instead (``ls.run(..., trace=True)``): one function,
``--rows`` evenly spaced invocations (default 1M) of a constant 50-ms handler, run in two fresh
subprocesses, once with ``trace=True`` (reading ``res.invocations``, the frame) and once
without. Each child notes its ``ru_maxrss`` after a 1,000-invocation warm-up run (imports,
pricing table, pandas' first frames) and after the measured run; the log's cost is the
difference of the two growths, divided by the rows. Issue 16's target is ≤ 100 bytes per row at
peak (10M rows in about 1 GB); lists of Python objects took about 320.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def write_csv(path: Path, rows: int, chunk: int = 1_000_000) -> None:
    """``rows`` arrivals 1 ms apart with durations of 1–100 ms."""
    rng = np.random.default_rng(0)
    with path.open("w", encoding="utf-8") as f:
        f.write("timestamp,function,duration_s\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            t = (np.arange(start, start + n) * 0.001).round(3)
            d = rng.uniform(0.001, 0.1, n).round(4)
            f.write("".join(f"{a},f,{b}\n" for a, b in zip(t.tolist(), d.tolist(), strict=True)))


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces import trace_events
path, mode, horizon = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
t0 = time.perf_counter()
spec = TraceArrivals(kind="trace", path=str(path), function_column="function", function="f",
                     duration_column="duration_s")
if mode == "read":
    n = sum(b.times.size for b in trace_events(spec, path, np.random.default_rng(0)))
else:
    import lambdasim as ls
    sc = ls.Scenario.from_dict({"name": "replay", "seed": 1, "horizon_s": horizon,
        "functions": {"f": {"duration": {"dist": "constant", "value_s": 0.05},
                            "timeout_s": 10}},
        "workloads": [{"target": "f", "arrivals": spec.model_dump()}]})
    n = ls.run(sc, progress=False).to_dict()["functions"]["f"]["invocations"]
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(json.dumps({"rows": n, "peak_mb": rss, "wall_s": time.perf_counter() - t0}))
"""


LOG_CHILD = r"""
import json, resource, sys
import lambdasim as ls
rows, trace = int(sys.argv[1]), sys.argv[2] == "1"
def scenario(n):
    return ls.Scenario.from_dict({"name": "trace-memory", "seed": 1, "horizon_s": n / 1000,
        "functions": {"f": {"memory_mb": 512, "timeout_s": 10,
                            "duration": {"dist": "constant", "value_s": 0.05},
                            "cold_start": {"dist": "constant", "value_s": 0.2}}},
        "workloads": [{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1000.0}}],
        "output": {"timeseries_step_s": 60}})
def kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
warm = ls.run(scenario(1000), trace=True, progress=False)
assert warm.invocations is not None
del warm
base = kb()
res = ls.run(scenario(rows), trace=trace, progress=False)
n = len(res.invocations) if trace else int(res.functions["f"]["invocations"])
print(json.dumps({"rows": n, "base_kb": base, "peak_kb": kb()}))
"""


def measure_log(rows: int, trace: bool) -> dict[str, float]:
    """Peak-RSS growth of one run of ``rows`` invocations, with or without the log."""
    out = subprocess.run(
        [sys.executable, "-c", LOG_CHILD, str(rows), "1" if trace else "0"],
        check=True,
        capture_output=True,
        text=True,
    )
    res: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return res


def log_main(rows: int) -> None:
    """Bytes per row of ``trace=True``: peak-RSS growth with the log minus without."""
    t0 = time.perf_counter()
    with_log = measure_log(rows, True)
    without = measure_log(rows, False)
    grow = (with_log["peak_kb"] - with_log["base_kb"]) - (without["peak_kb"] - without["base_kb"])
    per_row = grow * 1024.0 / with_log["rows"]
    print(
        f"trace=True: {with_log['rows']:,.0f} rows; peak RSS growth "
        f"{(with_log['peak_kb'] - with_log['base_kb']) / 1024:.0f} MB with the log, "
        f"{(without['peak_kb'] - without['base_kb']) / 1024:.0f} MB without "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    print(f"trace=True: {per_row:.0f} bytes per row at peak (target ≤ 100)")


def measure(path: Path, mode: str, horizon: float) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, str(horizon)],
        check=True,
        capture_output=True,
        text=True,
    )
    res: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sim", action="store_true", help="also simulate the replays")
    ap.add_argument("--log", action="store_true", help="bytes per row of trace=True")
    ap.add_argument("--rows", type=int, help="rows (default 10M; 1M with --log)")
    args = ap.parse_args()
    if args.log:
        log_main(args.rows or 1_000_000)
        return
    args.rows = args.rows or 10_000_000
    small, big = args.rows // 10, args.rows
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for n in (small, big):
            p = Path(d) / f"trace-{n}.csv"
            t0 = time.perf_counter()
            write_csv(p, n)
            print(
                f"wrote {n:,} rows ({p.stat().st_size / 2**20:.0f} MB) in "
                f"{time.perf_counter() - t0:.1f} s"
            )
            paths[n] = p
        modes = ["read"] + (["sim"] if args.sim else [])
        for mode in modes:
            r = {n: measure(paths[n], mode, n * 0.001 + 1.0) for n in (small, big)}
            for n in (small, big):
                print(
                    f"{mode}: {r[n]['rows']:,.0f} rows, peak RSS {r[n]['peak_mb']:.0f} MB, "
                    f"{r[n]['wall_s']:.1f} s"
                )
            ratio = r[big]["peak_mb"] / r[small]["peak_mb"]
            print(f"{mode}: peak memory {big // small}x rows -> {ratio:.2f}x")


if __name__ == "__main__":
    main()
