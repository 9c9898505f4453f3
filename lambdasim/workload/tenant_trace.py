"""CSV and Parquet traces with a tenant column (``arrivals.tenant_column``, issue 19).

Each row is one request of the tenant it names (AWS: the ``tenant-id`` of the invoke, a
string). The rows are read, selected, checked and windowed exactly as the csv / parquet reader
(:func:`lambdasim.workload.traces.tabular_events`) reads them — the same time conversion, bad-row
rules (``on_bad_row``), monotone check and ``start_s`` / ``end_s`` / ``speedup`` window — with the
tenant id of each row carried along: :func:`tenant_events` gives ``(time_s, duration_s or None,
tenant_id)``, durations scaled to the function's memory like
:func:`lambdasim.workload.replay.recorded_events`.

A tenant id is the cell's text (CSV cells are read as text, so ``007`` stays ``007``; integer
Parquet columns give ``"7"``). An empty cell is a bad row: a tenant-isolated function refuses an
invoke without a tenant id (Lambda guide, "tenant-isolation-invoke").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim.config import ConfigIssue, Function, Scenario
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.config.errors import MISSING
from lambdasim.config.tenancy import MAX_TENANTS
from lambdasim.workload.replay import recorded_duration_factor, trace_memory_mb
from lambdasim.workload.traces import CHUNK_ROWS, RowCheck, TraceError, table_chunks
from lambdasim.workload.traces.base import Monotone, Window
from lambdasim.workload.traces.tabular import _to_seconds

__all__ = ["TenantBlock", "tenant_blocks", "tenant_events", "tenant_trace_issues"]


@dataclass(frozen=True, slots=True)
class TenantBlock:
    """Consecutive requests: times (s from the start of the run), recorded durations (s, or
    None) and tenant ids (Python strings)."""

    times: NDArray[np.float64]
    durations: NDArray[np.float64] | None
    tenants: NDArray[np.object_]


def _columns(path: Path, fmt: str) -> list[str]:
    """The column names of a CSV or Parquet file (its header only)."""
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return list(pq.ParquetFile(path).schema_arrow.names)
        except Exception as exc:  # pyarrow raises several types for a non-Parquet file
            raise TraceError(f"{path}: not a Parquet file ({exc})") from None
    try:
        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    except (ValueError, UnicodeDecodeError) as exc:
        raise TraceError(f"{path}: not a CSV trace ({type(exc).__name__})") from None


def _chunks(path: Path, spec: TraceArrivals, cols: list[str]) -> Iterator[pd.DataFrame]:
    if spec.format == "parquet":
        yield from table_chunks(path, "parquet", cols)
        return
    tcol = str(spec.tenant_column)
    # the tenant column as text, and only an empty cell missing (a tenant may be called "NA")
    reader = pd.read_csv(
        path,
        usecols=cols,
        chunksize=CHUNK_ROWS,
        dtype={tcol: str},
        keep_default_na=False,
        na_values={tcol: [""]},
    )
    with reader:
        yield from reader


def _ids(col: pd.Series) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
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


def tenant_blocks(spec: TraceArrivals, path: Path) -> Iterator[TenantBlock]:
    """Blocks of the trace's requests with their tenant ids (see the module docstring).

    Raises
    ------
    TraceError
        A missing file or column, a bad row (with ``on_bad_row: error``), or more than
        :data:`~lambdasim.config.tenancy.MAX_TENANTS` distinct tenant ids.
    """
    tcol = spec.tenant_column
    assert tcol is not None
    dcol = spec.duration_column if spec.use_durations else None
    names = _columns(path, spec.format)
    if tcol not in names:
        raise TraceError(f"{path}: no column {tcol!r} (tenant_column; columns: {names})")
    if spec.function is not None and spec.function_column is None:
        raise TraceError(f"{path}: 'function' needs function_column to select rows")
    cols = [spec.time_column]
    for c in (spec.function_column, dcol, spec.payload_column, tcol):
        if c is not None and c not in cols:
            cols.append(c)
    checker = RowCheck(path, spec.on_bad_row == "skip")
    window, mono = Window(spec), Monotone()
    state: dict[str, Any] = {}
    seen: set[str] = set()
    line0 = 2  # the header is line 1 (Parquet rows are numbered the same way)
    for chunk in _chunks(path, spec, cols):
        lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
        line0 += len(chunk)
        if spec.function is not None and spec.function_column is not None:
            sel = (chunk[spec.function_column].astype(str) == spec.function).to_numpy()
            chunk, lines = chunk[sel], lines[sel]
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
        for c, what in ((dcol, "duration in seconds"), (spec.payload_column, "size in KB")):
            if c is not None:
                x = pd.to_numeric(chunk[c], errors="coerce").to_numpy(dtype=np.float64)
                bad = (~np.isfinite(x) | (x < 0)) & keep
                keep &= checker.check(bad, lines, c, chunk[c], f"must be a non-negative {what}")
        ids, missing = _ids(chunk[tcol])
        keep &= checker.check(
            missing & keep, lines, tcol, chunk[tcol], "must be a tenant id (non-empty text)"
        )
        d = (
            pd.to_numeric(chunk[dcol], errors="coerce").to_numpy(dtype=np.float64)
            if dcol is not None
            else None
        )
        if not keep.all():
            t, lines, ids, chunk = t[keep], lines[keep], ids[keep], chunk[keep]
            d = d[keep] if d is not None else None
        dec = mono.bad(t)
        if dec.any():
            ok = checker.check(
                dec, lines, tc, chunk[tc], f"timestamps must not decrease (sort the file by {tc})"
            )
            t, lines, ids = t[ok], lines[ok], ids[ok]
            d = d[ok] if d is not None else None
        mono.advance(t)
        # the window's own rule, applied to row positions so that every column follows it
        rt, pos, done = window.apply(t, np.arange(t.size, dtype=np.float64))
        at = pos.astype(np.int64) if pos is not None else np.zeros(0, dtype=np.int64)
        if at.size:
            seen.update(ids[at].tolist())
            if len(seen) > MAX_TENANTS:
                raise TraceError(
                    f"{path}:{int(lines[at[-1]])}: column '{tcol}': more than {MAX_TENANTS:,} "
                    "distinct tenant ids"
                )
            yield TenantBlock(rt, d[at] if d is not None else None, ids[at])
        if done:
            break
    checker.finish()


def tenant_events(
    spec: TraceArrivals, path: Path, fn: Function
) -> Iterator[tuple[float, float | None, str]]:
    """``(time_s, duration_s or None, tenant_id)`` of every request of a trace with a tenant
    column; recorded durations scaled to ``fn.memory_mb`` (its ``cpu_bound`` rule)."""
    factor = recorded_duration_factor(fn, trace_memory_mb(spec))
    for b in tenant_blocks(spec, path):
        tenants = b.tenants.tolist()
        if b.durations is None:
            yield from zip(b.times.tolist(), [None] * len(tenants), tenants, strict=True)
        else:
            d = b.durations * factor if factor != 1.0 else b.durations
            yield from zip(b.times.tolist(), d.tolist(), tenants, strict=True)


def tenant_trace_issues(scenario: Scenario) -> list[ConfigIssue]:
    """Preflight of the tenant columns: every such trace's header and first rows, read by
    :func:`tenant_blocks` (the run's reader), one issue per trace that fails."""
    out = []
    for i, w in enumerate(scenario.workloads):
        spec = w.arrivals
        if not isinstance(spec, TraceArrivals) or spec.tenant_column is None:
            continue
        try:
            next(iter(tenant_blocks(spec, scenario.resolve_path(spec.path))), None)
        except TraceError as exc:
            out.append(ConfigIssue(f"workloads.{i}.arrivals.tenant_column", str(exc), MISSING))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            what = f"{spec.path}: not a {spec.format} trace ({type(exc).__name__})"
            out.append(ConfigIssue(f"workloads.{i}.arrivals.tenant_column", what, MISSING))
    return out
