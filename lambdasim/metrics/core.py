"""Streaming primitives every collector is built from; memory does not grow with invocations.

* :class:`LogHistogram` — a DDSketch-style log-bucket histogram with a relative-error bound
  (α = 1 %): any quantile is within 1 % of the exact sample quantile; histograms merge by adding
  their counts.
* :class:`Level` — a time-weighted level (concurrency, live environments, queue depth): exact
  integral and maximum per segment of the run's :class:`~lambdasim.periods.Periods` grid;
  :func:`window_stats` and :func:`period_stats` read it over the statistics window and per
  output period.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from lambdasim.periods import Periods

__all__ = ["Level", "LogHistogram", "period_stats", "window_stats"]


class LogHistogram:
    """Log-bucket histogram of positive values (seconds) with relative accuracy ``alpha``.

    Bucket ``i`` holds values in ``(γ^(i-1), γ^i]`` with ``γ = (1+α)/(1−α)``; the quantile
    estimate ``2γ^i/(γ+1)`` is then within ``α`` of every value in the bucket. Values at or below
    ``min_value`` (e.g. exact zeros) share one bucket whose estimate is 0.

    Values are appended to a Python list (cheap in the hot path) and binned with numpy when
    the buffer holds ``buffer`` values, so memory stays bounded.

    Parameters
    ----------
    alpha : float
        Relative accuracy, default 0.01 (1 %).
    min_value, max_value : float
        Range covered, seconds; larger values are clamped into the top bucket.
    """

    def __init__(
        self,
        alpha: float = 0.01,
        min_value: float = 1e-6,
        max_value: float = 1e6,
        buffer: int = 65536,
    ) -> None:
        self.alpha = alpha
        self.gamma = (1 + alpha) / (1 - alpha)
        self._lg = math.log(self.gamma)
        self.min_value = min_value
        self._offset = math.ceil(math.log(min_value) / self._lg)
        n = math.ceil(math.log(max_value) / self._lg) - self._offset + 2
        self.counts: NDArray[np.int64] = np.zeros(n, dtype=np.int64)
        self._buf: list[float] = []
        self._buffer = buffer

    def add(self, value: float) -> None:
        """Add one value (seconds); binned with numpy once ``buffer`` values are waiting."""
        buf = self._buf
        buf.append(value)
        if len(buf) >= self._buffer:
            self._flush()

    def add_many(self, values: Sequence[float] | NDArray[np.float64]) -> None:
        """Add many values at once."""
        self._flush()
        self._bin(np.asarray(values, dtype=np.float64))

    def _flush(self) -> None:
        if self._buf:
            self._bin(np.asarray(self._buf, dtype=np.float64))
            self._buf.clear()

    def _bin(self, x: NDArray[np.float64]) -> None:
        if x.size == 0:
            return
        idx = np.zeros(x.size, dtype=np.int64)
        pos = x > self.min_value
        idx[pos] = np.ceil(np.log(x[pos]) / self._lg).astype(np.int64) - self._offset + 1
        np.clip(idx, 0, self.counts.size - 1, out=idx)
        self.counts += np.bincount(idx, minlength=self.counts.size)

    @property
    def count(self) -> int:
        """Number of values added."""
        return int(self.counts.sum()) + len(self._buf)

    def quantiles(self, qs: Sequence[float]) -> list[float]:
        """Quantiles for probabilities ``qs`` in [0, 1]; NaN when empty.

        Uses the lower empirical quantile (the value of rank ``ceil(q·n)``), so a quantile lies
        within ``alpha`` of a sample value of that rank.
        """
        self._flush()
        n = int(self.counts.sum())
        if n == 0:
            return [math.nan for _ in qs]
        cum = np.cumsum(self.counts)
        out = []
        for q in qs:
            rank = max(1, math.ceil(q * n - 1e-9))
            i = int(np.searchsorted(cum, rank))
            out.append(self._value(i))
        return out

    def _value(self, i: int) -> float:
        if i == 0:
            return 0.0
        k = i - 1 + self._offset
        return 2.0 * self.gamma**k / (self.gamma + 1.0)

    def merge(self, other: LogHistogram) -> None:
        """Add ``other``'s counts into this histogram (same alpha and range)."""
        other._flush()
        self._flush()
        if other.counts.shape != self.counts.shape or other.alpha != self.alpha:
            raise ValueError("histograms with different alpha or range cannot be merged")
        self.counts += other.counts


