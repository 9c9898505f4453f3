"""``lambdasim validate``'s advice: overload remedies and the SQS-mapping-vs-reserved warnings.

The expected wording carries the facts AWS documents: a sync request over the limit is a 429
the caller must handle (Knowledge Center "lambda-troubleshoot-throttling"); an async event
waits in the internal queue until the maximum event age and then goes to the failure path
(Lambda guide "invocation-async-error-handling"); an SQS event source mapping does not respect
reserved concurrency, so its extra batches are throttled and return with a receive counted
(Knowledge Center "lambda-sqs-scaling", Lambda guide "services-sqs-errorhandling").
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from lambdasim.config import ConfigIssue
from lambdasim.config.advice import scenario_warnings
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def fn(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.0},
        "keep_alive_s": 300,
        "timeout_s": 5,
    }
    base.update(kw)
    return base


def poisson(target: str, rate: float, invocation: str = "sync") -> dict[str, Any]:
    return {
        "target": target,
        "invocation": invocation,
        "arrivals": {"kind": "poisson", "rate_per_s": rate},
    }


def at(issues: list[ConfigIssue], path: str) -> list[str]:
    return [i.message for i in issues if i.path == path]


def test_sync_overload_names_the_remedies() -> None:
    # 20/s × 1 s = 20 concurrent executions against reserved concurrency 5
    sc = scenario(functions={"f": fn(reserved_concurrency=5)}, workloads=[poisson("f", 20)])
    (msg,) = at(scenario_warnings(sc), "functions.f")
    assert "offered load 20 " in msg and "exceeds the 5 available" in msg
    assert "throttled (429" in msg
    for remedy in (
        "quota increase",
        "reserved concurrency (now 5)",
        "provisioned concurrency",
        "SQS buffer in front",
        "workloads[].client_retry",
    ):
        assert remedy in msg, remedy


@pytest.mark.parametrize(
    ("async_block", "queues", "path"),
    [
        ({"dead_letter": {"queue": "dlq"}}, {"dlq": {}}, "its DLQ (queue:dlq)"),
        (
            {"on_failure": {"queue": "failed"}},
            {"failed": {}},
            "its on-failure destination (queue:failed)",
        ),
        (None, {}, "the failure path: with no dead_letter or on_failure they are dropped"),
    ],
)
def test_async_overload_says_events_age_and_expire_to_the_failure_path(
    async_block: dict[str, Any] | None, queues: dict[str, Any], path: str
) -> None:
    f = fn(reserved_concurrency=5)
    if async_block is not None:
        f["async"] = {"max_event_age_s": 3600, **async_block}
    sc = scenario(functions={"f": f}, workloads=[poisson("f", 20, "async")], queues=queues)
    (msg,) = at(scenario_warnings(sc), "functions.f")
    assert "throttled" not in msg  # async callers never see the 429
    assert "internal queue" in msg and "AsyncEventAge" in msg
    age = 3600 if async_block is not None else 21600  # AWS's default maximum event age: 6 h
    assert f"max_event_age_s ({age} s) expire to {path}" in msg


def test_sync_and_async_load_on_one_function_get_one_warning_each() -> None:
    sc = scenario(
        functions={"f": fn(reserved_concurrency=5)},
        workloads=[poisson("f", 4), poisson("f", 4, "async")],
    )
    sync, asyn = at(scenario_warnings(sc), "functions.f")
    assert "offered load 8 " in sync and "throttled (429" in sync
    assert "offered load 8 " in asyn and "internal queue" in asyn


def _sqs(rc: int | None, trigger: dict[str, Any]) -> list[str]:
    sc = scenario(
        functions={
            "w": fn(reserved_concurrency=rc, trigger={"sqs": {"queue": "q", **trigger}}),
        },
        workloads=[poisson("queue:q", 1)],
        queues={"q": {"visibility_timeout_s": 30}},
    )
    return at(scenario_warnings(sc), "functions.w.reserved_concurrency")


MAPPING_FACTS = (
    "does not respect reserved concurrency",
    "throttled",
    "receive counted",
    "reach the DLQ without having run",
)


def test_max_concurrency_above_reserved_concurrency() -> None:
    (msg,) = _sqs(3, {"max_concurrency": 5})
    assert all(fact in msg for fact in MAPPING_FACTS), msg
    assert "max_concurrency to at most the reserved concurrency (3)" in msg
    assert _sqs(5, {"max_concurrency": 5}) == []


@pytest.mark.parametrize(("rc", "cap_remedy"), [(2, True), (1, False)])
def test_reserved_concurrency_below_5_without_max_concurrency(rc: int, cap_remedy: bool) -> None:
    (msg,) = _sqs(rc, {})
    assert all(fact in msg for fact in MAPPING_FACTS), msg
    assert "starts with 5 concurrent batches" in msg and "at least 5" in msg
    # max_concurrency is 2..1,000 (ScalingConfig), so it is a remedy only from rc = 2
    assert ("set max_concurrency to at most it" in msg) is cap_remedy
    assert _sqs(5, {}) == []


def test_provisioned_pollers_above_reserved_concurrency() -> None:
    # 2 minimum pollers × 10 concurrent invokes each (§7.5)
    (msg,) = _sqs(10, {"mode": {"provisioned": {"min_pollers": 2}}})
    assert "below the 20 concurrent invokes" in msg
    assert all(fact in msg for fact in MAPPING_FACTS), msg
    assert _sqs(20, {"mode": {"provisioned": {"min_pollers": 2}}}) == []


# ------------------------------------------------- execution models of 2024–2026 (issue 19)
def _lmi(min_environments: int) -> Any:
    fn = {
        "runtime": "python3.13",
        "architecture": "arm64",
        "memory_mb": 2048,
        "timeout_s": 60,
        "duration": {"dist": "constant", "value_s": 1.0},
        "cold_start": {"dist": "constant", "value_s": 0.3},
        "managed_instances": {"capacity_provider": "fleet", "min_environments": min_environments},
    }
    return scenario(
        functions={"api": fn},
        workloads=[poisson("api", 5)],
        capacity_providers={"fleet": {"instance_type": "c7g.4xlarge", "max_vcpus": 1000}},
    )


def test_lmi_below_three_environments_is_warned() -> None:
    # AWS starts three execution environments (and three instances, for AZ resiliency) before a
    # version is ACTIVE (Lambda guide "Scaling Lambda Managed Instances"); SAM's default is 3
    path = "functions.api.managed_instances.min_environments"
    for n in (0, 2):
        (msg,) = at(scenario_warnings(_lmi(n)), path)
        assert "below the 3 execution environments" in msg and "Availability Zone" in msg
        assert "throttled (429)" in msg
    assert at(scenario_warnings(_lmi(3)), path) == []


def _tenants(rate: float, **tenants: Any) -> Any:
    f = fn(
        keep_alive_s=300,
        tenant_isolation=True,
        tenants={"count": 1000, "distribution": "zipf", "s": 1.1, **tenants},
    )
    return scenario(functions={"f": f}, workloads=[poisson("f", rate)])


def test_many_tenants_at_low_rate_are_warned_mostly_cold() -> None:
    # tenant k of 1000 (Zipf s = 1.1) sends Poisson requests at w_k × 0.05/s; a request is cold
    # at least when the gap since its tenant's previous one exceeds 1 s + 300 s:
    # Σ w_k exp(−0.05 w_k × 301)
    h = sum(k**-1.1 for k in range(1, 1001))
    w = [k**-1.1 / h for k in range(1, 1001)]
    share = sum(wk * math.exp(-0.05 * wk * 301) for wk in w)
    assert 0.66 < share < 0.67
    (msg,) = at(scenario_warnings(_tenants(0.05)), "functions.f.tenant_isolation")
    assert msg.startswith(f"at least {share:.0%} of invokes will be cold starts: 1,000 tenants")
    assert f"the busiest {0.05 * w[0]:.3g}" in msg and "reclaimed after about 300 s idle" in msg
    # at 1 req/s the share is Σ w_k exp(−w_k × 301) ≈ 30 %: no warning
    assert sum(wk * math.exp(-wk * 301) for wk in w) < 0.5
    assert at(scenario_warnings(_tenants(1.0)), "functions.f.tenant_isolation") == []


def test_a_workload_population_replaces_the_functions_in_the_estimate() -> None:
    # the function's 1000 tenants are never drawn: one tenant of the workload's own takes all
    sc = _tenants(0.05)
    w = {**poisson("f", 0.05), "tenants": {"count": 1}}
    sc = scenario(functions={"f": sc.functions["f"].model_dump(mode="json")}, workloads=[w])
    issues = scenario_warnings(sc)
    assert at(issues, "functions.f.tenant_isolation") == []  # exp(−0.05 × 301) = 0.2 % cold
    (unused,) = at(issues, "functions.f.tenants")
    assert unused.startswith("not used: every workload of this function brings its own tenants")


def test_snapstart_that_restores_no_faster_than_init_is_warned() -> None:
    def warnings_for(**kw: Any) -> list[str]:
        sc = scenario(functions={"f": fn(**kw)}, workloads=[poisson("f", 1)])
        return at(scenario_warnings(sc), "functions.f.cold_start")

    # java21-snapstart is already the SnapStart INIT preset (p50 0.115 s): a restore of the
    # same preset changes nothing
    (msg,) = warnings_for(runtime="java21-snapstart", cold_start={"snapstart": True})
    assert "SnapStart does nothing for java21-snapstart" in msg and "charges" not in msg
    # Python's typical INIT p50 is 0.300 s; a measured 0.5-s restore is slower, and Python pays
    python = {"runtime": "python3.12", "architecture": "x86_64"}
    slow = {"snapstart": True, "restore": {"dist": "constant", "value_s": 0.5}}
    (msg,) = warnings_for(**python, cold_start=slow)
    assert "p50 0.5 s" in msg and "p50 0.3 s" in msg and "cache and restore charges" in msg
    # the preset restore (p50 0.115 s) against Python's 0.300 s and Java's 3.5 s: no warning
    assert warnings_for(**python, cold_start={"snapstart": True}) == []
    assert warnings_for(runtime="java21", cold_start={"snapstart": True}) == []
