"""Synthetic arrival processes, generated lazily in numpy blocks of absolute times (seconds).

Each generator yields non-empty (except possibly the last) float64 arrays of increasing arrival
times; consecutive blocks continue each other. Nothing is drawn before the simulation asks for
it, so an unbounded process costs one block of memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lambdasim import dists
from lambdasim.config.arrivals import (
    ArrivalSpec,
    BurstyArrivals,
    ConstantArrivals,
    DiurnalArrivals,
    PiecewiseArrivals,
    PoissonArrivals,
    RenewalArrivals,
    ScheduleArrivals,
    SuperposeArrivals,
    TraceArrivals,
    exp_sine_kappa,
)
from lambdasim.rng import BLOCK
from lambdasim.schedule import DEFAULT_START, parse

__all__ = [
    "arrival_times",
    "bursty",
    "constant",
    "diurnal",
    "diurnal_rate",
    "merge",
    "named_streams",
    "piecewise",
    "piecewise_rate",
    "poisson",
    "renewal",
    "schedule",
]

Times = NDArray[np.float64]
#: Gives the named random stream of a sub-process (superpose component ``i`` → ``"i"``).
StreamFactory = Callable[[str], np.random.Generator]

# Schedules need a finite end; EventBridge years stop at 2199.
_SCHEDULE_END = datetime(2200, 1, 1, tzinfo=UTC)


def poisson(
    rate_per_s: float, rng: np.random.Generator, block: int = BLOCK, start_s: float = 0.0
) -> Iterator[Times]:
    """Poisson arrivals from ``start_s``: exponential gaps of mean ``1/rate_per_s`` seconds."""
    t = start_s
    while True:
        times = t + np.cumsum(rng.exponential(1.0 / rate_per_s, block))
        t = float(times[-1])
        yield times


def constant(rate_per_s: float, block: int = BLOCK) -> Iterator[Times]:
    """Evenly spaced arrivals at ``k / rate_per_s``, k = 1, 2, ... (no float drift)."""
    k = 1
    gap = 1.0 / rate_per_s
    while True:
        yield np.arange(k, k + block, dtype=np.float64) * gap
        k += block


def renewal(
    interarrival: dists.Distribution, rng: np.random.Generator, block: int = BLOCK
) -> Iterator[Times]:
    """A renewal process: cumulative sums of independent inter-arrival times (seconds)."""
    t = 0.0
    while True:
        times = t + np.cumsum(interarrival.sample(rng, block))
        t = float(times[-1])
        yield times


def diurnal_rate(spec: DiurnalArrivals, t: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rate λ(t) per second of a diurnal process at times ``t`` (seconds)."""
    theta = 2.0 * np.pi * (np.asarray(t, dtype=np.float64) - spec.peak_at_s) / spec.period_s
    m, r = spec.mean_rate_per_s, spec.peak_to_mean
    if spec.shape == "sine":
        return m * (1.0 + (r - 1.0) * np.cos(theta))
    k = exp_sine_kappa(r)
    # exp(κ cos θ)/I0(κ) written with the peak factored out: no overflow for large κ
    return m * r * np.exp(k * (np.cos(theta) - 1.0))


def _thinned(
    lam_max: float,
    ratio: Callable[[Times], NDArray[np.float64]],
    rng: np.random.Generator,
    start_s: float,
    end_s: float,
    block: int,
) -> Iterator[Times]:
    """Lewis–Shedler thinning on [start_s, end_s): candidates at ``lam_max``, each kept with
    probability ``ratio(t)`` = λ(t)/lam_max."""
    t = start_s
    while t < end_s:
        cand = t + np.cumsum(rng.exponential(1.0 / lam_max, block))
        t = float(cand[-1])
        keep = rng.random(block) < ratio(cand)
        out = cand[keep]
        if t >= end_s:
            out = out[out < end_s]
        if out.size:
            yield out


def diurnal(spec: DiurnalArrivals, rng: np.random.Generator, block: int = BLOCK) -> Iterator[Times]:
    """Non-homogeneous Poisson arrivals with the diurnal rate (:func:`diurnal_rate`)."""
    lam_max = spec.mean_rate_per_s * spec.peak_to_mean
    return _thinned(lam_max, lambda t: diurnal_rate(spec, t) / lam_max, rng, 0.0, math.inf, block)


