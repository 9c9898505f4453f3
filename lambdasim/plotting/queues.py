"""Plots of queues in one run: SQS backlog and message age, async event queue, DLQ arrivals.

Like every plot here, each reads only the result, draws on ``ax`` (or a new figure), labels its
axes and returns the Axes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lambdasim.plotting._common import function_series, new_axes, step, time_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.results.run import RunResult

__all__ = ["failure_queues", "plot_async", "plot_dlq", "plot_queue"]


def _sqs_queues(result: RunResult) -> list[str]:
    return [q for q, b in result.queues.items() if b.get("kind") != "topic"]


def plot_queue(
    result: RunResult,
    *,
    queue: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """An SQS queue over time: messages visible and in flight, and the age of the oldest one.

    Left axis: ``ApproximateNumberOfMessagesVisible`` (maximum and mean per period) and
    ``ApproximateNumberOfMessagesNotVisible``; right axis (a twin Axes, at
    ``ax.right_ax``): ``ApproximateAgeOfOldestMessage`` in seconds.

    Parameters
    ----------
    result : RunResult
        The run.
    queue : str, optional
        Queue name; default the queue a function consumes, if there is exactly one.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to the backlog line.

    Returns
    -------
    matplotlib.axes.Axes
        The left Axes.
    """
    queues = _sqs_queues(result)
    if queue is None:
        consumed = [str(b["sqs"]["queue"]) for b in result.functions.values() if "sqs" in b]
        pick = consumed if len(consumed) == 1 else queues if len(queues) == 1 else []
        if not pick:
            raise ValueError(f"pass queue= one of {queues}")
        queue = pick[0]
    if queue not in queues:
        raise KeyError(f"unknown SQS queue '{queue}'; known: {queues}")
    ax = new_axes(ax)
    horizon = result.scenario.horizon_s
    scale, xlabel = time_scale(horizon)
    owner = f"queue:{queue}"
    vis = function_series(result, owner, "ApproximateNumberOfMessagesVisible")
    vis_mean = function_series(result, owner, "ApproximateNumberOfMessagesVisibleMean")
    nv = function_series(result, owner, "ApproximateNumberOfMessagesNotVisible")
    age = function_series(result, owner, "ApproximateAgeOfOldestMessage")
    handles = []
    if vis is not None:
        style = {"color": "C0", "label": "visible (max)", **kwargs}
        handles += step(ax, vis, horizon_s=horizon, scale=scale, **style)
    if vis_mean is not None:
        handles += step(
            ax,
            vis_mean,
            horizon_s=horizon,
            scale=scale,
            color="C0",
            alpha=0.5,
            lw=1,
            label="visible (mean)",
        )
    if nv is not None:
        handles += step(
            ax, nv, horizon_s=horizon, scale=scale, color="C2", lw=1, label="in flight (max)"
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("messages")
    ax.set_ylim(bottom=0)
    if age is not None:
        handles += _age_axis(
            ax, age, horizon, scale, "age of oldest message", "age of oldest message (s)"
        )
    ax.set_title(f"{result.scenario.name}: SQS queue {queue}")
    ax.legend(handles=handles, loc="upper left", fontsize="small")
    return ax


def plot_async(
    result: RunResult,
    *,
    function: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """A function's asynchronous event queue: depth and event age over time.

    Left axis: ``AsyncQueueDepth`` (maximum and mean per period); right axis (``ax.right_ax``):
    ``AsyncEventAge`` (mean age of events when invoked, seconds, per period).

    Parameters
    ----------
    result : RunResult
        The run.
    function : str, optional
        Function name; default the only function invoked asynchronously.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to the queue-depth line.

    Returns
    -------
    matplotlib.axes.Axes
        The left Axes.
    """
    async_fns = [f for f, b in result.functions.items() if "async" in b]
    if function is None:
        if len(async_fns) != 1:
            raise ValueError(f"pass function= one of the async functions {async_fns}")
        function = async_fns[0]
    if function not in async_fns:
        raise KeyError(f"'{function}' is not invoked asynchronously; those are {async_fns}")
    ax = new_axes(ax)
    horizon = result.scenario.horizon_s
    scale, xlabel = time_scale(horizon)
    handles = []
    depth = function_series(result, function, "AsyncQueueDepth")
    depth_mean = function_series(result, function, "AsyncQueueDepthMean")
    age = function_series(result, function, "AsyncEventAge")
    if depth is not None:
        style = {"color": "C0", "label": "events queued (max)", **kwargs}
        handles += step(ax, depth, horizon_s=horizon, scale=scale, **style)
    if depth_mean is not None:
        handles += step(
            ax,
            depth_mean,
            horizon_s=horizon,
            scale=scale,
            color="C0",
            alpha=0.5,
            lw=1,
            label="events queued (mean)",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("events in the async queue")
    ax.set_ylim(bottom=0)
    if age is not None:
        handles += _age_axis(ax, age, horizon, scale, "event age at invoke (mean)", "event age (s)")
    ax.set_title(f"{result.scenario.name}: async events of {function}")
    ax.legend(handles=handles, loc="upper right", fontsize="small")
    return ax


def _age_axis(
    ax: Axes, age: Any, horizon: float, scale: float, label: str, ylabel: str
) -> list[Any]:
    """Draw an age series on a right-hand twin axis (kept as ``ax.right_ax``); its handles."""
    right = ax.twinx()
    handles = step(right, age, horizon_s=horizon, scale=scale, color="C3", ls="--", label=label)
    right.set_ylabel(ylabel)
    right.set_ylim(bottom=0)
    ax.right_ax = right  # type: ignore[attr-defined]
    return list(handles)


def failure_queues(result: RunResult) -> list[str]:
    """Queues that receive failures: async DLQs and on-failure queues, SQS redrive targets."""
    sc = result.scenario
    names: list[str] = []
    for fn in sc.functions.values():
        a = fn.async_
        if a is not None:
            if a.dead_letter is not None:
                names.append(a.dead_letter.queue)
            if a.on_failure is not None and a.on_failure.queue is not None:
                names.append(a.on_failure.queue)
    for q in sc.queues.values():
        if q.redrive_to is not None:
            names.append(q.redrive_to)
    return list(dict.fromkeys(names))


def plot_dlq(
    result: RunResult,
    *,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Arrivals per period at every dead-letter / on-failure queue, and dropped async events.

    Plots ``NumberOfMessagesSent`` (``NumberOfMessagesPublished`` for topics) of each queue
    from :func:`failure_queues`, and ``AsyncEventsDropped`` of functions that dropped events.

    Parameters
    ----------
    result : RunResult
        The run.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every line.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ValueError
        If the scenario has no failure queue and no async function.
    """
    queues = failure_queues(result)
    async_fns = [f for f, b in result.functions.items() if "async" in b]
    if not queues and not async_fns:
        raise ValueError("the scenario has no DLQ, on-failure queue or redrive target")
    ax = new_axes(ax)
    horizon = result.scenario.horizon_s
    scale, xlabel = time_scale(horizon)
    for q in queues:
        owner = f"queue:{q}"
        s = function_series(result, owner, "NumberOfMessagesSent")
        if s is None:
            s = function_series(result, owner, "NumberOfMessagesPublished")
        if s is not None:
            step(ax, s, horizon_s=horizon, scale=scale, label=f"to {q} ({s.sum():,.0f})", **kwargs)
    for f in async_fns:
        s = function_series(result, f, "AsyncEventsDropped")
        if s is not None and float(s.sum()) > 0:
            step(
                ax,
                s,
                horizon_s=horizon,
                scale=scale,
                ls="--",
                label=f"AsyncEventsDropped of {f} ({s.sum():,.0f}; DLQ/destination included)",
                **kwargs,
            )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(f"messages per {result.scenario.output.timeseries_step_s:g} s")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{result.scenario.name}: failed events (DLQ and on-failure arrivals)")
    ax.legend(loc="upper right", fontsize="small")
    return ax
