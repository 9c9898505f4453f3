"""Streaming metrics of asynchronous invocation: one function's internal queue and its events.

CloudWatch names (aws-lambda-behaviour.md §6, §11): AsyncEventsReceived, AsyncEventAge,
AsyncEventsDropped, DeadLetterErrors, DestinationDeliveryFailures.
"""

from __future__ import annotations

from lambdasim.metrics.core import Level, LogHistogram
from lambdasim.periods import Periods

__all__ = ["FAILURE_REASONS", "AsyncMetrics"]


#: Why an asynchronous event failed (the ``condition`` of AWS's destination record, §6).
FAILURE_REASONS = (
    "RetriesExhausted",
    "EventAgeExceeded",
    "ReservedConcurrencyZero",
    "RecursiveInvocationDetected",  # recursive loop detection stopped its chain (Lambda guide)
)


class AsyncMetrics:
    """Asynchronous invocation of one function: the internal queue and its outcomes.

    Events accepted before ``warmup_s`` are simulated but not counted. Per-period series use
    CloudWatch's names (AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped,
    DeadLetterErrors, DestinationDeliveryFailures; aws-lambda-behaviour.md §6, §11).
    """

    def __init__(self, name: str, periods: Periods) -> None:
        self.name = name
        self.periods = periods
        self.warmup = periods.warmup
        n = periods.n
        self.received = 0
        self.duplicates = 0
        self.attempts = 0
        self.retries = 0
        self.succeeded = 0
        self.to_dlq = 0
        self.to_on_failure = 0
        self.dropped = 0
        self.reasons = dict.fromkeys(FAILURE_REASONS, 0)
        self.dead_letter_errors = 0
        self.destination_delivery_failures = 0
        self.sources: dict[str, int] = {}
        self.age = LogHistogram()
        self.age_max = 0.0
        self.latency = LogHistogram()
        self.depth = Level(periods.edges)  # events waiting in the internal queue (ready or delayed)
        #: Events accepted after warm-up still waiting at the horizon (written at close).
        self.in_queue_end = 0
        self.ts_received = [0] * n
        self.ts_dropped = [0] * n
        self.ts_age_sum = [0.0] * n
        self.ts_age_n = [0] * n
        self.ts_dlq_errors = [0] * n
        self.ts_destination_failures = [0] * n

    def accepted(self, now: float, source: str, duplicate: bool) -> None:
        """An event entered the internal queue (AsyncEventsReceived)."""
        self.ts_received[self.periods.bin(now)] += 1
        if now < self.warmup:
            return
        if duplicate:
            self.duplicates += 1
        else:
            self.received += 1
            self.sources[source] = self.sources.get(source, 0) + 1

    def invoked(self, now: float, accepted: float, retry: bool) -> None:
        """An attempt was admitted ``now - accepted`` after acceptance (AsyncEventAge)."""
        age = now - accepted
        b = self.periods.bin(now)
        self.ts_age_sum[b] += age
        self.ts_age_n[b] += 1
        if accepted < self.warmup:
            return
        self.attempts += 1
        if retry:
            self.retries += 1
        self.age.add(age)
        if age > self.age_max:
            self.age_max = age

    def succeeded_at(self, now: float, accepted: float) -> None:
        """The event's invoke succeeded at ``now``."""
        if accepted < self.warmup:
            return
        self.succeeded += 1
        self.latency.add(now - accepted)

    def failed(self, now: float, accepted: float, reason: str, where: str, delivered: bool) -> None:
        """The event failed for ``reason``; ``where`` is ``on_failure``, ``dlq`` or ``none``."""
        b = self.periods.bin(now)
        self.ts_dropped[b] += 1  # AsyncEventsDropped counts every event that never succeeded
        if not delivered and where == "dlq":
            self.ts_dlq_errors[b] += 1
        if not delivered and where == "on_failure":
            self.ts_destination_failures[b] += 1
        if accepted < self.warmup:
            return
        self.reasons[reason] += 1
        if where == "on_failure" and delivered:
            self.to_on_failure += 1
        elif where == "dlq" and delivered:
            self.to_dlq += 1
        else:
            self.dropped += 1
        if not delivered and where == "dlq":
            self.dead_letter_errors += 1
        if not delivered and where == "on_failure":
            self.destination_delivery_failures += 1

    def success_delivery_failed(self, now: float) -> None:
        """An on-success record could not be delivered (DestinationDeliveryFailures)."""
        self.ts_destination_failures[self.periods.bin(now)] += 1
        if now >= self.warmup:
            self.destination_delivery_failures += 1
