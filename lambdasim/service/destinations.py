"""Where event records go: queues and topics (counted), or functions (invoked asynchronously).

aws-lambda-behaviour.md §6: destinations and DLQs take SQS standard queues, SNS standard topics
and Lambda functions; a FIFO queue cannot receive them, so delivery to one fails
(DestinationDeliveryFailures / DeadLetterErrors).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

from lambdasim.config import DeadLetter, Destination

if TYPE_CHECKING:
    from lambdasim.service.async_invoke import AsyncDispatcher

__all__ = ["Destinations", "RecordSink", "TopicSink"]


class RecordSink(Protocol):
    """A queue or topic that can take destination / dead-letter records."""

    def accept_record(self, now: float) -> bool:
        """Take one record at ``now``; False when this kind cannot (FIFO queues)."""


class TopicSink:
    """An SNS standard topic: counts the records published to it."""

    kind = "topic"

    def __init__(self, name: str, warmup_s: float, horizon_s: float, step_s: float):
        self.name = name
        self.warmup = warmup_s
        self.sent = 0
        self.inv_step = 1.0 / step_s
        self.ts_sent = [0] * max(1, math.ceil(horizon_s / step_s - 1e-9))

    def accept_record(self, now: float) -> bool:
        """Publish one record at ``now``."""
        b = min(int(now * self.inv_step), len(self.ts_sent) - 1)
        self.ts_sent[b] += 1
        if now >= self.warmup:
            self.sent += 1
        return True


class Destinations:
    """Delivers records to queues and topics and to the async queues of functions."""

    def __init__(self, queues: Mapping[str, RecordSink]) -> None:
        self.queues = queues
        self.dispatchers: dict[str, AsyncDispatcher] = {}

    def deliver(self, dest: Destination | DeadLetter, now: float) -> bool:
        """Hand one record to ``dest`` at ``now``; True if it was accepted."""
        if dest.queue is not None:
            return self.queues[dest.queue].accept_record(now)
        fn = getattr(dest, "function", None)
        assert fn is not None
        self.dispatchers[fn].accept(now, source="lambda")
        return True
