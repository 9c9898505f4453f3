"""Streaming metrics: memory does not grow with the number of invocations.

* :class:`LogHistogram` — a DDSketch-style log-bucket histogram with a relative-error bound
  (α = 1 %): any quantile is within 1 % of the exact sample quantile; histograms merge by adding
  their counts.
* :class:`Level` — a time-weighted level (concurrency, live environments): exact integral and
  maximum, per output period and over the statistics window.
* :class:`FunctionMetrics` — the :class:`lambdasim.records.OutcomeSink` of one function:
  counters by outcome, histograms, billing totals and a per-period time series named as in
  CloudWatch (aws-lambda-behaviour.md §11).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lambdasim.units import BILLING_EPS_MS, billed_ms

__all__ = [
    "AsyncMetrics",
    "FunctionMetrics",
    "Level",
    "LogHistogram",
    "make_edges",
    "period_stats",
    "window_stats",
]


class LogHistogram:
    """Log-bucket histogram of positive values (seconds) with relative accuracy ``alpha``.

    Bucket ``i`` holds values in ``(γ^(i-1), γ^i]`` with ``γ = (1+α)/(1−α)``; the quantile
    estimate ``2γ^i/(γ+1)`` is then within ``α`` of every value in the bucket. Values at or below
    ``min_value`` (e.g. exact zeros) share one bucket whose estimate is 0.

    Values are appended to a Python list (cheap in the hot path) and binned with numpy when
    the buffer holds ``buffer`` values, so memory stays bounded.

    Parameters
    ----------
    alpha : float
        Relative accuracy, default 0.01 (1 %).
    min_value, max_value : float
        Range covered, seconds; larger values are clamped into the top bucket.
    """

    def __init__(
        self,
        alpha: float = 0.01,
        min_value: float = 1e-6,
        max_value: float = 1e6,
        buffer: int = 65536,
    ) -> None:
        self.alpha = alpha
        self.gamma = (1 + alpha) / (1 - alpha)
        self._lg = math.log(self.gamma)
        self.min_value = min_value
        self._offset = math.ceil(math.log(min_value) / self._lg)
        n = math.ceil(math.log(max_value) / self._lg) - self._offset + 2
        self.counts: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self._buf: list[float] = []
        self._buffer = buffer
        #: Append one value (seconds); bound method for the hot path.
        self.add = self._buf.append

    def add_many(self, values: Sequence[float] | NDArray[np.float64]) -> None:
        """Add many values at once."""
        self._flush()
        self._bin(np.asarray(values, dtype=np.float64))

    def _flush(self) -> None:
        if self._buf:
            self._bin(np.asarray(self._buf, dtype=np.float64))
            self._buf.clear()

    def maybe_flush(self) -> None:
        """Bin buffered values if the buffer is full (called periodically by the owner)."""
        if len(self._buf) >= self._buffer:
            self._flush()

    def _bin(self, x: NDArray[np.float64]) -> None:
        if x.size == 0:
            return
        idx = np.zeros(x.size, dtype=np.int64)
        pos = x > self.min_value
        idx[pos] = np.ceil(np.log(x[pos]) / self._lg).astype(np.int64) - self._offset + 1
        np.clip(idx, 0, self.counts.size - 1, out=idx)
        self.counts += np.bincount(idx, minlength=self.counts.size)

    @property
    def count(self) -> int:
        """Number of values added."""
        return int(self.counts.sum()) + len(self._buf)

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        """Quantiles for probabilities ``qs`` in [0, 1]; NaN when empty.

        Uses the lower empirical quantile (the value of rank ``ceil(q·n)``), so a quantile lies
        within ``alpha`` of a sample value of that rank.
        """
        self._flush()
        n = int(self.counts.sum())
        if n == 0:
            return [math.nan for _ in qs]
        cum = np.cumsum(self.counts)
        out = []
        for q in qs:
            rank = max(1, math.ceil(q * n - 1e-9))
            i = int(np.searchsorted(cum, rank))
            out.append(self._value(i))
        return out

    def _value(self, i: int) -> float:
        if i == 0:
            return 0.0
        k = i - 1 + self._offset
        return 2.0 * self.gamma**k / (self.gamma + 1.0)

    def merge(self, other: LogHistogram) -> None:
        """Add ``other``'s counts into this histogram (same alpha and range)."""
        other._flush()
        self._flush()
        if other.counts.shape != self.counts.shape or other.alpha != self.alpha:
            raise ValueError("histograms with different alpha or range cannot be merged")
        self.counts += other.counts


