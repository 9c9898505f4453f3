"""Lambda Managed Instances: multi-concurrent environments on a fleet of EC2 instances.

AWS (Lambda guide, "lambda-managed-instances", "-scaling", "-runtimes"; Nov 2026):

* "Lambda Managed Instances does not scale when invocations arrive and does not support cold
  starts": a request runs on an environment that is already up, or is throttled (429) when
  every environment is at its concurrency limit (:class:`ManagedInstancesService`).
* An environment serves up to its ``PerExecutionEnvironmentMaxConcurrency`` requests at once,
  fewer if its vCPUs cannot carry them (``ManagedInstances.slots``).
* Scaling is asynchronous, "based on CPU resource utilization and multi-concurrency
  saturation"; capacity grows to "handle traffic doubling within five minutes by default", and
  "if your traffic more than doubles within 5 minutes, you may see throttles" (:class:`Fleet`).
* Publishing a version launches three instances and three environments before the version is
  ACTIVE (the run starts with them ready); the capacity provider's ``MaxVCpuCount`` bounds the
  fleet; instances are scaled in when the load falls.

Modelling choices (assumptions, each a setting of ``capacity_providers.NAME.scaling``):

* The router is a pooled slot count: a request is admitted while the function's busy requests
  are fewer than ready environments × slots (a perfect spread over environments).
* Every ``interval_s`` the scaler estimates the demand of the last interval (mean busy
  requests, scaled up by the share that was throttled) and asks for
  ⌈demand / (target × slots)⌉ environments; the committed environments may be at most twice
  what they were ``300 s`` earlier (the documented doubling), within min/max environments and
  the fleet's vCPUs. Scale-in goes down to the largest request of the last
  ``scale_in_window_s``, never below what the busy requests need.
* A new environment starts on an instance with room (the most free vCPUs first, which spreads
  them over instances as AWS spreads over AZs), after that instance has launched
  (``instance_launch_s``) and the function's INIT has run; an instance keeps 1 vCPU and 1 GiB
  for the OS (AWS's calculator). An empty instance above the minimum of three is terminated.

Service code never imports metrics: the function's sink and the fleet's sink arrive through the
constructors (:class:`LmiSink`, :class:`FleetSink`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from simpy.events import Timeout

from lambdasim.clock import Clock, Wakeup
from lambdasim.config import Function
from lambdasim.config.managed_instances import MIN_INSTANCES, CapacityProvider
from lambdasim.records import LevelSink, Outcome, OutcomeSink, ThrottleReason, Tracer
from lambdasim.service.execution import Execution

__all__ = ["DOUBLING_WINDOW_S", "Fleet", "FleetSink", "LmiSink", "ManagedInstancesService"]

#: Capacity may double within this window, seconds ("traffic doubling within five minutes").
DOUBLING_WINDOW_S = 300.0

_ADMITTED = -1
#: LMI's throttles are reported with the scaling-rate reason: capacity that has not been scaled
#: out yet (AWS documents no Reason value for LMI 429s).
_CAPACITY = int(ThrottleReason.SCALING_RATE)
_TIMEOUT = int(Outcome.TIMEOUT)
_ERROR = int(Outcome.ERROR)


class LmiSink(OutcomeSink, Protocol):
    """A function's collector (``metrics.managed_instances.ManagedInstancesMetrics``)."""

    @property
    def ready(self) -> LevelSink:
        """Ready environments (time-weighted)."""


class FleetSink(Protocol):
    """A capacity provider's collector (``metrics.managed_instances.FleetMetrics``)."""

    @property
    def instances(self) -> LevelSink:
        """Instances launched and not terminated (time-weighted)."""

    def launched(self, now: float) -> None:
        """An instance was launched."""

    def terminated(self, now: float) -> None:
        """An instance was terminated."""


