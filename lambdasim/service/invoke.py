"""The one invoke path every trigger shares (architecture.md, "Data flows one way").

Admission of one invoke attempt (aws-lambda-behaviour.md §4 "Model implications"):

1. concurrency: below the function's reserved concurrency, or, without RC, below the account's
   unreserved pool — otherwise 429 (Reserved…/ConcurrentInvocationLimitExceeded);
2. an idle warm environment of the function (most recently used first), or else
3. a new environment if the per-function scaling allowance has a token — otherwise 429.

An admitted invoke queues exactly one wake-up for its completion: the environment itself (an
:class:`~lambdasim.service.environments.ExecutionEnvironment` is a reusable
:class:`~lambdasim.clock.Wakeup`, its callback bound once per environment), on the clock's
wake-up queue, or, for a function nobody else observes, on the function's own queue
(:meth:`FunctionService.lazy_completions`). No process, no ``Resource`` request, no
per-invocation object, no call into the metrics (the invoke path appends the row itself). This
module is the hot path of the simulator; it is written for speed (locals, no helper calls on
the warm path) and measured by ``benchmarks/throughput.py``, ``benchmarks/scaling.py`` and
``benchmarks/instructions.py``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Protocol

from lambdasim.clock import Clock, Wakeup, queue_at, wakeup_queue
from lambdasim.records import ROW, LevelSink, Outcome, OutcomeSink, ThrottleReason, Tracer
from lambdasim.service.concurrency import AccountPool, ScalingBucket, Unlimited
from lambdasim.service.environments import EnvironmentPool, ExecutionEnvironment
from lambdasim.service.execution import Execution
from lambdasim.service.provisioned import ProvisionedPool

__all__ = ["ADMITTED", "Caller", "FunctionService"]

#: Return value of :meth:`FunctionService.invoke` for an admitted attempt.
ADMITTED = -1

_RESERVED = int(ThrottleReason.RESERVED_CONCURRENCY)
_ACCOUNT = int(ThrottleReason.ACCOUNT_CONCURRENCY)
_SCALING = int(ThrottleReason.SCALING_RATE)
_pack = ROW.pack_into
_ROW_SIZE = ROW.size
_TIMEOUT = int(Outcome.TIMEOUT)
_ERROR = int(Outcome.ERROR)


class Caller(Protocol):
    """Whoever invoked on behalf of an event source (the async dispatcher, later SQS pollers).

    Told how its admitted invoke ended; sync requests have no caller.
    """

    def on_invoke_done(self, outcome: int, end: float) -> None:
        """The invoke ended at ``end`` with ``outcome`` (:class:`~lambdasim.records.Outcome`)."""


class FunctionService:
    """One function's concurrency, environments and invokes.

    Parameters
    ----------
    sim : Clock
        The simulation clock.
    name : str
        Function name.
    reserved : int or None
        Reserved concurrency.
    account : AccountPool
        The regional pool.
    bucket : ScalingBucket or Unlimited
        Scaling allowance for new environments.
    pool : EnvironmentPool
        The function's environments.
    execution : Execution
        Duration, INIT, timeout and error rules.
    metrics : OutcomeSink
        The outcome sink (:class:`~lambdasim.metrics.function.FunctionMetrics`); its
        ``concurrency`` level is the function's busy count.
    account_level : LevelSink or None
        Account-wide concurrency level (None when the function's own level is the account's).
    tracer : Tracer or None
        Per-invocation log (``trace=True``), or None.
    """

    def __init__(
        self,
        sim: Clock,
        name: str,
        reserved: int | None,
        account: AccountPool,
        bucket: ScalingBucket | Unlimited,
        pool: EnvironmentPool,
        execution: Execution,
        metrics: OutcomeSink,
        account_level: LevelSink | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.sim = sim
        self.name = name
        self.reserved = reserved
        self.account = account
        self.bucket = bucket
        self.pool = pool
        self.execution = execution
        self.metrics = metrics
        #: Busy environments, time-weighted (ConcurrentExecutions); ``level.n`` is the count.
        self.level = metrics.concurrency
        self.account_level = account_level
        self.tracer = tracer
        #: Called with the time after every completion (a slot is free): the async dispatcher
        #: resumes reading.
        self.on_free: Callable[[float], None] | None = None
        #: Provisioned concurrency (None without); busy and allocated PC environments.
        self.pc: ProvisionedPool | None = None
        self.pc_busy = 0
        self.pc_alloc = 0
        self._times, self._slots, self._ids = wakeup_queue(sim)
        #: Completions kept off the clock (:meth:`lazy_completions`): the same queue layout
        #: as the clock's; empty otherwise.
        self._own_times: list[float] = []
        self._rows = metrics.rows
        self._row_end = metrics.row_end
        ex = execution
        self._handler = ex.handler
        self._uniform = ex.uniform
        self._error_rate = ex.error_rate
        self._timeout = ex.timeout

    @property
    def busy(self) -> int:
        """Busy environments (concurrency) now."""
        return int(self.level.n)

    @property
    def keeps_own_completions(self) -> bool:
        """Whether :meth:`lazy_completions` is in force (completions on its own queue)."""
        return self._times is self._own_times

    @property
    def max_lifetime(self) -> float | None:
        """Maximum environment lifetime (seconds), or None."""
        return self.pool.max_lifetime

    def init_s(self) -> float:
        """One INIT duration (seconds): a background initialisation of a PC environment."""
        return self.execution.init()

    def invoke(
        self,
        now: float,
        arrival: float,
        caller: Caller | None = None,
        error: bool | None = None,
        duration_s: float | None = None,
    ) -> int:
        """Try to start one invoke at ``now`` for a request that arrived at ``arrival``.

        ``now`` is the current simulated time (the caller's wake-up time: the invoke path
        never reads the clock). ``caller`` is told how an admitted invoke ends; ``error``
        forces the function-error decision and ``duration_s`` replaces the handler-duration
        draw with a recorded one (see :meth:`Execution.plan`).

        Returns
        -------
        int
            :data:`ADMITTED`, or the :class:`~lambdasim.records.ThrottleReason` of the 429.
        """
        own = self._own_times
        if own and own[0] <= now:
            self._drain(now, self.sim.cur_seq)
        level = self.level
        pc = self.pc
        rc = self.reserved
        if pc is not None:
            if rc is not None and level.n >= rc:
                # PC allocated while on-demand invokes hold RC's slots: a PC environment may
                # not add one more (issue 15: concurrency above reserved concurrency)
                self.metrics.throttled(now, _RESERVED)
                return _RESERVED
            e = pc.take(now)
            if e is not None:
                return self._invoke_on_pc(e, arrival, caller, error, now, duration_s)
        account = self.account
        if rc is not None:
            if pc is None:
                if level.n >= rc:
                    self.metrics.throttled(now, _RESERVED)
                    return _RESERVED
            # PC counts against RC: on-demand may use RC minus the allocated PC (§4.5)
            elif level.n - self.pc_busy >= rc - self.pc_alloc:
                self.metrics.throttled(now, _RESERVED)
                return _RESERVED
        elif account.busy >= account.capacity:
            self.metrics.throttled(now, _ACCOUNT)
            return _ACCOUNT
        # pool.acquire(now), inlined: most recently used live idle environment
        pool = self.pool
        if pool.due <= now:
            pool.expire(now)
        idle = pool.idle
        e = None
        while idle:
            e = idle.pop()
            if e.dead:
                pool.dead_in_idle -= 1
                e = None
                continue
            e.busy = True
            break
        if e is None:
            if not self.bucket.take(now):
                self.metrics.throttled(now, _SCALING)
                return _SCALING
            e = pool.create(now)
            e.arm(self.sim, self._done)
            init_s, invoke_s, outcome, suppressed = self.execution.plan(
                True, False, error, duration_s
            )
            e.cold = True
        elif e.reset:
            init_s, invoke_s, outcome, suppressed = self.execution.plan(
                False, True, error, duration_s
            )
            e.cold = False
        else:
            # The warm path, inlined from Execution.plan.
            init_s = 0.0
            suppressed = False
            invoke_s = self._handler() if duration_s is None else duration_s
            if invoke_s > self._timeout:
                invoke_s = self._timeout
                outcome = _TIMEOUT
            elif error is None:
                if self._error_rate > 0.0 and self._uniform() < self._error_rate:
                    outcome = _ERROR
                else:
                    outcome = 0
            elif error:
                outcome = _ERROR
            else:
                outcome = 0
            e.cold = False
        # concurrency +1 (inlined Level.up)
        if now >= level.edge:
            level.roll(now)
        n = level.n + 1
        level.n = n
        level.s += now
        if n > level.smax:
            level.smax = n
        if rc is None:
            account.busy += 1
        if self.account_level is not None:
            self.account_level.up(now)
        e.reset = outcome == _TIMEOUT
        e.arrival = arrival
        e.start = now
        e.suppressed = suppressed
        e.init_s = init_s
        e.outcome = outcome
        e.invoke_s = invoke_s
        e.caller = caller
        if suppressed or e.cold:
            self.metrics.started(e)
        if pc is not None:
            pc.count_invocation(now, arrival, on_pc=False)
        # the environment is its own completion wake-up
        end = now + init_s + invoke_s
        slots = self._slots
        if end in slots:  # another wake-up at this instant: ordered as SimPy would
            queue_at(self._times, slots, e, end)
        else:  # e.at(end), inlined: this runs once per invoke
            e.when = end
            e.callbacks = e.armed
            e.seq = next(self._ids)
            slots[end] = e
            heappush(self._times, end)
        return ADMITTED

    def _done(self, wake: Wakeup) -> None:
        """Completion of the invoke of ``wake.owner`` (an environment)."""
        e: ExecutionEnvironment = wake.owner
        now = wake.when
        level = self.level
        # concurrency −1 (inlined Level.down)
        if now >= level.edge:
            level.roll(now)
        level.n -= 1
        level.s -= now
        if self.account_level is not None:
            self.account_level.down(now)
        if e.pc:
            assert self.pc is not None
            self.pc.give_back(e, now)
        else:
            if self.reserved is None:
                self.account.busy -= 1
            # pool.release(e, now), inlined: keep the environment warm, or retire it
            pool = self.pool
            if pool.due <= now:
                pool.expire(now)
            ml = pool.max_lifetime
            if ml is not None and now - e.born >= ml:
                pool.retire(e, now)
            else:
                deadline = now + pool.keep_alive()
                if ml is not None and e.born + ml < deadline:
                    deadline = e.born + ml
                e.deadline = deadline
                e.busy = False
                if deadline < e.heap_at:
                    pool.push(e, deadline)
                pool.idle.append(e)
        # metrics.finished(e, now), inlined: one row in the sink's buffer (OutcomeSink.rows)
        caller = e.caller
        metrics = self.metrics
        at = metrics.row_at
        _pack(self._rows, at, e.start, e.arrival, now, e.invoke_s, e.outcome, caller is not None)
        metrics.row_at = at = at + _ROW_SIZE
        if e.cold:
            metrics.finished_cold(e)
        if at >= self._row_end:
            metrics.flush()
        if self.tracer is not None:
            self.tracer.record(self.name, e, now, e.outcome, e.invoke_s)
        if caller is not None:
            e.caller = None
            caller.on_invoke_done(e.outcome, now)
        if self.on_free is not None:
            self.on_free(now)

    # ------------------------------------------------------------------ provisioned concurrency

    def _invoke_on_pc(
        self,
        e: ExecutionEnvironment,
        arrival: float,
        caller: Caller | None,
        error: bool | None,
        now: float,
        duration_s: float | None = None,
    ) -> int:
        """Run the invoke on a free provisioned environment (always initialised, §9)."""
        init_s, invoke_s, outcome, suppressed = self.execution.plan(
            False, e.reset, error, duration_s
        )
        self.level.up(now)
        if self.account_level is not None:
            self.account_level.up(now)
        e.cold = False
        e.reset = outcome == _TIMEOUT
        e.arrival = arrival
        e.start = now
        e.suppressed = suppressed
        e.init_s = init_s
        e.outcome = outcome
        e.invoke_s = invoke_s
        e.caller = caller
        if suppressed or e.cold:
            self.metrics.started(e)
        assert self.pc is not None
        self.pc.count_invocation(now, arrival, on_pc=True)
        e.at(now + invoke_s)
        return ADMITTED

    # ------------------------------------------------------------------ lazy completions

    def lazy_completions(self) -> None:
        """Keep completions off the clock; process them when this function is next invoked.

        Only for a function nobody else observes between its own invokes: the only function
        of the run, invoked by sync front doors only (no provisioned concurrency, no async
        queue, no event-source mapping). Its state then matters only to its own next invoke
        and to the end of the run, so :meth:`invoke` first finishes every completion that
        SimPy would have processed before the current event (:meth:`_drain`, ties by event
        id, as the clock orders them) and :meth:`settle` finishes the rest before the results
        are read. The results are identical to completions on the clock; each costs no queue
        entry on the clock, and the arrival drivers then nearly always run their next arrival
        at once (issue 16, "lazy completions").
        """
        self._times = self._own_times
        self._slots = {}
        # A permanent +inf at the bottom of the own queue (never due, never in ``_slots``):
        # the fused loop of service/lone_sync.py reads ``[0]`` without an emptiness test.
        heappush(self._own_times, math.inf)

    def _drain(self, now: float, cur: int) -> None:
        """Finish the own-queue completions SimPy would process before the event with id
        ``cur`` at ``now`` (those before ``now``, and at ``now`` those with a smaller id)."""
        times = self._times
        slots = self._slots
        done = self._done
        while times:
            t = times[0]
            if t > now:
                return
            w = slots[t]
            if w.__class__ is list:  # several at one instant (rare): SimPy's order
                if t == now and w[0].seq > cur:
                    return
                heappop(times)
                w = w.pop(0)
                if not slots[t]:
                    del slots[t]
            else:
                if t == now and w.seq > cur:
                    return
                heappop(times)
                del slots[t]
            w.when = t  # the fused loop (service/lone_sync.py) does not store it
            w.callbacks = None
            done(w)

    def settle(self, horizon: float) -> None:
        """At the end of the run: finish the own-queue completions before ``horizon``.

        A completion at the horizon itself comes after SimPy's stop event (URGENT) and stays
        in flight, as on the clock.
        """
        if self._own_times:
            self._drain(horizon, -1)

    def report_in_flight(self, pending: list[Wakeup]) -> None:
        """At the horizon: tell the metrics about the invokes still running (counted at start).

        ``pending`` are the wake-ups still on the clock's queue; this function's are the
        completions of its busy environments (and those on its own queue, if it keeps one).
        """
        done = self._done
        own = [
            w
            for entry in (self._slots.values() if self._own_times else ())
            for w in (entry if entry.__class__ is list else [entry])
        ]
        for w in [*pending, *own]:
            if w.armed[0] == done:
                self.metrics.running_at_end(w.owner)

    def new_pc_environment(self, now: float) -> ExecutionEnvironment:
        """An initialised provisioned environment, idle from ``now``."""
        pool = self.pool
        pool.expire(now)  # keep the environment count's changes in time order
        e = ExecutionEnvironment(pool.created, now)
        pool.created += 1
        pool.live += 1
        pool.level.up(now)
        e.pc = True
        e.busy = False
        e.arm(self.sim, self._done)
        return e

    def retire_pc_environment(self, e: ExecutionEnvironment, now: float) -> None:
        """A provisioned environment is deallocated at ``now``."""
        pool = self.pool
        pool.expire(now)
        e.dead = True
        pool.live -= 1
        pool.level.down(now)

    def set_provisioned(self, allocated: int) -> None:
        """The concurrency PC holds changed (allocated, plus deallocated environments still
        busy): without RC it comes out of the unreserved pool (§4.5)."""
        if self.reserved is None:
            self.account.capacity -= allocated - self.pc_alloc
        self.pc_alloc = allocated
