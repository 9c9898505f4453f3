"""Tenant isolation mode: one function whose environments each serve a single tenant.

AWS (Lambda guide, "tenant-isolation"): "When a function using tenant isolation mode receives an
invoke with a tenant identifier, Lambda first attempts to locate an available execution
environment associated with that tenant identifier. If no execution environments exist, Lambda
creates and assigns a new execution environment to that tenant." Warm reuse happens only within
a tenant, so cold starts grow with the number of active tenants.

:class:`TenantIsolatedService` wraps one :class:`~lambdasim.service.invoke.FunctionService` per
tenant that has invoked, each with its own idle stack (:class:`EnvironmentPool`) and all sharing
the function's concurrency level, environment count, reserved concurrency, account pool,
scaling allowance and samplers (the wiring's factory builds them so). The default invoke path is
untouched: a tenant-isolated invoke draws the tenant, then calls the tenant's own service.

The tenant of each request is drawn from the function's population (``functions.NAME.tenants``)
with its own named random stream; a retried request (same arrival time) keeps its tenant. A
request that brings its tenant (a workload's own population, a trace's tenant column: the
drivers of :mod:`lambdasim.service.tenant_router`) calls :meth:`TenantIsolatedService.
invoke_tenant` with it; :class:`TenantIds` turns the trace's tenant ids into tenant indexes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from lambdasim.clock import Wakeup
from lambdasim.records import LevelSink, OutcomeSink
from lambdasim.rng import sampler
from lambdasim.service.execution import Execution
from lambdasim.service.invoke import ADMITTED, Caller, FunctionService

__all__ = ["TenantIds", "TenantIsolatedService", "TenantSink", "tenant_sampler"]

#: Throttled requests whose tenant is remembered for their retries, at most (oldest dropped).
_RETRY_MEMORY = 100_000


class TenantSink(OutcomeSink, Protocol):
    """The collector of a tenant-isolated function (``metrics.tenancy.TenantIsolatedMetrics``)."""

    def on_tenant_invoke(self, tenant: int, arrival: float, cold: bool) -> None:
        """An invoke of ``tenant`` started."""

    def on_tenant_throttled(self, tenant: int, arrival: float) -> None:
        """An attempt of ``tenant`` was throttled."""

    def on_tenant_environments(self, tenant: int, live: int) -> None:
        """``tenant`` has ``live`` environments at the horizon."""


class TenantIds:
    """Tenant ids (strings) → tenant indexes 0, 1, … of one function.

    Tenant ``k`` of a population (1 ≤ k ≤ ``population``, the largest population of the
    function) is the id ``"k"`` and has index k − 1; any other id (``"blue"``, ``"0"``,
    ``"007"``) takes the next free index the first time it invokes.
    """

    __slots__ = ("extra", "population")

    def __init__(self, population: int) -> None:
        self.population = population
        self.extra: dict[str, int] = {}

    def index(self, tenant_id: str) -> int:
        """The index of ``tenant_id`` (a new one for an id not seen before)."""
        i = self.extra.get(tenant_id)
        if i is not None:
            return i
        if tenant_id.isascii() and tenant_id.isdigit() and tenant_id[0] != "0":
            k = int(tenant_id)
            if k <= self.population:
                return k - 1
        i = self.extra[tenant_id] = self.population + len(self.extra)
        return i


class TenantIsolatedService:
    """A function in tenant isolation mode: a FunctionService per tenant, created on demand.

    Parameters
    ----------
    name : str
        Function name.
    make_service : callable
        Returns a new FunctionService with an empty pool of its own (and everything else the
        function's: metrics, level, account pool, scaling allowance, execution).
    draw_tenant : callable
        Returns the next tenant index, 0 … n − 1.
    metrics : TenantSink
        The function's collector.
    execution : Execution
        The function's execution rules (read by event sources).
    reserved : int or None
        Reserved concurrency (enforced by each tenant's service on the shared level).
    population : int
        Size of the function's tenant index space for populations (:class:`TenantIds`).
    """

    def __init__(
        self,
        name: str,
        make_service: Callable[[], FunctionService],
        draw_tenant: Callable[[], int],
        metrics: TenantSink,
        execution: Execution,
        reserved: int | None,
        population: int = 0,
    ) -> None:
        self.name = name
        self.ids = TenantIds(population)
        self.make_service = make_service
        self.draw_tenant = draw_tenant
        self.metrics = metrics
        self.level: LevelSink = metrics.concurrency
        self.execution = execution
        self.reserved = reserved
        self.pc = None
        self.services: dict[int, FunctionService] = {}
        self.pool = _TenantPools(self)
        self._on_free: Callable[[float], None] | None = None
        self._retry_tenant: dict[float, int] = {}
        self._retry_order: deque[float] = deque()

    @property
    def busy(self) -> int:
        """Busy environments of all tenants."""
        return int(self.level.n)

    @property
    def on_free(self) -> Callable[[float], None] | None:
        """Told after every completion (the async dispatcher): passed to every tenant."""
        return self._on_free

    @on_free.setter
    def on_free(self, hook: Callable[[float], None] | None) -> None:
        self._on_free = hook
        for svc in self.services.values():
            svc.on_free = hook

    def invoke(
        self,
        now: float,
        arrival: float,
        caller: Caller | None = None,
        error: bool | None = None,
        duration_s: float | None = None,
    ) -> int:
        """Draw the request's tenant (a retry keeps it) and invoke on that tenant's service."""
        tenant = self._retry_tenant.pop(arrival, None)
        if tenant is None:
            tenant = int(self.draw_tenant())
        result = self.invoke_tenant(now, arrival, tenant, caller, error, duration_s)
        if result != ADMITTED:
            self._remember(arrival, tenant)
        return result

    def invoke_tenant(
        self,
        now: float,
        arrival: float,
        tenant: int,
        caller: Caller | None = None,
        error: bool | None = None,
        duration_s: float | None = None,
    ) -> int:
        """Invoke on the service of tenant index ``tenant`` (created at its first request)."""
        svc = self.services.get(tenant)
        if svc is None:
            svc = self.services[tenant] = self.make_service()
            svc.on_free = self._on_free
        created = svc.pool.created
        result = svc.invoke(now, arrival, caller, error, duration_s)
        if result == ADMITTED:
            self.metrics.on_tenant_invoke(tenant, arrival, svc.pool.created > created)
        else:
            self.metrics.on_tenant_throttled(tenant, arrival)
        return result

    def _remember(self, arrival: float, tenant: int) -> None:
        self._retry_tenant[arrival] = tenant
        self._retry_order.append(arrival)
        while len(self._retry_order) > _RETRY_MEMORY:
            self._retry_tenant.pop(self._retry_order.popleft(), None)

    def report_in_flight(self, pending: list[Wakeup]) -> None:
        """At the horizon: each tenant's invokes still running."""
        by_service: dict[int, list[Wakeup]] = {}
        for w in pending:
            owner = getattr(w.armed[0], "__self__", None)
            if isinstance(owner, FunctionService):
                by_service.setdefault(id(owner), []).append(w)
        for svc in self.services.values():
            mine = by_service.get(id(svc))
            if mine:
                svc.report_in_flight(mine)


class _TenantPools:
    """``svc.pool`` for the wiring's end-of-run call: expire every tenant's idle stack, then
    write each tenant's live environments into the collector."""

    def __init__(self, owner: TenantIsolatedService) -> None:
        self.owner = owner

    @property
    def created(self) -> int:
        """Environments created over all tenants."""
        return sum(s.pool.created for s in self.owner.services.values())

    def expire(self, now: float) -> None:
        """Reclaim idle environments due by ``now`` in every tenant's pool."""
        for tenant, svc in self.owner.services.items():
            svc.pool.expire(now)
            self.owner.metrics.on_tenant_environments(tenant, svc.pool.live)


def tenant_sampler(weights: NDArray[np.float64], g: np.random.Generator) -> Callable[[], int]:
    """Draws of a tenant index with probabilities ``weights`` (summing to 1) from ``g``, taken
    a block of uniforms at a time (:func:`lambdasim.rng.sampler`)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf[-1] = 1.0  # float noise must not leave a uniform above the last bin
    last = len(cdf) - 1

    def block(n: int) -> NDArray[np.float64]:
        return np.minimum(cdf.searchsorted(g.random(n), side="right"), last)

    return sampler(block)  # type: ignore[return-value]
