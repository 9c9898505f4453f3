"""Provisioned-concurrency billing arithmetic (aws-lambda-behaviour.md §10.3).

AWS's pricing page (https://aws.amazon.com/lambda/pricing/, "Provisioned Concurrency
Pricing"): PC "is calculated from the time you enable it on your function until it is disabled,
rounded up to the nearest five minutes", and its price depends on "the amount of concurrency
that you configure". lambdasim reads a change of the configured value as the end of one
configuration and the start of the next: each interval during which one value was configured
is rounded up once (issue 14 item 3; the page does not spell out how a change is billed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["PC_ROUNDING_S", "enabled_unit_s", "enabled_unit_s_unrounded"]

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
        Configuration intervals: ``environments`` configured from ``start_s`` to ``end_s``
        (seconds; ``end_s > start_s``).
    rounding_s : float
        Each interval's enabled time is rounded up to a multiple of this (seconds).

    Returns
    -------
    float
        Σ environments × ⌈(end − start) / rounding⌉ × rounding, in environment-seconds
        (multiply by the memory in GB for GB-seconds).
    """
    total = 0.0
    for start, end, units in intervals:
        # 1e-9: an interval of exactly 300 s computed as 299.99999999 is one step, not two
        steps = math.ceil((end - start) / rounding_s - 1e-9)
        total += units * steps * rounding_s
    return total


def enabled_unit_s_unrounded(intervals: Iterable[tuple[float, float, float]]) -> float:
    """Environment-seconds of enabled PC before rounding.

    What a longer run of the same pattern bills per second: the monthly projection scales this,
    not :func:`enabled_unit_s`, so that a short run's 5-minute rounding is not multiplied by
    the month (a 60-s run of PC 5 projects the same month as a 3,600-s run).

    Parameters
    ----------
    intervals : iterable of (start_s, end_s, environments)
        Configuration intervals (seconds), as for :func:`enabled_unit_s`.

    Returns
    -------
    float
        Σ environments × (end − start), in environment-seconds.
    """
    return math.fsum(units * (end - start) for start, end, units in intervals)
