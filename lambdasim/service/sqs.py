"""An SQS queue: visible and in-flight messages, visibility timeout, retention, redrive, FIFO
message groups (aws-lambda-behaviour.md §7.3, §7.4, §7.6).

* A received message is invisible until it is deleted or its visibility deadline passes; it
  then reappears with its receive count kept. If the count has reached ``max_receive_count``
  it is moved to the ``redrive_to`` queue instead. Every receive counts, whether or not the
  consumer's invoke ran: a batch throttled until its deadline has used up a receive of each
  of its messages (AWS, https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
  A message that is redriven without ever having been part of an admitted invoke is counted
  in ``to_dlq_unprocessed`` as well as in ``to_dlq``.
* A message older than ``retention_s`` is deleted by SQS (counted as expired, never silently
  lost). One wake-up at the oldest message's deadline applies retention in send order.
* FIFO: messages of one group are received in order, and while a batch holds some of a group's
  messages (including its retries) no other message of that group is received.

Standard queues are modelled as first-in first-out too (SQS only approximates it); returned
messages go to the back.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any, Protocol

from lambdasim.clock import Clock, Wakeup
from lambdasim.config import Queue
from lambdasim.records import QueueSink

__all__ = ["Message", "QueueConsumer", "SqsQueue"]

VISIBLE, INFLIGHT, DONE = 0, 1, 2

#: Every 64 KB of payload is one billed request (aws-lambda-behaviour.md §10.5); the
#: simulation passes the pricing table's ``request_chunk_kb``.
CHUNK_KB = 64.0


class QueueConsumer(Protocol):
    """Who polls the queue (:class:`~lambdasim.service.sqs_mapping.SqsEventSourceMapping`)."""

    def on_message(self, now: float) -> None:
        """A message became visible at ``now``."""


class Message:
    """One SQS message."""

    __slots__ = ("group", "holder", "ran", "receives", "sent", "size_kb", "state")

    def __init__(self, sent: float, size_kb: float, group: Any) -> None:
        self.sent = sent
        self.size_kb = size_kb
        self.group = group
        self.receives = 0
        self.state = VISIBLE
        self.holder: Any = None  # the batch that has it in flight
        #: Part of an admitted invoke at least once (set when it comes back, see release).
        self.ran = False


def _take(
    dq: deque[Message], out: list[Message], max_messages: int, max_kb: float, kb: float = 0.0
) -> tuple[float, bool]:
    """Move visible messages from the front of ``dq`` to ``out``, skipping tombstones.

    Stops at ``max_messages`` or before the payload would pass ``max_kb``. Returns the payload
    taken so far (KB) and whether the payload limit stopped it.
    """
    while dq and len(out) < max_messages:
        m = dq[0]
        if m.state != VISIBLE:
            dq.popleft()
            continue
        if out and kb + m.size_kb > max_kb:
            return kb, True
        dq.popleft()
        out.append(m)
        kb += m.size_kb
    return kb, False


class SqsQueue:
    """One queue.

    Parameters
    ----------
    sim : Clock
        The clock.
    name : str
        Queue name.
    config : Queue
        Its settings.
    metrics : QueueSink
        Where its counters go.
    chunk_kb : float
        Payload per billed request, KB (the pricing table's ``sqs.request_chunk_kb``).
    """

    def __init__(
        self,
        sim: Clock,
        name: str,
        config: Queue,
        metrics: QueueSink,
        chunk_kb: float = CHUNK_KB,
    ) -> None:
        self.sim = sim
        self.name = name
        self.config = config
        self.fifo = config.kind == "fifo"
        self.metrics = metrics
        self.warmup = metrics.warmup
        self.chunk_kb = float(chunk_kb)
        self.visible: deque[Message] = deque()  # standard queues
        self.groups: dict[Any, deque[Message]] = {}  # FIFO: visible messages per group
        self.available: deque[Any] = deque()  # FIFO: groups with visible messages, unlocked
        self.locked: set[Any] = set()
        self.n_visible = 0
        self.by_age: deque[Message] = deque()
        self.expiry = Wakeup(sim, self._expire)
        self.dlq: SqsQueue | None = None
        self.consumer: QueueConsumer | None = None  # wired by the simulation

    # ------------------------------------------------------------------ sending

    def send(self, now: float, size_kb: float = 1.0, group: Any = None) -> None:
        """SendMessage at ``now``."""
        m = Message(now, size_kb, group)
        chunks = max(1, math.ceil(size_kb / self.chunk_kb - 1e-9))
        self.metrics.on_sent(now, chunks, now >= self.warmup)
        by_age = self.by_age
        while by_age and by_age[0].state == DONE:
            by_age.popleft()
        by_age.append(m)
        if not self.expiry.pending:
            self.expiry.at(by_age[0].sent + self.config.retention_s)
        self._make_visible(m, now, front=False)
        if self.consumer is not None:
            self.consumer.on_message(now)

    def accept_record(self, now: float) -> bool:
        """A destination or dead-letter record (1 KB): FIFO queues cannot take them (§6)."""
        if self.fifo:
            return False
        self.send(now)
        return True

    def _make_visible(self, m: Message, now: float, front: bool) -> None:
        m.state = VISIBLE
        m.holder = None
        self.n_visible += 1
        self.metrics.visible.up(now)
        if not self.fifo:
            self.visible.append(m)
            return
        g = self.groups.get(m.group)
        if g is None:
            g = self.groups[m.group] = deque()
        was_empty = not g
        if front:
            g.appendleft(m)
        else:
            g.append(m)
        if was_empty and m.group not in self.locked:
            self.available.append(m.group)

    # ------------------------------------------------------------------ receiving

    def receive(self, now: float, holder: Any, max_messages: int, max_kb: float) -> list[Message]:
        """Take up to ``max_messages`` visible messages (and ``max_kb`` of payload) in order.

        FIFO: whole groups are taken in order and locked for ``holder`` until it releases them.
        """
        out: list[Message] = []
        if not self.fifo:
            _take(self.visible, out, max_messages, max_kb)
        else:
            kb = 0.0
            # each available group is looked at once: a group whose next message does not fit
            # stays available for the next batch (the payload limit ends this one)
            for _ in range(len(self.available)):
                if len(out) >= max_messages:
                    break
                gid = self.available.popleft()
                g = self.groups[gid]
                before = len(out)
                kb, full = _take(g, out, max_messages, max_kb, kb)
                if len(out) > before:
                    self.locked.add(gid)
                elif full:
                    self.available.appendleft(gid)  # first in line for the next batch
                elif g:
                    self.available.append(gid)
                if full:
                    break
        for m in out:
            m.state = INFLIGHT
            m.holder = holder
            m.receives += 1
        if out:
            self.n_visible -= len(out)
            for _ in out:
                self.metrics.visible.down(now)
                self.metrics.not_visible.up(now)
            self.metrics.on_received(now, len(out), math.ceil(len(out) / 10))
        return out

    # ------------------------------------------------------------------ outcomes

    def delete(self, msgs: list[Message], holder: Any, now: float) -> None:
        """DeleteMessageBatch of the messages ``holder`` still holds."""
        n = 0
        for m in msgs:
            if m.holder is holder and m.state == INFLIGHT:
                m.state = DONE
                m.holder = None
                n += 1
                self.metrics.not_visible.down(now)
                self.metrics.on_deleted(now, m.sent, m.sent >= self.warmup)
            elif m.receives > 1:
                self.metrics.reprocessed += m.sent >= self.warmup
        if n:
            self.metrics.on_delete_calls(now, math.ceil(n / 10))

    def release(self, msgs: list[Message], holder: Any, now: float, ran: bool = True) -> None:
        """The visibility timeout of ``holder``'s messages ran out: they reappear (or move on).

        Parameters
        ----------
        msgs : list of Message
            The messages ``holder`` received; those it no longer holds are skipped.
        holder : Any
            The batch that received them.
        now : float
            The visibility deadline, s.
        ran : bool
            Whether an invoke of ``holder`` was admitted (its messages reached the handler).
            A message redriven to the DLQ that was never in an admitted invoke is counted in
            ``to_dlq_unprocessed``.
        """
        cfg = self.config
        for m in reversed(msgs) if self.fifo else msgs:  # FIFO: keep order at the group front
            if m.holder is not holder or m.state != INFLIGHT:
                continue
            if ran:
                # recorded only for messages that come back, not for every invoked one
                m.ran = True
            self.metrics.not_visible.down(now)
            if now - m.sent >= cfg.retention_s:
                self._expired(m)
            elif cfg.max_receive_count is not None and m.receives >= cfg.max_receive_count:
                m.state = DONE
                m.holder = None
                if m.sent >= self.warmup:  # by the send time, like to_dlq
                    self.metrics.to_dlq += 1
                    if not m.ran:
                        self.metrics.to_dlq_unprocessed += 1
                assert self.dlq is not None
                self.dlq.send(now, m.size_kb, m.group)
            else:
                self._make_visible(m, now, front=True)

    def unlock(self, groups: set[Any]) -> None:
        """FIFO: a batch no longer holds these groups."""
        for gid in groups:
            self.locked.discard(gid)
            if self.groups.get(gid):
                self.available.append(gid)

    # ------------------------------------------------------------------ retention

    def _expired(self, m: Message) -> None:
        m.state = DONE
        m.holder = None
        if m.sent >= self.warmup:
            self.metrics.expired += 1

    def _expire(self, w: Wakeup) -> None:
        now = w.when
        by_age = self.by_age
        ret = self.config.retention_s
        while by_age and by_age[0].sent + ret <= now:
            m = by_age.popleft()
            if m.state == VISIBLE:
                self.n_visible -= 1
                self.metrics.visible.down(now)
                self._expired(m)  # stays in its deque as a tombstone, skipped when received
            # in flight: checked when it comes back (release)
        while by_age and by_age[0].state == DONE:
            by_age.popleft()
        if by_age:
            self.expiry.at(by_age[0].sent + ret)

    def oldest_age(self, now: float) -> float:
        """ApproximateAgeOfOldestMessage: age of the oldest message not yet deleted."""
        by_age = self.by_age
        while by_age and by_age[0].state == DONE:
            by_age.popleft()
        return now - by_age[0].sent if by_age else 0.0

    def waiting(self) -> int:
        """Messages sent after warm-up that are visible now."""
        warm = self.warmup
        return sum(1 for m in self.by_age if m.state == VISIBLE and m.sent >= warm)
