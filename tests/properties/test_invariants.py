"""Invariants of whole runs over small random scenarios (hypothesis).

Each example builds a valid scenario of one to three functions (the strategies respect every
cross-field rule, so nothing is filtered away), runs it, usually with the per-invocation trace,
and checks what must hold whatever the parameters:

1. conservation: every counted arrival has exactly one outcome or is in flight at the horizon,
   and the summary agrees with the trace;
2. limits: reserved, unreserved and account concurrency, one request per environment, maximum
   lifetime, keep-alive, the scaling token bucket, and warm reuse before a cold start;
3. determinism: the same scenario, seed and replication give the same results;
4. timing: latency covers INIT and duration, durations are capped at the timeout;
5. cost: non-negative, and billed GB-s bracket the traced durations (1 ms rounding up);
6. prefix consistency: a run to ``H`` is the start of the same run to ``H + margin``, whose
   trace therefore gives the shorter run's in-flight requests, INIT counts and time-weighted
   concurrency exactly.

The per-start overlap counts use intervals ``[start_s, end_s)``: at the instant of a start the
simulator may still hold a request ending at that same instant, so counting it out only makes
the check more lenient, never wrong. Requests still running at the horizon are not in the
trace, so traced counts are lower bounds of the simulator's own.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import lambdasim as ls
from lambdasim.results.schema import FUNCTION_COUNTERS

pytestmark = pytest.mark.properties

#: Float slack for comparing times that were computed along different paths (seconds).
EPS = 1e-9
#: Expected arrivals per scenario, summed over workloads: keeps one example well under a second.
MAX_EXPECTED_ARRIVALS = 5_000

SETTINGS = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --------------------------------------------------------------------------- strategies


def _log_uniform(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(math.log(lo), math.log(hi)).map(math.exp)


def _nice_or(nice: list[float], other: st.SearchStrategy[float]) -> st.SearchStrategy[float]:
    """Round values (which make events coincide: ties at deadlines and limits) or any value."""
    return st.sampled_from(nice) | other


@st.composite
def _duration(draw: st.DrawFn) -> dict[str, Any]:
    mean = draw(_nice_or([1e-3, 0.01, 0.1, 0.25, 0.5, 1.0, 2.0], _log_uniform(1e-3, 5.0)))
    kind = draw(st.sampled_from(["constant", "exponential", "uniform", "lognormal", "gamma"]))
    if kind == "constant":
        d: dict[str, Any] = {"dist": "constant", "value_s": mean}
    elif kind == "exponential":
        d = {"dist": "exponential", "mean_s": mean}
    elif kind == "uniform":
        w = draw(st.floats(0.0, 1.0))
        d = {"dist": "uniform", "low_s": mean * (1 - w), "high_s": mean * (1 + w)}
    elif kind == "lognormal":
        if draw(st.booleans()):
            d = {"dist": "lognormal", "mean_s": mean, "cv": draw(st.floats(0.1, 3.0))}
        else:
            d = {"dist": "lognormal", "p50_s": mean, "p99_s": mean * draw(st.floats(1.1, 20.0))}
    else:
        d = {"dist": "gamma", "mean_s": mean, "cv": draw(st.floats(0.1, 3.0))}
    if draw(st.integers(0, 3)) == 0:
        d["memory_ref_mb"] = draw(st.sampled_from([128, 512, 1769, 3008]))
        d["cpu_bound"] = draw(st.floats(0.0, 1.0))
    return d


@st.composite
def _cold_start(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["constant", "uniform", "lognormal", "preset"]))
    if kind == "constant":
        value = draw(_nice_or([0.0, 0.25, 0.5, 1.0], st.floats(0.0, 2.0)))
        return {"dist": "constant", "value_s": value}
    if kind == "uniform":
        lo = draw(st.floats(0.0, 1.0))
        return {"dist": "uniform", "low_s": lo, "high_s": lo + draw(st.floats(0.0, 1.0))}
    if kind == "lognormal":
        p50 = draw(_log_uniform(0.01, 1.0))
        return {"dist": "lognormal", "p50_s": p50, "p99_s": p50 * draw(st.floats(1.1, 2.0))}
    return {"preset": draw(st.sampled_from(["python", "nodejs", "go", "rust", "dotnet"]))}


@st.composite
def _keep_alive(draw: st.DrawFn) -> tuple[Any, float, float]:
    """A keep-alive spec and the bounds (low, high) of its draws."""
    kind = draw(st.sampled_from(["number", "constant", "uniform", "exponential"]))
    if kind == "number":
        v = draw(_nice_or([0.5, 1.0, 2.0, 5.0, 10.0], _log_uniform(0.5, 100.0)))
        return v, v, v
    if kind == "constant":
        v = draw(_log_uniform(0.5, 100.0))
        return {"dist": "constant", "value_s": v}, v, v
    if kind == "uniform":
        lo = draw(_log_uniform(0.5, 50.0))
        hi = lo + draw(st.floats(0.0, 50.0))
        return {"dist": "uniform", "low_s": lo, "high_s": hi}, lo, hi
    m = draw(_log_uniform(0.5, 100.0))
    return {"dist": "exponential", "mean_s": m}, 0.0, math.inf


@st.composite
def scenario_dicts(draw: st.DrawFn) -> dict[str, Any]:
    """A valid scenario as a dict, plus ``_meta`` with what the checks need to know."""
    horizon = draw(_nice_or([5.0, 10.0, 60.0, 200.0], st.floats(5.0, 200.0)))
    warmup_fraction = _nice_or([0.25, 0.5], st.floats(0.05, 0.6))
    warmup = 0.0 if draw(st.booleans()) else horizon * draw(warmup_fraction)
    concurrency = draw(st.integers(1, 50))
    min_unreserved = None if draw(st.integers(0, 3)) == 0 else draw(st.integers(0, concurrency))
    floor = min(100, concurrency) if min_unreserved is None else min_unreserved
    budget = concurrency - floor
    scaling: dict[str, Any]
    if draw(st.booleans()):
        scaling = {"mode": "none"}
    else:
        scaling = {"mode": "per_function", "envs_per_10s": draw(st.integers(1, 20))}
    account: dict[str, Any] = {"concurrency": concurrency, "scaling": scaling}
    if min_unreserved is not None:
        account["min_unreserved"] = min_unreserved

    n_fn = draw(st.integers(1, 3))
    functions: dict[str, Any] = {}
    meta: dict[str, Any] = {"keep_alive": {}}
    for i in range(n_fn):
        name = f"f{i}"
        fn: dict[str, Any] = {
            "duration": draw(_duration()),
            "cold_start": draw(_cold_start()),
            "timeout_s": draw(_nice_or([1.0, 2.0, 3.0], st.integers(1, 5).map(float))),
            "memory_mb": draw(
                st.sampled_from([128, 256, 512, 1024, 1769, 3008, 10240]) | st.integers(128, 10240)
            ),
            "max_lifetime_s": draw(st.none() | _nice_or([1.0, 2.0, 5.0], st.floats(1.0, 100.0))),
            "error_rate": draw(st.sampled_from([0.0]) | st.floats(0.0, 0.5)),
        }
        ka, ka_lo, ka_hi = draw(_keep_alive())
        fn["keep_alive_s"] = ka
        meta["keep_alive"][name] = (ka_lo, ka_hi)
        if budget > 0 and draw(st.booleans()):
            rc = draw(st.integers(1, budget) | st.just(0))
            fn["reserved_concurrency"] = rc
            budget -= rc
        if draw(st.integers(0, 3)) == 0:
            fn["init_limit_s"] = draw(st.none() | st.floats(0.05, 1.0))
        if draw(st.booleans()):
            fn["architecture"] = "arm64"
        if draw(st.integers(0, 3)) == 0:
            fn["ephemeral_storage_mb"] = draw(st.integers(512, 10240))
        functions[name] = fn

    targets = list(functions) + draw(st.lists(st.sampled_from(list(functions)), max_size=1))
    max_rate = MAX_EXPECTED_ARRIVALS / (len(targets) * horizon)
    workloads = []
    for target in targets:
        rate = min(draw(_nice_or([1.0, 2.0, 4.0, 10.0, 50.0], _log_uniform(0.1, 200.0))), max_rate)
        w: dict[str, Any] = {
            "target": target,
            "arrivals": {
                "kind": draw(st.sampled_from(["poisson", "constant"])),
                "rate_per_s": rate,
            },
        }
        if draw(st.booleans()):
            w["client_retry"] = {
                "max_attempts": draw(st.integers(1, 5)),
                "base_s": draw(_log_uniform(0.01, 0.5)),
                "cap_s": draw(_log_uniform(0.1, 20.0)),
            }
        workloads.append(w)

    return {
        "name": "prop",
        "horizon_s": horizon,
        "warmup_s": warmup,
        "account": account,
        "pricing": {
            "table": draw(st.sampled_from(["aws-lambda@2025-06", "aws-lambda@2026-11"])),
            "free_tier": draw(st.booleans()),
        },
        "functions": functions,
        "workloads": workloads,
        "output": {"timeseries_step_s": draw(st.sampled_from([1.0, 7.5, 60.0]))},
        "_meta": meta,
    }


SEEDS = st.integers(0, 2**32 - 1)


def _build(data: dict[str, Any]) -> tuple[ls.Scenario, dict[str, Any]]:
    d = dict(data)
    meta = d.pop("_meta")
    return ls.Scenario.from_dict(d), meta


_TRACE_DTYPES = {
    "env_id": "int64",
    "arrival_s": "float64",
    "start_s": "float64",
    "end_s": "float64",
    "cold": "bool",
    "init_s": "float64",
    "duration_s": "float64",
    "suppressed_init": "bool",
    "latency_s": "float64",
}


def _run(data: dict[str, Any], seed: int) -> tuple[Any, Any, Any, pd.DataFrame]:
    """Run with the trace; also return the trace with fixed dtypes (an empty log has none)."""
    sc, meta = _build(data)
    res = ls.run(sc, seed=seed, progress=False, trace=True)
    return sc, meta, res, res.invocations.astype(_TRACE_DTYPES)


# --------------------------------------------------------------------------- helpers


def _overlap_at_starts(starts: np.ndarray, ends: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each time in ``at``: how many intervals ``[start, end)`` contain it."""
    s = np.sort(starts)
    e = np.sort(ends)
    return np.searchsorted(s, at, side="right") - np.searchsorted(e, at, side="right")


