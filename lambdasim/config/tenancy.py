"""Tenant isolation mode (Nov 2025): who the tenants of a function's requests are.

``TenancyConfig.TenantIsolationMode: PER_TENANT`` (set when the function is created, never
changed): "Lambda first attempts to locate an available execution environment associated with
that tenant identifier. If no execution environments exist, Lambda creates and assigns a new
execution environment to that tenant" (Lambda guide, "tenant-isolation"). The AWS CDK's
``TenancyConfig`` lists what it is incompatible with: SnapStart, provisioned concurrency,
function URLs, and most event sources (only API Gateway is supported).

In lambdasim the tenant of each invoke is drawn by the function (``tenants``): the front doors
carry no tenant id, so the population belongs to the function rather than to a workload; a
retry of a throttled request keeps its tenant.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, StrictInt, model_validator

from lambdasim.config.base import NUMBER, _Model
from lambdasim.config.errors import register_models

__all__ = ["MAX_TENANTS", "TenantPopulation"]

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


register_models(TenantPopulation)
