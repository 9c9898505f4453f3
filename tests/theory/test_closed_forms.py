"""Closed forms of ``lambdasim.theory`` against the reference numbers of validation.md §1.

Every expected value below is copied from ``shared/reference/validation.md`` section 1
("Closed-form results"); the tolerances follow the number of digits printed there.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdasim.theory import (
    SteadyState,
    erlang_b,
    low_rate_cold_probability,
    low_rate_environments,
    mg_inf_mean,
    mg_inf_pmf,
    steady_state_cold_start,
)

pytestmark = pytest.mark.theory


def _half_ulp(printed: str) -> float:
    """Half a unit in the last printed digit of a decimal or e-notation literal."""
    mantissa, _, exponent = printed.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 0.5 * 10.0 ** (-decimals + (int(exponent) if exponent else 0))


# --------------------------------------------------------------------------------------------
# Erlang-B (validation.md §1 item 2)
# --------------------------------------------------------------------------------------------

ERLANG_B_REFERENCE = [
    # (A, c, B, relative tolerance)
    (1.0, 1, 0.5, 1e-12),
    (1.0, 2, 0.2, 1e-12),
    (5.0, 5, 0.284868, 1e-4),
    (10.0, 10, 0.214582, 1e-4),
    (20.0, 20, 0.158892, 1e-4),
    (20.0, 25, 0.0502218, 1e-4),
    (20.0, 30, 0.0084575, 1e-4),
    (100.0, 100, 0.0757005, 1e-4),
    (100.0, 110, 0.0274634, 1e-4),
    (1000.0, 1000, 0.0248119, 1e-4),
    (900.0, 1000, 5.93e-5, 1e-2),
]


@pytest.mark.parametrize(("load", "servers", "expected", "rel"), ERLANG_B_REFERENCE)
def test_erlang_b_reference_values(load: float, servers: int, expected: float, rel: float) -> None:
    assert erlang_b(load, servers) == pytest.approx(expected, rel=rel)


def test_erlang_b_edge_cases() -> None:
    assert erlang_b(0.0, 0) == 1.0
    assert erlang_b(7.5, 0) == 1.0
    assert erlang_b(0.0, 3) == 0.0
    # NumPy integers are accepted at run time (operator.index), though typed as int.
    assert erlang_b(2.0, np.int64(3)) == pytest.approx(erlang_b(2.0, 3))  # type: ignore[arg-type]
    # Closed form for c = 1: A / (1 + A).
    assert erlang_b(3.0, 1) == pytest.approx(0.75)
    # Huge loads and server counts neither overflow nor leave [0, 1].
    assert 0.0 < erlang_b(1e6, 10_000) <= 1.0
    assert 0.0 <= erlang_b(1.0, 100_000) < 1e-300


def test_erlang_b_matches_direct_sum_for_small_systems() -> None:
    for load in (0.3, 2.0, 7.0):
        for c in range(0, 12):
            terms = [load**k / math.factorial(k) for k in range(c + 1)]
            assert erlang_b(load, c) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)


@pytest.mark.parametrize(
    ("load", "servers"),
    [(-1.0, 3), (math.nan, 3), (math.inf, 3), (1.0, -1), (1.0, 2.0), (1.0, 2.5), (1.0, True)],
)
def test_erlang_b_rejects_bad_input(load: float, servers: int) -> None:
    with pytest.raises(ValueError):
        erlang_b(load, servers)


def test_erlang_b_monotone_in_servers_and_load() -> None:
    """Property: B(A, c) strictly decreases in c and strictly increases in A."""
    rng = np.random.default_rng(20240611)
    loads = np.concatenate([[0.01, 0.5, 1.0, 20.0, 100.0], rng.uniform(0.01, 300.0, size=40)])
    for load in loads:
        values = [erlang_b(float(load), c) for c in range(0, 400)]
        diffs = np.diff(values)
        # Strictly decreasing while representable, never increasing afterwards.
        assert np.all(diffs <= 0.0)
        assert np.all(diffs[np.asarray(values[1:]) > 1e-300] < 0.0)
    for c in (1, 2, 5, 10, 50, 200, 1000):
        grid = np.sort(np.concatenate([np.geomspace(0.01, 2000.0, 60), rng.uniform(0, 2000, 40)]))
        values = [erlang_b(float(a), c) for a in grid]
        assert np.all(np.diff(values) >= 0.0)
        positive = np.asarray(values) > 1e-300
        assert np.all(np.diff(values)[positive[:-1]] > 0.0)


# --------------------------------------------------------------------------------------------
# M/G/∞ (validation.md §1 item 1)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("load", "p_zero", "p99"), [(20.0, "2.1e-9", 31), (1.535, "0.2155", 5)])
def test_mg_inf_reference_numbers(load: float, p_zero: str, p99: int) -> None:
    assert mg_inf_pmf(load, 0) == pytest.approx(float(p_zero), abs=_half_ulp(p_zero) * 1.0001)
    ks = np.arange(0, 200)
    cdf = np.cumsum(mg_inf_pmf(load, ks))
    assert int(ks[np.argmax(cdf >= 0.99)]) == p99


@pytest.mark.parametrize("load", [0.0, 0.05, 1.535, 20.0, 250.0])
def test_mg_inf_pmf_is_a_distribution_with_mean_a(load: float) -> None:
    ks = np.arange(0, int(load + 20 * math.sqrt(load) + 50))
    pmf = mg_inf_pmf(load, ks)
    assert isinstance(pmf, np.ndarray)
    assert pmf.shape == ks.shape
    assert np.all(pmf >= 0.0)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    assert float(ks @ pmf) == pytest.approx(mg_inf_mean(load), abs=1e-9)
    assert mg_inf_mean(load) == load
    assert isinstance(mg_inf_pmf(load, 3), float)
    assert mg_inf_pmf(load, -1) == 0.0


def test_mg_inf_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        mg_inf_pmf(-0.5, 0)
    with pytest.raises(ValueError):
        mg_inf_pmf(math.nan, np.arange(3))
    with pytest.raises(ValueError):
        mg_inf_mean(-1.0)


# --------------------------------------------------------------------------------------------
# Low-rate single-environment approximation (validation.md §1 item 4)
# --------------------------------------------------------------------------------------------

LOW_RATE_TABLE = [
    # (λ req/s, approx P(cold)) with E[S] = 1.98 s, T = 600 s
    (0.001863, 0.3283),
    (0.002458, 0.2315),
    (0.002882, 0.1811),
    (0.003453, 0.1310),
    (0.004248, 0.0852),
    (0.005725, 0.0427),
    (0.007851, 0.0240),
]


@pytest.mark.parametrize(("rate", "expected"), LOW_RATE_TABLE)
def test_low_rate_cold_probability_table(rate: float, expected: float) -> None:
    assert low_rate_cold_probability(rate, 1.98, 600.0) == pytest.approx(expected, abs=5e-4)


@pytest.mark.parametrize(("rate", "expected"), [(0.001863, 0.677), (0.007851, 1.006)])
def test_low_rate_environments_quoted_values(rate: float, expected: float) -> None:
    assert low_rate_environments(rate, 1.98, 600.0) == pytest.approx(expected, abs=1e-3)


def test_low_rate_limits_and_validation() -> None:
    # No traffic: nothing ever warm, so every (hypothetical) request is cold, no environments.
    assert low_rate_cold_probability(0.0, 1.98, 600.0) == 1.0
    assert low_rate_environments(0.0, 1.98, 600.0) == 0.0
    # Zero timeout: every request is cold.
    assert low_rate_cold_probability(0.01, 0.0, 0.0) == 1.0
    for bad in ((-0.1, 1.0, 600.0), (0.1, -1.0, 600.0), (0.1, 1.0, -600.0), (math.nan, 1, 1)):
        with pytest.raises(ValueError):
            low_rate_cold_probability(*bad)
        with pytest.raises(ValueError):
            low_rate_environments(*bad)


# --------------------------------------------------------------------------------------------
# Mahmoudi–Khazaei steady state (validation.md §1 item 3, pacsltk reference outputs)
# --------------------------------------------------------------------------------------------

PACSLTK_REFERENCE = [
    (
        (100.0, 2.0, 25.0, 600.0),
        {
            "environments": 251.0439,
            "running": 200.1488,
            "idle": 51.0569,
            "utilisation": 0.796622,
            "mean_response_s": 2.001488,
            "p_cold": 6.5e-5,
        },
    ),
    (
        (0.9, 1.991, 2.244, 600.0),
        {
            "environments": 7.6031,
            "running": 1.7922,
            "idle": 5.8133,
            "utilisation": 0.2354,
            "p_cold": 0.001186,
        },
    ),
]


@pytest.mark.parametrize(("args", "expected"), PACSLTK_REFERENCE)
def test_steady_state_matches_pacsltk(
    args: tuple[float, float, float, float], expected: dict[str, float]
) -> None:
    result = steady_state_cold_start(*args)
    for name, value in expected.items():
        rel = 2e-2 if name == "p_cold" else 1e-3
        assert getattr(result, name) == pytest.approx(value, rel=rel), name


@pytest.mark.parametrize("args", [case[0] for case in PACSLTK_REFERENCE])
def test_steady_state_internal_consistency(args: tuple[float, float, float, float]) -> None:
    lam, warm, cold, _ = args
    r = steady_state_cold_start(*args)
    assert isinstance(r, SteadyState)
    assert 0.0 < r.p_cold < 1.0
    assert r.p_reject == 0.0
    assert r.running_warm == pytest.approx(lam * warm * (1.0 - r.p_cold), rel=1e-12)
    assert r.running == pytest.approx(r.running_warm + lam * r.p_cold * cold, rel=1e-12)
    assert r.idle == pytest.approx(r.environments - r.running_warm, rel=1e-12)
    assert r.utilisation == pytest.approx(r.running_warm / r.environments, rel=1e-12)
    assert r.mean_response_s == pytest.approx(r.p_cold * cold + (1 - r.p_cold) * warm)
    # A concurrency limit far above the bulk of the distribution changes nothing.
    capped = steady_state_cold_start(*args, max_environments=1000)
    assert capped.environments == pytest.approx(r.environments, rel=1e-9)
    assert capped.p_cold == pytest.approx(r.p_cold, rel=1e-9)


def test_steady_state_concurrency_limit_turns_overflow_into_rejections() -> None:
    capped = steady_state_cold_start(100.0, 2.0, 25.0, 600.0, max_environments=210)
    assert capped.environments <= 210.0
    assert 0.0 < capped.p_reject < 1.0
    assert capped.p_cold + capped.p_reject <= 1.0
    assert capped.mean_response_s >= 2.0


def test_steady_state_extreme_parameters_stay_finite() -> None:
    for args in [(1e4, 1.0, 5.0, 600.0), (1e-6, 0.1, 1.0, 60.0), (50.0, 0.01, 0.5, 3600.0)]:
        r = steady_state_cold_start(*args)
        for value in (r.p_cold, r.environments, r.running, r.idle, r.utilisation):
            assert math.isfinite(value)
        assert 0.0 <= r.p_cold <= 1.0
        assert 0.0 <= r.utilisation <= 1.0
        assert r.environments >= r.running_warm


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0.0, 1.0, 2.0, 600.0), {}),
        ((1.0, 0.0, 2.0, 600.0), {}),
        ((1.0, 1.0, -2.0, 600.0), {}),
        ((1.0, 1.0, 2.0, 0.0), {}),
        ((1.0, 1.0, 2.0, math.inf), {}),
        ((1.0, 1.0, 2.0, 600.0), {"max_environments": 0}),
        ((1.0, 1.0, 2.0, 600.0), {"max_environments": 2.5}),
    ],
)
def test_steady_state_rejects_bad_input(
    args: tuple[float, float, float, float], kwargs: dict[str, int]
) -> None:
    with pytest.raises(ValueError):
        steady_state_cold_start(*args, **kwargs)
