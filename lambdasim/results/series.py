"""Per-period time series of a run, in long format, named as in CloudWatch (§11).

One function per collector; each returns rows ``time_s``, ``function``, ``metric``, ``value``
(:func:`~lambdasim.results.frames.long_frame`). The ``function`` column names the series:
a function, ``account``, ``queue:NAME``, ``stream:NAME`` or ``stream:NAME/shard-I``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lambdasim.metrics import (
    AsyncMetrics,
    EsmMetrics,
    FunctionMetrics,
    Level,
    ProvisionedMetrics,
    QueueMetrics,
    StreamMetrics,
    TopicMetrics,
    period_stats,
)
from lambdasim.periods import Periods
from lambdasim.results.frames import long_frame

__all__ = [
    "account_series",
    "async_series",
    "function_series",
    "mapping_series",
    "provisioned_series",
    "queue_series",
    "stream_series",
    "topic_series",
]


def function_series(name: str, m: FunctionMetrics, periods: Periods) -> pd.DataFrame:
    """Invocations, Errors, Throttles, ColdStarts, Duration, InitDuration, concurrency and
    environments (max and time-weighted mean) of one function."""
    inv = np.asarray(m.ts_invocations, dtype=np.float64)
    cold = np.asarray(m.ts_cold, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        dur = np.asarray(m.ts_duration_sum) / m.ts_finished
        init = np.asarray(m.ts_init_sum) / cold
    c_mean, c_max = period_stats(m.concurrency, periods)
    e_mean, e_max = period_stats(m.environments, periods)
    return long_frame(
        name,
        periods.starts(),
        {
            "Invocations": inv,
            "Errors": m.ts_errors,
            "Throttles": m.ts_throttles,
            "ColdStarts": cold,
            "Duration": dur,
            "InitDuration": init,
            "ConcurrentExecutions": c_max,
            "ConcurrentExecutionsMean": c_mean,
            "Environments": e_max,
            "EnvironmentsMean": e_mean,
        },
    )


def account_series(level: Level, periods: Periods) -> pd.DataFrame:
    """Account-wide ConcurrentExecutions (max) and its time-weighted mean."""
    means, mx = period_stats(level, periods)
    return long_frame(
        "account",
        periods.starts(),
        {"ConcurrentExecutions": mx, "ConcurrentExecutionsMean": means},
    )


def async_series(name: str, am: AsyncMetrics, periods: Periods) -> pd.DataFrame:
    """AsyncEventsReceived, AsyncEventAge (mean), AsyncEventsDropped, DeadLetterErrors,
    DestinationDeliveryFailures and the internal queue's depth."""
    with np.errstate(invalid="ignore", divide="ignore"):
        age = np.asarray(am.ts_age_sum) / np.asarray(am.ts_age_n, dtype=np.float64)
    d_mean, d_max = period_stats(am.depth, periods)
    return long_frame(
        name,
        periods.starts(),
        {
            "AsyncEventsReceived": am.ts_received,
            "AsyncEventAge": age,
            "AsyncEventsDropped": am.ts_dropped,
            "DeadLetterErrors": am.ts_dlq_errors,
            "DestinationDeliveryFailures": am.ts_destination_failures,
            "AsyncQueueDepth": d_max,
            "AsyncQueueDepthMean": d_mean,
        },
    )


def provisioned_series(name: str, pm: ProvisionedMetrics, periods: Periods) -> pd.DataFrame:
    """Per-period CloudWatch PC metrics and the PC target."""
    b_mean, b_max = period_stats(pm.busy, periods)
    a_mean, _ = period_stats(pm.allocated, periods)
    _, t_max = period_stats(pm.target, periods)
    with np.errstate(invalid="ignore", divide="ignore"):
        util = np.asarray(b_mean) / np.asarray(a_mean)
    return long_frame(
        name,
        periods.starts(),
        {
            "ProvisionedConcurrentExecutions": b_max,
            "ProvisionedConcurrencyUtilization": util,
            "ProvisionedConcurrencyInvocations": pm.ts_invocations,
            "ProvisionedConcurrencySpilloverInvocations": pm.ts_spillover,
            "ProvisionedConcurrencyAllocated": a_mean,
            "ProvisionedConcurrencyTarget": t_max,
        },
    )


def queue_series(qm: QueueMetrics, periods: Periods) -> pd.DataFrame:
    """Per-period series of an SQS queue, CloudWatch AWS/SQS names."""
    v_mean, v_max = period_stats(qm.visible, periods)
    _, nv_max = period_stats(qm.not_visible, periods)
    return long_frame(
        f"queue:{qm.name}",
        periods.starts(),
        {
            "NumberOfMessagesSent": qm.ts_sent,
            "NumberOfMessagesReceived": qm.ts_received,
            "NumberOfMessagesDeleted": qm.ts_deleted,
            "NumberOfEmptyReceives": qm.ts_empty,
            "ApproximateNumberOfMessagesVisible": v_max,
            "ApproximateNumberOfMessagesVisibleMean": v_mean,
            "ApproximateNumberOfMessagesNotVisible": nv_max,
            "ApproximateAgeOfOldestMessage": qm.ts_age_max,
        },
    )


def topic_series(tm: TopicMetrics, periods: Periods) -> pd.DataFrame:
    """NumberOfMessagesPublished of an SNS topic."""
    return long_frame(
        f"queue:{tm.name}", periods.starts(), {"NumberOfMessagesPublished": tm.ts_sent}
    )


def mapping_series(em: EsmMetrics, periods: Periods) -> pd.DataFrame:
    """Per-period concurrency and pollers of an SQS event source mapping (under its function)."""
    c_mean, c_max = period_stats(em.concurrency, periods)
    p_mean, p_max = period_stats(em.pollers, periods)
    return long_frame(
        em.function,
        periods.starts(),
        {
            "EventSourceMappingConcurrency": c_max,
            "EventSourceMappingConcurrencyMean": c_mean,
            "Pollers": p_max,
            "PollersMean": p_mean,
        },
    )


def stream_series(sm: StreamMetrics, periods: Periods) -> pd.DataFrame:
    """IteratorAge (max) and the mapping's concurrency under the function; records per stream;
    backlog per shard."""
    times = periods.starts()
    c_mean, c_max = period_stats(sm.concurrency, periods)
    frames = [
        long_frame(
            sm.function,
            times,
            {
                "IteratorAge": sm.ts_iterator_age,
                "StreamConcurrency": c_max,
                "StreamConcurrencyMean": c_mean,
            },
        ),
        long_frame(f"stream:{sm.name}", times, {"IncomingRecords": sm.ts_records}),
    ]
    for i, lv in enumerate(sm.backlog):
        b_mean, b_max = period_stats(lv, periods)
        frames.append(
            long_frame(
                f"stream:{sm.name}/shard-{i}",
                times,
                {"ShardBacklog": b_max, "ShardBacklogMean": b_mean},
            )
        )
    out: pd.DataFrame = pd.concat(frames, ignore_index=True)
    return out
