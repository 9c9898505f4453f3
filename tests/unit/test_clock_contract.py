"""lambdasim.clock merges its wake-up queue with SimPy's event heap: this pins that contract.

:func:`lambdasim.clock.run` must process every event in exactly the order
``simpy.Environment.run`` would, ``(time, priority, eid)``, with wake-ups taking their ids from
SimPy's own counter. If a SimPy release changes the heap entry ``(time, priority, eid, event)``,
the id counter, or how ``run(until=...)`` treats events at the horizon, these tests fail before
any simulation result silently changes. The reference order is computed by SimPy itself: the
same schedule built from plain SimPy events and run with ``Environment.run``.
"""

from __future__ import annotations

from typing import Any

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdasim import clock
from lambdasim.clock import LATE, NORMAL, URGENT, Clock, Wakeup, pending_wakeups

pytestmark = pytest.mark.unit


def test_wakeup_fires_at_its_time_and_reads_the_time_from_when() -> None:
    sim = Clock()
    seen: list[tuple[float, float]] = []
    w = Wakeup(sim, lambda ev: seen.append((ev.when, sim.now)))
    assert not w.pending
    w.at(2.5)
    assert w.pending
    assert pending_wakeups(sim) == [w]
    clock.run(sim, 10.0)
    assert seen == [(2.5, 2.5)]
    assert not w.pending and pending_wakeups(sim) == []
    assert sim.now == 10.0


def test_a_callback_returning_a_time_is_run_again_then() -> None:
    sim = Clock()
    seen: list[float] = []
    calls = [0]

    def again(ev: Any) -> float | None:
        seen.append(sim.now)
        calls[0] += 1
        return sim.now + 1.0 if calls[0] < 3 else None

    Wakeup(sim, again).at(1.0)
    other = Wakeup(sim, lambda ev: seen.append(-ev.when))
    other.at(2.0)  # queued first at 2.0: it comes before the driver's second call
    clock.run(sim, 100.0)
    assert seen == [1.0, -2.0, 2.0, 3.0]


def test_same_instant_order_priority_then_insertion_and_timeouts_interleave() -> None:
    sim = Clock()
    order: list[str] = []
    late = Wakeup(sim, lambda _e: order.append("late"), priority=LATE)
    a = Wakeup(sim, lambda _e: order.append("a"))
    b = Wakeup(sim, lambda _e: order.append("b"))
    late.at(5.0)  # scheduled first, but LATE runs after every ordinary event of the instant
    a.at(5.0)
    t = sim.timeout(5.0)
    t.callbacks.append(lambda _e: order.append("timeout"))
    b.at(5.0)
    clock.run(sim, 6.0)
    assert order == ["a", "timeout", "b", "late"]


def test_events_at_the_horizon_are_not_processed() -> None:
    # The engine counts what happens in [0, horizon): run(until=h) must stop before events at h.
    sim = Clock()
    seen: list[float] = []
    Wakeup(sim, lambda ev: seen.append(ev.when)).at(10.0)
    Wakeup(sim, lambda ev: seen.append(ev.when)).at(9.999)
    clock.run(sim, 10.0)
    assert seen == [9.999]
    assert sim.now == 10.0
    assert [w.when for w in pending_wakeups(sim)] == [10.0]


def test_simpy_heap_entries_and_ids_are_as_the_clock_assumes() -> None:
    # run() reads (time, priority, eid, event) entries of SimPy's heap and SimPy's id counter.
    sim = Clock()
    t = sim.timeout(1.0)
    when, prio, eid, ev = sim._queue[0]
    assert (when, prio, ev) == (1.0, NORMAL, t) and isinstance(eid, int)
    w = Wakeup(sim, lambda _e: None)
    w.at(1.0)
    assert w.seq > eid  # the same counter: a wake-up queued later sorts later
    assert simpy.events.NORMAL == NORMAL and simpy.events.URGENT == URGENT


# One event of a random schedule: (time, priority, kind), kind "w" (a wake-up) or "t" (a SimPy
# event), and for wake-ups how many times its callback re-schedules itself and by how much.
_event = st.tuples(
    st.sampled_from([0.5, 1.0, 1.0, 2.0, 3.0, 5.0]),
    st.sampled_from([URGENT, NORMAL, NORMAL, LATE]),
    st.sampled_from(["w", "t"]),
    st.integers(0, 3),
    st.sampled_from([0.0, 0.25, 1.0]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_event, min_size=1, max_size=25))
def test_run_processes_events_in_simpys_order(events: list[Any]) -> None:
    """The same schedule through SimPy alone and through the clock: the same order of calls.

    Wake-ups that re-schedule themselves from their callback (returning the next time) are
    modelled in SimPy by scheduling a new event from the callback, which is what the clock's
    inline re-run must be equivalent to.
    """

    def simpy_order() -> list[tuple[int, int, float]]:
        sim = simpy.Environment()
        out: list[tuple[int, int, float]] = []

        def fire(k: int, left: int, step: float, prio: int) -> Any:
            def cb(_ev: Any) -> None:
                out.append((k, left, sim.now))
                if left:
                    ev = simpy.Event(sim)
                    ev._ok, ev._value = True, None
                    ev.callbacks.append(fire(k, left - 1, step, prio))
                    sim.schedule(ev, prio, step)

            return cb

        for k, (t, prio, _kind, left, step) in enumerate(events):
            ev = simpy.Event(sim)
            ev._ok, ev._value = True, None
            ev.callbacks.append(fire(k, left, step, prio))
            sim.schedule(ev, prio, t)
        sim.run(until=4.0)
        return out

    def clock_order() -> list[tuple[int, int, float]]:
        sim = Clock()
        out: list[tuple[int, int, float]] = []
        for k, (t, prio, kind, left, step) in enumerate(events):
            if kind == "t":

                def cb(_ev: Any, k: int = k, left: int = left, step: float = step) -> None:
                    out.append((k, left, sim.now))
                    if left:  # a plain SimPy event re-scheduling itself
                        ev = simpy.Event(sim)
                        ev._ok, ev._value = True, None
                        ev.callbacks.append(lambda e, k=k, n=left - 1: cb2(k, n, step))
                        sim.schedule(ev, prio_of[k], step)

                ev = simpy.Event(sim)
                ev._ok, ev._value = True, None
                ev.callbacks.append(cb)
                sim.schedule(ev, prio, t)
            else:
                state = {"left": left}

                def wcb(
                    w: Any, k: int = k, state: dict[str, int] = state, step: float = step
                ) -> Any:
                    out.append((k, state["left"], sim.now))
                    if state["left"]:
                        state["left"] -= 1
                        return w.when + step
                    return None

                Wakeup(sim, wcb, priority=prio).at(t)

        def cb2(k: int, left: int, step: float) -> None:
            out.append((k, left, sim.now))
            if left:
                ev = simpy.Event(sim)
                ev._ok, ev._value = True, None
                ev.callbacks.append(lambda e, k=k, n=left - 1: cb2(k, n, step))
                sim.schedule(ev, prio_of[k], step)

        prio_of = {k: e[1] for k, e in enumerate(events)}
        clock.run(sim, 4.0)
        return out

    assert clock_order() == simpy_order()