def _counted(inv: pd.DataFrame, warmup: float) -> pd.DataFrame:
    """Trace rows of requests that arrived in the statistics window."""
    return inv[inv["arrival_s"] >= warmup]


def _env_spans(rows: pd.DataFrame) -> pd.DataFrame:
    """Per environment of one function: birth (first start) and last logged end."""
    return rows.groupby("env_id").agg(born=("start_s", "min"), last_end=("end_s", "max"))


# --------------------------------------------------------------------------- 1. conservation


#: Cold starts still running at the horizon: 3 cold starts (counted when they start), 2 invokes
#: ended (1.0–3.5 s, 2.0–4.5 s), so a rate per invoke that ran must not be 1.5.
IN_FLIGHT_COLD_STARTS = {
    "horizon_s": 5.0,
    "functions": {
        "f0": {
            "duration": {"dist": "constant", "value_s": 2.5},
            "cold_start": {"dist": "constant", "value_s": 0.0},
        }
    },
    "workloads": [{"target": "f0", "arrivals": {"kind": "constant", "rate_per_s": 1.0}}],
    "_meta": {"keep_alive": {"f0": (600.0, 600.0)}},
}


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
@example(data=IN_FLIGHT_COLD_STARTS, seed=0)
def test_conservation(data: dict[str, Any], seed: int) -> None:
    sc, _, res, inv = _run(data, seed)
    counted = _counted(inv, sc.warmup_s)
    total_throttled = 0
    for name, fn in sc.functions.items():
        f = res.functions[name]
        for k in FUNCTION_COUNTERS:
            assert isinstance(f[k], int) and f[k] >= 0, (name, k, f[k])
        assert f["invocations"] == (
            f["succeeded"] + f["errors"] + f["timeouts"] + f["throttled"] + f["in_flight_end"]
        ), (name, f)
        # an invoke counts when it starts (README "Results"): the finished ones, plus those
        # still running at the horizon, which are among the requests in flight
        ended = f["succeeded"] + f["errors"] + f["timeouts"]
        assert ended <= f["invocations_run"] <= ended + f["in_flight_end"], (name, f)
        # the summary agrees with the trace of the counted requests
        rows = counted[counted["function"] == name]
        by = rows["outcome"].value_counts()
        assert f["succeeded"] == by.get("succeeded", 0)
        assert f["errors"] == by.get("error", 0)
        assert f["timeouts"] == by.get("timeout", 0)
        assert "throttled" not in by
        # cold starts and suppressed INITs are counted when the invoke starts: the trace has
        # those that ended; the rest are among the requests in flight at the horizon
        # (test_prefix_consistency checks them exactly)
        n_cold, n_supp = int(rows["cold"].sum()), int(rows["suppressed_init"].sum())
        assert n_cold <= f["cold_starts"] <= n_cold + f["in_flight_end"], name
        assert n_supp <= f["suppressed_inits"] <= n_supp + f["in_flight_end"], name
        assert f["cold_starts"] + f["suppressed_inits"] <= (n_cold + n_supp + f["in_flight_end"]), (
            name
        )
        # a rate per invoke that ran
        rate = f["cold_start_rate"]
        if f["invocations_run"]:
            assert rate is not None and 0.0 <= rate <= 1.0, (name, rate, f)
        else:
            assert rate is None, (name, f)
        # throttles: every throttled request had at least one rejected attempt
        reasons = f["throttles_by_reason"]
        assert sum(reasons.values()) == f["throttle_events"]
        assert f["throttle_events"] >= f["throttled"]
        retrying = any(
            w.client_retry is not None and w.client_retry.max_attempts > 1
            for w in sc.workloads
            if w.target == name
        )
        if not retrying:
            assert f["throttle_events"] == f["throttled"]
        if sc.account.scaling.mode == "none":
            assert reasons["ScalingRateExceeded"] == 0
        if fn.reserved_concurrency is None:
            assert reasons["ReservedFunctionConcurrentInvocationLimitExceeded"] == 0
        else:
            assert reasons["ConcurrentInvocationLimitExceeded"] == 0
        if fn.error_rate == 0:
            assert f["errors"] == 0
        total_throttled += f["throttled"]
    assert res.account["throttled"] == total_throttled
    # the per-period series cover the whole horizon (warm-up included): they sum to the trace
    ts = res.timeseries
    for name in sc.functions:
        rows = inv[inv["function"] == name]
        series = ts[ts["function"] == name].groupby("metric")["value"].sum()
        # Invocations bins every invoke by its start: the finished ones of the trace plus those
        # still running at the horizon (at most the concurrency then, within its window max)
        running_max = res.functions[name]["concurrency"]["max"]
        assert len(rows) <= series["Invocations"] <= len(rows) + running_max, name
        assert series["ColdStarts"] >= int(rows["cold"].sum()), name
        assert series["Errors"] == int((rows["outcome"] != "succeeded").sum()), name
        assert series["Throttles"] >= res.functions[name]["throttle_events"], name
    assert res.account["throttle_events"] == sum(
        f["throttle_events"] for f in res.functions.values()
    )


