"""Tenant isolation mode: per-tenant warm reuse, the low-rate closed form, charges, errors.

AWS (Lambda guide, "tenant-isolation"): an environment serves one tenant; Lambda looks for an
available environment of the request's tenant and otherwise creates one. Incompatible with
SnapStart, provisioned concurrency, function URLs and most event sources (AWS CDK
``TenancyConfig``). The closed form is validation.md §1 item 4 (the low-rate single-environment
approximation), applied to each tenant's own rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim.cost.managed_instances import load_execution_model_prices
from tests.conftest import scenario

pytestmark = pytest.mark.unit

S_MEAN = 1.98  # validation.md §1 item 4: E[S] = 1.98 s, T = 600 s
T_IDLE = 600.0


def tenant_fn(tenants: dict[str, Any], **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "duration": {"dist": "exponential", "mean_s": S_MEAN},
        "cold_start": {"dist": "constant", "value_s": 0.0},
        "keep_alive_s": T_IDLE,
        "max_lifetime_s": None,
        "timeout_s": 900,
        "tenant_isolation": True,
        "tenants": tenants,
    }
    base.update(kw)
    return base


def low_rate_p_cold(lam: float) -> float:
    """P(cold) ≈ p + (1 − p)·ρ/(1 + ρ), p = exp(−λ(T + E[S])), ρ = λE[S] (validation.md)."""
    p = math.exp(-lam * (T_IDLE + S_MEAN))
    rho = lam * S_MEAN
    return p + (1.0 - p) * rho / (1.0 + rho)


@pytest.mark.parametrize(
    ("tenants", "rate_per_tenant", "seed"),
    [
        ({"count": 50, "distribution": "uniform"}, 0.004248, 1),  # table row: 0.0852
        ({"count": 50, "distribution": "uniform"}, 0.004248, 2),
        ({"count": 50, "distribution": "zipf", "s": 1.1}, 0.001, 1),
    ],
)
def test_cold_start_rate_matches_the_per_tenant_low_rate_closed_form(
    tenants: dict[str, Any], rate_per_tenant: float, seed: int
) -> None:
    n = tenants["count"]
    sc = scenario(
        functions={"f": tenant_fn(tenants)},
        workloads=[
            {"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate_per_tenant * n}}
        ],
        horizon_s=1_020_000.0,
        warmup_s=20_000.0,
        seed=seed,
    )
    f = ls.run(sc, progress=False).functions["f"]
    w = sc.functions["f"].tenants.weights()  # type: ignore[union-attr]
    # each tenant is its own low-rate function; the function's rate is their weighted mean
    want = float(sum(wi * low_rate_p_cold(wi * rate_per_tenant * n) for wi in w))
    if tenants["distribution"] == "uniform":
        assert want == pytest.approx(0.0852, abs=5e-4)  # validation.md's table
    assert f["cold_starts"] > 10_000  # Monte-Carlo error ~1 %, below the 5 % tolerance
    assert f["cold_start_rate"] == pytest.approx(want, rel=0.05)  # validation.md: 5 %
    t = f["tenancy"]
    assert t["tenants_active"] == n
    assert t["environments_created"] == f["cold_starts"]  # every cold start is a new env


def test_one_tenant_is_the_default_model() -> None:
    # one tenant: the same environments, the same draws, the same numbers
    common = {
        "duration": {"dist": "lognormal", "p50_s": 0.1, "p99_s": 0.8},
        "keep_alive_s": 60,
        "timeout_s": 10,
    }
    work = [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 3}}]
    plain = scenario(functions={"f": common}, workloads=work, horizon_s=1800.0)
    iso = scenario(
        functions={"f": {**common, "tenant_isolation": True, "tenants": {"count": 1}}},
        workloads=work,
        horizon_s=1800.0,
    )
    a = ls.run(plain, progress=False).functions["f"]
    b = ls.run(iso, progress=False).functions["f"]
    t = b.pop("tenancy")
    a["cost_usd"].pop("tenant_isolation", None)
    charge = b["cost_usd"].pop("tenant_isolation")
    b["cost_usd"]["total"] -= charge
    assert b["cost_usd"]["total"] == pytest.approx(a["cost_usd"]["total"], rel=1e-12)
    a["cost_usd"].pop("total")
    b["cost_usd"].pop("total")
    assert a == b
    assert t["environments_created"] == a["cold_starts"]


def test_environments_are_never_shared_between_tenants() -> None:
    # 200 tenants each sending about one request an hour, kept warm for 10 minutes: nearly
    # every request is cold, and cold starts are at least the tenants that were seen
    sc = scenario(
        functions={"f": tenant_fn({"count": 200}, duration={"dist": "constant", "value_s": 0.1})},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 200 / 3600}}],
        horizon_s=36_000.0,
    )
    f = ls.run(sc, progress=False).functions["f"]
    t = f["tenancy"]
    assert f["cold_starts"] >= t["tenants_active"]
    want = low_rate_p_cold(1 / 3600)  # about 0.85: e^{-600/3600}
    assert f["cold_start_rate"] == pytest.approx(want, abs=0.03)
    # whereas without isolation one warm environment serves everyone (~0.0025 per s × 600 s)
    plain = scenario(
        functions={"f": {**tenant_fn({"count": 1}), "tenant_isolation": False, "tenants": None}},
        workloads=sc.model_dump(mode="json")["workloads"],
        horizon_s=36_000.0,
    )
    assert ls.run(plain, progress=False).functions["f"]["cold_start_rate"] < 0.3


def test_isolation_charge_is_environments_times_gb_times_price() -> None:
    sc = scenario(
        functions={"f": tenant_fn({"count": 20}, memory_mb=1536)},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 0.05}}],
        horizon_s=20_000.0,
    )
    f = ls.run(sc, progress=False).functions["f"]
    price = load_execution_model_prices().tenant_isolation.usd_per_gb_created["x86_64"]
    assert price == 0.000166667
    created = f["tenancy"]["environments_created"]
    assert created == f["cold_starts"] > 0
    assert f["tenancy"]["isolation_charge_usd"] == pytest.approx(created * 1.5 * price, rel=1e-12)
    assert f["cost_usd"]["tenant_isolation"] == f["tenancy"]["isolation_charge_usd"]


def test_tenant_weights() -> None:
    sc = scenario(
        functions={"f": tenant_fn({"count": 4, "distribution": "zipf", "s": 1.0})},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    )
    w = sc.functions["f"].tenants.weights()  # type: ignore[union-attr]
    h = 1 + 1 / 2 + 1 / 3 + 1 / 4
    assert np.allclose(w, [1 / h, 1 / (2 * h), 1 / (3 * h), 1 / (4 * h)], rtol=1e-15)


def _error(fn: dict[str, Any], **top: Any) -> str:
    with pytest.raises(ls.ConfigError) as exc:
        scenario(
            functions={"f": fn},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
            **top,
        )
    return str(exc.value)


def test_provisioned_concurrency_is_an_error() -> None:
    msg = _error(tenant_fn({"count": 3}, provisioned_concurrency=2))
    assert "functions.f.provisioned_concurrency" in msg and "TenancyConfig" in msg


def test_snapstart_is_an_error() -> None:
    msg = _error(tenant_fn({"count": 3}, runtime="python3.12", cold_start={"snapstart": True}))
    assert "functions.f.cold_start" in msg and "SnapStart" in msg


def test_sqs_trigger_is_an_error() -> None:
    fn = tenant_fn({"count": 3}, trigger={"sqs": {"queue": "q"}})
    msg = _error(fn, queues={"q": {"kind": "standard", "visibility_timeout_s": 1000}})
    assert "functions.f.trigger" in msg and "API Gateway" in msg


def test_tenants_needs_tenant_isolation_and_back() -> None:
    assert "needs tenants" in _error({**tenant_fn({"count": 3}), "tenants": None})
    assert "tenant_isolation: true only" in _error(
        {**tenant_fn({"count": 3}), "tenant_isolation": False}
    )


def test_a_retried_request_keeps_its_tenant() -> None:
    from lambdasim.service.invoke import ADMITTED
    from lambdasim.service.tenancy import TenantIsolatedService

    class Pool:
        created = 0
        live = 0

        def expire(self, now: float) -> None:
            pass

    class Stub:  # a tenant's service: throttles the first attempt, admits the retry
        def __init__(self) -> None:
            self.pool = Pool()
            self.calls = 0
            self.on_free = None

        def invoke(self, now: float, arrival: float, *rest: Any) -> int:
            self.calls += 1
            return 1 if self.calls == 1 else ADMITTED

    class Sink:
        concurrency = None

        def __init__(self) -> None:
            self.seen: list[tuple[str, int]] = []

        def on_tenant_invoke(self, tenant: int, arrival: float, cold: bool) -> None:
            self.seen.append(("ok", tenant))

        def on_tenant_throttled(self, tenant: int, arrival: float) -> None:
            self.seen.append(("429", tenant))

    draws = iter([7, 3, 5])
    sink: Any = Sink()
    stub: Any = Stub
    svc = TenantIsolatedService("f", stub, lambda: next(draws), sink, None, None)  # type: ignore[arg-type]
    assert svc.invoke(1.0, 1.0) == 1  # tenant 7, throttled
    assert svc.invoke(2.0, 1.0) == ADMITTED  # the retry (same arrival): tenant 7 again
    assert svc.invoke(3.0, 3.0) == 1  # a new request draws tenant 3
    assert sink.seen == [("429", 7), ("ok", 7), ("429", 3)]
