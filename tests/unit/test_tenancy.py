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


# ------------------------------------------------- tenants of a workload and of a trace column
# AWS (Lambda guide, "tenant-isolation-invoke"): every invoke of a tenant-isolated function
# carries a tenant id (a string, e.g. "blue"); the request runs in an environment of that
# tenant. lambdasim: a workload's own population or a trace's tenant column wins over the
# function's population for the workload's requests (config/tenancy.py).

HAND = {  # constant 0.5-s INIT and 1-s handler, idle environments reclaimed after 100 s
    "duration": {"dist": "constant", "value_s": 1.0},
    "cold_start": {"dist": "constant", "value_s": 0.5},
    "keep_alive_s": 100,
    "max_lifetime_s": None,
    "timeout_s": 60,
}
ROWS = [(0.0, "A"), (10.0, "B"), (20.0, "A"), (20.2, "A"), (30.0, "NA"), (200.0, "B")]


def _trace(tmp_path: Any, rows: list[tuple[Any, ...]], header: str = "timestamp,tenant") -> str:
    p = tmp_path / "tenants.csv"
    p.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return str(p)


def _trace_run(path: str, isolated: bool = True, **arrivals: Any) -> dict[str, Any]:
    fn = {**HAND, "tenant_isolation": True, "tenants": {"count": 1}} if isolated else HAND
    spec = {"kind": "trace", "path": path, **arrivals}
    if isolated:
        spec.setdefault("tenant_column", "tenant")
    sc = scenario(
        functions={"f": fn}, workloads=[{"target": "f", "arrivals": spec}], horizon_s=1000
    )
    return ls.run(sc, progress=False).functions["f"]


def test_a_trace_tenant_column_reuses_environments_only_within_a_tenant(tmp_path: Any) -> None:
    # By hand, tenant by tenant (an invoke ends 1.5 s after a cold start, 1 s after a warm one):
    #   A@0 cold (A's env 1 free at 1.5); A@20 warm on env 1 (busy to 21); A@20.2 cold (env 2)
    #   B@10 cold (free at 11.5, reclaimed at 111.5); B@200 cold
    #   "NA"@30 cold (its own tenant: the cell's text, not a missing value)
    f = _trace_run(_trace(tmp_path, ROWS))
    t = f["tenancy"]
    assert f["cold_starts"] == 5 == t["environments_created"]
    assert (t["tenants"], t["tenants_active"]) == (3, 3)  # the function's population is unused
    assert t["invocations_per_tenant"]["max"] == 3 and t["cold_starts_per_tenant"]["max"] == 2
    # Without isolation one pool serves every row (the most recently freed environment first):
    #   @0 cold (env 1, free 1.5); @10, @20 warm on env 1 (free 21); @20.2 cold (env 2, free
    #   21.7); @30 warm on env 2 (free 31); @200 cold (env 1 reclaimed at 121, env 2 at 131)
    assert _trace_run(_trace(tmp_path, ROWS), isolated=False)["cold_starts"] == 3


def test_a_trace_tenant_column_keeps_the_recorded_durations(tmp_path: Any) -> None:
    # A@0 runs 30 s (busy to 30.5): A@20 cold (env 2, free at 21.5); B@25 cold; A@40 warm
    rows = [(0, "A", 30), (20, "A", 1), (25, "B", 1), (40, "A", 1)]
    path = _trace(tmp_path, rows, "timestamp,tenant,duration_s")
    f = _trace_run(path, duration_column="duration_s")
    assert f["cold_starts"] == 3
    assert _trace_run(path)["cold_starts"] == 2  # with the function's 1-s handler: A@20 warm


def test_tenant_ids_are_strings_and_population_tenant_k_is_id_k() -> None:
    from lambdasim.service.tenancy import TenantIds

    ids = TenantIds(population=5)
    got = [ids.index(s) for s in ["3", "007", "blue", "6", "3", "blue", "5", "0"]]
    assert got == [2, 5, 6, 7, 2, 6, 4, 8]


