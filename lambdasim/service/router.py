"""Front doors by invocation type, and the drivers that feed a workload's arrivals through them.

A sync request that is throttled gets an immediate 429 (aws-lambda-behaviour.md §5): Lambda
does not retry it. The caller may, like the AWS SDKs, with exponential backoff and full jitter
(``client_retry``); the request's latency then includes its backoffs.

Every sync attempt, first or retried, passes the account's requests-per-second quota
(:class:`~lambdasim.service.concurrency.RequestRate`, one shared by every front door) before it
reaches the invoke path; async events and event-source batches do not (the quotas page limits
asynchronous invocations "based only on concurrency").

Drivers hold one reusable :class:`~lambdasim.clock.Wakeup` each and schedule the next arrival
when the current one fires, so a workload of any length costs one queue entry at a time:

* :class:`SyncArrivals` — sync requests, the invoke path inlined (it runs once per arrival);
* :class:`SyncRecordedArrivals` — sync requests with a trace's recorded durations;
* :class:`Arrivals` — anything else, one ``on_arrival(now)`` per arrival (async events,
  SQS messages, stream records);
* :class:`AsyncRecordedArrivals` — async events with a trace's recorded durations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any, Protocol

import numpy as np
from simpy.events import Timeout

from lambdasim.clock import Clock, Wakeup
from lambdasim.config import ClientRetry
from lambdasim.records import OutcomeSink, ThrottleReason
from lambdasim.service import lone_sync
from lambdasim.service.concurrency import RequestRate
from lambdasim.service.invoke import ADMITTED, FunctionService

__all__ = [
    "Arrivals",
    "AsyncAccept",
    "AsyncRecordedArrivals",
    "SyncArrivals",
    "SyncFrontDoor",
    "SyncRecordedArrivals",
]

_RATE = int(ThrottleReason.REQUESTS_PER_SECOND)


class SyncFrontDoor:
    """Synchronous requests to one function: throttles and the caller's retries.

    Parameters
    ----------
    sim : Clock
        The simulation clock.
    service : FunctionService
        The target function.
    retry : ClientRetry or None
        Caller-side retry policy for throttles.
    jitter : callable or None
        Uniform(0, 1) draws for the backoff jitter.
    rate : RequestRate or None
        The account's requests-per-second quota, shared by all front doors; None = no quota.
    """

    def __init__(
        self,
        sim: Clock,
        service: FunctionService,
        retry: ClientRetry | None,
        jitter: Callable[[], float] | None,
        rate: RequestRate | None = None,
    ) -> None:
        self.sim = sim
        self.service = service
        self.metrics = service.metrics
        self.retry = retry
        self.jitter = jitter
        self.max_attempts = retry.max_attempts if retry is not None else 1
        self.rate = rate if rate is not None else RequestRate(sim, None)

    def attempt(
        self,
        now: float,
        arrival: float,
        attempt: int,
        duration_s: float | None = None,
        tenant: int | None = None,
    ) -> None:
        """Attempt number ``attempt`` at ``now`` of the request that arrived at ``arrival``.

        The requests-per-second quota first (a 429 with its own reason, counted like any
        throttle), then the invoke path (:meth:`admit`); either 429 goes to :meth:`throttled`.
        ``duration_s`` (a recorded duration) and ``tenant`` (a tenant index, for the door of
        :mod:`~lambdasim.service.tenant_router`) are kept for the request's retries.
        """
        rate = self.rate
        left = rate.left
        if left > 0:
            rate.left = left - 1
        elif not rate.admit(now):
            self.metrics.throttled(now, _RATE)
            self.throttled(arrival, attempt, duration_s, tenant)
            return
        if self.admit(now, arrival, duration_s, tenant) != ADMITTED:
            self.throttled(arrival, attempt, duration_s, tenant)

    def admit(
        self, now: float, arrival: float, duration_s: float | None, tenant: int | None
    ) -> int:
        """Invoke the function: :data:`~.invoke.ADMITTED` or the reason of the 429."""
        return self.service.invoke(now, arrival, None, None, duration_s)

    def throttled(
        self,
        arrival: float,
        attempt: int,
        duration_s: float | None = None,
        tenant: int | None = None,
    ) -> None:
        """Attempt number ``attempt`` of the request that arrived at ``arrival`` got a 429:
        a retry after a jittered exponential backoff, or, with no attempts left, a rejection.
        """
        if attempt >= self.max_attempts:
            self.metrics.rejected(arrival)
            return
        retry = self.retry
        assert retry is not None and self.jitter is not None
        delay = self.jitter() * min(retry.cap_s, retry.base_s * 2.0**attempt)

        def again(_ev: Any) -> None:
            self.attempt(self.sim.now, arrival, attempt + 1, duration_s, tenant)

        Timeout(self.sim, delay).callbacks.append(again)


def _times(blocks: Iterator[np.ndarray]) -> Iterator[float]:
    return chain.from_iterable(b.tolist() for b in blocks)


def _counted_times(
    blocks: Iterator[np.ndarray], metrics: OutcomeSink, horizon: float
) -> Iterator[float]:
    """The arrival times one by one, then +inf; as each block is read, the arrivals in it
    within the statistics window ``[warmup, horizon)`` are added to ``metrics.arrivals``.

    Every arrival before the horizon is fired (the driver reads on until a time at or past
    it), so counting a block when it is read counts exactly the arrivals that run, with one
    numpy count per block instead of a test and an increment per arrival.
    """
    warmup = metrics.warmup

    def count(b: np.ndarray) -> list[float]:
        metrics.arrivals += int(np.count_nonzero((b >= warmup) & (b < horizon)))
        return b.tolist()  # type: ignore[no-any-return]

    return chain(chain.from_iterable(map(count, blocks)), (math.inf,))


class SyncArrivals:
    """Feeds one sync workload's arrival times (seconds, in blocks) into its front door."""

    __slots__ = ("door", "horizon", "invoke", "lone", "rate", "times", "wake")

    def __init__(
        self,
        sim: Clock,
        blocks: Iterator[np.ndarray],
        door: SyncFrontDoor,
        metrics: OutcomeSink,
        horizon: float,
    ) -> None:
        self.door = door
        self.invoke = door.service.invoke
        self.rate = door.rate
        self.horizon = horizon
        self.times = _counted_times(blocks, metrics, horizon)  # counts the arrivals
        self.wake = Wakeup(sim, self._fire)
        #: Whether the arrivals run in :func:`~.lone_sync.run_arrivals` (decided at the first
        #: arrival, when the wiring has chosen lazy completions or not).
        self.lone: bool | None = None

    def schedule_next(self) -> None:
        """Schedule the next arrival (none at or past the horizon)."""
        t = next(self.times)
        if t < self.horizon:
            self.wake.at(t)

    def _fire(self, w: Wakeup) -> float | None:
        lone = self.lone
        if lone is None:
            door = self.door
            lone = self.lone = (
                type(door) is SyncFrontDoor
                and type(door.service) is FunctionService  # not a Managed Instances service
                and lone_sync.eligible(door.service)
            )
        if lone:
            return lone_sync.run_arrivals(
                self.door.service, self.door, self.rate, self.times, self.horizon, w
            )
        now = w.when
        rate = self.rate
        left = rate.left
        if left > 0:  # SyncFrontDoor.attempt, inlined while the quota's window has room
            rate.left = left - 1
            if self.invoke(now, now) != ADMITTED:
                self.door.throttled(now, 1)
        else:  # a window to open, or the quota used up: the door decides
            self.door.attempt(now, now, 1)
        t = next(self.times)  # +inf after the last
        if t < self.horizon:
            return t  # the clock runs it at once if nothing comes first, else schedules it
        return None


