"""Plots draw what the result holds: the artists' data are the run's series, trace and summary.

No image comparison: each test reads the lines, markers and texts back from the Axes and checks
them against the result (and the AWS rule or invariant behind it), plus labels and errors.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import matplotlib
import numpy as np
import pytest

import lambdasim as ls
from lambdasim import plotting
from tests.conftest import ROOT

matplotlib.use("Agg")  # headless; a no-op if pyplot already uses it
import matplotlib.pyplot as plt
from matplotlib.axes import Axes

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _scenario(**fn: Any) -> ls.Scenario:
    api = {
        "memory_mb": 256,
        "timeout_s": 5,
        "duration": {"dist": "exponential", "mean_s": 0.5},
        "cold_start": {"dist": "constant", "value_s": 0.4},
        "keep_alive_s": 20,
        "reserved_concurrency": 4,
        **fn,
    }
    return ls.Scenario.from_dict(
        {
            "name": "plots",
            "seed": 3,
            "horizon_s": 240,
            "functions": {"api": api},
            "workloads": [{"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": 6}}],
            "output": {"timeseries_step_s": 20},
        }
    )


@pytest.fixture(scope="module")
def run() -> ls.RunResult:
    """Sync API at 6/s × 0.5 s against reserved concurrency 4: cold starts and throttles."""
    return ls.run(_scenario(), trace=True)


@pytest.fixture(scope="module")
def pc_run() -> ls.RunResult:
    return ls.run(_scenario(provisioned_concurrency=2, reserved_concurrency=6), trace=True)


@pytest.fixture(scope="module")
def async_sqs_run() -> ls.RunResult:
    """An async function with a DLQ (high error rate) and an SQS-triggered worker."""
    return ls.run(
        ls.Scenario.from_dict(
            {
                "name": "queues",
                "seed": 5,
                "horizon_s": 600,
                "queues": {
                    "dlq": {"kind": "standard"},
                    "jobs": {"kind": "standard", "visibility_timeout_s": 60},
                },
                "functions": {
                    "events": {
                        "timeout_s": 5,
                        "duration": {"dist": "constant", "value_s": 0.5},
                        "reserved_concurrency": 2,
                        "error_rate": 0.5,
                        "async": {
                            "max_retry_attempts": 1,
                            "retry_delays_s": [5],
                            "dead_letter": {"queue": "dlq"},
                        },
                    },
                    "worker": {
                        "timeout_s": 5,
                        "duration": {"dist": "constant", "value_s": 0.5},
                        "trigger": {"sqs": {"queue": "jobs", "batch_size": 1}},
                        "reserved_concurrency": 5,
                    },
                },
                "workloads": [
                    {
                        "target": "events",
                        "invocation": "async",
                        "arrivals": {"kind": "poisson", "rate_per_s": 5},
                    },
                    {"target": "queue:jobs", "arrivals": {"kind": "poisson", "rate_per_s": 15}},
                ],
                "output": {"timeseries_step_s": 30},
            }
        )
    )


def _labelled(ax: Axes) -> None:
    assert isinstance(ax, Axes)
    assert ax.get_xlabel()
    assert ax.get_ylabel()
    assert ax.get_title()


def _series(res: ls.RunResult, owner: str, metric: str) -> np.ndarray:
    """Per-period values of one metric, in time order, straight from ``res.timeseries``."""
    ts = res.timeseries
    rows = ts[(ts["function"] == owner) & (ts["metric"] == metric)].sort_values("time_s")
    return rows["value"].to_numpy(dtype=np.float64)


def _line(ax: Axes, label: str) -> Any:
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def _steps(line: Any) -> np.ndarray:
    """The per-period values of a step line (the last value is repeated up to the horizon)."""
    y = np.asarray(line.get_ydata(), dtype=np.float64)
    assert y[-1] == y[-2]
    return y[:-1]


def test_concurrency_draws_limits_and_throttles(run: ls.RunResult) -> None:
    assert run.functions["api"]["throttled"] > 0  # the scenario must throttle
    ax = run.plot.concurrency()
    _labelled(ax)
    labels = ax.get_legend_handles_labels()[1]
    assert "max per period" in labels
    assert "reserved concurrency 4" in labels
    assert any(lab.startswith("account limit 1000") and "above" in lab for lab in labels)
    throttle = [lab for lab in labels if lab.startswith("throttles")]
    assert throttle and f"{run.functions['api']['throttle_events']:,}" in throttle[0]
    # the lines are the run's series, one step per 20-s period, ending at the horizon
    cmax = _series(run, "api", "ConcurrentExecutions")
    top = _line(ax, "max per period")
    np.testing.assert_array_equal(_steps(top), cmax)
    np.testing.assert_array_equal(top.get_xdata(), np.arange(13) * 20.0)
    mean = _line(ax, "time-weighted mean")
    np.testing.assert_array_equal(_steps(mean), _series(run, "api", "ConcurrentExecutionsMean"))
    # reserved concurrency caps concurrency (aws-lambda-behaviour.md §4.3): the limit line is
    # at 4 and nothing is above it; the mean never exceeds the maximum of its period
    assert list(_line(ax, "reserved concurrency 4").get_ydata()) == [4, 4]
    assert cmax.max() == 4 and (_steps(mean) <= cmax + 1e-12).all()
    # one marker per period with throttles, at the middle of the period and its maximum
    throttles = _series(run, "api", "Throttles")
    (markers,) = ax.collections
    hit = np.flatnonzero(throttles > 0)
    np.testing.assert_allclose(markers.get_offsets(), np.c_[hit * 20.0 + 10.0, cmax[hit]])
    assert throttles.sum() == run.functions["api"]["throttle_events"]


def test_concurrency_with_provisioned_line_and_given_axes(pc_run: ls.RunResult) -> None:
    _fig, axes = plt.subplots(1, 2)
    ax = plotting.plot_concurrency(pc_run, function="api", ax=axes[1], color="C5")
    assert ax is axes[1]
    assert not axes[0].has_data()
    alloc = _series(pc_run, "api", "ProvisionedConcurrencyAllocated")
    line = _line(ax, "provisioned (allocated)")
    np.testing.assert_array_equal(_steps(line), alloc)
    assert alloc.max() == 2  # never more than the configured provisioned concurrency
    assert _line(ax, "max per period").get_color() == "C5"  # kwargs reach the maximum's line


def test_environment_layers_add_up(pc_run: ls.RunResult) -> None:
    layers = plotting.environment_layers(pc_run, "api")
    assert list(layers.columns) == ["initialising", "busy", "provisioned idle", "idle warm"]
    assert (layers.to_numpy() >= 0).all()
    ts = pc_run.timeseries
    envs = ts[(ts["function"] == "api") & (ts["metric"] == "EnvironmentsMean")]["value"]
    np.testing.assert_allclose(layers.sum(axis=1).to_numpy(), envs.to_numpy(), atol=1e-9)
    assert layers["provisioned idle"].max() > 0
    ax = pc_run.plot.environments()
    _labelled(ax)
    assert {"initialising", "busy", "provisioned idle", "idle warm"} <= set(
        ax.get_legend_handles_labels()[1]
    )
    # the outline is EnvironmentsMean itself, which the stacked layers fill exactly
    np.testing.assert_array_equal(_steps(_line(ax, "environments")), envs.to_numpy())


def test_latency_split_warm_cold_with_trace(run: ls.RunResult) -> None:
    ax = run.plot.latency()
    _labelled(ax)
    assert ax.get_xscale() == "log"
    inv = run.invocations
    assert inv is not None
    ok = inv[inv["outcome"] == "succeeded"]
    # each curve is the exact empirical CDF of its requests' latencies (arrival to end)
    for label, rows in (
        ("all", ok),
        ("warm", ok[~ok["cold"]]),
        ("cold", ok[ok["cold"]]),
    ):
        lat = np.sort(rows["latency_s"].to_numpy())
        assert lat.size > 0, label
        line = _line(ax, f"{label} ({lat.size:,})")
        np.testing.assert_array_equal(line.get_xdata(), lat)
        np.testing.assert_allclose(line.get_ydata(), np.arange(1, lat.size + 1) / lat.size)
    # a cold request's latency includes its 0.4-s INIT
    assert _line(ax, f"cold ({int(ok['cold'].sum()):,})").get_xdata()[0] >= 0.4
    # the marks sit at the percentiles of all succeeded latencies
    marks = [t.get_text() for t in ax.texts]
    assert [m.split()[0] for m in marks] == ["p50", "p99", "p99.9"]
    where = [float(t.xy[0]) for t in ax.texts]
    np.testing.assert_allclose(where, np.percentile(ok["latency_s"], [50, 99, 99.9]))


def test_latency_from_histograms_without_trace(run: ls.RunResult) -> None:
    res = ls.run(_scenario())  # the same run as the fixture's, without the invocation log
    assert res.functions["api"] == run.functions["api"]
    ax = plotting.plot_latency(res)
    _labelled(ax)
    assert "trace=True" in ax.get_title()
    inv = run.invocations
    assert inv is not None
    lat = np.sort(inv.loc[inv["outcome"] == "succeeded", "latency_s"].to_numpy())
    curve = ax.get_lines()[0]
    assert curve.get_label() == f"all ({lat.size:,})"
    y = np.asarray(curve.get_ydata())
    assert np.all(np.diff(y) >= 0) and 0.0 < y[0] and y[-1] < 1.0
    # read from the log-bucket histogram: every point of the curve and every mark is within
    # 1 % of the exact (lower) empirical quantile of the traced latencies
    x = np.asarray(curve.get_xdata())
    exact = lat[np.ceil(y * lat.size - 1e-9).astype(int) - 1]
    np.testing.assert_allclose(x, exact, rtol=0.01)
    where = np.array([float(t.xy[0]) for t in ax.texts])
    q = np.array([0.5, 0.99, 0.999])
    np.testing.assert_allclose(where, lat[np.ceil(q * lat.size - 1e-9).astype(int) - 1], rtol=0.01)


def test_cost_breakdown_matches_run_cost(pc_run: ls.RunResult, async_sqs_run: ls.RunResult) -> None:
    table = plotting.cost_breakdown(pc_run)
    assert table.loc["api"].sum() == pytest.approx(pc_run.cost.loc["api", "total_usd"])
    assert table.loc["api", "provisioned"] > 0
    ax = pc_run.plot.cost()
    _labelled(ax)
    q = plotting.cost_breakdown(async_sqs_run)
    assert q.loc["worker", "SQS"] == pytest.approx(async_sqs_run.queues["jobs"]["cost_usd"])
    assert "queue:dlq" in q.index
    ax = async_sqs_run.plot.cost()
    _labelled(ax)
    # one stacked bar per row of the breakdown; each segment is that component's USD
    assert [t.get_text() for t in ax.get_yticklabels()] == list(q.index)
    drawn = {c.get_label(): [bar.get_width() for bar in c] for c in ax.containers}
    assert set(drawn) == {col for col in q.columns if (q[col] > 0).any()}
    for col, widths in drawn.items():
        np.testing.assert_allclose(widths, q[col].to_numpy(), rtol=1e-12)


def test_cost_breakdown_includes_execution_model_charges() -> None:
    """A Managed Instances function's bill is instances, not GB-s: the breakdown carries the
    charge as its own component, so every function's bar adds up to its ``total_usd``."""
    sc = ls.load(ROOT / "configs" / "lmi-vs-on-demand.yaml").replace({"horizon_s": 900})
    res = ls.run(sc, progress=False)
    table = plotting.cost_breakdown(res)
    assert table.loc["api-lmi", "managed instances"] > 0
    assert table.loc["api-on-demand", "managed instances"] == 0
    for fname in res.cost.index:
        assert table.loc[fname].drop("SQS").sum() == pytest.approx(
            res.cost.loc[fname, "total_usd"], rel=1e-12
        )
    ax = res.plot.cost()
    drawn = {c.get_label(): [bar.get_width() for bar in c] for c in ax.containers}
    np.testing.assert_allclose(drawn["managed instances"], table["managed instances"], rtol=1e-12)
    plt.close(ax.figure)