# --------------------------------------------------------------------------- 2. limits


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
def test_limits(data: dict[str, Any], seed: int) -> None:
    sc, meta, res, inv = _run(data, seed)
    acct = sc.account
    warmup = sc.warmup_s
    reserved_total = sum(fn.reserved_concurrency or 0 for fn in sc.functions.values())
    unreserved = acct.concurrency - reserved_total

    # summary maxima
    assert 0 <= res.account["concurrency_max"] <= acct.concurrency
    for name, fn in sc.functions.items():
        c = res.functions[name]["concurrency"]
        assert 0 <= c["mean"] <= c["max"] + EPS
        limit = fn.reserved_concurrency if fn.reserved_concurrency is not None else unreserved
        assert c["max"] <= limit, (name, c, limit)
        envs = res.functions[name]["environments"]
        assert 0 <= envs["mean"] <= envs["max"] + EPS
        assert c["max"] <= res.account["concurrency_max"]
        # every busy request holds a live environment
        assert envs["max"] >= c["max"], name
        assert envs["mean"] >= c["mean"] - EPS, name

    # busy counts reconstructed from the trace, at every start
    starts = inv["start_s"].to_numpy()
    ends = inv["end_s"].to_numpy()
    assert (ends >= starts).all()
    assert (starts < sc.horizon_s).all() and (ends < sc.horizon_s).all()
    busy = _overlap_at_starts(starts, ends, starts)
    assert busy.max(initial=0) <= acct.concurrency
    in_window = starts >= warmup
    assert busy[in_window].max(initial=0) <= res.account["concurrency_max"]
    shared = inv["function"].isin(
        [n for n, fn in sc.functions.items() if fn.reserved_concurrency is None]
    )
    s_sh, e_sh = starts[shared.to_numpy()], ends[shared.to_numpy()]
    assert _overlap_at_starts(s_sh, e_sh, s_sh).max(initial=0) <= unreserved

    for name, fn in sc.functions.items():
        f = res.functions[name]
        rows = inv[inv["function"] == name]
        s, e = rows["start_s"].to_numpy(), rows["end_s"].to_numpy()
        busy_f = _overlap_at_starts(s, e, s)
        if fn.reserved_concurrency is not None:
            assert busy_f.max(initial=0) <= fn.reserved_concurrency, name
        assert busy_f[s >= warmup].max(initial=0) <= f["concurrency"]["max"], name

        # one request at a time per environment; max lifetime; keep-alive
        ordered = rows.sort_values(["env_id", "start_s"], kind="stable")
        env = ordered["env_id"].to_numpy()
        os_, oe = ordered["start_s"].to_numpy(), ordered["end_s"].to_numpy()
        same = env[1:] == env[:-1]
        gap = os_[1:] - oe[:-1]
        assert (gap[same] >= 0).all(), f"{name}: an environment served two requests at once"
        _, ka_hi = meta["keep_alive"][name]
        assert (gap[same] < ka_hi + EPS).all(), f"{name}: env reused after its keep-alive"
        # the first request of an environment is its cold start; later ones are warm
        first = np.r_[True, ~same]
        assert (ordered["cold"].to_numpy() == first).all(), name
        spans = _env_spans(rows)
        if fn.max_lifetime_s is not None:
            age = os_ - spans.loc[env, "born"].to_numpy()
            assert (age < fn.max_lifetime_s).all(), (
                f"{name}: request started on an environment older than max_lifetime_s"
            )

        # live environments at every start: born and not yet past their last request
        born = spans["born"].to_numpy()
        last_end = spans["last_end"].to_numpy()
        live = _overlap_at_starts(born, last_end, s[s >= warmup])
        assert live.max(initial=0) <= f["environments"]["max"], name

        # the scaling token bucket: any run of consecutive new environments c_i..c_j fits
        # capacity + refill × (c_j − c_i)
        if acct.scaling.mode == "per_function":
            cap = float(acct.scaling.envs_per_10s)
            c = np.sort(born)
            k = np.arange(c.size)
            n_between = k[None, :] - k[:, None] + 1
            allowed = cap + cap / 10.0 * (c[None, :] - c[:, None]) + 1e-6
            upper = n_between > 0
            assert (n_between[upper] <= allowed[upper]).all(), f"{name}: scaling rate exceeded"


