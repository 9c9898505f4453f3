"""Cheap wake-ups on SimPy's own event queue: the one module that knows SimPy's internals.

The invoke path needs one wake-up per completion and the arrival drivers one per arrival; nobody
ever waits on them. A :class:`Wakeup` is the smallest object ``simpy.Environment.step``
processes (it reads ``callbacks``, ``_ok`` and ``_value``), and because each owner has at most
one pending wake-up, the object is reused: no ``Timeout``, no list, no allocation per
invocation beyond the queue entry (architecture.md, "no event for what nobody waits on").
``simpy.Environment`` itself is used unchanged.

SimPy's private attributes (``_queue``, ``_eid``) are read here and nowhere else. The hot path
of :mod:`lambdasim.service.invoke` pushes its completion entries itself, for speed, through the
:class:`EventQueue` this module hands out; the entry layout ``(time, priority, eid, event)`` is
SimPy 4's and is checked by ``tests/unit/test_clock_contract.py``, so a SimPy upgrade that
changes it fails loudly. A wake-up's callback reads the time from :attr:`Wakeup.when` (the time
it was scheduled for, which is the clock's ``now`` while it is processed) instead of the
environment's private ``_now``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from heapq import heappush
from typing import Any, NamedTuple

import simpy

__all__ = ["LATE", "NORMAL", "EventQueue", "Wakeup", "event_queue", "pending_wakeups"]

#: SimPy's priority for ordinary events (``simpy.events.NORMAL``).
NORMAL = 1
#: After every ordinary event of the same instant: for work that should see everything that
#: happens "at the same time" first (SQS pollers receiving messages sent in one burst).
LATE = 2


class EventQueue(NamedTuple):
    """SimPy's event heap and its id counter, for pushing ``(time, priority, next(eid), event)``.

    Attributes
    ----------
    heap : list
        ``simpy.Environment._queue``.
    eid : iterator of int
        ``simpy.Environment._eid``: the tie-breaker that keeps insertion order among events
        of the same time and priority.
    """

    heap: list[Any]
    eid: Iterator[int]


def event_queue(sim: simpy.Environment) -> EventQueue:
    """The event heap and id counter of ``sim`` (see :class:`EventQueue`)."""
    return EventQueue(sim._queue, sim._eid)


class Wakeup:
    """A reusable event that calls ``callback(self)`` when the clock reaches it.

    Parameters
    ----------
    sim : simpy.Environment
        The clock.
    callback : callable
        Called with this object when the wake-up is processed.
    owner : object
        Whatever the callback needs (an execution environment), as ``wakeup.owner``.
    priority : int
        SimPy priority among events of the same instant (:data:`NORMAL` or :data:`LATE`).

    Attributes
    ----------
    when : float
        The time the wake-up was last scheduled for (seconds); while its callback runs, the
        current simulated time.
    armed : tuple of callable
        What :attr:`callbacks` is set to when the wake-up is scheduled.
    """

    __slots__ = ("armed", "callbacks", "eid", "heap", "owner", "priority", "when")
    _ok = True  # read by simpy.Environment.step
    _value = None

    def __init__(
        self,
        sim: simpy.Environment,
        callback: Callable[[Any], None],
        owner: Any = None,
        priority: int = NORMAL,
    ) -> None:
        self.owner = owner
        self.priority = priority
        self.armed = (callback,)
        self.heap: list[Any] = sim._queue
        self.eid: Iterator[int] = sim._eid
        self.when = 0.0
        self.callbacks: tuple[Callable[[Any], None], ...] | None = None

    def at(self, when: float) -> None:
        """Schedule the wake-up at absolute time ``when`` (seconds, not before now)."""
        self.when = when
        self.callbacks = self.armed
        heappush(self.heap, (when, self.priority, next(self.eid), self))

    @property
    def pending(self) -> bool:
        """Scheduled and not yet processed."""
        return self.callbacks is not None


def pending_wakeups(sim: simpy.Environment) -> list[Wakeup]:
    """The wake-ups still scheduled on ``sim``'s queue (after a run: those at or past the end)."""
    out: list[Wakeup] = []
    for entry in sim._queue:
        ev = entry[-1]
        if isinstance(ev, Wakeup) and ev.pending:
            out.append(ev)
    return out