def test_queue_async_and_dlq_views(async_sqs_run: ls.RunResult) -> None:
    res = async_sqs_run
    ax = res.plot.queue()  # the one queue a function consumes: jobs
    _labelled(ax)
    assert "jobs" in ax.get_title()
    for label, metric in (
        ("visible (max)", "ApproximateNumberOfMessagesVisible"),
        ("visible (mean)", "ApproximateNumberOfMessagesVisibleMean"),
        ("in flight (max)", "ApproximateNumberOfMessagesNotVisible"),
    ):
        np.testing.assert_array_equal(_steps(_line(ax, label)), _series(res, "queue:jobs", metric))
    right = ax.right_ax  # type: ignore[attr-defined]
    assert right.get_ylabel() == "age of oldest message (s)"
    age = _line(right, "age of oldest message")
    np.testing.assert_array_equal(
        _steps(age), _series(res, "queue:jobs", "ApproximateAgeOfOldestMessage")
    )
    ax = res.plot.async_events()
    _labelled(ax)
    np.testing.assert_array_equal(
        _steps(_line(ax, "events queued (max)")), _series(res, "events", "AsyncQueueDepth")
    )
    right = ax.right_ax  # type: ignore[attr-defined]
    assert right.get_ylabel() == "event age (s)"
    np.testing.assert_array_equal(
        _steps(_line(right, "event age at invoke (mean)")), _series(res, "events", "AsyncEventAge")
    )
    assert plotting.failure_queues(res) == ["dlq"]
    ax = res.plot.dlq()
    _labelled(ax)
    dlq = res.functions["events"]["async"]["to_dlq"]
    assert dlq > 0
    # the per-period arrivals at the DLQ add up to every event dead-lettered, no more
    line = _line(ax, f"to dlq ({dlq:,})")
    np.testing.assert_array_equal(_steps(line), _series(res, "queue:dlq", "NumberOfMessagesSent"))
    assert _steps(line).sum() == dlq == res.queues["dlq"]["sent"]