def _window_level_bounds(
    s: np.ndarray, e: np.ndarray, warmup: float, horizon: float
) -> tuple[float, int, int]:
    """Time-weighted mean over ``[warmup, horizon]`` of the busy intervals ``[s, e)``, and
    bounds of their maximum there as the simulator sees it.

    The window's maximum starts from the level just before the warm-up ends (intervals with
    ``s < warmup <= e``: an end at that instant is applied after the window opens) and then
    takes the level after each start. Several events at one instant may be applied in either
    order, so the level at a start lies between the counts of intervals ``[s, e)`` and
    ``[s, e]`` that hold it.
    """
    mean = float(np.sum(np.clip(e, warmup, horizon) - np.clip(s, warmup, horizon)))
    mean /= horizon - warmup
    before = int(np.sum((s < warmup) & (e >= warmup)))
    at = s[(s >= warmup) & (s < horizon)]
    ss, es = np.sort(s), np.sort(e)
    low = np.searchsorted(ss, at, side="right") - np.searchsorted(es, at, side="right")
    high = np.searchsorted(ss, at, side="right") - np.searchsorted(es, at, side="left")
    return mean, max(before, int(low.max(initial=0))), max(before, int(high.max(initial=0)))


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
def test_prefix_consistency(data: dict[str, Any], seed: int) -> None:
    """A run to ``H`` is the prefix of the same run to ``H + margin``.

    The simulation is causal and its random streams are drawn in event order, so everything
    before ``H`` is the same in both runs. The longer run's trace then holds every request the
    shorter one admitted, also those still running at ``H``: a request lasts at most its INIT
    (at most ``init_limit_s``; without a limit, the strategies' INIT draws stay far below 10 s)
    plus ``timeout_s``. From it the shorter run's busy intervals, in-flight count, INIT counts
    and time-weighted concurrency are known exactly.
    """
    sc, _, short, short_inv = _run(data, seed)
    horizon, warmup = sc.horizon_s, sc.warmup_s
    margin = 1.0 + max(fn.timeout_s + (fn.init_limit_s or 10.0) for fn in sc.functions.values())
    long_sc = sc.replace({"horizon_s": horizon + margin})
    long = ls.run(long_sc, seed=seed, progress=False, trace=True)
    inv = long.invocations.astype(_TRACE_DTYPES)
    admitted = inv[inv["start_s"] < horizon]
    assert (admitted["end_s"] < horizon + margin).all()

    # what ended before H is exactly the shorter run's trace
    cols = [
        "function",
        "env_id",
        "start_s",
        "arrival_s",
        "end_s",
        "cold",
        "init_s",
        "duration_s",
        "outcome",
        "suppressed_init",
    ]
    ended = admitted[admitted["end_s"] < horizon]
    key = ["function", "env_id", "start_s"]
    assert len(ended) == len(short_inv)
    if len(ended):
        pd.testing.assert_frame_equal(
            ended[cols].sort_values(key).reset_index(drop=True),
            short_inv[cols].sort_values(key).reset_index(drop=True),
        )

    running = admitted[(admitted["end_s"] >= horizon) & (admitted["arrival_s"] >= warmup)]
    for name in sc.functions:
        f = short.functions[name]
        n_running = int((running["function"] == name).sum())
        retrying = any(
            w.client_retry is not None and w.client_retry.max_attempts > 1
            for w in sc.workloads
            if w.target == name
        )
        if retrying:  # requests waiting for their next attempt are in flight too
            assert f["in_flight_end"] >= n_running, name
        else:
            assert f["in_flight_end"] == n_running, name
        rows = admitted[admitted["function"] == name]
        # INITs are counted when the invoke starts, also those still running at H
        counted = rows[rows["arrival_s"] >= warmup]
        assert f["cold_starts"] == int(counted["cold"].sum()), name
        assert f["suppressed_inits"] == int(counted["suppressed_init"].sum()), name
        series = short.timeseries
        cold_series = series[(series["function"] == name) & (series["metric"] == "ColdStarts")]
        assert cold_series["value"].sum() == int(rows["cold"].sum()), name
        mean, low, high = _window_level_bounds(
            rows["start_s"].to_numpy(), rows["end_s"].to_numpy(), warmup, horizon
        )
        c = f["concurrency"]
        assert math.isclose(c["mean"], mean, rel_tol=1e-9, abs_tol=1e-9), (name, c, mean)
        assert low <= c["max"] <= high, (name, low, c["max"], high)
    mean, low, high = _window_level_bounds(
        admitted["start_s"].to_numpy(), admitted["end_s"].to_numpy(), warmup, horizon
    )
    acct = short.account
    assert math.isclose(acct["concurrency_mean"], mean, rel_tol=1e-9, abs_tol=1e-9), (acct, mean)
    assert low <= acct["concurrency_max"] <= high, (low, acct["concurrency_max"], high)


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
def test_warm_environment_used_before_a_cold_start(data: dict[str, Any], seed: int) -> None:
    """A new environment is created only when no live environment of the function is idle.

    An environment counts as idle and live at ``t`` when its last request ended strictly before
    ``t``, its next one starts strictly after, it was idle for less than the lowest possible
    keep-alive draw, and it is younger than ``max_lifetime_s``. A request still running at the
    horizon is not in the trace; on an existing environment it lasts at most ``timeout_s``, so
    only creations before ``horizon − timeout_s`` are checked.
    """
    sc, meta, _, inv = _run(data, seed)
    for name, fn in sc.functions.items():
        ka_lo, _ = meta["keep_alive"][name]
        if ka_lo <= 0:
            continue
        rows = inv[inv["function"] == name].sort_values(["env_id", "start_s"], kind="stable")
        env = rows["env_id"].to_numpy()
        s, e = rows["start_s"].to_numpy(), rows["end_s"].to_numpy()
        born = _env_spans(rows)["born"]
        nxt = np.r_[s[1:], np.inf]
        nxt[np.r_[env[1:] != env[:-1], True]] = np.inf
        born_of = born.loc[env].to_numpy()
        ml = math.inf if fn.max_lifetime_s is None else fn.max_lifetime_s
        checked = born[born < sc.horizon_s - fn.timeout_s - EPS]
        for new_env, t in checked.items():
            idle = (
                (env != new_env)
                & (e < t - EPS)
                & (nxt > t + EPS)
                & (t - e < ka_lo - EPS)
                & (t - born_of < ml - EPS)
                & (e - born_of < ml - EPS)  # not retired at the end of that request
            )
            assert not idle.any(), (
                f"{name}: env {new_env} created at {t} while env(s) "
                f"{sorted(set(env[idle].tolist()))} were idle and live"
            )


