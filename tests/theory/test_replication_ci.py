"""Replication confidence intervals cover the Erlang-B throttle fraction about 95 % of the time.

``ls.replicate(...).summary(ci=0.95)`` reports mean ± Student-t half-width over replications. In
an Erlang loss system (Poisson arrivals, reserved concurrency c, no queue, no cold start) the
throttled fraction of requests is B(A, c) exactly, so each experiment's interval either covers
B or not, and over K independent experiments the number of covering intervals is
Binomial(K, coverage).

K = 100 experiments (independent root seeds, four (A, c) pairs) of R = 10 replications of about
2,000 arrivals each. The test asserts at least 88 covering intervals: under the nominal 95 %
coverage P(fewer than 88) ≈ 0.15 %, while a method with 70 % coverage reaches 88 with
probability ≈ 2e-5 (one with 85 % with ≈ 0.25), so the check tells 95 % from 70 %.

Bias kept well below the half-width (≈ 0.02 absolute at B ≈ 0.2): statistics start after a
warm-up of 20 mean service times (the empty start relaxes within a few), and the ratio
throttled/invocations of ~2,000 arrivals has a bias of order 1/2,000.
"""

from __future__ import annotations

import math

import pytest
from scipy import stats

import lambdasim as ls
from lambdasim import theory

pytestmark = pytest.mark.theory

#: (offered load A in Erlangs, reserved concurrency c)
PAIRS = [(2.0, 3), (1.0, 2), (4.0, 5), (3.0, 3)]
EXPERIMENTS = 100
REPS = 10
ARRIVALS = 2_000
MEAN_S = 0.5
WARMUP_S = 20 * MEAN_S


def _erlang_scenario(load: float, servers: int) -> ls.Scenario:
    rate = load / MEAN_S
    return ls.Scenario.from_dict(
        {
            "name": f"erlang-{load:g}-{servers}",
            "horizon_s": WARMUP_S + ARRIVALS / rate,
            "warmup_s": WARMUP_S,
            "account": {"scaling": {"mode": "none"}},
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": MEAN_S},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "max_lifetime_s": None,
                    "init_limit_s": None,
                    "reserved_concurrency": servers,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate}}],
        }
    )


def test_binomial_threshold_separates_95_from_70_percent() -> None:
    """The arithmetic behind the threshold in the module docstring."""
    k = 88
    assert stats.binom.cdf(k - 1, EXPERIMENTS, 0.95) < 0.002
    assert stats.binom.sf(k - 1, EXPERIMENTS, 0.70) < 3e-5


@pytest.mark.slow  # 1,000 runs
def test_t_intervals_cover_erlang_b_about_95_percent() -> None:
    scenarios = [(_erlang_scenario(a, c), theory.erlang_b(a, c)) for a, c in PAIRS]
    covered = 0
    misses = []
    for k in range(EXPERIMENTS):
        sc, b = scenarios[k % len(scenarios)]
        res = ls.replicate(sc, reps=REPS, seed=1000 + k, n_jobs=1, progress=False)
        row = res.summary(ci=0.95, metrics=["throttle_rate"]).iloc[0]
        assert row["n"] == REPS and row["n_failed"] == 0
        mean, hw = float(row["throttle_rate"]), float(row["throttle_rate_ci"])
        assert math.isfinite(hw) and hw > 0
        if abs(mean - b) <= hw:
            covered += 1
        else:
            misses.append(f"{sc.name} seed {1000 + k}: {mean:.4f} ± {hw:.4f} vs B = {b:.4f}")
    assert covered >= 88, f"{covered}/{EXPERIMENTS} intervals cover B; misses: {misses}"