class Level:
    """A piecewise-constant integer level over time (busy or live environments), exact.

    Changes must come in non-decreasing time order. The timeline is cut at ``edges`` (the ends
    of output periods, the end of the warm-up and the horizon); for each segment the integral
    and the maximum are kept.

    The integral of a segment ``[a, b]`` is computed when it closes as
    ``n(b)·b − n(a)·a − Σ δ·t`` over the changes ``δ`` at times ``t`` inside it, so a change
    costs one addition instead of an area update (the hot path calls this twice per invoke).

    Parameters
    ----------
    edges : sequence of float
        Increasing segment end times; the last must be the horizon.
    """

    __slots__ = ("_edges", "_i", "a", "edge", "n", "na", "s", "seg_area", "seg_max", "smax")

    def __init__(self, edges: Sequence[float]) -> None:
        self._edges = list(edges)
        self._i = 0
        self.edge = self._edges[0]
        self.n = 0  # current level
        self.a = 0.0  # start of the current segment
        self.na = 0  # level at its start
        self.s = 0.0  # Σ δ·t of changes inside it
        self.smax = 0  # max within it
        self.seg_area: list[float] = []
        self.seg_max: list[int] = []

    def roll(self, t: float) -> None:
        """Close every segment that ends at or before ``t``."""
        edges = self._edges
        while t >= self.edge:
            b = self.edge
            self.seg_area.append(self.n * b - self.na * self.a - self.s)
            self.seg_max.append(self.smax)
            self.a = b
            self.na = self.n
            self.s = 0.0
            self.smax = self.n
            self._i += 1
            self.edge = edges[self._i] if self._i < len(edges) else math.inf

    def up(self, t: float) -> None:
        """The level rises by one at time ``t``."""
        if t >= self.edge:
            self.roll(t)
        n = self.n + 1
        self.n = n
        self.s += t
        if n > self.smax:
            self.smax = n

    def down(self, t: float) -> None:
        """The level falls by one at time ``t``."""
        if t >= self.edge:
            self.roll(t)
        self.n -= 1
        self.s -= t


def window_stats(
    level: Level, edges: Sequence[float], warmup: float, horizon: float
) -> tuple[float, int]:
    """Time-weighted mean and max of a closed level over [warmup, horizon]."""
    area = 0.0
    mx = 0
    for end, a, m in zip(edges, level.seg_area, level.seg_max, strict=False):
        if end > warmup:
            area += a
            mx = max(mx, m)
    return area / (horizon - warmup), mx


def period_stats(
    level: Level, edges: Sequence[float], step: float, n: int, horizon: float
) -> tuple[list[float], list[int]]:
    """Per-period time-weighted mean and max of a closed level (``n`` periods of ``step``)."""
    area = [0.0] * n
    mx = [0] * n
    prev = 0.0
    for end, a, m in zip(edges, level.seg_area, level.seg_max, strict=False):
        k = min(n - 1, int(prev / step + 1e-9))
        area[k] += a
        if m > mx[k]:
            mx[k] = m
        prev = end
    means = [area[k] / (min(horizon, (k + 1) * step) - k * step) for k in range(n)]
    return means, mx


def make_edges(horizon_s: float, step_s: float, warmup_s: float) -> tuple[list[float], int]:
    """Segment ends for :class:`Level`: period ends, the warm-up end and the horizon.

    Returns the edges and the number of output periods.
    """
    n = max(1, math.ceil(horizon_s / step_s - 1e-9))
    edges = {min(horizon_s, (k + 1) * step_s) for k in range(n)}
    if 0 < warmup_s < horizon_s:
        edges.add(warmup_s)
    return sorted(edges), n


