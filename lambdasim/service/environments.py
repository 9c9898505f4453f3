"""Execution environments: warm reuse, keep-alive, maximum lifetime (aws-lambda-behaviour.md §1).

An environment serves one request at a time. After a request it is frozen (idle) and kept for a
keep-alive period drawn afresh for each idle period; it is then reclaimed. It is also retired when
it becomes idle after ``max_lifetime_s`` (AWS recycles environments "every few hours", §1.4).

Warm requests go to the most recently used idle environment, which lets older ones expire; this
is the routing SimFaaS uses and the one the steady-state cold-start model assumes
(validation.md §1 item 3).

Nothing here creates a SimPy event: expiry is lazy. Each idle environment has a ``deadline``;
a heap holds, for every idle environment, an entry no later than its deadline. Before the
environment count changes, entries that are due are popped in time order: an environment whose
deadline has come is reclaimed at that deadline, one whose deadline moved later gets a new entry.
A busy environment reused every few milliseconds therefore touches the heap about once per
keep-alive period, not once per request, and the time-weighted environment count is still exact
(architecture.md, "The hot path").
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from typing import Any

from lambdasim.clock import Clock, Wakeup

__all__ = ["EnvironmentPool", "ExecutionEnvironment"]

_INF = math.inf


class ExecutionEnvironment(Wakeup):
    """One execution environment (a Firecracker microVM) and the request it is serving.

    It is also the reusable wake-up of its invokes' completions (its own ``owner``), set up by
    :meth:`arm`: the invoke path queues the environment itself, so a completion reaches one
    object, not a wake-up and then its environment (issue 16: one object fewer per invocation
    to reach in memory, 40 bytes fewer per environment).
    """

    __slots__ = (
        "arrival",
        "born",
        "busy",
        "caller",
        "cold",
        "dead",
        "deadline",
        "heap_at",
        "id",
        "init_s",
        "invoke_s",
        "outcome",
        "pc",
        "reset",
        "start",
        "suppressed",
    )

    def __init__(self, env_id: int, born: float) -> None:
        self.id = env_id
        self.born = born
        self.busy = True
        self.dead = False
        self.pc = False  # a provisioned-concurrency environment
        self.deadline = _INF  # end of the current idle period
        self.heap_at = _INF  # earliest heap entry of this environment
        #: The last invoke crashed or timed out: the next one re-runs INIT first (§1.3).
        self.reset = False
        # the request being served
        self.arrival = 0.0
        self.start = 0.0
        self.cold = False
        self.suppressed = False
        self.init_s = 0.0
        self.invoke_s = 0.0
        self.outcome = 0
        self.caller: Any = None

    def arm(self, sim: Clock, callback: Callable[[Any], float | None]) -> None:
        """Make the environment its own completion wake-up: ``callback(self)`` on ``sim``."""
        Wakeup.__init__(self, sim, callback, self)

    def disarm(self) -> None:
        """Drop the reference to itself (a reclaimed environment): freed by reference counting."""
        self.owner = None


class EnvironmentPool:
    """The execution environments of one function.

    Taking an idle environment and releasing one after its invoke are inlined in the invoke
    path (:meth:`lambdasim.service.invoke.FunctionService.invoke` and ``_done``), which is
    the only place that does either; this class keeps the lazy expiry they share.

    Parameters
    ----------
    keep_alive : callable
        Returns the next keep-alive period (seconds).
    max_lifetime_s : float or None
        Retire an environment that becomes idle at or after this age.
    level : object with ``up(t)`` / ``down(t)``
        Time-weighted count of live environments.
    fixed_keep_alive : float or None
        The keep-alive (seconds) when it is a constant, which ``keep_alive`` then always
        returns without a random draw; None for a distribution.
    """

    def __init__(
        self,
        keep_alive: Callable[[], float],
        max_lifetime_s: float | None,
        level: Any,
        fixed_keep_alive: float | None = None,
    ) -> None:
        self.keep_alive = keep_alive
        self.fixed_keep_alive = fixed_keep_alive
        self.max_lifetime = max_lifetime_s
        self.level = level
        self.idle: list[ExecutionEnvironment] = []  # most recently used last
        self.heap: list[tuple[float, int, ExecutionEnvironment]] = []
        #: Time of the earliest heap entry (infinity when none): the invoke path's one test.
        self.due = _INF
        self.dead_in_idle = 0
        self.live = 0
        self.created = 0
        self._seq = 0

    def expire(self, now: float) -> None:
        """Reclaim every idle environment whose deadline is at or before ``now``."""
        heap = self.heap
        while heap and heap[0][0] <= now:
            at, _, e = heapq.heappop(heap)
            if at != e.heap_at:
                continue  # a superseded entry; the environment has an earlier one
            e.heap_at = _INF
            if e.busy or e.dead:
                continue
            if e.deadline <= at:
                e.dead = True
                e.disarm()
                self.dead_in_idle += 1
                self.live -= 1
                self.level.down(e.deadline)
            else:  # used again since this entry was made: wait for the new deadline
                self.push(e, e.deadline)
        self.due = heap[0][0] if heap else _INF
        # Reclaimed environments stay in the stack until popped; compact when they dominate.
        if self.dead_in_idle > 256 and 2 * self.dead_in_idle > len(self.idle):
            self.idle = [e for e in self.idle if not e.dead]
            self.dead_in_idle = 0

    def push(self, e: ExecutionEnvironment, at: float) -> None:
        """Add a heap entry for ``e`` due at ``at``."""
        self._seq += 1
        e.heap_at = at
        heapq.heappush(self.heap, (at, self._seq, e))
        if at < self.due:
            self.due = at

    def create(self, now: float) -> ExecutionEnvironment:
        """A new environment, busy from ``now`` (when no idle one was found)."""
        e = ExecutionEnvironment(self.created, now)
        self.created += 1
        self.live += 1
        self.level.up(now)
        return e

    def retire(self, e: ExecutionEnvironment, now: float) -> None:
        """Remove a busy environment at ``now`` (its invoke has just ended)."""
        e.dead = True
        e.disarm()
        e.busy = False
        self.live -= 1
        self.level.down(now)
