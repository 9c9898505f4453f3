"""Concurrency limits: the account pool, reserved concurrency and the scaling rate.

aws-lambda-behaviour.md §4. Concurrency is the number of busy execution environments (INIT
included). A function with reserved concurrency (RC) may never exceed it and has it to itself;
functions without RC share ``account concurrency − Σ RC`` (UnreservedConcurrentExecutions).
Slots are plain integer counters: no ``simpy.Resource`` (architecture.md, "The hot path").
"""

from __future__ import annotations

__all__ = ["AccountPool", "ScalingBucket"]


class AccountPool:
    """The regional pool shared by functions without reserved concurrency.

    Parameters
    ----------
    concurrency : int
        Regional ConcurrentExecutions quota.
    reserved_total : int
        Σ reserved concurrency of all functions (taken out of the shared pool, §4.4).
    """

    __slots__ = ("busy", "capacity", "concurrency")

    def __init__(self, concurrency: int, reserved_total: int) -> None:
        self.concurrency = concurrency
        #: Unreserved concurrency available to functions without RC.
        self.capacity = concurrency - reserved_total
        #: Busy environments of functions without RC.
        self.busy = 0


class ScalingBucket:
    """Per-function scaling allowance as a token bucket (aws-lambda-behaviour.md §4.2).

    Up to ``capacity`` new execution environments at once, refilled continuously at
    ``refill_per_s``; unused allowance does not accrue beyond ``capacity``. Since Nov 2023 AWS
    documents 1,000 environments every 10 s per function: capacity 1,000, refill 100/s.

    Parameters
    ----------
    capacity : float
        Bucket size (environments).
    refill_per_s : float
        Environments added per second.
    """

    __slots__ = ("capacity", "last", "refill", "tokens")

    def __init__(self, capacity: float, refill_per_s: float) -> None:
        self.capacity = capacity
        self.refill = refill_per_s
        self.tokens = capacity
        self.last = 0.0

    def take(self, now: float) -> bool:
        """Consume one environment's allowance at ``now``; False if none is left."""
        tokens = self.tokens + (now - self.last) * self.refill
        if tokens > self.capacity:
            tokens = self.capacity
        self.last = now
        # float noise must not lose an environment: 60 s x 500/60 per s is 500 allowances
        if tokens >= 1.0 - 1e-9:
            self.tokens = tokens - 1.0
            return True
        self.tokens = tokens
        return False


class Unlimited:
    """Scaling mode ``none``: every new environment is allowed."""

    __slots__ = ()

    def take(self, now: float) -> bool:
        """Always True."""
        return True
