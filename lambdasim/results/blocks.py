"""The blocks of the ``lambdasim run --json`` document, built from a run's collectors only.

One function per block: :func:`function_block` (``functions.NAME``), :func:`async_block`
(``functions.NAME.async``), :func:`provisioned_block`, :func:`mapping_block`
(``functions.NAME.sqs``), :func:`queue_block` / :func:`topic_block` (``queues.NAME``) and
:func:`stream_block` (``streams.NAME``). Their keys are listed in :mod:`lambdasim.results.schema`;
the conservation identities they satisfy are documented in the README ("Results").

The counter rule: an invoke counts when it starts, if its request arrived at or after warm-up
(``invocations_run``, ``cold_starts``, ``suppressed_inits``, the provisioned ``invocations``
and ``spillover_invocations``), so invokes still running at the horizon are in all of them;
means over handler durations divide by the invokes that ended.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from lambdasim import cost as costmod
from lambdasim.cost.provisioned import enabled_unit_s
from lambdasim.metrics import (
    AsyncMetrics,
    EsmMetrics,
    FunctionMetrics,
    ProvisionedMetrics,
    QueueMetrics,
    StreamMetrics,
    TopicMetrics,
    window_stats,
)
from lambdasim.periods import Periods
from lambdasim.results.schema import THROTTLE_REASONS, percentile_key

__all__ = [
    "async_block",
    "function_block",
    "mapping_block",
    "none_if_nan",
    "provisioned_block",
    "queue_block",
    "stream_block",
    "topic_block",
]


def none_if_nan(x: float) -> float | None:
    """JSON has no NaN: an empty histogram's quantile is ``null``."""
    return None if isinstance(x, float) and math.isnan(x) else x


def function_block(m: FunctionMetrics, periods: Periods, pcts: Sequence[float]) -> dict[str, Any]:
    """``functions.NAME`` without its cost (added from the billing totals by the caller).

    invocations = succeeded + errors + timeouts + throttled + in_flight_end (sync requests);
    ``invocations_run`` counts every invoke started (the counter rule of the module), so
    cold_starts ≤ invocations_run and ``cold_start_rate`` = cold_starts / invocations_run.
    """
    succ = m.outcomes[0]
    lat_q = m.latency.quantiles([p / 100 for p in pcts])
    dur_q = m.duration.quantiles([0.5, 0.99])
    init_q = m.init.quantiles([0.5, 0.99])
    c_mean, c_max = window_stats(m.concurrency, periods)
    e_mean, e_max = window_stats(m.environments, periods)
    ran = m.invocations_run
    finished = m.invocations_finished
    return {
        "invocations": m.arrivals,
        "succeeded": succ,
        "errors": m.outcomes[1],
        "timeouts": m.outcomes[2],
        "throttled": m.outcomes[3],
        "in_flight_end": m.in_flight,
        "cold_starts": m.cold_starts,
        # both counted at the start (the counter rule), so the share is in [0, 1]
        "cold_start_rate": m.cold_starts / ran if ran else None,
        "latency_s": {
            "mean": m.latency_sum / succ if succ else None,
            **{percentile_key(p): none_if_nan(q) for p, q in zip(pcts, lat_q, strict=True)},
        },
        "duration_s": {
            "mean": m.duration_sum / finished if finished else None,
            "p50": none_if_nan(dur_q[0]),
            "p99": none_if_nan(dur_q[1]),
        },
        "init_s": {
            "mean": m.init_sum / m.cold_starts if m.cold_starts else None,
            "p50": none_if_nan(init_q[0]),
            "p99": none_if_nan(init_q[1]),
        },
        "concurrency": {"mean": c_mean, "max": c_max},
        "environments": {"mean": e_mean, "max": e_max},
        "throttle_events": m.throttle_events,
        "throttles_by_reason": {
            reason: m.throttle_reasons[i] for i, reason in enumerate(THROTTLE_REASONS)
        },
        "suppressed_inits": m.suppressed_inits,
        "invocations_run": ran,
    }


def async_block(am: AsyncMetrics, periods: Periods) -> dict[str, Any]:
    """``functions.NAME.async``: events_received + duplicates = succeeded + to_dlq +
    to_on_failure + dropped + in_queue_end + in_flight_end."""
    done = am.succeeded + am.to_dlq + am.to_on_failure + am.dropped
    waiting = am.in_queue_end
    age = am.age.quantiles([0.5, 0.99])
    lat = am.latency.quantiles([0.5, 0.99])
    _, depth_max = window_stats(am.depth, periods)
    return {
        "events_received": am.received,
        "duplicates": am.duplicates,
        "attempts": am.attempts,
        "retries": am.retries,
        "succeeded": am.succeeded,
        "to_dlq": am.to_dlq,
        "to_on_failure": am.to_on_failure,
        "dropped": am.dropped,
        "in_queue_end": waiting,
        "in_flight_end": am.received + am.duplicates - done - waiting,
        "failure_reasons": dict(am.reasons),
        "dead_letter_errors": am.dead_letter_errors,
        "destination_delivery_failures": am.destination_delivery_failures,
        "sources": dict(am.sources),
        "event_age_s": {
            "p50": none_if_nan(age[0]),
            "p99": none_if_nan(age[1]),
            "max": am.age_max if am.attempts else None,
        },
        "queue_depth_max": depth_max,
        "latency_s": {"p50": none_if_nan(lat[0]), "p99": none_if_nan(lat[1])},
    }


