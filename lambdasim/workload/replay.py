"""Driving sync requests whose handler durations come from the trace (azure2021, pacs, a CSV
``duration_column``): each arrival invokes with its recorded duration, scaled for memory."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from lambdasim.clock import Wakeup
from lambdasim.config import Function
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.service.invoke import ADMITTED
from lambdasim.service.router import SyncFrontDoor
from lambdasim.units import cpu_duration_factor
from lambdasim.workload.traces import EventBlock

__all__ = [
    "AsyncRecordedDriver",
    "RecordedDurationDriver",
    "recorded_duration_factor",
    "trace_memory_mb",
]


def trace_memory_mb(spec: TraceArrivals) -> int | None:
    """Memory the trace's durations were recorded at, MB (``memory_mb``; pacs: 128)."""
    if spec.memory_mb is not None:
        return spec.memory_mb
    if spec.format == "pacs":
        from lambdasim.workload.pacs import PACS_MEMORY_MB

        return PACS_MEMORY_MB
    return None


def recorded_duration_factor(fn: Function, recorded_mb: int | None) -> float:
    """Multiplier for durations recorded at ``recorded_mb`` when run at ``fn.memory_mb``.

    The memory-scaling rule of the function (aws-lambda-behaviour.md §3): its ``cpu_bound``
    fraction scales with the vCPU share ``min(memory/1769, 6)``. 1.0 when the recorded memory
    is unknown (durations are taken as measured at the function's memory) or ``cpu_bound`` is 0.
    """
    if recorded_mb is None:
        return 1.0
    return cpu_duration_factor(fn.duration.cpu_bound, recorded_mb, fn.memory_mb)


def _pairs(blocks: Iterator[EventBlock], factor: float) -> Iterator[tuple[float, float | None]]:
    for b in blocks:
        if b.durations is None:
            yield from ((t, None) for t in b.times.tolist())
        else:
            d = b.durations * factor if factor != 1.0 else b.durations
            yield from zip(b.times.tolist(), d.tolist(), strict=True)


class RecordedDurationDriver:
    """Feeds a trace's sync requests, each with its recorded duration, into a function.

    Parameters
    ----------
    sim : simpy.Environment
        The simulation clock.
    blocks : iterator of EventBlock
        Arrival times (s) and recorded durations (s).
    door : SyncFrontDoor
        The function's sync front door (client retries keep the recorded duration).
    metrics : FunctionMetrics
        Counts arrivals after the warm-up.
    horizon, warmup : float
        End of the run and of the warm-up, seconds.
    factor : float
        Memory scaling of the recorded durations (:func:`recorded_duration_factor`).
    """

    __slots__ = (
        "door",
        "duration",
        "events",
        "horizon",
        "invoke",
        "metrics",
        "sim",
        "wake",
        "warmup",
    )

    def __init__(
        self,
        sim: simpy.Environment,
        blocks: Iterator[EventBlock],
        door: SyncFrontDoor,
        metrics: Any,
        horizon: float,
        warmup: float,
        factor: float = 1.0,
    ) -> None:
        self.sim = sim
        self.door = door
        self.invoke = door.service.invoke
        self.metrics = metrics
        self.horizon = horizon
        self.warmup = warmup
        self.events = chain(_pairs(blocks, factor))
        self.duration: float | None = None
        self.wake = Wakeup(sim, self._fire)

    @classmethod
    def for_trace(
        cls,
        sim: simpy.Environment,
        spec: TraceArrivals,
        path: Path,
        door: SyncFrontDoor,
        metrics: Any,
        horizon: float,
        warmup: float,
        fn: Function,
    ) -> RecordedDurationDriver:
        """The driver of a trace workload of ``fn``, durations scaled to ``fn.memory_mb``."""
        from lambdasim.workload.traces import trace_events

        # formats with recorded durations draw no random numbers: any generator will do
        blocks = trace_events(spec, path, np.random.default_rng(0))
        factor = recorded_duration_factor(fn, trace_memory_mb(spec))
        return cls(sim, blocks, door, metrics, horizon, warmup, factor)

    def schedule_next(self) -> None:
        """Schedule the next arrival (none past the horizon)."""
        ev = next(self.events, None)
        if ev is None or ev[0] >= self.horizon:
            return
        self.duration = ev[1]
        self.wake.at(ev[0])

    def _fire(self, _ev: Any) -> None:
        now = self.sim._now
        if now >= self.warmup:
            self.metrics.arrivals += 1
        d = self.duration
        if self.invoke(now, None, None, d) != ADMITTED:
            self.door.throttled(now, 1, d)
        self.schedule_next()


class AsyncRecordedDriver:
    """Feeds a trace's asynchronous events, each with its recorded duration, into a function's
    internal queue (every attempt of the event runs for that duration)."""

    __slots__ = (
        "dispatcher",
        "duration",
        "events",
        "extra",
        "horizon",
        "metrics",
        "sim",
        "source",
        "wake",
        "warmup",
    )

    def __init__(
        self,
        sim: simpy.Environment,
        spec: TraceArrivals,
        path: Path,
        dispatcher: Any,
        source: str,
        extra_requests: int,
        metrics: Any,
        horizon: float,
        warmup: float,
        fn: Function,
    ) -> None:
        from lambdasim.workload.traces import trace_events

        self.sim = sim
        self.dispatcher = dispatcher
        self.source = source
        self.extra = extra_requests
        self.metrics = metrics
        self.horizon = horizon
        self.warmup = warmup
        factor = recorded_duration_factor(fn, trace_memory_mb(spec))
        # formats with recorded durations draw no random numbers: any generator will do
        self.events = chain(_pairs(trace_events(spec, path, np.random.default_rng(0)), factor))
        self.duration: float | None = None
        self.wake = Wakeup(sim, self._fire)

    def schedule_next(self) -> None:
        """Schedule the next event (none past the horizon)."""
        ev = next(self.events, None)
        if ev is None or ev[0] >= self.horizon:
            return
        self.duration = ev[1]
        self.wake.at(ev[0])

    def _fire(self, _ev: Any) -> None:
        now = self.sim._now
        if self.extra and now >= self.warmup:
            self.metrics.extra_requests += self.extra
        self.dispatcher.accept(now, self.source, duration_s=self.duration)
        self.schedule_next()
