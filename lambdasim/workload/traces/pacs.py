"""The PACS Lab AWS Lambda logs (Mahmoudi & Khazaei, IEEE TCC 2020): one row per request.

Each ``res-*.csv`` row has the client's send time ``client_start_time`` (epoch seconds) and the
Lambda REPORT ``aws_duration`` (ms). Replay: an arrival at ``client_start_time`` minus the
earliest one, with the recorded duration (measured at 128 MB, the memory of the experiments).

100 client threads logged completions, so rows are out of start-time order by up to a response
time (under half a second in the shipped files). The reader sorts within a sliding window of
``reorder_s`` seconds (default 60) while streaming, which is exact as long as no row is later
than that; a row that is raises :class:`~lambdasim.workload.traces.TraceError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.base import CHUNK_ROWS, EventBlock, RowCheck, TraceError, Window

__all__ = ["PACS_MEMORY_MB", "pacs_events"]

#: Memory of the function in the PACS experiments (its README: python3.6, 128 MB).
PACS_MEMORY_MB = 128

_T, _D = "client_start_time", "aws_duration"


def pacs_events(
    spec: TraceArrivals,
    path: Path,
    rng: np.random.Generator | None = None,
    *,
    durations: bool = True,
) -> Iterator[EventBlock]:
    """Requests of a PACS ``res-*.csv`` log, in start order, with their Lambda durations (s).

    ``rng`` is not used: every row is one request.
    """
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    try:
        reader = pd.read_csv(path, usecols=[_T, _D], chunksize=CHUNK_ROWS)
    except ValueError as exc:
        raise TraceError(f"{path}: not a PACS log: expected columns {_T}, {_D} ({exc})") from None
    checker = RowCheck(path, spec.on_bad_row == "skip")
    window = Window(spec)
    lag = spec.reorder_s
    pend_t = np.empty(0)
    pend_d = np.empty(0)
    seen = -np.inf
    origin: float | None = None
    line0 = 2
    with reader:
        for chunk in reader:
            lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
            line0 += len(chunk)
            t = pd.to_numeric(chunk[_T], errors="coerce").to_numpy(np.float64)
            d = pd.to_numeric(chunk[_D], errors="coerce").to_numpy(np.float64) / 1000.0
            keep = checker.check(
                ~np.isfinite(t) | (t < 0),
                lines,
                _T,
                chunk[_T],
                "must be a non-negative epoch time in seconds",
            )
            keep &= checker.check(
                (~np.isfinite(d) | (d < 0)) & keep,
                lines,
                _D,
                chunk[_D],
                "must be a non-negative duration in ms",
            )
            t, d, lines = t[keep], d[keep], lines[keep]
            # late: more than `lag` before some earlier row (same rule whatever the chunking)
            prev = np.maximum.accumulate(np.concatenate(([seen], t)))[:-1]
            late = t < prev - lag
            if late.any():
                k = checker.check(
                    late, lines, _T, t, f"more than reorder_s={lag:g} s before a later row"
                )
                t, d = t[k], d[k]
            if t.size:
                seen = max(seen, float(t.max()))
            pend_t = np.concatenate((pend_t, t))
            pend_d = np.concatenate((pend_d, d))
            order = np.argsort(pend_t, kind="stable")
            pend_t, pend_d = pend_t[order], pend_d[order]
            if not pend_t.size:
                continue
            cut = int(np.searchsorted(pend_t, pend_t[-1] - lag, side="right"))
            if cut:
                out_t, out_d = pend_t[:cut], pend_d[:cut]
                pend_t, pend_d = pend_t[cut:], pend_d[cut:]
                if origin is None:
                    origin = float(out_t[0])
                block = _emit(out_t - origin, out_d, window, durations)
                if block is not None:
                    yield block
    if pend_t.size:
        if origin is None:
            origin = float(pend_t[0])
        block = _emit(pend_t - origin, pend_d, window, durations)
        if block is not None:
            yield block
    checker.finish()


def _emit(
    t: NDArray[np.float64], d: NDArray[np.float64], window: Window, durations: bool
) -> EventBlock | None:
    rt, rd, _ = window.apply(t, d if durations else None)
    return EventBlock(rt, rd) if rt.size else None
