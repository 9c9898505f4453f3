"""Where event records go: queues and topics (counted), or functions (invoked asynchronously).

aws-lambda-behaviour.md §6: destinations and DLQs take SQS standard queues, SNS standard topics
and Lambda functions; a FIFO queue cannot receive them, so delivery to one fails
(DestinationDeliveryFailures / DeadLetterErrors).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from lambdasim.config import DeadLetter, Destination
from lambdasim.records import TopicSink
from lambdasim.service.async_invoke import AsyncDispatcher

__all__ = ["Destinations", "RecordSink", "SnsTopic"]


class RecordSink(Protocol):
    """A queue or topic that can take destination / dead-letter records."""

    def accept_record(self, now: float) -> bool:
        """Take one record at ``now``; False when this kind cannot (FIFO queues)."""


class SnsTopic:
    """An SNS standard topic: it takes every record (nobody subscribes in the model).

    Parameters
    ----------
    name : str
        Topic name.
    metrics : TopicSink
        Counts what is published.
    """

    kind = "topic"

    def __init__(self, name: str, metrics: TopicSink) -> None:
        self.name = name
        self.metrics = metrics

    def accept_record(self, now: float) -> bool:
        """Publish one record at ``now``."""
        self.metrics.on_published(now)
        return True


class Destinations:
    """Delivers records to queues and topics and to the async queues of functions."""

    def __init__(self, queues: Mapping[str, RecordSink]) -> None:
        self.queues = queues
        self.dispatchers: dict[str, AsyncDispatcher] = {}

    def deliver(self, dest: Destination | DeadLetter, now: float, hop: int = 1) -> bool:
        """Hand one record to ``dest`` at ``now``; True if it was accepted.

        ``hop`` is the chain position of the invocation whose record this is; a function
        destination starts its event one hop further, so that recursive loop detection can stop
        the chain (:data:`~lambdasim.service.async_invoke.MAX_RECURSIVE_INVOCATIONS`). The
        record is delivered either way: a stopped event fails on the receiving function.
        """
        if dest.queue is not None:
            return self.queues[dest.queue].accept_record(now)
        fn = getattr(dest, "function", None)
        assert fn is not None
        self.dispatchers[fn].accept(now, source="lambda", hop=hop + 1)
        return True