def test_queue_plots_refuse_what_is_not_there(run: ls.RunResult) -> None:
    with pytest.raises(ValueError, match="queue="):
        run.plot.queue()
    with pytest.raises(ValueError, match="async"):
        run.plot.async_events()
    with pytest.raises(ValueError, match="DLQ"):
        run.plot.dlq()


def test_timeline_rows_and_reclaims(run: ls.RunResult) -> None:
    tl = plotting.timeline_segments(run, end_s=120)
    assert tl.reclaim_known
    inv = run.invocations
    assert inv is not None
    assert set(tl.rows["env_id"]) == set(inv.loc[inv["start_s"] < 120, "env_id"])
    # every reclaim is the keep-alive after the environment's last invoke
    last_end = inv.groupby("env_id")["end_s"].max()
    for _, r in tl.rows.dropna(subset=["reclaim_s"]).iterrows():
        assert r["reclaim_s"] == pytest.approx(last_end[r["env_id"]] + 20.0)
    # an environment serves one invoke at a time: its busy bars never overlap
    for _, g in tl.segments[tl.segments["state"] != "idle"].groupby("row"):
        g = g.sort_values("start_s")
        assert (g["start_s"].to_numpy()[1:] >= g["end_s"].to_numpy()[:-1] - 1e-12).all()
    ax = run.plot.timeline(end_s=120)
    _labelled(ax)
    assert len(ax.get_yticks()) == len(tl.rows)
    assert {"init", "busy", "idle (warm)"} <= set(ax.get_legend_handles_labels()[1])


