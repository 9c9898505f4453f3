"""Provisioned-concurrency billing arithmetic (aws-lambda-behaviour.md §10.3)."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["PC_ROUNDING_S", "enabled_unit_s"]

#: PC is billed from enable to disable, rounded up to 5 minutes (the tables'
#: ``provisioned_rounding_s``).
PC_ROUNDING_S = 300.0


def enabled_unit_s(
    intervals: Iterable[tuple[float, float, float]], rounding_s: float = PC_ROUNDING_S
) -> float:
    """Billed environment-seconds of enabled PC.

    Parameters
    ----------
    intervals : iterable of (start_s, end_s, environments)
        Enabled allocations (seconds; ``end_s > start_s``).
    rounding_s : float
        Each allocation's enabled time is rounded up to a multiple of this (seconds).

    Returns
    -------
    float
        Σ environments × ⌈(end − start) / rounding⌉ × rounding, in environment-seconds
        (multiply by the memory in GB for GB-seconds).
    """
    total = 0.0
    for start, end, units in intervals:
        steps = math.ceil((end - start) / rounding_s - 1e-9)
        total += units * steps * rounding_s
    return total