def test_parquet_integer_tenant_ids_meet_the_population(tmp_path: Any) -> None:
    import pandas as pd

    p = tmp_path / "t.parquet"
    pd.DataFrame({"timestamp": [1.0, 2.0, 3.0, 4.0], "tenant": [1, 2, 9, 1]}).to_parquet(p)
    arrivals = {"kind": "trace", "format": "parquet", "path": str(p), "tenant_column": "tenant"}
    sc = scenario(
        functions={"f": {**HAND, "tenant_isolation": True, "tenants": {"count": 5}}},
        workloads=[
            {"target": "f", "arrivals": arrivals},
            {"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 0.001}},  # none runs
        ],
        horizon_s=100,
    )
    t = ls.run(sc, progress=False).functions["f"]["tenancy"]
    # ids 1 and 2 are tenants 1 and 2 of the function's 5; id 9 is a sixth tenant
    assert (t["tenants"], t["tenants_active"]) == (6, 3)
    assert t["environments_created"] == 3  # tenant 1's second request finds its env warm


@pytest.mark.parametrize("seed", [1, 2])
def test_a_workload_zipf_population_matches_the_per_tenant_closed_form(seed: int) -> None:
    # the function-level test above with the population on the workload; the function's own
    # (one tenant) is not used by any request
    tenants = {"count": 50, "distribution": "zipf", "s": 1.1}
    rate_per_tenant = 0.001
    sc = scenario(
        functions={"f": tenant_fn({"count": 1})},
        workloads=[
            {
                "target": "f",
                "tenants": tenants,
                "arrivals": {"kind": "poisson", "rate_per_s": rate_per_tenant * 50},
            }
        ],
        horizon_s=1_020_000.0,
        warmup_s=20_000.0,
        seed=seed,
    )
    f = ls.run(sc, progress=False).functions["f"]
    h = sum(k**-1.1 for k in range(1, 51))
    w = [k**-1.1 / h for k in range(1, 51)]
    want = float(sum(wi * low_rate_p_cold(wi * rate_per_tenant * 50) for wi in w))
    assert f["cold_starts"] > 10_000  # Monte-Carlo error ~1 %, below the 5 % tolerance
    assert f["cold_start_rate"] == pytest.approx(want, rel=0.05)
    assert f["tenancy"]["tenants"] == 50 == f["tenancy"]["tenants_active"]


def test_a_workload_population_wins_over_the_functions() -> None:
    # the function has 200 tenants, the workload one: every request is tenant "1", so the run
    # is the default model's (test_one_tenant_is_the_default_model), not 200 idle stacks
    common = {
        "duration": {"dist": "lognormal", "p50_s": 0.1, "p99_s": 0.8},
        "keep_alive_s": 60,
        "timeout_s": 10,
    }
    arrivals = {"kind": "poisson", "rate_per_s": 3}
    plain = scenario(functions={"f": common}, workloads=[{"target": "f", "arrivals": arrivals}])
    iso_fn = {**common, "tenant_isolation": True, "tenants": {"count": 200}}
    own = {"target": "f", "arrivals": arrivals, "tenants": {"count": 1}}
    iso = scenario(functions={"f": iso_fn}, workloads=[own])
    a = ls.run(plain, progress=False).functions["f"]
    b = ls.run(iso, progress=False).functions["f"]
    t = b.pop("tenancy")
    assert (t["tenants"], t["tenants_active"]) == (1, 1)
    charge = b["cost_usd"].pop("tenant_isolation")
    a["cost_usd"].pop("tenant_isolation", None)
    assert b["cost_usd"].pop("total") - charge == pytest.approx(a["cost_usd"].pop("total"))
    assert a == b and a["cold_starts"] > 0  # same arrivals, durations, environments
    # a second workload without its own tenants draws from the function's 200
    other = {"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 0.05}}
    both = scenario(functions={"f": iso_fn}, workloads=[own, other], horizon_s=2000.0)
    t = ls.run(both, progress=False).functions["f"]["tenancy"]
    # ~100 draws from 200 tenants reach ~200 (1 − e^-0.5) ≈ 79 of them (sd ~5)
    assert t["tenants"] == 200 and 50 < t["tenants_active"] < 110


# ------------------------------------------------------------------------------- bad input
def _validate(tmp_path: Any, workload: dict[str, Any], fn: dict[str, Any] | None = None) -> Any:
    import yaml
    from typer.testing import CliRunner

    from lambdasim.cli import app

    cfg = {
        "name": "t",
        "horizon_s": 100,
        "functions": {"f": fn or {**HAND, "tenant_isolation": True, "tenants": {"count": 1}}},
        "workloads": [workload],
    }
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return CliRunner().invoke(app, ["validate", str(path)])


def test_an_unknown_tenant_column_exits_2(tmp_path: Any) -> None:
    path = _trace(tmp_path, ROWS)
    spec = {"kind": "trace", "path": path, "tenant_column": "tenant_id"}
    r = _validate(tmp_path, {"target": "f", "arrivals": spec})
    assert r.exit_code == 2
    assert "workloads.0.arrivals.tenant_column" in r.output
    assert (
        "tenants.csv: no column 'tenant_id' (tenant_column; columns: ['timestamp', 'tenant'])"
        in (r.output)
    )
    assert "Traceback" not in r.output


def test_an_empty_tenant_cell_exits_2_naming_the_line(tmp_path: Any) -> None:
    rows = [(0.0, "A"), (1.0, "B"), (2.0, "")]  # line 4 of the file (the header is line 1)
    spec = {"kind": "trace", "path": _trace(tmp_path, rows), "tenant_column": "tenant"}
    r = _validate(tmp_path, {"target": "f", "arrivals": spec})
    assert r.exit_code == 2
    assert "tenants.csv:4: column 'tenant': must be a tenant id (non-empty text)" in r.output
    # on_bad_row: skip leaves the row out (and says so): 2 requests, 2 tenants
    with pytest.warns(UserWarning, match="skipped 1 bad row"):
        f = _trace_run(spec["path"], on_bad_row="skip")
    assert f["tenancy"]["tenants"] == 2 and f["cold_starts"] == 2


def test_tenants_for_a_function_without_isolation_exit_2(tmp_path: Any) -> None:
    w = {"target": "f", "tenants": {"count": 3}, "arrivals": {"kind": "poisson", "rate_per_s": 1}}
    r = _validate(tmp_path, w, fn=HAND)
    assert r.exit_code == 2
    assert "workloads.0.tenants: tenants go to a function in tenant isolation mode" in r.output
    with pytest.raises(ls.ConfigError, match=r"functions\.f has no tenant_isolation"):
        scenario(functions={"f": HAND}, workloads=[w])  # loading rejects it, not only the run


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        (
            {"tenants": {"count": 2}, "arrivals": {"tenant_column": "tenant"}},
            "give tenants or arrivals.tenant_column, not both",
        ),
        (
            {"invocation": "async", "tenants": {"count": 2}, "arrivals": {"tenant_column": None}},
            "applies to sync workloads",
        ),
        ({"arrivals": {"format": "azure2021"}}, "applies to the csv and parquet formats"),
        ({"arrivals": {"tenant_column": "timestamp"}}, "is another column's"),
    ],
)
def test_bad_tenant_settings_are_config_errors(
    tmp_path: Any, workload: dict[str, Any], message: str
) -> None:
    spec = {"kind": "trace", "path": _trace(tmp_path, ROWS), "tenant_column": "tenant"}
    spec.update(workload.pop("arrivals", {}))
    r = _validate(tmp_path, {"target": "f", "arrivals": spec, **workload})
    assert r.exit_code == 2 and message in r.output, r.output


def test_tenants_on_event_sources_and_superposed_tenant_traces_are_errors(tmp_path: Any) -> None:
    fn = {**HAND, "tenant_isolation": True, "tenants": {"count": 1}}
    trace = {"kind": "trace", "path": _trace(tmp_path, ROWS), "tenant_column": "tenant"}
    poisson = {"kind": "poisson", "rate_per_s": 1}
    with pytest.raises(ls.ConfigError, match="cannot be superposed"):
        scenario(
            functions={"f": fn}, workloads=[{"target": "f", "arrivals": {"superpose": [trace]}}]
        )
    with pytest.raises(ls.ConfigError, match="invoke a function directly"):
        scenario(
            functions={"f": HAND},
            workloads=[{"target": "queue:q", "arrivals": poisson, "tenants": {"count": 2}}],
            queues={"q": {"kind": "standard"}},
        )
