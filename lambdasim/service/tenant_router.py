"""Sync requests that bring their tenant to a function in tenant isolation mode (issue 19).

AWS routes each invoke of a tenant-isolated function by its ``tenant-id`` (Lambda guide,
"tenant-isolation-invoke"). By default lambdasim draws it from the function's population
(:class:`~lambdasim.service.tenancy.TenantIsolatedService`); a workload may bring its own:

* ``workloads[].tenants`` — its own population, drawn per request from the stream
  ``workload_tenants/<workload label>``;
* ``workloads[].arrivals.tenant_column`` — a trace's tenant id per row
  (:mod:`lambdasim.workload.tenant_trace`).

A workload's own tenants win over the function's for its requests; the function's population
stays the default for every other request (workloads without their own, async events,
destinations). :class:`TenantArrivals` feeds such a workload through a
:class:`TenantFrontDoor`, which is :class:`~lambdasim.service.router.SyncFrontDoor` with the
tenant carried through the account's requests-per-second quota and the caller's retries.
The default sync drivers of :mod:`lambdasim.service.router` are not touched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from itertools import chain, repeat
from typing import Any

import numpy as np

from lambdasim.clock import Clock, Wakeup
from lambdasim.config import ClientRetry, Scenario, Workload
from lambdasim.config.arrivals import TraceArrivals, has_recorded_durations
from lambdasim.config.tenancy import own_tenants
from lambdasim.records import LevelSink, OutcomeSink, Tracer
from lambdasim.rng import Streams, sampler
from lambdasim.service.concurrency import AccountPool, RequestRate, ScalingBucket, Unlimited
from lambdasim.service.environments import EnvironmentPool
from lambdasim.service.execution import Execution
from lambdasim.service.invoke import FunctionService
from lambdasim.service.router import SyncFrontDoor
from lambdasim.service.tenancy import TenantIsolatedService, TenantSink, tenant_sampler

__all__ = [
    "TenantArrivals",
    "TenantFrontDoor",
    "isolated_service",
    "tenant_population",
    "tenant_workload",
]

#: One request of a workload: arrival time (s), recorded duration (s) or None, and its tenant
#: (an index, or a trace's tenant id that :class:`~.tenancy.TenantIds` turns into one).
Event = tuple[float, float | None, Any]


class TenantFrontDoor(SyncFrontDoor):
    """:class:`~lambdasim.service.router.SyncFrontDoor` whose invokes carry the request's
    tenant (the rate quota and the caller's retries are the door's own; a retry keeps the
    tenant)."""

    service: TenantIsolatedService  # type: ignore[assignment]

    def __init__(
        self,
        sim: Clock,
        service: TenantIsolatedService,
        retry: ClientRetry | None,
        jitter: Callable[[], float] | None,
        rate: RequestRate,
    ) -> None:
        super().__init__(sim, service, retry, jitter, rate)  # type: ignore[arg-type]

    def admit(
        self, now: float, arrival: float, duration_s: float | None, tenant: int | None
    ) -> int:
        """Invoke on the service of the request's tenant."""
        assert tenant is not None
        return self.service.invoke_tenant(now, arrival, tenant, None, None, duration_s)


class TenantArrivals:
    """Feeds one sync workload's requests, each with its tenant, into a :class:`TenantFrontDoor`.

    Parameters
    ----------
    sim : Clock
        The simulation clock.
    events : iterator of (float, float or None, object)
        Arrival time (s, non-decreasing), recorded duration (s) or None, and the tenant.
    door : TenantFrontDoor
        The function's front door for this workload.
    metrics : OutcomeSink
        Counts the arrivals after the warm-up.
    horizon : float
        End of the run, s.
    to_index : callable or None
        Turns an event's tenant into a tenant index when the request fires (a trace's ids:
        :meth:`~.tenancy.TenantIds.index`); None = the events carry indexes.
    """

    __slots__ = ("door", "duration", "events", "horizon", "metrics", "tenant", "to_index", "wake")

    def __init__(
        self,
        sim: Clock,
        events: Iterator[Event],
        door: TenantFrontDoor,
        metrics: OutcomeSink,
        horizon: float,
        to_index: Callable[[Any], int] | None = None,
    ) -> None:
        self.events = events
        self.door = door
        self.metrics = metrics
        self.horizon = horizon
        self.to_index = to_index
        self.duration: float | None = None  # of the request the wake-up is scheduled for
        self.tenant: Any = None
        self.wake = Wakeup(sim, self._fire)

    def _load(self) -> float | None:
        """Take the next request; its time, or None when there is none before the horizon."""
        ev = next(self.events, None)
        if ev is None or ev[0] >= self.horizon:
            return None
        self.duration, self.tenant = ev[1], ev[2]
        return ev[0]

    def schedule_next(self) -> None:
        """Schedule the next request (none at or past the horizon)."""
        t = self._load()
        if t is not None:
            self.wake.at(t)

    def _fire(self, w: Wakeup) -> float | None:
        now = w.when
        if now >= self.metrics.warmup:
            self.metrics.arrivals += 1
        # a trace's id becomes an index only when its request runs (the ids seen are the
        # tenants counted; none read past the horizon)
        tenant = self.tenant if self.to_index is None else self.to_index(self.tenant)
        self.door.attempt(now, now, 1, self.duration, tenant)
        return self._load()