# --------------------------------------------------------------------------- 3. determinism


def _doc(res: Any) -> str:
    d = res.to_dict()
    del d["wall_s"]
    return json.dumps(d, sort_keys=True)


@pytest.mark.slow
@settings(SETTINGS, max_examples=40)
@given(data=scenario_dicts(), seed=SEEDS)
def test_determinism(data: dict[str, Any], seed: int) -> None:
    sc, _ = _build(data)
    a = ls.run(sc, seed=seed, progress=False, trace=True)
    b = ls.run(sc, seed=seed, progress=False, trace=True)
    assert _doc(a) == _doc(b)
    pd.testing.assert_frame_equal(a.invocations, b.invocations)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    # a scenario rebuilt from the same dict is the same scenario
    c = ls.run(_build(data)[0], seed=seed, progress=False)
    assert _doc(a) == _doc(c)


def test_other_replication_differs() -> None:
    sc = ls.Scenario.from_dict(
        {
            "horizon_s": 60,
            "account": {
                "concurrency": 20,
                "min_unreserved": 5,
                "scaling": {"mode": "per_function", "envs_per_10s": 5},
            },
            "functions": {
                "api": {
                    "duration": {"dist": "lognormal", "mean_s": 0.2, "cv": 1.0},
                    "cold_start": {"dist": "lognormal", "p50_s": 0.3, "p99_s": 0.9},
                    "keep_alive_s": {"dist": "uniform", "low_s": 5, "high_s": 10},
                    "error_rate": 0.05,
                }
            },
            "workloads": [{"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": 30}}],
        }
    )
    r0 = ls.run(sc, seed=11, progress=False)
    r1 = ls.run(sc, seed=11, rep=1, progress=False)
    r0b = ls.run(sc, seed=11, rep=0, progress=False)
    assert _doc(r0) == _doc(r0b)
    assert r1.rep == 1
    assert r0.functions["api"] != r1.functions["api"]
    assert r0.functions["api"]["invocations"] != r1.functions["api"]["invocations"]


