"""The one place that wires the parts together: :func:`run` turns a Scenario into a RunResult."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Iterator
from heapq import heappush
from itertools import chain
from typing import Any

import numpy as np
import simpy

from lambdasim.clock import NORMAL, Wakeup
from lambdasim.config import Scenario
from lambdasim.config.arrivals import has_recorded_durations
from lambdasim.metrics.core import AsyncMetrics, FunctionMetrics, Level, make_edges
from lambdasim.metrics.sqs import EsmMetrics, QueueMetrics
from lambdasim.results.run import RunResult
from lambdasim.rng import Streams, sampler
from lambdasim.service.async_invoke import AsyncDispatcher
from lambdasim.service.concurrency import AccountPool, ScalingBucket, Unlimited
from lambdasim.service.destinations import Destinations, RecordSink, TopicSink
from lambdasim.service.environments import EnvironmentPool
from lambdasim.service.execution import Execution
from lambdasim.service.invoke import ADMITTED, FunctionService
from lambdasim.service.provisioned import ProvisionedPool
from lambdasim.service.router import SyncFrontDoor
from lambdasim.service.sqs import SqsQueue
from lambdasim.service.sqs_mapping import SqsEventSourceMapping
from lambdasim.service.streams import StreamMapping, StreamMetrics
from lambdasim.tracing import InvocationLog
from lambdasim.workload.replay import AsyncRecordedDriver, RecordedDurationDriver
from lambdasim.workload.synthetic import arrival_times, named_streams

__all__ = ["run"]


class _ArrivalDriver:
    """Feeds one workload's arrival times into the simulation, one timeout per arrival."""

    __slots__ = ("door", "horizon", "invoke", "metrics", "sim", "times", "wake", "warmup")

    def __init__(
        self,
        sim: simpy.Environment,
        blocks: Iterator[np.ndarray],
        door: SyncFrontDoor,
        metrics: FunctionMetrics,
        horizon: float,
        warmup: float,
    ) -> None:
        self.sim = sim
        self.door = door
        self.invoke = door.service.invoke
        self.metrics = metrics
        self.horizon = horizon
        self.warmup = warmup
        self.times = chain.from_iterable(b.tolist() for b in blocks)
        self.wake = Wakeup(sim, self._fire)

    def schedule_next(self) -> None:
        t = next(self.times, None)
        if t is None or t >= self.horizon:
            return
        self.wake.at(t)

    def _fire(self, _ev: Any) -> None:
        now = self.sim._now
        if now >= self.warmup:
            self.metrics.arrivals += 1
        if self.invoke(now) != ADMITTED:  # door.request(now), inlined
            self.door.throttled(now, 1)
        t = next(self.times, None)
        if t is not None and t < self.horizon:
            w = self.wake  # w.at(t), inlined: this runs once per arrival
            w.callbacks = w._cbs
            heappush(w._queue, (t, NORMAL, next(w._eid), w))


class _Driver:
    """Feeds one workload's arrival times to ``on_arrival(now)``, one wake-up at a time.

    Used for async events, SQS messages and stream records; sync requests have their own
    driver with the invoke path inlined (:class:`_ArrivalDriver`).
    """

    __slots__ = ("horizon", "on_arrival", "sim", "times", "wake")

    def __init__(
        self,
        sim: simpy.Environment,
        blocks: Iterator[np.ndarray],
        horizon: float,
        on_arrival: Callable[[float], None],
    ) -> None:
        self.sim = sim
        self.horizon = horizon
        self.on_arrival = on_arrival
        self.times = chain.from_iterable(b.tolist() for b in blocks)
        self.wake = Wakeup(sim, self._fire)

    def schedule_next(self) -> None:
        t = next(self.times, None)
        if t is not None and t < self.horizon:
            self.wake.at(t)

    def _fire(self, _ev: Any) -> None:
        self.on_arrival(self.sim._now)
        self.schedule_next()


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


