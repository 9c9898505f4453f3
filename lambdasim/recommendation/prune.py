"""Theory first: knob values the closed forms rule out before anything is simulated.

Only rules that cannot remove the answer are applied (each is a bound, not an estimate):

* **Memory, same speed** (the power curve's vCPU rule, :mod:`lambdasim.power`): memory sizes
  with the same duration factor (above 1,769 MB × ``threads``, or every size when the duration
  does not scale) give identical runs under common random numbers and cost more: only the
  smallest of each group is kept. Not with ``cold_start: {model: measured}`` (INIT depends on
  memory) or when another knob changes the function's duration or runtime.
* **Memory, latency floor**: a synchronously invoked function's latency is at least its
  handler duration, so a memory whose duration percentile (the power curve's distribution ×
  duration factor) exceeds a latency SLO by more than :data:`LATENCY_MARGIN` cannot meet it.
* **Reserved concurrency, Erlang-B floor**: with Poisson (or diurnal, non-homogeneous Poisson)
  synchronous arrivals and no client retries the throttle rate is at least B(A, c) at the
  smallest possible load A = λ·E[S] (fastest memory, no INIT; cold starts and a varying rate
  only add blocking). Values with B(0.95·A, c) above a throttle budget are removed. With client
  retries ``throttle_rate`` counts the requests still rejected after the last retry, which
  Erlang-B does not bound: no floor then.
* **Reserved / provisioned concurrency, M/G/∞ ceiling**: the number of busy environments is
  Poisson(A) at most; above its 1 − 10⁻⁶ quantile (at 1.25 × the peak load with every request
  cold) a reserved concurrency never binds and provisioned environments are never all busy, so
  larger values behave like the smallest of them and (PC) cost more: they are removed (null,
  "no limit", is kept).

A domain is never emptied: when every value fails a floor, the value closest to it is kept so
that the simulation can report the closest point. Everything removed is reported (``.why``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lambdasim.config import Function, Scenario
from lambdasim.config.runtime import MeasuredColdStart
from lambdasim.recommendation.knobs import Knob
from lambdasim.recommendation.slos import Objective, Slo

__all__ = ["LATENCY_MARGIN", "Pruning", "prune"]

#: A memory is removed only when its handler percentile alone exceeds the bound by this factor
#: (sampling error of the percentile, the latency histogram's 1 % relative accuracy).
LATENCY_MARGIN = 1.05
#: Erlang-B floor at this fraction of the estimated load.
LOAD_SLACK = 0.95
#: M/G/∞ ceiling: tail probability, and load headroom.
CEILING_TAIL = 1e-6
CEILING_HEADROOM = 1.25
#: Paths under a function that change its duration or INIT (no memory pruning with them).
_SPEED_FIELDS = ("duration", "cold_start", "runtime", "architecture", "package_mb", "package_type")
_SAMPLES = 200_000


@dataclass(frozen=True)
class Pruning:
    """Values of one knob removed by one rule."""

    path: str
    removed: tuple[Any, ...]
    rule: str
    reason: str

    def text(self) -> str:
        vals = _span(self.removed)
        return f"{self.path} {vals} ({len(self.removed)} value(s)) — {self.rule}: {self.reason}"


def _span(values: Sequence[Any]) -> str:
    nums = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(nums) == len(values) and len(values) > 3:
        return f"{min(nums):g}..{max(nums):g}"
    return ", ".join("null" if v is None else f"{v}" for v in values)


def _fn_knobs(knobs: Sequence[Knob], fname: str) -> dict[str, Knob]:
    return {k.path.split(".", 2)[2]: k for k in knobs if k.function == fname}


def _sync_poisson(sc: Scenario, fname: str) -> tuple[float, float] | None:
    """(mean λ, peak λ) of a function fed only by sync Poisson / diurnal workloads, else None."""
    fn = sc.functions[fname]
    if fn.trigger is not None:
        return None
    for other in sc.functions.values():
        a = other.async_config
        for d in (a.on_success, a.on_failure):
            if d is not None and d.function == fname:
                return None  # also invoked by a destination: not Poisson
    mean = peak = 0.0
    found = False
    for w in sc.workloads:
        if w.target != fname:
            continue
        if w.invocation != "sync":
            return None
        kind = getattr(w.arrivals, "kind", None)
        if kind == "poisson":
            rate = float(w.arrivals.rate_per_s)  # type: ignore[union-attr]
            mean, peak = mean + rate, peak + rate
        elif kind == "diurnal":
            rate = float(w.arrivals.mean_rate_per_s)  # type: ignore[union-attr]
            mean += rate
            peak += rate * float(w.arrivals.peak_to_mean)  # type: ignore[union-attr]
        else:
            return None
        found = True
    return (mean, peak) if found else None


def _with_memory(fn: Function, m: int) -> Function:
    return fn.model_copy(update={"memory_mb": int(m)})


def _memories(fn: Function, mem_knob: Knob | None) -> list[int]:
    if mem_knob is None:
        return [fn.memory_mb]
    return [int(v) for v in mem_knob.values if isinstance(v, int | float)]


def _poisson_quantile(load: float, tail: float) -> int:
    """Smallest k with P(Poisson(load) > k) < tail (M/G/∞ busy environments)."""
    from lambdasim.theory import mg_inf_pmf

    top = int(load + 12.0 * math.sqrt(load + 1.0) + 30)
    cdf = np.cumsum(mg_inf_pmf(load, np.arange(top + 1)))
    above = np.nonzero(1.0 - cdf < tail)[0]
    return int(above[0]) if above.size else top


def _speed_ok(knobs: Sequence[Knob], fname: str) -> bool:
    own = _fn_knobs(knobs, fname)
    return not any(rest.split(".")[0] in _SPEED_FIELDS for rest in own)


def _prune_memory(
    sc: Scenario, k: Knob, slo_list: Sequence[Slo], knobs: Sequence[Knob], notes: list[str]
) -> tuple[Knob, list[Pruning]]:
    fname = k.function
    assert fname is not None
    fn = sc.functions[fname]
    out: list[Pruning] = []
    values = [v for v in k.values if isinstance(v, int) and not isinstance(v, bool)]
    if len(values) != len(k.values):
        return k, out
    if not _speed_ok(knobs, fname):
        notes.append(f"{k.path}: not pruned (another knob changes the function's duration or INIT)")
        return k, out
    factors = {m: _with_memory(fn, m).duration_factor() for m in values}
    keep = list(values)
    if not isinstance(fn.cold_start, MeasuredColdStart):
        groups: dict[float, list[int]] = {}
        for m in values:
            groups.setdefault(factors[m], []).append(m)
        removed = tuple(m for g in groups.values() for m in g[1:])
        if removed:
            threads = fn.duration.threads
            out.append(
                Pruning(
                    k.path,
                    removed,
                    "power curve",
                    "the same duration as a smaller memory "
                    + (
                        f"(the handler uses at most {threads} vCPU(s), reached at "
                        f"{1769 * min(threads, 6):,} MB)"
                        if fn.duration.memory_ref_mb is not None and fn.duration.cpu_bound > 0
                        else "(the duration does not scale with memory)"
                    )
                    + ": identical runs, higher GB-s cost",
                )
            )
            keep = [m for m in keep if m not in set(removed)]
    # latency floor: latency >= handler duration for a sync-only function
    lat = [
        s
        for s in slo_list
        if s.hi is not None
        and s.function in (None, fname)
        and (s.metric == "latency_mean_s" or s.metric.startswith("latency_p"))
    ]
    if lat and _sync_poisson(sc, fname) is not None and fn.error_rate < 0.5:
        g = np.random.Generator(np.random.PCG64(0))
        base = fn.duration.build().sample(g, _SAMPLES)
        for s in lat:
            assert s.hi is not None
            if s.metric == "latency_mean_s":
                stat = float(np.mean(base))
            else:
                try:
                    p = float(s.metric[len("latency_p") : -2])
                except ValueError:
                    continue
                stat = float(np.quantile(base, p / 100.0))
            floor = {m: stat * factors[m] for m in keep}
            too_slow = tuple(
                m for m in keep if floor[m] > LATENCY_MARGIN * s.hi and floor[m] < fn.timeout_s
            )
            if too_slow and len(too_slow) == len(keep):
                too_slow = tuple(m for m in too_slow if m != max(keep))  # keep the fastest
            if too_slow:
                out.append(
                    Pruning(
                        k.path,
                        too_slow,
                        "latency floor",
                        f"the handler's {s.metric.removeprefix('latency_')[:-2]} duration alone "
                        f"is above {s.name} <= {s.hi:g} s (power curve: "
                        f"{floor[max(too_slow)]:.3g} s at {max(too_slow)} MB)",
                    )
                )
                keep = [m for m in keep if m not in set(too_slow)]
    return Knob(k.path, tuple(keep), k.spec), out


def _load(sc: Scenario, fname: str, knobs: Sequence[Knob]) -> tuple[float, float, float] | None:
    """(smallest mean load, mean λ, largest peak load with INIT) of a sync Poisson function."""
    rates = _sync_poisson(sc, fname)
    if rates is None:
        return None
    fn = sc.functions[fname]
    mem = _fn_knobs(knobs, fname).get("memory_mb")
    if not _speed_ok(knobs, fname):
        return None
    mems = _memories(fn, mem)
    dist = fn.duration.build()
    means = [dist.mean * _with_memory(fn, m).duration_factor() for m in mems]
    init = max(_with_memory(fn, m).cold_start_dist().mean for m in mems)
    lam, peak = rates
    return lam * min(means), lam, CEILING_HEADROOM * peak * (max(means) + init)


def _null_capacity(sc: Scenario, fname: str) -> int:
    """Concurrency the unreserved pool offers a function with ``reserved_concurrency: null``."""
    others = sum(f.reserved_concurrency or 0 for n, f in sc.functions.items() if n != fname)
    return max(0, sc.account.concurrency - others)


def _prune_concurrency(
    sc: Scenario, k: Knob, slo_list: Sequence[Slo], knobs: Sequence[Knob], notes: list[str]
) -> tuple[Knob, list[Pruning]]:
    from lambdasim.theory import erlang_b

    fname = k.function
    assert fname is not None
    out: list[Pruning] = []
    ints = [v for v in k.values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ints) + sum(v is None for v in k.values) != len(k.values):
        return k, out  # schedules or other non-numbers: no closed form
    loads = _load(sc, fname, knobs)
    if loads is None:
        notes.append(
            f"{k.path}: no closed form (needs sync Poisson or diurnal arrivals only, and no "
            "knob on the duration)"
        )
        return k, out
    a_lo, _, a_hi = loads
    keep = list(k.values)
    if k.field == "reserved_concurrency":
        budgets = [
            s.hi
            for s in slo_list
            if s.metric == "throttle_rate" and s.hi is not None and s.function in (None, fname)
        ]
        retried = any(
            w.target == fname and w.client_retry is not None and w.client_retry.max_attempts > 1
            for w in sc.workloads
        )
        if budgets and retried:
            # throttle_rate counts requests rejected after every client retry; Erlang-B is
            # the rate of rejected *attempts* (throttle_events), so it bounds nothing here
            notes.append(
                f"{k.path}: no Erlang-B floor (client retries: throttle_rate counts requests "
                "still rejected after every retry, Erlang-B the rejected attempts)"
            )
        elif budgets:
            hi = min(budgets)
            a = LOAD_SLACK * a_lo
            cap = {v: (v if v is not None else _null_capacity(sc, fname)) for v in keep}
            low = tuple(v for v in keep if erlang_b(a, cap[v]) > hi)
            if low and len(low) == len(keep):
                low = tuple(v for v in low if v != keep[-1])  # keep the largest to measure
            if low:
                c_star = next((cap[v] for v in keep if v not in low), None)
                out.append(
                    Pruning(
                        k.path,
                        low,
                        "Erlang-B",
                        f"B(A, c) > {hi:g} at the smallest load A = {a:.3g} Erlangs (λ·E[S] at "
                        "the fastest memory, no INIT): these throttle more than the budget"
                        + (f"; smallest c kept: {c_star}" if c_star is not None else ""),
                    )
                )
                keep = [v for v in keep if v not in low]
    q = _poisson_quantile(a_hi, CEILING_TAIL)
    numeric = [v for v in keep if v is not None]
    above = [v for v in numeric if v >= q]
    if len(above) > 1:
        removed = tuple(above[1:])
        what = (
            "never binds (behaves like the smaller value)"
            if k.field == "reserved_concurrency"
            else "leaves environments that are never busy (the same runs, more PC cost)"
        )
        out.append(
            Pruning(
                k.path,
                removed,
                "M/G/∞",
                f"busy environments exceed {q} with probability < {CEILING_TAIL:g} (Poisson, "
                f"A = {a_hi:.3g} at {CEILING_HEADROOM:g} × the peak load, every request cold); "
                f"a value above {above[0]} {what}",
            )
        )
        keep = [v for v in keep if v not in set(removed)]
    return Knob(k.path, tuple(keep), k.spec), out


def prune(
    sc: Scenario, knobs: Sequence[Knob], slo_list: Sequence[Slo], obj: Objective
) -> tuple[list[Knob], list[Pruning], list[str]]:
    """Apply the theory rules of the module docstring.

    Returns
    -------
    (knobs, prunings, notes)
        The knobs with smaller domains (same order), what was removed and why, and one note per
        knob no rule applies to.
    """
    del obj  # every rule holds whatever is minimised (removed values are never better)
    out: list[Knob] = []
    done: list[Pruning] = []
    notes: list[str] = []
    for k in knobs:
        fname = k.function
        if fname is None or fname not in sc.functions:
            notes.append(f"{k.path}: no closed form (searched by simulation only)")
            out.append(k)
            continue
        if k.field == "memory_mb" and k.path == f"functions.{fname}.memory_mb":
            new, p = _prune_memory(sc, k, slo_list, knobs, notes)
        elif (
            k.field in ("reserved_concurrency", "provisioned_concurrency")
            and k.path.count(".") == 2
        ):
            new, p = _prune_concurrency(sc, k, slo_list, knobs, notes)
        else:
            notes.append(f"{k.path}: no closed form (searched by simulation only)")
            new, p = k, []
        out.append(new)
        done.extend(p)
    return out, done, notes