# --------------------------------------------------------------------------- 4. timing


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
def test_latency_covers_init_and_duration(data: dict[str, Any], seed: int) -> None:
    sc, _, res, inv = _run(data, seed)
    for name, fn in sc.functions.items():
        rows = inv[inv["function"] == name]
        arrival = rows["arrival_s"].to_numpy()
        start, end = rows["start_s"].to_numpy(), rows["end_s"].to_numpy()
        init, dur = rows["init_s"].to_numpy(), rows["duration_s"].to_numpy()
        lat = rows["latency_s"].to_numpy()
        cold = rows["cold"].to_numpy()
        outcome = rows["outcome"].to_numpy()
        ok = outcome == "succeeded"
        assert (start >= arrival).all(), name
        retrying = any(
            w.client_retry is not None and w.client_retry.max_attempts > 1
            for w in sc.workloads
            if w.target == name
        )
        if not retrying:
            assert (start == arrival).all(), f"{name}: a request waited without client retry"
        assert np.allclose(end, start + init + dur, rtol=0, atol=EPS), name
        assert np.allclose(lat, end - arrival, rtol=0, atol=0), name
        assert (dur >= 0).all() and (init >= 0).all(), name
        assert (lat[ok] >= dur[ok] - EPS).all(), f"{name}: latency < duration"
        assert (lat[cold] >= init[cold] + dur[cold] - EPS).all(), f"{name}: latency < INIT + dur"
        assert (lat >= dur - EPS).all(), name
        assert (init[~cold] == 0).all(), f"{name}: a warm request has INIT time"
        assert not (rows["suppressed_init"].to_numpy() & cold).any(), name
        assert (dur <= fn.timeout_s).all(), f"{name}: duration above timeout_s"
        assert (dur[outcome == "timeout"] == fn.timeout_s).all(), name
        if fn.init_limit_s is not None:
            assert (init <= fn.init_limit_s).all(), f"{name}: INIT above init_limit_s"
        if fn.error_rate == 0:
            assert not (outcome == "error").any(), name
        # the summary's mean latency is that of the counted successful requests
        f = res.functions[name]
        counted_ok = ok & (arrival >= sc.warmup_s)
        if counted_ok.any():
            assert math.isclose(f["latency_s"]["mean"], lat[counted_ok].mean(), rel_tol=1e-9)
        else:
            assert f["latency_s"]["mean"] is None