class _Recorded:
    """Shared by the drivers of recorded events: ``(time_s, duration_s)`` pairs, one at a time."""

    __slots__ = ("duration", "events", "horizon", "wake")

    def __init__(
        self,
        sim: Clock,
        events: Iterator[tuple[float, float | None]],
        horizon: float,
        fire: Callable[[Wakeup], None],
    ) -> None:
        self.events = events
        self.horizon = horizon
        self.duration: float | None = None  # of the event the wake-up is scheduled for
        self.wake = Wakeup(sim, fire)

    def schedule_next(self) -> None:
        """Schedule the next event (none at or past the horizon)."""
        ev = next(self.events, None)
        if ev is None or ev[0] >= self.horizon:
            return
        self.duration = ev[1]
        self.wake.at(ev[0])


class SyncRecordedArrivals(_Recorded):
    """Feeds a trace's sync requests, each with its recorded duration, into a front door.

    Parameters
    ----------
    sim : Clock
        The simulation clock.
    events : iterator of (float, float or None)
        Arrival time and recorded handler duration (seconds), already scaled for memory
        (:func:`lambdasim.workload.replay.recorded_events`).
    door : SyncFrontDoor
        The function's sync front door (client retries keep the recorded duration).
    metrics : OutcomeSink
        Counts arrivals after the warm-up.
    horizon : float
        End of the run, seconds.
    """

    __slots__ = ("door", "metrics", "warmup")

    def __init__(
        self,
        sim: Clock,
        events: Iterator[tuple[float, float | None]],
        door: SyncFrontDoor,
        metrics: OutcomeSink,
        horizon: float,
    ) -> None:
        super().__init__(sim, events, horizon, self._fire)
        self.door = door
        self.metrics = metrics
        self.warmup = metrics.warmup

    def _fire(self, w: Wakeup) -> None:
        now = w.when
        if now >= self.warmup:
            self.metrics.arrivals += 1
        self.door.attempt(now, now, 1, self.duration)
        self.schedule_next()


