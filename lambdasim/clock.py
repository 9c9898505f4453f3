"""Cheap wake-ups on SimPy's own event queue.

The invoke path needs one wake-up per completion and the arrival driver one per arrival; nobody
ever waits on them. A :class:`Wakeup` is the smallest object SimPy's ``Environment.step``
processes (it reads ``callbacks``, ``_ok`` and ``_value``), and because each owner has at most
one pending wake-up, the object is reused: no ``Timeout``, no list, no allocation per
invocation beyond the queue entry (architecture.md, "no event for what nobody waits on").
``simpy.Environment`` itself is used unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappush
from typing import Any

import simpy

__all__ = ["LATE", "NORMAL", "Wakeup"]

#: SimPy's priority for ordinary events (``simpy.events.NORMAL``).
NORMAL = 1
#: After every ordinary event of the same instant: for work that should see everything that
#: happens "at the same time" first (SQS pollers receiving messages sent in one burst).
LATE = 2


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
    """

    __slots__ = ("_cbs", "_eid", "_queue", "callbacks", "owner", "priority", "sim")
    _ok = True  # read by simpy.Environment.step
    _value = None

    def __init__(
        self,
        sim: simpy.Environment,
        callback: Callable[[Any], None],
        owner: Any = None,
        priority: int = NORMAL,
    ) -> None:
        self.sim = sim
        self.owner = owner
        self.priority = priority
        self._cbs = (callback,)
        self._queue: list[Any] = sim._queue
        self._eid = sim._eid
        self.callbacks: tuple[Callable[[Any], None], ...] | None = None

    def at(self, when: float) -> None:
        """Schedule the wake-up at absolute time ``when`` (not before now)."""
        self.callbacks = self._cbs
        queue: list[Any] = self._queue
        heappush(queue, (when, self.priority, next(self._eid), self))

    @property
    def pending(self) -> bool:
        """Scheduled and not yet processed."""
        return self.callbacks is not None
