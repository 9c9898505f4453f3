"""The output period grid that every time series and time-weighted level shares.

A run of ``horizon_s`` seconds is cut into ``n`` periods of ``step_s`` (the last one shorter
when the horizon is not a multiple of the step). Statistics over the run count what happens
at or after ``warmup_s``; series cover the whole horizon. This module is the one owner of those
rules: the bin of a time, the warm-up gate, the period ends that :class:`~lambdasim.metrics.core.
Level` cuts its integral at, and the length of each period.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

__all__ = ["Periods"]

#: Slack for float noise: a horizon of 3600.0000000001 s at 60-s steps is 60 periods, not 61.
_EPS = 1e-9


class Periods:
    """Period grid of one run.

    Parameters
    ----------
    horizon_s : float
        Simulated time, seconds.
    step_s : float
        Length of one output period, seconds (``output.timeseries_step_s``).
    warmup_s : float
        Statistics start here, seconds; series still cover ``[0, horizon_s)``.

    Attributes
    ----------
    n : int
        Number of periods, ``max(1, ceil(horizon / step))``.
    edges : list of float
        Increasing segment ends for time-weighted levels: every period end, the warm-up end
        (when inside the run) and the horizon.
    inv_step : float
        ``1 / step_s``, for the inlined bin computation of hot paths.
    """

    __slots__ = ("edges", "horizon", "inv_step", "n", "step", "warmup")

    def __init__(self, horizon_s: float, step_s: float, warmup_s: float = 0.0) -> None:
        self.horizon = float(horizon_s)
        self.step = float(step_s)
        self.warmup = float(warmup_s)
        self.inv_step = 1.0 / self.step
        self.n = max(1, math.ceil(self.horizon / self.step - _EPS))
        ends = {min(self.horizon, (k + 1) * self.step) for k in range(self.n)}
        if 0 < self.warmup < self.horizon:
            ends.add(self.warmup)
        self.edges: list[float] = sorted(ends)

    @property
    def window_s(self) -> float:
        """Length of the statistics window ``[warmup, horizon]``, seconds."""
        return self.horizon - self.warmup

    def bin(self, t: float) -> int:
        """Period index of time ``t`` (seconds); times at or past the end go to the last."""
        b = int(t * self.inv_step)
        return b if b < self.n else self.n - 1

    def bins(self, t: NDArray[np.float64]) -> NDArray[np.int64]:
        """Vector form of :meth:`bin`."""
        b = (t * self.inv_step).astype(np.int64)
        np.minimum(b, self.n - 1, out=b)
        return b

    def counted(self, t: float) -> bool:
        """Whether something that happened (or arrived) at ``t`` counts in the run statistics."""
        return t >= self.warmup

    def starts(self) -> NDArray[np.float64]:
        """Start time of every period, seconds (the ``time_s`` column of series)."""
        return np.arange(self.n, dtype=np.float64) * self.step

    def length(self, k: int) -> float:
        """Length of period ``k``, seconds (the last may be shorter than the step)."""
        return min(self.horizon, (k + 1) * self.step) - k * self.step

    def segment_period(self, segment_start: float) -> int:
        """Period of a level segment that starts at ``segment_start`` (a previous edge)."""
        return min(self.n - 1, int(segment_start / self.step + _EPS))

    def __repr__(self) -> str:
        h, s, w = self.horizon, self.step, self.warmup
        return f"Periods(horizon_s={h:g}, step_s={s:g}, warmup_s={w:g})"
