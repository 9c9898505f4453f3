"""The simulation clock: SimPy's environment plus a cheaper queue for wake-ups.

The invoke path needs one wake-up per completion and the arrival drivers one per arrival;
nobody ever waits on them. A :class:`Wakeup` is a reusable event (each owner has at most one
pending), so there is no ``Timeout``, no list and no allocation per invocation.

Wake-ups are not on SimPy's heap of ``(time, priority, eid, event)`` tuples: comparing those
tuples was a fifth of the cost of an invocation, and more as the heap grows. A :class:`Clock`
keeps them in a heap of plain floats (their times) and a dict from time to wake-up
(:class:`WakeupQueue`); each wake-up carries the priority and the id SimPy would have given it
(``seq``, from SimPy's own counter), so :func:`run`, which merges the two queues, processes
every event in exactly SimPy's order ``(time, priority, eid)``. Several wake-ups at one time
share a dict entry (a list in queue order); that is rare and costs a slower path only.

:func:`run` replaces ``simpy.Environment.run``. A wake-up's callback may return the time of its
owner's next wake-up: when that is strictly earlier than everything queued, :func:`run` calls it
again at once without a queue entry (an arrival driver's next arrival often is), else it queues
it. Both give SimPy's order: an entry queued now sorts after every entry of the same time
already queued, so only a strictly earlier time can be the next event.

SimPy's private attributes (``_queue``, ``_eid``, ``_now``) are read here and nowhere else;
``tests/unit/test_clock_contract.py`` pins what this relies on, so a SimPy upgrade that changes
it fails loudly. The invoke path queues its completions inline through the
:class:`WakeupQueue` this module hands out (``times``, ``slots``, ``ids``).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator
from heapq import heappop, heappush
from typing import Any, NamedTuple

import simpy
from simpy.core import StopSimulation

__all__ = [
    "LATE",
    "NORMAL",
    "URGENT",
    "Clock",
    "Wakeup",
    "WakeupQueue",
    "next_time",
    "pending_wakeups",
    "queue_at",
    "run",
    "wakeup_queue",
]

_INF = math.inf

#: SimPy's priority of its ``until`` event (``simpy.events.URGENT``).
URGENT = 0
#: SimPy's priority for ordinary events (``simpy.events.NORMAL``).
NORMAL = 1
#: After every ordinary event of the same instant: for work that should see everything that
#: happens "at the same time" first (SQS pollers receiving messages sent in one burst).
LATE = 2


class Clock(simpy.Environment):
    """A ``simpy.Environment`` with a queue of wake-ups keyed by time alone.

    SimPy events (``Timeout``, processes) work as usual; run it with :func:`run`, which
    processes both queues in SimPy's order.

    Attributes
    ----------
    times : list of float
        Heap of the times of the queued wake-ups (seconds; a time appears once per wake-up).
    slots : dict
        Time → the wake-up queued at it, or a list of them in queue order when several are.
    cur_seq : int
        The SimPy id of the event being processed.
    """

    def __init__(self, initial_time: float = 0.0) -> None:
        super().__init__(initial_time)
        self.times: list[float] = []
        self.slots: dict[float, Any] = {}
        #: The id of the event being processed (a wake-up's ``seq``, a SimPy event's eid):
        #: what an owner that keeps its own wake-ups compares ties with
        #: (:meth:`~lambdasim.service.invoke.FunctionService.lazy_completions`).
        self.cur_seq = 0
        #: SimPy's event-id counter (the same object; SimPy never rebinds it), for code that
        #: runs events inline and must take the ids SimPy would have given them.
        self.ids: Iterator[int] = self._eid

    def set_now(self, t: float) -> None:
        """Set the current time to ``t`` (seconds): for code that runs events inline."""
        self._now = t


class WakeupQueue(NamedTuple):
    """What the invoke path needs to queue a wake-up inline (see :meth:`Wakeup.at`).

    Attributes
    ----------
    times : list of float
        :attr:`Clock.times`.
    slots : dict
        :attr:`Clock.slots`.
    ids : iterator of int
        SimPy's event-id counter (``Environment._eid``): a wake-up's ``seq``.
    """

    times: list[float]
    slots: dict[float, Any]
    ids: Iterator[int]


def wakeup_queue(sim: Clock) -> WakeupQueue:
    """The wake-up queue of ``sim`` and SimPy's id counter (see :class:`WakeupQueue`)."""
    return WakeupQueue(sim.times, sim.slots, sim._eid)