def provisioned_block(
    pm: ProvisionedMetrics, periods: Periods, rounding_s: float
) -> dict[str, Any]:
    """``functions.NAME.provisioned`` (``cost_usd`` is added by the caller).

    invocations + spillover_invocations = the function's ``invocations_run``: every invoke
    started runs on a PC environment or spills over to standard concurrency (also while the
    allocated PC is 0).
    """
    a_mean, a_max = window_stats(pm.allocated, periods)
    b_mean, b_max = window_stats(pm.busy, periods)
    _, t_max = window_stats(pm.target, periods)
    mem_gb = pm.memory_mb / 1024.0
    return {
        "allocated_mean": a_mean,
        "allocated_max": a_max,
        "target_max": t_max,
        "busy_mean": b_mean,
        "busy_max": b_max,
        "utilization_mean": b_mean / a_mean if a_mean > 0 else None,
        "invocations": pm.invocations,
        "spillover_invocations": pm.spillover,
        "allocated_gb_s": enabled_unit_s(pm.enabled, rounding_s) * mem_gb,
        "recycled": pm.reinits,
    }


def queue_block(
    qm: QueueMetrics, table: costmod.PricingTable, region: str, periods: Periods
) -> dict[str, Any]:
    """``queues.NAME`` of an SQS queue: sent = deleted + to_dlq + expired + in_queue_end +
    in_flight_end (``monthly_cost_usd`` is added by the caller).

    ``to_dlq_unprocessed`` ≤ ``to_dlq``: the messages redriven to the DLQ that were never part
    of an admitted invoke, i.e. that never ran (typically: every invoke of the batches that held
    them was throttled until their visibility deadline). Like ``to_dlq`` it counts messages
    sent after warm-up, by their send time.
    """
    waiting = qm.in_queue_end
    done = qm.deleted + qm.to_dlq + qm.expired
    visible_mean, visible_max = window_stats(qm.visible, periods)
    lat = qm.latency.quantiles([0.5, 0.99])
    return {
        "kind": qm.kind,
        "sent": qm.sent,
        "received": qm.received,
        "deleted": qm.deleted,
        "to_dlq": qm.to_dlq,
        "to_dlq_unprocessed": qm.to_dlq_unprocessed,
        "expired": qm.expired,
        "in_queue_end": waiting,
        "in_flight_end": qm.sent - done - waiting,
        "reprocessed": qm.reprocessed,
        "visible_max": visible_max,
        "visible_mean": visible_mean,
        "age_of_oldest_s_max": qm.age_of_oldest_max,
        "empty_receives": qm.empty_receives,
        "requests": qm.requests,
        "cost_usd": costmod.queue_request_cost_usd(
            qm.requests, qm.fifo, table, region, empty_receives=qm.empty_receives
        ),
        "latency_s": {
            "p50": none_if_nan(lat[0]),
            "p99": none_if_nan(lat[1]),
            "max": qm.latency_max if qm.deleted else None,
        },
    }


def topic_block(tm: TopicMetrics) -> dict[str, Any]:
    """``queues.NAME`` of an SNS topic."""
    return {"kind": "topic", "sent": tm.sent}


def mapping_block(
    em: EsmMetrics, table: costmod.PricingTable, region: str, periods: Periods
) -> dict[str, Any]:
    """``functions.NAME.sqs``: the function's SQS event source mapping.

    ``concurrency_*`` counts the mapping's invokes while they run (not batches held in a
    batching window or retrying throttles): at most the function's concurrency.
    """
    c_mean, c_max = window_stats(em.concurrency, periods)
    p_mean, p_max = window_stats(em.pollers, periods)
    return {
        "queue": em.queue,
        "mode": em.mode,
        "batches": em.batches,
        "batch_size_mean": em.items / em.batches if em.batches else None,
        "concurrency_max": c_max,
        "concurrency_mean": c_mean,
        "throttled_batches": em.throttled_batches,
        "failed_batches": em.failed_batches,
        "item_failures": em.item_failures,
        "pollers_max": p_max,
        "pollers_mean": p_mean,
        "epu_hours": costmod.epu_hours(em.poller_seconds),
        "epu_cost_usd": costmod.epu_cost_usd(em.poller_seconds, table, region),
    }


def stream_block(sm: StreamMetrics) -> dict[str, Any]:
    """``streams.NAME``: records = processed + to_on_failure + expired + remaining."""
    q = sm.iterator_age.quantiles([0.5, 0.99])
    return {
        "kind": sm.kind,
        "shards": sm.shards,
        "function": sm.function,
        "records": sm.records,
        "processed": sm.processed,
        "to_on_failure": sm.to_on_failure,
        "age_exceeded": sm.age_exceeded,
        "expired": sm.expired,
        "remaining": sm.remaining,
        "iterator_age_s": {
            "p50": none_if_nan(q[0]),
            "p99": none_if_nan(q[1]),
            "max": sm.iterator_age_max if sm.batches else None,
        },
        "batches": sm.batches,
        "retries": sm.retries,
        "bisections": sm.bisections,
        "throttled_batches": sm.throttled_batches,
        "out_of_order": sm.out_of_order,
    }
