"""Regression tests of the failures the schema-wide invariants found (issue 15, item 1).

Each test is the minimal example of one failure of ``tests/properties/test_schema_invariants.py``
and checks the invariant it broke; the fix is in the model, named in each docstring.
"""

from __future__ import annotations

from typing import Any

import pytest

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def _fn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 0.1},
        "cold_start": {"dist": "constant", "value_s": 0.5},
        "timeout_s": 3,
    }
    base.update(kw)
    return base


def _sync(target: str, rate: float = 1.0) -> dict[str, Any]:
    return {"target": target, "arrivals": {"kind": "constant", "rate_per_s": rate}}


def test_pc_invocations_plus_spillover_is_invocations_run_while_pc_is_zero() -> None:
    """A PC schedule that starts at 0: invokes before the allocation are spillovers too
    (ProvisionedMetrics.on_invocation counted spillover only while PC was allocated)."""
    pc = {"initial": 0, "schedule": [{"at_s": 30.0, "value": 1}], "allocation_lead_s": 0.0}
    sc = scenario(
        functions={"f": _fn(provisioned_concurrency=pc)}, workloads=[_sync("f")], horizon_s=60.0
    )
    f = ls.run(sc, progress=False).functions["f"]
    p = f["provisioned"]
    assert p["invocations"] > 0 and p["spillover_invocations"] >= 30
    assert p["invocations"] + p["spillover_invocations"] == f["invocations_run"]


def test_pc_identity_with_warmup_and_async_retries() -> None:
    """An async retry after warm-up of an event accepted before it: PC counted it by its start,
    invocations_run by its arrival (both now count invokes of requests arriving after warm-up)."""
    fn = _fn(
        provisioned_concurrency=1,
        error_rate=0.5,
        **{"async": {"max_retry_attempts": 2, "retry_delays_s": [5.0, 5.0]}},
    )
    wl = {"target": "f", "invocation": "async", "arrivals": {"kind": "constant", "rate_per_s": 1.0}}
    sc = scenario(functions={"f": fn}, workloads=[wl], horizon_s=60.0, warmup_s=20.0)
    f = ls.run(sc, progress=False).functions["f"]
    p = f["provisioned"]
    assert p["invocations"] + p["spillover_invocations"] == f["invocations_run"]


def test_async_queue_depth_is_never_negative_under_reserved_zero() -> None:
    """RC 0 sends async events straight to the failure path: AsyncDispatcher._fail took them off
    a depth level they were never put on (AsyncQueueDepthMean < 0)."""
    fn = _fn(reserved_concurrency=0, **{"async": {"max_retry_attempts": 0}})
    wl = {"target": "f", "invocation": "async", "arrivals": {"kind": "constant", "rate_per_s": 1.0}}
    res = ls.run(scenario(functions={"f": fn}, workloads=[wl], horizon_s=60.0), progress=False)
    ts = res.timeseries
    depth = ts[(ts.function == "f") & ts.metric.str.startswith("AsyncQueueDepth")]
    assert not depth.empty and (depth.value == 0).all()
    assert res.functions["f"]["async"]["queue_depth_max"] == 0


def test_cold_starts_never_exceed_invocations_run() -> None:
    """Invokes still running at the horizon: cold starts counted them at the start,
    invocations_run only at the end (the counter rule: both count at the start now)."""
    fn = _fn(duration={"dist": "constant", "value_s": 5.0}, timeout_s=10)
    sc = scenario(functions={"f": fn}, workloads=[_sync("f")], horizon_s=3.0)
    f = ls.run(sc, progress=False).functions["f"]
    assert f["cold_starts"] == f["in_flight_end"] == 2  # arrivals at 1 s and 2 s
    assert f["invocations_run"] == 2
    assert f["cold_start_rate"] == 1.0
    assert f["duration_s"]["mean"] is None  # a mean over finished invokes: none finished


def test_invocations_series_counts_invokes_at_their_start() -> None:
    """The Invocations series follows the same rule: its sum is invocations_run."""
    fn = _fn(duration={"dist": "constant", "value_s": 5.0}, timeout_s=10)
    res = ls.run(
        scenario(functions={"f": fn}, workloads=[_sync("f")], horizon_s=3.0), progress=False
    )
    ts = res.timeseries
    inv = ts[(ts.function == "f") & (ts.metric == "Invocations")].value.sum()
    assert inv == res.functions["f"]["invocations_run"] == 2