class FunctionMetrics:
    """Everything measured for one function during one run.

    Requests that arrive before ``warmup_s`` are simulated but not counted; time-weighted
    statistics start at ``warmup_s``. Time-series periods cover the whole horizon.

    Finished invokes are appended to a flat row buffer (five floats each) and folded into the
    counters, histograms and per-period series with numpy every :data:`BATCH` rows: a handful of
    list appends per invocation instead of a dozen Python updates. Cold starts, suppressed
    inits and throttles are rare and counted directly. Call :meth:`close` before reading.
    """

    BATCH = 16384

    def __init__(
        self, name: str, horizon_s: float, warmup_s: float, step_s: float, edges: list[float]
    ) -> None:
        self.name = name
        self.warmup = warmup_s
        self.step = step_s
        self.inv_step = 1.0 / step_s
        self.n_periods = max(1, math.ceil(horizon_s / step_s - 1e-9))
        n = self.n_periods
        # counters over the statistics window (requests arriving at or after warm-up)
        self.arrivals = 0
        self.outcomes = [0, 0, 0, 0]  # indexed by lambdasim.records.Outcome
        self.throttle_events = 0  # every rejected attempt (CloudWatch Throttles)
        self.throttle_reasons = [0, 0, 0]
        self.cold_starts = 0  # counted when the invoke starts
        self.cold_finished = 0  # cold starts among invokes that finished
        self.suppressed_inits = 0
        self.latency_sum = 0.0
        self.duration_sum = 0.0
        self.init_sum = 0.0
        self.billed_ms = 0
        self.init_billed_delta_ms = 0
        self.latency = LogHistogram()
        self.duration = LogHistogram()
        self.init = LogHistogram()
        # per-period series over the whole horizon
        self.ts_invocations = np.zeros(n, dtype=np.int64)
        self.ts_errors = np.zeros(n, dtype=np.int64)
        self.ts_duration_sum = np.zeros(n, dtype=np.float64)
        self.ts_throttles = [0] * n
        self.ts_cold = [0] * n
        self.ts_init_sum = [0.0] * n
        self.concurrency = Level(edges)
        self.environments = Level(edges)
        self._rows: list[float] = []
        self._rows_extend = self._rows.extend
        self._limit = 6 * self.BATCH
        #: Outcomes of invokes made for event sources (async attempts), by Outcome.
        self.source_outcomes = [0, 0, 0]
        #: Requests billed beyond one per invoke (async payloads above 256 KB, §6).
        self.extra_requests = 0

    # ------------------------------------------------------------------ sink methods

    def throttled(self, now: float, reason: int) -> None:
        """One attempt rejected with 429."""
        b = int(now * self.inv_step)
        if b < self.n_periods:
            self.ts_throttles[b] += 1
        if now >= self.warmup:
            self.throttle_events += 1
            self.throttle_reasons[reason] += 1

    def rejected(self, arrival: float) -> None:
        """A request ended throttled (no attempts left)."""
        if arrival >= self.warmup:
            self.outcomes[3] += 1

    def finished(self, e: Any, end: float) -> None:
        """The invoke that environment ``e`` was serving ended at ``end``.

        Reads ``e.start``, ``e.arrival``, ``e.outcome``, ``e.cold``, ``e.init_s`` (INIT of a new
        environment), ``e.invoke_s`` (CloudWatch Duration: handler plus any suppressed INIT) and
        ``e.suppressed``; keeps no reference to ``e``.
        """
        # the 6th column marks invokes made for an event source (async, SQS), not a sync request
        self._rows_extend((e.start, e.arrival, end, e.invoke_s, e.outcome, e.caller is not None))
        if e.cold and e.arrival >= self.warmup:
            self.cold_finished += 1  # the numerator of cold_start_rate (finished invokes)
            # INIT billed under the rules from 2025-08-01 (aws-lambda-behaviour.md §10.2): the
            # extra milliseconds when INIT and invoke are rounded up together.
            inv = e.invoke_s
            self.init_billed_delta_ms += billed_ms(e.init_s + inv) - billed_ms(inv)
        if len(self._rows) >= self._limit:
            self.flush()

    def started_init(self, e: Any) -> None:
        """An invoke started on a new environment (``e.cold``) or re-ran INIT after a reset.

        Counted when the invoke starts, so cold starts still running at the horizon are in
        the ColdStarts series and counts.
        """
        if e.cold:
            b = int(e.start * self.inv_step)
            if b < self.n_periods:
                self.ts_cold[b] += 1
                self.ts_init_sum[b] += e.init_s
        if e.arrival < self.warmup:
            return
        if e.suppressed:
            self.suppressed_inits += 1
        if e.cold:
            self.cold_starts += 1
            self.init_sum += e.init_s
            self.init.add(e.init_s)

    def flush(self) -> None:
        """Fold buffered rows into counters, histograms and series."""
        if not self._rows:
            return
        a = np.array(self._rows, dtype=np.float64).reshape(-1, 6)
        self._rows.clear()
        start, arrival, end, inv, out, by_source = a.T
        b = (start * self.inv_step).astype(np.int64)
        keep = b < self.n_periods
        if keep.any():
            bb = b[keep]
            lo = int(bb.min())
            hi = int(bb.max()) + 1
            idx = bb - lo
            self.ts_invocations[lo:hi] += np.bincount(idx, minlength=hi - lo)
            self.ts_errors[lo:hi] += np.bincount(
                idx, weights=(out[keep] > 0).astype(np.float64), minlength=hi - lo
            ).astype(np.int64)
            self.ts_duration_sum[lo:hi] += np.bincount(idx, weights=inv[keep], minlength=hi - lo)
        m = arrival >= self.warmup
        if not m.all():
            start, arrival, end, inv, out, by_source = (
                start[m],
                arrival[m],
                end[m],
                inv[m],
                out[m],
                by_source[m],
            )
        sync = by_source == 0
        oc = np.bincount(out[sync].astype(np.int64), minlength=3)
        for k in range(3):
            self.outcomes[k] += int(oc[k])
        oc = np.bincount(out[~sync].astype(np.int64), minlength=3)
        for k in range(3):
            self.source_outcomes[k] += int(oc[k])
        self.duration_sum += float(inv.sum())
        self.duration.add_many(inv)
        # Lambda bills whole milliseconds, rounded up (aws-lambda-behaviour.md §10.1).
        self.billed_ms += billed_ms_array(inv)
        ok = (out == 0) & sync  # client-observed latency of sync requests
        lat = end[ok] - arrival[ok]
        self.latency_sum += float(lat.sum())
        self.latency.add_many(lat)

    def close(self, horizon_s: float) -> None:
        """Flush buffers and close the time-weighted levels at the horizon."""
        self.flush()
        self.concurrency.roll(horizon_s)
        self.environments.roll(horizon_s)

    @property
    def invocations_run(self) -> int:
        """Invokes that ran, sync and for event sources (CloudWatch Invocations)."""
        return sum(self.outcomes[:3]) + sum(self.source_outcomes)

    @property
    def in_flight(self) -> int:
        """Counted sync requests without an outcome at the horizon."""
        return self.arrivals - sum(self.outcomes)


