"""Trace events with their recorded handler durations (azure2021, pacs, a CSV ``duration_column``),
scaled for the memory the function runs at. The drivers that feed them into the simulation are
the service's (:mod:`lambdasim.service.router`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lambdasim.config import Function
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.units import cpu_duration_factor
from lambdasim.workload.traces import EventBlock, trace_events

__all__ = ["recorded_duration_factor", "recorded_events", "trace_memory_mb"]


def trace_memory_mb(spec: TraceArrivals) -> int | None:
    """Memory the trace's durations were recorded at, MB (``memory_mb``; pacs: 128)."""
    if spec.memory_mb is not None:
        return spec.memory_mb
    if spec.format == "pacs":
        from lambdasim.workload.traces import PACS_MEMORY_MB

        return PACS_MEMORY_MB
    return None


def recorded_duration_factor(fn: Function, recorded_mb: int | None) -> float:
    """Multiplier for durations recorded at ``recorded_mb`` when run at ``fn.memory_mb``.

    The memory-scaling rule of the function (aws-lambda-behaviour.md §3): its ``cpu_bound``
    fraction scales with the usable vCPUs ``min(memory/1769, 6, threads)`` (``duration.threads``).
    1.0 when the recorded memory is unknown (durations are taken as measured at the function's
    memory) or ``cpu_bound`` is 0.
    """
    if recorded_mb is None:
        return 1.0
    return cpu_duration_factor(
        fn.duration.cpu_bound, recorded_mb, fn.memory_mb, fn.duration.threads
    )


def _pairs(blocks: Iterator[EventBlock], factor: float) -> Iterator[tuple[float, float | None]]:
    for b in blocks:
        if b.durations is None:
            yield from ((t, None) for t in b.times.tolist())
        else:
            d = b.durations * factor if factor != 1.0 else b.durations
            yield from zip(b.times.tolist(), d.tolist(), strict=True)


def recorded_events(
    spec: TraceArrivals, path: Path, fn: Function
) -> Iterator[tuple[float, float | None]]:
    """``(time_s, duration_s)`` of every event of a trace, durations scaled to ``fn.memory_mb``.

    Parameters
    ----------
    spec : TraceArrivals
        The workload's trace arrivals.
    path : Path
        The trace file, resolved against the config's directory.
    fn : Function
        The function the events invoke (its memory and ``cpu_bound`` scale the durations).
    """
    # formats with recorded durations draw no random numbers: any generator will do
    blocks = trace_events(spec, path, np.random.default_rng(0))
    return _pairs(blocks, recorded_duration_factor(fn, trace_memory_mb(spec)))
