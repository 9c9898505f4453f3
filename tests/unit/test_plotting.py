"""Plots draw on small results, label their axes and return the Axes (no image comparison)."""

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
    # the step line ends at the horizon
    xdata = ax.get_lines()[0].get_xdata()
    assert float(np.asarray(xdata)[-1]) == pytest.approx(240.0)


def test_concurrency_with_provisioned_line_and_given_axes(pc_run: ls.RunResult) -> None:
    _fig, axes = plt.subplots(1, 2)
    ax = plotting.plot_concurrency(pc_run, function="api", ax=axes[1], color="C5")
    assert ax is axes[1]
    assert "provisioned (allocated)" in ax.get_legend_handles_labels()[1]
    assert not axes[0].has_data()


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


def test_latency_split_warm_cold_with_trace(run: ls.RunResult) -> None:
    ax = run.plot.latency()
    _labelled(ax)
    labels = ax.get_legend_handles_labels()[1]
    assert any(lab.startswith("warm") for lab in labels)
    assert any(lab.startswith("cold") for lab in labels)
    assert ax.get_xscale() == "log"
    marks = [t.get_text() for t in ax.texts]
    assert [m.split()[0] for m in marks] == ["p50", "p99", "p99.9"]


def test_latency_from_histograms_without_trace() -> None:
    res = ls.run(_scenario())
    ax = plotting.plot_latency(res)
    _labelled(ax)
    assert "trace=True" in ax.get_title()
    y = np.asarray(ax.get_lines()[0].get_ydata())
    assert np.all(np.diff(y) >= 0) and y[-1] <= 1.0


def test_cost_breakdown_matches_run_cost(pc_run: ls.RunResult, async_sqs_run: ls.RunResult) -> None:
    table = plotting.cost_breakdown(pc_run)
    assert table.loc["api"].sum() == pytest.approx(pc_run.cost.loc["api", "total_usd"])
    assert table.loc["api", "provisioned"] > 0
    ax = pc_run.plot.cost()
    _labelled(ax)
    q = plotting.cost_breakdown(async_sqs_run)
    assert q.loc["worker", "SQS"] == pytest.approx(async_sqs_run.queues["jobs"]["cost_usd"])
    assert "queue:dlq" in q.index
    _labelled(async_sqs_run.plot.cost())


def test_queue_async_and_dlq_views(async_sqs_run: ls.RunResult) -> None:
    ax = async_sqs_run.plot.queue()
    _labelled(ax)
    assert "jobs" in ax.get_title()
    assert ax.right_ax.get_ylabel() == "age of oldest message (s)"  # type: ignore[attr-defined]
    ax = async_sqs_run.plot.async_events()
    _labelled(ax)
    assert ax.right_ax.get_ylabel() == "event age (s)"  # type: ignore[attr-defined]
    assert plotting.failure_queues(async_sqs_run) == ["dlq"]
    ax = async_sqs_run.plot.dlq()
    _labelled(ax)
    dlq = async_sqs_run.functions["events"]["async"]["to_dlq"]
    assert dlq > 0
    assert any(f"({dlq:,})" in lab for lab in ax.get_legend_handles_labels()[1])


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
    assert any(t.get_text().endswith("PC") for t in ax.get_yticklabels())
    with pytest.raises(ValueError, match="trace=True"):
        plotting.plot_timeline(ls.run(_scenario()))


def test_animation_renders_frames(run: ls.RunResult) -> None:
    anim = run.plot.animate_timeline(end_s=30, frames=3)
    html = anim.to_jshtml()
    assert "<script" in html
    plt.close(anim._fig)  # type: ignore[attr-defined]


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
