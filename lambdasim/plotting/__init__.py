"""Plots of lambdasim results (matplotlib), as functions and as ``res.plot.*`` accessors.

Every plot function has the signature ``plot_x(result, *, ..., ax=None, **kwargs) -> Axes``:
it draws on ``ax`` (or on a new figure, like pandas), labels its axes, returns the Axes, and
reads only the result. pyplot is imported lazily inside the functions, nothing calls
``plt.show()``, and rcParams are never changed.

Runs (:class:`lambdasim.RunResult`, also ``res.plot.NAME(...)``):

* :func:`plot_concurrency` (``concurrency``) -- concurrency with reserved, provisioned and
  account limits, throttles marked;
* :func:`plot_environments` (``environments``) -- environments stacked by state;
* :func:`plot_latency` (``latency``) -- CDF with percentiles, warm vs cold (``trace=True``);
* :func:`plot_cost` (``cost``) -- cost per function by component;
* :func:`plot_queue` (``queue``), :func:`plot_async` (``async_events``), :func:`plot_dlq`
  (``dlq``) -- SQS backlog and oldest-message age, async queue depth and event age, DLQ arrivals;
* :func:`plot_timeline` (``timeline``), :func:`animate_timeline` -- one row per execution
  environment (``trace=True``).

Sweeps (:class:`lambdasim.SweepResult`, also ``sweep.plot.NAME(...)``):

* :func:`plot_tradeoff` (``tradeoff``) -- cost against p99 with CIs, feasible region shaded;
* :func:`plot_cold_start_rate` (``cold_start_rate``) -- cold-start rate against a swept
  parameter, with a closed-form curve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdasim.plotting.queues import failure_queues, plot_async, plot_dlq, plot_queue
from lambdasim.plotting.run import (
    cost_breakdown,
    environment_layers,
    plot_concurrency,
    plot_cost,
    plot_environments,
    plot_latency,
)
from lambdasim.plotting.sweep import plot_cold_start_rate, plot_tradeoff
from lambdasim.plotting.teaching import (
    TimelineSegments,
    animate_timeline,
    plot_timeline,
    timeline_segments,
)
from lambdasim.results import plots

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes

    from lambdasim.results.run import RunResult
    from lambdasim.results.sweep import SweepResult

__all__ = [
    "RunPlots",
    "SweepPlots",
    "TimelineSegments",
    "animate_timeline",
    "cost_breakdown",
    "environment_layers",
    "failure_queues",
    "plot_async",
    "plot_cold_start_rate",
    "plot_concurrency",
    "plot_cost",
    "plot_dlq",
    "plot_environments",
    "plot_latency",
    "plot_queue",
    "plot_timeline",
    "plot_tradeoff",
    "timeline_segments",
]


class RunPlots:
    """``res.plot``: the plot functions of this module bound to one :class:`RunResult`."""

    def __init__(self, result: RunResult) -> None:
        self._result = result

    def concurrency(self, **kwargs: Any) -> Axes:
        """:func:`plot_concurrency` of this run."""
        return plot_concurrency(self._result, **kwargs)

    def environments(self, **kwargs: Any) -> Axes:
        """:func:`plot_environments` of this run."""
        return plot_environments(self._result, **kwargs)

    def latency(self, **kwargs: Any) -> Axes:
        """:func:`plot_latency` of this run."""
        return plot_latency(self._result, **kwargs)

    def cost(self, **kwargs: Any) -> Axes:
        """:func:`plot_cost` of this run."""
        return plot_cost(self._result, **kwargs)

    def queue(self, **kwargs: Any) -> Axes:
        """:func:`plot_queue` of this run."""
        return plot_queue(self._result, **kwargs)

    def async_events(self, **kwargs: Any) -> Axes:
        """:func:`plot_async` of this run."""
        return plot_async(self._result, **kwargs)

    def dlq(self, **kwargs: Any) -> Axes:
        """:func:`plot_dlq` of this run."""
        return plot_dlq(self._result, **kwargs)

    def timeline(self, **kwargs: Any) -> Axes:
        """:func:`plot_timeline` of this run (needs ``trace=True``)."""
        return plot_timeline(self._result, **kwargs)

    def animate_timeline(self, **kwargs: Any) -> FuncAnimation:
        """:func:`animate_timeline` of this run (needs ``trace=True``)."""
        return animate_timeline(self._result, **kwargs)


class SweepPlots:
    """``sweep.plot``: the sweep plots of this module bound to one :class:`SweepResult`."""

    def __init__(self, sweep: SweepResult) -> None:
        self._sweep = sweep

    def tradeoff(self, x: str = "cost_usd", y: str = "latency_p99_s", **kwargs: Any) -> Axes:
        """:func:`plot_tradeoff` of this sweep."""
        return plot_tradeoff(self._sweep, x, y, **kwargs)

    def cold_start_rate(self, x: str, **kwargs: Any) -> Axes:
        """:func:`plot_cold_start_rate` of this sweep."""
        return plot_cold_start_rate(self._sweep, x, **kwargs)


# ``res.plot`` and ``sweep.plot``: results cannot import this module (it is above them), so the
# accessors are registered with them here.
plots.register("run", RunPlots)
plots.register("sweep", SweepPlots)
