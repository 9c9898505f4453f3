"""Time units and billing arithmetic.

Seconds are the one time unit inside lambdasim; every field name carries its unit (``_s``, ``_ms``,
``_mb``). These helpers exist so that the few conversions are written once.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "BILLING_EPS_MS",
    "MAX_VCPUS",
    "MB_PER_VCPU",
    "billed_ms",
    "billed_ms_array",
    "billed_ms_sum",
    "cpu_duration_factor",
    "hours",
    "minutes",
    "ms",
    "vcpu_share",
]

#: Lambda rounds billed duration up to whole milliseconds since Dec 2020
#: (aws-lambda-behaviour.md §10.1). Sub-nanosecond float noise must not add a millisecond,
#: so values within this many ms of a whole millisecond count as that millisecond.
BILLING_EPS_MS = 1e-6


def ms(value: float) -> float:
    """Convert milliseconds to seconds."""
    return value / 1000.0


def minutes(value: float) -> float:
    """Convert minutes to seconds."""
    return value * 60.0


def hours(value: float) -> float:
    """Convert hours to seconds."""
    return value * 3600.0


def billed_ms(duration_s: float) -> int:
    """Billed duration of one invocation in whole milliseconds.

    Parameters
    ----------
    duration_s : float
        Measured duration in seconds.

    Returns
    -------
    int
        ``ceil(duration_s × 1000)`` with float noise below 1 ns ignored, so that
        ``billed_ms(0.045) == 45``.
    """
    return math.ceil(duration_s * 1000.0 - BILLING_EPS_MS)


def billed_ms_array(
    durations_s: NDArray[np.float64], granularity_ms: int = 1
) -> NDArray[np.float64]:
    """Billed milliseconds of each duration (seconds), rounded up to ``granularity_ms``.

    The vector form of :func:`billed_ms` (same float-noise rule); a granularity of 100 ms is
    the billing of before Dec 2020.
    """
    return np.ceil(durations_s * (1000.0 / granularity_ms) - BILLING_EPS_MS) * granularity_ms


def billed_ms_sum(durations_s: NDArray[np.float64]) -> int:
    """Σ of billed milliseconds, each duration (seconds) rounded up as :func:`billed_ms` does."""
    return int(np.ceil(durations_s * 1000.0 - BILLING_EPS_MS).astype(np.int64).sum())


#: Lambda allocates CPU in proportion to memory: 1,769 MB is one full vCPU
#: (aws-lambda-behaviour.md §3, "Memory and computing power").
MB_PER_VCPU = 1769.0
#: At most 6 vCPUs (at 10,240 MB).
MAX_VCPUS = 6.0


def vcpu_share(memory_mb: float) -> float:
    """vCPUs a function gets at ``memory_mb`` MB: ``min(memory / 1769, 6)``."""
    return min(memory_mb / MB_PER_VCPU, MAX_VCPUS)


def cpu_duration_factor(cpu_bound: float, ref_memory_mb: float, memory_mb: float) -> float:
    """Duration multiplier when a handler measured at ``ref_memory_mb`` runs at ``memory_mb``.

    Parameters
    ----------
    cpu_bound : float
        Fraction (0–1) of the handler time that scales with the vCPU share; the rest (I/O,
        waiting on other services) does not.
    ref_memory_mb, memory_mb : float
        Memory (MB) at which the duration was measured, and at which it runs.

    Returns
    -------
    float
        ``cpu_bound × share(ref) / share(memory) + (1 − cpu_bound)``; the one copy of the
        memory-scaling rule (config, trace replay and the power curve use it).
    """
    return cpu_bound * vcpu_share(ref_memory_mb) / vcpu_share(memory_mb) + (1.0 - cpu_bound)
