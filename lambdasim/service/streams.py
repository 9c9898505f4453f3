"""Kinesis Data Streams and DynamoDB Streams event source mappings (aws-lambda-behaviour.md §8).

* Records go to a shard by the hash of their partition key; each shard has
  ``parallelization_factor`` consumers, and a key always maps to the same consumer, so records
  of one key are processed in order. Each consumer has at most one batch in flight: concurrency
  ≤ shards × parallelization factor.
* An idle consumer polls when records are waiting: Kinesis about once a second per shard,
  DynamoDB Streams about four times a second (§8); while it is catching up it polls again as
  soon as a batch finishes. With a batching window it waits until the oldest record is that
  old or the batch is full.
* A batch fails if any of its records fails (poison records always, others at the function's
  ``error_rate`` per attempt). A failed batch blocks its consumer: it is retried (bisected first
  when asked: halves are retried separately and bisection does not use up retries) until it
  succeeds, its retries are exhausted (``max_retry_attempts``, −1 = until the records expire)
  or its records are older than ``max_record_age_s``; then its records go to the on-failure
  destination (one record per batch, metadata only) and the consumer moves on. With
  ``report_batch_item_failures`` the records before the first failure are checkpointed and
  only the rest is retried. Throttled invokes are retried at the next poll without using up
  retries.
* Records older than the stream's retention are lost (counted as expired).
* IteratorAge is the age of the last record of a batch when it is sent to the function.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from simpy.events import Timeout

from lambdasim.clock import Clock
from lambdasim.config.streams import Stream, StreamTrigger
from lambdasim.records import Outcome, StreamSink
from lambdasim.service.invoke import ADMITTED, FunctionService

__all__ = ["StreamMapping"]

#: Poll interval per shard: Kinesis ~1 s, DynamoDB Streams ~0.25 s (§8).
POLL_S = {"kinesis": 1.0, "dynamodb": 0.25}


class Record:
    """One stream record."""

    __slots__ = ("key", "poison", "seq", "t")

    def __init__(self, t: float, key: int, seq: int, poison: bool) -> None:
        self.t = t
        self.key = key
        self.seq = seq
        self.poison = poison


class _Consumer:
    """One shard sub-partition: an ordered queue of records and at most one batch in flight."""

    __slots__ = (
        "batch",
        "fail_at",
        "key_seq",
        "mapping",
        "pending",
        "polling",
        "records",
        "retries",
        "shard",
    )

    def __init__(self, mapping: StreamMapping, shard: int) -> None:
        self.mapping = mapping
        self.shard = shard
        self.records: deque[Record] = deque()
        self.batch: list[Record] | None = None
        self.pending: list[list[Record]] = []  # halves waiting after a bisection
        self.retries = 0
        self.polling = False
        self.fail_at: int | None = None
        self.key_seq: dict[int, int] = {}  # last processed sequence number per key (order check)

    def on_invoke_done(self, outcome: int, end: float) -> None:
        """Called by the invoke path when this consumer's batch invoke ends."""
        self.mapping.batch_done(self, outcome, end)


