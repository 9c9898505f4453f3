"""The invoke path of a function only synchronous requests reach, fused with its arrival driver.

When one function is the whole model and only sync front doors invoke it, it keeps its
completions off the clock (:meth:`FunctionService.lazy_completions
<lambdasim.service.invoke.FunctionService.lazy_completions>`): its state matters only to its
own next invoke. Its arrival driver (:class:`~lambdasim.service.router.SyncArrivals`) then
runs here: one loop that takes the next arrival time, finishes the completions due before it,
and admits the request, for as long as the next arrival is strictly earlier than everything
else queued on the clock (SimPy's heap and the clock's wake-up queue: a client retry, a
request-rate window, another workload's driver). When something else comes first it returns
the next arrival's time to :func:`lambdasim.clock.run`, which orders it with the rest.

This is :meth:`SyncArrivals._fire`, :meth:`SyncFrontDoor.attempt`, ``_drain``, ``_done``
and the warm start of :meth:`FunctionService.invoke` inlined, every collaborator held in a
local, and nothing else: the same draws in the same order, the same event ids (``next(eid)``
where the clock would have taken one), the same floating-point operations in the same order.
Only a warm start on a live idle environment is inlined; an arrival that would be throttled,
start cold, re-run INIT on a reset environment or meet a reclaimed one on the idle stack goes
to :meth:`FunctionService.invoke` itself, and a window of the request-rate quota to open to
:meth:`SyncFrontDoor.attempt`; ties at one instant and expiry call the general methods too.
It is measured by
``benchmarks/throughput.py`` and held to the general path exactly by
``tests/unit/test_lone_sync.py`` (every result and the trace, on tie-prone random scenarios);
:data:`ENABLED` switches it off. A change to the invoke rules in those methods must be made
here too; that test fails until it is.
"""

from __future__ import annotations

import math
from heapq import heappop, heappush
from typing import TYPE_CHECKING, Any

from lambdasim.clock import next_time, queue_at
from lambdasim.records import ROW, Outcome
from lambdasim.rng import values
from lambdasim.service.invoke import ADMITTED

if TYPE_CHECKING:
    from collections.abc import Iterator

    from lambdasim.clock import Wakeup
    from lambdasim.service.concurrency import RequestRate
    from lambdasim.service.invoke import FunctionService

__all__ = ["ENABLED", "eligible", "run_arrivals"]

#: Use the fused loop when a driver is eligible (tests switch it off to compare).
ENABLED = True

_TIMEOUT = int(Outcome.TIMEOUT)
_ERROR = int(Outcome.ERROR)


def eligible(fn: FunctionService) -> bool:
    """Whether a plain sync front door's driver of ``fn`` may run in :func:`run_arrivals`.

    ``fn`` keeps its own completions (so nothing else observes it between its invokes), has
    no provisioned concurrency and nobody to tell when a slot frees (no async queue); its
    concurrency is the account's (no account-wide level to keep beside it). No caller is ever
    set on its environments (sync requests have none).
    """
    return (
        ENABLED
        and fn.keeps_own_completions
        and fn.pc is None
        and fn.on_free is None
        and fn.account_level is None  # the function's own level is the account's
    )


