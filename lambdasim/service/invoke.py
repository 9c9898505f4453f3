"""The one invoke path every trigger shares (architecture.md, "Data flows one way").

Admission of one invoke attempt (aws-lambda-behaviour.md §4 "Model implications"):

1. concurrency: below the function's reserved concurrency, or, without RC, below the account's
   unreserved pool — otherwise 429 (Reserved…/ConcurrentInvocationLimitExceeded);
2. an idle warm environment of the function (most recently used first), or else
3. a new environment if the per-function scaling allowance has a token — otherwise 429.

An admitted invoke schedules exactly one SimPy timeout for its completion, whose callback is a
function bound once per environment: no process, no ``Resource`` request, no per-invocation
closure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from lambdasim.records import Outcome, ThrottleReason
from lambdasim.service.concurrency import AccountPool, ScalingBucket, Unlimited
from lambdasim.service.environments import EnvironmentPool, ExecutionEnvironment
from lambdasim.service.execution import Execution

__all__ = ["ADMITTED", "FunctionService"]

#: Return value of :meth:`FunctionService.invoke` for an admitted attempt.
ADMITTED = -1

_RESERVED = int(ThrottleReason.RESERVED_CONCURRENCY)
_ACCOUNT = int(ThrottleReason.ACCOUNT_CONCURRENCY)
_SCALING = int(ThrottleReason.SCALING_RATE)

#: ``caller(outcome, arrival, end)`` is told how an admitted invoke ended (async/SQS triggers).
Caller = Callable[[int, float, float], None]


class FunctionService:
    """One function's concurrency, environments and invokes.

    Parameters
    ----------
    sim : simpy.Environment
        The simulation clock.
    name : str
        Function name.
    reserved : int or None
        Reserved concurrency.
    account : AccountPool
        The regional pool.
    bucket : ScalingBucket or Unlimited
        Scaling allowance for new environments.
    pool : EnvironmentPool
        The function's environments.
    execution : Execution
        Duration, INIT, timeout and error rules.
    metrics : OutcomeSink-like
        Receives throttles and finished invokes; has ``concurrency`` and ``environments`` levels.
    account_level : object or None
        Account-wide concurrency level (None when the function's own level is the account's).
    """

    def __init__(
        self,
        sim: simpy.Environment,
        name: str,
        reserved: int | None,
        account: AccountPool,
        bucket: ScalingBucket | Unlimited,
        pool: EnvironmentPool,
        execution: Execution,
        metrics: Any,
        account_level: Any = None,
    ) -> None:
        self.sim = sim
        self.name = name
        self.reserved = reserved
        self.account = account
        self.bucket = bucket
        self.pool = pool
        self.execution = execution
        self.metrics = metrics
        self.level = metrics.concurrency
        self.account_level = account_level
        self.busy = 0
        self.tracer: Any = None

    def invoke(self, arrival: float, caller: Caller | None = None) -> int:
        """Try to start one invoke now for a request that arrived at ``arrival``.

        Returns
        -------
        int
            :data:`ADMITTED`, or the :class:`~lambdasim.records.ThrottleReason` of the 429.
        """
        sim = self.sim
        now = sim._now
        rc = self.reserved
        account = self.account
        if rc is not None:
            if self.busy >= rc:
                self.metrics.throttled(now, _RESERVED)
                return _RESERVED
        elif account.busy >= account.capacity:
            self.metrics.throttled(now, _ACCOUNT)
            return _ACCOUNT
        pool = self.pool
        e = pool.acquire(now)
        if e is None:
            if not self.bucket.take(now):
                self.metrics.throttled(now, _SCALING)
                return _SCALING
            e = pool.create(now)
            e.on_done = self._make_done(e)
            cold = True
        else:
            cold = False
        self.busy += 1
        if rc is None:
            account.busy += 1
        self.level.up(now)
        if self.account_level is not None:
            self.account_level.up(now)
        init_s, invoke_s, outcome, suppressed = self.execution.plan(cold, e.reset)
        e.reset = outcome == Outcome.TIMEOUT
        e.arrival = arrival
        e.start = now
        e.cold = cold
        e.suppressed = suppressed
        e.init_s = init_s
        e.outcome = outcome
        e.invoke_s = invoke_s
        e.caller = caller
        Timeout(sim, init_s + invoke_s).callbacks.append(e.on_done)  # type: ignore[union-attr]
        return ADMITTED

    def _make_done(self, e: ExecutionEnvironment) -> Callable[[Any], None]:
        def done(_event: Any) -> None:
            self._done(e)

        return done

    def _done(self, e: ExecutionEnvironment) -> None:
        now = self.sim._now
        self.busy -= 1
        if self.reserved is None:
            self.account.busy -= 1
        self.level.down(now)
        if self.account_level is not None:
            self.account_level.down(now)
        outcome = e.outcome
        invoke_s = e.invoke_s
        caller = e.caller
        e.caller = None
        self.pool.release(e, now)
        init_s = e.init_s
        b, delta = self.execution.billing(init_s, invoke_s)
        self.metrics.finished(
            e.start, now, e.arrival, outcome, e.cold, init_s, invoke_s, b, delta, e.suppressed
        )
        if self.tracer is not None:
            self.tracer.record(self.name, e, now, outcome, invoke_s)
        if caller is not None:
            caller(outcome, e.arrival, now)
