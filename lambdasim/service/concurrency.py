"""Concurrency limits: the account pool, reserved concurrency, the scaling rate and the
requests-per-second quota.

aws-lambda-behaviour.md §4. Concurrency is the number of busy execution environments (INIT
included). A function with reserved concurrency (RC) may never exceed it and has it to itself;
functions without RC share ``account concurrency − Σ RC`` (UnreservedConcurrentExecutions).
Slots are plain integer counters: no ``simpy.Resource`` (architecture.md, "The hot path").
"""

from __future__ import annotations

import math
import sys

from lambdasim.clock import Clock, Wakeup

__all__ = ["AccountPool", "RequestRate", "ScalingBucket"]

#: SimPy's priority for events that run before every ordinary event of the same instant
#: (``simpy.events.URGENT``): a window that ends at t must be closed before a request at t.
_URGENT = 0


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


class RequestRate:
    """The account's synchronous requests-per-second quota, shared by all its functions.

    "Across all functions in your account, Lambda enforces a requests per second limit that's
    equal to 10 times your account concurrency" (Lambda guide, "lambda-concurrency",
    "Understanding concurrency and requests per second"; the quotas page,
    "gettingstarted-limits", applies it to synchronous invocations, asynchronous ones are
    "based only on concurrency"). AWS does not say how the second is measured; here it is a
    fixed window of one simulated second, ``[k, k + 1)``: at most ``limit`` requests pass in
    each, the others get a 429. Requests throttled by this quota do not count against it.

    The sync drivers read :attr:`left` inline, so an arrival costs one integer compare and a
    decrement: ``left`` is what the current window has left, 0 when it is used up *or* when no
    window is open, which sends the next arrival to :meth:`admit`. A window is opened by its
    first arrival and closed by one wake-up at its end (before any request of that instant),
    so idle seconds cost nothing.

    Parameters
    ----------
    sim : Clock
        The simulation clock.
    limit : int or None
        Requests per second (≥ 1), or None for no quota.
    """

    __slots__ = ("left", "limit", "open", "wake")

    def __init__(self, sim: Clock, limit: int | None) -> None:
        self.limit = limit
        #: Requests the open window still admits (never reaches 0 without a limit).
        self.left = sys.maxsize if limit is None else 0
        #: A window is open (its closing wake-up is scheduled).
        self.open = False
        self.wake = Wakeup(sim, self._close, priority=_URGENT)

    def admit(self, now: float) -> bool:
        """A request at ``now`` found :attr:`left` at 0: True if it opens a window and passes."""
        if self.open or self.limit is None:
            return False  # this second's quota is used up
        self.open = True
        self.left = self.limit - 1
        self.wake.at(math.floor(now) + 1.0)
        return True

    def _close(self, w: Wakeup) -> None:
        self.open = False
        self.left = 0