def test_timeline_marks_provisioned_rows_and_needs_trace(pc_run: ls.RunResult) -> None:
    ax = plotting.plot_timeline(pc_run, end_s=60)
    # the two provisioned environments are initialised ahead of traffic and take requests
    # first (aws-lambda-behaviour.md §9): two rows, labelled PC, with no INIT bar
    labels = [t.get_text() for t in ax.get_yticklabels()]
    pc_rows = [i for i, lab in enumerate(labels) if lab.endswith(" PC")]
    assert len(pc_rows) == 2
    tl = plotting.timeline_segments(pc_run, end_s=60)
    assert tl.rows.loc[tl.rows["provisioned"], "row"].tolist() == pc_rows
    init_rows = set(tl.segments.loc[tl.segments["state"] == "init", "row"])
    assert init_rows and not init_rows & set(pc_rows)
    with pytest.raises(ValueError, match="trace=True"):
        plotting.plot_timeline(ls.run(_scenario()))


def _animation_clock(run: ls.RunResult, end_s: float, frames: int) -> dict[float, str]:
    """Render the timeline animation; return its clock text by frame time (and check frames)."""
    anim = run.plot.animate_timeline(end_s=end_s, frames=frames)
    fig = anim._fig  # type: ignore[attr-defined]
    (clock,) = [t for t in fig.axes[0].texts if t.get_transform() == fig.axes[0].transAxes]
    shown: list[str] = []
    set_text = clock.set_text
    clock.set_text = lambda s: (shown.append(s), set_text(s))[1]  # type: ignore[method-assign]
    html = anim.to_jshtml()
    plt.close(fig)
    assert html.count("data:image/png;base64") == frames  # one image per frame
    return {float(s.split()[2]): s for s in shown}


