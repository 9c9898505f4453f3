"""Streaming collectors of a run: what every part of the simulated system did.

Each collector keeps counters, log-bucket histograms, time-weighted levels and fixed-period
series only, so memory does not grow with the number of invocations. The service layer reports
to them through the protocols of :mod:`lambdasim.records`; :mod:`lambdasim.simulation` builds
them, writes the engine's end-of-run state into them, and hands a :class:`RunMetrics` to
:mod:`lambdasim.results`, which reads nothing else.

Modules: :mod:`.core` (LogHistogram, Level, window and period statistics), :mod:`.function`,
:mod:`.async_`, :mod:`.sqs` (queues and event source mappings), :mod:`.streams`,
:mod:`.provisioned`, :mod:`.topics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lambdasim.metrics.async_ import FAILURE_REASONS, AsyncMetrics
from lambdasim.metrics.core import Level, LogHistogram, period_stats, window_stats
from lambdasim.metrics.function import FunctionMetrics
from lambdasim.metrics.provisioned import ProvisionedMetrics
from lambdasim.metrics.sqs import EsmMetrics, QueueMetrics
from lambdasim.metrics.streams import StreamMetrics
from lambdasim.metrics.topics import TopicMetrics
from lambdasim.periods import Periods

__all__ = [
    "FAILURE_REASONS",
    "AsyncMetrics",
    "EsmMetrics",
    "FunctionMetrics",
    "Level",
    "LogHistogram",
    "ProvisionedMetrics",
    "QueueMetrics",
    "RunMetrics",
    "StreamMetrics",
    "TopicMetrics",
    "period_stats",
    "window_stats",
]


@dataclass
class RunMetrics:
    """Every collector of one run, closed at the horizon, keyed by name in config order.

    Attributes
    ----------
    periods : Periods
        The run's period grid.
    functions : dict of str to FunctionMetrics
    account : Level or None
        Account-wide concurrency (None with a single function: its own level is the account's).
    async_ : dict of str to AsyncMetrics
        Functions with an internal (async) queue.
    queues : dict of str to QueueMetrics
        SQS queues.
    topics : dict of str to TopicMetrics
        SNS topics.
    mappings : dict of str to EsmMetrics
        SQS event source mappings, keyed by function.
    streams : dict of str to StreamMetrics
        Kinesis / DynamoDB streams, keyed by stream.
    provisioned : dict of str to ProvisionedMetrics
        Functions with provisioned concurrency.
    """

    periods: Periods
    functions: dict[str, FunctionMetrics]
    account: Level | None = None
    async_: dict[str, AsyncMetrics] = field(default_factory=dict)
    queues: dict[str, QueueMetrics] = field(default_factory=dict)
    topics: dict[str, TopicMetrics] = field(default_factory=dict)
    mappings: dict[str, EsmMetrics] = field(default_factory=dict)
    streams: dict[str, StreamMetrics] = field(default_factory=dict)
    provisioned: dict[str, ProvisionedMetrics] = field(default_factory=dict)
