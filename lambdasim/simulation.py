"""The one place that wires the parts together: :func:`run` turns a Scenario into a RunResult.

Build the collectors (:mod:`lambdasim.metrics`) and the services (:mod:`lambdasim.service`),
pass each service its collaborators and hooks, feed every workload through its driver, run the
clock to the horizon, write the engine's end-of-run state into the collectors, and hand those
to :class:`~lambdasim.results.run.RunResult`. Nothing else here.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import cast

import numpy as np

from lambdasim import clock, dists
from lambdasim.clock import Wakeup, pending_wakeups
from lambdasim.config import Scenario
from lambdasim.config.arrivals import has_recorded_durations
from lambdasim.metrics import (
    AsyncMetrics,
    EsmMetrics,
    FunctionMetrics,
    Level,
    ProvisionedMetrics,
    QueueMetrics,
    RunMetrics,
    StreamMetrics,
    TopicMetrics,
)
from lambdasim.metrics.managed_instances import FleetMetrics, ManagedInstancesMetrics
from lambdasim.metrics.tenancy import TenantIsolatedMetrics
from lambdasim.periods import Periods
from lambdasim.preflight import PreflightError, pricing_issues
from lambdasim.preflight import preflight as _preflight
from lambdasim.results.run import RunResult
from lambdasim.rng import Streams, sampler
from lambdasim.service.async_invoke import AsyncDispatcher
from lambdasim.service.concurrency import AccountPool, RequestRate, ScalingBucket, Unlimited
from lambdasim.service.destinations import Destinations, RecordSink, SnsTopic
from lambdasim.service.environments import EnvironmentPool
from lambdasim.service.execution import Execution
from lambdasim.service.invoke import FunctionService
from lambdasim.service.managed_instances import Fleet, ManagedInstancesService
from lambdasim.service.provisioned import ProvisionedPool
from lambdasim.service.router import (
    Arrivals,
    AsyncRecordedArrivals,
    SyncArrivals,
    SyncFrontDoor,
    SyncRecordedArrivals,
)
from lambdasim.service.sqs import SqsQueue
from lambdasim.service.sqs_mapping import SqsEventSourceMapping
from lambdasim.service.streams import StreamMapping
from lambdasim.service.tenant_router import isolated_service, tenant_population, tenant_workload
from lambdasim.tracing import InvocationLog
from lambdasim.workload.replay import recorded_events
from lambdasim.workload.synthetic import arrival_times, named_streams
from lambdasim.workload.tenant_trace import tenant_trace_issues

__all__ = ["PreflightError", "preflight", "run"]


def _async_events(
    dispatcher: AsyncDispatcher, source: str, extra: int, metrics: FunctionMetrics, warmup: float
) -> Callable[[float], None]:
    """Each arrival is an async event; large payloads add billed requests (§6)."""

    def accept(now: float) -> None:
        if extra and now >= warmup:
            metrics.extra_requests += extra
        dispatcher.accept(now, source)

    return accept


def _stream_records(
    mapping: StreamMapping, keys: int, poison: float, uniform: Callable[[], float]
) -> Callable[[float], None]:
    """Each arrival is a PutRecord with a uniformly drawn partition key."""

    def put(now: float) -> None:
        key = int(uniform() * keys)
        mapping.put(now, key, poison > 0.0 and uniform() < poison)

    return put


def _queue_messages(queue: SqsQueue, size_kb: float, groups: int) -> Callable[[float], None]:
    """Each arrival is a SendMessage; FIFO message groups are used in turn (even shares)."""
    k = 0

    def send(now: float) -> None:
        nonlocal k
        queue.send(now, size_kb, k % groups if queue.fifo else None)
        k += 1

    return send


def _payload_extra_requests(payload_kb: float) -> int:
    """Async events are billed 1 request for the first 256 KB and 1 per further 64 KB (§6)."""
    return math.ceil(max(0.0, payload_kb - 256.0) / 64.0 - 1e-9)


def run(
    scenario: Scenario,
    *,
    seed: int | None = None,
    rep: int = 0,
    trace: bool = False,
    progress: bool | None = None,
) -> RunResult:
    """Simulate one replication of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario (:func:`lambdasim.load`).
    seed : int, optional
        Root seed; defaults to ``scenario.seed``, or a fresh one that is stored in the result.
    rep : int
        Replication number (selects independent random streams for the same seed).
    trace : bool
        Keep a per-invocation log in ``result.invocations`` (for short runs).
    progress : bool or None
        Show a simulated-time progress bar; None = when stderr is a terminal.

    Returns
    -------
    RunResult
    """
    issues = scenario.cross_check()
    if issues:
        from lambdasim.config import ConfigError

        raise ConfigError(issues)
    if seed is None:
        seed = scenario.seed
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**63))  # type: ignore[operator]
    wall0 = time.perf_counter()
    streams = Streams(seed, rep)
    sim = clock.Clock()
    horizon = scenario.horizon_s
    warmup = scenario.warmup_s
    periods = Periods(horizon, scenario.output.timeseries_step_s, warmup)
    acct = scenario.account
    reserved_total = sum(f.reserved_concurrency or 0 for f in scenario.functions.values())
    account = AccountPool(acct.concurrency, reserved_total)
    # One requests-per-second quota for the whole account, shared by every sync front door
    # (aws-lambda-behaviour.md §4.1; Lambda guide "lambda-concurrency").
    rate = RequestRate(sim, acct.rps_limit)
    account_level = Level(periods.edges) if len(scenario.functions) > 1 else None
    log = InvocationLog() if trace else None
    rm = RunMetrics(periods, {}, account_level)

    services: dict[str, FunctionService] = {}
    metrics = rm.functions
    pools: dict[str, ProvisionedPool] = {}
    burst = float(acct.scaling.burst_for(acct.region))
    legacy = ScalingBucket(burst, acct.scaling.per_minute / 60.0)
    fleets: dict[str, tuple[Fleet, FleetMetrics]] = {}  # capacity providers (LMI)
    for name, fn in scenario.functions.items():
        m = FunctionMetrics(name, periods)
        ka = fn.keep_alive_s.build()
        pool = EnvironmentPool(
            sampler(partial(ka.sample, streams.generator("idle_ttl", name))),
            fn.max_lifetime_s,
            m.environments,
            ka.value_s if isinstance(ka, dists.Constant) else None,
        )
        if acct.scaling.mode == "none":
            bucket: ScalingBucket | Unlimited = Unlimited()
        elif acct.scaling.mode == "legacy_burst":
            bucket = legacy  # one account-level bucket shared by every function (§4.3)
        else:
            n10 = float(acct.scaling.envs_per_10s)
            bucket = ScalingBucket(n10, n10 / 10.0)
        if fn.managed_instances is not None or fn.tenant_isolation:  # issue 19: own services
            svc, m = _execution_model(
                sim, scenario, name, streams, periods, fleets, account, bucket, account_level, log
            )
        else:
            svc = FunctionService(
                sim,
                name,
                fn.reserved_concurrency,
                account,
                bucket,
                pool,
                Execution(name, fn, streams),
                m,
                account_level,
                log,
            )
        services[name] = svc
        metrics[name] = m
        pc = fn.provisioned_concurrency
        if pc is not None and (pc.initial > 0 or pc.schedule or pc.target_tracking is not None):
            pm = rm.provisioned[name] = ProvisionedMetrics(periods, fn.memory_mb)
            pools[name] = svc.pc = ProvisionedPool(sim, svc, pc, pm, scenario.start_time, horizon)

    # Asynchronous invocation: an internal queue per function that is invoked asynchronously,
    # has an async block, or is a function destination.
    # Queues and topics; SQS event source mappings poll their queues.
    sqs_queues: dict[str, SqsQueue] = {}
    topics: dict[str, SnsTopic] = {}
    # SQS bills one request per chunk of payload (§10.5), a rule of the pricing table
    table, bad = pricing_issues(scenario)
    if table is None:
        raise PreflightError(bad, source=scenario._source)  # the line validate prints
    chunk_kb = float(table.for_region(acct.region)[0].sqs.request_chunk_kb)
    for qname, qcfg in scenario.queues.items():
        if qcfg.kind == "topic":
            tm = rm.topics[qname] = TopicMetrics(qname, periods)
            topics[qname] = SnsTopic(qname, tm)
        else:
            qm = rm.queues[qname] = QueueMetrics(qname, qcfg.kind, periods)
            sqs_queues[qname] = SqsQueue(sim, qname, qcfg, qm, chunk_kb)
    for q in sqs_queues.values():
        if q.config.redrive_to is not None:
            q.dlq = sqs_queues[q.config.redrive_to]
    mappings: dict[str, SqsEventSourceMapping] = {}
    for name, fn in scenario.functions.items():
        if fn.trigger is not None and fn.trigger.sqs is not None:
            trig = fn.trigger.sqs
            mode = "on_demand" if trig.mode == "on_demand" else "provisioned"
            em = rm.mappings[name] = EsmMetrics(name, trig.queue, mode, periods)
            queue = sqs_queues[trig.queue]
            mapping = SqsEventSourceMapping(
                sim,
                queue,
                services[name],
                trig,
                em,
                sampler(streams.generator("sqs", name).random),
            )
            queue.consumer = mapping
            mappings[name] = mapping
    sinks: dict[str, RecordSink] = {**sqs_queues, **topics}
    destinations = Destinations(sinks)
    # Kinesis / DynamoDB streams and their mappings (one per stream)
    stream_maps: dict[str, StreamMapping] = {}
    for name, fn in scenario.functions.items():
        st = fn.trigger.stream if fn.trigger is not None else None
        if st is None:
            continue
        scfg = scenario.streams[st.name]
        of = st.on_failure
        sm = rm.streams[st.name] = StreamMetrics(st.name, scfg.kind, scfg.shards, name, periods)
        stream_maps[st.name] = StreamMapping(
            sim,
            scfg,
            st,
            services[name],
            sm,
            sampler(streams.generator("stream", name).random),
            sinks[of.queue].accept_record if of is not None else None,
        )
    async_names = {w.target for w in scenario.workloads if w.invocation == "async"}
    for name, fn in scenario.functions.items():
        if fn.async_ is not None:
            async_names.add(name)
            for d in (fn.async_.on_success, fn.async_.on_failure):
                if d is not None and d.function is not None:
                    async_names.add(d.function)
    for name in scenario.functions:  # config order: reproducible streams and output order
        if name not in async_names:
            continue
        am = rm.async_[name] = AsyncMetrics(name, periods)
        dispatcher = AsyncDispatcher(
            sim,
            services[name],
            scenario.functions[name].async_config,
            am,
            sampler(streams.generator("async", name).random),
            destinations.deliver,
            scenario.functions[name].recursive_loop,
        )
        services[name].on_free = dispatcher.on_free  # a free slot resumes reading the queue
        destinations.dispatchers[name] = dispatcher

    for i, w in enumerate(scenario.workloads):
        label = w.label(i)
        blocks = arrival_times(
            w.arrivals,
            streams.generator("arrivals", label),
            scenario.resolve_path,
            start=scenario.start_time,
            horizon_s=horizon,
            stream=named_streams(streams, label),  # superposed: ("arrivals", "<label>/<i>")
        )
        if w.stream is not None:
            if w.stream in stream_maps:
                gk = streams.generator("partition_keys", label)
                Arrivals(
                    sim,
                    blocks,
                    horizon,
                    _stream_records(
                        stream_maps[w.stream],
                        w.partition_keys,
                        w.poison_probability,
                        sampler(gk.random),
                    ),
                ).schedule_next()
            continue
        if w.queue is not None:
            Arrivals(
                sim,
                blocks,
                horizon,
                _queue_messages(sqs_queues[w.queue], w.message_kb, w.message_groups),
            ).schedule_next()
            continue
        svc = services[w.target]
        if w.invocation == "async" and has_recorded_durations(w.arrivals):
            AsyncRecordedArrivals(
                sim,
                recorded_events(
                    w.arrivals,
                    scenario.resolve_path(w.arrivals.path),
                    scenario.functions[w.target],
                ),
                destinations.dispatchers[w.target],
                w.source or "api",
                _payload_extra_requests(w.payload_kb),
                metrics[w.target],
                horizon,
            ).schedule_next()
            continue
        if w.invocation == "async":
            Arrivals(
                sim,
                blocks,
                horizon,
                _async_events(
                    destinations.dispatchers[w.target],
                    w.source or "api",
                    _payload_extra_requests(w.payload_kb),
                    metrics[w.target],
                    warmup,
                ),
            ).schedule_next()
            continue
        if tenant_workload(sim, svc, w, label, blocks, scenario, streams, rate, horizon):
            continue  # its own tenants (workloads[].tenants, a tenant_column): tenant_router.py
        jitter = None
        if w.client_retry is not None:
            gj = streams.generator("client_retry", label)
            jitter = sampler(gj.random)
        door = SyncFrontDoor(sim, svc, w.client_retry, jitter, rate)
        if has_recorded_durations(w.arrivals):  # the trace's durations replace the draws
            SyncRecordedArrivals(
                sim,
                recorded_events(
                    w.arrivals,
                    scenario.resolve_path(w.arrivals.path),
                    scenario.functions[w.target],
                ),
                door,
                metrics[w.target],
                horizon,
            ).schedule_next()
            continue
        SyncArrivals(sim, blocks, door, metrics[w.target], horizon).schedule_next()

    # A function nobody else observes between its invokes keeps its completions off the clock
    # (FunctionService.lazy_completions: identical results, fewer events).
    if len(services) == 1 and not pools and not destinations.dispatchers and not rm.mappings:
        (only,) = services.values()
        if type(only) is FunctionService and not stream_maps:
            only.lazy_completions()

    show = sys.stderr.isatty() if progress is None else progress
    if show:
        _run_with_progress(sim, horizon)
    else:
        clock.run(sim, horizon)

    pending = pending_wakeups(sim)  # among them the invokes still running at the horizon
    _close(horizon, rm, services, pools, sqs_queues, destinations, stream_maps, pending)
    wall = time.perf_counter() - wall0
    return RunResult.build(
        scenario=scenario,
        seed=seed,
        rep=rep,
        metrics=rm,
        wall_s=wall,
        invocations=log,  # RunResult builds the frame on first access
    )


def _close(
    horizon: float,
    rm: RunMetrics,
    services: dict[str, FunctionService],
    pools: dict[str, ProvisionedPool],
    queues: dict[str, SqsQueue],
    destinations: Destinations,
    stream_maps: dict[str, StreamMapping],
    pending: list[Wakeup],
) -> None:
    """Write the engine's state at the horizon into the collectors and close their levels."""
    for q in queues.values():
        qm = rm.queues[q.name]
        qm.on_oldest(horizon, q.oldest_age(horizon))  # queues nobody polls too
        qm.in_queue_end = q.waiting()
        qm.visible.roll(horizon)
        qm.not_visible.roll(horizon)
    for name, am in rm.async_.items():
        am.in_queue_end = destinations.dispatchers[name].waiting()
        am.depth.roll(horizon)
    for sname, mapping in stream_maps.items():
        sm = rm.streams[sname]
        sm.remaining = mapping.remaining()
        for lv in sm.backlog:
            lv.roll(horizon)
        sm.concurrency.roll(horizon)
    for em in rm.mappings.values():
        em.concurrency.roll(horizon)
        em.pollers.roll(horizon)
    for name, svc in services.items():
        if isinstance(svc, FunctionService):  # completions it kept off the clock
            svc.settle(horizon)
        svc.pool.expire(horizon)
        svc.report_in_flight(pending)
        rm.functions[name].close(horizon)
        if name in pools:
            pools[name].close(horizon)
            rm.provisioned[name].close(horizon)
    if rm.account is not None:
        rm.account.roll(horizon)


