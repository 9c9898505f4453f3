"""Provisioned concurrency, schedules, target tracking; legacy burst scaling.

aws-lambda-behaviour.md §4.3, §4.5, §9, §10.3; validation.md §2 items 14–15 and §4 item 24.
PC billing follows https://aws.amazon.com/lambda/pricing/ ("Provisioned Concurrency Pricing"):
billed from the time the configuration is enabled until it changes, each configuration
interval rounded up to 5 minutes once (issue 14 item 3).
"""

from __future__ import annotations

from typing import Any

import pytest

import lambdasim as ls
from lambdasim import cost as costmod
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def fn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.5},
        "keep_alive_s": 600,
        "max_lifetime_s": None,
        "timeout_s": 60,
        "memory_mb": 1024,
    }
    base.update(kw)
    return base


def series(res: ls.RunResult, function: str, metric: str) -> list[float]:
    ts = res.timeseries
    return ts[(ts["function"] == function) & (ts["metric"] == metric)]["value"].tolist()


def test_pc_at_least_peak_concurrency_gives_no_cold_starts() -> None:
    sc = scenario(
        functions={
            "f": fn(duration={"dist": "exponential", "mean_s": 0.2}, provisioned_concurrency=40)
        },
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 50}}],
        horizon_s=600.0,
    )
    res = ls.run(sc, progress=False)
    f = res.functions["f"]
    assert f["concurrency"]["max"] <= 40  # A = 10: 40 is far above the peak
    assert f["cold_starts"] == 0
    p = f["provisioned"]
    assert p["spillover_invocations"] == 0
    assert p["invocations"] == f["invocations"] - f["throttled"]  # every admitted request
    assert p["allocated_mean"] == 40 and p["allocated_max"] == 40
    assert f["environments"]["max"] == 40


def test_pc_zero_is_exactly_the_core_model() -> None:
    base = {
        "functions": {
            "f": fn(duration={"dist": "exponential", "mean_s": 0.3}, reserved_concurrency=20)
        },
        "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 40}}],
        "horizon_s": 600.0,
    }
    a = ls.run(scenario(**base), progress=False).to_dict()
    base["functions"]["f"]["provisioned_concurrency"] = 0  # type: ignore[index]
    b = ls.run(scenario(**base), progress=False).to_dict()
    a.pop("wall_s")
    b.pop("wall_s")
    assert a == b


def test_spillover_to_on_demand_and_reserved_limit() -> None:
    # RC 5 with PC 3: on-demand may use 5 − 3 = 2 more; 6 simultaneous requests: 1 throttled
    sc = scenario(
        functions={
            "f": fn(
                reserved_concurrency=5,
                provisioned_concurrency=3,
                duration={"dist": "constant", "value_s": 10.0},
            )
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1000}}],
        horizon_s=0.0065,
    )
    res = ls.run(sc, progress=False)
    f = res.functions["f"]
    assert f["invocations"] == 6 and f["throttled"] == 1
    assert f["provisioned"]["invocations"] == 3
    assert f["provisioned"]["spillover_invocations"] == 2
    assert f["cold_starts"] == 2  # the two spillover requests start new environments


def test_pc_cost_example_of_the_pricing_page() -> None:
    # validation.md §4 item 24: 1024 MB, PC 1,000 for 2 h: 7.2 M GB-s x $0.0000041667 = $30.00;
    # 1.2 M 1-s invocations on it: 1.2 M GB-s x $0.0000097222 = $11.67, requests $0.24.
    table = costmod.load_table("aws-lambda@2026-11")
    t = costmod.BillingTotals(
        function="f",
        architecture="x86_64",
        memory_mb=1024,
        requests=1_200_000,
        billed_ms=0,
        init_billed_ms_delta=0,
        seconds=7200.0,
        pc_allocated_gb_s=1000 * 7200.0,
        pc_billed_ms=1_200_000 * 1000,
    )
    row = costmod.run_cost([t], table).loc["f"]
    assert row["provisioned_usd"] == pytest.approx(30.00 + 11.67, abs=0.005)
    assert row["requests_usd"] == pytest.approx(0.24, abs=1e-9)
    assert row["total_usd"] == pytest.approx(41.91, abs=0.01)


# The PC worked examples of the current pricing page (https://aws.amazon.com/lambda/pricing/,
# "Provisioned Concurrency Pricing", us-east-1, x86). The page rounds each charge to cents; the
# tests recompute each product from its stated inputs and the table's prices, then compare the
# rounded figures with the page's.
PAGE_TABLE = "aws-lambda@2026-11"
PC_USD = 0.0000041667  # per GB-s of configured PC (the page and the table)
PC_RUN_USD = 0.0000097222  # per GB-s of duration on PC
ON_DEMAND_USD = 0.0000166667  # per GB-s, tier 1
MONTH_S = 30 * 86400


