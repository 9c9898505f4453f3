"""Asynchronous (``Event``) invocation: internal queue, retries, maximum event age, DLQ and
destinations (aws-lambda-behaviour.md §5 and §6).

The event is accepted at once (HTTP 202). A dispatcher per function reads its internal queue in
order and invokes each event through the shared invoke path (:mod:`.invoke`).

* **Throttles.** When an invoke is throttled (no concurrency or no scaling allowance) the event
  stays at the head of the queue and reading pauses for a backoff that starts at 1 s and doubles
  with each consecutive throttle up to 5 min (jitter: uniform between half and all of it). This
  is how lambdasim implements "retried with exponential back-off from 1 s to 5 min" and "with a
  long queue Lambda lengthens intervals and reduces the read rate" (§5, §6): the pause grows
  while the function stays saturated, so a long queue is read more slowly. A completion of the
  function frees a slot and resumes reading at once, so a saturated function stays busy (as
  async functions at their reserved concurrency are observed to). Throttle retries never use up
  ``max_retry_attempts``.
* **Function errors and timeouts** are retried after ``retry_delays_s`` (about 1 and 2 minutes),
  up to ``max_retry_attempts`` (0–2); the retried event rejoins the end of the queue.
* **Maximum event age.** An event still waiting (queued or delayed) when it reaches
  ``max_event_age_s`` fails with ``EventAgeExceeded``; one that is running then fails so if its
  invoke fails afterwards.
* **Failure path.** A failed event goes to the on-failure destination if there is one, else to
  the dead-letter queue, else it is dropped; AsyncEventsDropped counts all of them. Reserved
  concurrency 0 sends every event straight to the failure path, without retries (§4.4, §5).
* **Success** sends a record to the on-success destination; a function destination invokes
  that function asynchronously, which chains functions into pipelines.
* **Duplicates.** With ``duplicate_probability`` an accepted event is delivered twice
  (at-least-once delivery, §6).

Timers here are rare (per retry or throttle pause), so they are ordinary SimPy timeouts; the
per-event work is a few attribute updates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from lambdasim.clock import Wakeup
from lambdasim.config import AsyncConfig, DeadLetter, Destination
from lambdasim.records import AsyncSink, Outcome
from lambdasim.service.invoke import ADMITTED, FunctionService

__all__ = ["AsyncDispatcher", "AsyncEvent"]

QUEUED, DELAYED, RUNNING, DONE = 0, 1, 2, 3

#: ``deliver(destination, now) -> bool``: hand a record to a queue or function destination.
Deliver = Callable[[Destination | DeadLetter, float], bool]


class AsyncEvent:
    """One asynchronous event and where it is in its life."""

    __slots__ = ("accepted", "attempts", "deadline", "dispatcher", "duration_s", "retries", "state")

    def __init__(self, dispatcher: AsyncDispatcher, accepted: float, max_age: float) -> None:
        self.dispatcher = dispatcher
        self.accepted = accepted
        self.deadline = accepted + max_age
        self.attempts = 0
        self.retries = 0
        self.state = QUEUED
        self.duration_s: float | None = None  # a trace's recorded duration, for every attempt

    def on_invoke_done(self, outcome: int, end: float) -> None:
        """Called by the invoke path when this event's invoke ends."""
        self.dispatcher.invoke_done(self, outcome, end)


