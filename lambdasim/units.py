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
    "MAX_THREADS",
    "MAX_VCPUS",
    "MB_PER_VCPU",
    "billed_ms",
    "billed_ms_array",
    "billed_ms_sum",
    "cpu_duration_factor",
    "hours",
    "minutes",
    "ms",
    "usable_vcpus",
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


#: Lambda allocates CPU in proportion to memory: "At 1,769 MB, a function has the equivalent of one
#: vCPU (one vCPU-second of credits per second)" (Lambda guide "configuration-memory",
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html;
#: aws-lambda-behaviour.md §3).
MB_PER_VCPU = 1769.0
#: At most 6 vCPUs (at 10,240 MB).
MAX_VCPUS = 6.0
#: Handler threads that can use the vCPUs (``duration.threads``): 1–6, as at most 6 vCPUs exist.
MAX_THREADS = 6


def vcpu_share(memory_mb: float) -> float:
    """vCPUs **allocated** at ``memory_mb`` MB: ``min(memory / 1769, 6)``.

    The credit share, linear in memory: 10,240 MB gives 5.79 vCPU-seconds per second (six cores,
    the sixth not fully credited).
    """
    return min(memory_mb / MB_PER_VCPU, MAX_VCPUS)


def usable_vcpus(memory_mb: float, threads: int = 1) -> float:
    """vCPUs a handler with ``threads`` CPU-bound threads can **use** at ``memory_mb`` MB.

    ``min(memory / 1769, 6, threads)``: sequential code runs on one vCPU whatever is allocated, so
    above 1,769 MB more memory speeds up only multi-threaded or multi-process code (Lambda guide
    "configuration-memory"; aws-2025-2026.md §1). Below 1,769 MB every handler gets the same
    fraction of one vCPU.

    Parameters
    ----------
    memory_mb : float
        Configured memory, MB.
    threads : int
        Threads (or processes) that run the CPU-bound part in parallel, 1–6.
    """
    if not 1 <= threads <= MAX_THREADS:
        raise ValueError(f"threads must be 1..{MAX_THREADS}, got {threads}")
    return min(vcpu_share(memory_mb), float(threads))


def cpu_duration_factor(
    cpu_bound: float, ref_memory_mb: float, memory_mb: float, threads: int = 1
) -> float:
    """Duration multiplier when a handler measured at ``ref_memory_mb`` runs at ``memory_mb``.

    Parameters
    ----------
    cpu_bound : float
        Fraction (0–1) of the handler time that scales with the usable vCPUs; the rest (I/O,
        waiting on other services) does not.
    ref_memory_mb, memory_mb : float
        Memory (MB) at which the duration was measured, and at which it runs.
    threads : int
        Threads of the CPU-bound part, 1–6 (default 1: a single-threaded handler).

    Returns
    -------
    float
        ``cpu_bound × u(ref) / u(memory) + (1 − cpu_bound)`` with ``u`` the
        :func:`usable_vcpus` ``min(memory / 1769, 6, threads)``; the one copy of the
        memory-scaling rule (config, trace replay and the power curve use it). With one thread
        the factor is the same at every memory from 1,769 MB up.
    """
    u_ref = usable_vcpus(ref_memory_mb, threads)
    return cpu_bound * u_ref / usable_vcpus(memory_mb, threads) + (1.0 - cpu_bound)
