"""Streaming metrics of SQS queues and of SQS event source mappings.

Names follow CloudWatch's ``AWS/SQS`` namespace (aws-lambda-behaviour.md §11): NumberOfMessagesSent,
NumberOfMessagesReceived, NumberOfMessagesDeleted, NumberOfEmptyReceives,
ApproximateNumberOfMessagesVisible / NotVisible, ApproximateAgeOfOldestMessage. Messages sent
before ``warmup_s`` are simulated but not counted.
"""

from __future__ import annotations

from lambdasim.metrics.core import Level, LogHistogram
from lambdasim.periods import Periods

__all__ = ["EsmMetrics", "QueueMetrics"]


class QueueMetrics:
    """Counters, levels and series of one queue."""

    def __init__(self, name: str, kind: str, periods: Periods) -> None:
        self.name = name
        self.kind = kind
        self.fifo = kind == "fifo"
        self.periods = periods
        self.warmup = periods.warmup
        n = periods.n
        edges = periods.edges
        # messages sent after warm-up, by fate
        self.sent = 0
        self.deleted = 0
        self.to_dlq = 0
        #: of ``to_dlq``: messages redriven without ever being part of an admitted invoke
        #: (typically every invoke of their batches was throttled): they never ran
        self.to_dlq_unprocessed = 0
        self.expired = 0
        self.reprocessed = 0  # received again while a slow batch still held it
        # API calls (every one is a request; sends and receives count 64-KB chunks, §10.5)
        self.received = 0  # messages delivered by ReceiveMessage (re-receives included)
        self.empty_receives = 0
        self.requests = 0
        self.latency = LogHistogram()  # send -> delete, s
        self.latency_max = 0.0
        self.age_of_oldest_max = 0.0
        self.visible = Level(edges)
        self.not_visible = Level(edges)
        self.ts_sent = [0] * n
        self.ts_received = [0] * n
        self.ts_deleted = [0] * n
        self.ts_empty = [0] * n
        self.ts_age_max = [0.0] * n
        #: Messages sent after warm-up still visible at the horizon (written at close).
        self.in_queue_end = 0

    def on_sent(self, now: float, chunks: int, counted: bool) -> None:
        """A message was sent (SendMessage; ``chunks`` 64-KB request units)."""
        self.ts_sent[self.periods.bin(now)] += 1
        if now >= self.warmup:
            self.requests += chunks
        if counted:
            self.sent += 1

    def on_received(self, now: float, messages: int, calls: int) -> None:
        """``messages`` were received in ``calls`` ReceiveMessage calls."""
        self.ts_received[self.periods.bin(now)] += messages
        if now >= self.warmup:
            self.received += messages
            self.requests += calls

    def on_deleted(self, now: float, sent: float, counted: bool) -> None:
        """A message sent at ``sent`` was deleted at ``now``."""
        self.ts_deleted[self.periods.bin(now)] += 1
        if counted:
            self.deleted += 1
            lat = now - sent
            self.latency.add(lat)
            if lat > self.latency_max:
                self.latency_max = lat

    def on_delete_calls(self, now: float, calls: int) -> None:
        """DeleteMessageBatch calls (10 messages each)."""
        if now >= self.warmup:
            self.requests += calls

    def on_empty_receives(self, now: float, n: int) -> None:
        """``n`` long polls returned nothing."""
        self.ts_empty[self.periods.bin(now)] += n
        if now >= self.warmup:
            self.empty_receives += n
            self.requests += n

    def on_oldest(self, now: float, age: float) -> None:
        """Sampled ApproximateAgeOfOldestMessage."""
        b = self.periods.bin(now)
        if age > self.ts_age_max[b]:
            self.ts_age_max[b] = age
        if now >= self.warmup and age > self.age_of_oldest_max:
            self.age_of_oldest_max = age


class EsmMetrics:
    """One SQS event source mapping: batches, concurrency and pollers."""

    def __init__(self, function: str, queue: str, mode: str, periods: Periods) -> None:
        self.function = function
        self.queue = queue
        self.mode = mode  # "on_demand" or "provisioned"
        self.poller_seconds = 0.0  # provisioned pollers × seconds after warm-up (EPU billing)
        self.periods = periods
        self.warmup = periods.warmup
        edges = periods.edges
        self.batches = 0
        self.items = 0
        self.throttled_batches = 0
        self.failed_batches = 0
        self.item_failures = 0
        self.concurrency = Level(edges)  # the mapping's invokes running (admitted to end)
        self.pollers = Level(edges)  # the mapping's concurrency target (on-demand) or pollers

    def on_batch(self, now: float, items: int) -> None:
        """A batch of ``items`` messages opened at ``now`` is invoked for the first time
        (counted by its opening, as its throttles and failures are)."""
        if now >= self.warmup:
            self.batches += 1
            self.items += items
