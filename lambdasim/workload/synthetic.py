"""Synthetic arrival processes, generated in numpy blocks of absolute times (seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from lambdasim.config import (
    ArrivalSpec,
    ConstantArrivals,
    PoissonArrivals,
    TraceArrivals,
)
from lambdasim.rng import BLOCK

__all__ = ["arrival_times", "constant", "poisson"]

Times = NDArray[np.float64]


def poisson(rate_per_s: float, rng: np.random.Generator, block: int = BLOCK) -> Iterator[Times]:
    """Poisson arrivals: exponential gaps of mean ``1/rate_per_s`` seconds."""
    t = 0.0
    while True:
        times = t + np.cumsum(rng.exponential(1.0 / rate_per_s, block))
        t = float(times[-1])
        yield times


def constant(rate_per_s: float, block: int = BLOCK) -> Iterator[Times]:
    """Evenly spaced arrivals at ``k / rate_per_s``, k = 1, 2, ... (no float drift)."""
    k = 1
    gap = 1.0 / rate_per_s
    while True:
        yield np.arange(k, k + block, dtype=np.float64) * gap
        k += block


def arrival_times(
    spec: ArrivalSpec, rng: np.random.Generator, resolve: object = Path
) -> Iterator[Times]:
    """Blocks of increasing absolute arrival times for an arrivals config.

    Parameters
    ----------
    spec : ArrivalSpec
        The ``arrivals`` block of a workload.
    rng : numpy.random.Generator
        The workload's own stream.
    resolve : callable
        Maps a config path to a file path (relative to the config file).
    """
    if isinstance(spec, PoissonArrivals):
        return poisson(spec.rate_per_s, rng)
    if isinstance(spec, ConstantArrivals):
        return constant(spec.rate_per_s)
    if isinstance(spec, TraceArrivals):
        from lambdasim.workload.traces import csv_timestamps

        return csv_timestamps(resolve(spec.path), spec.time_column)  # type: ignore[operator]
    raise TypeError(f"unsupported arrivals: {spec!r}")
