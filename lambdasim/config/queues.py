"""Named queues and topics: SQS queues (standard / FIFO) and SNS topics.

SQS settings follow the SQS Developer Guide as summarised in aws-lambda-behaviour.md §7.6:
visibility timeout default 30 s (0 s–12 h), retention default 4 days (60 s–14 days), redrive to
a dead-letter queue after ``max_receive_count`` receives (1–1,000).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from lambdasim.config.base import NUMBER, _Model

__all__ = ["Queue"]


class Queue(_Model):
    """An SQS queue (``standard`` or ``fifo``) or an SNS standard topic (``topic``).

    Async destinations and DLQs accept only standard queues and topics; a FIFO queue there
    fails delivery (DestinationDeliveryFailures / DeadLetterErrors, aws-lambda-behaviour.md §6).
    """

    kind: Literal["standard", "fifo", "topic"] = "standard"
    #: VisibilityTimeout: 30 s default, 0 s–12 h (§7.6).
    visibility_timeout_s: Annotated[float, Field(ge=0, le=43200, allow_inf_nan=False), NUMBER] = (
        30.0
    )
    #: MessageRetentionPeriod: 4 days default, 60 s–14 days (§7.6).
    retention_s: Annotated[float, Field(ge=60, le=1_209_600, allow_inf_nan=False), NUMBER] = (
        345_600.0
    )
    #: RedrivePolicy.maxReceiveCount: 1–1,000; AWS advises ≥ 5 with Lambda (§7.3).
    max_receive_count: Annotated[StrictInt, Field(ge=1, le=1000)] | None = None
    #: RedrivePolicy.deadLetterTargetArn: the queue that takes messages received too often.
    redrive_to: str | None = None

    @model_validator(mode="after")
    def _redrive_pair(self) -> Queue:
        if (self.max_receive_count is None) != (self.redrive_to is None):
            raise ValueError("give both max_receive_count and redrive_to, or neither")
        return self
