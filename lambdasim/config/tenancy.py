"""Tenant isolation mode (Nov 2025): who the tenants of a function's requests are.

``TenancyConfig.TenantIsolationMode: PER_TENANT`` (set when the function is created, never
changed): "Lambda first attempts to locate an available execution environment associated with
that tenant identifier. If no execution environments exist, Lambda creates and assigns a new
execution environment to that tenant" (Lambda guide, "tenant-isolation"). The AWS CDK's
``TenancyConfig`` lists what it is incompatible with: SnapStart, provisioned concurrency,
function URLs, and most event sources (only API Gateway is supported).

Who sends each request (AWS: the ``tenant-id`` of the invoke, a string such as ``blue``):

* ``functions.NAME.tenants`` — the function's population, the default for every request;
* ``workloads[].tenants`` — a sync workload's own population, which **wins** over the
  function's for that workload's requests;
* ``workloads[].arrivals.tenant_column`` — a csv / parquet trace's column of tenant ids (any
  non-empty text), read row by row.

Tenant ids are strings: tenant ``k`` of a population of ``count`` (1 ≤ k ≤ count) is the id
``"k"``, so the same id is the same tenant across the workloads (and the trace) of one
function. Async events, destinations and retries of Lambda's own take the function's
population (lambdasim's internal queue carries no tenant id); a retry of a throttled request
keeps its tenant.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, StrictInt, model_validator

from lambdasim.config.base import NUMBER, _Model
from lambdasim.config.errors import ConfigIssue, register_models

__all__ = [
    "MAX_TENANTS",
    "TenantPopulation",
    "idle_out_share",
    "own_tenants",
    "workload_tenancy_issues",
]

#: Largest tenant population (one idle stack and a few counters per tenant).
MAX_TENANTS = 1_000_000


class TenantPopulation(_Model):
    """``functions.NAME.tenants``: how many tenants invoke, and how often each."""

    count: Annotated[StrictInt, Field(ge=1, le=MAX_TENANTS)]
    #: ``uniform``: every tenant equally often; ``zipf``: tenant k (1-based) with probability
    #: proportional to k^-s (a finite Zipf law: a few busy tenants and a long tail).
    distribution: Literal["uniform", "zipf"] = "uniform"
    #: Zipf exponent (``distribution: zipf`` only).
    s: Annotated[float, Field(gt=0.0, le=10.0, allow_inf_nan=False), NUMBER] = 1.0

    @model_validator(mode="after")
    def _s_with_zipf(self) -> TenantPopulation:
        if self.distribution == "uniform" and "s" in self.model_fields_set:
            raise ValueError("s is the Zipf exponent: it needs distribution: zipf")
        return self

    def weights(self) -> NDArray[np.float64]:
        """Probability of each tenant (index 0 = tenant 1), summing to 1."""
        if self.distribution == "uniform":
            return np.full(self.count, 1.0 / self.count)
        w = np.arange(1, self.count + 1, dtype=np.float64) ** -self.s
        return np.asarray(w / w.sum(), dtype=np.float64)


def own_tenants(workload: Any) -> str | None:
    """``"tenants"`` or ``"tenant_column"`` when a workload brings its own tenants, else None."""
    if getattr(workload, "tenants", None) is not None:
        return "tenants"
    if getattr(workload.arrivals, "tenant_column", None) is not None:
        return "tenant_column"
    return None


def workload_tenancy_issues(
    functions: Mapping[str, Any], workloads: Sequence[Any]
) -> list[ConfigIssue]:
    """Workloads that bring their own tenants to a function not in tenant isolation mode.

    A tenant id routes a request to the environments of its tenant, which only a function in
    tenant isolation mode has (Lambda guide, "tenant-isolation-invoke"). ``functions`` maps
    names to :class:`~lambdasim.config.function.Function`, ``workloads`` are
    :class:`~lambdasim.config.workload.Workload` (duck-typed: this module is below both).
    """
    out = []
    for i, w in enumerate(workloads):
        key = own_tenants(w)
        fn = functions.get(w.target)
        if key is None or fn is None or fn.tenant_isolation:
            continue
        path = f"workloads.{i}.tenants" if key == "tenants" else f"workloads.{i}.arrivals.{key}"
        out.append(
            ConfigIssue(
                path,
                f"tenants go to a function in tenant isolation mode; functions.{w.target} has "
                'no tenant_isolation: true (Lambda guide "tenant-isolation")',
                w.tenants.model_dump() if key == "tenants" else w.arrivals.tenant_column,
            )
        )
    return out


def idle_out_share(
    weights: NDArray[np.float64], rate_per_s: float, keep_alive_s: float, service_s: float
) -> float:
    """Share of requests that find every environment of their tenant reclaimed, when tenant
    ``i`` sends Poisson requests at ``weights[i] × rate_per_s`` per second.

    A request is cold at least when the gap since its tenant's previous request exceeded that
    request's duration plus the keep-alive: P = exp(−λ (T + E[S])) for a tenant of rate λ, with
    T the mean keep-alive and E[S] the mean duration (seconds) — the first term of the low-rate
    closed form of validation.md §1 item 4, whose second term ρ/(1 + ρ) (the tenant's one
    environment still busy) holds at low rates only. By Jensen's inequality a random
    keep-alive or duration only raises it. The function's share is the weighted mean.
    """
    w = np.asarray(weights, dtype=np.float64)
    return float(np.sum(w * np.exp(-w * rate_per_s * (keep_alive_s + service_s))))


register_models(TenantPopulation)
