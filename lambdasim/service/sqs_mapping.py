"""SQS event source mapping: pollers, batching window, scaling, retries (§7.1–7.5).

* **Batches.** A poller takes visible messages (ReceiveMessage returns at most 10 per call) and
  invokes the function with the batch when it holds ``batch_size`` messages, when the 6 MB
  payload limit would be passed, or when ``max_batching_window_s`` has passed since it took
  the first message; with no window it invokes at once with what is visible. The visibility
  clock runs from the receive, so it runs during the window too (§7.3). Each invoke is a
  synchronous invoke through the shared invoke path and competes for concurrency.
* **Outcomes.** Success deletes the batch. A function error or timeout leaves all its messages
  to reappear after the visibility timeout; with ``report_batch_item_failures`` only the
  failed items do (items fail independently at the function's ``error_rate``; without it the
  batch fails if any item fails). FIFO: the failed item and the rest of its group come back.
  A throttled invoke is retried by the poller, with backoff 1 s doubling up to 20 s, until the
  visibility deadline; the messages then reappear with the receive they already counted, so
  with a low ``max_receive_count`` they are redriven to the DLQ without ever having run
  (AWS, "Handling errors for an SQS event source in Lambda",
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
* **Reserved concurrency does not cap the mapping.** "Event source mappings don't account for
  reserved concurrency and can process more messages off your queue than can be sent to your
  function" (AWS Knowledge Center,
  https://repost.aws/knowledge-center/lambda-sqs-scaling; the Lambda guide,
  https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html, treats maximum and
  reserved concurrency as independent settings and warns that Lambda may throttle messages
  when reserved concurrency is below the mappings' maximum concurrency). The mapping scales by
  its own rules below; reserved concurrency throttles its batches in the shared invoke path
  like any other invoke.
* **Scaling (on demand, since Nov 2023).** The mapping starts with 5 concurrent batches and,
  while messages are waiting and every slot is busy, adds 300 per minute (5 per second) up to
  1,250 or ``max_concurrency``, whichever is lower. ``legacy_ramp`` reproduces the earlier
  +60 per minute up to 1,000. Each second with a throttle or a failed batch lowers the target
  by 10 % instead, not below the starting 5 (AWS: "gradually reduces" concurrency on errors
  and throttles; the factor is lambdasim's assumption). After a minute
  with nothing waiting it scales back by 5 per second to 5, and to 2 after 15 idle minutes
  when no ``max_concurrency`` is set (§7.1).
* **Provisioned mode (Nov 2025).** Between ``min_pollers`` and ``max_pollers`` pollers, each
  with up to 10 concurrent invokes; the target grows by 1,000 invokes per minute while
  messages wait, up to 20,000 (§7.5). Poller time is billed in event-poller-unit hours.
* **Empty receives.** Idle pollers long-poll for 20 s: each idle poller makes one empty
  ReceiveMessage per 20 s while nothing is visible (§10.5; AWS says provisioned pollers may
  poll up to 10 times a second — not modelled).

A controller ticks once a simulated second (an ordinary SimPy process: one per mapping, not per
message); batches use one SimPy timeout each for their visibility deadline and window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import simpy
from simpy.events import Timeout

from lambdasim.clock import LATE, Clock, Wakeup
from lambdasim.config import SqsTrigger
from lambdasim.config.event_sources import ProvisionedMode
from lambdasim.records import MappingSink, Outcome
from lambdasim.service.invoke import ADMITTED, FunctionService
from lambdasim.service.sqs import Message, SqsQueue

__all__ = ["Batch", "SqsEventSourceMapping"]

#: 6 MB invoke payload limit for a batch (§7.2).
MAX_BATCH_KB = 6144.0
COLLECTING, INVOKING, RETRYING, FINISHED = 0, 1, 2, 3


class Batch:
    """Messages one poller holds, from the first receive until they are deleted or returned."""

    __slots__ = ("esm", "failed", "groups", "kb", "msgs", "opened", "ran", "state", "throttles")

    def __init__(self, esm: SqsEventSourceMapping, opened: float) -> None:
        self.esm = esm
        self.opened = opened
        self.msgs: list[Message] = []
        self.kb = 0.0
        self.failed: list[Message] = []
        self.groups: set[Any] = set()
        self.state = COLLECTING
        self.throttles = 0
        #: An invoke of this batch was admitted: its messages reached the handler.
        self.ran = False

    def on_invoke_done(self, outcome: int, end: float) -> None:
        """Called by the invoke path when the batch's invoke ends."""
        self.esm.invoke_done(self, outcome, end)


