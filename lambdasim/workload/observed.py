"""What CloudWatch Logs say happened: the observed side of ``lambdasim compare``.

From the invocations of :func:`lambdasim.workload.traces.read_logs`, on the same window and
period grid as a simulation (t = 0 at ``origin_s``):

* invocations, cold starts (REPORTs with ``Init Duration``) and their share;
* execution environments: distinct log streams, and environments alive over time (a stream
  lives from its first to its last event, which undercounts the idle time before AWS reclaims
  it: the simulation's ``Environments`` include idle environments until keep-alive ends);
* concurrency over time, from each invocation's [arrival, END) interval;
* Duration p50 / p99, Billed Duration and GB-s (Σ billed ms × memory MB / 1,024,000, as AWS
  bills; Lambda guide "Understanding Lambda pricing").

All of it is exact arithmetic on the logs: time-weighted means integrate the step functions.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim.workload.traces import CloudWatchLogs

__all__ = [
    "MARGIN_S",
    "iso_ms",
    "level_stats",
    "observed_series",
    "observed_summary",
    "window",
]

F64 = NDArray[np.float64]

#: Seconds simulated after the last invocation ends (so that every one finishes in the run).
MARGIN_S = 1.0


def window(logs: CloudWatchLogs) -> tuple[float, float]:
    """``(origin_s, horizon_s)``: t = 0 at the first arrival; the horizon covers every end.

    The horizon is a whole number of seconds: the last END (or arrival) plus :data:`MARGIN_S`.
    """
    # whole milliseconds, rounded down: the ISO origin written in a scenario is exact and
    # no arrival falls before it
    origin = math.floor(float(logs.arrival_s[0]) * 1000.0) / 1000.0
    last = float(np.nanmax(np.concatenate((logs.end_s, logs.arrival_s))))
    return origin, float(math.ceil(last - origin + MARGIN_S))


def iso_ms(epoch_s: float) -> str:
    """``epoch_s`` as an ISO 8601 UTC timestamp with milliseconds (``...T20:33:10.636Z``)."""
    ms = round(epoch_s * 1000.0)
    d = datetime.fromtimestamp(ms // 1000, tz=UTC) + timedelta(milliseconds=ms % 1000)
    return d.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def level_stats(starts: F64, ends: F64, edges: F64) -> tuple[F64, F64, float, float]:
    """Per-period mean and max of the number of intervals ``[start, end)`` open, and the
    time-weighted mean and max over ``[edges[0], edges[-1])``.

    An interval that ends when another starts does not overlap it (ends are counted first).
    """
    starts = np.asarray(starts, dtype=np.float64)
    ends = np.maximum(np.asarray(ends, dtype=np.float64), starts)
    t = np.concatenate((starts, ends))
    d = np.concatenate((np.ones(starts.size), -np.ones(ends.size)))
    order = np.lexsort((d, t))  # by time, then -1 before +1
    t, d = t[order], d[order]
    level = np.cumsum(d)  # level on [t[i], t[i+1])
    # area A(x) = ∫ level up to x, at the event times then at the edges
    area = np.concatenate(([0.0], np.cumsum(level[:-1] * np.diff(t)))) if t.size else t
    k = np.searchsorted(t, edges, side="right") - 1
    at = np.where(k >= 0, level[np.maximum(k, 0)], 0.0) if t.size else np.zeros(edges.size)
    a_edges = (
        np.where(k >= 0, area[np.maximum(k, 0)] + at * (edges - t[np.maximum(k, 0)]), 0.0)
        if t.size
        else np.zeros(edges.size)
    )
    width = np.diff(edges)
    mean = np.diff(a_edges) / width
    mx = at[:-1].copy()  # the level at each period's start
    inside = (t >= edges[0]) & (t < edges[-1])
    if inside.any():
        p = np.searchsorted(edges, t[inside], side="right") - 1
        np.maximum.at(mx, p, level[inside])
    total = float((a_edges[-1] - a_edges[0]) / (edges[-1] - edges[0]))
    return mean, mx, total, float(mx.max()) if mx.size else 0.0


def _edges(horizon_s: float, step_s: float) -> F64:
    n = max(1, math.ceil(horizon_s / step_s - 1e-9))
    e = np.arange(n + 1, dtype=np.float64) * step_s
    e[-1] = min(e[-1], horizon_s) if n > 1 else horizon_s
    return e


def observed_series(
    logs: CloudWatchLogs, origin_s: float, horizon_s: float, step_s: float
) -> pd.DataFrame:
    """Long frame ``time_s, metric, value``: ``Invocations``, ``ColdStarts``,
    ``ConcurrentExecutions`` (max per period), ``ConcurrentExecutionsMean``, ``Environments``
    (max alive), ``EnvironmentsMean``, on periods of ``step_s`` from t = 0."""
    edges = _edges(horizon_s, step_s)
    a = logs.arrival_s - origin_s
    e = logs.end_s - origin_s
    c_mean, c_max, _, _ = level_stats(a, np.where(np.isfinite(e), e, a), edges)
    s_mean, s_max, _, _ = level_stats(
        logs.stream_first_s - origin_s, logs.stream_last_s - origin_s, edges
    )
    inv, _ = np.histogram(a, bins=edges)
    cold, _ = np.histogram(a[logs.cold], bins=edges)
    cols = {
        "Invocations": inv.astype(np.float64),
        "ColdStarts": cold.astype(np.float64),
        "ConcurrentExecutions": c_max,
        "ConcurrentExecutionsMean": c_mean,
        "Environments": s_max,
        "EnvironmentsMean": s_mean,
    }
    frames = [
        pd.DataFrame({"time_s": edges[:-1], "metric": name, "value": v}) for name, v in cols.items()
    ]
    return pd.concat(frames, ignore_index=True)


def observed_summary(logs: CloudWatchLogs, origin_s: float, horizon_s: float) -> dict[str, Any]:
    """The observed numbers ``compare`` puts beside the simulation's (units in the keys).

    ``billed_gb_s`` = Σ Billed Duration (ms) × Memory Size (MB) / 1,024,000, computed in
    integers and divided once.
    """
    edges = np.array([0.0, horizon_s])
    a = logs.arrival_s - origin_s
    e = logs.end_s - origin_s
    _, _, c_mean, c_max = level_stats(a, np.where(np.isfinite(e), e, a), edges)
    _, _, s_mean, s_max = level_stats(
        logs.stream_first_s - origin_s, logs.stream_last_s - origin_s, edges
    )
    n = len(logs)
    cold = int(logs.cold.sum())
    ms_mb = int(np.sum(logs.billed_ms.astype(np.int64) * logs.memory_mb.astype(np.int64)))
    d = logs.duration_ms / 1000.0
    used = logs.max_memory_mb[np.isfinite(logs.max_memory_mb)]
    return {
        "invocations": n,
        "cold_starts": cold,
        "cold_start_rate": cold / n if n else None,
        "environments_distinct": len(logs.streams),
        "environments_mean": s_mean,
        "environments_max": s_max,
        "concurrency_mean": c_mean,
        "concurrency_max": c_max,
        "duration_mean_s": float(d.mean()),
        "duration_p50_s": float(np.percentile(d, 50)),
        "duration_p99_s": float(np.percentile(d, 99)),
        "init_mean_s": float(np.nanmean(logs.init_ms)) / 1000.0 if cold else None,
        "billed_ms": int(logs.billed_ms.sum()),
        "billed_gb_s": ms_mb / 1_024_000,
        "memory_mb": sorted({int(m) for m in logs.memory_mb}),
        "max_memory_used_mb": float(used.max()) if used.size else None,
        "errors": sum(1 for s in logs.status if s != "success"),
    }
