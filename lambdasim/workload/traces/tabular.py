"""CSV and Parquet traces: one row per request, with a timestamp column and optional
function, duration_s, payload_kb and tenant (``tenant_column``) columns."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim.config.arrivals import TraceArrivals
from lambdasim.config.tenancy import MAX_TENANTS
from lambdasim.workload.traces.base import (
    CHUNK_ROWS,
    EventBlock,
    Monotone,
    RowCheck,
    Times,
    TraceError,
    Window,
)

__all__ = ["csv_timestamps", "table_chunks", "tabular_events", "tenant_ids"]


def table_chunks(
    path: Path, fmt: str, columns: list[str], text_column: str | None = None
) -> Iterator[pd.DataFrame]:
    """DataFrame chunks of ``columns`` from a CSV or Parquet file.

    ``text_column`` (CSV) is read as text with only an empty cell missing (a tenant id may be
    ``007`` or ``NA``).
    """
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
    text: dict[str, Any] = {}
    if text_column is not None:
        text = {
            "dtype": {text_column: str},
            "keep_default_na": False,
            "na_values": {text_column: [""]},
        }
    try:
        reader = pd.read_csv(path, usecols=columns, chunksize=CHUNK_ROWS, **text)
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


def tenant_ids(col: pd.Series) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """The tenant ids of a column as strings, and the mask of missing ones."""
    missing = col.isna().to_numpy()
    if pd.api.types.is_float_dtype(col.dtype):
        # an integer Parquet column with nulls arrives as floats: 7.0 is the tenant "7"
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        whole = np.isfinite(v) & (v == np.round(v))
        text = np.where(whole, np.nan_to_num(v).astype(np.int64).astype(str), v.astype(str))
    else:
        text = col.astype(str).to_numpy()
    ids = np.asarray(text, dtype=object)
    missing = missing | np.asarray([s == "" for s in ids.tolist()], dtype=bool)
    return ids, missing


def tabular_events(
    spec: TraceArrivals,
    path: Path,
    rng: np.random.Generator | None = None,
    *,
    durations: bool = True,
    tenants: bool = False,
) -> Iterator[EventBlock]:
    """Arrivals from a CSV or Parquet file with a timestamp column (optional function,
    duration_s and payload_kb columns); durations in seconds. ``rng`` is not used: every row
    is one request. With ``tenants``, each block also carries the rows' ids of
    ``spec.tenant_column`` (an empty cell is a bad row; more than
    :data:`~lambdasim.config.tenancy.MAX_TENANTS` distinct ids is an error)."""
    tcol = spec.tenant_column if tenants else None
    cols = [spec.time_column]
    for c in (
        spec.function_column,
        spec.duration_column if durations else None,
        spec.payload_column,
        tcol,
    ):
        if c is not None and c not in cols:
            cols.append(c)
    if spec.function is not None and spec.function_column is None:
        raise TraceError(f"{path}: 'function' needs function_column to select rows")
    checker = RowCheck(path, spec.on_bad_row == "skip")
    window = Window(spec)
    mono = Monotone()
    state: dict[str, Any] = {}
    seen: set[str] = set()  # distinct tenant ids
    line0 = 2  # header is line 1 (Parquet: row numbers from 2 as well, for one convention)
    for chunk in table_chunks(path, spec.format, cols, tcol):
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
        ids: NDArray[np.object_] | None = None
        if tcol is not None:
            ids, missing = tenant_ids(chunk[tcol])
            keep &= checker.check(
                missing & keep, lines, tcol, chunk[tcol], "must be a tenant id (non-empty text)"
            )
        if not keep.all():
            t, lines = t[keep], lines[keep]
            d = d[keep] if d is not None else None
            ids = ids[keep] if ids is not None else None
            chunk = chunk[keep]
        dec = mono.bad(t)
        if dec.any():
            keep = checker.check(
                dec, lines, tc, chunk[tc], f"timestamps must not decrease (sort the file by {tc})"
            )
            t, lines = t[keep], lines[keep]
            d = d[keep] if d is not None else None
            ids = ids[keep] if ids is not None else None
        mono.advance(t)
        if ids is None:
            rt, rd, done = window.apply(t, d)
            if rt.size:
                yield EventBlock(rt, rd)
        else:
            # the window's own rule, applied to row positions so that the ids follow it
            rt, pos, done = window.apply(t, np.arange(t.size, dtype=np.float64))
            at = pos.astype(np.int64) if pos is not None else np.zeros(0, dtype=np.int64)
            if at.size:
                seen.update(ids[at].tolist())
                if len(seen) > MAX_TENANTS:
                    raise TraceError(
                        f"{path}:{int(lines[at[-1]])}: column '{tcol}': more than "
                        f"{MAX_TENANTS:,} distinct tenant ids"
                    )
                yield EventBlock(rt, d[at] if d is not None else None, ids[at])
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