def test_pricing_page_pc_example_mobile_app_launch() -> None:
    # Example 1: 1536 MB, PC 100 from noon to 8 p.m. (8 h); 500,000 requests of 100 ms on PC,
    # 2.5 M of 120 ms on demand the rest of the month; free tier on requests and on-demand
    # GB-s. PC 150 GB x 28,800 s = 4.32 M GB-s -> $18; requests (3 M - 1 M) x $0.20/M = $0.40;
    # on PC 75,000 GB-s -> $0.73; on demand 450,000 - 400,000 GB-s -> $0.83; total $19.96.
    table = costmod.load_table(PAGE_TABLE)
    pc_gb_s = 100 * 1536 / 1024 * 8 * 3600
    assert pc_gb_s == 4_320_000
    t = costmod.BillingTotals(
        function="app",
        architecture="x86_64",
        memory_mb=1536,
        requests=3_000_000,
        billed_ms=2_500_000 * 120,
        init_billed_ms_delta=0,
        seconds=MONTH_S,  # the totals are the month: the projection's scale is 1
        pc_allocated_gb_s=pc_gb_s,
        pc_billed_ms=500_000 * 100,
        pc_enabled_gb_s=pc_gb_s,
    )
    row = costmod.monthly_projection([t], table, free_tier=True, days=30.0).loc["app"]
    pc_charge, on_pc, on_demand = pc_gb_s * PC_USD, 75_000 * PC_RUN_USD, 50_000 * ON_DEMAND_USD
    assert row["provisioned_usd"] == pytest.approx(pc_charge + on_pc, rel=1e-12)
    assert row["duration_usd"] == pytest.approx(on_demand, rel=1e-12)
    assert row["requests_usd"] == pytest.approx(0.40, rel=1e-12)
    assert (round(pc_charge, 2), round(on_pc, 2), round(on_demand, 2)) == (18.00, 0.73, 0.83)
    assert round(row["total_usd"], 2) == 19.96


def test_pricing_page_pc_example_cyber_monday() -> None:
    # Example 2: 4,096 MB, PC 7 for the 24 h of the sale; 2 M requests of 280 ms on PC; no
    # free tier. PC 28 GB x 86,400 s = 2,419,200 GB-s -> $10.08; on PC 2,240,000 GB-s ->
    # $21.78; requests $0.40; total $32.26.
    table = costmod.load_table(PAGE_TABLE)
    pc_gb_s = 7 * 4096 / 1024 * 86_400
    assert pc_gb_s == 2_419_200
    t = costmod.BillingTotals(
        function="nlp",
        architecture="x86_64",
        memory_mb=4096,
        requests=2_000_000,
        billed_ms=0,
        init_billed_ms_delta=0,
        seconds=86_400.0,
        pc_allocated_gb_s=pc_gb_s,
        pc_billed_ms=2_000_000 * 280,
    )
    row = costmod.run_cost([t], table).loc["nlp"]
    pc_charge, on_pc = pc_gb_s * PC_USD, 2_240_000 * PC_RUN_USD
    assert row["provisioned_usd"] == pytest.approx(pc_charge + on_pc, rel=1e-12)
    assert row["requests_usd"] == pytest.approx(0.40, rel=1e-12)
    assert (round(pc_charge, 2), round(on_pc, 2)) == (10.08, 21.78)
    assert round(row["total_usd"], 2) == 32.26


def test_simulated_pc_of_cyber_monday_example_bills_its_gb_s() -> None:
    # The same PC configuration simulated for 24 h without requests: the run reports exactly
    # the page's 2,419,200 GB-s (24 h is a multiple of 5 minutes) and its $10.08.
    sc = scenario(
        functions={"nlp": fn(memory_mb=4096, provisioned_concurrency=7)},
        workloads=[{"target": "nlp", "arrivals": {"kind": "constant", "rate_per_s": 1e-6}}],
        horizon_s=86_400.0,
        output={"timeseries_step_s": 3600},
        pricing={"table": PAGE_TABLE},
    )
    f = ls.run(sc, progress=False).functions["nlp"]
    assert f["invocations"] == 0
    assert f["provisioned"]["allocated_gb_s"] == 2_419_200
    assert f["cost_usd"]["provisioned"] == pytest.approx(2_419_200 * PC_USD, rel=1e-12)
    assert round(f["cost_usd"]["total"], 2) == 10.08


