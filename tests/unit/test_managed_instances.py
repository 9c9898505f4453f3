"""Lambda Managed Instances: static sizing, steady state, scaling steps, cost, config errors.

Sources: AWS's LMI pricing calculator methodology (aws-samples/sample-aws-lambda-managed-
instances, tools/pricing-calculator/docs/CALCULATOR_METHODOLOGY.md, worked example: 14
instances); Lambda guide "lambda-managed-instances-scaling" ("If your traffic more than doubles
within 5 minutes, you may see throttles"); Lambda pricing page (EC2 on-demand + 15 % management
fee on the on-demand price + $0.20 per 1M requests, no GB-s).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim.config.managed_instances import INSTANCE_TYPES, PER_VCPU_CONCURRENCY
from lambdasim.cost.managed_instances import (
    calculator_sizing,
    lmi_cost,
    load_execution_model_prices,
)
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def lmi_fn(**mi: Any) -> dict[str, Any]:
    block: dict[str, Any] = {"capacity_provider": "fleet", "cpu_per_request": 0.25}
    block.update(mi)
    return {
        "runtime": "python3.13",
        "architecture": "arm64",
        "memory_mb": 2048,
        "timeout_s": 60,
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.3},
        "managed_instances": block,
    }


def providers(**cp: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"instance_type": "c7g.4xlarge", "max_vcpus": 1000}
    base.update(cp)
    return {"fleet": base}


# ----------------------------------------------------------------------- static sizing


def test_calculator_worked_example_is_14_instances() -> None:
    # Methodology document, "Example Calculation": Python, 100 concurrent, 512 MB per
    # execution, balanced (25 % CPU), c7g.xlarge (4 vCPU, 8 GB).
    spec = INSTANCE_TYPES["c7g.xlarge"]
    s = calculator_sizing(
        runtime_limit_per_vcpu=PER_VCPU_CONCURRENCY["python"],
        target_concurrency=100,
        memory_per_execution_mb=512,
        cpu_share=0.25,
        instance_vcpus=spec.vcpus,
        instance_memory_gib=spec.memory_gib,
    )
    assert s.concurrent_per_vcpu == 4  # 100 % / 25 %
    assert s.function_memory_mb == 2048  # max(2048, 512 x 4)
    assert s.vcpus_per_environment == 1  # ceil(2048 / 2048)
    assert s.concurrent_per_environment == 4
    assert s.environments == 25  # ceil(100 / 4)
    assert s.environments_per_instance == 3  # min(3 // 1, 7168 // 2048)
    assert s.base_instances == 9  # ceil(25 / 3)
    assert s.instances == 14  # ceil(9 x 1.5)


def test_calculator_minimum_is_applied_before_the_buffer() -> None:
    # calculator.js: base = max(3, ceil(envs / per instance)), then max(3, ceil(base x 1.5))
    s = calculator_sizing(
        runtime_limit_per_vcpu=64,
        target_concurrency=1,
        memory_per_execution_mb=128,
        cpu_share=0.125,
        instance_vcpus=16,
        instance_memory_gib=32,
    )
    assert s.environments == 1 and s.base_instances == 3
    assert s.instances == 5  # ceil(3 x 1.5)


def test_runtime_defaults_are_the_documented_ones() -> None:
    # Lambda guide, the LMI runtime pages: defaults of PerExecutionEnvironmentMaxConcurrency
    assert PER_VCPU_CONCURRENCY == {"python": 16, "nodejs": 64, "java": 32, "dotnet": 32}
    fn = ls.Scenario.from_dict(
        {
            "horizon_s": 10,
            "capacity_providers": providers(),
            "functions": {"f": lmi_fn(memory_gib=8.0, cpu_per_request=0.01)},
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        }
    ).functions["f"]
    mi = fn.managed_instances
    assert mi is not None
    assert mi.environment_vcpus(fn.memory_mb) == 4  # 8 GiB at 2 GiB per vCPU
    assert mi.slots(fn.runtime, fn.memory_mb) == 64  # 16 per vCPU x 4, below 4 / 0.01


# ----------------------------------------------------------------------- dynamics


def _steady(target: float) -> dict[str, Any]:
    # constant arrivals and durations: exactly 10/s x 2.05 s = 20.5 busy on average
    fn = lmi_fn(min_environments=1)
    fn["duration"] = {"dist": "constant", "value_s": 2.05}
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 10}}],
        horizon_s=2400.0,
        warmup_s=1200.0,
        capacity_providers=providers(scaling={"target_cpu_utilization": target}),
    )
    return ls.run(sc, progress=False).functions["f"]


@pytest.mark.parametrize("target", [1.0, 0.5])
def test_steady_load_needs_ceil_load_over_slots(target: float) -> None:
    f = _steady(target)
    mi = f["managed_instances"]
    slots = mi["slots_per_environment"]
    assert slots == 4  # 1 vCPU (2 GiB at 2 GiB/vCPU) at 0.25 vCPU per request
    want = math.ceil(20.5 / (target * slots))  # 6 at 100 %, 11 at 50 %
    assert mi["ready_environments"]["mean"] == pytest.approx(want, abs=1e-9)
    assert mi["ready_environments"]["max"] == want
    assert f["throttled"] == 0
    assert f["cold_starts"] == 0  # LMI has no per-request cold starts
    assert f["concurrency"]["mean"] == pytest.approx(20.5, rel=0.01)


def _step(factor: float) -> dict[str, Any]:
    # 200 concurrent (200/s x 1 s) on 100 environments of 4 slots = 50 % utilisation, then the
    # rate ramps to factor x within a minute
    fn = lmi_fn(min_environments=100)
    sc = scenario(
        functions={"f": fn},
        workloads=[
            {
                "target": "f",
                "arrivals": {
                    "kind": "piecewise",
                    "steps": [
                        {"at_s": 0, "rate_per_s": 200},
                        {"at_s": 600, "rate_per_s": 200, "ramp_to_per_s": 200 * factor},
                        {"at_s": 660, "rate_per_s": 200 * factor},
                    ],
                },
            }
        ],
        horizon_s=1200.0,
        capacity_providers=providers(),
    )
    res = ls.run(sc, progress=False)
    ts = res.timeseries
    thr = ts[(ts["function"] == "f") & (ts["metric"] == "Throttles")]
    ready = ts[(ts["function"] == "f") & (ts["metric"] == "LmiReadyEnvironments")]
    return {
        "f": res.functions["f"],
        "throttles": dict(zip(thr["time_s"], thr["value"], strict=True)),
        "ready_max": dict(zip(ready["time_s"], ready["value"], strict=True)),
    }


def test_a_2_5x_step_within_a_minute_throttles_then_is_absorbed() -> None:
    out = _step(2.5)
    f = out["f"]
    assert f["throttled"] > 0  # more than doubling within 5 minutes throttles (AWS)
    assert sum(v for t, v in out["throttles"].items() if t < 600) == 0
    # the fleet may double within 5 minutes: 2 x 100 environments of 4 slots carry 500
    assert sum(v for t, v in out["throttles"].items() if t >= 900) == 0
    # ... and no more than doubles within the 5 minutes after the step
    before = max(v for t, v in out["ready_max"].items() if 300 <= t < 600)
    after = max(v for t, v in out["ready_max"].items() if 600 <= t < 900)
    assert before < after <= 2 * before


def test_a_1_5x_step_is_absorbed_at_once() -> None:
    f = _step(1.5)["f"]
    assert f["throttled"] == 0  # 300 concurrent fit in the 400 slots held at 50 % target


# ----------------------------------------------------------------------- cost


def test_lmi_cost_arithmetic_is_exact() -> None:
    prices = load_execution_model_prices()
    c = lmi_cost(3 * 3600.0, 0.145, 1_000_000, prices, savings_plan_discount=0.32)
    assert c.ec2_usd == pytest.approx(3 * 0.145 * (1 - 0.32), rel=1e-12)
    assert c.management_fee_usd == pytest.approx(3 * 0.145 * 0.15, rel=1e-12)  # on on-demand
    assert c.requests_usd == pytest.approx(0.20, rel=1e-12)
    assert c.total_usd == pytest.approx(0.2958 + 0.06525 + 0.20, rel=1e-12)


def test_run_cost_is_instances_plus_fee_plus_requests_no_gb_s() -> None:
    # a light load never leaves the 3 initial instances: EC2 = 3 x window x on-demand price
    fn = lmi_fn()
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 0.5}}],
        horizon_s=3600.0,
        warmup_s=600.0,
        capacity_providers=providers(
            instance_type="c7g.xlarge", price={"savings_plan_discount": 0.1}
        ),
    )
    f = ls.run(sc, progress=False).functions["f"]
    fleet = f["managed_instances"]["fleet"]
    assert fleet["instances_max"] == 3 and fleet["launches"] == 0
    hours = 3 * 3000.0 / 3600.0
    assert fleet["instance_seconds"] == pytest.approx(3 * 3000.0, rel=1e-12)
    cost = f["cost_usd"]
    assert f["billed_gb_s"] == 0 and cost["duration"] == 0  # no GB-s charge on LMI
    assert cost["requests"] == pytest.approx(f["invocations_run"] * 0.2e-6, rel=1e-12)
    ec2 = hours * 0.145 * 0.9
    fee = hours * 0.145 * 0.15
    assert f["managed_instances"]["cost_usd"]["ec2"] == pytest.approx(ec2, rel=1e-12)
    assert f["managed_instances"]["cost_usd"]["management_fee"] == pytest.approx(fee, rel=1e-12)
    assert cost["total"] == pytest.approx(ec2 + fee + cost["requests"], rel=1e-12)


def test_price_table_covers_every_instance_type() -> None:
    prices = load_execution_model_prices()
    assert set(prices.managed_instances.instances_usd_per_hour) == set(INSTANCE_TYPES)
    assert prices.managed_instances.management_fee == 0.15
    assert prices.managed_instances.usd_per_request == 0.2e-6


# ----------------------------------------------------------------------- config errors


def _issues(functions: dict[str, Any], **top: Any) -> str:
    data: dict[str, Any] = {
        "horizon_s": 10,
        "capacity_providers": providers(),
        "functions": functions,
        "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    }
    data.update(top)
    with pytest.raises(ls.ConfigError) as exc:
        ls.Scenario.from_dict(data)
    return str(exc.value)


def test_unknown_capacity_provider_is_an_error() -> None:
    msg = _issues({"f": lmi_fn(capacity_provider="flet")})
    assert "functions.f.managed_instances.capacity_provider" in msg and "'fleet'" in msg


def test_unsupported_runtime_is_an_error() -> None:
    fn = lmi_fn()
    fn["runtime"] = "python3.12"  # LMI: Python 3.13 and later
    msg = _issues({"f": fn})
    assert "functions.f.runtime" in msg and "Python 3.13+" in msg


def test_provisioned_concurrency_on_lmi_is_an_error() -> None:
    fn = lmi_fn()
    fn["provisioned_concurrency"] = 5
    assert "functions.f.provisioned_concurrency" in _issues({"f": fn})


def test_sync_timeout_above_900_s_is_an_error() -> None:
    msg = _issues({"f": lmi_fn(timeout_s=3600)})
    assert "managed_instances.timeout_s" in msg and "900 s" in msg


def test_async_timeout_up_to_5400_s_is_valid() -> None:
    sc = scenario(
        functions={"f": lmi_fn(timeout_s=5400)},
        workloads=[
            {"target": "f", "invocation": "async", "arrivals": {"kind": "poisson", "rate_per_s": 1}}
        ],
        horizon_s=10.0,
        capacity_providers=providers(),
    )
    assert sc.functions["f"].managed_instances.timeout_s == 5400  # type: ignore[union-attr]


def test_environment_larger_than_the_instance_is_an_error() -> None:
    msg = _issues(
        {"f": lmi_fn(memory_gib=16.0)}, capacity_providers=providers(instance_type="c7g.xlarge")
    )
    assert "does not fit on a c7g.xlarge" in msg


def test_unknown_instance_type_is_an_error() -> None:
    msg = _issues({"f": lmi_fn()}, capacity_providers=providers(instance_type="c9z.huge"))
    assert "capacity_providers.fleet.instance_type" in msg and "c7g.xlarge" in msg
