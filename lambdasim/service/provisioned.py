"""Provisioned concurrency (PC): pre-initialised environments, allocation, schedules and target
tracking (aws-lambda-behaviour.md §4.5, §9, §10.3).

* A PC setting given as a number is ready at t = 0. A change during the run is allocated
  after a lead time (``allocation_lead_s``, default 90 s: "a minute or two") at up to 6,000
  environments per minute, and none of it serves until all of it is ready. A decrease takes
  effect at once: idle PC environments go first, busy ones when they finish.
* Requests use a free PC environment first and spill over to on-demand (subject to the scaling
  rate and the reserved / account limits). PC counts against reserved concurrency (on-demand
  gets ``RC − allocated``) or, without RC, against the account's unreserved pool.
* PC environments never expire when idle. When one becomes idle past ``max_lifetime_s`` it is
  recycled: a replacement is initialised in the background (billed, nobody waits).
* Scheduled actions set the target at their times (EventBridge cron, UTC, from the scenario's
  start, or ``at_s``).
* Target tracking reads the 1-minute average of ProvisionedConcurrencyUtilization (busy PC
  environments / allocated). No point is emitted for a minute without PC activity, so an idle
  function does not scale in (the documented "surprise bill"). After ``scale_out_points``
  (3) consecutive points above the target it sets the capacity to ⌈allocated × point / target⌉;
  after ``scale_in_points`` (15) consecutive points below 90 % of the target it scales in to
  the same formula; both bounded by [min, max]. The AAS alarm rules are documented on the
  Lambda page (§9); the step formula is AAS's target-tracking rule.
* Billing follows the *configured* value, not the allocated one. AWS bills PC "from the time
  you enable it on your function until it is disabled, rounded up to the nearest five
  minutes", priced by "the amount of concurrency that you configure"
  (https://aws.amazon.com/lambda/pricing/, "Provisioned Concurrency Pricing"). So a raise is
  billed from the instant it is configured (:meth:`ProvisionedPool.set_target`), through its
  allocation lead time, and a decrease ends the billing of the removed part at once. Each
  interval during which one value was configured is reported to the metrics once
  (``on_enabled``), when the value changes or the run ends; the cost module rounds each up to
  5-minute increments (§10.3). The pricing page does not say how a change of the value is
  billed; this is issue 14's reading (one configuration per value, each rounded once).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from datetime import datetime
from typing import Any, Protocol

import simpy

from lambdasim.clock import Clock
from lambdasim.config.provisioned import ProvisionedConcurrency
from lambdasim.records import ProvisionedSink
from lambdasim.schedule import parse
from lambdasim.service.environments import ExecutionEnvironment
from lambdasim.units import billed_ms

__all__ = ["PcHost", "ProvisionedPool"]


class PcHost(Protocol):
    """What the pool needs of its function (:class:`~lambdasim.service.invoke.FunctionService`)."""

    pc_busy: int

    def new_pc_environment(self, now: float) -> ExecutionEnvironment:
        """An initialised provisioned environment, idle from ``now``."""

    def retire_pc_environment(self, e: ExecutionEnvironment, now: float) -> None:
        """A provisioned environment is deallocated at ``now``."""

    def set_provisioned(self, allocated: int) -> None:
        """The allocated PC changed."""

    def init_s(self) -> float:
        """One INIT duration (seconds), for background initialisations."""

    @property
    def max_lifetime(self) -> float | None:
        """Maximum environment lifetime (seconds), or None."""


class ProvisionedPool:
    """The provisioned environments of one function and the controller that sizes them."""

    def __init__(
        self,
        sim: Clock,
        service: PcHost,
        config: ProvisionedConcurrency,
        metrics: ProvisionedSink,
        start: datetime,
        horizon_s: float,
    ) -> None:
        self.sim = sim
        self.service = service
        self.config = config
        self.metrics = metrics
        self.warmup = metrics.warmup
        self.horizon = horizon_s
        self.idle: list[ExecutionEnvironment] = []
        self.allocated = 0
        self.target = 0
        self.excess = 0  # busy environments to retire when they finish (after a decrease)
        self._gen = 0
        self.busy = 0  # busy PC environments
        self.busy_area = 0.0  # ∫ busy dt, for the utilisation points of target tracking
        self._busy_last = 0.0
        self._since = 0.0  # when the configured value (target) last changed: billing (§10.3)
        self._set_allocated(0.0, config.initial, billed_init=False)
        self._set_target_level(0.0, config.initial)
        tt = config.target_tracking
        if config.schedule or tt is not None:
            sim.process(self._controller(start))

    # ------------------------------------------------------------------ environments

    def take(self, now: float) -> ExecutionEnvironment | None:
        """A free PC environment, or None (then the request spills over to on-demand)."""
        if not self.idle:
            return None
        e = self.idle.pop()
        e.busy = True
        self._busy_change(now, +1)
        return e

    def give_back(self, e: ExecutionEnvironment, now: float) -> None:
        """A PC environment finished an invoke at ``now``."""
        self._busy_change(now, -1)
        if e.arrival >= self.warmup:
            self.metrics.pc_billed_ms += billed_ms(e.invoke_s)
        e.busy = False
        if self.excess > 0:  # deallocated while busy
            self.excess -= 1
            self.service.retire_pc_environment(e, now)
            self.service.set_provisioned(self.allocated + self.excess)
            self.metrics.allocated.down(now)  # it left the allocated level only now
            return
        ml = self.service.max_lifetime
        if ml is not None and now - e.born >= ml:
            # recycled: a replacement is initialised in the background (billed, §9)
            e.born = now
            e.reset = False
            self.metrics.reinits += 1
            if now >= self.warmup:
                self.metrics.init_ms += billed_ms(self.service.init_s())
        self.idle.append(e)

    def count_invocation(self, now: float, arrival: float, on_pc: bool) -> None:
        """ProvisionedConcurrencyInvocations / SpilloverInvocations of an invoke starting at
        ``now`` for a request that arrived at ``arrival``."""
        self.metrics.on_invocation(now, arrival, on_pc)

    def _busy_change(self, now: float, delta: int) -> None:
        self.busy_area += self.busy * (now - self._busy_last)
        self._busy_last = now
        self.busy += delta
        self.service.pc_busy += delta
        if delta > 0:
            self.metrics.busy.up(now)
        else:
            self.metrics.busy.down(now)

    # ------------------------------------------------------------------ allocation

    def _set_allocated(self, now: float, value: int, billed_init: bool) -> None:
        svc = self.service
        delta = value - self.allocated
        if delta == 0:
            return
        if delta > 0:
            keep = min(self.excess, delta)  # busy environments due to retire stay after all
            self.excess -= keep  # (they never left the allocated level)
            level = self.metrics.allocated
            for _ in range(delta - keep):
                e = svc.new_pc_environment(now)
                if billed_init and now >= self.warmup:
                    self.metrics.init_ms += billed_ms(svc.init_s())
                self.idle.append(e)
                level.up(now)
        else:
            drop = -delta
            while drop and self.idle:
                svc.retire_pc_environment(self.idle.pop(), now)
                self.metrics.allocated.down(now)
                drop -= 1
            # busy ones retire when their invoke ends (give_back): until then they are PC
            # environments, so ProvisionedConcurrencyUtilization stays ≤ 1 (issue 15)
            self.excess += drop
        self.allocated = value
        # Busy environments deallocated by a decrease still run until their invoke ends: they
        # hold concurrency (of RC or of the account) until then, or on-demand invokes would
        # take those slots too and exceed the limit (issue 15).
        svc.set_provisioned(value + self.excess)

    def close(self, horizon: float) -> None:
        """End of the run: bill the configuration still enabled (the wiring closes metrics)."""
        if self.target > 0:
            self.metrics.on_enabled(self._since, horizon, float(self.target))
        self._since = horizon

    def _set_target_level(self, now: float, value: int) -> None:
        # The configured value is what AWS bills (module docstring): the interval of the old
        # value ends here, once, whatever the allocation is doing.
        if value != self.target:
            if self.target > 0:
                self.metrics.on_enabled(self._since, now, float(self.target))
            self._since = now
        level = self.metrics.target
        while self.target < value:
            level.up(now)
            self.target += 1
        while self.target > value:
            level.down(now)
            self.target -= 1

    def set_target(self, now: float, value: int) -> None:
        """Application Auto Scaling sets the PC target to ``value`` at ``now``."""
        self._set_target_level(now, value)
        self._gen += 1
        if value <= self.allocated:
            self._set_allocated(now, value, billed_init=True)
            return
        cfg = self.config
        delta = value - self.allocated
        ready = now + cfg.allocation_lead_s + 60.0 * delta / cfg.allocation_per_min
        gen = self._gen

        def allocate(_ev: Any) -> None:
            if gen == self._gen:  # not superseded by a later change
                self._set_allocated(self.sim.now, value, billed_init=True)

        self.sim.timeout(ready - now).callbacks.append(allocate)

    # ------------------------------------------------------------------ controller

    def _controller(self, start: datetime) -> Generator[simpy.Event, Any, None]:
        cfg = self.config
        actions: list[tuple[float, int]] = []
        for a in cfg.schedule:
            if a.at_s is not None:
                actions.append((a.at_s, a.value))
            else:
                assert a.cron is not None
                actions.extend((t, a.value) for t in parse(a.cron).times(start, self.horizon))
        actions.sort()
        tt = cfg.target_tracking
        if tt is not None and cfg.initial < tt.min:
            self.set_target(0.0, tt.min)
        next_point = 60.0
        high = low = 0
        last_area = 0.0
        i = 0
        while True:
            t_action = actions[i][0] if i < len(actions) else math.inf
            t_point = next_point if tt is not None else math.inf
            t = min(t_action, t_point)
            if t == math.inf or t >= self.horizon:
                return
            yield self.sim.timeout(t - self.sim.now)
            now = self.sim.now
            if t_action <= t_point:
                self.set_target(now, actions[i][1])
                i += 1
                continue
            assert tt is not None
            next_point += 60.0
            area = self.busy_area + self.busy * (now - self._busy_last)
            busy_avg = (area - last_area) / 60.0
            last_area = area
            if busy_avg <= 0.0 or self.allocated == 0:
                continue  # no data point when idle: no scale-in (§9)
            point = busy_avg / self.allocated
            if point > tt.target_utilization:
                high, low = high + 1, 0
            elif point < 0.9 * tt.target_utilization:
                high, low = 0, low + 1
            else:
                high = low = 0
            if high >= tt.scale_out_points or low >= tt.scale_in_points:
                want = math.ceil(self.allocated * point / tt.target_utilization)
                want = max(tt.min, min(tt.max, want))
                high = low = 0
                if want != self.target:
                    self.set_target(now, want)