def piecewise_rate(spec: PiecewiseArrivals, t: NDArray[np.float64]) -> NDArray[np.float64]:
    """The rate λ(t) per second of a piecewise process at times ``t`` (seconds)."""
    t = np.asarray(t, dtype=np.float64)
    out = np.zeros_like(t)
    steps = spec.steps
    for i, s in enumerate(steps):
        end = steps[i + 1].at_s if i + 1 < len(steps) else math.inf
        sel = (t >= s.at_s) & (t < end)
        if s.ramp_to_per_s is None:
            out[sel] = s.rate_per_s
        else:
            f = (t[sel] - s.at_s) / (end - s.at_s)
            out[sel] = s.rate_per_s + (s.ramp_to_per_s - s.rate_per_s) * f
    return out


def piecewise(
    spec: PiecewiseArrivals, rng: np.random.Generator, block: int = BLOCK
) -> Iterator[Times]:
    """Poisson arrivals with a piecewise-constant or piecewise-linear rate, segment by segment."""
    steps = spec.steps
    for i, s in enumerate(steps):
        end = steps[i + 1].at_s if i + 1 < len(steps) else math.inf
        if s.ramp_to_per_s is None:
            if s.rate_per_s == 0.0:
                continue
            for b in poisson(s.rate_per_s, rng, block, start_s=s.at_s):
                if b[-1] >= end:
                    b = b[b < end]
                    if b.size:
                        yield b
                    break
                yield b
            continue
        r0, r1 = s.rate_per_s, s.ramp_to_per_s
        lam_max = max(r0, r1)
        if lam_max == 0.0:
            continue
        a, span = s.at_s, end - s.at_s
        yield from _thinned(lam_max, _ramp(a, span, r0, r1, lam_max), rng, a, end, block)


def _ramp(
    a: float, span: float, r0: float, r1: float, m: float
) -> Callable[[Times], NDArray[np.float64]]:
    def ratio(t: Times) -> NDArray[np.float64]:
        return (r0 + (r1 - r0) * (t - a) / span) / m

    return ratio


def bursty(spec: BurstyArrivals, rng: np.random.Generator, block: int = BLOCK) -> Iterator[Times]:
    """MMPP-2 arrivals: alternating exponential sojourns in the base and burst states.

    Given a sojourn's length L and rate λ, its arrivals are Poisson(λL) many, uniform on it
    (the order statistics of a Poisson process): one vectorised draw per block of sojourns.
    """
    off, on = spec.mean_off_s, spec.mean_on_s
    per_cycle = spec.base_rate_per_s * off + spec.burst_rate_per_s * on
    pairs = int(min(4096, max(1, block / max(per_cycle, 1e-12))))
    rates = np.tile([spec.base_rate_per_s, spec.burst_rate_per_s], pairs)
    t = 0.0
    while True:
        lens = np.empty(2 * pairs)
        lens[0::2] = rng.exponential(off, pairs)  # the process starts in the base state
        lens[1::2] = rng.exponential(on, pairs)
        ends = t + np.cumsum(lens)
        starts = ends - lens
        counts = rng.poisson(rates * lens)
        n = int(counts.sum())
        t = float(ends[-1])
        if n == 0:
            continue
        times = np.repeat(starts, counts) + rng.random(n) * np.repeat(lens, counts)
        times.sort()  # sojourns are disjoint intervals: a sort orders within each
        yield times


def schedule(
    spec: ScheduleArrivals, start: datetime, horizon_s: float, block: int = BLOCK
) -> Iterator[Times]:
    """Firing instants of an EventBridge expression (seconds after ``start``), ``count`` each."""
    if not math.isfinite(horizon_s):
        horizon_s = (_SCHEDULE_END - start).total_seconds()
    buf: list[float] = []
    for t in parse(spec.expression).times(start, horizon_s):
        buf.append(t)
        if len(buf) >= block:
            yield np.repeat(np.asarray(buf, dtype=np.float64), spec.count)
            buf = []
    if buf:
        yield np.repeat(np.asarray(buf, dtype=np.float64), spec.count)


