"""Values and small protocols that cross module lines: outcome kinds and the sinks service talks to.

Service code (:mod:`lambdasim.service`) never imports :mod:`lambdasim.metrics`. Its collaborators
arrive through constructors, typed by the protocols here; :mod:`lambdasim.simulation` passes
the collectors of :mod:`lambdasim.metrics`. Events are reported with positional arguments
instead of one record object per invocation: at a million invocations a second-scale simulation
the allocation alone would cost more than the rest of the bookkeeping (architecture.md, "The
hot path").
"""

from __future__ import annotations

from enum import IntEnum
from struct import Struct
from typing import Any, Protocol

__all__ = [
    "ROW",
    "AsyncSink",
    "LevelSink",
    "MappingSink",
    "Outcome",
    "OutcomeSink",
    "ProvisionedSink",
    "QueueSink",
    "StreamSink",
    "ThrottleReason",
    "TopicSink",
    "Tracer",
]


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
    #: The account's synchronous requests-per-second quota (10 × account concurrency) is used
    #: up in this second. AWS documents no Reason value for it; lambdasim names it
    #: RequestsPerSecondLimitExceeded.
    REQUESTS_PER_SECOND = 3


class LevelSink(Protocol):
    """A time-weighted integer level (:class:`~lambdasim.metrics.core.Level`).

    The invoke path inlines :meth:`up` and :meth:`down` for speed, so the attributes are part
    of the protocol: ``n`` the level, ``edge`` the end of the current segment, ``s`` the sum of
    change times inside it, ``smax`` its maximum; :meth:`roll` closes segments.
    """

    n: int
    edge: float
    s: float
    smax: int

    def roll(self, t: float) -> None:
        """Close every segment that ends at or before ``t``."""

    def up(self, t: float) -> None:
        """The level rises by one at ``t``."""

    def down(self, t: float) -> None:
        """The level falls by one at ``t``."""


#: One finished invoke in an :class:`OutcomeSink`'s row buffer, six float64 (native order):
#: start, arrival, end, invoke_s, outcome, and 1 for an invoke made for an event source
#: (else 0). ``ROW.pack_into(buf, at, ...)`` converts the six values in C and writes them in
#: place: no list or tuple per invoke, and a buffer of plain doubles that the fold reads
#: without touching a Python object (issue 16: the list of floats it replaced made the fold
#: wait on memory, most as environments grow).
ROW = Struct("6d")


class OutcomeSink(Protocol):
    """Receiver of one function's invoke events (``metrics.function.FunctionMetrics``)."""

    warmup: float
    arrivals: int
    extra_requests: int
    #: Finished invokes, one :data:`ROW` each, packed from byte :attr:`row_at` on by the
    #: invoke path itself; :meth:`flush` folds ``rows[:row_at]`` and sets ``row_at`` to 0.
    rows: bytearray
    #: Bytes of ``rows`` written (a multiple of ``ROW.size``).
    row_at: int
    #: Call :meth:`flush` once ``row_at`` reaches this (the size of ``rows``, in bytes).
    row_end: int

    @property
    def concurrency(self) -> LevelSink:
        """A time-weighted level the service moves."""

    @property
    def environments(self) -> LevelSink:
        """A time-weighted level the service moves."""

    def throttled(self, now: float, reason: int) -> None:
        """One invoke attempt was rejected with a 429 at ``now``."""

    def rejected(self, arrival: float) -> None:
        """A request that arrived at ``arrival`` ended throttled (no attempts left)."""

    def started(self, e: Any) -> None:
        """An invoke started on a new environment or re-ran INIT after a reset."""

    def finished(self, e: Any, end: float) -> None:
        """The invoke environment ``e`` was serving ended at ``end``."""

    def finished_cold(self, e: Any) -> None:
        """The finished invoke (already in ``rows``) ran on a new environment."""

    def flush(self) -> None:
        """Fold ``rows`` into the statistics and empty it."""

    def running_at_end(self, e: Any) -> None:
        """Environment ``e`` was still running its invoke at the horizon."""


class Tracer(Protocol):
    """The opt-in per-invocation log (:class:`~lambdasim.tracing.InvocationLog`)."""

    def record(self, function: str, e: Any, end: float, outcome: int, invoke_s: float) -> None:
        """One finished invoke."""