class SqsEventSourceMapping:
    """Polls ``queue`` and invokes ``service`` with batches."""

    def __init__(
        self,
        sim: Clock,
        queue: SqsQueue,
        service: FunctionService,
        config: SqsTrigger,
        metrics: MappingSink,
        uniform: Callable[[], float],
    ) -> None:
        self.sim = sim
        self.queue = queue
        self.service = service
        self.config = config
        self.metrics = metrics
        self.uniform = uniform
        self.error_rate = service.execution.error_rate
        self.provisioned = isinstance(config.mode, ProvisionedMode)
        # The mapping's own limits only: reserved concurrency is not one of them (AWS: event
        # source mappings "don't account for reserved concurrency"); it throttles in invoke.
        if self.provisioned:
            assert isinstance(config.mode, ProvisionedMode)
            pp = config.mode.provisioned
            # 10 concurrent invokes per poller, 20,000 at most (§7.5); max_concurrency is
            # mutually exclusive with provisioned mode (checked by the config)
            cap = min(20000, pp.max_pollers * 10)
            self.floor = float(pp.min_pollers * 10)
            self.ramp_per_s = 1000.0 / 60.0
        else:
            cap = 1000 if config.legacy_ramp else 1250
            if config.max_concurrency is not None:
                cap = min(cap, config.max_concurrency)
            self.floor = 5.0
            self.ramp_per_s = (60.0 if config.legacy_ramp else 300.0) / 60.0
        self.cap = float(cap)
        self.target = min(self.floor, self.cap)
        self.held = 0  # batches held (collecting, invoking or retrying)
        self.collecting: Batch | None = None
        self.window = config.max_batching_window_s
        self.size = config.batch_size if not queue.fifo else min(config.batch_size, 10)
        self.idle_s = 0.0
        self.trouble = False  # a throttle or a failed batch since the last tick
        self.level_target = 0
        self.poll = Wakeup(sim, self._poll, priority=LATE)
        self._sync_level(0.0)
        sim.process(self._controller())

    # ------------------------------------------------------------------ pollers

    @property
    def pollers(self) -> int:
        """Pollers now: the concurrency target (on demand) or ⌈target/10⌉ (provisioned)."""
        if self.provisioned:
            return max(int(self.floor // 10), math.ceil(self.target / 10))
        return max(1, int(self.target))

    def _sync_level(self, now: float) -> None:
        want = self.pollers
        lv = self.metrics.pollers
        while self.level_target < want:
            lv.up(now)
            self.level_target += 1
        while self.level_target > want:
            lv.down(now)
            self.level_target -= 1

    def on_message(self, now: float) -> None:
        """A message became visible: pollers receive once this instant's other events are done.

        Deferring the receive to the end of the instant lets messages sent together (a
        burst, or several redriven at once) be received together, as one long poll would.
        """
        if not self.poll.pending:
            self.poll.at(now)

    def _poll(self, w: Wakeup) -> None:
        now = w.when
        c = self.collecting
        if c is not None:
            self._collect(c, now)
        self._fill(now)

    def _fill(self, now: float) -> None:
        q = self.queue
        while q.n_visible > 0 and self.collecting is None and self.held < int(self.target):
            b = Batch(self, now)
            if not self._take(b, now):
                return  # FIFO: what is visible belongs to groups held by other batches
            self.held += 1
            Timeout(self.sim, q.config.visibility_timeout_s).callbacks.append(
                partial(self._visibility_expired, b)
            )
            if not self._ready(b):
                self.collecting = b
                Timeout(self.sim, self.window).callbacks.append(partial(self._window_closed, b))
                return
            self._invoke(b, now)

    def _take(self, b: Batch, now: float) -> bool:
        want = self.size - len(b.msgs)
        got = self.queue.receive(now, b, want, MAX_BATCH_KB - b.kb)
        if not got:
            return False
        b.msgs.extend(got)
        b.kb += sum(m.size_kb for m in got)
        if self.queue.fifo:
            b.groups.update(m.group for m in got)
        # Stopped short with messages still visible in a standard queue: the 6 MB limit.
        if len(got) < want and self.queue.n_visible > 0 and not self.queue.fifo:
            b.kb = MAX_BATCH_KB
        return True

    def _ready(self, b: Batch) -> bool:
        return len(b.msgs) >= self.size or b.kb >= MAX_BATCH_KB or self.window == 0.0

    def _collect(self, b: Batch, now: float) -> None:
        """A message arrived while ``b`` is collecting in its batching window."""
        if self._take(b, now) and self._ready(b):
            self.collecting = None
            self._invoke(b, now)

    def _window_closed(self, b: Batch, _event: object = None) -> None:
        if b.state != COLLECTING:
            return
        if self.collecting is b:
            self.collecting = None
        now = self.sim.now
        if b.msgs:
            self._invoke(b, now)
        else:
            self._finish(b, now)
        self._fill(now)

    # ------------------------------------------------------------------ invoking

    def _invoke(self, b: Batch, now: float) -> None:
        if b.state == COLLECTING:
            # gated by the batch's opening, like its throttles, failures and item failures
            self.metrics.on_batch(b.opened, len(b.msgs))
        # Item failures are drawn per message at the function's error rate.
        b.failed = []
        if self.error_rate > 0.0:
            b.failed = [m for m in b.msgs if self.uniform() < self.error_rate]
        error = bool(b.failed) and not self.config.report_batch_item_failures
        b.state = INVOKING
        if self.service.invoke(now, b.opened, b, error) == ADMITTED:
            b.ran = True
            # EventSourceMappingConcurrency counts the mapping's invokes while they run, not
            # batches a poller holds in a batching window or while retrying throttles (issue
            # 15): so it never exceeds the function's concurrency, and is 0 under RC 0.
            self.metrics.concurrency.up(now)
            return
        # throttled: the poller keeps the batch and retries until the visibility deadline
        b.state = RETRYING
        b.throttles += 1
        self.trouble = True
        if b.throttles == 1 and b.opened >= self.metrics.warmup:
            self.metrics.throttled_batches += 1
        delay = min(20.0, 2.0 ** (b.throttles - 1))
        Timeout(self.sim, delay).callbacks.append(partial(self._retry, b))

    def _retry(self, b: Batch, _event: object = None) -> None:
        if b.state == RETRYING:
            self._invoke(b, self.sim.now)

    def invoke_done(self, b: Batch, outcome: int, end: float) -> None:
        """The batch's invoke ended at ``end``."""
        self.metrics.concurrency.down(end)
        q = self.queue
        if outcome == Outcome.SUCCEEDED:
            failed = b.failed if self.config.report_batch_item_failures else []
            if failed and q.fifo:
                # FIFO: the first failure of a group and everything after it in that group
                first: dict[Any, int] = {}
                for i, m in enumerate(b.msgs):
                    if m in failed and m.group not in first:
                        first[m.group] = i
                failed = [
                    m for i, m in enumerate(b.msgs) if m.group in first and i >= first[m.group]
                ]
            keep = {id(m) for m in failed}
            q.delete([m for m in b.msgs if id(m) not in keep], b, end)
            if failed:
                if b.opened >= self.metrics.warmup:
                    self.metrics.item_failures += len(failed)
                b.msgs = failed  # reappear at the visibility deadline
        else:
            self.trouble = True
            if b.opened >= self.metrics.warmup:
                self.metrics.failed_batches += 1
        self._finish(b, end)
        self._fill(end)

    def _finish(self, b: Batch, now: float) -> None:
        """The poller is done with the batch; its remaining messages wait for the deadline."""
        b.state = FINISHED
        self.held -= 1
        if not b.msgs or all(m.holder is not b for m in b.msgs):
            self._unlock(b)

    def _visibility_expired(self, b: Batch, _event: object = None) -> None:
        now = self.sim.now
        # a batch whose invokes were all throttled (or that never left its window) returns
        # messages that never ran: redriven, they count in to_dlq_unprocessed
        self.queue.release(b.msgs, b, now, ran=b.ran)
        if b.state == RETRYING:  # gave up retrying throttles: the slot is free again
            self._finish(b, now)
        if b.state == FINISHED:
            self._unlock(b)
        if self.queue.consumer is self:
            self._fill(now)

    def _unlock(self, b: Batch) -> None:
        if b.groups:
            self.queue.unlock(b.groups)
            b.groups = set()

    # ------------------------------------------------------------------ scaling

    def _controller(self) -> Generator[simpy.Event, Any, None]:
        tick = 0
        while True:
            yield self.sim.timeout(1.0)
            now = self.sim.now
            tick += 1
            q = self.queue
            waiting = q.n_visible > 0
            if self.trouble:
                self.target = max(min(self.floor, self.cap), self.target * 0.9)
                self.trouble = False
                self.idle_s = 0.0
            elif waiting:
                self.idle_s = 0.0
                self.target = max(self.target, min(self.floor, self.cap))  # back from 2 pollers
                if self.held >= int(self.target):
                    self.target = min(self.cap, self.target + self.ramp_per_s)
            else:
                self.idle_s += 1.0
                if self.idle_s >= 60.0 and self.target > self.floor:
                    self.target = max(self.floor, self.target - self.ramp_per_s)
                if (
                    not self.provisioned
                    and self.idle_s >= 900.0
                    and self.config.max_concurrency is None
                ):
                    self.target = min(self.target, 2.0)
            self._sync_level(now)
            if self.provisioned:
                self.metrics.poller_seconds += self.pollers if now > self.metrics.warmup else 0.0
            q.metrics.on_oldest(now, q.oldest_age(now))
            if tick % 20 == 0 and not waiting:
                idle = max(0, self.pollers - self.held)
                if idle:
                    q.metrics.on_empty_receives(now, idle)
            self._fill(now)