def _sqs(rc: int | None, window: float = 0.0) -> ls.Scenario:
    trig = {"queue": "q", "batch_size": 10, "max_batching_window_s": window}
    fn = _fn(trigger={"sqs": trig})
    if rc is not None:
        fn["reserved_concurrency"] = rc
    return scenario(
        functions={"f": fn},
        workloads=[{"target": "queue:q", "arrivals": {"kind": "constant", "rate_per_s": 1.0}}],
        queues={"q": {"visibility_timeout_s": 18}},
        horizon_s=60.0,
    )


def test_sqs_mapping_reports_no_concurrency_under_reserved_zero() -> None:
    """RC 0: every invoke of the mapping is throttled; EventSourceMappingConcurrency counted
    the batches its pollers held while retrying (now: its invokes while they run)."""
    res = ls.run(_sqs(0), progress=False)
    f = res.functions["f"]
    assert f["invocations_run"] == 0
    assert f["sqs"]["concurrency_max"] == 0
    assert f["sqs"]["throttled_batches"] == f["sqs"]["batches"] > 0
    ts = res.timeseries
    esm = ts[(ts.function == "f") & ts.metric.str.startswith("EventSourceMappingConcurrency")]
    assert (esm.value == 0).all()


def test_sqs_mapping_concurrency_is_at_most_the_functions() -> None:
    """A batching window: a batch collecting messages is not an invoke, so the mapping's
    concurrency stays within the function's."""
    f = ls.run(_sqs(None, window=5.0), progress=False).functions["f"]
    assert f["sqs"]["concurrency_max"] <= f["concurrency"]["max"]
    assert f["sqs"]["concurrency_mean"] <= f["concurrency"]["mean"] + 1e-9


def test_pc_allocated_while_on_demand_holds_reserved_slots() -> None:
    """PC of 2 allocated at t = 0 under RC 2 while on-demand invokes hold both slots: PC
    environments took more invokes (concurrency 3 > RC 2); now they wait for a free RC slot."""
    pc = {"initial": 0, "schedule": [{"at_s": 0.0, "value": 2}], "allocation_lead_s": 0.0}
    fn = _fn(
        reserved_concurrency=2,
        provisioned_concurrency=pc,
        duration={"dist": "constant", "value_s": 0.5},
        cold_start={"dist": "constant", "value_s": 0.3},
    )
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 10.0}}],
        horizon_s=20.0,
        account={"concurrency": 3, "min_unreserved": 0, "scaling": {"mode": "none"}},
    )
    res = ls.run(sc, progress=False, trace=True)
    assert res.functions["f"]["concurrency"]["max"] <= 2
    assert res.account["concurrency_max"] <= 3


def test_pc_decrease_while_busy_keeps_limits_and_utilization() -> None:
    """PC lowered from 2 to 0 while both PC environments are busy: they kept running but no
    longer held RC's slots (concurrency above RC) nor the allocated level (utilisation > 1)."""
    pc = {
        "initial": 2,
        "schedule": [{"at_s": 10.0, "value": 0}, {"at_s": 20.0, "value": 2}],
        "allocation_lead_s": 0.0,
    }
    fn = _fn(
        reserved_concurrency=2,
        provisioned_concurrency=pc,
        duration={"dist": "exponential", "mean_s": 1.0},
    )
    sc = scenario(
        functions={"f": fn, "g": _fn()},
        workloads=[
            {"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 5.0}},
            _sync("g"),
        ],
        horizon_s=40.0,
        account={"concurrency": 3, "min_unreserved": 0, "scaling": {"mode": "none"}},
    )
    res = ls.run(sc, progress=False)
    f = res.functions["f"]
    assert f["concurrency"]["max"] <= 2
    assert res.account["concurrency_max"] <= 3
    ts = res.timeseries
    util = ts[(ts.function == "f") & (ts.metric == "ProvisionedConcurrencyUtilization")].value
    assert (util.dropna() <= 1.0 + 1e-9).all()
    p = f["provisioned"]
    assert p["busy_max"] <= p["allocated_max"]


def test_sqs_batches_are_counted_by_their_opening() -> None:
    """A batch opened before warm-up and first invoked after it counted in ``batches`` (by its
    invoke) but not in ``throttled_batches`` (by its opening): under RC 0, 35 ≠ 36."""
    trig = {"queue": "q", "batch_size": 10, "max_batching_window_s": 5.0}
    fn = _fn(trigger={"sqs": trig}, reserved_concurrency=0)
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "queue:q", "arrivals": {"kind": "constant", "rate_per_s": 0.5}}],
        queues={"q": {"visibility_timeout_s": 18}},
        horizon_s=60.0,
        warmup_s=12.0,
    )
    e = ls.run(sc, progress=False).functions["f"]["sqs"]
    assert e["throttled_batches"] == e["batches"] > 0