class Arrivals:
    """Feeds one workload's arrival times to ``on_arrival(now)``, one wake-up at a time.

    Used for async events, SQS messages and stream records; sync requests have their own
    driver with the invoke path inlined (:class:`SyncArrivals`).
    """

    __slots__ = ("horizon", "on_arrival", "times", "wake")

    def __init__(
        self,
        sim: Clock,
        blocks: Iterator[np.ndarray],
        horizon: float,
        on_arrival: Callable[[float], None],
    ) -> None:
        self.horizon = horizon
        self.on_arrival = on_arrival
        self.times = _times(blocks)
        self.wake = Wakeup(sim, self._fire)

    def schedule_next(self) -> None:
        """Schedule the next arrival (none at or past the horizon)."""
        t = next(self.times, None)
        if t is not None and t < self.horizon:
            self.wake.at(t)

    def _fire(self, w: Wakeup) -> float | None:
        self.on_arrival(w.when)
        t = next(self.times, None)
        return t if t is not None and t < self.horizon else None


class AsyncAccept(Protocol):
    """The intake of a function's internal queue (:class:`~.async_invoke.AsyncDispatcher`)."""

    def accept(
        self,
        now: float,
        source: str = "api",
        duplicate: bool = False,
        duration_s: float | None = None,
    ) -> None:
        """An event arrives at ``now``."""


class AsyncRecordedArrivals(_Recorded):
    """Feeds a trace's asynchronous events, each with its recorded duration, into a function's
    internal queue (every attempt of the event runs for that duration).

    ``extra_requests`` requests are billed per event beyond the first (payloads above 256 KB,
    aws-lambda-behaviour.md §6), counted on ``metrics`` after the warm-up.
    """

    __slots__ = ("dispatcher", "extra", "metrics", "source", "warmup")

    def __init__(
        self,
        sim: Clock,
        events: Iterator[tuple[float, float | None]],
        dispatcher: AsyncAccept,
        source: str,
        extra_requests: int,
        metrics: OutcomeSink,
        horizon: float,
    ) -> None:
        super().__init__(sim, events, horizon, self._fire)
        self.dispatcher = dispatcher
        self.source = source
        self.extra = extra_requests
        self.metrics = metrics
        self.warmup = metrics.warmup

    def _fire(self, w: Wakeup) -> None:
        now = w.when
        if self.extra and now >= self.warmup:
            self.metrics.extra_requests += self.extra
        self.dispatcher.accept(now, self.source, duration_s=self.duration)
        self.schedule_next()
