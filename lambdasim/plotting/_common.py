"""Helpers shared by the plot functions: axes, function choice, series and the time axis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.results.run import RunResult

__all__ = [
    "function_series",
    "new_axes",
    "pick_function",
    "step",
    "time_scale",
]


def new_axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.0)) -> Axes:
    """``ax`` itself, or the Axes of a new figure (pyplot is imported only here).

    Parameters
    ----------
    ax : matplotlib.axes.Axes or None
        Axes to draw on.
    figsize : tuple of float
        Size of the new figure, inches.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new


def pick_function(result: RunResult, function: str | None, *, allow_account: bool = False) -> str:
    """The function a plot is about.

    Parameters
    ----------
    result : RunResult
        The run.
    function : str or None
        A function name; None picks the only function, or ``"account"`` (every function)
        when ``allow_account`` and there are several.
    allow_account : bool
        Whether ``"account"`` (the account-wide series) is acceptable.

    Returns
    -------
    str

    Raises
    ------
    KeyError
        If ``function`` is not a function of the run.
    ValueError
        If ``function`` is None, the run has several functions and ``"account"`` is not allowed.
    """
    names = list(result.functions)
    if function is None:
        if len(names) == 1:
            return names[0]
        if allow_account:
            return "account"
        raise ValueError(f"the run has several functions; pass function= one of {names}")
    if function == "account" and allow_account:
        return function
    if function not in result.functions:
        raise KeyError(f"unknown function '{function}'; known: {names}")
    return function


def function_series(result: RunResult, owner: str, metric: str) -> pd.Series | None:
    """One metric of ``res.timeseries`` as a float Series indexed by period start (seconds).

    Parameters
    ----------
    result : RunResult
        The run.
    owner : str
        ``function`` column value: a function, ``"account"`` or ``"queue:NAME"``.
    metric : str
        CloudWatch metric name, e.g. ``"ConcurrentExecutions"``.

    Returns
    -------
    pandas.Series or None
        None when the run has no such series.
    """
    ts = result.timeseries
    rows = ts[(ts["function"] == owner) & (ts["metric"] == metric)]
    if rows.empty:
        return None
    return pd.Series(
        rows["value"].to_numpy(dtype=np.float64),
        index=rows["time_s"].to_numpy(dtype=np.float64),
        name=metric,
    )


def time_scale(horizon_s: float) -> tuple[float, str]:
    """Divisor and axis label for times up to ``horizon_s`` seconds: s, min or h."""
    if horizon_s > 4 * 3600:
        return 3600.0, "time (h)"
    if horizon_s > 1200:
        return 60.0, "time (min)"
    return 1.0, "time (s)"


def step(
    ax: Axes,
    series: pd.Series,
    *,
    horizon_s: float,
    scale: float,
    **kwargs: Any,
) -> Any:
    """Draw a per-period series as steps (each value held over its period, up to the horizon).

    Returns
    -------
    list of matplotlib.lines.Line2D
    """
    t = np.append(series.index.to_numpy(dtype=np.float64), horizon_s) / scale
    v = series.to_numpy(dtype=np.float64)
    v = np.append(v, v[-1] if v.size else np.nan)
    return ax.step(t, v, where="post", **kwargs)
