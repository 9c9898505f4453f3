"""Observed against simulated over time (``cmp.plot.compare()`` of a ``ls.compare`` result).

Reads only the comparison's series (``observed_series``: ``time_s, metric, value``;
``simulated_series``: the same with ``rep``), so it needs nothing above this layer: the
comparison object is described by :class:`ComparisonLike`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from lambdasim.plotting._common import new_axes, step, time_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ComparePlots", "ComparisonLike", "plot_compare"]

_PANELS = {
    "concurrency": ("ConcurrentExecutionsMean", "concurrent executions (mean per period)"),
    "environments": ("EnvironmentsMean", "environments alive (mean per period)"),
}


class ComparisonLike(Protocol):
    """What :func:`plot_compare` reads."""

    @property
    def function(self) -> str:
        """The function compared."""
        ...

    @property
    def observed_series(self) -> pd.DataFrame:
        """``time_s, metric, value`` from the logs."""
        ...

    @property
    def simulated_series(self) -> pd.DataFrame:
        """``time_s, metric, value, rep`` of the replications."""
        ...

    @property
    def horizon_s(self) -> float:
        """Seconds compared."""
        ...


def _series(frame: pd.DataFrame, metric: str) -> pd.Series:
    rows = frame[frame["metric"] == metric]
    return pd.Series(rows["value"].to_numpy(np.float64), index=rows["time_s"].to_numpy(np.float64))


def _panel(cmp: ComparisonLike, what: str, ax: Axes, **kwargs: Any) -> Axes:
    metric, label = _PANELS[what]
    scale, xlabel = time_scale(cmp.horizon_s)
    sim = cmp.simulated_series[cmp.simulated_series["metric"] == metric]
    wide = sim.pivot_table(index="time_s", columns="rep", values="value")
    if not wide.empty:
        mean = wide.mean(axis=1)
        t = np.append(wide.index.to_numpy(np.float64), cmp.horizon_s) / scale
        lo = np.append(wide.min(axis=1).to_numpy(), wide.min(axis=1).iloc[-1])
        hi = np.append(wide.max(axis=1).to_numpy(), wide.max(axis=1).iloc[-1])
        reps = wide.shape[1]
        ax.fill_between(
            t,
            lo,
            hi,
            step="post",
            alpha=0.25,
            color=kwargs.get("color", "C0"),
            label=f"simulated, range of {reps} replication(s)",
        )
        step(
            ax,
            mean,
            horizon_s=cmp.horizon_s,
            scale=scale,
            color=kwargs.get("color", "C0"),
            label="simulated, mean",
        )
    obs = _series(cmp.observed_series, metric)
    if not obs.empty:
        step(
            ax,
            obs,
            horizon_s=cmp.horizon_s,
            scale=scale,
            color="black",
            lw=1.2,
            label="observed (CloudWatch Logs)",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(label)
    ax.set_title(f"{cmp.function}: {what}, observed vs simulated")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best", fontsize="small")
    return ax


def plot_compare(
    cmp: ComparisonLike, *, what: str = "both", ax: Axes | None = None, **kwargs: Any
) -> Any:
    """Observed and simulated concurrency and environments alive over time.

    The simulated line is the mean over replications, the band their range; the observed line
    comes from the logs (concurrency from [arrival, END) intervals, environments from the
    first to the last event of each log stream).

    Parameters
    ----------
    cmp : Comparison
        A result of :func:`lambdasim.compare`.
    what : {"both", "concurrency", "environments"}
        Which panel(s).
    ax : matplotlib.axes.Axes, optional
        Draw one panel here (``what`` must not be ``"both"``); default a new figure.
    **kwargs
        ``color`` of the simulated series.

    Returns
    -------
    matplotlib.axes.Axes, or an array of two Axes for ``what="both"``
    """
    if what not in ("both", *_PANELS):
        raise ValueError(f"what must be 'both', 'concurrency' or 'environments' (got {what!r})")
    if what != "both":
        return _panel(cmp, what, new_axes(ax), **kwargs)
    if ax is not None:
        raise ValueError("ax= draws one panel: pass what='concurrency' or 'environments'")
    import matplotlib.pyplot as plt

    _, axes = plt.subplots(2, 1, figsize=(8.0, 6.5), sharex=True)
    _panel(cmp, "concurrency", axes[0], **kwargs)
    _panel(cmp, "environments", axes[1], **kwargs)
    axes[0].set_xlabel("")
    axes[0].figure.tight_layout()
    return axes


class ComparePlots:
    """``cmp.plot``: :func:`plot_compare` bound to one comparison."""

    def __init__(self, cmp: ComparisonLike) -> None:
        self._cmp = cmp

    def compare(self, **kwargs: Any) -> Any:
        """:func:`plot_compare` of this comparison."""
        return plot_compare(self._cmp, **kwargs)
