"""Results of Kinesis / DynamoDB stream mappings: the ``streams`` JSON block and series."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.results.frames import long_frame
from lambdasim.metrics.core import period_stats
from lambdasim.service.streams import StreamMapping

__all__ = ["stream_block", "stream_series"]


def _none(x: float) -> float | None:
    return None if math.isnan(x) else x


def stream_block(sm: StreamMapping) -> dict[str, Any]:
    """``streams.NAME`` of ``--json``: records = processed + to_on_failure + expired + remaining."""
    m = sm.metrics
    q = m.iterator_age.quantiles([0.5, 0.99])
    return {
        "kind": sm.stream.kind,
        "shards": sm.stream.shards,
        "function": sm.service.name,
        "records": m.records,
        "processed": m.processed,
        "to_on_failure": m.to_on_failure,
        "age_exceeded": m.age_exceeded,
        "expired": m.expired,
        "remaining": sm.remaining(),
        "iterator_age_s": {
            "p50": _none(q[0]),
            "p99": _none(q[1]),
            "max": m.iterator_age_max if m.batches else None,
        },
        "batches": m.batches,
        "retries": m.retries,
        "bisections": m.bisections,
        "throttled_batches": m.throttled_batches,
        "out_of_order": m.out_of_order,
    }


def stream_series(
    sm: StreamMapping,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    """IteratorAge (max) and the mapping's concurrency under the function; backlog per shard."""
    m = sm.metrics
    c_mean, c_max = period_stats(m.concurrency, edges, step, n, horizon)
    frames = [
        long_frame(
            sm.service.name,
            times,
            {
                "IteratorAge": m.ts_iterator_age,
                "StreamConcurrency": c_max,
                "StreamConcurrencyMean": c_mean,
            },
        ),
        long_frame(f"stream:{m.name}", times, {"IncomingRecords": m.ts_records}),
    ]
    for i, lv in enumerate(m.backlog):
        b_mean, b_max = period_stats(lv, edges, step, n, horizon)
        frames.append(
            long_frame(
                f"stream:{m.name}/shard-{i}",
                times,
                {"ShardBacklog": b_max, "ShardBacklogMean": b_mean},
            )
        )
    out: pd.DataFrame = pd.concat(frames, ignore_index=True)
    return out
