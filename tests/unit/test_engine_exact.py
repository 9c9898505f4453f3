"""Tiny deterministic scenarios with exact event times (constant durations, replayed arrivals)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def fn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.5},
        "keep_alive_s": 10,
        "max_lifetime_s": None,
        "timeout_s": 10,
    }
    base.update(kw)
    return base


def run_trace(
    trace_csv: Any,
    times: list[float],
    horizon_s: float = 100.0,
    retry: dict[str, Any] | None = None,
    **top: Any,
) -> ls.RunResult:
    functions = top.pop("functions", {"f": fn()})
    w: dict[str, Any] = {
        "target": next(iter(functions)),
        "arrivals": {"kind": "trace", "path": trace_csv(times)},
    }
    if retry:
        w["client_retry"] = retry
    sc = scenario(functions=functions, workloads=[w], horizon_s=horizon_s, **top)
    return ls.run(sc, seed=1, trace=True, progress=False)


def test_cold_then_warm_then_expired(trace_csv: Any) -> None:
    res = run_trace(trace_csv, [1.0, 5.0, 20.0])
    log = res.invocations
    assert log is not None
    assert list(log["cold"]) == [True, False, True]
    assert list(log["start_s"]) == [1.0, 5.0, 20.0]
    assert list(log["end_s"]) == [2.5, 6.0, 21.5]  # INIT 0.5 + handler 1.0 when cold
    assert list(log["latency_s"]) == [1.5, 1.0, 1.5]
    assert list(log["env_id"]) == [0, 0, 1]  # idle since 6.0, reclaimed at 16.0 < 20.0
    f = res.functions["f"]
    assert (f["invocations"], f["succeeded"], f["cold_starts"]) == (3, 3, 2)
    # env 0 lives [1, 16], env 1 [20, 31.5]: 26.5 environment-seconds over 100 s
    assert f["environments"]["mean"] == pytest.approx(26.5 / 100, abs=1e-12)
    assert f["environments"]["max"] == 1
    assert f["concurrency"]["mean"] == pytest.approx(4.0 / 100, abs=1e-12)
    assert f["latency_s"]["mean"] == pytest.approx(4.0 / 3, abs=1e-12)
    # billed: 3 × 1000 ms of handler + 2 × 500 ms INIT (billed under the 2026-11 rules)
    assert f["billed_gb_s"] == pytest.approx(4.0 * 128 / 1024, abs=1e-12)


def test_warm_request_goes_to_most_recently_used(trace_csv: Any) -> None:
    res = run_trace(
        trace_csv,
        [1.0, 1.1, 3.0, 3.05],
        functions={"f": fn(cold_start={"dist": "constant", "value_s": 0.0})},
    )
    log = res.invocations.sort_values("start_s")  # type: ignore[union-attr]
    # env 0 frees at 2.0, env 1 at 2.1: the request at 3.0 takes env 1, the next env 0
    assert list(log["env_id"]) == [0, 1, 1, 0]
    assert list(log["cold"]) == [True, True, False, False]


def test_keep_alive_expiry_boundary(trace_csv: Any) -> None:
    # idle from 2.5; keep-alive 10 s: reclaimed at exactly 12.5
    res = run_trace(trace_csv, [1.0, 12.4999])
    assert list(res.invocations["cold"]) == [True, False]  # type: ignore[index]
    res = run_trace(trace_csv, [1.0, 12.5])
    assert list(res.invocations["cold"]) == [True, True]  # type: ignore[index]


def test_max_lifetime_recycles_idle_and_busy_environments(trace_csv: Any) -> None:
    f = fn(max_lifetime_s=10, keep_alive_s=100)
    res = run_trace(trace_csv, [1.0, 5.0, 9.0, 12.0], functions={"f": f})
    log = res.invocations
    # born 1.0; idle after 10.0 until born + 10 = 11.0; the request at 12.0 is cold
    assert list(log["cold"]) == [True, False, False, True]  # type: ignore[index]
    # env 1, born at 12.0, is capped the same way: it dies at 22.0
    assert res.functions["f"]["environments"]["mean"] == pytest.approx(
        ((11.0 - 1.0) + (22.0 - 12.0)) / 100, abs=1e-12
    )
    # retired when it becomes idle at age >= 10: busy 10.5–11.5 then gone
    res = run_trace(trace_csv, [1.0, 10.5, 11.6], functions={"f": f})
    assert list(res.invocations["cold"]) == [True, False, True]  # type: ignore[index]
    assert res.functions["f"]["environments"]["mean"] == pytest.approx(
        ((11.5 - 1.0) + (21.6 - 11.6)) / 100, abs=1e-12
    )


def test_reserved_concurrency_throttles_at_once(trace_csv: Any) -> None:
    res = run_trace(trace_csv, [1.0, 1.5, 2.6], functions={"f": fn(reserved_concurrency=1)})
    f = res.functions["f"]
    assert (f["succeeded"], f["throttled"], f["throttle_events"]) == (2, 1, 1)
    assert f["throttles_by_reason"]["ReservedFunctionConcurrentInvocationLimitExceeded"] == 1
    assert f["concurrency"]["max"] == 1


def test_client_retry_latency_includes_backoff(trace_csv: Any) -> None:
    # busy until 2.5; retries wait uniform(0, min(cap, base × 2^k)): 0–1 s, then 0–2 s ...
    res = run_trace(
        trace_csv,
        [1.0, 1.2],
        functions={"f": fn(reserved_concurrency=1)},
        retry={"max_attempts": 20, "base_s": 0.5, "cap_s": 4},
    )
    f = res.functions["f"]
    assert f["succeeded"] == 2 and f["throttled"] == 0
    assert f["throttle_events"] >= 1
    log = res.invocations
    second = log[log["arrival_s"] == 1.2].iloc[0]  # type: ignore[index]
    assert second["start_s"] >= 2.5  # admitted only after the first finished
    assert second["latency_s"] == pytest.approx(second["end_s"] - 1.2)
    assert second["latency_s"] > second["duration_s"]


def test_client_retry_gives_up_after_max_attempts(trace_csv: Any) -> None:
    res = run_trace(
        trace_csv,
        [1.0, 1.2],
        functions={"f": fn(reserved_concurrency=1)},
        retry={"max_attempts": 2, "base_s": 0.01, "cap_s": 0.01},
    )
    f = res.functions["f"]
    assert (f["succeeded"], f["throttled"], f["throttle_events"]) == (1, 1, 2)


def test_timeout_is_billed_at_timeout_and_resets_environment(trace_csv: Any) -> None:
    f = fn(timeout_s=1, duration={"dist": "empirical", "samples_s": [3.0, 0.2]}, keep_alive_s=1000)
    times = [1.0 + 10 * k for k in range(40)]
    res = run_trace(trace_csv, times, horizon_s=500.0, functions={"f": f})
    log = res.invocations
    assert log is not None and len(log) == 40 and log["env_id"].nunique() == 1
    prev_timeout = False
    for row in log.itertuples():
        assert row.suppressed_init == prev_timeout  # re-INIT only right after a timeout
        if row.outcome == "timeout":
            assert row.duration_s == 1.0  # billed and reported at the timeout
        else:
            in_duration = 0.5 if row.suppressed_init else 0.0  # suppressed INIT is in Duration
            assert row.duration_s - in_duration == pytest.approx(0.2)
        assert row.latency_s == pytest.approx((0.5 if row.cold else 0.0) + row.duration_s)
        prev_timeout = row.outcome == "timeout"
    n_timeouts = int((log["outcome"] == "timeout").sum())
    assert 0 < n_timeouts < 40
    assert res.functions["f"]["timeouts"] == n_timeouts
    assert res.functions["f"]["suppressed_inits"] == int(log["suppressed_init"].sum())
    billed_ms = sum(math.ceil(d * 1000 - 1e-6) for d in log["duration_s"]) + 500  # + 1 INIT
    assert res.functions["f"]["billed_gb_s"] == pytest.approx(billed_ms / 1000 * 128 / 1024)


def test_init_over_the_limit_is_retried_inside_the_invoke(trace_csv: Any) -> None:
    f = fn(cold_start={"dist": "constant", "value_s": 12.0}, timeout_s=30)
    res = run_trace(trace_csv, [1.0], functions={"f": f})
    row = res.invocations.iloc[0]  # type: ignore[union-attr]
    assert row["init_s"] == 10.0  # the on-demand INIT limit (aws-lambda-behaviour.md §1.2)
    assert row["duration_s"] == 13.0  # retried INIT + handler, inside the invoke
    assert row["latency_s"] == 23.0
    f2 = fn(cold_start={"dist": "constant", "value_s": 12.0}, timeout_s=5)
    row = run_trace(trace_csv, [1.0], functions={"f": f2}).invocations.iloc[0]  # type: ignore[union-attr]
    assert row["outcome"] == "timeout" and row["latency_s"] == 15.0


def test_scaling_bucket_limits_new_environments(trace_csv: Any) -> None:
    f = fn(
        duration={"dist": "constant", "value_s": 20.0},
        timeout_s=30,
        cold_start={"dist": "constant", "value_s": 0.0},
    )
    res = run_trace(
        trace_csv,
        [0.1, 0.2, 0.3, 5.0, 5.5],
        functions={"f": f},
        account={"scaling": {"mode": "per_function", "envs_per_10s": 2}},
    )
    s = res.functions["f"]
    # capacity 2 then 0.2 tokens/s: 0.3 finds 0.04 tokens; at 5.0 there are 0.98; at 5.5, 1.08
    assert s["throttled"] == 2 and s["succeeded"] == 3
    assert s["throttles_by_reason"]["ScalingRateExceeded"] == 2
    res = run_trace(
        trace_csv,
        [0.1, 0.2, 0.3, 5.0, 5.5],
        functions={"f": f},
        account={"scaling": {"mode": "none"}},
    )
    assert res.functions["f"]["throttled"] == 0


def test_unreserved_pool_is_shared_and_reserved_is_private(trace_csv: Any) -> None:
    functions = {"a": fn(reserved_concurrency=2), "b": fn(), "c": fn()}
    path = trace_csv([1.0, 1.1, 1.2])
    wl = [{"target": t, "arrivals": {"kind": "trace", "path": path}} for t in ("a", "b", "c")]
    sc = scenario(
        functions=functions, workloads=wl, account={"concurrency": 4, "min_unreserved": 1}
    )
    res = ls.run(sc, progress=False)
    # unreserved pool = 4 − 2 = 2, shared by b and c; a keeps its 2 slots (3rd request throttled)
    assert res.functions["a"]["throttled"] == 1
    assert res.functions["b"]["throttled"] + res.functions["c"]["throttled"] == 4
    assert res.functions["b"]["throttles_by_reason"]["ConcurrentInvocationLimitExceeded"] == 2
    assert res.account["concurrency_max"] == 4


def test_warmup_excludes_early_arrivals(trace_csv: Any) -> None:
    res = run_trace(trace_csv, [1.0, 5.0, 20.0, 30.0], warmup_s=10.0)
    f = res.functions["f"]
    assert f["invocations"] == 2 and f["cold_starts"] == 1
    # time-weighted over [10, 100]: env 0 lives [1, 16] (6 s of it after warm-up);
    # env 1 is born at 20, reused at 30 (ends 31) and reclaimed at 41
    assert f["environments"]["mean"] == pytest.approx((6.0 + 21.0) / 90, abs=1e-12)


def test_in_flight_at_horizon(trace_csv: Any) -> None:
    res = run_trace(trace_csv, [1.0, 99.0])
    f = res.functions["f"]
    assert f["succeeded"] == 1 and f["in_flight_end"] == 1


def test_timeseries_counts_by_period(trace_csv: Any) -> None:
    res = run_trace(trace_csv, [1.0, 5.0, 61.0, 119.0], horizon_s=180.0)
    ts = res.timeseries
    inv = ts[(ts["function"] == "f") & (ts["metric"] == "Invocations")]["value"].tolist()
    cold = ts[(ts["function"] == "f") & (ts["metric"] == "ColdStarts")]["value"].tolist()
    assert inv == [2, 2, 0]
    assert cold == [1, 2, 0]  # keep-alive 10 s: 61.0 and 119.0 are both cold
    cm = ts[(ts["function"] == "f") & (ts["metric"] == "ConcurrentExecutionsMean")]["value"]
    # busy [1, 2.5], [5, 6] | [61, 62.5], [119, 120) | [120, 120.5]
    assert cm.tolist() == pytest.approx([2.5 / 60, 2.5 / 60, 0.5 / 60])


# --- the requests-per-second quota (account.rps_limit, issue 14 item 4) ---------------------

RPS = "RequestsPerSecondLimitExceeded"


def test_rps_quota_counts_whole_seconds_and_only_sync_attempts(trace_csv: Any) -> None:
    # quota 2: three requests at 0.5 s -> one 429; the window [0, 1) is then used up, so 0.9
    # is throttled too; 1.0 opens [1, 2). Account concurrency 10 leaves every other limit idle.
    res = run_trace(
        trace_csv,
        [0.5, 0.5, 0.5, 0.9, 1.0],
        functions={"f": fn(duration={"dist": "constant", "value_s": 0.01})},
        account={"concurrency": 10, "rps_limit": 2},
    )
    f = res.functions["f"]
    assert (f["invocations"], f["succeeded"], f["throttled"]) == (5, 3, 2)
    assert f["throttles_by_reason"][RPS] == f["throttle_events"] == 2
    assert sum(f["throttles_by_reason"].values()) == 2
    assert res.account["throttle_events"] == 2
    assert list(res.invocations["arrival_s"]) == [0.5, 0.5, 1.0]  # type: ignore[index]


def test_rps_throttles_are_retried_by_the_client(trace_csv: Any) -> None:
    # quota 1, two requests at 0.9999 s. The second's retry waits uniform(0, 0.5 s): it lands
    # in the next second (this seed's draw) and passes; with max_attempts 1 it is throttled.
    kw: dict[str, Any] = {
        "functions": {"f": fn(duration={"dist": "constant", "value_s": 0.01})},
        "account": {"concurrency": 10, "rps_limit": 1},
    }
    res = run_trace(trace_csv, [0.9999, 0.9999], retry={"max_attempts": 3, "base_s": 0.25}, **kw)
    f = res.functions["f"]
    assert (f["succeeded"], f["throttled"], f["throttles_by_reason"][RPS]) == (2, 0, 1)
    retried = res.invocations.iloc[1]  # type: ignore[union-attr]
    assert 1.0 <= retried["start_s"] < 1.0 + 0.5
    res = run_trace(trace_csv, [0.9999, 0.9999], **kw)
    assert res.functions["f"]["throttled"] == 1
    # a retry inside the same, used-up second is throttled again: 3 attempts, 3 429s
    res = run_trace(
        trace_csv,
        [0.5, 0.5],
        retry={"max_attempts": 3, "base_s": 0.001, "cap_s": 0.001},
        **kw,
    )
    f = res.functions["f"]
    assert (f["throttled"], f["throttle_events"], f["throttles_by_reason"][RPS]) == (1, 3, 3)


def test_rps_quota_is_shared_by_functions_and_applies_to_recorded_traces(
    tmp_path: Any,
) -> None:
    # Two functions, one replaying recorded durations: the account's quota of 3 per second is
    # one counter for both (2 + 2 requests at 0.5 s -> one 429, to whoever comes last).
    path = tmp_path / "rec.csv"
    path.write_text("timestamp,duration\n0.5,0.02\n0.5,0.02\n", encoding="utf-8")
    plain = tmp_path / "plain.csv"
    plain.write_text("timestamp\n0.5\n0.5\n", encoding="utf-8")
    quick = {"duration": {"dist": "constant", "value_s": 0.01}}
    sc = scenario(
        functions={"a": fn(**quick), "b": fn(**quick)},
        workloads=[
            {"target": "a", "arrivals": {"kind": "trace", "path": str(plain)}},
            {
                "target": "b",
                "arrivals": {"kind": "trace", "path": str(path), "duration_column": "duration"},
            },
        ],
        account={"concurrency": 10, "rps_limit": 3},
    )
    res = ls.run(sc, progress=False)
    a, b = res.functions["a"], res.functions["b"]
    assert a["throttled"] + b["throttled"] == 1
    assert a["throttles_by_reason"][RPS] + b["throttles_by_reason"][RPS] == 1
    assert b["duration_s"]["mean"] == pytest.approx(0.02)  # the recorded durations ran
