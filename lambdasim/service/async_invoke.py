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
* **Recursive loops.** Each event carries its hop: the how-manieth invocation of its chain of
  function destinations it is (1 for an event from a workload; retries and duplicates keep it).
  AWS stops a chain "after exceeding 16 invocations": "If a function is invoked by the same
  triggering event more than 16 times, Lambda will stop the next invocation and sends the event
  to a Dead-Letter Queue or on-failure destination" (What's New, 2023-07-13; Lambda guide
  "invocation-recursion"). So an event that would be invocation 17 of its chain goes straight
  to the failure path as ``RecursiveInvocationDetected``, without retries, unless the function
  has ``recursive_loop: allow``. A stopped event's failure record still reaches a queue or
  topic, but not an on-failure *function* (that would be the chain's next invocation; the
  delivery fails). Only chains of function destinations are tracked: records that pass
  through queues or topics start no async event here.
* **Duplicates.** With ``duplicate_probability`` an accepted event is delivered twice
  (at-least-once delivery, §6).

Timers here are rare (per retry or throttle pause), so they are ordinary SimPy timeouts; the
per-event work is a few attribute updates.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from simpy.events import Timeout

from lambdasim.clock import Clock, Wakeup
from lambdasim.config import AsyncConfig, DeadLetter, Destination
from lambdasim.records import AsyncSink, Outcome
from lambdasim.service.invoke import ADMITTED, FunctionService

__all__ = ["MAX_RECURSIVE_INVOCATIONS", "AsyncDispatcher", "AsyncEvent"]

QUEUED, DELAYED, RUNNING, DONE = 0, 1, 2, 3

#: Invocations of one chain that recursive loop detection lets run: AWS stops the next one
#: "after exceeding 16 invocations" (AWS Compute Blog "Detecting and stopping recursive loops in
#: AWS Lambda functions", 2023; What's New 2023-07-13: "invoked by the same triggering event
#: more than 16 times"; the Lambda guide "invocation-recursion" says "approximately 16").
MAX_RECURSIVE_INVOCATIONS = 16

#: ``deliver(destination, now, hop) -> bool``: hand a record to a queue or function destination;
#: ``hop`` is the chain position of the invocation that produced the record.
Deliver = Callable[[Destination | DeadLetter, float, int], bool]


class AsyncEvent:
    """One asynchronous event and where it is in its life.

    ``hop`` is its position in a chain of function destinations: 1 when a workload sent it,
    ``n + 1`` when the destination record of an invocation at hop ``n`` started it.
    """

    __slots__ = (
        "accepted",
        "attempts",
        "deadline",
        "dispatcher",
        "duration_s",
        "hop",
        "retries",
        "state",
    )

    def __init__(
        self, dispatcher: AsyncDispatcher, accepted: float, max_age: float, hop: int = 1
    ) -> None:
        self.dispatcher = dispatcher
        self.accepted = accepted
        self.deadline = accepted + max_age
        self.attempts = 0
        self.retries = 0
        self.state = QUEUED
        self.duration_s: float | None = None  # a trace's recorded duration, for every attempt
        self.hop = hop

    def on_invoke_done(self, outcome: int, end: float) -> None:
        """Called by the invoke path when this event's invoke ends."""
        self.dispatcher.invoke_done(self, outcome, end)


class AsyncDispatcher:
    """The internal queue and dispatcher of one function.

    Parameters
    ----------
    sim : Clock
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
        ``deliver(destination, now, hop) -> bool``.
    recursive_loop : {"terminate", "allow"}
        The function's recursive-loop setting (``functions.NAME.recursive_loop``).
    """

    def __init__(
        self,
        sim: Clock,
        service: FunctionService,
        config: AsyncConfig,
        metrics: AsyncSink,
        uniform: Callable[[], float],
        deliver: Deliver,
        recursive_loop: str = "terminate",
    ) -> None:
        self.sim = sim
        self.recursive_loop = recursive_loop
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
        hop: int = 1,
    ) -> None:
        """An event arrives from ``source`` at ``now`` (the Invoke call returns 202).

        ``duration_s`` is the handler duration a trace recorded for this event (every attempt
        runs that long); None draws from the function's distribution. ``hop`` is its position
        in a chain of function destinations (1: not started by a destination).
        """
        cfg = self.config
        self.metrics.accepted(now, source, duplicate)
        ev = AsyncEvent(self, now, cfg.max_event_age_s, hop)
        ev.duration_s = duration_s
        # Failed on arrival below, the event never enters the internal queue: DONE keeps
        # _fail from taking it off the depth level it was never put on (issue 15: a negative
        # AsyncQueueDepthMean with reserved concurrency 0).
        if hop > MAX_RECURSIVE_INVOCATIONS and self.recursive_loop == "terminate":
            # Recursive loop detection stops the invocation: the event goes to the DLQ /
            # on-failure destination without running (Lambda guide "invocation-recursion").
            ev.state = DONE
            self._fail(ev, now, "RecursiveInvocationDetected")
            return
        if self.service.reserved == 0:
            # RC = 0: straight to the failure path, no retries (aws-lambda-behaviour.md §5).
            ev.state = DONE
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
                self.accept(now, source, duplicate=True, duration_s=duration_s, hop=hop)
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
            if cfg.on_success is not None and not self.deliver(cfg.on_success, end, ev.hop):
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
        if reason == "RecursiveInvocationDetected" and (
            cfg.on_failure is not None and cfg.on_failure.function is not None
        ):
            # A stopped chain invokes no further function: Lambda's invoke of the on-failure
            # function would be the chain's next invocation, refused with a
            # RecursiveInvocationException (AWS Compute Blog, 2023), so the delivery fails
            # (DestinationDeliveryFailures). Without this, on-failure functions that lead back
            # here would stop and forward the event forever at the same instant.
            where, delivered = "on_failure", False
        elif cfg.on_failure is not None:
            where, delivered = "on_failure", self.deliver(cfg.on_failure, now, ev.hop)
        elif cfg.dead_letter is not None:
            where, delivered = "dlq", self.deliver(cfg.dead_letter, now, ev.hop)
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
