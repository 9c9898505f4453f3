"""Hypothesis invariants of Kinesis / DynamoDB stream mappings."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls

pytestmark = [pytest.mark.properties, pytest.mark.slow]  # 40 hypothesis examples


@st.composite
def stream_scenarios(draw: st.DrawFn) -> ls.Scenario:
    kind = draw(st.sampled_from(["kinesis", "dynamodb"]))
    trigger: dict[str, Any] = {
        "name": "s",
        "batch_size": draw(st.integers(1, 200)),
        "max_batching_window_s": draw(st.sampled_from([0.0, 0.0, 2.0])),
        "parallelization_factor": draw(st.integers(1, 4)),
        "max_retry_attempts": draw(st.sampled_from([-1, 0, 1, 3])),
        "max_record_age_s": draw(st.sampled_from([-1.0, 60.0])),
        "bisect_batch_on_error": draw(st.booleans()),
        "report_batch_item_failures": draw(st.booleans()),
    }
    if draw(st.booleans()):
        trigger["on_failure"] = {"queue": "dlq"}
    stream: dict[str, Any] = {"kind": kind, "shards": draw(st.integers(1, 4))}
    if kind == "kinesis" and draw(st.booleans()):
        stream["retention_s"] = 3600.0
    horizon = draw(st.floats(30, 600))
    return ls.Scenario.from_dict(
        {
            "name": "prop-stream",
            "seed": draw(st.integers(0, 2**16)),
            "horizon_s": horizon,
            "warmup_s": draw(st.sampled_from([0.0, horizon / 5])),
            "account": {"concurrency": 50, "min_unreserved": 5},
            "queues": {"dlq": {}},
            "streams": {"s": stream},
            "functions": {
                "c": {
                    "duration": {"dist": "exponential", "mean_s": draw(st.floats(0.01, 2.0))},
                    "cold_start": {"dist": "constant", "value_s": draw(st.floats(0, 1))},
                    "timeout_s": 10,
                    "error_rate": draw(st.floats(0, 0.3)),
                    "reserved_concurrency": draw(st.sampled_from([None, 1, 3])),
                    "trigger": {"stream": trigger},
                }
            },
            "workloads": [
                {
                    "target": "stream:s",
                    "arrivals": {"kind": "poisson", "rate_per_s": draw(st.floats(0.5, 100))},
                    "partition_keys": draw(st.integers(1, 50)),
                    "poison_probability": draw(st.sampled_from([0.0, 0.01])),
                }
            ],
        }
    )


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(stream_scenarios())
def test_every_record_is_accounted_for_in_order(sc: ls.Scenario) -> None:
    res = ls.run(sc, progress=False)
    s = res.streams["s"]
    assert s["records"] == s["processed"] + s["to_on_failure"] + s["expired"] + s["remaining"]
    for k in ("processed", "to_on_failure", "expired", "remaining", "retries", "batches"):
        assert s[k] >= 0, k
    assert s["out_of_order"] == 0
    trig = sc.functions["c"].trigger
    assert trig is not None and trig.stream is not None
    cap = sc.streams["s"].shards * trig.stream.parallelization_factor
    assert res.functions["c"]["concurrency"]["max"] <= cap
    # the on-failure destination gets one metadata record per failed batch, never the
    # records themselves (aws-lambda-behaviour.md §8); without a destination nothing is sent
    sent = res.queues["dlq"]["sent"]
    if trig.stream.on_failure is None:
        assert sent == 0
    else:
        if s["to_on_failure"] > 0:
            assert sent >= 1
        if sc.warmup_s == 0:
            assert sent <= s["to_on_failure"]
