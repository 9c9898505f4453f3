"""Kinesis / DynamoDB stream mappings (aws-lambda-behaviour.md §8)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def consumer(trigger: dict[str, Any], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.0},
        "keep_alive_s": 3600,
        "max_lifetime_s": None,
        "timeout_s": 10,
        "trigger": {"stream": {"name": "s", **trigger}},
    }
    base.update(kw)
    return base


def run_stream(
    trigger: dict[str, Any],
    arrivals: dict[str, Any],
    *,
    stream: dict[str, Any],
    horizon_s: float,
    fn: dict[str, Any] | None = None,
    **wl: Any,
) -> ls.RunResult:
    sc = scenario(
        functions={"c": consumer(trigger, **(fn or {}))},
        workloads=[{"target": "stream:s", "arrivals": arrivals, **wl}],
        streams={"s": stream},
        queues={"dlq": {}},
        horizon_s=horizon_s,
        output={"timeseries_step_s": 60},
    )
    return ls.run(sc, trace=True, progress=False)


def conserved(s: dict[str, Any]) -> bool:
    return s["records"] == s["processed"] + s["to_on_failure"] + s["expired"] + s["remaining"]


def test_concurrency_is_shards_times_parallelization_factor() -> None:
    res = run_stream(
        {"batch_size": 10, "parallelization_factor": 3},
        {"kind": "poisson", "rate_per_s": 400},
        stream={"shards": 4},
        horizon_s=120.0,
    )
    f = res.functions["c"]
    assert f["concurrency"]["max"] == 12  # saturated: 4 shards x 3
    s = res.streams["s"]
    assert conserved(s) and s["out_of_order"] == 0


def test_order_is_kept_per_partition_key_through_failures() -> None:
    res = run_stream(
        {
            "batch_size": 20,
            "parallelization_factor": 5,
            "bisect_batch_on_error": True,
            "max_retry_attempts": 3,
            "report_batch_item_failures": True,
        },
        {"kind": "poisson", "rate_per_s": 50},
        stream={"shards": 2},
        horizon_s=300.0,
        fn={"error_rate": 0.05, "duration": {"dist": "exponential", "mean_s": 0.3}},
        partition_keys=20,
    )
    s = res.streams["s"]
    assert s["retries"] > 0 and s["bisections"] > 0 and s["processed"] > 10_000
    assert s["out_of_order"] == 0 and conserved(s)


def test_poison_record_is_isolated_by_bisection_then_sent_to_the_destination(
    trace_csv: Any,
) -> None:
    # 64 records at t = 0 on one shard, batch size 64, one poison record (seed 9 draws exactly
    # one at p = 1/64): the full batch fails, then at each of log2(64) = 6 levels the half with
    # the poison record fails and the other half succeeds; the single record is then retried
    # twice and goes to the on-failure destination: 1 + 2 x 6 + 2 = 15 invokes.
    sc = scenario(
        functions={
            "c": consumer(
                {
                    "batch_size": 64,
                    "bisect_batch_on_error": True,
                    "max_retry_attempts": 2,
                    "on_failure": {"queue": "dlq"},
                }
            )
        },
        workloads=[
            {
                "target": "stream:s",
                "partition_keys": 1,
                "poison_probability": 1 / 64,
                "arrivals": {"kind": "trace", "path": trace_csv([0.0] * 64)},
            }
        ],
        streams={"s": {"shards": 1}},
        queues={"dlq": {}},
        horizon_s=60.0,
        seed=9,
    )
    res = ls.run(sc, trace=True, progress=False)
    s = res.streams["s"]
    assert s["to_on_failure"] == 1, "seed 9 no longer draws exactly one poison record"
    assert (s["processed"], s["bisections"], s["retries"]) == (63, 6, 2)
    assert len(res.invocations) == 1 + 2 * int(math.log2(64)) + 2  # type: ignore[arg-type]
    assert res.queues["dlq"]["sent"] == 1
    # the shard is blocked meanwhile: invokes run one after the other
    log = res.invocations.sort_values("start_s")  # type: ignore[union-attr]
    assert (log["start_s"].to_numpy()[1:] >= log["end_s"].to_numpy()[:-1]).all()


def test_iterator_age_grows_linearly_above_the_processing_rate() -> None:
    # one shard, batches of 10 taking 1 s: 10 records/s at most. At 15/s the backlog grows by
    # 5/s, so the age of the newest record sent grows by 5/15 = 1/3 s per second.
    res = run_stream(
        {"batch_size": 10},
        {"kind": "constant", "rate_per_s": 15},
        stream={"shards": 1},
        horizon_s=1200.0,
        partition_keys=1,
    )
    age = [a for a in res.timeseries.query("metric == 'IteratorAge' and function == 'c'")["value"]]
    slope = (age[19] - age[4]) / (15 * 60)
    assert slope == pytest.approx(1 / 3, rel=0.05)
    res = run_stream(
        {"batch_size": 10},
        {"kind": "constant", "rate_per_s": 5},
        stream={"shards": 1},
        horizon_s=1200.0,
        partition_keys=1,
    )
    s = res.streams["s"]
    assert s["iterator_age_s"]["max"] < 3.0  # bounded: at most a poll interval plus a batch


def test_blocked_shard_loses_records_past_retention() -> None:
    # every record is poison and retries are unlimited (-1): the shard is blocked until the
    # records reach the 1-h retention, then they are lost (and counted) and the next block
    res = run_stream(
        {"batch_size": 100},
        {"kind": "constant", "rate_per_s": 1},
        stream={"shards": 1, "retention_s": 3600},
        horizon_s=7200.0,
        partition_keys=1,
        poison_probability=1.0,
    )
    s = res.streams["s"]
    assert s["processed"] == 0 and s["to_on_failure"] == 0
    assert s["expired"] > 3000 and conserved(s)


def test_max_record_age_sends_old_records_to_the_destination() -> None:
    res = run_stream(
        {"batch_size": 100, "max_record_age_s": 60, "on_failure": {"queue": "dlq"}},
        {"kind": "constant", "rate_per_s": 1},
        stream={"shards": 1},
        horizon_s=600.0,
        partition_keys=1,
        poison_probability=1.0,
    )
    s = res.streams["s"]
    assert s["age_exceeded"] > 400 and s["to_on_failure"] == s["age_exceeded"]
    assert s["expired"] == 0 and conserved(s)
    assert res.queues["dlq"]["sent"] > 0
