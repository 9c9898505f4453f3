"""Documented AWS scaling rules (validation.md §2 item 15)."""

from __future__ import annotations

import pytest

import lambdasim as ls
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def test_step_to_3000_rps_follows_the_continuous_refill() -> None:
    # A 1-s function stepped from 0 to 3,000 req/s needs 3,000 environments. 1,000 are
    # allowed at once, then 100 per second (1,000 per 10 s, refilled continuously, §4.2), so it
    # reaches 3,000 after 20 s. validation.md's fluid estimate of the throttles is 20,000
    # (∫ 3000 − (1000 + 100 t) dt over 20 s); refill in 10-s steps would give 30,000. Counted per
    # second: each environment serves one 1-s request per second from its creation, so second k
    # serves the 1,000 + 100 (k + 1) environments that exist by its end and throttles
    # 1,900 − 100 k, which sums to 19,000 over the 20 s.
    sc = scenario(
        functions={
            "f": {
                "duration": {"dist": "constant", "value_s": 1.0},
                "cold_start": {"dist": "constant", "value_s": 0.0},
                "timeout_s": 10,
            }
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 3000}}],
        horizon_s=40.0,
        account={"concurrency": 10000},
        output={"timeseries_step_s": 1},
    )
    res = ls.run(sc, progress=False)
    f = res.functions["f"]
    assert f["throttles_by_reason"]["ScalingRateExceeded"] == f["throttled"]
    assert 20_000 * 0.9 < f["throttled"] < 30_000  # between the two refill models
    assert f["throttled"] == pytest.approx(19_000, rel=0.005)
    ts = res.timeseries
    per_s = ts[ts["metric"] == "Throttles"]["value"].to_numpy()
    for k in range(19):
        assert per_s[k] == pytest.approx(1900 - 100 * k, abs=2), k
    assert per_s[22:].sum() == 0  # after the ramp nothing is throttled
    assert f["environments"]["max"] == pytest.approx(3000, abs=2)


def test_scaling_rate_does_not_accrue_while_idle() -> None:
    # 1,000 environments at once at t = 10 s even after 10 s idle: the bucket holds 1,000, not more.
    sc = scenario(
        functions={
            "f": {
                "duration": {"dist": "constant", "value_s": 5.0},
                "cold_start": {"dist": "constant", "value_s": 0.0},
                "timeout_s": 10,
            }
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1e6}}],
        horizon_s=0.0015,
        account={"concurrency": 10000},
    )
    f = ls.run(sc, progress=False).functions["f"]
    # 1,500 requests in 1.5 ms: the first 1,000 get environments, ~0.15 tokens refill
    assert f["invocations"] == 1499
    assert f["throttled"] == 499