def _execution_model(
    sim: clock.Clock,
    scenario: Scenario,
    name: str,
    streams: Streams,
    periods: Periods,
    fleets: dict[str, tuple[Fleet, FleetMetrics]],
    account: AccountPool,
    bucket: ScalingBucket | Unlimited,
    account_level: Level | None,
    log: InvocationLog | None,
) -> tuple[FunctionService, FunctionMetrics]:
    """The service and collector of a function on Lambda Managed Instances or in tenant
    isolation mode (issue 19); typed as the default ones, whose interface they keep."""
    fn = scenario.functions[name]
    execution = Execution(name, fn, streams)
    mi = fn.managed_instances
    if mi is not None:
        cp = mi.capacity_provider
        if cp not in fleets:
            cfg = scenario.capacity_providers[cp]
            fm = FleetMetrics(cp, cfg.instance_type, cfg.spec.vcpus, periods)
            fleets[cp] = (Fleet(sim, cp, cfg, fm), fm)
        fleet, fm = fleets[cp]
        vcpus, slots = mi.environment_vcpus(fn.memory_mb), mi.slots(fn.runtime, fn.memory_mb)
        lm = ManagedInstancesMetrics(name, periods, fm, vcpus, slots, mi.cpu_per_request)
        lmi = ManagedInstancesService(sim, name, fn, execution, lm, fleet, log)
        return cast(FunctionService, lmi), lm
    tm = TenantIsolatedMetrics(name, periods, tenant_population(scenario, name), fn.memory_mb)
    ti = isolated_service(
        sim, scenario, name, execution, tm, streams, account, bucket, account_level, log
    )
    return cast(FunctionService, ti), tm


def preflight(scenario: Scenario, *, traces: bool = True) -> None:
    """:func:`lambdasim.preflight.preflight`, then the first rows of every trace's tenant column."""
    _preflight(scenario, traces=traces)
    bad = tenant_trace_issues(scenario) if traces else []
    if bad:
        raise PreflightError(bad, source=scenario._source)


def _run_with_progress(sim: clock.Clock, horizon: float) -> None:
    from tqdm.auto import tqdm

    step = horizon / 200.0
    with tqdm(total=horizon, unit="sim-s", desc="simulating", leave=False) as bar:
        t = 0.0
        while t < horizon:
            nxt = min(horizon, t + step)
            clock.run(sim, nxt)
            bar.update(nxt - t)
            t = nxt