def test_scheduled_scale_out_is_billed_from_the_schedule_during_its_lead() -> None:
    # PC 0 -> 4 at 100 s with a 400-s allocation lead (ready at 500.04 s), then 4 -> 1 at
    # 700 s, run ends at 1,000 s; 1 GB. Billed configurations (not allocations): 4 from 100 to
    # 700 s (600 s, two 5-minute steps) and 1 from 700 to 1,000 s (300 s):
    # 4 x 600 + 1 x 300 = 2,700 GB-s. Billing the allocations (from 500.04 s, LIFO) would give
    # 3 x 199.96 s -> 300 s and 1 x 499.96 s -> 600 s: 1,500 GB-s.
    sc = scenario(
        functions={
            "f": fn(
                provisioned_concurrency={
                    "initial": 0,
                    "allocation_lead_s": 400,
                    "schedule": [{"at_s": 100, "value": 4}, {"at_s": 700, "value": 1}],
                }
            )
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1e-6}}],
        horizon_s=1000.0,
        output={"timeseries_step_s": 100},
    )
    res = ls.run(sc, progress=False)
    alloc = series(res, "f", "ProvisionedConcurrencyAllocated")
    target = series(res, "f", "ProvisionedConcurrencyTarget")
    assert target[1:7] == [4] * 6 and alloc[1:5] == [0] * 4  # configured, not yet serving
    assert alloc[5] == pytest.approx(4 * 99.96 / 100) and alloc[6] == 4 and alloc[7] == 1
    p = res.functions["f"]["provisioned"]
    assert p["allocated_gb_s"] == pytest.approx(4 * 600 + 1 * 300)
    (t,) = res.totals
    assert t.pc_allocated_gb_s == pytest.approx(2700.0)
    assert t.pc_enabled_gb_s == pytest.approx(4 * 600 + 1 * 300)  # unrounded: also 2,700
    # plus the four INITs of the allocation (0.5 s each), billed at the PC duration price
    assert p["cost_usd"] == pytest.approx(2700.0 * PC_USD + 4 * 0.5 * PC_RUN_USD, rel=1e-12)


def test_monthly_projection_does_not_scale_a_short_runs_rounding() -> None:
    # PC 5 x 1 GB and nothing else (the requests go to another function). A month of it is
    # 5 GB x 2,592,000 s = 12,960,000 GB-s, whether projected from 60 s (billed 300 s in the
    # run), 301 s (billed 600 s) or 3,600 s (billed 3,600 s).
    def month_and_run(horizon_s: float) -> tuple[float, float]:
        sc = scenario(
            functions={"pc": fn(provisioned_concurrency=5), "other": fn()},
            workloads=[{"target": "other", "arrivals": {"kind": "constant", "rate_per_s": 1}}],
            horizon_s=horizon_s,
        )
        res = ls.run(sc, progress=False)
        month = res.monthly_cost(days=30).loc["pc", "provisioned_usd"]
        return float(month), res.functions["pc"]["provisioned"]["allocated_gb_s"]

    expected = 5 * MONTH_S * PC_USD
    got = {h: month_and_run(h) for h in (60.0, 301.0, 3600.0)}
    assert {h: g[1] for h, g in got.items()} == {60.0: 1500.0, 301.0: 3000.0, 3600.0: 18000.0}
    for h, (month, _) in got.items():
        assert month == pytest.approx(expected, rel=1e-12), h
    assert got[60.0][0] == pytest.approx(got[3600.0][0], rel=1e-12)
    assert got[301.0][0] == pytest.approx(got[3600.0][0], rel=1e-12)


def test_projection_without_unrounded_gb_s_uses_the_billed_ones() -> None:
    # Totals made by hand with only pc_allocated_gb_s still project it (scaled).
    table = costmod.load_table(PAGE_TABLE)
    t = costmod.BillingTotals("f", "x86_64", 1024, 0, 0, 0, 3600.0, pc_allocated_gb_s=3600.0)
    month = costmod.monthly_projection([t], table, days=30.0).loc["f", "provisioned_usd"]
    assert month == pytest.approx(3600.0 * 720 * PC_USD, rel=1e-12)


def test_pc_billing_rounds_allocations_up_to_five_minutes() -> None:
    sc = scenario(
        functions={
            "f": fn(
                provisioned_concurrency={
                    "initial": 2,
                    "allocation_lead_s": 0,
                    "schedule": [{"at_s": 100, "value": 0}],
                }
            )
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 0.01}}],
        horizon_s=1000.0,
    )
    res = ls.run(sc, progress=False)
    p = res.functions["f"]["provisioned"]
    assert p["allocated_gb_s"] == pytest.approx(2 * 300 * 1.0)  # 100 s billed as 300 s, 1 GB