def _clock_from_log(run: ls.RunResult, t: float) -> str:
    """What the clock must say at ``t``, from the invocation log: busy is inside [start, end)
    of an invoke (INIT included); live is born and not yet reclaimed (last end + the 20-s
    keep-alive)."""
    inv = run.invocations
    assert inv is not None
    start, end = inv["start_s"].to_numpy(), inv["end_s"].to_numpy()
    init_end = start + inv["init_s"].to_numpy()
    env = inv.groupby("env_id").agg(born=("start_s", "min"), last=("end_s", "max"))
    busy = int(((start <= t) & (t < end)).sum())
    in_init = int(((start <= t) & (t < init_end)).sum())
    live = int(((env["born"] <= t) & (t < env["last"] + 20.0)).sum())
    return f"environments {live}: {busy} busy ({in_init} in INIT), {live - busy} idle"


def test_animation_frames_count_the_environments_of_the_trace(run: ls.RunResult) -> None:
    frames = _animation_clock(run, end_s=30, frames=4)
    assert sorted(frames) == [0.0, 10.0, 20.0, 30.0]
    for t in (0.0, 10.0, 20.0):
        assert frames[t].endswith(_clock_from_log(run, t)), (t, frames[t])
    assert frames[20.0].startswith("t =    20.0 s")
    assert _clock_from_log(run, 20.0) != _clock_from_log(run, 0.0)  # not all empty


def test_animation_last_frame_counts_the_environments_at_the_window_end(
    run: ls.RunResult,
) -> None:
    frames = _animation_clock(run, end_s=30, frames=4)
    assert frames[30.0].endswith(_clock_from_log(run, 30.0)), frames[30.0]
    assert _clock_from_log(run, 30.0) != _clock_from_log(run, 1e9)  # environments are live
    # a window ending before the horizon: the bars stop at 47 s, the clock still counts
    frames = _animation_clock(run, end_s=47, frames=2)
    assert frames[47.0].endswith(_clock_from_log(run, 47.0)), frames[47.0]