class _Request:
    """One request running in an environment: what the outcome sink and the tracer read."""

    __slots__ = (
        "arrival",
        "caller",
        "cold",
        "id",
        "init_s",
        "invoke_s",
        "outcome",
        "start",
        "suppressed",
        "wake",
    )

    def __init__(self) -> None:
        self.id = -1  # requests share pooled environments: no one environment is named
        self.arrival = 0.0
        self.start = 0.0
        self.cold = False  # no per-request cold starts on LMI
        self.suppressed = False
        self.init_s = 0.0
        self.invoke_s = 0.0
        self.outcome = 0
        self.caller: Any = None
        self.wake: Any = None


class _Instance:
    """One EC2 instance of the fleet and the environments placed on it."""

    __slots__ = ("envs", "free_mem", "free_vcpus", "ready_at")

    def __init__(self, vcpus: float, mem: float, ready_at: float) -> None:
        self.free_vcpus = vcpus
        self.free_mem = mem
        self.ready_at = ready_at
        self.envs: dict[int, int] = {}  # service index -> environments


class ManagedInstancesService:
    """One LMI function: admission to its pooled environment slots, and its invokes.

    Same interface as :class:`~lambdasim.service.invoke.FunctionService` for the front doors
    and event sources: :meth:`invoke`, ``metrics``, ``execution``, ``reserved``, ``on_free``,
    ``pool`` and :meth:`report_in_flight`.

    Parameters
    ----------
    sim : Clock
        The clock.
    name : str
        Function name.
    fn : Function
        Its configuration (``fn.managed_instances`` set).
    execution : Execution
        Handler duration, errors, timeout; its ``init`` is an environment's start-up time.
    metrics : LmiSink
        The function's collector.
    fleet : Fleet
        The capacity provider it runs on.
    tracer : Tracer or None
        Per-invocation log, or None.
    """

    def __init__(
        self,
        sim: Clock,
        name: str,
        fn: Function,
        execution: Execution,
        metrics: LmiSink,
        fleet: Fleet,
        tracer: Tracer | None = None,
    ) -> None:
        mi = fn.managed_instances
        assert mi is not None
        self.sim = sim
        self.name = name
        self.execution = execution
        if mi.timeout_s is not None:
            execution.timeout = mi.timeout_s
        self.metrics = metrics
        self.level = metrics.concurrency
        self.tracer = tracer
        self.reserved: int | None = None  # LMI has its own quotas, not reserved concurrency
        self.pc = None
        self.pool = _NoPool()
        self.on_free: Callable[[float], None] | None = None
        self.env_vcpus = mi.environment_vcpus(fn.memory_mb)
        self.env_mem = mi.environment_memory_gib(fn.memory_mb)
        self.slots = mi.slots(fn.runtime, fn.memory_mb)
        self.cpu_per_request = mi.cpu_per_request
        self.min_envs = mi.min_environments
        self.max_envs = mi.max_environments if mi.max_environments is not None else 1 << 30
        self.ready = 0
        self.starting = 0
        self.capacity = 0  # ready × slots
        self.busy = 0
        # demand measurement between scaler ticks
        self._area = 0.0
        self._last = 0.0
        self._admitted = 0
        self._throttled = 0
        self._free: list[_Request] = []
        self.fleet = fleet
        self.index = fleet.register(self)

    # ------------------------------------------------------------------ invoke path

    def invoke(
        self,
        now: float,
        arrival: float,
        caller: Any = None,
        error: bool | None = None,
        duration_s: float | None = None,
    ) -> int:
        """Start a request at ``now`` on a free slot, or return the 429's reason."""
        busy = self.busy
        if busy >= self.capacity:
            self._throttled += 1
            self.metrics.throttled(now, _CAPACITY)
            return _CAPACITY
        ex = self.execution
        invoke_s = ex.handler() if duration_s is None else duration_s
        if invoke_s > ex.timeout:
            invoke_s = ex.timeout
            outcome = _TIMEOUT
        elif error is None:
            outcome = _ERROR if ex.error_rate > 0.0 and ex.uniform() < ex.error_rate else 0
        else:
            outcome = _ERROR if error else 0
        self._area += busy * (now - self._last)
        self._last = now
        self.busy = busy + 1
        self._admitted += 1
        self.level.up(now)
        r = self._free.pop() if self._free else self._new_request()
        r.arrival = arrival
        r.start = now
        r.invoke_s = invoke_s
        r.outcome = outcome
        r.caller = caller
        r.wake.at(now + invoke_s)
        return _ADMITTED

    def _new_request(self) -> _Request:
        r = _Request()
        r.wake = Wakeup(self.sim, self._done, r)
        return r

    def _done(self, wake: Wakeup) -> None:
        r: _Request = wake.owner
        now = wake.when
        self._area += self.busy * (now - self._last)
        self._last = now
        self.busy -= 1
        self.level.down(now)
        self.metrics.finished(r, now)
        if self.tracer is not None:
            self.tracer.record(self.name, r, now, r.outcome, r.invoke_s)
        caller = r.caller
        r.caller = None
        self._free.append(r)
        if caller is not None:
            caller.on_invoke_done(r.outcome, now)
        if self.on_free is not None:
            self.on_free(now)

    def report_in_flight(self, pending: list[Wakeup]) -> None:
        """At the horizon: the requests still running (counted when they started)."""
        done = self._done
        for w in pending:
            if w.armed[0] == done:
                self.metrics.running_at_end(w.owner)

    # ------------------------------------------------------------------ scaling hooks

    def demand(self, now: float) -> float:
        """Mean busy requests since the last call, scaled up for the throttled share."""
        self._area += self.busy * (now - self._last)
        span = now - self.fleet.last_tick
        mean = self._area / span if span > 0 else float(self.busy)
        if self._throttled:
            # the throttled requests would have run as long as the admitted ones on average
            mean *= (self._admitted + self._throttled) / max(1, self._admitted)
            mean = max(mean, float(self.capacity) + 1.0)
        self._area = 0.0
        self._last = now
        self._admitted = 0
        self._throttled = 0
        return mean

    def env_ready(self, now: float) -> None:
        """One of this function's environments has started."""
        self.starting -= 1
        self.ready += 1
        self.capacity += self.slots
        self.metrics.ready.up(now)

    def env_removed(self, now: float) -> None:
        """One ready environment was stopped (scale-in)."""
        self.ready -= 1
        self.capacity -= self.slots
        self.metrics.ready.down(now)
        self.metrics.environments.down(now)


