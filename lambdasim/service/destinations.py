"""Where event records go: queues and topics (counted), or functions (invoked asynchronously).

aws-lambda-behaviour.md §6: destinations and DLQs take SQS standard queues, SNS standard topics
and Lambda functions; a FIFO queue cannot receive them, so delivery to one fails
(DestinationDeliveryFailures / DeadLetterErrors).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from lambdasim.config import DeadLetter, Destination

if TYPE_CHECKING:
    from lambdasim.service.async_invoke import AsyncDispatcher

__all__ = ["Destinations", "QueueSink"]


class QueueSink:
    """A named queue or topic that receives records (messages)."""

    def __init__(self, name: str, kind: str, warmup_s: float, horizon_s: float, step_s: float):
        self.name = name
        self.kind = kind
        self.warmup = warmup_s
        self.received = 0
        self.inv_step = 1.0 / step_s
        self.ts_received = [0] * max(1, math.ceil(horizon_s / step_s - 1e-9))

    def receive(self, now: float) -> bool:
        """Accept one message at ``now``; False when this kind cannot take destination records."""
        if self.kind == "fifo":
            return False
        b = min(int(now * self.inv_step), len(self.ts_received) - 1)
        self.ts_received[b] += 1
        if now >= self.warmup:
            self.received += 1
        return True


class Destinations:
    """Delivers records to queues and to the async queues of functions."""

    def __init__(self, queues: dict[str, QueueSink]) -> None:
        self.queues = queues
        self.dispatchers: dict[str, AsyncDispatcher] = {}

    def deliver(self, dest: Destination | DeadLetter, now: float) -> bool:
        """Hand one record to ``dest`` at ``now``; True if it was accepted."""
        if dest.queue is not None:
            return self.queues[dest.queue].receive(now)
        fn = getattr(dest, "function", None)
        assert fn is not None
        self.dispatchers[fn].accept(now, source="lambda")
        return True
