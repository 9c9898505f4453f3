"""Lazy completions (issue 16) change no result: the same scenarios with completions on the clock.

A single sync-only function keeps its completions off the clock and finishes them when it is
next invoked (``FunctionService.lazy_completions``). That must be invisible: every number of
the run — counters, histograms, time series, cost, the per-invocation trace — equals the run
with every completion as its own event on the clock. The scenarios are built to make ties
likely (constant durations on a grid of arrivals, arrivals exactly at completions and at the
horizon, client retries, timeouts and resets, keep-alive and lifetime boundaries), since ties
are where an ordering mistake would show.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.service.invoke import FunctionService
from tests.conftest import assert_same_results

pytestmark = pytest.mark.unit


def _both(sc: ls.Scenario, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    lazy = ls.run(sc, progress=False, trace=True)
    with monkeypatch.context() as m:
        m.setattr(FunctionService, "lazy_completions", lambda self: None)
        eager = ls.run(sc, progress=False, trace=True)
    return lazy, eager


_duration = st.one_of(
    st.sampled_from([0.25, 0.5, 1.0, 2.0]).map(lambda v: {"dist": "constant", "value_s": v}),
    st.sampled_from([0.1, 1.0]).map(lambda m: {"dist": "exponential", "mean_s": m}),
)
_arrivals = st.one_of(
    st.sampled_from([2.0, 4.0, 8.0]).map(lambda r: {"kind": "constant", "rate_per_s": r}),
    st.sampled_from([2.0, 20.0]).map(lambda r: {"kind": "poisson", "rate_per_s": r}),
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    duration=_duration,
    arrivals=_arrivals,
    rc=st.sampled_from([None, 1, 2, 5]),
    timeout=st.sampled_from([1, 900]),
    error_rate=st.sampled_from([0.0, 0.2]),
    keep_alive=st.sampled_from([0.5, 1.0, 600.0]),
    lifetime=st.sampled_from([None, 3.0]),
    retry=st.booleans(),
    warmup=st.sampled_from([0.0, 5.0]),
    seed=st.integers(0, 1000),
)
def test_lazy_completions_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
    duration: dict[str, Any],
    arrivals: dict[str, Any],
    rc: int | None,
    timeout: int,
    error_rate: float,
    keep_alive: float,
    lifetime: float | None,
    retry: bool,
    warmup: float,
    seed: int,
) -> None:
    w: dict[str, Any] = {"target": "f", "arrivals": arrivals}
    if retry:
        w["client_retry"] = {"max_attempts": 3, "base_s": 0.5, "cap_s": 2.0}
    sc = ls.Scenario.from_dict(
        {
            "name": "lazy",
            "seed": seed,
            "horizon_s": 30.0,
            "warmup_s": warmup,
            "output": {"timeseries_step_s": 5},
            "functions": {
                "f": {
                    "duration": duration,
                    "cold_start": {"dist": "constant", "value_s": 0.5},
                    "keep_alive_s": keep_alive,
                    "max_lifetime_s": lifetime,
                    "timeout_s": timeout,
                    "error_rate": error_rate,
                    "reserved_concurrency": rc,
                }
            },
            "workloads": [w],
        }
    )
    assert_same_results(*_both(sc, monkeypatch))


def test_lazy_completions_are_used_for_a_lone_sync_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the quickstart shape: one sync API function; and it is the same with the clock's queue
    calls: list[str] = []
    real = FunctionService.lazy_completions

    def spy(self: FunctionService) -> None:
        calls.append(self.name)
        real(self)

    monkeypatch.setattr(FunctionService, "lazy_completions", spy)
    sc = ls.load("configs/quickstart.yaml").replace({"horizon_s": 300})
    ls.run(sc, progress=False)
    assert calls == ["api"]
    monkeypatch.undo()
    assert_same_results(*_both(sc, monkeypatch))
