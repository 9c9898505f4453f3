"""Asynchronous invocation settings: EventInvokeConfig, DeadLetterConfig and destinations.

aws-lambda-behaviour.md §5 and §6. A function's ``async`` block applies to every event invoked
asynchronously (``invocation: async`` workloads and function destinations); a function without
the block uses AWS's defaults.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, model_validator

from lambdasim.config.base import NUMBER, Fraction, NonNegFloat, PosFloat, _Model

__all__ = ["AsyncConfig", "DeadLetter", "Destination", "ThrottleBackoff"]


class Destination(_Model):
    """Where an event record goes: a queue (SQS queue / SNS topic) or a function.

    A function destination invokes that function asynchronously (AWS "Lambda function"
    destination), which chains functions into pipelines.
    """

    queue: str | None = None
    function: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Destination:
        if (self.queue is None) == (self.function is None):
            raise ValueError("give exactly one of queue or function")
        return self

    @property
    def label(self) -> str:
        """``queue:NAME`` or ``function:NAME``."""
        return f"queue:{self.queue}" if self.queue is not None else f"function:{self.function}"


class DeadLetter(_Model):
    """DeadLetterConfig: an SQS queue or SNS topic (§6)."""

    queue: str


class ThrottleBackoff(_Model):
    """Backoff of events returned to the internal queue after a throttle (429) or a 5xx.

    AWS: retried "with exponential back-off from 1 s to a maximum of 5 min" until the maximum
    event age (aws-lambda-behaviour.md §5). With ``jitter`` each delay is drawn uniformly
    between half and all of the nominal delay.
    """

    base_s: PosFloat = 1.0
    cap_s: PosFloat = 300.0
    jitter: StrictBool = True


class AsyncConfig(_Model):
    """EventInvokeConfig + DeadLetterConfig of one function (aws-lambda-behaviour.md §6)."""

    #: MaximumRetryAttempts for function errors and timeouts: 0–2, default 2 (§6).
    max_retry_attempts: Annotated[StrictInt, Field(ge=0, le=2)] = 2
    #: MaximumEventAgeInSeconds: 60–21,600 s, default 6 h (§6).
    max_event_age_s: Annotated[float, Field(ge=60, le=21600, allow_inf_nan=False), NUMBER] = 21600.0
    #: Delay before the 2nd and the 3rd attempt: AWS documents about 1 and 2 minutes (§6).
    retry_delays_s: Annotated[tuple[NonNegFloat, ...], Field(min_length=1)] = (60.0, 120.0)
    #: Uniform jitter added to each error-retry delay, seconds (0 = the exact delays).
    retry_jitter_s: NonNegFloat = 0.0
    throttle_backoff: ThrottleBackoff = ThrottleBackoff()
    dead_letter: DeadLetter | None = None
    on_failure: Destination | None = None
    on_success: Destination | None = None
    #: At-least-once delivery: probability that an accepted event is delivered twice (§6).
    duplicate_probability: Fraction = 0.0

    @model_validator(mode="after")
    def _enough_delays(self) -> AsyncConfig:
        if len(self.retry_delays_s) < self.max_retry_attempts:
            raise ValueError(
                f"retry_delays_s needs one delay per retry: {self.max_retry_attempts} retries, "
                f"{len(self.retry_delays_s)} delay(s)"
            )
        return self

    def retry_delay(self, retry: int) -> float:
        """Nominal delay before error retry number ``retry`` (1-based), seconds."""
        return self.retry_delays_s[retry - 1]