class Wakeup:
    """A reusable event that calls ``callback(self)`` when the clock reaches it.

    Parameters
    ----------
    sim : Clock
        The clock.
    callback : callable
        Called with this object when the wake-up is processed; returns None, or the time
        (seconds, not before now) of the next wake-up, which :func:`run` then schedules.
    owner : object
        Whatever the callback needs (an execution environment), as ``wakeup.owner``.
    priority : int
        SimPy priority among events of the same instant (:data:`NORMAL`, :data:`LATE` or
        :data:`URGENT`).

    Attributes
    ----------
    when : float
        The time the wake-up was last scheduled for (seconds); while its callback runs, the
        current simulated time.
    seq : int
        The SimPy event id it was queued with (order among events of the same time and
        priority).
    armed : tuple of callable
        What :attr:`callbacks` is set to when the wake-up is scheduled.
    """

    __slots__ = ("armed", "callbacks", "ids", "owner", "priority", "seq", "slots", "times", "when")

    def __init__(
        self,
        sim: Clock,
        callback: Callable[[Any], float | None],
        owner: Any = None,
        priority: int = NORMAL,
    ) -> None:
        self.owner = owner
        self.priority = priority
        self.armed = (callback,)
        self.times = sim.times
        self.slots = sim.slots
        self.ids: Iterator[int] = sim._eid
        self.when = 0.0
        self.seq = 0
        self.callbacks: tuple[Callable[[Any], float | None], ...] | None = None

    def at(self, when: float) -> None:
        """Schedule the wake-up at absolute time ``when`` (seconds, not before now).

        The invoke path inlines the common case (no other wake-up at ``when``): set ``when``,
        ``callbacks = armed`` and ``seq = next(ids)``, then ``slots[when] = self`` and
        ``heappush(times, when)``; it calls :func:`queue_at` when ``when in slots``.
        """
        queue_at(self.times, self.slots, self, when)

    @property
    def pending(self) -> bool:
        """Scheduled and not yet processed."""
        return self.callbacks is not None


def queue_at(times: list[float], slots: dict[float, Any], w: Wakeup, when: float) -> None:
    """Queue ``w`` at ``when`` in the queue ``(times, slots)``: the clock's, or an owner's own.

    Several wake-ups at one instant share a slot: a list in SimPy's order (priority, then id).
    """
    w.when = when
    w.callbacks = w.armed
    w.seq = next(w.ids)
    other = slots.get(when)
    if other is None:
        slots[when] = w
    else:
        same = other if other.__class__ is list else [other]
        i = len(same)
        while i and same[i - 1].priority > w.priority:
            i -= 1
        same.insert(i, w)
        slots[when] = same
    heappush(times, when)


def _after(entry: Any, top: tuple[Any, ...]) -> bool:
    """Whether the first wake-up of a :attr:`Clock.slots` entry comes after SimPy's heap entry
    ``top`` of the same time (SimPy's order: priority, then id)."""
    w = entry[0] if entry.__class__ is list else entry
    return bool((w.priority, w.seq) > (top[1], top[2]))


def run(sim: Clock, until: float) -> None:
    """Process ``sim``'s events up to ``until`` (seconds), as ``sim.run(until=until)`` would.

    The same stop event as SimPy's (priority URGENT at ``until``, queued now); events are
    processed in SimPy's order ``(time, priority, id)`` across both queues. Wake-ups are
    dispatched here, SimPy events by ``sim.step()``.
    """
    stop = simpy.Event(sim)
    stop._ok = True
    stop._value = None
    sim.schedule(stop, simpy.events.URGENT, until - sim.now)
    assert stop.callbacks is not None
    stop.callbacks.append(StopSimulation.callback)
    heap = sim._queue
    times = sim.times
    slots = sim.slots
    eid = sim._eid
    step = sim.step
    # The cyclic garbage collector is paused while events run: the model's objects live for
    # the whole run (or are freed by reference counting), and with tens of thousands of
    # environments its periodic scans cost more than the events (benchmarks/scaling.py).
    collecting = gc.isenabled()
    gc.disable()
    try:
        while True:
            top = heap[0]  # never empty before the stop event is processed
            t = times[0] if times else _INF
            if t > top[0] or (t == top[0] and _after(slots[t], top)):
                sim.cur_seq = top[2]  # SimPy's event is next
                step()
                continue
            heappop(times)
            w = slots.pop(t)
            if w.__class__ is list:  # several at this instant: the first, the rest stay
                rest = w
                w = rest.pop(0)
                if rest:
                    slots[t] = rest
            sim._now = t
            sim.cur_seq = w.seq
            callback = w.armed[0]
            w.callbacks = None
            nxt = callback(w)
            while nxt is not None:  # the owner's next wake-up
                if nxt < heap[0][0] and (not times or nxt < times[0]):
                    # strictly first: nothing else can come between, so no queue entry (but
                    # the id it would have had: owners with their own queues compare it)
                    sim._now = nxt
                    w.when = nxt
                    sim.cur_seq = w.seq = next(eid)
                    nxt = callback(w)
                else:
                    w.at(nxt)
                    break
    except StopSimulation:
        pass
    finally:
        if collecting:
            gc.enable()


def next_time(sim: Clock) -> float:
    """The time of the first event queued on ``sim`` (SimPy's heap or the wake-up queue)."""
    t = sim._queue[0][0]  # never empty while running: the stop event is on it
    times = sim.times
    return times[0] if times and times[0] < t else t


def pending_wakeups(sim: Clock) -> list[Wakeup]:
    """The wake-ups still queued on ``sim`` (after a run: those at or past the end)."""
    out: list[Wakeup] = []
    for entry in sim.slots.values():
        out.extend(entry if entry.__class__ is list else [entry])
    return out
