"""Values that cross module lines: outcome kinds and the outcome sink protocol.

Service code (``lambdasim.service``) never imports the metrics module. It reports every finished
request to an :class:`OutcomeSink` with positional arguments instead of allocating one record
object per invocation: at a million invocations a second-scale simulation the allocation alone
would cost more than the rest of the bookkeeping (architecture.md, "The hot path").
"""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol

__all__ = ["Outcome", "OutcomeSink", "ThrottleReason"]


class Outcome(IntEnum):
    """How one request ended. Every arrival ends in exactly one of these (or is in flight)."""

    SUCCEEDED = 0
    ERROR = 1  #: function error (the handler raised)
    TIMEOUT = 2  #: handler ran past ``timeout_s`` (a function error to AWS, counted apart here)
    THROTTLED = 3  #: 429, after any client retries


class ThrottleReason(IntEnum):
    """Why an invoke was rejected; names follow the ``Reason`` field of AWS's 429 response."""

    #: Account (unreserved) concurrency exhausted: ConcurrentInvocationLimitExceeded.
    ACCOUNT_CONCURRENCY = 0
    #: Function at its reserved concurrency: ReservedFunctionConcurrentInvocationLimitExceeded.
    RESERVED_CONCURRENCY = 1
    #: No scaling allowance for a new environment (1,000 per 10 s per function, since Nov 2023).
    SCALING_RATE = 2


class OutcomeSink(Protocol):
    """Receiver of request-level events, implemented by :mod:`lambdasim.metrics.core`."""

    def started(self, now: float, cold: bool, init_s: float) -> None:
        """An attempt was admitted at ``now`` on a cold (``init_s`` > 0 INIT) or warm env."""

    def throttled(self, now: float, reason: int) -> None:
        """One invoke attempt was rejected with a 429 at ``now``."""

    def finished(
        self,
        now: float,
        arrival: float,
        outcome: int,
        duration_s: float,
        billed_ms: int,
        init_billed_delta_ms: int,
    ) -> None:
        """A request ended at ``now`` (arrived at ``arrival``) with ``outcome``."""