# --------------------------------------------------------------------------- 5. cost


@pytest.mark.slow
@SETTINGS
@given(data=scenario_dicts(), seed=SEEDS)
def test_costs_and_billing(data: dict[str, Any], seed: int) -> None:
    sc, _, res, inv = _run(data, seed)
    counted = _counted(inv, sc.warmup_s)
    doc = res.to_dict()
    for name, fn in sc.functions.items():
        f = res.functions[name]
        cost = f["cost_usd"]
        for k in ("requests", "duration", "total"):
            assert cost[k] >= 0 and math.isfinite(cost[k]), (name, cost)
        assert math.isclose(
            cost["total"], cost["requests"] + cost["duration"], rel_tol=1e-9, abs_tol=1e-15
        )
        assert f["billed_gb_s"] >= 0
        rows = counted[counted["function"] == name]
        # the trace logs finished invokes; invocations_run also counts those still running
        assert len(rows) <= f["invocations_run"] <= len(rows) + f["in_flight_end"]
        dur = rows["duration_s"].to_numpy()
        init = rows.loc[rows["cold"], "init_s"].to_numpy()
        gb = fn.memory_mb / 1024.0
        # Billing rounds each duration up to whole ms (float noise below 1 ns ignored).
        lower = (dur.sum() - 1e-9 * dur.size) * gb
        upper = (dur.sum() + init.sum() + 1e-3 * (dur.size + init.size)) * gb
        slack = 1e-9 + 1e-12 * upper
        assert f["billed_gb_s"] >= lower - slack, (name, f["billed_gb_s"], lower)
        assert f["billed_gb_s"] <= upper + slack, (name, f["billed_gb_s"], upper)
        if f["invocations_run"] == 0:
            assert cost["total"] == 0.0
        else:
            assert cost["requests"] > 0
    assert doc["cost_usd"]["total"] >= 0
    assert math.isclose(
        doc["cost_usd"]["total"],
        sum(f["cost_usd"]["total"] for f in res.functions.values()),
        rel_tol=1e-9,
        abs_tol=1e-15,
    )
    month = doc["cost_usd"]["monthly_projection"]
    assert month["total"] >= 0
    assert all(v >= 0 for v in month["functions"].values())


