"""SQS queues and event source mappings (aws-lambda-behaviour.md §7, validation.md §2 item 16)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.clock import Clock
from lambdasim.config import Queue
from lambdasim.metrics.sqs import QueueMetrics
from lambdasim.periods import Periods
from lambdasim.service.sqs import SqsQueue
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def worker(trigger: dict[str, Any], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.0},
        "keep_alive_s": 3600,
        "max_lifetime_s": None,
        "timeout_s": 5,
        "trigger": {"sqs": {"queue": "q", **trigger}},
    }
    base.update(kw)
    return base


def run_sqs(
    trace_csv: Any,
    times: list[float],
    trigger: dict[str, Any],
    *,
    queue: dict[str, Any] | None = None,
    horizon_s: float = 300.0,
    step_s: float = 10.0,
    fn: dict[str, Any] | None = None,
    extra_queues: dict[str, Any] | None = None,
    **top: Any,
) -> ls.RunResult:
    sc = scenario(
        functions={"w": worker(trigger, **(fn or {}))},
        workloads=[{"target": "queue:q", "arrivals": {"kind": "trace", "path": trace_csv(times)}}],
        queues={"q": {"visibility_timeout_s": 30, **(queue or {})}, **(extra_queues or {})},
        horizon_s=horizon_s,
        output={"timeseries_step_s": step_s},
        **top,
    )
    return ls.run(sc, progress=False)


def series(res: ls.RunResult, function: str, metric: str) -> list[float]:
    ts = res.timeseries
    return ts[(ts["function"] == function) & (ts["metric"] == metric)]["value"].tolist()


def conserved(q: dict[str, Any]) -> bool:
    return q["sent"] == (
        q["deleted"] + q["to_dlq"] + q["expired"] + q["in_queue_end"] + q["in_flight_end"]
    )


def test_backlog_drains_at_c_times_b_over_s(trace_csv: Any) -> None:
    # c = 4 concurrent batches (max_concurrency), b = 10 messages, S = 1 s: 40 messages/s
    res = run_sqs(
        trace_csv, [0.0] * 4000, {"batch_size": 10, "max_concurrency": 4}, horizon_s=200.0
    )
    deleted = series(res, "queue:q", "NumberOfMessagesDeleted")
    # rounds of 4 × 10 messages finish at t = 1, 2, ..., 100 s (10-s periods)
    assert deleted[:11] == [360.0] + [400.0] * 9 + [40.0] and sum(deleted[11:]) == 0
    q = res.queues["q"]
    assert q["deleted"] == 4000 and conserved(q)
    assert res.functions["w"]["sqs"]["concurrency_max"] == 4
    assert res.functions["w"]["sqs"]["batch_size_mean"] == 10


@pytest.mark.parametrize(("legacy", "per_min"), [(False, 300), (True, 60)])
def test_poller_ramp_from_a_deep_backlog(trace_csv: Any, legacy: bool, per_min: int) -> None:
    # Long invokes keep every slot busy, so concurrency follows the mapping's target:
    # 5 at the start, + 300 per minute (legacy + 60) while messages wait (§7.1).
    res = run_sqs(
        trace_csv,
        [0.0] * 60_000,
        {"batch_size": 1, "legacy_ramp": legacy},
        fn={"duration": {"dist": "constant", "value_s": 30.0}, "timeout_s": 30},
        queue={"visibility_timeout_s": 200},
        horizon_s=180.0,
        step_s=60.0,
        account={"concurrency": 5000},
    )
    conc = series(res, "w", "EventSourceMappingConcurrency")
    cold = series(res, "w", "ColdStarts")
    for minute in range(3):
        expect = 5 + per_min * (minute + 1)
        assert conc[minute] == pytest.approx(expect, rel=0.2), (minute, conc)
        # every added slot is a new environment: cold starts ≈ the ramp (validation.md §2 16)
        assert cold[minute] == pytest.approx(per_min + (5 if minute == 0 else 0), rel=0.2)
    assert res.functions["w"]["throttle_events"] == 0


def test_ramp_stops_at_max_concurrency_not_at_reserved(trace_csv: Any) -> None:
    res = run_sqs(
        trace_csv,
        [0.0] * 3000,
        {"batch_size": 1, "max_concurrency": 7},
        fn={"duration": {"dist": "exponential", "mean_s": 2.0}, "timeout_s": 20},
        queue={"visibility_timeout_s": 200},
        horizon_s=120.0,
    )
    f = res.functions["w"]
    assert f["sqs"]["concurrency_max"] == 7 and f["concurrency"]["max"] == 7
    res = run_sqs(
        trace_csv,
        [0.0] * 3000,
        {"batch_size": 1},
        fn={
            "duration": {"dist": "exponential", "mean_s": 2.0},
            "timeout_s": 20,
            "reserved_concurrency": 12,
        },
        queue={"visibility_timeout_s": 200},
        horizon_s=120.0,
    )
    f = res.functions["w"]
    # the mapping does not account for reserved concurrency (AWS Knowledge Center
    # "lambda-sqs-scaling"): its pollers ramp past 12 and the extra batches are throttled; its
    # concurrency (invokes running, as MaximumConcurrency counts them) stays at the function's
    assert f["sqs"]["pollers_max"] > 12
    assert f["sqs"]["concurrency_max"] == f["concurrency"]["max"] == 12
    assert f["throttle_events"] > 0 and f["sqs"]["throttled_batches"] > 0


def _over_reserved(trace_csv: Any, trigger: dict[str, Any], max_receive_count: int) -> ls.RunResult:
    """50 messages at t = 0 to a function with reserved concurrency 2 (batches of 10, 10-s
    handlers, no INIT, 30-s visibility timeout, redrive after ``max_receive_count``)."""
    return run_sqs(
        trace_csv,
        [0.0] * 50,
        {"batch_size": 10, **trigger},
        fn={
            "duration": {"dist": "constant", "value_s": 10.0},
            "timeout_s": 15,
            "reserved_concurrency": 2,
        },
        queue={
            "visibility_timeout_s": 30,
            "max_receive_count": max_receive_count,
            "redrive_to": "dlq",
        },
        extra_queues={"dlq": {}},
        horizon_s=100.0,
    )


def test_throttled_batches_reach_the_dlq_without_running(trace_csv: Any) -> None:
    # Expected by hand from the documented rules (§7.1, §7.3 and this module's backoff):
    # t = 0: the mapping opens its 5 initial batches of 10; reserved concurrency 2 admits b1,
    #   b2 (run 0-10 s) and throttles b3, b4, b5. The poller retries after 1, 2, 4, 8, 16 s:
    #   at t = 1, 3, 7 all three are throttled again (12 throttles so far).
    # t = 10: b1, b2 succeed (20 deleted); nothing is visible, the slots stay free.
    # t = 15: b3, b4 are admitted (run 15-25 s, 20 deleted); b5 is throttled (13th) and would
    #   retry at t = 31, after its visibility deadline t = 30.
    # t = 30: b5's 10 messages reappear with their one receive counted; max_receive_count 1
    #   moves them to the DLQ. They never ran.
    res = _over_reserved(trace_csv, {}, max_receive_count=1)
    q, f = res.queues["q"], res.functions["w"]
    e = f["sqs"]
    assert (e["batches"], e["throttled_batches"], f["throttle_events"]) == (5, 3, 13)
    assert f["throttles_by_reason"]["ReservedFunctionConcurrentInvocationLimitExceeded"] == 13
    assert (q["received"], q["deleted"], q["to_dlq"], q["to_dlq_unprocessed"]) == (50, 40, 10, 10)
    assert res.queues["dlq"]["sent"] == 10 and conserved(q)
    # the mapping wants 5 batches (its initial target) while the function never runs more
    # than 2: its concurrency counts invokes running, so it is 2 as well
    assert e["pollers_max"] == 5
    assert e["concurrency_max"] == 2 and f["concurrency"]["max"] == 2
    esm = series(res, "w", "EventSourceMappingConcurrency")
    running = series(res, "w", "ConcurrentExecutions")
    assert esm[0] == 2 and max(esm) == 2
    assert running[0] == 2 and max(running) == 2


def test_a_throttled_batch_returns_with_its_receive_counted(trace_csv: Any) -> None:
    # as above with max_receive_count 2: at t = 30 b5's messages reappear (1 receive each) and
    # are received again at once (2nd receive) by a new batch that runs 30-40 s
    res = _over_reserved(trace_csv, {}, max_receive_count=2)
    q = res.queues["q"]
    assert (q["received"], q["deleted"], q["to_dlq"], q["to_dlq_unprocessed"]) == (60, 50, 0, 0)
    assert res.functions["w"]["sqs"]["batches"] == 6 and conserved(q)


def test_max_concurrency_at_reserved_concurrency_never_throttles(trace_csv: Any) -> None:
    # max_concurrency 2 = reserved concurrency: 2 batches at a time, rounds at t = 0, 10, 20,
    # each done 10 s later, before its visibility deadline (30, 40, 50 s)
    res = _over_reserved(trace_csv, {"max_concurrency": 2}, max_receive_count=1)
    q, f = res.queues["q"], res.functions["w"]
    assert (f["sqs"]["throttled_batches"], f["throttle_events"]) == (0, 0)
    assert (q["deleted"], q["to_dlq"], q["to_dlq_unprocessed"]) == (50, 0, 0)
    assert f["sqs"]["concurrency_max"] == 2 and res.queues["dlq"]["sent"] == 0


def test_redrive_fraction_is_p_to_the_max_receive_count(trace_csv: Any) -> None:
    p, k, n = 0.4, 3, 20_000
    res = run_sqs(
        trace_csv,
        [i * 0.01 for i in range(n)],
        {"batch_size": 5, "report_batch_item_failures": True},
        fn={"error_rate": p, "timeout_s": 1},
        queue={"visibility_timeout_s": 10, "max_receive_count": k, "redrive_to": "dlq"},
        extra_queues={"dlq": {}},
        horizon_s=600.0,
    )
    q = res.queues["q"]
    assert q["in_queue_end"] == 0 and q["in_flight_end"] == 0 and conserved(q)
    se = math.sqrt(n * p**k * (1 - p**k))
    assert abs(q["to_dlq"] - n * p**k) < 4 * se, (q["to_dlq"], n * p**k, se)
    assert res.queues["dlq"]["sent"] == q["to_dlq"]


@pytest.mark.parametrize("partial", [True, False])
def test_partial_batch_response_returns_only_failed_items(trace_csv: Any, partial: bool) -> None:
    res = run_sqs(
        trace_csv,
        [0.0] * 10,
        {"batch_size": 10, "report_batch_item_failures": partial},
        fn={"error_rate": 0.3},
        queue={"visibility_timeout_s": 30, "max_receive_count": 1, "redrive_to": "dlq"},
        extra_queues={"dlq": {}},
        horizon_s=100.0,
        seed=3,
    )
    q, e = res.queues["q"], res.functions["w"]["sqs"]
    assert e["batches"] == 1
    failures = e["item_failures"] if partial else None
    if partial:
        assert 0 < failures < 10  # seed 3 gives some but not all failures
        assert (q["to_dlq"], q["deleted"]) == (failures, 10 - failures)
        assert e["failed_batches"] == 0
    else:
        assert e["failed_batches"] == 1  # a failed item fails the whole batch
        assert (q["to_dlq"], q["deleted"]) == (10, 0)
    assert q["to_dlq_unprocessed"] == 0  # they ran (and failed)
    assert conserved(q)


def test_retention_expiry_is_counted(trace_csv: Any) -> None:
    res = run_sqs(
        trace_csv,
        [0.0] * 1000,
        {"batch_size": 1, "max_concurrency": 2},
        fn={"duration": {"dist": "constant", "value_s": 10.0}, "timeout_s": 10},
        queue={"visibility_timeout_s": 60, "retention_s": 60},
        horizon_s=200.0,
    )
    q = res.queues["q"]
    # two slots of 10-s invokes take 12 messages in the first 60 s; the rest expire at 60 s
    assert q["deleted"] == 12 and q["expired"] == 1000 - 12 and conserved(q)


def test_empty_receives_of_idle_pollers(trace_csv: Any) -> None:
    res = run_sqs(trace_csv, [500.0], {"batch_size": 1}, horizon_s=301.0)
    # 5 idle pollers long-poll (20 s each): 5 empty receives every 20 s (§10.5)
    assert res.queues["q"]["empty_receives"] == 5 * 15
    assert res.queues["q"]["requests"] == 5 * 15


def test_provisioned_mode_starts_at_min_pollers_and_bills_pollers(trace_csv: Any) -> None:
    res = run_sqs(
        trace_csv,
        [0.0] * 5000,
        {"batch_size": 1, "mode": {"provisioned": {"min_pollers": 3, "max_pollers": 20}}},
        fn={"duration": {"dist": "constant", "value_s": 30.0}, "timeout_s": 30},
        queue={"visibility_timeout_s": 200},
        horizon_s=60.0,
        step_s=10.0,
        account={"concurrency": 5000},
    )
    conc = series(res, "w", "EventSourceMappingConcurrency")
    assert conc[0] >= 30  # 3 pollers x 10 concurrent invokes from the start
    assert max(conc) <= 200  # 20 pollers x 10
    e = res.functions["w"]["sqs"]
    assert e["epu_hours"] == pytest.approx(e["pollers_mean"] * 60 / 3600, rel=0.05)
    assert e["epu_cost_usd"] == pytest.approx(e["epu_hours"] * 0.00925)


def test_fifo_groups_limit_concurrency(trace_csv: Any) -> None:
    sc = scenario(
        functions={"w": worker({"batch_size": 1}, duration={"dist": "constant", "value_s": 2.0})},
        workloads=[
            {
                "target": "queue:q",
                "message_groups": 3,
                "arrivals": {"kind": "trace", "path": trace_csv([0.0] * 300)},
            }
        ],
        queues={"q": {"kind": "fifo", "visibility_timeout_s": 30}},
        horizon_s=400.0,
    )
    res = ls.run(sc, progress=False)
    # one in-flight batch per message group: 3 groups, 2-s invokes, 300 messages: 200 s
    assert res.functions["w"]["sqs"]["concurrency_max"] == 3
    assert res.queues["q"]["deleted"] == 300
    deleted = series(res, "queue:q", "NumberOfMessagesDeleted")
    assert sum(deleted[:4]) == 300 and deleted[3] > 0  # done during the 4th minute


def test_fifo_queue_keeps_group_order_and_locks_groups() -> None:
    sim = Clock()
    q = SqsQueue(
        sim,
        "f",
        Queue(kind="fifo", visibility_timeout_s=30),
        QueueMetrics("f", "fifo", Periods(100.0, 10.0, 0.0)),
    )
    for i in range(6):
        q.send(0.0, 1.0, group=i % 2)  # group 0: messages 0, 2, 4; group 1: 1, 3, 5
    a = q.receive(0.0, "a", 2, 6144)
    assert [m.group for m in a] == [0, 0]  # the head group, in order
    b = q.receive(0.0, "b", 10, 6144)
    assert [m.group for m in b] == [1, 1, 1]  # group 0 is held by batch a
    assert q.receive(0.0, "c", 10, 6144) == []  # both groups locked
    q.release(a, "a", 30.0)  # a failed: its messages come back at the front of group 0
    q.unlock({0})
    c = q.receive(30.0, "c", 10, 6144)
    assert c[:2] == a and len(c) == 3 and all(m.group == 0 for m in c)
    assert [m.receives for m in c] == [2, 2, 1]


def test_fifo_receive_stops_at_the_payload_limit() -> None:
    # 8 groups of 1,000-KB messages: a 6-MB batch takes 6 of them and ends; the groups whose
    # next message did not fit stay available (an earlier version cycled over them forever)
    sim = Clock()
    q = SqsQueue(
        sim,
        "f",
        Queue(kind="fifo", visibility_timeout_s=30),
        QueueMetrics("f", "fifo", Periods(100.0, 10.0, 0.0)),
    )
    for i in range(8):
        q.send(0.0, 1000.0, group=i)
    got = q.receive(0.0, "a", 10, 6144.0)
    assert [m.group for m in got] == [0, 1, 2, 3, 4, 5]
    assert [m.group for m in q.receive(0.0, "b", 10, 6144.0)] == [6, 7]


@pytest.mark.parametrize(
    ("kind", "window", "ok"), [("fifo", 2.0, False), ("fifo", 0.0, True), ("standard", 2.0, True)]
)
def test_batching_window_on_a_fifo_queue_is_a_config_error(
    kind: str, window: float, ok: bool
) -> None:
    # AWS: "Batching window is not supported for FIFO queues" (services-sqs-parameters)
    def build() -> ls.Scenario:
        return scenario(
            functions={"w": worker({"batch_size": 5, "max_batching_window_s": window})},
            workloads=[{"target": "queue:q", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
            queues={"q": {"kind": kind, "visibility_timeout_s": 30}},
        )

    if ok:
        build()
        return
    with pytest.raises(ls.ConfigError) as exc:
        build()
    (line,) = exc.value.format().splitlines()
    assert "functions.w.trigger.sqs.max_batching_window_s: " in line
    assert "FIFO" in line and "standard queues only" in line and line.endswith("(got 2.0)")