class AsyncSink(Protocol):
    """Receiver of one function's async events (``metrics.async_.AsyncMetrics``)."""

    warmup: float

    @property
    def depth(self) -> LevelSink:
        """A time-weighted level the service moves."""

    def accepted(self, now: float, source: str, duplicate: bool) -> None:
        """An event entered the internal queue."""

    def invoked(self, now: float, accepted: float, retry: bool) -> None:
        """An attempt was admitted."""

    def succeeded_at(self, now: float, accepted: float) -> None:
        """The event's invoke succeeded."""

    def failed(self, now: float, accepted: float, reason: str, where: str, delivered: bool) -> None:
        """The event failed for ``reason`` and went ``where``."""

    def success_delivery_failed(self, now: float) -> None:
        """An on-success record could not be delivered."""


class QueueSink(Protocol):
    """Receiver of one SQS queue's events (``metrics.sqs.QueueMetrics``)."""

    warmup: float

    @property
    def visible(self) -> LevelSink:
        """A time-weighted level the service moves."""

    @property
    def not_visible(self) -> LevelSink:
        """A time-weighted level the service moves."""

    to_dlq: int
    to_dlq_unprocessed: int
    expired: int
    reprocessed: int

    def on_sent(self, now: float, chunks: int, counted: bool) -> None:
        """SendMessage of ``chunks`` 64-KB request units."""

    def on_received(self, now: float, messages: int, calls: int) -> None:
        """``messages`` received in ``calls`` ReceiveMessage calls."""

    def on_deleted(self, now: float, sent: float, counted: bool) -> None:
        """A message sent at ``sent`` was deleted."""

    def on_delete_calls(self, now: float, calls: int) -> None:
        """DeleteMessageBatch calls."""

    def on_empty_receives(self, now: float, n: int) -> None:
        """``n`` long polls returned nothing."""

    def on_oldest(self, now: float, age: float) -> None:
        """Sampled ApproximateAgeOfOldestMessage."""


class MappingSink(Protocol):
    """Receiver of an SQS event source mapping's events (``metrics.sqs.EsmMetrics``)."""

    warmup: float

    @property
    def concurrency(self) -> LevelSink:
        """A time-weighted level the service moves."""

    @property
    def pollers(self) -> LevelSink:
        """A time-weighted level the service moves."""

    throttled_batches: int
    failed_batches: int
    item_failures: int
    poller_seconds: float

    def on_batch(self, now: float, items: int) -> None:
        """A batch of ``items`` messages is invoked for the first time."""


class StreamSink(Protocol):
    """Receiver of one stream mapping's events (``metrics.streams.StreamMetrics``)."""

    warmup: float
    records: int
    processed: int
    to_on_failure: int
    age_exceeded: int
    expired: int
    batches: int
    retries: int
    bisections: int
    throttled_batches: int
    out_of_order: int

    @property
    def backlog(self) -> list[Any]:
        """One backlog level per shard."""

    @property
    def concurrency(self) -> LevelSink:
        """A time-weighted level the service moves."""

    def on_put(self, now: float) -> None:
        """A record was put."""

    def age(self, now: float, age: float, counted: bool) -> None:
        """IteratorAge of a batch sent at ``now``."""


class ProvisionedSink(Protocol):
    """Receiver of provisioned-concurrency events (``metrics.provisioned.ProvisionedMetrics``)."""

    warmup: float

    @property
    def busy(self) -> LevelSink:
        """A time-weighted level the service moves."""

    @property
    def allocated(self) -> LevelSink:
        """A time-weighted level the service moves."""

    @property
    def target(self) -> LevelSink:
        """A time-weighted level the service moves."""

    pc_billed_ms: int
    init_ms: int
    reinits: int

    def on_invocation(self, now: float, arrival: float, on_pc: bool) -> None:
        """An invoke started on PC or spilled over."""

    def on_enabled(self, start: float, end: float, environments: float) -> None:
        """PC environments were enabled from ``start`` to ``end``."""


class TopicSink(Protocol):
    """Receiver of records published to an SNS topic (``metrics.topics.TopicMetrics``)."""

    def on_published(self, now: float) -> None:
        """One record was published at ``now``."""