# --------------------------------------------------------------------------- no throttles


@pytest.mark.parametrize("rate", [1.0, 50.0, 400.0])
@pytest.mark.parametrize("mode", ["none", "per_function"])
def test_no_throttles_with_ample_concurrency(rate: float, mode: str) -> None:
    sc = ls.Scenario.from_dict(
        {
            "horizon_s": 60,
            "account": {"concurrency": 1000, "scaling": {"mode": mode, "envs_per_10s": 1000}},
            "functions": {
                "api": {
                    "duration": {"dist": "lognormal", "p50_s": 0.05, "p99_s": 0.25},
                    "cold_start": {"dist": "lognormal", "p50_s": 0.3, "p99_s": 0.9},
                    "timeout_s": 30,
                    "keep_alive_s": 5,
                    "max_lifetime_s": 20,
                    "error_rate": 0.0,
                },
                "batch": {
                    "duration": {"dist": "uniform", "low_s": 0.5, "high_s": 1.5},
                    "timeout_s": 10,
                    "error_rate": 0.0,
                },
            },
            "workloads": [
                {"target": "api", "arrivals": {"kind": "poisson", "rate_per_s": rate}},
                {"target": "batch", "arrivals": {"kind": "constant", "rate_per_s": rate / 10}},
            ],
        }
    )
    res = ls.run(sc, seed=5, progress=False)
    for name, f in res.functions.items():
        assert f["throttled"] == 0, name
        assert f["throttle_events"] == 0, name
        assert f["errors"] == 0 and f["timeouts"] == 0, name
        assert f["invocations"] > 0
        assert f["succeeded"] + f["in_flight_end"] == f["invocations"], name
    assert res.account["throttled"] == 0
