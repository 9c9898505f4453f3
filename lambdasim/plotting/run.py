"""Plots of one run (:class:`lambdasim.RunResult`): concurrency, environments, latency, cost.

Queue views are in :mod:`lambdasim.plotting.queues`.

Every function reads only the result, draws on ``ax`` (or a new figure), labels its axes and
returns the Axes; none calls ``plt.show()`` or changes rcParams.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lambdasim.plotting._common import function_series, new_axes, pick_function, step, time_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from lambdasim.results.run import RunResult

__all__ = [
    "cost_breakdown",
    "environment_layers",
    "plot_concurrency",
    "plot_cost",
    "plot_environments",
    "plot_latency",
]

#: A limit this many times above the data is listed in the legend instead of drawn.
_OFF_SCALE = 2.5


def _limit(ax: Axes, value: float, data_max: float, label: str, **style: Any) -> None:
    if value > _OFF_SCALE * max(data_max, 1.0):
        ax.plot([], [], label=f"{label} (above the plot)", **style)
    else:
        ax.axhline(value, label=label, zorder=1, **style)


def plot_concurrency(
    result: RunResult,
    *,
    function: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Concurrent executions over time with the limits drawn and throttles marked.

    Draws ``ConcurrentExecutions`` (maximum per period) and ``ConcurrentExecutionsMean``
    (time-weighted), the function's reserved concurrency, the allocated provisioned
    concurrency (``ProvisionedConcurrencyAllocated``) and the account quota. A limit far above
    the data is named in the legend instead of squashing the plot. Periods with throttles get
    a red marker at their maximum concurrency.

    Parameters
    ----------
    result : RunResult
        The run.
    function : str, optional
        Function name; default the only function, or the account total (``"account"``) when
        the run has several.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to the line of the per-period maximum (e.g. ``color``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    name = pick_function(result, function, allow_account=True)
    ax = new_axes(ax)
    sc = result.scenario
    horizon = sc.horizon_s
    scale, xlabel = time_scale(horizon)
    owner = name
    cmax = function_series(result, owner, "ConcurrentExecutions")
    cmean = function_series(result, owner, "ConcurrentExecutionsMean")
    if cmax is None or cmean is None:  # one function: no account series
        owner = next(iter(result.functions))
        cmax = function_series(result, owner, "ConcurrentExecutions")
        cmean = function_series(result, owner, "ConcurrentExecutionsMean")
    assert cmax is not None and cmean is not None
    style = {"label": "max per period", "color": "C0", **kwargs}
    step(ax, cmax, horizon_s=horizon, scale=scale, **style)
    step(
        ax,
        cmean,
        horizon_s=horizon,
        scale=scale,
        color="C0",
        alpha=0.5,
        lw=1,
        label="time-weighted mean",
    )
    top = float(np.nanmax(cmax.to_numpy())) if len(cmax) else 0.0
    if name != "account":
        rc = sc.functions[name].reserved_concurrency
        if rc is not None:
            _limit(ax, rc, top, f"reserved concurrency {rc}", color="C3", ls="--", lw=1.2)
        alloc = function_series(result, name, "ProvisionedConcurrencyAllocated")
        if alloc is not None:
            step(
                ax,
                alloc,
                horizon_s=horizon,
                scale=scale,
                color="C2",
                ls="-.",
                lw=1.2,
                label="provisioned (allocated)",
            )
            top = max(top, float(np.nanmax(alloc.to_numpy())))
        throttles = function_series(result, name, "Throttles")
    else:
        parts = [function_series(result, f, "Throttles") for f in result.functions]
        got = [p for p in parts if p is not None]
        throttles = pd.concat(got, axis=1).sum(axis=1) if got else None
    acct = sc.account.concurrency
    _limit(ax, acct, top, f"account limit {acct}", color="k", ls=":", lw=1.2)
    if throttles is not None and float(throttles.sum()) > 0:
        hit = throttles[throttles > 0]
        period = sc.output.timeseries_step_s
        y = cmax.reindex(hit.index).to_numpy()
        ax.scatter(
            (hit.index.to_numpy() + period / 2) / scale,
            y,
            marker="v",
            color="C3",
            zorder=5,
            label=f"throttles: {int(throttles.sum()):,} in {len(hit)} period(s)",
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel("concurrent executions")
    ax.margins(y=0.08)  # keep a line at the maximum off the frame
    ax.set_ylim(bottom=0)
    ax.set_title(f"{sc.name}: concurrency of {name}")
    ax.legend(loc="best", fontsize="small")
    return ax


def environment_layers(result: RunResult, function: str) -> pd.DataFrame:
    """Per-period mean number of environments by state, from the run's time series.

    Columns ``initialising`` (on-demand INIT, estimated per period as ColdStarts ×
    InitDuration / period by Little's law), ``busy`` (running a handler, on-demand or
    provisioned), ``provisioned idle`` (allocated PC minus PC busy, from
    ``ProvisionedConcurrencyUtilization``) and ``idle warm`` (the rest of
    ``EnvironmentsMean``), indexed by period start (seconds).

    Parameters
    ----------
    result : RunResult
        The run.
    function : str
        Function name.

    Returns
    -------
    pandas.DataFrame
    """

    def get(metric: str, default: pd.Series | None = None) -> pd.Series:
        s = function_series(result, function, metric)
        if s is None:
            if default is None:
                raise ValueError(f"the run has no {metric} series for {function}")
            return default
        return s.fillna(0.0)

    envs = get("EnvironmentsMean")
    zero = pd.Series(0.0, index=envs.index)
    conc = get("ConcurrentExecutionsMean")
    period = result.scenario.output.timeseries_step_s
    alloc = get("ProvisionedConcurrencyAllocated", zero)
    pc_busy = get("ProvisionedConcurrencyUtilization", zero) * alloc
    init = (get("ColdStarts") * get("InitDuration", zero) / period).clip(lower=0.0)
    init = init.where(init <= conc - pc_busy, (conc - pc_busy).clip(lower=0.0))
    busy = (conc - init).clip(lower=0.0)
    pc_idle = (alloc - pc_busy).clip(lower=0.0)
    idle = (envs - conc - pc_idle).clip(lower=0.0)
    return pd.DataFrame(
        {"initialising": init, "busy": busy, "provisioned idle": pc_idle, "idle warm": idle}
    )


def plot_environments(
    result: RunResult,
    *,
    function: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Execution environments over time, stacked: initialising, busy, provisioned idle, idle warm.

    Per-period time-weighted means (see :func:`environment_layers` for how each layer is
    derived); the black line is ``EnvironmentsMean`` itself.

    Parameters
    ----------
    result : RunResult
        The run.
    function : str, optional
        Function name (required when the run has several).
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every ``fill_between`` (e.g. ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    name = pick_function(result, function)
    ax = new_axes(ax)
    horizon = result.scenario.horizon_s
    scale, xlabel = time_scale(horizon)
    layers = environment_layers(result, name)
    t = np.append(layers.index.to_numpy(dtype=np.float64), horizon) / scale
    colors = {"initialising": "C1", "busy": "C0", "provisioned idle": "C2", "idle warm": "C7"}
    base = np.zeros(len(t))
    style = {"alpha": 0.8, "lw": 0, **kwargs}
    for col in layers.columns:
        v = layers[col].to_numpy(dtype=np.float64)
        if not np.any(v > 0) and col == "provisioned idle":
            continue
        top = base + np.append(v, v[-1] if v.size else 0.0)
        ax.fill_between(t, base, top, step="post", label=col, color=colors[col], **style)
        base = top
    envs = function_series(result, name, "EnvironmentsMean")
    if envs is not None:
        step(ax, envs, horizon_s=horizon, scale=scale, color="k", lw=0.8, label="environments")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("environments (mean per period)")
    ax.set_ylim(bottom=0)
    ax.set_title(f"{result.scenario.name}: execution environments of {name}")
    ax.legend(loc="best", fontsize="small")
    return ax


def _cdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(values)
    return x, np.arange(1, x.size + 1) / x.size


def plot_latency(
    result: RunResult,
    *,
    function: str | None = None,
    percentiles: tuple[float, ...] = (50.0, 99.0, 99.9),
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Latency distribution (CDF, log time axis) with percentiles marked, split warm vs cold.

    With the per-invocation log (``ls.run(..., trace=True)``) the CDFs are exact: every
    succeeded invoke from arrival to end, all of them and split by warm and cold start.
    Without it the CDF of all succeeded synchronous requests (client latency, retries
    included) is read from the run's log-bucket histogram (≤ 1 % relative error); it has no
    warm/cold split, which the title says.

    Parameters
    ----------
    result : RunResult
        The run.
    function : str, optional
        Function name (required when the run has several).
    percentiles : tuple of float
        Percentiles marked with vertical lines.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to the line of all requests.

    Returns
    -------
    matplotlib.axes.Axes
    """
    name = pick_function(result, function)
    ax = new_axes(ax)
    inv = result.invocations
    title = f"{result.scenario.name}: latency of {name}"
    if inv is not None:
        rows = inv[(inv["function"] == name) & (inv["outcome"] == "succeeded")]
        lat = rows["latency_s"].to_numpy(dtype=np.float64)
        if lat.size == 0:
            raise ValueError(f"no succeeded invokes of {name} in the invocation log")
        x, y = _cdf(lat)
        ax.step(x, y, where="post", **{"label": f"all ({lat.size:,})", "color": "k", **kwargs})
        for cold, label, color in ((False, "warm", "C0"), (True, "cold", "C1")):
            part = rows.loc[rows["cold"] == cold, "latency_s"].to_numpy(dtype=np.float64)
            if part.size:
                x, y = _cdf(part)
                ax.step(x, y, where="post", color=color, label=f"{label} ({part.size:,})")
        marks = np.percentile(lat, percentiles)
        xlabel = "latency (s): arrival to end of the invoke"
    else:
        hists = getattr(result, "_histograms", {}).get(name)
        if hists is None:
            raise ValueError(f"the run has no latency histogram for {name}")
        hist = hists[0] if hists[0].count > 0 else hists[1]
        what = "latency" if hists[0].count > 0 else "duration"
        if hist.count == 0:
            raise ValueError(f"{name} has no finished requests to plot")
        qs = np.concatenate([np.linspace(0.0, 0.99, 199)[1:], 1 - np.geomspace(1e-2, 1e-5, 60)])
        xs = np.asarray(hist.quantiles(list(qs)), dtype=np.float64)
        ax.step(xs, qs, where="post", **{"label": f"all ({hist.count:,})", "color": "k", **kwargs})
        marks = np.asarray(hist.quantiles([p / 100 for p in percentiles]), dtype=np.float64)
        xlabel = (
            "client latency (s)" if what == "latency" else "duration (s)"
        ) + ", from histograms"
        title += " (warm/cold split: run with trace=True)"
    for p, v in zip(percentiles, marks, strict=True):
        if np.isfinite(v) and v > 0:
            ax.axvline(v, color="0.4", ls=":", lw=1)
            ax.annotate(
                f"p{p:g} {v * 1000:.0f} ms" if v < 1 else f"p{p:g} {v:.2f} s",
                (v, 0.02 + 0.3 * (p / 100) ** 8),
                rotation=90,
                fontsize=7,
                xytext=(2, 0),
                textcoords="offset points",
            )
    ax.set_xscale("log")
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("fraction of requests ≤ x")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def cost_breakdown(result: RunResult) -> pd.DataFrame:
    """Cost of the simulated window in USD by component, one row per function.

    Columns ``requests``, ``duration`` (ephemeral storage included), ``provisioned``, one per
    execution-model charge some function has (``managed instances``, ``tenant isolation``,
    ``snapstart``: the cost table's ``*_usd`` columns beyond these, 0 where a charge has no
    price) and ``SQS`` (a queue's request cost goes to the function it triggers, plus that
    mapping's provisioned pollers); queues no function consumes (DLQs) get a row
    ``queue:NAME``. A function's columns other than ``SQS`` add up to its ``total_usd``.

    Parameters
    ----------
    result : RunResult
        The run.

    Returns
    -------
    pandas.DataFrame
    """
    cost = result.cost
    parts: dict[str, Any] = {
        "requests": cost["requests_usd"],
        "duration": cost["duration_usd"] + cost["ephemeral_usd"],
        "provisioned": cost["provisioned_usd"],
    }
    known = {"requests_usd", "duration_usd", "ephemeral_usd", "provisioned_usd", "total_usd"}
    for col in cost.columns:  # the execution models' charges (results/execution_models.py)
        if col.endswith("_usd") and col not in known:
            parts[col.removesuffix("_usd").replace("_", " ")] = cost[col].fillna(0.0)
    parts["SQS"] = 0.0
    out = pd.DataFrame(parts).astype("float64")
    consumed: set[str] = set()
    for fname, block in result.functions.items():
        sqs = block.get("sqs")
        if sqs:
            q = str(sqs["queue"])
            consumed.add(q)
            q_usd = float(result.queues.get(q, {}).get("cost_usd", 0.0))
            out.loc[fname, "SQS"] = q_usd + float(sqs.get("epu_cost_usd", 0.0))
    for q, block in result.queues.items():
        if q not in consumed and "cost_usd" in block:
            out.loc[f"queue:{q}"] = [0.0] * (len(out.columns) - 1) + [float(block["cost_usd"])]
    out.index.name = "function"
    return out