def merge(iterators: Sequence[Iterator[Times]]) -> Iterator[Times]:
    """Merge sorted block streams into one sorted block stream (superposition).

    Each round emits every buffered time up to the smallest last-buffered time of the streams
    that may still produce more, so nothing later can undercut what was emitted.
    """
    its = list(iterators)
    bufs: list[Times] = [np.empty(0) for _ in its]
    alive = [True] * len(its)
    while True:
        for i, it in enumerate(its):
            while alive[i] and bufs[i].size == 0:
                nxt = next(it, None)
                if nxt is None:
                    alive[i] = False
                else:
                    bufs[i] = np.asarray(nxt, dtype=np.float64)
        if not any(b.size for b in bufs):
            return
        bound = min((float(b[-1]) for b, a in zip(bufs, alive, strict=True) if a), default=math.inf)
        parts = []
        for i, b in enumerate(bufs):
            k = int(np.searchsorted(b, bound, side="right"))
            if k:
                parts.append(b[:k])
                bufs[i] = b[k:]
        out = np.concatenate(parts)
        out.sort(kind="stable")
        yield out


def arrival_times(
    spec: ArrivalSpec,
    rng: np.random.Generator,
    resolve: Any = Path,
    *,
    start: datetime = DEFAULT_START,
    horizon_s: float = math.inf,
    stream: StreamFactory | None = None,
) -> Iterator[Times]:
    """Blocks of increasing absolute arrival times for an arrivals config.

    Parameters
    ----------
    spec : ArrivalSpec
        The ``arrivals`` block of a workload.
    rng : numpy.random.Generator
        The workload's own stream.
    resolve : callable
        Maps a config path to a file path (relative to the config file).
    start : datetime
        The scenario's ``start_time`` (UTC): schedules are relative to it.
    horizon_s : float
        End of the run, seconds (schedules stop there; others are lazy and unbounded).
    stream : callable, optional
        ``stream(name)`` gives the named random stream of a sub-process (``superpose``
        component ``i`` uses ``"i"``); default: children spawned from ``rng``.
    """
    if isinstance(spec, PoissonArrivals):
        return poisson(spec.rate_per_s, rng)
    if isinstance(spec, ConstantArrivals):
        return constant(spec.rate_per_s)
    if isinstance(spec, RenewalArrivals):
        return renewal(spec.interarrival.build(), rng)
    if isinstance(spec, DiurnalArrivals):
        return diurnal(spec, rng)
    if isinstance(spec, PiecewiseArrivals):
        return piecewise(spec, rng)
    if isinstance(spec, BurstyArrivals):
        return bursty(spec, rng)
    if isinstance(spec, ScheduleArrivals):
        return schedule(spec, start, horizon_s)
    if isinstance(spec, SuperposeArrivals):
        n = len(spec.processes)
        gens = [stream(str(i)) for i in range(n)] if stream is not None else rng.spawn(n)
        return merge(
            [
                arrival_times(
                    p,
                    g,
                    resolve,
                    start=start,
                    horizon_s=horizon_s,
                    stream=None if stream is None else _sub(stream, str(i)),
                )
                for i, (p, g) in enumerate(zip(spec.processes, gens, strict=True))
            ]
        )
    if isinstance(spec, TraceArrivals):
        from lambdasim.workload.traces import trace_events

        return (ev.times for ev in trace_events(spec, resolve(spec.path), rng, use_durations=False))
    raise TypeError(f"unsupported arrivals: {spec!r}")


def _sub(stream: StreamFactory, prefix: str) -> StreamFactory:
    return lambda name: stream(f"{prefix}/{name}")


def named_streams(streams: Any, label: str) -> StreamFactory:
    """Sub-process streams of workload ``label``: ``("arrivals", "<label>/<name>")``."""

    def make(name: str) -> np.random.Generator:
        g: np.random.Generator = streams.generator("arrivals", f"{label}/{name}")
        return g

    return make
