#!/usr/bin/env python
"""Re-derive the measured constants of :mod:`lambdasim.coldstart` from the shared data.

Usage::

    python scripts/derive_calibration.py                 # print the constants
    python scripts/derive_calibration.py --check         # compare with lambdasim.coldstart
    python scripts/derive_calibration.py --data DIR      # DIR holds the three data sets

``DIR`` (default ``../shared/data/traces`` next to the repository) must contain
``aws-lambda-cirrus-2025/keep_alive/aws/results_{big,small}_step.json``,
``aws-lambda-cloudbench-2019/coldstart_aws_{scatter,bydependencies}.json`` and the PACS
``aws-lambda-pacslab-2020/res-01-*.csv`` files (the three lowest-rate runs are used). The test
suite runs the same functions on the copies in ``tests/data``.

Keep-alive (idle reclaim) curves
--------------------------------
Every data set is *current-status* data: a probe after idle time ``x`` tells only whether the
environment's keep-alive ``K`` was shorter (cold) or longer (warm) than ``x``. The
nonparametric maximum-likelihood estimate of ``F(x) = P(K <= x)`` from such data is the
isotonic (pool-adjacent-violators) regression of the cold indicator on ``x``. Between
observations ``F`` is not identified; we interpolate linearly between the ends of the PAVA
blocks, which gives a continuous, piecewise-linear CDF that is sampled by inversion.

Cold starts well before the reclaim onset (≈1 % of probes in 2019 and 2025) are not idle
reclaims: in the PACS runs they come from sandboxes close to the ≈2 h maximum lifetime
(aws-lambda-behaviour.md §1.4), which lambdasim models separately (``max_lifetime_s``). Leaving
them in would make 1 % of *every* idle period, even 1 ms long, end in a reclaim, i.e. a 1 %
cold-start floor at any request rate. So the floor ``f0`` (the pooled cold fraction of probes at
idle times below 3/4 of the onset, the first idle time at which the fitted curve reaches
10 %) is removed: ``F_idle = max(0, (F - f0) / (1 - f0))``.

Package-size slope
------------------
cloudbench's by-dependency series (Node.js, Jan 2019): central INIT 0.292 s at 1 KB, 1.910 s at
14 MB, 4.211 s at 35 MB. Least squares through the 1 KB point gives the added seconds per MB;
the log-spread of the 67 % ranges at 14 and 35 MB gives the lognormal sigma of that term.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "traces"

#: PACS runs with λ < 0.003 req/s: one sandbox at a time, none reaches the ≈2 h lifetime
#: (oldest 0.86–1.51 h), so every cold start after an idle gap is an idle reclaim.
PACS_LOW_RATE = (
    "res-01-2020-05-28_01-57-40.csv",
    "res-01-2020-06-04_23-02-14.csv",
    "res-01-2020-06-06_22-39-19.csv",
)

Knots = tuple[tuple[float, float], ...]


def pava(y: Sequence[float], w: Sequence[float]) -> list[tuple[int, int, float]]:
    """Pool-adjacent-violators: nondecreasing fit of ``y`` with weights ``w``.

    Returns the blocks as ``(first index, last index, fitted value)``.
    """
    blocks: list[list[float]] = []  # [first, last, sum w*y, sum w]
    for i, (yi, wi) in enumerate(zip(y, w, strict=True)):
        blocks.append([i, i, yi * wi, wi])
        while len(blocks) > 1 and (blocks[-2][2] / blocks[-2][3] >= blocks[-1][2] / blocks[-1][3]):
            b = blocks.pop()
            blocks[-1][1] = b[1]
            blocks[-1][2] += b[2]
            blocks[-1][3] += b[3]
    return [(int(b[0]), int(b[1]), b[2] / b[3]) for b in blocks]


def reclaim_curve(idle_s: Sequence[float], cold: Sequence[float], n: Sequence[float]) -> Knots:
    """Piecewise-linear CDF knots ``((x_s, F), ...)`` of the idle keep-alive.

    Parameters
    ----------
    idle_s : sequence of float
        Idle time before each probe (or probe group), seconds, any order.
    cold : sequence of float
        Number of cold probes at that idle time.
    n : sequence of float
        Number of probes at that idle time.
    """
    order = np.argsort(np.asarray(idle_s, dtype=float), kind="stable")
    x = np.asarray(idle_s, dtype=float)[order]
    c = np.asarray(cold, dtype=float)[order]
    m = np.asarray(n, dtype=float)[order]
    blocks = pava(list(c / m), list(m))
    # The floor: pooled cold fraction below 3/4 of the onset x10, the first idle time at which
    # the fitted curve reaches 10 % (see the module docstring).
    x10 = min(float(x[a]) for a, _, v in blocks if v >= 0.1)
    low = x < 0.75 * x10
    f0 = float(c[low].sum() / m[low].sum()) if low.any() else 0.0
    knots: list[tuple[float, float]] = []
    for a, b, v in blocks:
        f = max(0.0, (float(v) - f0) / (1.0 - f0))
        f = round(f, 4)
        if knots and knots[-1][1] == f:
            # flat continuation: keep only the block end
            knots[-1] = (float(x[b]), f)
            continue
        if f == 0.0:
            knots.append((float(x[b]), 0.0))
        elif a == b or f == 1.0:
            knots.append((float(x[a]), f))
        else:
            knots.extend([(float(x[a]), f), (float(x[b]), f)])
    if knots[0][1] > 0.0:  # start at F = 0 (never the case in the three data sets)
        knots.insert(0, (0.0, 0.0))
    if knots[-1][1] < 1.0:
        raise ValueError("no idle time at which every probe was cold: curve does not end")
    knots = _drop_flat_interior(knots)
    return tuple((round(float(xk), 1), float(fk)) for xk, fk in knots)


def _drop_flat_interior(knots: list[tuple[float, float]]) -> list[tuple[float, float]]:
    # After F reaches 1 nothing more is needed; keep the first F = 1 knot only.
    out: list[tuple[float, float]] = []
    for k in knots:
        out.append(k)
        if k[1] >= 1.0:
            break
    return out


def cirrus_2025(data: Path) -> Knots:
    """2025: CIRRUS AWS probes, 100 per idle time (both step files)."""
    counts: dict[float, list[float]] = {}
    for name in ("results_big_step.json", "results_small_step.json"):
        path = data / "aws-lambda-cirrus-2025" / "keep_alive" / "aws" / name
        for k, v in json.loads(path.read_text(encoding="utf-8")).items():
            c = counts.setdefault(float(k), [0.0, 0.0])
            c[0] += v["cold"]
            c[1] += v["cold"] + v["warm"]
    xs = sorted(counts)
    return reclaim_curve(xs, [counts[x][0] for x in xs], [counts[x][1] for x in xs])


def cloudbench_2019(data: Path) -> Knots:
    """Jan 2019: cloudbench scatter (3,731 probes), pooled into 1-minute idle bins."""
    path = data / "aws-lambda-cloudbench-2019" / "coldstart_aws_scatter.json"
    pts = json.loads(path.read_text(encoding="utf-8"))["points"]
    idle_min = np.array([p[0] for p in pts], dtype=float)
    cold = np.array(["blue" in p[2] for p in pts], dtype=float)
    # 1-minute bins keep the constant table short; the bin's probes sit at its centre.
    b = np.floor(idle_min).astype(int)
    nb = int(b.max()) + 1
    n = np.bincount(b, minlength=nb).astype(float)
    c = np.bincount(b, weights=cold, minlength=nb)
    keep = n > 0
    centres = (np.arange(nb) + 0.5) * 60.0
    return reclaim_curve(list(centres[keep]), list(c[keep]), list(n[keep]))


def pacs_2020(data: Path, files: Sequence[str] = PACS_LOW_RATE) -> Knots:
    """June 2020: PACS low-rate per-request logs as current-status data.

    For each request that found no sandbox busy, the idle time is the time since the most
    recently used sandbox finished (handler ``end_time`` to ``start_time``, which differ from
    the platform's view only by the ~ms between handler and platform events).
    """
    idle: list[float] = []
    cold: list[float] = []
    for name in files:
        d = pd.read_csv(
            data / "aws-lambda-pacslab-2020" / name,
            usecols=["is_cold", "inst_id", "start_time", "end_time"],
        ).sort_values("start_time")
        last_end: dict[str, float] = {}
        for r in d.itertuples(index=False):
            t = float(r.start_time) / 1000.0
            if last_end:
                latest = max(last_end.values())
                if latest < t:  # no sandbox busy: a clean probe of the newest idle one
                    idle.append(t - latest)
                    cold.append(1.0 if bool(r.is_cold) else 0.0)
            last_end[str(r.inst_id)] = float(r.end_time) / 1000.0
    return reclaim_curve(idle, cold, [1.0] * len(idle))


def package_slope(data: Path) -> tuple[float, float]:
    """(seconds added per MB of package, lognormal sigma of the added term) from cloudbench."""
    path = data / "aws-lambda-cloudbench-2019" / "coldstart_aws_bydependencies.json"
    pts = json.loads(path.read_text(encoding="utf-8"))["points"]
    size_mb = {" 1 KB": 1.0 / 1024.0, " 14 MB": 14.0, " 35 MB": 35.0}
    x = np.array([size_mb[p[0]] for p in pts])
    v1 = np.array([p[1] for p in pts])
    base = v1[np.argmin(x)]
    big = x > 1.0
    slope = float(np.sum(x[big] * (v1[big] - base)) / np.sum(x[big] ** 2))
    # 67 % range (v4, v5) ≈ ±0.954 sigma of a normal in log space (central 66 %).
    z67 = 0.9674  # Φ⁻¹(0.8335): a central 67 % interval
    sig = [
        (math.log(p[5]) - math.log(p[4])) / (2 * z67)
        for p, xi in zip(pts, x, strict=True)
        if xi > 1
    ]
    return round(slope, 4), round(float(np.mean(sig)), 3)


def derive(data: Path) -> dict[str, object]:
    """All derived constants, keyed as in :mod:`lambdasim.coldstart`."""
    slope, sigma = package_slope(data)
    return {
        "KEEP_ALIVE_KNOTS": {
            "aws-2019": cloudbench_2019(data),
            "aws-2020": pacs_2020(data),
            "aws-2025": cirrus_2025(data),
        },
        "PACKAGE_S_PER_MB": slope,
        "PACKAGE_SIGMA": sigma,
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--check", action="store_true", help="compare with lambdasim.coldstart")
    a = ap.parse_args(argv)
    got = derive(a.data)
    if not a.check:
        for k, v in got.items():
            if isinstance(v, dict):
                print(f"{k} = {{")
                for era, knots in v.items():
                    print(f"    {era!r}: {knots!r},")
                print("}")
            else:
                print(f"{k} = {v!r}")
        return 0
    from lambdasim import coldstart

    ok = (
        dict(coldstart.KEEP_ALIVE_KNOTS) == got["KEEP_ALIVE_KNOTS"]
        and coldstart.PACKAGE_S_PER_MB == got["PACKAGE_S_PER_MB"]
        and coldstart.PACKAGE_SIGMA == got["PACKAGE_SIGMA"]
    )
    print("constants match the data" if ok else "MISMATCH: re-run without --check and update")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