class StreamMapping:
    """The event source mapping of one stream to one function."""

    def __init__(
        self,
        sim: Clock,
        stream: Stream,
        trigger: StreamTrigger,
        service: FunctionService,
        metrics: StreamSink,
        uniform: Callable[[], float],
        deliver_failure: Callable[[float], bool] | None,
    ) -> None:
        self.sim = sim
        self.stream = stream
        self.cfg = trigger
        self.service = service
        self.metrics = metrics
        self.uniform = uniform
        self.deliver_failure = deliver_failure
        self.poll_s = POLL_S[stream.kind]
        self.error_rate = service.execution.error_rate
        pf = trigger.parallelization_factor
        self.consumers = [[_Consumer(self, s) for _ in range(pf)] for s in range(stream.shards)]
        self.seq: dict[int, int] = {}

    # ------------------------------------------------------------------ producers

    def put(self, now: float, key: int, poison: bool) -> None:
        """PutRecord at ``now`` with partition key ``key``."""
        h = (key * 2654435761) & 0xFFFFFFFF  # Knuth's multiplicative hash of the key
        shard = h % self.stream.shards
        c = self.consumers[shard][(h >> 16) % self.cfg.parallelization_factor]
        seq = self.seq.get(key, 0) + 1
        self.seq[key] = seq
        c.records.append(Record(now, key, seq, poison))
        m = self.metrics
        m.on_put(now)
        m.backlog[shard].up(now)
        if c.batch is None and not c.polling:
            self._schedule_poll(c, now)

    def _schedule_poll(self, c: _Consumer, now: float, at: float | None = None) -> None:
        c.polling = True
        if at is None:  # the next poll of this shard
            k = int(now / self.poll_s) + 1
            at = k * self.poll_s
        Timeout(self.sim, max(0.0, at - now)).callbacks.append(lambda _e: self._poll(c))

    # ------------------------------------------------------------------ consumers

    def _drop(self, c: _Consumer, r: Record, now: float, where: str) -> None:
        m = self.metrics
        m.backlog[c.shard].down(now)
        if r.t < m.warmup:
            return
        if where == "expired":
            m.expired += 1
        else:
            m.to_on_failure += 1
            if where == "age":
                m.age_exceeded += 1

    def _poll(self, c: _Consumer) -> None:
        c.polling = False
        now = self.sim.now
        if c.batch is not None:
            return
        ret = self.stream.retention_s
        while c.records and now - c.records[0].t >= ret:
            self._drop(c, c.records.popleft(), now, "expired")
        if not c.records:
            return
        cfg = self.cfg
        w = cfg.max_batching_window_s
        # (1 ns of slack: the wake-up lands on the window's end up to float rounding)
        if w > 0 and len(c.records) < cfg.batch_size and now - c.records[0].t < w - 1e-9:
            self._schedule_poll(c, now, c.records[0].t + w)
            return
        n = min(cfg.batch_size, len(c.records))
        c.batch = [c.records.popleft() for _ in range(n)]
        c.retries = 0
        self.metrics.concurrency.up(now)
        if now >= self.metrics.warmup:
            self.metrics.batches += 1
        self._invoke(c, now)

    def _invoke(self, c: _Consumer, now: float) -> None:
        batch = c.batch
        assert batch is not None
        cfg = self.cfg
        # records past their maximum age (or the retention) are not sent again
        keep = []
        aged = 0
        for r in batch:
            if now - r.t >= self.stream.retention_s:
                self._drop(c, r, now, "expired")
            elif cfg.max_record_age_s != -1 and now - r.t >= cfg.max_record_age_s:
                self._drop(c, r, now, "age")
                aged += 1
            else:
                keep.append(r)
        if len(keep) < len(batch):
            if aged and self.deliver_failure is not None:
                self.deliver_failure(now)  # records past their maximum age are discarded to it
            batch[:] = keep
            if not keep:
                self._next(c, now)
                return
        # which records fail this attempt: poison ones always, others at the error rate
        c.fail_at = None
        er = self.error_rate
        for i, r in enumerate(batch):
            if r.poison or (er > 0.0 and self.uniform() < er):
                c.fail_at = i
                break
        error = c.fail_at is not None and not cfg.report_batch_item_failures
        m = self.metrics
        m.age(now, now - batch[-1].t, batch[-1].t >= m.warmup)
        if self.service.invoke(now, batch[0].t, c, error) != ADMITTED:
            # throttled: retried at the next poll, retries are not used up (§5, §8)
            if now >= m.warmup:
                m.throttled_batches += 1
            Timeout(self.sim, self.poll_s).callbacks.append(
                lambda _e: self._invoke(c, self.sim.now)
            )

    def _processed(self, c: _Consumer, records: list[Record], now: float) -> None:
        m = self.metrics
        for r in records:
            if c.key_seq.get(r.key, 0) >= r.seq:
                m.out_of_order += 1
            c.key_seq[r.key] = r.seq
            m.backlog[c.shard].down(now)
            if r.t >= m.warmup:
                m.processed += 1

    def batch_done(self, c: _Consumer, outcome: int, end: float) -> None:
        """The invoke of ``c``'s batch ended at ``end``."""
        batch = c.batch
        assert batch is not None
        cfg = self.cfg
        m = self.metrics
        if outcome == Outcome.SUCCEEDED and c.fail_at is None:
            self._processed(c, batch, end)
            self._next(c, end)
            return
        if outcome == Outcome.SUCCEEDED and c.fail_at is not None:
            # partial batch response: checkpoint before the first failure, retry the rest
            k = c.fail_at
            self._processed(c, batch[:k], end)
            del batch[:k]
        if cfg.bisect_batch_on_error and len(batch) > 1:
            half = len(batch) // 2
            c.pending.insert(0, batch[half:])
            c.batch = batch[:half]
            if end >= m.warmup:
                m.bisections += 1
            self._invoke(c, end)
            return
        c.retries += 1
        if cfg.max_retry_attempts != -1 and c.retries > cfg.max_retry_attempts:
            for r in batch:
                self._drop(c, r, end, "failure")
            self._failed_out(c, end, notify=True)
            return
        if end >= m.warmup:
            m.retries += 1
        self._invoke(c, end)

    def _failed_out(self, c: _Consumer, now: float, notify: bool) -> None:
        if notify and self.deliver_failure is not None:
            self.deliver_failure(now)  # one record per failed batch (metadata only, §8)
        self._next(c, now)

    def _next(self, c: _Consumer, now: float) -> None:
        if c.pending:
            c.batch = c.pending.pop(0)
            c.retries = 0
            self._invoke(c, now)
            return
        c.batch = None
        self.metrics.concurrency.down(now)
        if c.records:  # catching up: poll again at once
            self._poll(c)

    def remaining(self) -> int:
        """Records put after warm-up that are neither processed nor dropped."""
        warm = self.metrics.warmup
        n = 0
        for shard in self.consumers:
            for c in shard:
                n += sum(1 for r in c.records if r.t >= warm)
                for b in ([c.batch] if c.batch else []) + c.pending:
                    n += sum(1 for r in b if r.t >= warm)
        return n
