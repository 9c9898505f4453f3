"""Plots of replications and sweeps (:class:`lambdasim.SweepResult`): trade-off, cold starts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lambdasim.plotting._common import new_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.results.sweep import SweepResult

__all__ = ["plot_cold_start_rate", "plot_tradeoff"]


def _short(key: str) -> str:
    return key.rsplit(".", 1)[-1]


def _point_label(row: pd.Series, keys: list[str]) -> str:
    return " / ".join(str(row[k]) for k in keys)


def plot_tradeoff(
    sweep: SweepResult,
    x: str = "cost_usd",
    y: str = "latency_p99_s",
    *,
    function: str | None = None,
    ci: float = 0.95,
    x_max: float | None = None,
    y_max: float | None = None,
    constraints: Mapping[str, float] | None = None,
    annotate: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Trade-off of two metrics over a sweep: means with confidence intervals, feasible region.

    One marker per grid point (and function) at the means over replications, with Student-t
    error bars at level ``ci`` in both directions. With ``x_max`` and/or ``y_max`` the region
    meeting both bounds is shaded. Points whose means miss a bound (or one of ``constraints``)
    are drawn hollow, and the feasible point with the lowest mean ``x`` is starred. Point labels
    are the grid values in grid order (the legend title names the parameters).

    Parameters
    ----------
    sweep : SweepResult
        The sweep.
    x, y : str
        Metric columns of ``sweep.table`` (default cost in USD and p99 latency in seconds).
    function : str, optional
        One function; default every function, one series each.
    ci : float
        Confidence level of the error bars.
    x_max, y_max : float, optional
        Upper bounds of the feasible region (e.g. a p99 target).
    constraints : mapping of str to float, optional
        More upper bounds on other metrics' means, e.g. ``{"throttle_rate": 0.001}``: points
        missing one are hollow and never starred (as in :meth:`SweepResult.best`).
    annotate : bool
        Label each point with its grid values.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every ``errorbar``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = new_axes(ax, figsize=(7.0, 5.0))
    cons = dict(constraints or {})
    s = sweep.summary(ci=ci, metrics=list(dict.fromkeys([x, y, *cons])))
    keys = list(sweep.grid)
    names = [function] if function is not None else list(dict.fromkeys(s["function"]))
    best: tuple[float, float, float, str] | None = None
    for i, name in enumerate(names):
        rows = s[(s["function"] == name) & s[x].notna() & s[y].notna()]
        if rows.empty:
            continue
        xv = rows[x].to_numpy(dtype=np.float64)
        yv = rows[y].to_numpy(dtype=np.float64)
        ok = np.ones(len(rows), dtype=bool)
        if x_max is not None:
            ok &= xv <= x_max
        if y_max is not None:
            ok &= yv <= y_max
        for metric, bound in cons.items():
            ok &= rows[metric].to_numpy(dtype=np.float64) <= bound
        color = f"C{i % 10}"
        xerr = rows[f"{x}_ci"].fillna(0.0).to_numpy(dtype=np.float64)
        yerr = rows[f"{y}_ci"].fillna(0.0).to_numpy(dtype=np.float64)
        for mask, face, label in ((ok, color, name), (~ok, "white", None)):
            if mask.any():
                style = {"fmt": "o", "capsize": 3, "color": color, "mfc": face, **kwargs}
                ax.errorbar(
                    xv[mask],
                    yv[mask],
                    xerr=xerr[mask],
                    yerr=yerr[mask],
                    label=label if len(names) > 1 else None,
                    **style,
                )
        if annotate and keys:
            for (_, r), xi, yi in zip(rows.iterrows(), xv, yv, strict=True):
                ax.annotate(
                    _point_label(r, keys),
                    (xi, yi),
                    fontsize=7,
                    xytext=(4, 4),
                    textcoords="offset points",
                )
        if (x_max is not None or y_max is not None or cons) and ok.any():
            k = int(np.argmin(np.where(ok, xv, np.inf)))
            if best is None or xv[k] < best[0]:
                best = (float(xv[k]), float(yv[k]), float(k), _point_label(rows.iloc[k], keys))
    if x_max is not None or y_max is not None:
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        right = x1 if x_max is None else x_max
        top = y1 if y_max is None else y_max
        ax.fill_between(
            [x0, right], [y0, y0], [top, top], color="C2", alpha=0.12, lw=0, label="feasible region"
        )
        if y_max is not None:
            ax.axhline(y_max, color="C2", ls="--", lw=1)
        if x_max is not None:
            ax.axvline(x_max, color="C2", ls="--", lw=1)
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
    if best is not None:
        ax.scatter(
            [best[0]],
            [best[1]],
            marker="*",
            s=250,
            color="gold",
            edgecolor="k",
            zorder=5,
            label=f"lowest {x} meeting the bounds",
        )
    ax.set_xlabel(f"{x} (mean, {ci:.0%} CI)")
    ax.set_ylabel(f"{y} (mean, {ci:.0%} CI)")
    ax.set_title(f"{sweep.attrs.get('scenario', 'sweep')}: {y} against {x}")
    title = "points: " + " / ".join(_short(k) for k in keys) if annotate and keys else None
    handles, labels = ax.get_legend_handles_labels()
    if handles or title:
        ax.legend(
            handles, labels, loc="best", fontsize="small", title=title, title_fontsize="small"
        )
    return ax


def plot_cold_start_rate(
    sweep: SweepResult,
    x: str,
    *,
    function: str | None = None,
    ci: float = 0.95,
    theory: Callable[[float], float] | None = None,
    theory_label: str = "closed form",
    logx: bool = False,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Cold-start rate against a swept parameter (keep-alive, arrival rate ...), with theory.

    Means of ``cold_start_rate`` over replications with Student-t error bars, one line per
    combination of the other grid parameters and function, against grid parameter ``x``. Pass
    the closed form that applies as ``theory`` (a function of the ``x`` value returning a
    probability), e.g. ``lambda T: ls.theory.low_rate_cold_probability(0.01, 0.2, T)`` for a
    keep-alive sweep at low rate, or
    ``lambda lam: ls.theory.steady_state_cold_start(lam, 2.0, 5.0, 600).p_cold``.

    Parameters
    ----------
    sweep : SweepResult
        A sweep with ``x`` among its grid parameters.
    x : str
        Grid parameter (dotted path, e.g. ``"functions.api.keep_alive_s"``).
    function : str, optional
        One function; default every function.
    ci : float
        Confidence level of the error bars.
    theory : callable, optional
        Closed form evaluated on 200 points over the swept range.
    theory_label : str
        Legend label of the closed form.
    logx : bool
        Logarithmic ``x`` axis (and log-spaced theory points).
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every ``errorbar``.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    KeyError
        If ``x`` is not a grid parameter of the sweep.
    """
    if x not in sweep.grid:
        raise KeyError(f"'{x}' is not a grid parameter; the grid has {list(sweep.grid)}")
    ax = new_axes(ax)
    s = sweep.summary(ci=ci, metrics=["cold_start_rate"])
    if function is not None:
        s = s[s["function"] == function]
    others = [k for k in sweep.grid if k != x]
    s = s.assign(_x=pd.to_numeric(s[x], errors="coerce")).dropna(subset=["_x"])
    groups = (
        s.groupby([*others, "function"], sort=False, dropna=False)
        if others
        else (s.groupby("function", sort=False))
    )
    n_groups = groups.ngroups
    for key, g in groups:
        g = g.sort_values("_x")
        parts = key if isinstance(key, tuple) else (key,)
        label = ", ".join(
            [f"{_short(k)}={v}" for k, v in zip(others, parts, strict=False)]
            + ([str(parts[-1])] if len(set(s["function"])) > 1 else [])
        )
        ax.errorbar(
            g["_x"],
            g["cold_start_rate"],
            yerr=g["cold_start_rate_ci"].fillna(0.0),
            fmt="o-",
            capsize=3,
            label=(label or "simulated") if n_groups > 1 else "simulated",
            **kwargs,
        )
    if theory is not None and len(s):
        lo, hi = float(s["_x"].min()), float(s["_x"].max())
        xs = np.geomspace(max(lo, 1e-12), hi, 200) if logx else np.linspace(lo, hi, 200)
        ys = np.array([theory(float(v)) for v in xs], dtype=np.float64)
        ax.plot(xs, ys, color="k", lw=1.2, ls="--", label=theory_label)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(_short(x) if "." in x else x)
    ax.set_ylabel(f"cold-start rate (mean, {ci:.0%} CI)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{sweep.attrs.get('scenario', 'sweep')}: cold starts against {_short(x)}")
    ax.legend(loc="best", fontsize="small")
    return ax
