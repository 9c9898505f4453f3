"""CSV and Parquet traces with a tenant column (``arrivals.tenant_column``, issue 19).

Each row is one request of the tenant it names (AWS: the ``tenant-id`` of the invoke, a
string). The rows are read, selected, checked and windowed by the csv / parquet reader itself
(:func:`lambdasim.workload.traces.tabular_events` with ``tenants=True``) — the same time
conversion, bad-row rules (``on_bad_row``), monotone check and ``start_s`` / ``end_s`` /
``speedup`` window — with the tenant id of each row carried along: :func:`tenant_events`
gives ``(time_s, duration_s or None, tenant_id)``, durations scaled to the function's memory like
:func:`lambdasim.workload.replay.recorded_events`.

A tenant id is the cell's text (CSV cells are read as text, so ``007`` stays ``007``; integer
Parquet columns give ``"7"``). An empty cell is a bad row: a tenant-isolated function refuses an
invoke without a tenant id (Lambda guide, "tenant-isolation-invoke").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from lambdasim.config import ConfigIssue, Function, Scenario
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.config.errors import MISSING
from lambdasim.workload.replay import recorded_duration_factor, trace_memory_mb
from lambdasim.workload.traces import TraceError
from lambdasim.workload.traces.base import EventBlock
from lambdasim.workload.traces.tabular import tabular_events

__all__ = ["tenant_blocks", "tenant_events", "tenant_trace_issues"]


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


def tenant_blocks(spec: TraceArrivals, path: Path) -> Iterator[EventBlock]:
    """Blocks of the trace's requests with their tenant ids (``EventBlock.tenants``): the
    csv / parquet reader with the tenant column (see the module docstring).

    Raises
    ------
    TraceError
        A missing file or column, a bad row (with ``on_bad_row: error``), or more than
        :data:`~lambdasim.config.tenancy.MAX_TENANTS` distinct tenant ids.
    """
    tcol = spec.tenant_column
    assert tcol is not None
    names = _columns(path, spec.format)
    if tcol not in names:  # named as the tenant column, not as any missing column
        raise TraceError(f"{path}: no column {tcol!r} (tenant_column; columns: {names})")
    return tabular_events(spec, path, durations=spec.use_durations, tenants=True)


def tenant_events(
    spec: TraceArrivals, path: Path, fn: Function
) -> Iterator[tuple[float, float | None, str]]:
    """``(time_s, duration_s or None, tenant_id)`` of every request of a trace with a tenant
    column; recorded durations scaled to ``fn.memory_mb`` (its ``cpu_bound`` rule)."""
    factor = recorded_duration_factor(fn, trace_memory_mb(spec))
    for b in tenant_blocks(spec, path):
        assert b.tenants is not None
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
