"""Hypothesis invariants of asynchronous invocation over random configurations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls

pytestmark = [pytest.mark.properties, pytest.mark.slow]  # 40 hypothesis examples


@st.composite
def async_scenarios(draw: st.DrawFn) -> ls.Scenario:
    n_fn = draw(st.integers(1, 3))
    names = [f"f{i}" for i in range(n_fn)]
    queues = {"dlq": {"kind": draw(st.sampled_from(["standard", "fifo"]))}}
    functions: dict[str, Any] = {}
    for i, name in enumerate(names):
        a: dict[str, Any] = {
            "max_retry_attempts": draw(st.integers(0, 2)),
            "max_event_age_s": draw(st.sampled_from([60.0, 120.0, 21600.0])),
            "retry_delays_s": [draw(st.floats(0, 30)), draw(st.floats(0, 60))],
            "retry_jitter_s": draw(st.sampled_from([0.0, 5.0])),
            "duplicate_probability": draw(st.sampled_from([0.0, 0.1])),
        }
        failure = draw(st.sampled_from(["none", "dlq", "on_failure"]))
        if failure == "dlq":
            a["dead_letter"] = {"queue": "dlq"}
        elif failure == "on_failure":
            a["on_failure"] = {"queue": "dlq"}
        if i + 1 < n_fn and draw(st.booleans()):
            a["on_success"] = {"function": names[i + 1]}  # chains go forward only: no loops
        functions[name] = {
            "duration": {"dist": "exponential", "mean_s": draw(st.floats(0.01, 3.0))},
            "cold_start": {"dist": "constant", "value_s": draw(st.floats(0, 1))},
            "timeout_s": draw(st.sampled_from([1, 3, 10])),
            "error_rate": draw(st.floats(0, 0.6)),
            "reserved_concurrency": draw(st.sampled_from([None, 0, 1, 3])),
            "keep_alive_s": draw(st.floats(1, 100)),
            "async": a,
        }
    horizon = draw(st.floats(30, 400))
    return ls.Scenario.from_dict(
        {
            "name": "prop-async",
            "seed": draw(st.integers(0, 2**16)),
            "horizon_s": horizon,
            "warmup_s": draw(st.sampled_from([0.0, horizon / 4])),
            "account": {
                "concurrency": 20,
                "min_unreserved": 5,
                "scaling": {"mode": "per_function", "envs_per_10s": draw(st.integers(1, 20))},
            },
            "queues": queues,
            "functions": functions,
            "workloads": [
                {
                    "target": names[0],
                    "invocation": "async",
                    "source": "s3",
                    "arrivals": {"kind": "poisson", "rate_per_s": draw(st.floats(0.1, 20))},
                }
            ],
        }
    )


@settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(async_scenarios())
def test_every_event_is_accounted_for(sc: ls.Scenario) -> None:
    res = ls.run(sc, progress=False)
    for name, f in res.functions.items():
        a = f["async"]
        done = a["succeeded"] + a["to_dlq"] + a["to_on_failure"] + a["dropped"]
        assert a["events_received"] + a["duplicates"] == (
            done + a["in_queue_end"] + a["in_flight_end"]
        ), name
        for k in (
            "events_received",
            "duplicates",
            "succeeded",
            "to_dlq",
            "to_on_failure",
            "dropped",
            "in_queue_end",
            "in_flight_end",
            "retries",
            "attempts",
        ):
            assert a[k] >= 0, (name, k)
        assert sum(a["failure_reasons"].values()) == a["to_dlq"] + a["to_on_failure"] + a["dropped"]
        rc = sc.functions[name].reserved_concurrency
        if rc is not None:
            assert f["concurrency"]["max"] <= rc
        age = a["event_age_s"]["max"]
        if age is not None:  # nobody starts an invoke after its maximum event age
            assert age <= sc.functions[name].async_config.max_event_age_s + 1e-9
        retries = sc.functions[name].async_config.max_retry_attempts
        assert a["retries"] <= retries * (a["events_received"] + a["duplicates"])
    assert res.account["concurrency_max"] <= sc.account.concurrency
