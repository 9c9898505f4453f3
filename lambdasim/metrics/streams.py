"""Streaming metrics of a Kinesis or DynamoDB stream and its event source mapping (§8, §11).

IteratorAge, per-shard backlog, the mapping's concurrency, and record counters by fate
(records put after warm-up): records = processed + to_on_failure + expired + remaining.
"""

from __future__ import annotations

from lambdasim.metrics.core import Level, LogHistogram
from lambdasim.periods import Periods

__all__ = ["StreamMetrics"]


class StreamMetrics:
    """Counters, iterator age and per-shard backlog of one stream (records put after warm-up)."""

    def __init__(self, name: str, kind: str, shards: int, function: str, periods: Periods) -> None:
        self.name = name
        self.kind = kind  # "kinesis" or "dynamodb"
        self.shards = shards
        self.function = function  # the consuming function
        self.periods = periods
        self.warmup = periods.warmup
        n = periods.n
        edges = periods.edges
        self.records = 0
        self.processed = 0
        self.to_on_failure = 0
        self.age_exceeded = 0
        self.expired = 0
        self.batches = 0
        self.retries = 0
        self.bisections = 0
        self.throttled_batches = 0
        self.out_of_order = 0
        self.iterator_age = LogHistogram()
        self.iterator_age_max = 0.0
        self.ts_iterator_age = [0.0] * n
        self.ts_records = [0] * n
        self.backlog = [Level(edges) for _ in range(shards)]
        self.concurrency = Level(edges)
        #: Records put after warm-up not yet processed, failed or expired (written at close).
        self.remaining = 0

    def on_put(self, now: float) -> None:
        """A record was put at ``now`` (IncomingRecords)."""
        self.ts_records[self.periods.bin(now)] += 1
        if now >= self.warmup:
            self.records += 1

    def age(self, now: float, age: float, counted: bool) -> None:
        """IteratorAge of a batch sent at ``now``."""
        b = self.periods.bin(now)
        if age > self.ts_iterator_age[b]:
            self.ts_iterator_age[b] = age
        if counted:
            self.iterator_age.add(age)
            if age > self.iterator_age_max:
                self.iterator_age_max = age