def _sampler(dist: Any, g: np.random.Generator) -> Callable[[], float]:
    return sampler(lambda n: dist.sample(g, n))


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
    sim = simpy.Environment()
    horizon = scenario.horizon_s
    warmup = scenario.warmup_s
    step = scenario.output.timeseries_step_s
    edges, _ = make_edges(horizon, step, warmup)
    acct = scenario.account
    reserved_total = sum(f.reserved_concurrency or 0 for f in scenario.functions.values())
    account = AccountPool(acct.concurrency, reserved_total)
    account_level = Level(edges) if len(scenario.functions) > 1 else None
    log = InvocationLog() if trace else None

    services: dict[str, FunctionService] = {}
    metrics: dict[str, FunctionMetrics] = {}
    burst = float(acct.scaling.burst_for(acct.region))
    legacy = ScalingBucket(burst, acct.scaling.per_minute / 60.0)
    for name, fn in scenario.functions.items():
        m = FunctionMetrics(name, horizon, warmup, step, edges)
        ka = fn.keep_alive_s.build()
        pool = EnvironmentPool(
            _sampler(ka, streams.generator("idle_ttl", name)), fn.max_lifetime_s, m.environments
        )
        if acct.scaling.mode == "none":
            bucket: ScalingBucket | Unlimited = Unlimited()
        elif acct.scaling.mode == "legacy_burst":
            bucket = legacy  # one account-level bucket shared by every function (§4.3)
        else:
            n10 = float(acct.scaling.envs_per_10s)
            bucket = ScalingBucket(n10, n10 / 10.0)
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
        )
        svc.tracer = log
        services[name] = svc
        metrics[name] = m
        pc = fn.provisioned_concurrency
        if pc is not None and (pc.initial > 0 or pc.schedule or pc.target_tracking is not None):
            svc.pc = ProvisionedPool(
                sim, svc, pc, edges, scenario.start_time, horizon, warmup, step
            )

    # Asynchronous invocation: an internal queue per function that is invoked asynchronously,
    # has an async block, or is a function destination.
    # Queues and topics; SQS event source mappings poll their queues.
    sqs_queues: dict[str, SqsQueue] = {}
    topics: dict[str, TopicSink] = {}
    for qname, qcfg in scenario.queues.items():
        if qcfg.kind == "topic":
            topics[qname] = TopicSink(qname, warmup, horizon, step)
        else:
            qm = QueueMetrics(qname, qcfg.kind, horizon, warmup, step, edges)
            sqs_queues[qname] = SqsQueue(sim, qname, qcfg, qm)
    for q in sqs_queues.values():
        if q.config.redrive_to is not None:
            q.dlq = sqs_queues[q.config.redrive_to]
    mappings: dict[str, SqsEventSourceMapping] = {}
    for name, fn in scenario.functions.items():
        if fn.trigger is not None and fn.trigger.sqs is not None:
            mappings[name] = SqsEventSourceMapping(
                sim,
                sqs_queues[fn.trigger.sqs.queue],
                services[name],
                fn.trigger.sqs,
                EsmMetrics(name, horizon, warmup, step, edges),
                sampler(streams.generator("sqs", name).random),
            )
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
        stream_maps[st.name] = StreamMapping(
            sim,
            scfg,
            st,
            services[name],
            StreamMetrics(st.name, scfg.shards, warmup, horizon, step, edges),
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
    async_metrics: dict[str, AsyncMetrics] = {}
    for name in scenario.functions:  # config order: reproducible streams and output order
        if name not in async_names:
            continue
        am = AsyncMetrics(name, horizon, warmup, step, edges)
        async_metrics[name] = am
        destinations.dispatchers[name] = AsyncDispatcher(
            sim,
            services[name],
            scenario.functions[name].async_config,
            am,
            sampler(streams.generator("async", name).random),
            destinations.deliver,
        )

    doors: list[SyncFrontDoor] = []
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
                _Driver(
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
            _Driver(
                sim,
                blocks,
                horizon,
                _queue_messages(sqs_queues[w.queue], w.message_kb, w.message_groups),
            ).schedule_next()
            continue
        svc = services[w.target]
        if w.invocation == "async" and has_recorded_durations(w.arrivals):
            AsyncRecordedDriver(
                sim,
                w.arrivals,
                scenario.resolve_path(w.arrivals.path),
                destinations.dispatchers[w.target],
                w.source or "api",
                _payload_extra_requests(w.payload_kb),
                metrics[w.target],
                horizon,
                warmup,
                scenario.functions[w.target],
            ).schedule_next()
            continue
        if w.invocation == "async":
            _Driver(
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
        jitter = None
        if w.client_retry is not None:
            gj = streams.generator("client_retry", label)
            jitter = sampler(gj.random)
        door = SyncFrontDoor(sim, svc, w.client_retry, jitter)
        doors.append(door)
        if has_recorded_durations(w.arrivals):  # the trace's durations replace the draws
            RecordedDurationDriver.for_trace(
                sim,
                w.arrivals,
                scenario.resolve_path(w.arrivals.path),
                door,
                metrics[w.target],
                horizon,
                warmup,
                scenario.functions[w.target],
            ).schedule_next()
            continue
        _ArrivalDriver(sim, blocks, door, metrics[w.target], horizon, warmup).schedule_next()

    show = sys.stderr.isatty() if progress is None else progress
    if show:
        _run_with_progress(sim, horizon)
    else:
        sim.run(until=horizon)

    for q in sqs_queues.values():
        q.metrics.on_oldest(horizon, q.oldest_age(horizon))  # queues nobody polls too
        q.metrics.visible.roll(horizon)
        q.metrics.not_visible.roll(horizon)
    for am in async_metrics.values():
        am.depth.roll(horizon)
    for sm in stream_maps.values():
        for lv in sm.metrics.backlog:
            lv.roll(horizon)
        sm.metrics.concurrency.roll(horizon)
    for esm in mappings.values():
        esm.metrics.concurrency.roll(horizon)
        esm.metrics.pollers.roll(horizon)
    for name, svc in services.items():
        svc.pool.expire(horizon)
        metrics[name].close(horizon)
        if svc.pc is not None:
            svc.pc.close(horizon)
    if account_level is not None:
        account_level.roll(horizon)
    wall = time.perf_counter() - wall0
    return RunResult.build(
        scenario=scenario,
        seed=seed,
        rep=rep,
        metrics=metrics,
        account_level=account_level,
        async_metrics=async_metrics,
        async_waiting={n: d.waiting() for n, d in destinations.dispatchers.items()},
        queues=sqs_queues,
        topics=topics,
        mappings=mappings,
        streams=stream_maps,
        provisioned={n: s.pc for n, s in services.items() if s.pc is not None},
        wall_s=wall,
        invocations=log.frame() if log is not None else None,
    )


def _run_with_progress(sim: simpy.Environment, horizon: float) -> None:
    from tqdm.auto import tqdm

    step = horizon / 200.0
    with tqdm(total=horizon, unit="sim-s", desc="simulating", leave=False) as bar:
        t = 0.0
        while t < horizon:
            nxt = min(horizon, t + step)
            sim.run(until=nxt)
            bar.update(nxt - t)
            t = nxt