def plot_cost(
    result: RunResult,
    *,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Cost breakdown per function: requests, duration, provisioned concurrency, the execution
    models' charges and SQS.

    Stacked horizontal bars of :func:`cost_breakdown` (USD of the simulated window, after
    warm-up); components that are zero everywhere are left out.

    Parameters
    ----------
    result : RunResult
        The run.
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every ``barh``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    table = cost_breakdown(result)
    ax = new_axes(ax, figsize=(8.0, 1.2 + 0.5 * len(table)))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    colors = {"requests": "C0", "duration": "C1", "provisioned": "C2", "SQS": "C4"}
    extra = iter(("C3", "C5", "C6", "C7", "C8", "C9"))  # the execution models' charges
    for col in table.columns:
        v = table[col].to_numpy(dtype=np.float64)
        if not np.any(v > 0):
            continue
        color = colors[col] if col in colors else next(extra, "C9")
        ax.barh(y, v, left=left, label=col, color=color, **kwargs)
        left = left + v
    for yi, total in zip(y, left, strict=True):
        ax.annotate(
            f"${total:,.4g}",
            (total, yi),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
        )
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.invert_yaxis()
    window = result.scenario.horizon_s - result.scenario.warmup_s
    ax.set_xlabel(f"USD for the simulated {window:,.0f} s ({result.pricing_table})")
    ax.set_ylabel("function")
    ax.set_xlim(right=max(float(left.max()) * 1.2, 1e-9))
    ax.set_title(f"{result.scenario.name}: cost breakdown")
    ax.legend(loc="lower right", fontsize="small")
    return ax