@pytest.fixture(scope="module")
def sweep() -> ls.SweepResult:
    sc = _scenario(reserved_concurrency=None).replace({"horizon_s": 120})
    return ls.sweep(
        sc,
        {"functions.api.memory_mb": [256, 1024], "functions.api.keep_alive_s": [2, 30]},
        reps=2,
        seed=1,
        n_jobs=1,
        progress=False,
    )


def test_tradeoff_shades_feasible_region_and_stars_cheapest(sweep: ls.SweepResult) -> None:
    s = sweep.summary(metrics=["cost_usd", "latency_p99_s"])
    y_max = float(s["latency_p99_s"].median())
    ax = sweep.plot.tradeoff(y_max=y_max)
    _labelled(ax)
    labels = ax.get_legend_handles_labels()[1]
    assert "feasible region" in labels
    assert "lowest cost_usd meeting the bounds" in labels
    star = ax.collections[-1].get_offsets()[0]
    feasible = s[s["latency_p99_s"] <= y_max]
    assert star[0] == pytest.approx(feasible["cost_usd"].min())
    assert len(ax.texts) == 4  # one label per grid point


def test_cold_start_rate_with_closed_form(sweep: ls.SweepResult) -> None:
    calls: list[float] = []

    def theory(t: float) -> float:
        calls.append(t)
        return ls.theory.low_rate_cold_probability(6.0, 0.5, t)

    ax = sweep.plot.cold_start_rate("functions.api.keep_alive_s", theory=theory)
    _labelled(ax)
    labels = ax.get_legend_handles_labels()[1]
    assert "closed form" in labels
    assert sum(lab.startswith("memory_mb=") for lab in labels) == 2
    assert min(calls) == 2 and max(calls) == 30
    # one error-bar line per memory size: the replication means against the keep-alive
    s = sweep.summary(metrics=["cold_start_rate"])
    bars = {c.get_label(): c for c in ax.containers}
    for mem in (256, 1024):
        pts = s[s["functions.api.memory_mb"] == mem].sort_values("functions.api.keep_alive_s")
        line = bars[f"memory_mb={mem}"].lines[0]
        np.testing.assert_array_equal(np.asarray(line.get_xdata(), dtype=float), [2, 30])
        np.testing.assert_allclose(
            np.asarray(line.get_ydata(), dtype=float), pts["cold_start_rate"].to_numpy()
        )
        # a longer keep-alive keeps environments warm longer: fewer cold starts
        assert pts["cold_start_rate"].iloc[1] < pts["cold_start_rate"].iloc[0]
    closed = _line(ax, "closed form")
    xs = np.asarray(closed.get_xdata())
    assert xs[0] == 2 and xs[-1] == 30 and xs.size == 200
    np.testing.assert_allclose(closed.get_ydata(), [theory(float(t)) for t in xs])
    with pytest.raises(KeyError, match="grid"):
        sweep.plot.cold_start_rate("functions.api.timeout_s")


def test_no_pyplot_on_import_and_no_rcparams_change(run: ls.RunResult) -> None:
    before = dict(matplotlib.rcParams)
    run.plot.concurrency()
    run.plot.latency()
    assert dict(matplotlib.rcParams) == before
    code = "import sys, lambdasim; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tradeoff_constraints_on_other_metrics(sweep: ls.SweepResult) -> None:
    s = sweep.summary(metrics=["cost_usd", "latency_p99_s", "cold_start_rate"])
    bound = float(s["cold_start_rate"].median())
    ax = sweep.plot.tradeoff(
        y_max=float(s["latency_p99_s"].max()) * 2, constraints={"cold_start_rate": bound}
    )
    ok = s[s["cold_start_rate"] <= bound]
    assert 0 < len(ok) < len(s)  # some points are ruled out by the extra constraint
    star = ax.collections[-1].get_offsets()[0]
    assert star[0] == pytest.approx(ok["cost_usd"].min())
    legend = ax.get_legend()
    assert legend is not None and "memory_mb / keep_alive_s" in legend.get_title().get_text()