def billed_ms_array(durations_s: NDArray[np.float64]) -> int:
    """Σ of billed milliseconds, each duration rounded up to 1 ms (vector form of
    :func:`lambdasim.units.billed_ms`)."""
    return int(np.ceil(durations_s * 1000.0 - BILLING_EPS_MS).astype(np.int64).sum())


#: Why an asynchronous event failed (the ``condition`` of AWS's destination record, §6).
FAILURE_REASONS = ("RetriesExhausted", "EventAgeExceeded", "ReservedConcurrencyZero")


class AsyncMetrics:
    """Asynchronous invocation of one function: the internal queue and its outcomes.

    Events accepted before ``warmup_s`` are simulated but not counted. Per-period series use
    CloudWatch's names (AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped,
    DeadLetterErrors, DestinationDeliveryFailures; aws-lambda-behaviour.md §6, §11).
    """

    def __init__(
        self, name: str, horizon_s: float, warmup_s: float, step_s: float, edges: list[float]
    ) -> None:
        self.name = name
        self.warmup = warmup_s
        self.inv_step = 1.0 / step_s
        n = max(1, math.ceil(horizon_s / step_s - 1e-9))
        self.n_periods = n
        self.received = 0
        self.duplicates = 0
        self.attempts = 0
        self.retries = 0
        self.succeeded = 0
        self.to_dlq = 0
        self.to_on_failure = 0
        self.dropped = 0
        self.reasons = dict.fromkeys(FAILURE_REASONS, 0)
        self.dead_letter_errors = 0
        self.destination_delivery_failures = 0
        self.sources: dict[str, int] = {}
        self.age = LogHistogram()
        self.age_max = 0.0
        self.latency = LogHistogram()
        self.depth = Level(edges)  # events waiting in the internal queue (ready or delayed)
        self.ts_received = [0] * n
        self.ts_dropped = [0] * n
        self.ts_age_sum = [0.0] * n
        self.ts_age_n = [0] * n
        self.ts_dlq_errors = [0] * n
        self.ts_destination_failures = [0] * n

    def _bin(self, t: float) -> int:
        b = int(t * self.inv_step)
        return b if b < self.n_periods else self.n_periods - 1

    def accepted(self, now: float, source: str, duplicate: bool) -> None:
        """An event entered the internal queue (AsyncEventsReceived)."""
        self.ts_received[self._bin(now)] += 1
        if now < self.warmup:
            return
        if duplicate:
            self.duplicates += 1
        else:
            self.received += 1
            self.sources[source] = self.sources.get(source, 0) + 1

    def invoked(self, now: float, accepted: float, retry: bool) -> None:
        """An attempt was admitted ``now - accepted`` after acceptance (AsyncEventAge)."""
        age = now - accepted
        b = self._bin(now)
        self.ts_age_sum[b] += age
        self.ts_age_n[b] += 1
        if accepted < self.warmup:
            return
        self.attempts += 1
        if retry:
            self.retries += 1
        self.age.add(age)
        if age > self.age_max:
            self.age_max = age

    def succeeded_at(self, now: float, accepted: float) -> None:
        """The event's invoke succeeded at ``now``."""
        if accepted < self.warmup:
            return
        self.succeeded += 1
        self.latency.add(now - accepted)

    def failed(self, now: float, accepted: float, reason: str, where: str, delivered: bool) -> None:
        """The event failed for ``reason``; ``where`` is ``on_failure``, ``dlq`` or ``none``."""
        b = self._bin(now)
        self.ts_dropped[b] += 1  # AsyncEventsDropped counts every event that never succeeded
        if not delivered and where == "dlq":
            self.ts_dlq_errors[b] += 1
        if not delivered and where == "on_failure":
            self.ts_destination_failures[b] += 1
        if accepted < self.warmup:
            return
        self.reasons[reason] += 1
        if where == "on_failure" and delivered:
            self.to_on_failure += 1
        elif where == "dlq" and delivered:
            self.to_dlq += 1
        else:
            self.dropped += 1
        if not delivered and where == "dlq":
            self.dead_letter_errors += 1
        if not delivered and where == "on_failure":
            self.destination_delivery_failures += 1

    def success_delivery_failed(self, now: float) -> None:
        """An on-success record could not be delivered (DestinationDeliveryFailures)."""
        self.ts_destination_failures[self._bin(now)] += 1
        if now >= self.warmup:
            self.destination_delivery_failures += 1
