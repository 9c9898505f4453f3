"""The teaching timeline: one row per execution environment (init, busy, idle, reclaim).

It reads the opt-in per-invocation log of ``ls.run(..., trace=True)``: every admitted invoke
with its environment, start, INIT time and end. The log does not record reclaims; they are
inferred from the function's keep-alive when it is a constant (``keep_alive_s: 60``), or from
``keep_alive_s=`` given here, as AWS would: an environment idle for the keep-alive is reclaimed,
and one idle past ``max_lifetime_s`` is retired when it becomes idle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lambdasim.plotting._common import new_axes, pick_function

if TYPE_CHECKING:
    from matplotlib.animation import FuncAnimation
    from matplotlib.axes import Axes

    from lambdasim.results.run import RunResult

__all__ = ["TimelineSegments", "animate_timeline", "plot_timeline", "timeline_segments"]

_COLORS = {"init": "C1", "busy": "C0", "idle": "#b9dfb0", "provisioned": "#9fc5e8"}


@dataclass(frozen=True)
class TimelineSegments:
    """Intervals per environment row, from :func:`timeline_segments`.

    Attributes
    ----------
    segments : pandas.DataFrame
        ``row``, ``env_id``, ``state`` (``init``, ``busy``, ``idle``), ``start_s``, ``end_s``.
    rows : pandas.DataFrame
        One row per environment: ``row``, ``env_id``, ``provisioned`` (its first logged invoke
        was warm: a provisioned environment), ``reclaim_s`` (inferred reclaim time; NaN if
        not inferred or after the window), ``born_s``.
    reclaim_known : bool
        Whether reclaims could be inferred (constant keep-alive or ``keep_alive_s`` given).
    """

    segments: pd.DataFrame
    rows: pd.DataFrame
    reclaim_known: bool


def _constant_keep_alive(result: RunResult, function: str) -> float | None:
    from lambdasim.config.distributions import ConstantDist

    ka = result.scenario.functions[function].keep_alive_s
    return float(ka.value_s) if isinstance(ka, ConstantDist) else None


def timeline_segments(
    result: RunResult,
    *,
    function: str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    keep_alive_s: float | None = None,
) -> TimelineSegments:
    """Init, busy and idle intervals of every environment seen in ``[start_s, end_s]``.

    Parameters
    ----------
    result : RunResult
        A run with ``trace=True``.
    function : str, optional
        Function name (required when the run has several).
    start_s, end_s : float, optional
        The window (default: the whole run).
    keep_alive_s : float, optional
        Keep-alive used to infer reclaims; default the function's, if it is a constant.

    Returns
    -------
    TimelineSegments

    Raises
    ------
    ValueError
        If the run has no per-invocation log.
    """
    inv = result.invocations
    if inv is None:
        raise ValueError("the timeline needs the per-invocation log: ls.run(..., trace=True)")
    name = pick_function(result, function)
    sc = result.scenario
    t0 = 0.0 if start_s is None else float(start_s)
    t1 = sc.horizon_s if end_s is None else float(end_s)
    ka = keep_alive_s if keep_alive_s is not None else _constant_keep_alive(result, name)
    ml = sc.functions[name].max_lifetime_s
    log = inv[inv["function"] == name].sort_values(["env_id", "start_s"], kind="stable")
    segs: list[tuple[int, str, float, float]] = []
    rows: list[tuple[int, bool, float, float]] = []
    for env_id, g in log.groupby("env_id", sort=False):
        start = g["start_s"].to_numpy(dtype=np.float64)
        init = g["init_s"].to_numpy(dtype=np.float64)
        end = g["end_s"].to_numpy(dtype=np.float64)
        provisioned = not bool(g["cold"].iloc[0])
        born = -math.inf if provisioned else float(start[0])
        reclaim = math.nan
        if ka is not None:
            last = float(end[-1])
            if ml is not None and not provisioned and last - born >= ml:
                reclaim = last
            elif not provisioned:
                reclaim = last + ka if ml is None else min(last + ka, born + ml)
        life_end = t1 if math.isnan(reclaim) else min(reclaim, t1)
        if life_end < t0 or (not provisioned and born > t1):
            continue
        eid = int(str(env_id))
        if provisioned:
            segs.append((eid, "idle", t0, float(start[0])))
        for k in range(start.size):
            if init[k] > 0:
                segs.append((eid, "init", float(start[k]), float(start[k] + init[k])))
            segs.append((eid, "busy", float(start[k] + init[k]), float(end[k])))
            nxt = float(start[k + 1]) if k + 1 < start.size else life_end
            segs.append((eid, "idle", float(end[k]), nxt))
        rows.append((eid, provisioned, reclaim if reclaim <= t1 else math.nan, born))
    seg = pd.DataFrame(segs, columns=["env_id", "state", "start_s", "end_s"])
    seg["start_s"] = seg["start_s"].clip(lower=t0)
    seg["end_s"] = seg["end_s"].clip(upper=t1)
    seg = seg[seg["end_s"] > seg["start_s"]]
    row_df = pd.DataFrame(rows, columns=["env_id", "provisioned", "reclaim_s", "born_s"])
    row_df = row_df[row_df["env_id"].isin(seg["env_id"])].reset_index(drop=True)
    row_df.insert(0, "row", np.arange(len(row_df)))
    seg = seg.merge(row_df[["env_id", "row"]], on="env_id")[
        ["row", "env_id", "state", "start_s", "end_s"]
    ]
    return TimelineSegments(seg.reset_index(drop=True), row_df, ka is not None)


def plot_timeline(
    result: RunResult,
    *,
    function: str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    keep_alive_s: float | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One row per execution environment: INIT, busy, idle and reclaim over a short window.

    Orange is INIT (a cold start), blue a running handler, green idle and warm (the next
    request can reuse it), a black cross the reclaim after the keep-alive. Rows of provisioned
    environments (never cold in the log) are labelled "PC". Needs ``ls.run(..., trace=True)``.

    Parameters
    ----------
    result : RunResult
        A run with the per-invocation log.
    function : str, optional
        Function name (required when the run has several).
    start_s, end_s : float, optional
        Window in simulated seconds (default the whole run; keep it short, each invoke is a bar).
    keep_alive_s : float, optional
        Keep-alive to infer reclaims with; default the function's if constant, else reclaims
        are not drawn and idle bars run to the window's end (the title says so).
    ax : matplotlib.axes.Axes, optional
        Draw here; default a new figure.
    **kwargs
        Passed to every ``broken_barh`` (e.g. ``edgecolor``).

    Returns
    -------
    matplotlib.axes.Axes
    """
    name = pick_function(result, function)
    tl = timeline_segments(
        result, function=name, start_s=start_s, end_s=end_s, keep_alive_s=keep_alive_s
    )
    n = len(tl.rows)
    ax = new_axes(ax, figsize=(9.0, max(2.5, 0.9 + 0.3 * n)))
    seg = tl.segments
    for state in ("idle", "init", "busy"):
        part = seg[seg["state"] == state]
        first = True
        for row, g in part.groupby("row", sort=True):
            bars = list(zip(g["start_s"], g["end_s"] - g["start_s"], strict=True))  # (start, width)
            ax.broken_barh(
                bars,
                (float(row) - 0.35, 0.7),  # type: ignore[arg-type]
                facecolors=_COLORS[state],
                label=("idle (warm)" if state == "idle" else state) if first else None,
                **kwargs,
            )
            first = False
    rec = tl.rows.dropna(subset=["reclaim_s"])
    if len(rec):
        ax.scatter(rec["reclaim_s"], rec["row"], marker="x", color="k", zorder=5, label="reclaimed")
    labels = [
        f"env {int(e)}" + (" PC" if p else "")
        for e, p in zip(tl.rows["env_id"], tl.rows["provisioned"], strict=True)
    ]
    ax.set_yticks(np.arange(n), labels, fontsize=7 if n > 20 else 9)
    ax.set_ylim(n - 0.5, -0.5)
    t0 = 0.0 if start_s is None else start_s
    t1 = result.scenario.horizon_s if end_s is None else end_s
    ax.set_xlim(t0, t1)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("execution environment")
    title = f"{result.scenario.name}: environments of {name}"
    if not tl.reclaim_known:
        title += " (keep-alive not constant: reclaims not drawn)"
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small", ncols=4)
    return ax


