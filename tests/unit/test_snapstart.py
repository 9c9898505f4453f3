"""SnapStart for Python 3.12+ and .NET 8+: restores instead of INIT, charges, incompatibilities.

AWS (Lambda guide, "snapstart"): managed runtimes Java 11+, Python 3.12+, .NET 8+; not with
provisioned concurrency, Amazon EFS or ephemeral storage above 512 MB; not container images.
Python / .NET pay a cache charge (per GB-s while the version is active, 3 h minimum) and a
restore charge (per GB restored); Java none. Prices: the dated table
``cost/instance_prices/aws-execution-models-2026-11.yaml``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import lambdasim as ls
from lambdasim import dists
from lambdasim.coldstart.snapstart import SNAPSTART_RESTORE_PRESETS
from lambdasim.cost.managed_instances import load_execution_model_prices, snapstart_cost
from tests.conftest import scenario

pytestmark = pytest.mark.unit


def snap_fn(runtime: str | None = "python3.12", **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "runtime": runtime,
        "memory_mb": 2048,
        "timeout_s": 30,
        "duration": {"dist": "constant", "value_s": 0.2},
        "cold_start": {"snapstart": True},
        "keep_alive_s": 300,
        "max_lifetime_s": None,
    }
    base.update(kw)
    return base


def run(fn: dict[str, Any], rate: float = 0.01, horizon: float = 20_000.0) -> dict[str, Any]:
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate}}],
        horizon_s=horizon,
    )
    return ls.run(sc, progress=False).functions["f"]


@pytest.mark.parametrize("runtime", ["python3.12", "python3.13", "dotnet8", "java21"])
def test_restore_replaces_init(runtime: str) -> None:
    sc = scenario(
        functions={"f": snap_fn(runtime)},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
    )
    d = sc.functions["f"].cold_start_dist()
    p50, p99 = SNAPSTART_RESTORE_PRESETS[runtime.rstrip("0123456789.")]
    assert (p50, p99) == (0.115, 0.300)  # the measured (Java) restore, E. Johnson 2026
    assert isinstance(d, dists.LogNormal)
    assert math.exp(d.mu) == pytest.approx(p50, rel=1e-12)
    assert math.exp(d.mu + dists.Z99 * d.sigma) == pytest.approx(p99, rel=1e-12)


def test_restore_can_be_given() -> None:
    fn = snap_fn(cold_start={"snapstart": True, "restore": {"dist": "constant", "value_s": 0.4}})
    f = run(fn)
    assert f["cold_starts"] > 0
    assert f["init_s"]["mean"] == pytest.approx(0.4, rel=1e-12)


def test_python_charges_are_exact() -> None:
    f = run(snap_fn("python3.12"))  # 20,000 s window, ~1 restore per 300-s idle gap
    s = f["snapstart"]
    restores = f["cold_starts"]
    assert s["restores"] == restores > 0 and s["charged"] is True
    p = load_execution_model_prices().snapstart
    assert (p.cache_usd_per_gb_s, p.restore_usd_per_gb) == (0.0000015046, 0.0001397998)
    cache = 2.0 * max(20_000.0, 3 * 3600.0) * 0.0000015046  # 2 GB, window above 3 h
    restore = 2.0 * restores * 0.0001397998
    assert s["cost_usd"]["cache"] == pytest.approx(cache, rel=1e-12)
    assert s["cost_usd"]["restore"] == pytest.approx(restore, rel=1e-12)
    lam = f["cost_usd"]["requests"] + f["cost_usd"]["duration"]
    assert f["cost_usd"]["total"] == pytest.approx(lam + cache + restore, rel=1e-12)


def test_cache_has_a_three_hour_minimum() -> None:
    prices = load_execution_model_prices()
    cache, restore = snapstart_cost(1024, 600.0, 3, prices)
    assert cache == pytest.approx(1.0 * 10_800 * 0.0000015046, rel=1e-12)
    assert restore == pytest.approx(3 * 0.0001397998, rel=1e-12)


def test_java_snapstart_is_not_charged() -> None:
    f = run(snap_fn("java21"))
    assert f["snapstart"]["charged"] is False
    assert f["snapstart"]["cost_usd"]["total"] == 0.0
    assert f["cost_usd"]["total"] == pytest.approx(
        f["cost_usd"]["requests"] + f["cost_usd"]["duration"], rel=1e-12
    )


def _error(fn: dict[str, Any]) -> str:
    with pytest.raises(ls.ConfigError) as exc:
        scenario(
            functions={"f": fn},
            workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 1}}],
        )
    return str(exc.value)


@pytest.mark.parametrize("runtime", ["python3.11", "nodejs22.x", "dotnet6", None])
def test_unsupported_runtime_is_an_error(runtime: str | None) -> None:
    assert "Python 3.12+" in _error(snap_fn(runtime))


def test_provisioned_concurrency_is_an_error() -> None:
    msg = _error(snap_fn(provisioned_concurrency=3))
    assert "functions.f.provisioned_concurrency" in msg and "snapstart" in msg


def test_large_ephemeral_storage_is_an_error() -> None:
    msg = _error(snap_fn(ephemeral_storage_mb=1024))
    assert "functions.f.ephemeral_storage_mb" in msg and "512 MB" in msg


def test_container_image_is_an_error() -> None:
    assert "functions.f.package_type" in _error(snap_fn(package_type="image"))
