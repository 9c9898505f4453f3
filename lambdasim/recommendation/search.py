"""The adaptive search: screen a coarse lattice, then a pattern search with racing replications.

1. **Screen**: a lattice of each knob's domain (its ends and evenly spaced values, at most
   ``SCREEN_SHARE`` of the budget), one block of replications per point.
2. **Lead**: the *leader* is the point with the lowest mean objective among those whose means
   meet every SLO and that are not proven to miss one (ties: the smaller knob values).
3. **Decide** (racing): the leader gets replications until its intervals decide every SLO;
   so does any undecided point whose objective is below the leader's or above it by at most
   ``objective_tol`` (paired over common replications: it could still be the answer);
   two proven points whose objectives differ by more than ``objective_tol`` but whose paired
   (common random numbers) interval still contains 0 get replications to separate them.
   A point that reaches the last block undecided is left as unresolved. A point whose runs are
   identical to those of a point with smaller knob values (a reserved concurrency that never
   binds) is its *twin*: it can only tie it, so it is not replicated, polled from or chosen.
4. **Poll** (pattern search): around the leader, at each knob's current step, the points one
   step below and above (not toward a side whose objective rises when the other falls: the
   objective is taken as unimodal along each knob); when a knob's polls are decided and none is
   better, its step halves, down to the domain's own resolution (1 MB for ``128..3008``).
5. **Stop** when the leader is proven and every knob's step is 1 with its polls decided
   (converged), or when the next round does not fit the budget (then the best *proven* point is
   returned and the outcome says so), or when no point is left that could be feasible.

Every decision depends only on results, which depend only on (scenario, seed, block, rep), so
the search takes the same path whatever ``n_jobs`` is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lambdasim.recommendation.evaluate import BLOCKS, Evaluator, Point
from lambdasim.recommendation.knobs import Knob
from lambdasim.recommendation.slos import Objective, Slo
from lambdasim.recommendation.stats import PointStats, identical, paired, summarize

__all__ = ["Outcome", "search"]

#: Share of the budget the screening lattice may use.
SCREEN_SHARE = 0.4
#: At most this many undecided rivals and objective ties get replications per round.
MAX_RIVALS = 3
MAX_TIES = 2


@dataclass
class Outcome:
    """What the search found. ``status``: proven, budget, unproven or infeasible."""

    status: str
    chosen: Point | None
    leader: Point | None
    closest: Point | None
    stats: dict[Point, PointStats]
    origin: dict[Point, str]
    invalid: dict[Point, str]
    unresolved: set[Point]
    steps: list[int]
    runs: int
    rounds: int
    order: list[Point] = field(default_factory=list)


def _lattice(knobs: Sequence[Knob], cap: int) -> tuple[list[list[int]], list[int]]:
    """Level indices per knob (product ≤ cap where possible) and the stride of each."""
    sizes = [len(k) for k in knobs]
    levels = [min(n, 2) for n in sizes]
    while True:
        gaps = [
            ((n - 1) / (k - 1) if k > 1 else 0.0, j)
            for j, (n, k) in enumerate(zip(sizes, levels, strict=True))
            if k < n
        ]
        if not gaps:
            break
        _, j = max(gaps)
        trial = levels.copy()
        trial[j] += 1
        if math.prod(trial) > cap:
            break
        levels = trial
    idx = []
    strides = []
    for n, k in zip(sizes, levels, strict=True):
        if k <= 1:
            idx.append([0])
            strides.append(1)
            continue
        idx.append(sorted({round(i * (n - 1) / (k - 1)) for i in range(k)}))
        strides.append(max(1, math.ceil((n - 1) / (k - 1))))
    return idx, strides


class _Search:
    def __init__(
        self,
        ev: Evaluator,
        knobs: Sequence[Knob],
        slo_list: Sequence[Slo],
        obj: Objective,
        *,
        budget: int,
        confidence: float,
        objective_tol: float,
        log: Callable[[str], None],
    ) -> None:
        self.ev, self.knobs, self.slos, self.obj = ev, list(knobs), list(slo_list), obj
        self.budget, self.conf, self.tol, self.log = budget, confidence, objective_tol, log
        self.index = [{v: i for i, v in enumerate(k.values)} for k in self.knobs]
        self.steps: dict[Point, list[int]] = {}
        self.origin: dict[Point, str] = {}
        self.order: list[Point] = []
        self.invalid: dict[Point, str] = {}
        self.unresolved: set[Point] = set()
        self.stats: dict[Point, PointStats] = {}
        self._twins: dict[Point, Point | None] = {}
        self.rounds = 0

    # ----------------------------------------------------------------- helpers

    def key(self, p: Point) -> tuple[int, ...]:
        return tuple(ix[v] for ix, v in zip(self.index, p, strict=True))

    def point(self, key: Sequence[int]) -> Point:
        return tuple(k.values[i] for k, i in zip(self.knobs, key, strict=True))

    def valid(self, p: Point) -> bool:
        if p in self.invalid:
            return False
        sc = self.ev.scenario(p)
        if isinstance(sc, str):
            self.invalid[p] = sc
            return False
        return True

    def stat(self, p: Point) -> PointStats:
        s = self.stats.get(p)
        if s is None or s.n + s.n_failed != self.ev.reps(p):
            s = summarize(self.ev.observations(p), self.slos, self.obj, self.conf)
            self.stats[p] = s
        return s

    def rank(self, p: Point) -> tuple[float, tuple[int, ...]]:
        m = self.stat(p).objective
        return (m if not math.isnan(m) else math.inf, self.key(p))

    def twin(self, p: Point) -> Point | None:
        """The point with the smallest knob values whose runs are identical to ``p``'s."""
        if p in self._twins:
            return self._twins[p]
        sp = self.stat(p)
        kp = self.key(p)
        found = None
        for q in sorted(self.order, key=self.key):
            if self.key(q) >= kp:
                break
            if self.ev.blocks(q) and identical(self.stat(q), sp):
                found = self.twin(q) or q
                break
        if found is not None:
            self._twins[p] = found  # twins get no more blocks: the finding stays true
        return found

    def better(self, a: Point, b: Point) -> bool:
        """Whether ``a``'s objective is below ``b``'s by more than the tolerance.

        Compared over their common replications (paired: common random numbers), so that two
        points with different numbers of replications are not ranked by different samples.
        """
        sa, sb = self.stat(a), self.stat(b)
        margin = self.tol * abs(sb.objective) if not math.isnan(sb.objective) else 0.0
        d, _, n = paired(sa, sb, self.conf)
        if n == 0 or math.isnan(d):
            return self.rank(a)[0] < self.rank(b)[0] - margin
        return d < -margin

    def close(self, a: Point, b: Point) -> bool:
        """Whether ``a`` could still be as cheap as ``b``: better, or worse by at most the
        tolerance (paired). Such undecided points get replications."""
        sa, sb = self.stat(a), self.stat(b)
        margin = self.tol * abs(sb.objective) if not math.isnan(sb.objective) else 0.0
        d, _, n = paired(sa, sb, self.conf)
        if n == 0 or math.isnan(d):
            return self.rank(a)[0] <= self.rank(b)[0] + margin
        return d <= margin

    def best_of(self, points: Sequence[Point]) -> Point | None:
        """The lowest mean, unless a later point is paired-better (ties: smaller values)."""
        if not points:
            return None
        ranked = sorted(points, key=self.rank)
        best = ranked[0]
        for q in ranked[1:]:
            if self.better(q, best):
                best = q
        return best

    def add(self, p: Point, origin: str, steps: list[int]) -> None:
        if p not in self.origin:
            self.origin[p] = origin
            self.order.append(p)
            self.steps[p] = list(steps)

    def can_replicate(self, p: Point) -> bool:
        return self.ev.blocks(p) < len(BLOCKS)

    # ----------------------------------------------------------------- the loop

    def run(self) -> Outcome:
        d = len(self.knobs)
        spread = sum(len(k) > 1 for k in self.knobs)
        cap = max(2**spread, int(SCREEN_SHARE * self.budget / BLOCKS[0]))
        idx, strides = _lattice(self.knobs, cap)
        import itertools

        screen = [self.point(key) for key in itertools.product(*idx)]
        for p in screen:
            if self.valid(p):
                self.add(p, "screen", strides)
        if not self.order:
            return self._outcome("invalid", None, None, strides)
        first = {p: 0 for p in self.order}
        if not self._execute(first, [list(first)], "screen"):
            return self._finish(budget_spent=True, steps=strides)
        del d
        while True:
            requests, halved = self._plan()
            if not requests:
                if halved:
                    continue
                return self._finish(budget_spent=False, steps=strides)
            if not self._execute(*requests, "search"):
                return self._finish(budget_spent=True, steps=strides)

    def _candidates(self) -> list[Point]:
        out = []
        for p in self.order:
            if p in self.unresolved or self.ev.blocks(p) == 0 or self.twin(p) is not None:
                continue
            s = self.stat(p)
            if s.status in ("feasible", "unsure") and s.likely:
                out.append(p)
        return out

    def leader(self) -> Point | None:
        return self.best_of(self._candidates())

    def _plan(self) -> tuple[tuple[dict[Point, int], list[list[Point]]] | None, bool]:
        """The next round's requests, in priority groups; and whether a step was halved."""
        lead = self.leader()
        # leader, polls, likely-feasible rivals, other rivals, ties
        prio: list[list[Point]] = [[], [], [], [], []]
        halved = False
        if lead is None:
            undecided = [
                p
                for p in self.order
                if p not in self.unresolved
                and self.ev.blocks(p) > 0
                and self.stat(p).status == "unsure"
                and self.twin(p) is None
            ]
            undecided.sort(key=lambda p: (self.stat(p).violation(), self.key(p)))
            for p in undecided[:MAX_RIVALS]:
                self._want(p, prio[0])
            return (self._requests(prio) if any(prio) else None), False
        ls = self.stat(lead)
        if ls.status == "unsure":
            self._want(lead, prio[0])
        rivals = [
            p
            for p in self.order
            if p != lead
            and p not in self.unresolved
            and self.ev.blocks(p) > 0
            and self.stat(p).status == "unsure"
            and self.twin(p) is None
            and self.close(p, lead)
        ]
        for p in sorted(rivals, key=self.rank)[:MAX_RIVALS]:
            self._want(p, prio[2] if self.stat(p).likely else prio[3])
        if ls.status == "feasible":
            tol = self.tol * abs(ls.objective)
            ties = []
            for p in self.order:
                s = self.stat(p)
                if p == lead or s.status != "feasible" or p in self.unresolved:
                    continue
                if self.twin(p) is not None:
                    continue
                mean, hw, _ = paired(s, ls, self.conf)
                if abs(mean) > tol and mean - hw < 0.0 < mean + hw:
                    ties.append(p)
            for p in sorted(ties, key=self.rank)[:MAX_TIES]:
                self._want(p, prio[4])
                self._want(lead, prio[4])
        polls, halved = self._polls(lead)
        prio[1].extend(polls)
        return (self._requests(prio) if any(prio) else None), halved

    def _want(self, p: Point, bucket: list[Point]) -> None:
        if self.can_replicate(p):
            if p not in bucket:
                bucket.append(p)
        elif self.stat(p).status == "unsure":
            self.unresolved.add(p)

    def _requests(self, prio: list[list[Point]]) -> tuple[dict[Point, int], list[list[Point]]]:
        req: dict[Point, int] = {}
        groups = []
        for bucket in prio:
            g = [p for p in bucket if p not in req]
            for p in g:
                req[p] = self.ev.blocks(p)
            groups.append(g)
        return req, groups

    def _line(self, lead: Point, j: int, i: int) -> Point:
        key = list(self.key(lead))
        key[j] = i
        return self.point(key)

    def _polls(self, lead: Point) -> tuple[list[Point], bool]:
        """New poll points around the leader; halve the steps of knobs that are done."""
        steps = self.steps[lead]
        key = self.key(lead)
        new: list[Point] = []
        halved = False
        for j, knob in enumerate(self.knobs):
            n = len(knob)
            if n == 1:
                continue
            h = steps[j]
            sides = []
            for sign in (-1, 1):
                i = min(n - 1, max(0, key[j] + sign * h))
                if i != key[j]:
                    sides.append((sign, i))
            pending = False
            for sign, i in sides:
                if self._uphill(lead, j, -sign, h):
                    continue
                q = self._line(lead, j, i)
                if not self.valid(q):
                    continue
                if q not in self.origin:
                    self.add(q, "poll", steps)
                    new.append(q)
                    pending = True
                elif self.ev.blocks(q) == 0:
                    pending = True
                elif self._open(q, lead):
                    pending = True
            if not pending and h > 1:
                steps[j] = max(1, h // 2)
                halved = True
        return new, halved

    def _uphill(self, lead: Point, j: int, toward: int, h: int) -> bool:
        """Whether the nearest evaluated point within 2h on side ``toward`` is cheaper.

        Then the other side rises (unimodal objective along the knob) and is not polled.
        """
        key = self.key(lead)
        for dist in range(1, 2 * h + 1):
            i = key[j] + toward * dist
            if not 0 <= i < len(self.knobs[j]):
                return False
            q = self._line(lead, j, i)
            if q in self.origin and self.ev.blocks(q) > 0 and self.stat(q).status != "error":
                return self.better(q, lead)
        return False

    def _open(self, q: Point, lead: Point) -> bool:
        """A poll point that could still beat the leader and is not decided."""
        if q in self.unresolved or self.twin(q) is not None:
            return False
        return self.stat(q).status == "unsure" and self.close(q, lead)

    def _execute(self, req: dict[Point, int], groups: list[list[Point]], what: str) -> bool:
        """Run what fits in the budget, by priority; False when nothing fits."""
        left = self.budget - self.ev.runs
        todo: dict[Point, int] = {}
        for g in groups:
            for p in g:
                size = BLOCKS[req[p]]
                if size <= left:
                    todo[p] = req[p]
                    left -= size
        if not todo:
            return False
        self.rounds += 1
        runs = sum(BLOCKS[b] for b in todo.values())
        self.ev.run(todo)
        self.log(
            f"round {self.rounds} ({what}): {len(todo)} point(s), {runs} run(s); "
            f"{self.ev.runs}/{self.budget} runs used"
        )
        return len(todo) == len(req)

    # ----------------------------------------------------------------- result

    def _finish(self, *, budget_spent: bool, steps: list[int]) -> Outcome:
        lead = self.leader()
        feasible = [
            p
            for p in self.order
            if self.ev.blocks(p) and self.stat(p).status == "feasible" and self.twin(p) is None
        ]
        best = self.best_of(feasible)
        if best is not None and best == lead and not budget_spent:
            status = "proven"
        elif best is not None:
            status = "budget" if budget_spent else "proven"
        elif lead is not None:
            status = "unproven"
        else:
            status = "infeasible"
        return self._outcome(status, best, lead, steps)

    def _outcome(
        self, status: str, chosen: Point | None, lead: Point | None, steps: list[int]
    ) -> Outcome:
        done = [p for p in self.order if self.ev.blocks(p) and self.stat(p).status != "error"]
        closest = None
        if chosen is None and done:
            closest = min(done, key=lambda p: (self.stat(p).violation(), self.rank(p)))
        return Outcome(
            status=status,
            chosen=chosen,
            leader=lead,
            closest=closest,
            stats={p: self.stat(p) for p in self.order if self.ev.blocks(p)},
            origin=dict(self.origin),
            invalid=dict(self.invalid),
            unresolved=set(self.unresolved),
            steps=self.steps.get(chosen, steps) if chosen is not None else steps,
            runs=self.ev.runs,
            rounds=self.rounds,
            order=[p for p in self.order if self.ev.blocks(p)],
        )


def search(
    ev: Evaluator,
    knobs: Sequence[Knob],
    slo_list: Sequence[Slo],
    obj: Objective,
    *,
    budget: int,
    confidence: float,
    objective_tol: float = 0.001,
    log: Callable[[str], None] | None = None,
) -> Outcome:
    """Run the search of the module docstring with ``ev`` (see :class:`Outcome`)."""
    s = _Search(
        ev,
        knobs,
        slo_list,
        obj,
        budget=budget,
        confidence=confidence,
        objective_tol=objective_tol,
        log=log or (lambda _msg: None),
    )
    return s.run()