def run_arrivals(
    fn: FunctionService,
    door: Any,
    rate: RequestRate,
    times: Iterator[float],
    horizon: float,
    w: Wakeup,
) -> float | None:
    """Run a sync driver's arrivals from the one at ``w.when`` (being processed now).

    Parameters
    ----------
    fn : FunctionService
        The function (:func:`eligible`).
    door : SyncFrontDoor
        Its front door: throttles and client retries, and the quota's slow path.
    rate : RequestRate
        The account's request-rate quota (the door's).
    times : iterator of float
        The driver's remaining arrival times (seconds), then +inf.
    horizon : float
        End of the run (seconds): no arrival at or after it.
    w : Wakeup
        The driver's wake-up; on return it holds the last arrival's time and id, as the
        clock would have left it.

    Returns
    -------
    float or None
        The next arrival's time when something else on the clock comes first (or at the
        same instant), None after the last arrival.
    """
    sim = fn.sim
    eid = sim.ids
    own = fn._own_times  # ends with +inf (lazy_completions): own[0] needs no emptiness test
    slots = fn._slots
    pool = fn.pool
    idle = pool.idle  # read again after every call that may rebind it (expire compacts it)
    level = fn.level
    account = fn.account
    rc = fn.reserved
    metrics = fn.metrics
    rows = fn._rows
    pack = ROW.pack_into  # one row: six doubles converted and written in C
    row_size = ROW.size
    durations = values(fn._handler)  # next(durations) is handler(), one call less
    uniform = fn._uniform
    error_rate = fn._error_rate
    errors = error_rate > 0.0
    timeout = fn._timeout
    tracer = fn.tracer
    name = fn.name
    keep_alive = pool.keep_alive
    fixed = pool.fixed_keep_alive  # a constant keep-alive draws nothing: no call for it
    ml = pool.max_lifetime
    if ml is not None and fixed is not None and ml >= horizon + fixed:
        # No environment can reach its lifetime before the end: t - born <= t < horizon <= ml,
        # and a deadline t + fixed <= horizon + fixed <= ml <= born + ml (rounding is
        # monotone), so both lifetime tests below are False for every t; skip them.
        ml = None
    drain = fn._drain
    invoke = fn.invoke
    throttled = door.throttled
    row_end = fn._row_end
    # The concurrency level, the account's busy count, the quota's room and the row buffer's
    # write position live in locals; they are written back before any call that reads them
    # (the general drain, the general invoke, the door's slow path) and on return. For the write
    # position this is needed, not just tidy: a call that finishes an invoke packs its row at
    # ``metrics.row_at``, and a stale local would write over it.
    n, s, smax, edge = level.n, level.s, level.smax, level.edge
    busy, capacity = account.busy, account.capacity
    left = rate.left
    at = metrics.row_at

    now = w.when
    cur = w.seq
    limit = next_time(sim)
    for nxt in times:  # the arrival after the one at ``now``; +inf after the last
        if left > 0:  # SyncFrontDoor.attempt, inlined while the quota's window has room
            left -= 1
            # ---- FunctionService._drain and _done: completions SimPy would process first
            t = own[0]
            while t <= now:
                e = slots[t]  # the environment is its own completion wake-up
                if e.__class__ is list:  # several at one instant (rare): the general drain
                    level.n, level.s, level.smax, account.busy = n, s, smax, busy
                    rate.left = left
                    metrics.row_at = at
                    sim.set_now(now)
                    drain(now, cur)
                    n, s, smax, edge = level.n, level.s, level.smax, level.edge
                    busy = account.busy
                    idle = pool.idle
                    at = metrics.row_at
                    break
                if t == now and e.seq > cur:
                    break
                heappop(own)
                del slots[t]
                # (``e.callbacks`` and ``e.when`` are left as they are: only the clock's own
                # queue reads the first, and _drain sets the second from the queue's key)
                if t >= edge:
                    level.n, level.s, level.smax = n, s, smax
                    level.roll(t)
                    n, s, smax, edge = level.n, level.s, level.smax, level.edge
                n -= 1
                s -= t
                if rc is None:
                    busy -= 1
                if pool.due <= t:
                    pool.expire(t)
                    idle = pool.idle
                if ml is not None and t - e.born >= ml:
                    pool.retire(e, t)
                else:
                    deadline = t + fixed if fixed is not None else t + keep_alive()
                    if ml is not None and e.born + ml < deadline:
                        deadline = e.born + ml
                    e.deadline = deadline
                    e.busy = False
                    if deadline < e.heap_at:
                        pool.push(e, deadline)
                    idle.append(e)
                pack(rows, at, e.start, e.arrival, t, e.invoke_s, e.outcome, 0.0)  # no caller
                at += row_size
                if e.cold:
                    metrics.finished_cold(e)
                if at >= row_end:
                    metrics.row_at = at
                    metrics.flush()
                    at = metrics.row_at
                if tracer is not None:
                    tracer.record(name, e, t, e.outcome, e.invoke_s)
                t = own[0]
            # ---- FunctionService.invoke: a warm start on the most recently used idle
            # environment is inlined; anything else (a throttle, a cold start, a reset
            # environment, a reclaimed one on the stack) is left to invoke itself
            e = None
            if n < rc if rc is not None else busy < capacity:
                if pool.due <= now:
                    pool.expire(now)
                    idle = pool.idle
                if idle:
                    e = idle.pop()
                    if e.dead or e.reset:
                        # put back as it was, for invoke to take (popping first and pushing
                        # back in this rare case is 4 bytecodes per invocation cheaper than
                        # peeking at idle[-1] first)
                        idle.append(e)
                        e = None
            if e is None:
                level.n, level.s, level.smax, account.busy = n, s, smax, busy
                rate.left = left
                metrics.row_at = at
                sim.set_now(now)
                sim.cur_seq = cur
                if invoke(now, now) != ADMITTED:
                    throttled(now, 1)  # a client retry is a SimPy event: it may come first
                n, s, smax, edge = level.n, level.s, level.smax, level.edge
                busy = account.busy
                idle = pool.idle
                at = metrics.row_at
                limit = next_time(sim)
            else:
                e.busy = True
                invoke_s = next(durations)
                if invoke_s > timeout:
                    invoke_s = timeout
                    outcome = _TIMEOUT
                    e.reset = True  # was False: a reset environment goes to invoke
                elif errors and uniform() < error_rate:
                    outcome = _ERROR
                else:
                    outcome = 0
                e.cold = False
                if now >= edge:
                    level.n, level.s, level.smax = n, s, smax
                    level.roll(now)
                    n, s, smax, edge = level.n, level.s, level.smax, level.edge
                n += 1
                s += now
                if n > smax:
                    smax = n
                if rc is None:
                    busy += 1
                e.arrival = now
                e.start = now
                if tracer is not None:
                    # only the tracer reads these of a warm invoke (the metrics read them of
                    # a cold or re-initialised one, which invoke sets)
                    e.suppressed = False
                    e.init_s = 0.0
                e.outcome = outcome
                e.invoke_s = invoke_s
                end = now + invoke_s  # now + 0.0 + invoke_s, exactly (now >= 0)
                if end in slots:  # another completion at this instant: SimPy's order
                    queue_at(own, slots, e, end)
                else:
                    e.seq = next(eid)
                    slots[end] = e
                    heappush(own, end)
        else:  # a window to open, or the quota used up: the door decides
            level.n, level.s, level.smax, account.busy = n, s, smax, busy
            rate.left = left
            metrics.row_at = at
            sim.set_now(now)
            sim.cur_seq = cur
            door.attempt(now, now, 1)
            n, s, smax, edge = level.n, level.s, level.smax, level.edge
            busy = account.busy
            idle = pool.idle
            left = rate.left
            at = metrics.row_at
            limit = next_time(sim)
        if nxt < limit:  # strictly first: the clock would run it at once, with the next id
            now = nxt
            cur = next(eid)
            continue
        break
    else:  # not reached: ``times`` ends with +inf, which is never first
        nxt = math.inf
    # leave everything as the general path would have: the level, the quota, and the clock
    # at the last arrival with its id
    level.n, level.s, level.smax, account.busy = n, s, smax, busy
    rate.left = left
    metrics.row_at = at
    sim.set_now(now)
    sim.cur_seq = cur
    w.when = now
    w.seq = cur
    return nxt if nxt < horizon else None
