"""Named queues and topics (SQS / SNS) that receive dead letters and destination records."""

from __future__ import annotations

from typing import Literal

from lambdasim.config.base import _Model

__all__ = ["Queue"]


class Queue(_Model):
    """An SQS queue (``standard`` or ``fifo``) or an SNS standard topic (``topic``).

    Async destinations and DLQs accept only standard queues and topics; a FIFO queue there
    fails delivery (DestinationDeliveryFailures / DeadLetterErrors, aws-lambda-behaviour.md §6).
    """

    kind: Literal["standard", "fifo", "topic"] = "standard"