class Level:
    """A piecewise-constant integer level over time (busy or live environments), exact.

    Changes must come in non-decreasing time order. The timeline is cut at ``edges`` (the ends
    of output periods, the end of the warm-up and the horizon); for each segment the integral
    and the maximum are kept.

    The integral of a segment ``[a, b]`` is computed when it closes as
    ``n(b)·b − n(a)·a − Σ δ·t`` over the changes ``δ`` at times ``t`` inside it, so a change
    costs one addition instead of an area update (the hot path calls this twice per invoke).

    Parameters
    ----------
    edges : sequence of float
        Increasing segment end times; the last must be the horizon.
    """

    __slots__ = ("_edges", "_i", "a", "edge", "n", "na", "s", "seg_area", "seg_max", "smax")

    def __init__(self, edges: Sequence[float]) -> None:
        self._edges = list(edges)
        self._i = 0
        self.edge = self._edges[0]
        self.n = 0  # current level
        self.a = 0.0  # start of the current segment
        self.na = 0  # level at its start
        self.s = 0.0  # Σ δ·t of changes inside it
        self.smax = 0  # max within it
        self.seg_area: list[float] = []
        self.seg_max: list[int] = []

    def roll(self, t: float) -> None:
        """Close every segment that ends at or before ``t``."""
        edges = self._edges
        while t >= self.edge:
            b = self.edge
            # the difference of large sums can round to just below 0 for a level that is 0 in
            # the segment: never report a negative area (issue 15, a -1e-16 mean)
            self.seg_area.append(max(0.0, self.n * b - self.na * self.a - self.s))
            self.seg_max.append(self.smax)
            self.a = b
            self.na = self.n
            self.s = 0.0
            self.smax = self.n
            self._i += 1
            self.edge = edges[self._i] if self._i < len(edges) else math.inf

    def up(self, t: float) -> None:
        """The level rises by one at time ``t``."""
        if t >= self.edge:
            self.roll(t)
        n = self.n + 1
        self.n = n
        self.s += t
        if n > self.smax:
            self.smax = n

    def down(self, t: float) -> None:
        """The level falls by one at time ``t``."""
        if t >= self.edge:
            self.roll(t)
        self.n -= 1
        self.s -= t


def window_stats(level: Level, periods: Periods) -> tuple[float, int]:
    """Time-weighted mean and max of a closed level over the statistics window.

    Parameters
    ----------
    level : Level
        A level rolled to the horizon (its segments follow ``periods.edges``).
    periods : Periods
        The run's grid; only segments ending after the warm-up count.

    Returns
    -------
    (float, int)
        Mean level over ``[warmup, horizon]`` and its maximum there.
    """
    warmup = periods.warmup
    area = 0.0
    mx = 0
    for end, a, m in zip(periods.edges, level.seg_area, level.seg_max, strict=False):
        if end > warmup:
            area += a
            mx = max(mx, m)
    return area / (periods.horizon - warmup), mx


def period_stats(level: Level, periods: Periods) -> tuple[list[float], list[int]]:
    """Per-period time-weighted mean and max of a closed level (one value per period)."""
    n = periods.n
    area = [0.0] * n
    mx = [0] * n
    prev = 0.0
    for end, a, m in zip(periods.edges, level.seg_area, level.seg_max, strict=False):
        k = periods.segment_period(prev)
        area[k] += a
        if m > mx[k]:
            mx[k] = m
        prev = end
    means = [area[k] / periods.length(k) for k in range(n)]
    return means, mx