def tenant_population(scenario: Scenario, name: str) -> int:
    """Tenant indexes the populations of function ``name`` use: the largest population of its
    workloads' own and, when some request takes it, of the function's."""
    fn = scenario.functions[name]
    mine = [w for w in scenario.workloads if w.target == name]
    destination = any(
        d is not None and d.function == name
        for f in scenario.functions.values()
        if f.async_ is not None
        for d in (f.async_.on_success, f.async_.on_failure)
    )
    default = destination or not mine or any(own_tenants(w) is None for w in mine)
    counts = [w.tenants.count for w in mine if w.tenants is not None]
    if default and fn.tenants is not None:
        counts.append(fn.tenants.count)
    return max(counts, default=0)


def isolated_service(
    sim: Clock,
    scenario: Scenario,
    name: str,
    execution: Execution,
    metrics: TenantSink,
    streams: Streams,
    account: AccountPool,
    bucket: ScalingBucket | Unlimited,
    account_level: LevelSink | None,
    log: Tracer | None,
) -> TenantIsolatedService:
    """The service of function ``name`` in tenant isolation mode: one FunctionService per
    tenant, each with its own idle stack, sharing everything else of the function."""
    fn = scenario.functions[name]
    assert fn.tenants is not None
    keep = sampler(partial(fn.keep_alive_s.build().sample, streams.generator("idle_ttl", name)))
    environments: LevelSink = metrics.environments

    def tenant_service() -> FunctionService:  # one per tenant: its own idle stack
        pool = EnvironmentPool(keep, fn.max_lifetime_s, environments)
        rc = fn.reserved_concurrency
        return FunctionService(
            sim, name, rc, account, bucket, pool, execution, metrics, account_level, log
        )

    draw = tenant_sampler(fn.tenants.weights(), streams.generator("tenants", name))
    population = tenant_population(scenario, name)
    return TenantIsolatedService(
        name, tenant_service, draw, metrics, execution, fn.reserved_concurrency, population
    )


def tenant_workload(
    sim: Clock,
    service: Any,
    w: Workload,
    label: str,
    blocks: Iterator[np.ndarray],
    scenario: Scenario,
    streams: Streams,
    rate: RequestRate,
    horizon: float,
) -> bool:
    """Wire sync workload ``w`` if it brings its own tenants (else False: the caller wires it
    with the default drivers, its tenants drawn from the function's population).

    ``blocks`` are the workload's arrival times (s) from
    :func:`lambdasim.workload.synthetic.arrival_times`; a trace with recorded durations or a
    tenant column is read again here with them.
    """
    key = own_tenants(w)
    if key is None:
        return False
    assert isinstance(service, TenantIsolatedService)  # workload_tenancy_issues checked it
    fn = scenario.functions[w.target]
    jitter = None
    if w.client_retry is not None:
        jitter = sampler(streams.generator("client_retry", label).random)
    door = TenantFrontDoor(sim, service, w.client_retry, jitter, rate)
    spec = w.arrivals
    to_index: Callable[[Any], int] | None = None
    if key == "tenant_column":
        from lambdasim.workload.tenant_trace import tenant_events

        assert isinstance(spec, TraceArrivals)
        events: Iterator[Event] = tenant_events(spec, scenario.resolve_path(spec.path), fn)
        to_index = service.ids.index
    else:
        assert w.tenants is not None
        draw = tenant_sampler(w.tenants.weights(), streams.generator("workload_tenants", label))
        if has_recorded_durations(spec):
            from lambdasim.workload.replay import recorded_events

            pairs = recorded_events(spec, scenario.resolve_path(spec.path), fn)
        else:
            times = chain.from_iterable(b.tolist() for b in blocks)
            pairs = zip(times, repeat(None))
        events = ((t, d, draw()) for t, d in pairs)
    TenantArrivals(sim, events, door, service.metrics, horizon, to_index).schedule_next()
    return True