class _NoPool:
    """``svc.pool`` for the wiring's end-of-run call: LMI keeps no idle stacks to expire."""

    def expire(self, now: float) -> None:
        """Nothing to expire."""


class Fleet:
    """One capacity provider: its instances, and the scaler of the functions on it.

    Parameters
    ----------
    sim : Clock
        The clock.
    name : str
        Capacity provider name.
    cfg : CapacityProvider
        Its configuration.
    sink : FleetSink
        Its collector.
    """

    def __init__(self, sim: Clock, name: str, cfg: CapacityProvider, sink: FleetSink) -> None:
        spec = cfg.spec
        self.sim = sim
        self.name = name
        self.sink = sink
        self.usable_vcpus = float(spec.vcpus - 1)  # 1 vCPU and 1 GiB kept for the OS
        self.usable_mem = spec.memory_gib - 1.0
        self.max_instances = cfg.max_instances
        self.launch_s = cfg.scaling.instance_launch_s
        self.interval = cfg.scaling.interval_s
        self.target = cfg.scaling.target_cpu_utilization
        self.scale_in_window = cfg.scaling.scale_in_window_s
        self.instances: list[_Instance] = []
        self.services: list[ManagedInstancesService] = []
        self.history: list[deque[tuple[float, int]]] = []
        self.wanted: list[deque[tuple[float, int]]] = []
        self.last_tick = 0.0
        self.wake = Wakeup(sim, self._tick)
        self.wake.at(self.interval)
        while len(self.instances) < MIN_INSTANCES:
            self._launch(0.0, ready_at=0.0)

    def register(self, svc: ManagedInstancesService) -> int:
        """Add a function; its minimum environments are ready at t = 0 (the ACTIVE version)."""
        self.services.append(svc)
        self.history.append(deque([(0.0, svc.min_envs)]))
        self.wanted.append(deque())
        k = len(self.services) - 1
        for _ in range(svc.min_envs):
            inst = self._place(svc, k, 0.0)
            if inst is None:
                break
            svc.starting += 1
            svc.metrics.environments.up(0.0)
            svc.env_ready(0.0)
        return k

    # ------------------------------------------------------------------ placement

    def _launch(self, now: float, ready_at: float) -> _Instance | None:
        if len(self.instances) >= self.max_instances:
            return None
        inst = _Instance(self.usable_vcpus, self.usable_mem, ready_at)
        self.instances.append(inst)
        self.sink.launched(now)
        return inst

    def _place(self, svc: ManagedInstancesService, k: int, now: float) -> _Instance | None:
        best = None
        for inst in self.instances:
            if inst.free_vcpus >= svc.env_vcpus and inst.free_mem >= svc.env_mem - 1e-9:
                if best is None or inst.free_vcpus > best.free_vcpus:
                    best = inst
        if best is None:
            best = self._launch(now, now + self.launch_s)
            if best is None or best.free_vcpus < svc.env_vcpus:
                return None
        best.free_vcpus -= svc.env_vcpus
        best.free_mem -= svc.env_mem
        best.envs[k] = best.envs.get(k, 0) + 1
        return best

    def _start_env(self, svc: ManagedInstancesService, k: int, now: float) -> bool:
        inst = self._place(svc, k, now)
        if inst is None:
            return False
        svc.starting += 1
        svc.metrics.environments.up(now)
        delay = max(inst.ready_at, now) - now + svc.execution.init()

        def ready(_ev: Any) -> None:
            svc.env_ready(self.sim.now)

        Timeout(self.sim, delay).callbacks.append(ready)
        return True

    def _stop_env(self, svc: ManagedInstancesService, k: int, now: float) -> None:
        # from the instance with the fewest environments, so that instances empty out
        hosts = [i for i in self.instances if i.envs.get(k, 0) > 0]
        inst = min(hosts, key=lambda i: (sum(i.envs.values()), -i.free_vcpus))
        inst.envs[k] -= 1
        inst.free_vcpus += svc.env_vcpus
        inst.free_mem += svc.env_mem
        svc.env_removed(now)
        if not any(inst.envs.values()) and len(self.instances) > MIN_INSTANCES:
            self.instances.remove(inst)
            self.sink.terminated(now)

    # ------------------------------------------------------------------ the scaler

    def _tick(self, w: Wakeup) -> None:
        now = w.when
        for k, svc in enumerate(self.services):
            self._scale(svc, k, now)
        self.last_tick = now
        w.at(now + self.interval)

    def _scale(self, svc: ManagedInstancesService, k: int, now: float) -> None:
        demand = svc.demand(now)
        want = math.ceil(demand / (self.target * svc.slots) - 1e-9)
        want = min(max(want, svc.min_envs), svc.max_envs)
        wanted = self.wanted[k]
        wanted.append((now, want))
        while wanted and wanted[0][0] < now - self.scale_in_window:
            wanted.popleft()
        history = self.history[k]
        while len(history) > 1 and history[1][0] <= now - DOUBLING_WINDOW_S:
            history.popleft()
        base = history[0][1]  # committed environments one doubling window ago (or at start)
        committed = svc.ready + svc.starting
        if want > committed:
            limit = max(2 * base, svc.min_envs, 1)
            for _ in range(min(want, limit) - committed):
                if not self._start_env(svc, k, now):
                    break
        else:
            keep = max(max(x for _, x in wanted), svc.min_envs)
            needed = math.ceil(svc.busy / svc.slots)
            surplus = min(committed - keep, svc.ready - needed)
            for _ in range(max(0, surplus)):
                self._stop_env(svc, k, now)
        history.append((now, svc.ready + svc.starting))
