"""The account's requests-per-second quota against its arithmetic (issue 14 item 4).

AWS: "Across all functions in your account, Lambda enforces a requests per second limit that's
equal to 10 times your account concurrency" (Lambda guide, "lambda-concurrency", "Understanding
concurrency and requests per second"). lambdasim counts it in fixed one-second windows
``[k, k + 1)`` of simulated time (:class:`lambdasim.service.concurrency.RequestRate`): in each,
the first ``q`` sync requests pass and the others get a 429.

The account is small (concurrency 20 → q = 200 requests per second) and the handlers take
10 ms, so the admitted load is about 2 busy environments: the concurrency limit (20) and the
scaling rate never throttle and every throttle is the quota's.

* Constant arrivals at 2q per second: exactly q throttled in every second (q − 1 in the first,
  whose arrival at t = 0 does not exist: arrivals are at k / rate, k = 1, 2, ...).
* Poisson arrivals at rate λ: the counts of the windows are independent Poisson(λ), so the
  throttled fraction is E[max(N − q, 0)] / λ, N ~ Poisson(λ), computed exactly with scipy. The
  run's standard error comes from the per-second counts (the windows are independent) and the
  test asserts 4 SE < the tolerance before it compares, as in test_simulation_vs_theory.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import stats

import lambdasim as ls

pytestmark = pytest.mark.theory

Z = 4.0
CONCURRENCY = 20
Q = 10 * CONCURRENCY  # the default quota: 10 × account concurrency
REASON = "RequestsPerSecondLimitExceeded"


def scenario(arrivals: dict[str, Any], horizon_s: float, **account: Any) -> ls.Scenario:
    return ls.Scenario.from_dict(
        {
            "name": "rps-quota",
            "seed": 7,
            "horizon_s": horizon_s,
            "account": {"concurrency": CONCURRENCY, **account},
            "functions": {
                "f": {
                    "memory_mb": 1024,
                    "duration": {"dist": "constant", "value_s": 0.01},
                    "cold_start": {"dist": "constant", "value_s": 0.01},
                }
            },
            "workloads": [{"target": "f", "arrivals": arrivals}],
            "output": {"timeseries_step_s": 1},
        }
    )


def run(arrivals: dict[str, Any], horizon_s: float) -> ls.RunResult:
    sc = scenario(arrivals, horizon_s)
    assert sc.account.rps_limit == Q  # the default follows account.concurrency
    return ls.run(sc, progress=False)


def per_second(res: ls.RunResult, metric: str) -> np.ndarray:
    ts = res.timeseries
    return ts[(ts["function"] == "f") & (ts["metric"] == metric)]["value"].to_numpy(float)


def only_the_quota_throttled(f: dict[str, Any]) -> None:
    reasons = f["throttles_by_reason"]
    assert reasons[REASON] == f["throttle_events"] == f["throttled"]  # no client retry
    assert sum(reasons.values()) == reasons[REASON]


def test_constant_arrivals_at_twice_the_quota_lose_exactly_half_each_second() -> None:
    res = run({"kind": "constant", "rate_per_s": 2 * Q}, horizon_s=30.0)
    f = res.functions["f"]
    only_the_quota_throttled(f)
    throttles = per_second(res, "Throttles")
    assert throttles.tolist() == [Q - 1] + [Q] * 29
    assert f["invocations"] == 2 * Q * 30 - 1
    assert f["throttled"] == Q * 30 - 1  # half, less the missing arrival at t = 0


def test_quota_off_explicit_and_following_concurrency() -> None:
    arrivals = {"kind": "constant", "rate_per_s": 2 * Q}
    off = scenario(arrivals, 5.0, rps_limit=None)
    assert ls.run(off, progress=False).functions["f"]["throttled"] == 0
    f = ls.run(off.replace({"account.rps_limit": Q // 2}), progress=False).functions["f"]
    assert f["throttles_by_reason"][REASON] == (2 * Q * 5 - 1) - (Q // 2) * 5
    # an unset quota follows the concurrency quota (sweeps over account.concurrency)
    doubled = scenario(arrivals, 5.0).replace({"account.concurrency": 2 * CONCURRENCY})
    assert doubled.account.rps_limit == 2 * Q
    assert ls.run(doubled, progress=False).functions["f"]["throttled"] == 0


def expected_fraction(lam: float, q: int) -> float:
    """E[max(N − q, 0)] / λ for N ~ Poisson(λ), exactly.

    E[max(N − q, 0)] = E[N] − q + E[max(q − N, 0)]
                     = λ − q + q·F(q) − λ·F(q − 1),   using n·p(n) = λ·p(n − 1).
    """
    pois = stats.poisson(lam)
    return (lam - q + q * pois.cdf(q) - lam * pois.cdf(q - 1)) / lam


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lam", "horizon_s", "tol"),
    [
        (2.0 * Q, 1000.0, 0.005),  # offered at 2 × the quota: about half throttled
        (1.0 * Q, 4000.0, 0.003),  # at the quota: only the Poisson excess, ≈ 2.8 %
    ],
)
def test_poisson_arrivals_lose_the_expected_excess(
    lam: float, horizon_s: float, tol: float
) -> None:
    res = run({"kind": "poisson", "rate_per_s": lam}, horizon_s=horizon_s)
    f = res.functions["f"]
    only_the_quota_throttled(f)
    # arrivals and throttles per second; the last second is dropped, as in the other theory
    # tests: an invoke still running at the horizon is not in its Invocations yet
    t = per_second(res, "Throttles")[:-1]
    n = per_second(res, "Invocations")[:-1] + t
    # every window's throttles are its excess over the quota, exactly
    assert np.array_equal(t, np.maximum(n - Q, 0.0))
    frac = t.sum() / n.sum()
    # ratio estimator: SE from the per-second residuals t − frac·n (independent windows)
    se = float(np.std(t - frac * n, ddof=1) / (math.sqrt(len(n)) * n.mean()))
    want = expected_fraction(lam, Q)
    assert Z * se < tol, f"run too short: 4 SE = {Z * se:.4f} >= tolerance {tol}"
    assert abs(frac - want) < tol, f"throttled fraction {frac:.5f}, theory {want:.5f}, SE {se:.5f}"
    assert f["throttled"] / f["invocations"] == pytest.approx(frac, abs=1e-3)
