"""Time units and billing arithmetic.

Seconds are the one time unit inside lambdasim; every field name carries its unit (``_s``, ``_ms``,
``_mb``). These helpers exist so that the few conversions are written once.
"""

from __future__ import annotations

import math

__all__ = ["BILLING_EPS_MS", "billed_ms", "hours", "minutes", "ms"]

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
