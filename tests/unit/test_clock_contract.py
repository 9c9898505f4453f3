"""lambdasim.clock pushes its wake-ups straight onto SimPy's event heap: this pins that contract.

If a SimPy release changes the heap entry ``(time, priority, eid, event)``, the attributes
``Environment.step`` reads from an event, or how ``run(until=...)`` treats events at the
horizon, these tests fail before any simulation result silently changes.
"""

from __future__ import annotations

from heapq import heappush
from typing import Any

import pytest
import simpy

from lambdasim.clock import LATE, NORMAL, Wakeup, event_queue

pytestmark = pytest.mark.unit


def test_wakeup_fires_at_its_time_and_reads_the_time_from_when() -> None:
    sim = simpy.Environment()
    seen: list[tuple[float, float]] = []
    w = Wakeup(sim, lambda ev: seen.append((ev.when, sim.now)))
    assert not w.pending
    w.at(2.5)
    assert w.pending
    sim.run(until=10.0)
    assert seen == [(2.5, 2.5)]
    assert not w.pending  # SimPy cleared callbacks after processing


def test_a_wakeup_is_reusable_and_an_inline_push_is_equivalent() -> None:
    sim = simpy.Environment()
    seen: list[float] = []
    heap, eid = event_queue(sim)

    def again(ev: Any) -> None:
        seen.append(sim.now)
        if len(seen) < 3:  # re-arm from its own callback, as the invoke path does
            t = sim.now + 1.0
            ev.when = t
            ev.callbacks = ev.armed
            heappush(heap, (t, NORMAL, next(eid), ev))

    w = Wakeup(sim, again)
    w.at(1.0)
    sim.run(until=100.0)
    assert seen == [1.0, 2.0, 3.0]


def test_same_instant_order_priority_then_insertion_and_timeouts_interleave() -> None:
    sim = simpy.Environment()
    order: list[str] = []
    late = Wakeup(sim, lambda _e: order.append("late"), priority=LATE)
    a = Wakeup(sim, lambda _e: order.append("a"))
    b = Wakeup(sim, lambda _e: order.append("b"))
    late.at(5.0)  # scheduled first, but LATE runs after every ordinary event of the instant
    a.at(5.0)
    t = sim.timeout(5.0)
    t.callbacks.append(lambda _e: order.append("timeout"))
    b.at(5.0)
    sim.run(until=6.0)
    assert order == ["a", "timeout", "b", "late"]


def test_events_at_the_horizon_are_not_processed() -> None:
    # The engine counts what happens in [0, horizon): run(until=h) must stop before events at h.
    sim = simpy.Environment()
    seen: list[float] = []
    Wakeup(sim, lambda ev: seen.append(ev.when)).at(10.0)
    Wakeup(sim, lambda ev: seen.append(ev.when)).at(9.999)
    sim.run(until=10.0)
    assert seen == [9.999]
    assert sim.now == 10.0


def test_simpy_reads_only_what_a_wakeup_provides() -> None:
    # Environment.step reads callbacks, _ok and _value; a failed event would raise _value.
    sim = simpy.Environment()
    w = Wakeup(sim, lambda _e: None)
    assert w._ok is True and w._value is None
    heap, _ = event_queue(sim)
    w.at(1.0)
    when, prio, _eid, ev = heap[0]
    assert (when, prio, ev) == (1.0, NORMAL, w)
