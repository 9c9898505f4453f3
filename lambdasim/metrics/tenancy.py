"""The collector of a function in tenant isolation mode: the function's metrics, per tenant too.

A :class:`~lambdasim.metrics.function.FunctionMetrics` (the same counters, series and cost
inputs) plus, per tenant, the invokes started, the cold starts (each one a new tenant-isolated
execution environment, the unit AWS bills the isolation charge on) and the environments alive
at the horizon. Counted by the counter rule of FunctionMetrics: at the start of the invoke, if
its request arrived at or after warm-up.

The tenants are indexes 0 … ``tenants`` − 1: the populations' tenants, then the other tenant
ids (a trace's) in the order they first invoke, so ``tenants`` grows as those appear.
"""

from __future__ import annotations

import numpy as np

from lambdasim.metrics.function import FunctionMetrics
from lambdasim.periods import Periods

__all__ = ["TenantIsolatedMetrics"]


class TenantIsolatedMetrics(FunctionMetrics):
    """Per-tenant counters of a tenant-isolated function.

    Parameters
    ----------
    name : str
        Function name.
    periods : Periods
        The run's period grid.
    tenants : int
        Size of the tenant population.
    memory_mb : int
        The function's memory (the isolation charge is per GB of each environment created).
    """

    def __init__(self, name: str, periods: Periods, tenants: int, memory_mb: int) -> None:
        super().__init__(name, periods)
        self.tenants = tenants
        self.memory_mb = memory_mb
        cap = max(tenants, 16)  # room for tenants that first appear during the run (traces)
        self._invocations = np.zeros(cap, dtype=np.int64)
        self._cold_starts = np.zeros(cap, dtype=np.int64)
        self._environments_end = np.zeros(cap, dtype=np.int64)
        self.tenant_throttles = 0  # attempts refused with the tenant drawn, after warm-up

    @property
    def tenant_invocations(self) -> np.ndarray:
        """Invokes started per tenant in the statistics window."""
        return self._invocations[: self.tenants]

    @property
    def tenant_cold_starts(self) -> np.ndarray:
        """Cold starts (new environments) per tenant in the statistics window."""
        return self._cold_starts[: self.tenants]

    @property
    def tenant_environments_end(self) -> np.ndarray:
        """Environments alive per tenant at the horizon."""
        return self._environments_end[: self.tenants]

    def _seen(self, tenant: int) -> None:
        """Tenant index ``tenant`` appeared: the arrays grow (doubling) to hold it."""
        if tenant >= len(self._invocations):
            cap = max(tenant + 1, 2 * len(self._invocations))
            for key in ("_invocations", "_cold_starts", "_environments_end"):
                old = getattr(self, key)
                new = np.zeros(cap, dtype=np.int64)
                new[: len(old)] = old
                setattr(self, key, new)
        self.tenants = tenant + 1

    def on_tenant_invoke(self, tenant: int, arrival: float, cold: bool) -> None:
        """An invoke of ``tenant`` started (``cold``: on a new environment of that tenant)."""
        if tenant >= self.tenants:
            self._seen(tenant)
        if arrival >= self.warmup:
            self._invocations[tenant] += 1
            if cold:
                self._cold_starts[tenant] += 1

    def on_tenant_throttled(self, tenant: int, arrival: float) -> None:
        """An attempt of ``tenant`` was throttled."""
        if tenant >= self.tenants:
            self._seen(tenant)
        if arrival >= self.warmup:
            self.tenant_throttles += 1

    def on_tenant_environments(self, tenant: int, live: int) -> None:
        """``tenant`` has ``live`` environments at the horizon (written at close)."""
        if tenant >= self.tenants:
            self._seen(tenant)
        self._environments_end[tenant] = live

    @property
    def environments_created(self) -> int:
        """Tenant-isolated environments created in the statistics window."""
        return int(self.tenant_cold_starts.sum())
