"""``recommend`` against closed forms: Erlang-B reserved concurrency, the power curve's memory.

* A sync function with Poisson arrivals, exponential handler times, no INIT and reserved
  concurrency c is an M/M/c/c loss system: its throttle rate is Erlang-B B(A, c)
  (validation.md §1 item 2). The cheapest reserved concurrency meeting a throttle budget is
  the smallest c with B(A, c) <= budget (fewer executions are billed, so cost falls with c).
  **Exact** where the budget sits between B(A, c* − 1) and B(A, c*) with >= 20 % on each side:
  a few replications of ~10⁴ requests resolve that (each run's throttle fraction has a
  relative standard error of a few per cent). **Within one step** where the budget is 3 %
  above B(A, c*): an interval that cannot separate c* from the bound leaves c* unproven, and the
  next value, c* + 1, is the cheapest proven one.
* With a constant handler time, every invocation of a memory size costs the same, so the run's
  cost is (invocations) × (the power curve's cost per invocation) (the power curve bills the
  same 1-ms rounding; INIT is 0): a cost-only objective must pick the power curve's argmin.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim.recommendation import recommend
from lambdasim.theory import erlang_b

pytestmark = pytest.mark.theory


def loss(rate: float, mean_s: float, horizon_s: float = 25.0) -> ls.Scenario:
    """Poisson arrivals, exponential handler, no INIT, no scaling limit, no lifetime."""
    return ls.Scenario.from_dict(
        {
            "name": "erlang",
            "seed": 3,
            "horizon_s": horizon_s,
            "warmup_s": 5,
            "account": {"concurrency": 10_000, "scaling": {"mode": "none"}},
            "output": {"timeseries_step_s": 5},
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": mean_s},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "keep_alive_s": 600,
                    "max_lifetime_s": None,
                    "init_limit_s": None,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate}}],
        }
    )


@pytest.mark.parametrize(
    ("rate", "mean_s", "c_star", "theory"),
    [(500.0, 0.01, 11, True), (500.0, 0.01, 11, False), (1000.0, 0.02, 30, True)],
)
def test_smallest_reserved_concurrency_is_erlang_b_exactly(
    rate: float, mean_s: float, c_star: int, theory: bool
) -> None:
    a = rate * mean_s
    budget = math.sqrt(erlang_b(a, c_star - 1) * erlang_b(a, c_star))  # geometric midpoint
    assert erlang_b(a, c_star) * 1.2 < budget < erlang_b(a, c_star - 1) / 1.2  # separable
    rec = recommend(
        loss(rate, mean_s),
        {"functions.f.reserved_concurrency": "null,1..40"},
        {"throttle_rate": budget},
        n_jobs=1,
        theory=theory,
        progress=False,
    )
    assert rec.status == "proven", rec.why
    assert rec.patch == {"functions.f.reserved_concurrency": c_star}, rec.why
    chosen = rec.table[rec.table["chosen"]].iloc[0]
    assert chosen["throttle_rate"] + chosen["throttle_rate_ci"] <= budget  # by its interval
    if theory:  # the floor B(0.95 A, c) removed values below c*, never c* itself
        kept = re.search(r"smallest c kept: (\d+)", rec.why)
        assert kept is not None and c_star - 2 <= int(kept.group(1)) <= c_star


def test_within_one_step_where_the_interval_cannot_separate() -> None:
    a, c_star = 5.0, 11
    budget = 1.03 * erlang_b(a, c_star)  # 3 % above B(5, 11): too close to prove c*
    rec = recommend(
        loss(500.0, 0.01),
        {"functions.f.reserved_concurrency": "null,1..40"},
        {"throttle_rate": budget},
        n_jobs=1,
        progress=False,
    )
    assert rec.ok, rec.why
    assert rec.patch["functions.f.reserved_concurrency"] in (c_star, c_star + 1), rec.why


def _constant(d_ref_s: float) -> dict[str, Any]:
    return {
        "name": "power",
        "seed": 5,
        "horizon_s": 25,
        "account": {"scaling": {"mode": "none"}},
        "output": {"timeseries_step_s": 5},
        "functions": {
            "f": {
                "memory_mb": 1024,
                "duration": {
                    "dist": "constant",
                    "value_s": d_ref_s,
                    "memory_ref_mb": 1024,
                    "cpu_bound": 1.0,
                    "threads": 6,
                },
                "cold_start": {"dist": "constant", "value_s": 0.0},
                "keep_alive_s": 600,
            }
        },
        "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 200}}],
    }


def test_cost_only_objective_picks_the_power_curve_minimum() -> None:
    # 1.54 ms at 1,024 MB, fully CPU-bound on 6 threads: d(m) = 1.54 × 1024 / m ms, billed
    # rounded up to 1 ms. The GB-s per invocation, m × ceil(d(m)), is smallest at 320 MB
    # (4.93 -> 5 ms), not at the smallest memory (128 MB: 12.3 -> 13 ms).
    sc = ls.Scenario.from_dict(_constant(0.00154))
    memories = list(range(128, 1025, 64))
    curve = ls.power_curve(sc, memories, function="f", samples=1000)
    costs = curve.set_index("memory_mb")["cost_usd"]
    best = int(curve["memory_mb"].to_numpy()[np.argmin(curve["cost_usd"].to_numpy())])
    ordered = costs.sort_values()
    # unique, and by more than the search's 0.1 % tie tolerance (requests cost the same)
    assert best == 320 and ordered.iloc[1] / ordered.iloc[0] - 1.0 > 0.002
    rec = recommend(sc, {"functions.f.memory_mb": "128..1024:64"}, n_jobs=1, progress=False)
    assert rec.status == "proven", rec.why
    assert rec.patch == {"functions.f.memory_mb": best}, rec.why


def test_cost_only_single_threaded_prunes_above_one_vcpu() -> None:
    # half CPU-bound, one thread: duration stops falling at 1,769 MB, GB-s rises with memory, so
    # the power curve's cheapest memory is the smallest; sizes above 1,769 MB are pruned
    sc = ls.Scenario.from_dict(
        {
            **_constant(0.05),
            "functions": {
                "f": {
                    "duration": {
                        "dist": "lognormal",
                        "p50_s": 0.05,
                        "p99_s": 0.2,
                        "memory_ref_mb": 512,
                        "cpu_bound": 0.5,
                    },
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                }
            },
        }
    )
    memories = [*range(1024, 3009, 128), 3008]
    costs = ls.power_curve(sc, sorted(set(memories)), function="f")
    best = int(costs["memory_mb"].to_numpy()[np.argmin(costs["cost_usd"].to_numpy())])
    rec = recommend(sc, {"functions.f.memory_mb": "1024..3008:128"}, n_jobs=1, progress=False)
    assert rec.patch == {"functions.f.memory_mb": best} == {"functions.f.memory_mb": 1024}
    # 1,792 MB and above run as fast as 1,769 MB (one vCPU): only 1,792 is kept
    assert "functions.f.memory_mb 1920..3008" in rec.why
    assert 3008 not in set(rec.table["functions.f.memory_mb"])  # never simulated
