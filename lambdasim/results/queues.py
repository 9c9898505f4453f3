"""Results of SQS queues and event source mappings (JSON blocks, series, SQS cost)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lambdasim import cost as costmod
from lambdasim.results.frames import long_frame
from lambdasim.metrics.core import period_stats, window_stats
from lambdasim.service.sqs import SqsQueue
from lambdasim.service.sqs_mapping import SqsEventSourceMapping

__all__ = ["esm_block", "esm_series", "queue_block", "queue_series", "sqs_monthly_usd"]


def _none(x: float) -> float | None:
    return None if math.isnan(x) else x


def _price(q: SqsQueue, table: costmod.PricingTable, region: str) -> float:
    sqs = table.for_region(region)[0].sqs
    return sqs.fifo_usd_per_request if q.fifo else sqs.standard_usd_per_request


def queue_block(
    q: SqsQueue,
    table: costmod.PricingTable,
    region: str,
    edges: Sequence[float],
    warmup: float,
    horizon: float,
) -> dict[str, Any]:
    """The ``queues.NAME`` entry of ``--json``."""
    m = q.metrics
    waiting = q.waiting()
    done = m.deleted + m.to_dlq + m.expired
    _, visible_max = window_stats(m.visible, edges, warmup, horizon)
    visible_mean, _ = window_stats(m.visible, edges, warmup, horizon)
    lat = m.latency.quantiles([0.5, 0.99])
    return {
        "kind": q.config.kind,
        "sent": m.sent,
        "received": m.received,
        "deleted": m.deleted,
        "to_dlq": m.to_dlq,
        "expired": m.expired,
        "in_queue_end": waiting,
        "in_flight_end": m.sent - done - waiting,
        "reprocessed": m.reprocessed,
        "visible_max": visible_max,
        "visible_mean": visible_mean,
        "age_of_oldest_s_max": m.age_of_oldest_max,
        "empty_receives": m.empty_receives,
        "requests": m.requests,
        "cost_usd": m.requests * _price(q, table, region),
        "latency_s": {
            "p50": _none(lat[0]),
            "p99": _none(lat[1]),
            "max": m.latency_max if m.deleted else None,
        },
    }


def sqs_monthly_usd(
    q: SqsQueue,
    table: costmod.PricingTable,
    region: str,
    window_s: float,
    free_tier: bool,
    days: float = 30.0,
) -> float:
    """30-day projection of a queue's request cost (free requests deducted if asked)."""
    sqs = table.for_region(region)[0].sqs
    reqs = q.metrics.requests * days * 86400.0 / window_s
    if free_tier:
        reqs = max(0.0, reqs - sqs.free_requests)
    return reqs * _price(q, table, region)


def queue_series(
    q: SqsQueue,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    """Per-period series of a queue, CloudWatch AWS/SQS names."""
    m = q.metrics
    v_mean, v_max = period_stats(m.visible, edges, step, n, horizon)
    _, nv_max = period_stats(m.not_visible, edges, step, n, horizon)
    frame: pd.DataFrame = long_frame(
        f"queue:{q.name}",
        times,
        {
            "NumberOfMessagesSent": m.ts_sent,
            "NumberOfMessagesReceived": m.ts_received,
            "NumberOfMessagesDeleted": m.ts_deleted,
            "NumberOfEmptyReceives": m.ts_empty,
            "ApproximateNumberOfMessagesVisible": v_max,
            "ApproximateNumberOfMessagesVisibleMean": v_mean,
            "ApproximateNumberOfMessagesNotVisible": nv_max,
            "ApproximateAgeOfOldestMessage": m.ts_age_max,
        },
    )
    return frame


def esm_block(
    esm: SqsEventSourceMapping,
    table: costmod.PricingTable,
    region: str,
    edges: Sequence[float],
    warmup: float,
    horizon: float,
) -> dict[str, Any]:
    """The ``functions.NAME.sqs`` entry of ``--json``."""
    m = esm.metrics
    c_mean, c_max = window_stats(m.concurrency, edges, warmup, horizon)
    p_mean, p_max = window_stats(m.pollers, edges, warmup, horizon)
    epu_h = esm.poller_seconds / 3600.0
    price = table.for_region(region)[0].sqs.provisioned_poller_usd_per_epu_hour
    return {
        "queue": esm.queue.name,
        "mode": "provisioned" if esm.provisioned else "on_demand",
        "batches": m.batches,
        "batch_size_mean": m.items / m.batches if m.batches else None,
        "concurrency_max": c_max,
        "concurrency_mean": c_mean,
        "throttled_batches": m.throttled_batches,
        "failed_batches": m.failed_batches,
        "item_failures": m.item_failures,
        "pollers_max": p_max,
        "pollers_mean": p_mean,
        "epu_hours": epu_h,
        "epu_cost_usd": epu_h * price,
    }


def esm_series(
    esm: SqsEventSourceMapping,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    """Per-period concurrency and pollers of a mapping."""
    m = esm.metrics
    c_mean, c_max = period_stats(m.concurrency, edges, step, n, horizon)
    p_mean, p_max = period_stats(m.pollers, edges, step, n, horizon)
    frame: pd.DataFrame = long_frame(
        esm.service.name,
        times,
        {
            "EventSourceMappingConcurrency": c_max,
            "EventSourceMappingConcurrencyMean": c_mean,
            "Pollers": p_max,
            "PollersMean": p_mean,
        },
    )
    return frame
