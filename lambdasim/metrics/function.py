"""Streaming metrics of one function: the outcome sink of the invoke path.

Counters by outcome, latency / duration / INIT histograms, billing totals and per-period series
named as in CloudWatch (aws-lambda-behaviour.md §11). Memory does not grow with invocations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lambdasim.metrics.core import Level, LogHistogram
from lambdasim.periods import Periods
from lambdasim.records import ROW, ThrottleReason
from lambdasim.units import billed_ms, billed_ms_sum

__all__ = ["FunctionMetrics"]


_pack = ROW.pack_into
_ROW_SIZE = ROW.size


class FunctionMetrics:
    """Everything measured for one function during one run.

    Requests that arrive before ``warmup_s`` are simulated but not counted; time-weighted
    statistics start at ``warmup_s``. Time-series periods cover the whole horizon.

    Finished invokes are packed into a buffer of doubles (:data:`lambdasim.records.ROW`, six
    each) and folded into the counters, histograms and per-period series with numpy every
    :data:`BATCH` rows: one C call per invocation instead of a dozen Python updates. Cold
    starts, suppressed inits and throttles are rare and counted directly. Call :meth:`close`
    before reading.
    """

    BATCH = 16384

    def __init__(self, name: str, periods: Periods) -> None:
        self.name = name
        self.periods = periods
        self.warmup = periods.warmup
        n = periods.n
        # counters over the statistics window (requests arriving at or after warm-up)
        self.arrivals = 0
        self.outcomes = [0, 0, 0, 0]  # indexed by lambdasim.records.Outcome
        self.throttle_events = 0  # every rejected attempt (CloudWatch Throttles)
        self.throttle_reasons = [0] * len(ThrottleReason)  # indexed by ThrottleReason
        self.cold_starts = 0  # counted when the invoke starts (the counter rule: started)
        self.started_n = 0  # invokes started (invocations_run)
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
        self.ts_invocations = np.zeros(n, dtype=np.int64)  # by start, counted at start
        self.ts_finished = np.zeros(n, dtype=np.int64)  # by start, counted at the end
        self.ts_errors = np.zeros(n, dtype=np.int64)
        self.ts_duration_sum = np.zeros(n, dtype=np.float64)
        self.ts_throttles = [0] * n
        self.ts_cold = [0] * n
        self.ts_init_sum = [0.0] * n
        self.concurrency = Level(periods.edges)
        self.environments = Level(periods.edges)
        #: Finished invokes, one ROW each (start, arrival, end, invoke_s, outcome, made for an
        #: event source), packed at byte :attr:`row_at` by :meth:`finished` or by the invoke
        #: path itself, which then calls :meth:`finished_cold` for a new environment and
        #: :meth:`flush` once ``row_at`` reaches :attr:`row_end`. Allocated once: a buffer
        #: grown and freed every batch cost a copy per growth step.
        self.rows = bytearray(ROW.size * self.BATCH)
        self.row_at = 0
        self.row_end = len(self.rows)
        #: Outcomes of invokes made for event sources (async attempts), by Outcome.
        self.source_outcomes = [0, 0, 0]
        #: Requests billed beyond one per invoke (async payloads above 256 KB, §6).
        self.extra_requests = 0

    # ------------------------------------------------------------------ sink methods

    def throttled(self, now: float, reason: int) -> None:
        """One attempt rejected with 429."""
        self.ts_throttles[self.periods.bin(now)] += 1
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
        at = self.row_at
        _pack(self.rows, at, e.start, e.arrival, end, e.invoke_s, e.outcome, e.caller is not None)
        self.row_at = at = at + _ROW_SIZE
        if e.cold:
            self.finished_cold(e)
        if at >= self.row_end:
            self.flush()

    def finished_cold(self, e: Any) -> None:
        """The finished invoke of environment ``e`` ran on a new environment (``e.cold``)."""
        if e.arrival >= self.warmup:
            # INIT billed under the rules from 2025-08-01 (aws-lambda-behaviour.md §10.2): the
            # extra milliseconds when INIT and invoke are rounded up together.
            inv = e.invoke_s
            self.init_billed_delta_ms += billed_ms(e.init_s + inv) - billed_ms(inv)

    def started(self, e: Any) -> None:
        """An invoke started on a new environment (``e.cold``) or re-ran INIT (``e.suppressed``).

        The counter rule (README "Results"): an invoke counts when it starts, if its request
        arrived at or after warm-up; the Invocations and ColdStarts series bin it by its start.
        So ``invocations_run``, ``cold_starts`` and the provisioned invocations / spillover all
        include invokes still running at the horizon, and ``cold_starts`` ≤ ``invocations_run``.
        Warm invokes are not reported when they start (that would cost the hot path a call
        per invoke): a finished one is counted from its row, one still running at the horizon
        by :meth:`running_at_end`, which the wiring calls for each at the end of the run.
        """
        self._started_init(e)

    def running_at_end(self, e: Any) -> None:
        """Environment ``e`` was still running its invoke at the horizon (written at close)."""
        self.ts_invocations[self.periods.bin(e.start)] += 1
        if e.arrival >= self.warmup:
            self.started_n += 1

    def _started_init(self, e: Any) -> None:
        """A new environment (``e.cold``) or a re-run INIT after a reset (``e.suppressed``)."""
        if e.cold:
            b = self.periods.bin(e.start)
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
        n = self.row_at // 8  # floats written
        if not n:
            return
        # a view, not a copy: everything below is done with it before the buffer is written
        # again (histograms bin at once and keep no array)
        a = np.frombuffer(self.rows, dtype=np.float64, count=n).reshape(-1, 6)
        self.row_at = 0
        start, arrival, end, inv, out, by_source = a.T
        bb = self.periods.bins(start)
        lo = int(bb.min())
        hi = int(bb.max()) + 1
        idx = bb - lo
        done = np.bincount(idx, minlength=hi - lo)
        self.ts_finished[lo:hi] += done
        self.ts_invocations[lo:hi] += done  # by start; in-flight ones are added at close
        self.ts_errors[lo:hi] += np.bincount(
            idx, weights=(out > 0).astype(np.float64), minlength=hi - lo
        ).astype(np.int64)
        self.ts_duration_sum[lo:hi] += np.bincount(idx, weights=inv, minlength=hi - lo)
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
        self.started_n += int(m.sum())  # invocations_run: finished here, in flight at close
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
        self.billed_ms += billed_ms_sum(inv)
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
        """Invokes started, sync and for event sources (CloudWatch Invocations), those still
        running at the horizon included (the counter rule of :meth:`started`)."""
        return self.started_n

    @property
    def invocations_finished(self) -> int:
        """Invokes that ended before the horizon (the denominator of mean Duration)."""
        return sum(self.outcomes[:3]) + sum(self.source_outcomes)

    @property
    def in_flight(self) -> int:
        """Counted sync requests without an outcome at the horizon."""
        return self.arrivals - sum(self.outcomes)
