"""Asynchronous invocation: retries, maximum event age, DLQ, destinations.

validation.md §2 item 17 and aws-lambda-behaviour.md §5–6.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def fn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 0.0},
        "cold_start": {"dist": "constant", "value_s": 0.0},
        "keep_alive_s": 3600,
        "max_lifetime_s": None,
        "timeout_s": 10,
    }
    base.update(kw)
    return base


def run_async(
    trace_csv: Any,
    times: list[float],
    functions: dict[str, Any],
    horizon_s: float = 400.0,
    **top: Any,
) -> ls.RunResult:
    target = next(iter(functions))
    sc = scenario(
        functions=functions,
        workloads=[
            {
                "target": target,
                "invocation": "async",
                "source": "s3",
                "arrivals": {"kind": "trace", "path": trace_csv(times)},
            }
        ],
        horizon_s=horizon_s,
        **top,
    )
    return ls.run(sc, trace=True, progress=False)


def conserved(a: dict[str, Any]) -> bool:
    return a["events_received"] + a["duplicates"] == (
        a["succeeded"]
        + a["to_dlq"]
        + a["to_on_failure"]
        + a["dropped"]
        + a["in_queue_end"]
        + a["in_flight_end"]
    )


def series(res: ls.RunResult, function: str, metric: str) -> list[float]:
    ts = res.timeseries
    return ts[(ts["function"] == function) & (ts["metric"] == metric)]["value"].tolist()


def test_always_failing_event_is_retried_at_60_and_180_then_dead_lettered(trace_csv: Any) -> None:
    f = fn(error_rate=1.0, **{"async": {"dead_letter": {"queue": "dlq"}}})
    res = run_async(
        trace_csv, [0.0], {"f": f}, queues={"dlq": {}}, output={"timeseries_step_s": 10}
    )
    log = res.invocations
    assert list(log["start_s"]) == [0.0, 60.0, 180.0]  # type: ignore[index]
    a = res.functions["f"]["async"]
    assert (a["attempts"], a["retries"], a["to_dlq"]) == (3, 2, 1)
    assert a["failure_reasons"]["RetriesExhausted"] == 1
    received = series(res, "queue:dlq", "NumberOfMessagesSent")
    assert received[18] == 1 and sum(received) == 1  # reaches the DLQ at 180 s
    assert res.queues["dlq"]["sent"] == 1
    assert conserved(a)


def test_zero_retries_gives_one_attempt(trace_csv: Any) -> None:
    f = fn(error_rate=1.0, **{"async": {"max_retry_attempts": 0}})
    res = run_async(trace_csv, [0.0], {"f": f})
    a = res.functions["f"]["async"]
    assert (a["attempts"], a["retries"], a["dropped"]) == (1, 0, 1)


def test_delayed_retry_past_the_maximum_age_fails_at_the_deadline(trace_csv: Any) -> None:
    f = fn(error_rate=1.0, **{"async": {"max_event_age_s": 100, "on_failure": {"queue": "q"}}})
    res = run_async(trace_csv, [0.0], {"f": f}, queues={"q": {}}, output={"timeseries_step_s": 10})
    a = res.functions["f"]["async"]
    # attempts at 0 and 60; the retry due at 180 is past the 100-s maximum age
    assert a["attempts"] == 2 and a["failure_reasons"]["EventAgeExceeded"] == 1
    assert a["to_on_failure"] == 1
    assert series(res, "queue:q", "NumberOfMessagesSent")[10] == 1  # at exactly 100 s


def test_dlq_fraction_is_p_to_the_power_of_attempts(trace_csv: Any) -> None:
    p, n = 0.3, 40_000
    f = fn(error_rate=p, **{"async": {"dead_letter": {"queue": "dlq"}}})
    res = run_async(
        trace_csv, [k * 0.01 for k in range(n)], {"f": f}, horizon_s=800.0, queues={"dlq": {}}
    )
    a = res.functions["f"]["async"]
    assert a["events_received"] == n and a["in_queue_end"] == 0 and a["in_flight_end"] == 0
    q = p**3  # fails all 1 + 2 attempts
    se = math.sqrt(n * q * (1 - q))
    assert abs(a["to_dlq"] - n * q) < 4 * se, (a["to_dlq"], n * q, se)
    # retries: first retry with probability p, second with p²
    expect = n * (p + p * p)
    assert abs(a["retries"] - expect) < 4 * math.sqrt(n * (p * (1 - p) + p * p * (1 - p * p)))
    assert conserved(a)


def test_sustained_overload_ages_events_out_and_loses_none(trace_csv: Any) -> None:
    f = fn(
        duration={"dist": "constant", "value_s": 1.0},
        reserved_concurrency=2,
        **{"async": {"max_event_age_s": 60, "dead_letter": {"queue": "dlq"}}},
    )
    times = [k * 0.1 for k in range(6000)]  # 10 events/s for 600 s, capacity 2/s
    res = run_async(trace_csv, times, {"f": f}, horizon_s=700.0, queues={"dlq": {}})
    a = res.functions["f"]["async"]
    assert a["failure_reasons"]["EventAgeExceeded"] > 4000
    assert a["event_age_s"]["max"] <= 60.0  # nothing starts after its maximum age
    assert conserved(a)
    assert a["to_dlq"] == res.queues["dlq"]["sent"] == a["failure_reasons"]["EventAgeExceeded"]
    # two slots, 1-s invokes, kept busy by the queue: about 2 successes a second for 600+ s
    assert 1200 <= a["succeeded"] <= 2 * 660
    assert res.functions["f"]["concurrency"]["max"] == 2
    assert a["retries"] == 0  # throttles never use up the error retries
    # cut the same run at 300 s: the backlog is still there, and so is the last period's depth
    res = run_async(trace_csv, times, {"f": f}, horizon_s=300.0, queues={"dlq": {}})
    a = res.functions["f"]["async"]
    assert a["in_queue_end"] > 0 and conserved(a)
    assert series(res, "f", "AsyncQueueDepth")[-1] >= a["in_queue_end"]


def test_throttled_event_waits_at_the_head_and_runs_when_a_slot_frees(trace_csv: Any) -> None:
    f = fn(
        duration={"dist": "constant", "value_s": 10.0},
        timeout_s=20,
        reserved_concurrency=1,
        **{"async": {"throttle_backoff": {"jitter": False}}},
    )
    res = run_async(trace_csv, [0.0, 0.0, 0.0], {"f": f}, horizon_s=100.0)
    assert list(res.invocations["start_s"]) == [0.0, 10.0, 20.0]  # type: ignore[index]
    assert res.functions["f"]["throttle_events"] >= 2


def test_reserved_concurrency_zero_sends_events_straight_to_failure(trace_csv: Any) -> None:
    f = fn(reserved_concurrency=0, **{"async": {"on_failure": {"queue": "q"}}})
    res = run_async(trace_csv, [1.0, 2.0, 3.0], {"f": f}, queues={"q": {}})
    a = res.functions["f"]["async"]
    assert a["attempts"] == 0 and a["to_on_failure"] == 3
    assert a["failure_reasons"]["ReservedConcurrencyZero"] == 3


def test_on_success_chain_delivers_each_success_once(trace_csv: Any) -> None:
    functions = {
        "a": fn(
            error_rate=0.2, **{"async": {"on_success": {"function": "b"}, "max_retry_attempts": 0}}
        ),
        "b": fn(**{"async": {"on_success": {"function": "c"}}}),
        "c": fn(),
    }
    res = run_async(trace_csv, [k * 0.5 for k in range(400)], functions, horizon_s=400.0)
    a, b, c = (res.functions[x]["async"] for x in "abc")
    assert a["events_received"] == 400 and 0 < a["dropped"] < 400
    assert b["events_received"] == a["succeeded"]
    assert c["events_received"] == b["succeeded"] == a["succeeded"]
    assert b["sources"] == {"lambda": a["succeeded"]}
    assert a["sources"] == {"s3": 400}


def test_duplicates_are_delivered_and_conserved(trace_csv: Any) -> None:
    n, p = 4000, 0.25
    res = run_async(
        trace_csv,
        [k * 0.05 for k in range(n)],
        {"f": fn(**{"async": {"duplicate_probability": p}})},
        horizon_s=300.0,
    )
    a = res.functions["f"]["async"]
    assert abs(a["duplicates"] - n * p) < 4 * math.sqrt(n * p * (1 - p))
    assert a["succeeded"] == n + a["duplicates"] and conserved(a)


def test_fifo_dead_letter_queue_fails_delivery(trace_csv: Any) -> None:
    f = fn(error_rate=1.0, **{"async": {"max_retry_attempts": 0, "dead_letter": {"queue": "f"}}})
    res = run_async(trace_csv, [0.0, 1.0], {"f": f}, queues={"f": {"kind": "fifo"}})
    a = res.functions["f"]["async"]
    assert a["dead_letter_errors"] == 2 and a["dropped"] == 2 and a["to_dlq"] == 0
    assert res.queues["f"]["sent"] == 0


def test_large_payloads_are_billed_as_extra_requests(trace_csv: Any) -> None:
    sc = scenario(
        functions={"f": fn()},
        workloads=[
            {
                "target": "f",
                "invocation": "async",
                "payload_kb": 1024,
                "arrivals": {"kind": "trace", "path": trace_csv([1.0, 2.0])},
            }
        ],
    )
    res = ls.run(sc, progress=False)
    (t,) = res.totals
    # 1 request per invoke + 12 per 1-MB event (1 for the first 256 KB, 1 per further 64 KB)
    assert t.requests == 2 + 2 * 12
    with pytest.raises(ls.ConfigError, match="1024"):
        sc.replace({"workloads.0.payload_kb": 2048})


def test_async_latency_counts_from_acceptance(trace_csv: Any) -> None:
    f = fn(
        duration={"dist": "constant", "value_s": 2.0},
        cold_start={"dist": "constant", "value_s": 0.5},
    )
    res = run_async(trace_csv, [1.0], {"f": f})
    a = res.functions["f"]["async"]
    assert a["latency_s"]["p50"] == pytest.approx(2.5, rel=0.01)
    assert res.functions["f"]["invocations"] == 0  # sync counters are for sync requests only
    assert res.functions["f"]["invocations_run"] == 1


def test_async_trace_durations_are_used_for_every_attempt(tmp_path: Any) -> None:
    p = tmp_path / "events.csv"
    p.write_text("timestamp,duration\n1.0,0.25\n2.0,1.5\n3.0,0.75\n", encoding="utf-8")
    f = fn(error_rate=1.0, **{"async": {"max_retry_attempts": 1, "retry_delays_s": [10]}})
    sc = scenario(
        functions={"f": f},
        workloads=[
            {
                "target": "f",
                "invocation": "async",
                "arrivals": {"kind": "trace", "path": str(p), "duration_column": "duration"},
            }
        ],
        horizon_s=100.0,
    )
    log = ls.run(sc, trace=True, progress=False).invocations
    assert log is not None
    got = sorted(zip(log["arrival_s"], log["duration_s"], strict=True))
    # two attempts per event (1 retry), each with the event's recorded duration
    assert got == [(1.0, 0.25), (1.0, 0.25), (2.0, 1.5), (2.0, 1.5), (3.0, 0.75), (3.0, 0.75)]


def _self_loop(**kw: Any) -> dict[str, Any]:
    # 1-s invokes whose on-success destination is the function itself: a recursive loop
    return fn(
        duration={"dist": "constant", "value_s": 1.0},
        **{"async": {"on_success": {"function": "f"}, "dead_letter": {"queue": "dlq"}}},
        **kw,
    )


def test_recursive_loop_is_stopped_after_16_invocations(trace_csv: Any) -> None:
    # AWS: "If a function is invoked by the same triggering event more than 16 times, Lambda will
    # stop the next invocation and sends the event to a Dead-Letter Queue or on-failure
    # destination" (What's New 2023-07-13; Lambda guide "invocation-recursion")
    res = run_async(trace_csv, [0.0, 0.5], {"f": _self_loop()}, horizon_s=100.0, queues={"dlq": {}})
    a = res.functions["f"]["async"]
    log = res.invocations
    assert log is not None
    starts = sorted(log["start_s"])
    # each event runs at 0, 1, ..., 15 s (and 0.5 ... 15.5 s): 16 invocations, then stops
    assert starts == sorted([float(k) for k in range(16)] + [k + 0.5 for k in range(16)])
    assert a["succeeded"] == 32 and a["attempts"] == 32 and a["retries"] == 0
    assert a["failure_reasons"]["RecursiveInvocationDetected"] == 2
    assert a["to_dlq"] == 2 and res.queues["dlq"]["sent"] == 2
    # the 17th invocation of each chain was accepted (a destination record) and failed at once
    assert a["events_received"] == 2 * 17
    assert a["sources"] == {"s3": 2, "lambda": 32}
    dlq = series(res, "queue:dlq", "NumberOfMessagesSent")
    assert dlq[0] == 2 and sum(dlq) == 2  # both at 16 and 16.5 s, in the first minute
    assert conserved(a)


def test_recursive_loop_allow_keeps_going_until_the_horizon(trace_csv: Any) -> None:
    res = run_async(
        trace_csv,
        [0.0],
        {"f": _self_loop(recursive_loop="allow")},
        horizon_s=100.0,
        queues={"dlq": {}},
    )
    a = res.functions["f"]["async"]
    log = res.invocations
    assert log is not None
    # one invocation a second: 0 ... 98 s finished, the one started at 99 s is running at 100 s
    assert sorted(log["start_s"]) == [float(k) for k in range(99)]
    assert a["succeeded"] == 99 and a["in_flight_end"] == 1
    assert a["failure_reasons"]["RecursiveInvocationDetected"] == 0 and a["to_dlq"] == 0
    assert conserved(a)


def test_recursive_loop_counts_the_chain_across_functions(trace_csv: Any) -> None:
    # a -> b -> a -> ...: invocations 1, 3, ..., 15, 17 are a's and 2, 4, ..., 16 b's. a allows
    # recursion, so its invocation 17 runs; b terminates, so invocation 18 (b's) is stopped and
    # goes to b's failure path: the setting of the function that would be invoked decides.
    def link(nxt: str, **kw: Any) -> dict[str, Any]:
        return fn(
            duration={"dist": "constant", "value_s": 1.0},
            **{"async": {"on_success": {"function": nxt}, "on_failure": {"queue": "q"}}},
            **kw,
        )

    functions = {"a": link("b", recursive_loop="allow"), "b": link("a")}
    res = run_async(trace_csv, [0.0], functions, horizon_s=100.0, queues={"q": {}})
    a, b = res.functions["a"]["async"], res.functions["b"]["async"]
    assert (a["succeeded"], b["succeeded"]) == (9, 8)
    assert a["failure_reasons"]["RecursiveInvocationDetected"] == 0
    assert b["failure_reasons"]["RecursiveInvocationDetected"] == 1 and b["to_on_failure"] == 1
    assert res.queues["q"]["sent"] == 1


def test_stopped_chain_invokes_no_on_failure_function(trace_csv: Any) -> None:
    # on-success and on-failure both lead back to f: after the stop, Lambda's invoke of the
    # on-failure function would be the chain's next invocation, refused (RecursiveInvocation-
    # Exception), so the record counts as a destination delivery failure and the chain ends
    f = fn(
        duration={"dist": "constant", "value_s": 1.0},
        **{"async": {"on_success": {"function": "f"}, "on_failure": {"function": "f"}}},
    )
    res = run_async(trace_csv, [0.0], {"f": f}, horizon_s=100.0)
    a = res.functions["f"]["async"]
    assert a["succeeded"] == 16 and a["events_received"] == 17
    assert a["failure_reasons"]["RecursiveInvocationDetected"] == 1
    assert a["destination_delivery_failures"] == 1 and a["dropped"] == 1
    assert conserved(a)