class AsyncDispatcher:
    """The internal queue and dispatcher of one function.

    Parameters
    ----------
    sim : simpy.Environment
        The clock.
    service : FunctionService
        The function (its invoke path).
    config : AsyncConfig
        EventInvokeConfig / DeadLetterConfig.
    metrics : AsyncSink
        Where outcomes are counted.
    uniform : callable
        Uniform(0, 1) draws (jitter, duplicates).
    deliver : callable
        ``deliver(destination, now) -> bool``.
    """

    def __init__(
        self,
        sim: simpy.Environment,
        service: FunctionService,
        config: AsyncConfig,
        metrics: AsyncSink,
        uniform: Callable[[], float],
        deliver: Deliver,
    ) -> None:
        self.sim = sim
        self.service = service
        self.config = config
        self.metrics = metrics
        self.uniform = uniform
        self.deliver = deliver
        self.ready: deque[AsyncEvent] = deque()
        self.by_age: deque[AsyncEvent] = deque()  # every live event, in acceptance order
        self.expiry = Wakeup(sim, self._expire)
        self.paused = False
        self._pause_gen = 0
        self.consecutive_throttles = 0
        self.running = 0

    # ------------------------------------------------------------------ intake

    def accept(
        self,
        now: float,
        source: str = "api",
        duplicate: bool = False,
        duration_s: float | None = None,
    ) -> None:
        """An event arrives from ``source`` at ``now`` (the Invoke call returns 202).

        ``duration_s`` is the handler duration a trace recorded for this event (every attempt
        runs that long); None draws from the function's distribution.
        """
        cfg = self.config
        self.metrics.accepted(now, source, duplicate)
        ev = AsyncEvent(self, now, cfg.max_event_age_s)
        ev.duration_s = duration_s
        if self.service.reserved == 0:
            # RC = 0: straight to the failure path, no retries (aws-lambda-behaviour.md §5).
            self._fail(ev, now, "ReservedConcurrencyZero")
            return
        by_age = self.by_age
        while by_age and by_age[0].state == DONE:
            by_age.popleft()
        by_age.append(ev)
        if not self.expiry.pending:
            self.expiry.at(by_age[0].deadline)
        self.ready.append(ev)
        self.metrics.depth.up(now)
        if not duplicate and cfg.duplicate_probability > 0.0:
            if self.uniform() < cfg.duplicate_probability:
                self.accept(now, source, duplicate=True, duration_s=duration_s)
                return
        self._dispatch(now)

    # ------------------------------------------------------------------ dispatch

    def _dispatch(self, now: float) -> None:
        if self.paused:
            return
        ready = self.ready
        invoke = self.service.invoke
        while ready:
            ev = ready[0]
            if ev.state != QUEUED:  # expired while waiting
                ready.popleft()
                continue
            if invoke(now, ev.accepted, ev, None, ev.duration_s) != ADMITTED:
                self._pause(now)
                return
            ready.popleft()
            ev.state = RUNNING
            self.running += 1
            self.metrics.depth.down(now)
            self.metrics.invoked(now, ev.accepted, ev.attempts > 0)
            ev.attempts += 1
            self.consecutive_throttles = 0

    def _pause(self, now: float) -> None:
        tb = self.config.throttle_backoff
        k = self.consecutive_throttles
        self.consecutive_throttles = k + 1
        delay = min(tb.cap_s, tb.base_s * 2.0**k)
        if tb.jitter:
            delay *= 0.5 + 0.5 * self.uniform()
        self.paused = True
        self._pause_gen += 1
        gen = self._pause_gen

        def resume(_ev: Any) -> None:
            if self.paused and gen == self._pause_gen:
                self.paused = False
                self._dispatch(self.sim.now)

        Timeout(self.sim, delay).callbacks.append(resume)

    def on_free(self, now: float) -> None:
        """A slot of the function is free at ``now``: resume reading (wired by the simulation)."""
        if self.ready:
            self.paused = False
            self._dispatch(now)

    # ------------------------------------------------------------------ outcomes

    def invoke_done(self, ev: AsyncEvent, outcome: int, end: float) -> None:
        """The invoke of ``ev`` ended at ``end``."""
        self.running -= 1
        cfg = self.config
        if outcome == Outcome.SUCCEEDED:
            ev.state = DONE
            self.metrics.succeeded_at(end, ev.accepted)
            if cfg.on_success is not None and not self.deliver(cfg.on_success, end):
                self.metrics.success_delivery_failed(end)
            return
        if ev.retries >= cfg.max_retry_attempts:
            self._fail(ev, end, "RetriesExhausted")
            return
        if end >= ev.deadline:
            self._fail(ev, end, "EventAgeExceeded")
            return
        ev.retries += 1
        delay = cfg.retry_delay(ev.retries)
        if cfg.retry_jitter_s > 0.0:
            delay += cfg.retry_jitter_s * self.uniform()
        ev.state = DELAYED
        self.metrics.depth.up(end)

        def retry(_e: Any) -> None:
            if ev.state == DELAYED:
                ev.state = QUEUED
                self.ready.append(ev)
                self._dispatch(self.sim.now)

        Timeout(self.sim, delay).callbacks.append(retry)

    def _expire(self, w: Wakeup) -> None:
        now = w.when
        by_age = self.by_age
        while by_age and by_age[0].deadline <= now:
            ev = by_age.popleft()
            if ev.state == QUEUED or ev.state == DELAYED:
                self._fail(ev, now, "EventAgeExceeded")
        while by_age and by_age[0].state == DONE:
            by_age.popleft()
        if by_age:
            self.expiry.at(by_age[0].deadline)

    def _fail(self, ev: AsyncEvent, now: float, reason: str) -> None:
        if ev.state == QUEUED or ev.state == DELAYED:
            self.metrics.depth.down(now)
        ev.state = DONE
        cfg = self.config
        if cfg.on_failure is not None:
            where, delivered = "on_failure", self.deliver(cfg.on_failure, now)
        elif cfg.dead_letter is not None:
            where, delivered = "dlq", self.deliver(cfg.dead_letter, now)
        else:
            where, delivered = "none", False
        self.metrics.failed(now, ev.accepted, reason, where, delivered)

    # ------------------------------------------------------------------ state at the end

    def waiting(self) -> int:
        """Events accepted after warm-up that are waiting (queued or delayed) now.

        Events still running are counted as ``accepted − finished − waiting`` by the results:
        an event that was running at its deadline has left ``by_age`` already.
        """
        warm = self.metrics.warmup
        return sum(
            1
            for ev in self.by_age
            if ev.accepted >= warm and (ev.state == QUEUED or ev.state == DELAYED)
        )
