"""The fused loop of a lone sync function (``service/lone_sync.py``) changes no result.

``run_arrivals`` is the arrival driver, the front door and the invoke path inlined into one
loop (issue 16). It must be invisible: every number of the run — counters, histograms, time
series, cost, the per-invocation trace — equals the run through the general path
(``lone_sync.ENABLED = False``, which still keeps the completions lazy). The scenarios make
every branch of the loop likely: ties (constant durations on a grid of arrivals, arrivals at
completions and at the horizon), reserved, account and scaling-rate throttles, the request-rate
quota, client retries (SimPy events that interrupt the loop), timeouts and resets, INIT past
its limit, keep-alive and lifetime expiry, two workloads on one function (two drivers that
take turns) and a trace, with several time-series periods and a warm-up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.service import lone_sync
from tests.conftest import assert_same_results

pytestmark = pytest.mark.unit


@contextmanager
def _counting_loop_calls() -> Iterator[list[int]]:
    """Count the calls of ``lone_sync.run_arrivals`` (``[n]``) while the block runs."""
    calls = [0]
    real = lone_sync.run_arrivals

    def spy(*a: Any) -> float | None:
        calls[0] += 1
        return real(*a)

    with pytest.MonkeyPatch.context() as m:
        m.setattr(lone_sync, "run_arrivals", spy)
        yield calls


def _both(sc: ls.Scenario, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, int]:
    with _counting_loop_calls() as calls:
        fused = ls.run(sc, progress=False, trace=True)
    with monkeypatch.context() as m:
        m.setattr(lone_sync, "ENABLED", False)
        general = ls.run(sc, progress=False, trace=True)
    return fused, general, calls[0]


_duration = st.one_of(
    st.sampled_from([0.25, 0.5, 1.0, 2.0]).map(lambda v: {"dist": "constant", "value_s": v}),
    st.sampled_from([0.1, 1.0]).map(lambda m: {"dist": "exponential", "mean_s": m}),
)
_arrivals = st.one_of(
    st.sampled_from([2.0, 4.0, 8.0]).map(lambda r: {"kind": "constant", "rate_per_s": r}),
    st.sampled_from([2.0, 20.0]).map(lambda r: {"kind": "poisson", "rate_per_s": r}),
    st.just({"kind": "trace"}),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    duration=_duration,
    arrivals=_arrivals,
    second=st.booleans(),
    rc=st.sampled_from([None, 1, 3]),
    account=st.sampled_from([2, 4, 1000]),
    rps=st.sampled_from([None, 3, 1000]),
    scaling=st.sampled_from([None, 1, 10]),
    timeout=st.sampled_from([1, 900]),
    error_rate=st.sampled_from([0.0, 0.2]),
    cold=st.sampled_from([0.5, 2.0]),
    keep_alive=st.sampled_from([0.5, 1.0, 600.0]),
    # 30.25 < horizon + keep-alive: lifetime tests kept; 7200 (the default): skipped, exactly
    lifetime=st.sampled_from([None, 3.0, 30.25, 7200.0]),
    retry=st.booleans(),
    warmup=st.sampled_from([0.0, 5.0]),
    seed=st.integers(0, 1000),
)
def test_the_fused_loop_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
    trace_csv: Callable[..., str],
    duration: dict[str, Any],
    arrivals: dict[str, Any],
    second: bool,
    rc: int | None,
    account: int,
    rps: int | None,
    scaling: int | None,
    timeout: int,
    error_rate: float,
    cold: float,
    keep_alive: float,
    lifetime: float | None,
    retry: bool,
    warmup: float,
    seed: int,
) -> None:
    if arrivals["kind"] == "trace":  # bursts on a grid, some at the horizon
        times = [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 2.5, 3.0, 3.0, 7.0, 7.25, 12.0, 12.0, 29.5, 30.0]
        arrivals = {"kind": "trace", "path": trace_csv(times)}
    w: dict[str, Any] = {"target": "f", "arrivals": arrivals}
    if retry:
        w["client_retry"] = {"max_attempts": 3, "base_s": 0.5, "cap_s": 2.0}
    workloads = [w]
    if second:
        workloads.append({"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1.0}})
    acct: dict[str, Any] = {"concurrency": account, "min_unreserved": 0, "rps_limit": rps}
    if scaling is not None:
        acct["scaling"] = {"envs_per_10s": scaling}
    if rc is not None and rc > account:
        rc = account
    sc = ls.Scenario.from_dict(
        {
            "name": "lone",
            "seed": seed,
            "horizon_s": 30.0,
            "warmup_s": warmup,
            "account": acct,
            "output": {"timeseries_step_s": 5},
            "functions": {
                "f": {
                    "duration": duration,
                    "cold_start": {"dist": "constant", "value_s": cold},
                    "init_limit_s": 1.0,
                    "keep_alive_s": keep_alive,
                    "max_lifetime_s": lifetime,
                    "timeout_s": timeout,
                    "error_rate": error_rate,
                    "reserved_concurrency": rc,
                }
            },
            "workloads": workloads,
        }
    )
    fused, general, calls = _both(sc, monkeypatch)
    assert calls > 0  # the loop ran
    assert_same_results(fused, general)


def test_the_fused_loop_runs_the_quickstart_and_the_benchmark_shapes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the quickstart (one sync API function) and W1 of benchmarks/throughput.py (reserved
    # concurrency, throttles): the loop runs, nearly every arrival inside it, same results
    w1 = ls.Scenario.from_dict(
        {
            "name": "W1",
            "seed": 1,
            "horizon_s": 60.0,
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": 0.1},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "reserved_concurrency": 60,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 500}}],
        }
    )
    for sc in (ls.load("configs/quickstart.yaml").replace({"horizon_s": 300}), w1):
        fused, general, calls = _both(sc, monkeypatch)
        assert 0 < calls
        assert_same_results(fused, general)
    # W1: the loop is left only for the quota's window each second and for client-retry-free
    # throttles, which never leave it: about one call per simulated second, not per arrival
    assert calls <= 2 * 60 + 1


def test_a_function_others_observe_does_not_use_the_fused_loop() -> None:
    # an async workload next to the sync one: completions stay on the clock (lazy
    # completions are off), so the sync driver takes the general path
    sc = ls.Scenario.from_dict(
        {
            "name": "mixed",
            "seed": 1,
            "horizon_s": 20.0,
            "functions": {"f": {"duration": {"dist": "constant", "value_s": 0.5}}},
            "workloads": [
                {"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 2.0}},
                {
                    "target": "f",
                    "invocation": "async",
                    "arrivals": {"kind": "constant", "rate_per_s": 1.0},
                },
            ],
        }
    )
    with _counting_loop_calls() as calls:
        r = ls.run(sc, progress=False)
    assert calls[0] == 0
    assert r.to_dict()["functions"]["f"]["invocations_run"] > 0


def test_a_completion_queued_after_an_arrival_took_its_id_comes_after_it(
    monkeypatch: pytest.MonkeyPatch, trace_csv: Callable[..., str]
) -> None:
    # One request at 0.5 s (a trace) runs 0.5 s: its completion at 1.0 s is queued at 0.5 s.
    # The 1/s workload's first arrival, at 1.0 s, was queued at 0 s, so it has the smaller
    # event id and SimPy runs it first: the only environment is still busy, and the request
    # gets a second, new one. Later arrivals (2.0 s, 3.0 s, ...) find an idle one. So there
    # are exactly 2 cold starts; running the completion first (ties not by id) would give 1.
    sc = ls.Scenario.from_dict(
        {
            "name": "tie",
            "seed": 3,
            "horizon_s": 5.0,
            "account": {"rps_limit": None},  # no quota window: every arrival in the loop
            "functions": {
                "f": {
                    "duration": {"dist": "constant", "value_s": 0.5},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                }
            },
            "workloads": [
                {"target": "f", "arrivals": {"kind": "trace", "path": trace_csv([0.5])}},
                {"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1.0}},
            ],
        }
    )
    fused, general, calls = _both(sc, monkeypatch)
    assert calls > 0
    assert_same_results(fused, general)
    f = fused.to_dict()["functions"]["f"]
    assert f["invocations_run"] == 5  # 0.5 s, then 1, 2, 3, 4 s
    assert f["cold_starts"] == 2


def test_values_gives_what_the_sampler_would() -> None:
    """``rng.values`` (the loop's duration draws) yields exactly the calls' values, in order,
    for a block sampler (its own iterator) and for any other callable (``iter(f, sentinel)``)."""
    import numpy as np

    from lambdasim.rng import sampler, values

    def draw(n: int) -> Any:
        return np.random.default_rng(7).exponential(0.1, n)

    one, two = sampler(draw, block=5), sampler(draw, block=5)
    it = values(two)
    assert [one() for _ in range(12)] == [next(it) for _ in range(12)]  # across block edges
    counter = iter(range(100)).__next__
    it2 = values(lambda: float(counter()))
    assert [next(it2) for _ in range(3)] == [0.0, 1.0, 2.0]
