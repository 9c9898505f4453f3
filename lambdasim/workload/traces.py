"""Replay of recorded traces, streamed in chunks (memory flat however long the trace).

:func:`trace_events` turns a ``kind: trace`` arrivals block into blocks of arrival times
(seconds from the start of the run) and, when the trace records them, handler durations
(seconds). Formats: ``csv`` and ``parquet`` here; ``azure2019`` and ``azure2021`` in
:mod:`.azure`, ``cloudwatch`` in :mod:`.cloudwatch`, ``pacs`` in :mod:`.pacs`.

A bad row (a value that is not a number, a negative time or duration, a timestamp earlier than
the previous one) raises :class:`TraceError` naming the file, line, column and value; with
``on_bad_row: skip`` it is left out and counted, and a :class:`TraceWarning` reports how many.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim.config.arrivals import TraceArrivals

__all__ = [
    "CHUNK_ROWS",
    "EventBlock",
    "RowCheck",
    "TraceError",
    "TraceWarning",
    "csv_timestamps",
    "tabular_events",
    "trace_events",
]

CHUNK_ROWS = 65536

Times = NDArray[np.float64]


class TraceError(ValueError):
    """A trace file that cannot be replayed (missing, wrong column, bad value, not sorted...)."""


class TraceWarning(UserWarning):
    """Something in a trace worth knowing (skipped rows, gaps, incomplete CloudWatch data)."""


@dataclass(frozen=True, slots=True)
class EventBlock:
    """Consecutive arrivals: times (s from the start of the run) and recorded durations (s)."""

    times: Times
    durations: Times | None = None


class RowCheck:
    """Bad-row policy of one trace: raise at the first bad row, or skip and count.

    Parameters
    ----------
    path : Path
        The file, for messages.
    skip : bool
        ``on_bad_row: skip``.
    """

    def __init__(self, path: Path, skip: bool) -> None:
        self.path = path
        self.skip = skip
        self.skipped = 0
        self.first: str | None = None

    def check(
        self, bad: NDArray[np.bool_], lines: NDArray[np.int64], column: str, values: Any, what: str
    ) -> NDArray[np.bool_]:
        """Handle rows flagged ``bad``; return the mask of rows to keep.

        ``lines`` are the rows' line numbers in the file (the header is line 1), ``values``
        the raw cells of ``column`` (for the message), ``what`` the rule they broke.
        """
        if not bad.any():
            return ~bad
        i = int(np.argmax(bad))
        raw = values.iloc[i] if hasattr(values, "iloc") else values[i]
        msg = f"{self.path}:{int(lines[i])}: column '{column}': {what} (got {_raw(raw)})"
        if not self.skip:
            raise TraceError(msg)
        self.skipped += int(bad.sum())
        if self.first is None:
            self.first = msg
        return ~bad

    def finish(self) -> None:
        """Warn how many rows were skipped (``on_bad_row: skip``)."""
        if self.skipped:
            warnings.warn(
                f"{self.path}: skipped {self.skipped} bad row(s) (on_bad_row: skip); "
                f"first: {self.first}",
                TraceWarning,
                stacklevel=2,
            )


def _raw(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "an empty cell"
    return repr(v.item() if isinstance(v, np.generic) else v)


class Window:
    """Maps trace seconds to run seconds: keep ``start_s <= t < end_s``, then
    ``(t - start_s) / speedup``."""

    def __init__(self, spec: TraceArrivals) -> None:
        self.start = spec.start_s
        self.end = spec.end_s if spec.end_s is not None else np.inf
        self.speedup = spec.speedup

    def apply(self, t: Times, d: Times | None) -> tuple[Times, Times | None, bool]:
        """Windowed run times, durations, and whether the end of the window was passed."""
        done = bool(t.size) and t[-1] >= self.end
        keep = (t >= self.start) & (t < self.end)
        if not keep.all():
            t = t[keep]
            d = d[keep] if d is not None else None
        if self.start != 0.0 or self.speedup != 1.0:
            t = (t - self.start) / self.speedup
        return t, d, done


class Monotone:
    """Checks that selected timestamps never decrease, across chunks."""

    def __init__(self) -> None:
        self.last = -np.inf

    def bad(self, t: Times) -> NDArray[np.bool_]:
        """Rows earlier than some row before them (NaNs are not flagged here)."""
        if not t.size:
            return np.zeros(0, dtype=bool)
        prev = np.maximum.accumulate(
            np.concatenate(([self.last], np.nan_to_num(t[:-1], nan=-np.inf)))
        )
        return t < prev

    def advance(self, t: Times) -> None:
        if t.size:
            self.last = max(self.last, float(np.nanmax(t)))


def trace_events(
    spec: TraceArrivals,
    path: Path,
    rng: np.random.Generator,
    *,
    use_durations: bool = True,
) -> Iterator[EventBlock]:
    """Blocks of arrivals (and recorded durations) of a ``kind: trace`` workload.

    Parameters
    ----------
    spec : TraceArrivals
        The arrivals block.
    path : Path
        ``spec.path`` resolved against the config file.
    rng : numpy.random.Generator
        The workload's stream (spreading per-minute counts, Poisson periods).
    use_durations : bool
        Read recorded durations (when the format has them and ``spec.use_durations``).
    """
    want = use_durations and spec.use_durations
    fmt = spec.format
    if fmt in ("csv", "parquet"):
        return tabular_events(spec, path, durations=want)
    if fmt == "azure2019":
        from lambdasim.workload.azure import azure2019_events

        return azure2019_events(spec, path, rng)
    if fmt == "azure2021":
        from lambdasim.workload.azure import azure2021_events

        return azure2021_events(spec, path, durations=want)
    if fmt == "cloudwatch":
        from lambdasim.workload.cloudwatch import cloudwatch_events

        return cloudwatch_events(spec, path, rng)
    if fmt == "pacs":
        from lambdasim.workload.pacs import pacs_events

        return pacs_events(spec, path, durations=want)
    raise TraceError(f"unknown trace format {fmt!r}")


def _chunks(path: Path, fmt: str, columns: list[str]) -> Iterator[pd.DataFrame]:
    """DataFrame chunks of ``columns`` from a CSV or Parquet file."""
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises several types for a non-Parquet file
            raise TraceError(f"{path}: not a Parquet file ({exc})") from None
        names = pf.schema_arrow.names
        missing = [c for c in columns if c not in names]
        if missing:
            raise TraceError(f"{path}: no column {missing[0]!r} (columns: {names})")
        for batch in pf.iter_batches(batch_size=CHUNK_ROWS, columns=columns):
            yield batch.to_pandas()
        return
    try:
        reader = pd.read_csv(path, usecols=columns, chunksize=CHUNK_ROWS)
    except ValueError as exc:
        raise TraceError(f"{path}: missing column ({exc})") from None
    with reader:
        yield from reader


def _to_seconds(col: pd.Series, spec: TraceArrivals, state: dict[str, Any]) -> Times:
    """Trace seconds of a time column: numbers × ``time_scale``, or ISO datetimes after
    ``origin`` (default: the first timestamp). NaN where a cell cannot be read."""
    if "iso" not in state:
        # decided once, from the first cells: one bad cell must not flip the whole file
        sample = col.dropna().iloc[:100]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            state["iso"] = True
        elif pd.api.types.is_numeric_dtype(col.dtype) or not len(sample):
            state["iso"] = False
        else:
            state["iso"] = float(pd.to_numeric(sample, errors="coerce").notna().mean()) < 0.5
    if not state["iso"]:
        return pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64) * spec.time_scale
    ts = pd.to_datetime(col, utc=True, errors="coerce", format="ISO8601")
    if "origin" not in state:
        if spec.origin is not None:
            o = spec.origin if spec.origin.tzinfo else spec.origin.replace(tzinfo=UTC)
            state["origin"] = pd.Timestamp(o)
        else:
            valid = ts.dropna()
            state["origin"] = valid.iloc[0] if len(valid) else pd.Timestamp(0, tz="UTC")
    secs = (ts - state["origin"]).dt.total_seconds()
    out: Times = secs.to_numpy(dtype=np.float64, na_value=np.nan)
    return out


def tabular_events(
    spec: TraceArrivals, path: Path, *, durations: bool = True
) -> Iterator[EventBlock]:
    """Arrivals from a CSV or Parquet file with a timestamp column (optional function,
    duration_s and payload_kb columns)."""
    cols = [spec.time_column]
    for c in (
        spec.function_column,
        spec.duration_column if durations else None,
        spec.payload_column,
    ):
        if c is not None and c not in cols:
            cols.append(c)
    if spec.function is not None and spec.function_column is None:
        raise TraceError(f"{path}: 'function' needs function_column to select rows")
    checker = RowCheck(path, spec.on_bad_row == "skip")
    window = Window(spec)
    mono = Monotone()
    state: dict[str, Any] = {}
    line0 = 2  # header is line 1 (Parquet: row numbers from 2 as well, for one convention)
    for chunk in _chunks(path, spec.format, cols):
        lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
        line0 += len(chunk)
        if spec.function is not None and spec.function_column is not None:
            sel = (chunk[spec.function_column].astype(str) == spec.function).to_numpy()
            chunk = chunk[sel]
            lines = lines[sel]
        if not len(chunk):
            continue
        tc = spec.time_column
        t = _to_seconds(chunk[tc], spec, state)
        keep = checker.check(
            ~np.isfinite(t) | (t < 0),
            lines,
            tc,
            chunk[tc],
            "must be a non-negative number of seconds or an ISO datetime",
        )
        d: Times | None = None
        if durations and spec.duration_column is not None:
            dc = spec.duration_column
            d = pd.to_numeric(chunk[dc], errors="coerce").to_numpy(dtype=np.float64)
            keep &= checker.check(
                (~np.isfinite(d) | (d < 0)) & keep,
                lines,
                dc,
                chunk[dc],
                "must be a non-negative duration in seconds",
            )
        if spec.payload_column is not None:
            pc = spec.payload_column
            p = pd.to_numeric(chunk[pc], errors="coerce").to_numpy(dtype=np.float64)
            keep &= checker.check(
                (~np.isfinite(p) | (p < 0)) & keep,
                lines,
                pc,
                chunk[pc],
                "must be a non-negative size in KB",
            )
        if not keep.all():
            t, lines = t[keep], lines[keep]
            d = d[keep] if d is not None else None
            chunk = chunk[keep]
        dec = mono.bad(t)
        if dec.any():
            keep = checker.check(
                dec, lines, tc, chunk[tc], f"timestamps must not decrease (sort the file by {tc})"
            )
            t = t[keep]
            d = d[keep] if d is not None else None
        mono.advance(t)
        rt, rd, done = window.apply(t, d)
        if rt.size:
            yield EventBlock(rt, rd)
        if done:
            break
    checker.finish()


def csv_timestamps(path: Path, time_column: str = "timestamp") -> Iterator[Times]:
    """Arrival times (seconds from the start of the run) from a CSV, chunk by chunk.

    Raises
    ------
    TraceError
        If the file or column is missing, a value is not a finite non-negative number, or the
        timestamps decrease.
    """
    spec = TraceArrivals(kind="trace", path=str(path), time_column=time_column)
    return (b.times for b in tabular_events(spec, path, durations=False))
