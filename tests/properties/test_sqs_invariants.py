"""Hypothesis invariants of SQS queues and event source mappings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls

pytestmark = [pytest.mark.properties, pytest.mark.slow]  # 40 hypothesis examples


@st.composite
def sqs_scenarios(draw: st.DrawFn) -> ls.Scenario:
    kind = draw(st.sampled_from(["standard", "fifo"]))
    timeout = draw(st.sampled_from([1, 3, 10]))
    window = 0.0 if kind == "fifo" else draw(st.sampled_from([0.0, 0.0, 2.0]))
    batch = draw(st.integers(1, 10 if (kind == "fifo" or window == 0.0) else 50))
    redrive = draw(st.booleans())
    queue: dict[str, Any] = {
        "kind": kind,
        "visibility_timeout_s": draw(st.sampled_from([timeout, 6 * timeout + window])),
        "retention_s": draw(st.sampled_from([60.0, 345600.0])),
    }
    if redrive:
        queue.update(max_receive_count=draw(st.integers(1, 5)), redrive_to="dlq")
    trigger: dict[str, Any] = {
        "queue": "q",
        "batch_size": batch,
        "max_batching_window_s": window,
        "report_batch_item_failures": draw(st.booleans()),
    }
    if draw(st.booleans()):
        trigger["max_concurrency"] = draw(st.integers(2, 20))
    elif draw(st.booleans()):
        trigger["mode"] = {"provisioned": {"min_pollers": 2, "max_pollers": 4}}
    wl: dict[str, Any] = {
        "target": "queue:q",
        "arrivals": {"kind": "poisson", "rate_per_s": draw(st.floats(0.5, 60))},
        "message_kb": draw(st.sampled_from([1.0, 100.0])),
    }
    if kind == "fifo":
        wl["message_groups"] = draw(st.integers(1, 8))
    horizon = draw(st.floats(30, 300))
    return ls.Scenario.from_dict(
        {
            "name": "prop-sqs",
            "seed": draw(st.integers(0, 2**16)),
            "horizon_s": horizon,
            "warmup_s": draw(st.sampled_from([0.0, horizon / 5])),
            "account": {
                "concurrency": 50,
                "min_unreserved": 5,
                "scaling": {"mode": "per_function", "envs_per_10s": draw(st.integers(2, 50))},
            },
            "queues": {"q": queue, "dlq": {"kind": kind}},
            "functions": {
                "w": {
                    "duration": {"dist": "exponential", "mean_s": draw(st.floats(0.05, 3.0))},
                    "cold_start": {"dist": "constant", "value_s": draw(st.floats(0, 1))},
                    "timeout_s": timeout,
                    "error_rate": draw(st.floats(0, 0.5)),
                    "reserved_concurrency": draw(st.sampled_from([None, 1, 5, 20])),
                    "trigger": {"sqs": trigger},
                }
            },
            "workloads": [wl],
        }
    )


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(sqs_scenarios())
def test_every_message_is_accounted_for(sc: ls.Scenario) -> None:
    res = ls.run(sc, progress=False)
    for name, q in res.queues.items():
        for k in (
            "sent",
            "deleted",
            "to_dlq",
            "to_dlq_unprocessed",
            "expired",
            "in_queue_end",
            "in_flight_end",
            "requests",
            "empty_receives",
        ):
            assert q[k] >= 0, (name, k, q)
        assert q["sent"] == (
            q["deleted"] + q["to_dlq"] + q["expired"] + q["in_queue_end"] + q["in_flight_end"]
        ), name
        # messages that never ran are some of those redriven
        assert q["to_dlq_unprocessed"] <= q["to_dlq"], (name, q)
    # the DLQ receives exactly the messages redriven from q (nothing else sends to it);
    # q counts a redrive by the message's send time, the DLQ by the redrive's, so with a
    # warm-up the DLQ may also count messages sent to q before it ended
    q, dlq = res.queues["q"], res.queues["dlq"]
    if sc.queues["q"].redrive_to is None:
        assert q["to_dlq"] == 0 and dlq["sent"] == 0
    elif sc.warmup_s == 0:
        assert dlq["sent"] == q["to_dlq"]
    else:
        assert dlq["sent"] >= q["to_dlq"]
    # and the DLQ has no consumer: everything it received is still in it
    assert dlq["deleted"] == 0 and dlq["in_flight_end"] == 0
    trig = sc.functions["w"].trigger
    assert trig is not None and trig.sqs is not None
    if res.functions["w"]["throttle_events"] == 0 and trig.sqs.max_batching_window_s == 0:
        # only a batch whose every invoke was throttled (or one still in its batching window
        # at its visibility deadline) is redriven without having run
        assert q["to_dlq_unprocessed"] == 0
    e = res.functions["w"]["sqs"]
    if trig.sqs.max_concurrency is not None:
        assert e["concurrency_max"] <= trig.sqs.max_concurrency
    rc = sc.functions["w"].reserved_concurrency
    if rc is not None:
        assert res.functions["w"]["concurrency"]["max"] <= rc
    if e["batches"]:
        assert 1 <= e["batch_size_mean"] <= trig.sqs.batch_size