def animate_timeline(
    result: RunResult,
    *,
    function: str | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
    frames: int = 60,
    interval_ms: int = 100,
    **kwargs: Any,
) -> FuncAnimation:
    """The timeline revealed left to right, with a clock and live/busy environment counts.

    Show it in Jupyter with ``HTML(anim.to_jshtml())`` after ``plt.close(anim._fig)`` (or
    close the figure you passed through ``ax=``), so the static frame is not drawn twice.

    Parameters
    ----------
    result : RunResult
        A run with the per-invocation log.
    function, start_s, end_s
        As for :func:`plot_timeline`.
    frames : int
        Number of frames.
    interval_ms : int
        Delay between frames, milliseconds.
    **kwargs
        Passed to :func:`plot_timeline` (``ax``, ``keep_alive_s``).

    Returns
    -------
    matplotlib.animation.FuncAnimation
    """
    from matplotlib.animation import FuncAnimation
    from matplotlib.patches import Rectangle

    ax = plot_timeline(result, function=function, start_s=start_s, end_s=end_s, **kwargs)
    # The clock counts from segments not clipped at the window's end: at its last frame
    # (t = end_s) an environment still busy or warm past end_s is live, though its drawn bar
    # stops there.
    tl = timeline_segments(
        result,
        function=function,
        start_s=start_s,
        end_s=math.inf,
        keep_alive_s=kwargs.get("keep_alive_s"),
    )
    seg = tl.segments
    t0, t1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    curtain = Rectangle((t0, y1), t1 - t0, y0 - y1, facecolor="white", alpha=0.85, zorder=4)
    ax.add_patch(curtain)
    cursor = ax.axvline(t0, color="k", lw=1, zorder=6)
    text = ax.text(0.01, 1.01, "", transform=ax.transAxes, fontsize=9, ha="left", va="bottom")
    times = np.linspace(t0, t1, frames)

    def draw(k: int) -> list[Any]:
        t = float(times[k])
        curtain.set_x(t)
        curtain.set_width(t1 - t)
        cursor.set_xdata([t, t])
        live = seg[(seg["start_s"] <= t) & (seg["end_s"] > t)]
        busy = int(live["state"].isin(["busy", "init"]).sum())
        init = int((live["state"] == "init").sum())
        text.set_text(
            f"t = {t:7.1f} s   environments {len(live)}: {busy} busy ({init} in INIT), "
            f"{len(live) - busy} idle"
        )
        return [curtain, cursor, text]

    fig = ax.figure
    return FuncAnimation(fig, draw, frames=frames, interval=interval_ms, blit=False)  # type: ignore[arg-type]