def test_schedule_changes_allocation_after_lead_time_all_or_nothing() -> None:
    sc = scenario(
        functions={
            "f": fn(
                provisioned_concurrency={
                    "initial": 0,
                    "allocation_lead_s": 60,
                    "allocation_per_min": 6000,
                    "schedule": [
                        {"cron": "cron(5 0 * * ? *)", "value": 12000},
                        {"at_s": 1200, "value": 3},
                    ],
                }
            )
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 0.001}}],
        horizon_s=1800.0,
        output={"timeseries_step_s": 60},
        account={"concurrency": 20000},
    )
    res = ls.run(sc, progress=False)
    alloc = series(res, "f", "ProvisionedConcurrencyAllocated")
    target = series(res, "f", "ProvisionedConcurrencyTarget")
    # cron fires at 00:05 (300 s): 60 s lead + 12,000 at 6,000/min = 2 min: ready at 480 s,
    # and none of it serves before (all or nothing)
    assert target[5] == 12000 and alloc[5] == 0 and alloc[7] == 0
    assert alloc[8] == 12000 and alloc[19] == 12000
    assert alloc[20] == 3  # the decrease at 1,200 s is immediate


def test_target_tracking_scales_out_after_three_points_not_before(trace_csv: Any) -> None:
    # PC 2, target 0.7. 1 request/s of 1 s keeps utilisation at 0.5 (no scale-out; min 2
    # stops scale-in). From 600 s 8 more per second saturate PC: the 1-minute points at 660,
    # 720 and 780 s are 1.0 > 0.7, so at 780 s the target becomes ⌈2 × 1.0 / 0.7⌉ = 3, ready
    # after the 90-s lead (870 s).
    step = [600.0 + k * 0.125 for k in range(4800)]
    sc = scenario(
        functions={
            "f": fn(
                cold_start={"dist": "constant", "value_s": 0.0},
                provisioned_concurrency={
                    "initial": 2,
                    "target_tracking": {"target_utilization": 0.7, "min": 2, "max": 50},
                },
            )
        },
        workloads=[
            {"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1}},
            {"target": "f", "arrivals": {"kind": "trace", "path": trace_csv(step)}},
        ],
        horizon_s=1200.0,
        output={"timeseries_step_s": 60},
    )
    res = ls.run(sc, progress=False)
    target = series(res, "f", "ProvisionedConcurrencyTarget")
    alloc = series(res, "f", "ProvisionedConcurrencyAllocated")
    assert target[:13] == [2] * 13  # nothing before the third breaching point
    assert target[13] == 3  # set at 780 s
    assert alloc[13] == 2 and alloc[15] == 3
    assert 2 < alloc[14] < 3  # ready at 870 s, inside the 840–900 s period
    util = series(res, "f", "ProvisionedConcurrencyUtilization")
    assert util[5] == pytest.approx(0.5, abs=0.02)


def test_idle_function_emits_no_points_and_does_not_scale_in() -> None:
    sc = scenario(
        functions={
            "f": fn(
                provisioned_concurrency={
                    "initial": 20,
                    "target_tracking": {"target_utilization": 0.7, "min": 1, "max": 50},
                }
            )
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1e-6}}],
        horizon_s=3600.0,
    )
    p = ls.run(sc, progress=False).functions["f"]["provisioned"]
    assert p["allocated_max"] == 20 and p["allocated_mean"] == 20  # the "surprise bill" (§9)


def test_legacy_burst_worked_examples_are_exact(trace_csv: Any) -> None:
    # validation.md §2 item 14: limit 10,000, burst 3,000 then +500/min; requests arrive at the
    # start of each minute and run 30 s.
    def run(per_minute: int, minutes: int) -> list[float]:
        times = [60.0 * m for m in range(minutes) for _ in range(per_minute)]
        sc = scenario(
            functions={
                "f": fn(
                    duration={"dist": "constant", "value_s": 30.0},
                    cold_start={"dist": "constant", "value_s": 0.0},
                )
            },
            workloads=[{"target": "f", "arrivals": {"kind": "trace", "path": trace_csv(times)}}],
            horizon_s=60.0 * minutes,
            output={"timeseries_step_s": 60},
            account={"concurrency": 10000, "scaling": {"mode": "legacy_burst"}},
        )
        return series(ls.run(sc, progress=False), "f", "Throttles")

    assert run(10000, 1) == [7000]
    assert run(5000, 2) == [2000, 1500]
    assert run(3333, 3) == [333, 0, 0]
    assert run(2500, 4) == [0, 0, 0, 0]


def test_validation_rejects_pc_above_reserved_or_pool() -> None:
    with pytest.raises(ls.ConfigError, match="cannot exceed reserved"):
        scenario(
            functions={"f": fn(reserved_concurrency=5, provisioned_concurrency=6)},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
    with pytest.raises(ls.ConfigError, match="unreserved"):
        scenario(
            functions={"f": fn(provisioned_concurrency=950)},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
    with pytest.raises(ls.ConfigError, match="cron"):
        scenario(
            functions={
                "f": fn(
                    provisioned_concurrency={
                        "schedule": [{"cron": "cron(0 8 * * * *)", "value": 1}]
                    }
                )
            },
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
