"""Arrival processes: synthetic (:mod:`.synthetic`), schedules, and replayed traces
(:mod:`.traces`, :mod:`.azure`, :mod:`.cloudwatch`, :mod:`.pacs`).

From Python, the builders below return the same validated arrivals blocks as YAML, and
:func:`times` draws one realisation:

>>> import lambdasim as ls
>>> a = ls.workload.diurnal(mean_rate_per_s=20, peak_to_mean=1.8)
>>> wl = [{"target": "api", "arrivals": a}]    # a workloads list for ls.Scenario.from_dict
>>> t = ls.workload.times(a, horizon_s=86400, seed=1)    # numpy array of arrival times, s
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
)
from lambdasim.config.wildcards import register_expander
from lambdasim.schedule import DEFAULT_START
from lambdasim.workload.expand import expand_wildcards
from lambdasim.workload.synthetic import arrival_times
from lambdasim.workload.traces import TraceError, TraceWarning

__all__ = [
    "TraceError",
    "TraceWarning",
    "arrival_times",
    "bursty",
    "constant",
    "diurnal",
    "piecewise",
    "poisson",
    "renewal",
    "schedule",
    "superpose",
    "times",
    "trace",
]

# Scenario.from_dict expands ``target: "*"`` through this slot: config cannot import workload
# (workload imports config), so workload hands its expander over when it is imported, which
# ``import lambdasim`` (and so ``import lambdasim.config``) always does.
register_expander(expand_wildcards)


def poisson(rate_per_s: float) -> PoissonArrivals:
    """Poisson arrivals, ``rate_per_s`` per second."""
    return PoissonArrivals(kind="poisson", rate_per_s=rate_per_s)


def constant(rate_per_s: float) -> ConstantArrivals:
    """Evenly spaced arrivals, ``rate_per_s`` per second."""
    return ConstantArrivals(kind="constant", rate_per_s=rate_per_s)


def renewal(interarrival: dict[str, Any]) -> RenewalArrivals:
    """A renewal process with inter-arrival distribution ``interarrival`` (a ``dist`` block, s)."""
    return RenewalArrivals.model_validate({"kind": "renewal", "interarrival": interarrival})


def diurnal(**kw: Any) -> DiurnalArrivals:
    """Diurnal NHPP: ``mean_rate_per_s``, ``peak_to_mean``, ``period_s``, ``peak_at_s``,
    ``shape``."""
    return DiurnalArrivals.model_validate({"kind": "diurnal", **kw})


def piecewise(steps: list[dict[str, float]]) -> PiecewiseArrivals:
    """Steps ``[{at_s, rate_per_s[, ramp_to_per_s]}, ...]``."""
    return PiecewiseArrivals.model_validate({"kind": "piecewise", "steps": steps})


def bursty(**kw: Any) -> BurstyArrivals:
    """MMPP-2: ``base_rate_per_s``, ``burst_rate_per_s``, ``mean_on_s``, ``mean_off_s``."""
    return BurstyArrivals.model_validate({"kind": "bursty", **kw})


def schedule(expression: str, count: int = 1) -> ScheduleArrivals:
    """EventBridge ``cron(...)`` / ``rate(...)``, ``count`` invocations per firing."""
    return ScheduleArrivals(kind="schedule", expression=expression, count=count)


def superpose(*processes: Any) -> SuperposeArrivals:
    """The sum of several processes (each its own random stream)."""
    return SuperposeArrivals.model_validate({"kind": "superpose", "processes": list(processes)})


def trace(path: str | Path, **kw: Any) -> TraceArrivals:
    """Replay of a trace: ``format``, ``time_column``, ``function``, ``speedup``... (see
    :class:`~lambdasim.config.TraceArrivals`)."""
    return TraceArrivals.model_validate({"kind": "trace", "path": str(path), **kw})


def times(
    spec: ArrivalSpec,
    horizon_s: float,
    *,
    seed: int = 0,
    start: datetime = DEFAULT_START,
    base_dir: Path | None = None,
) -> NDArray[np.float64]:
    """All arrival times (s) of ``spec`` below ``horizon_s``, drawn with ``seed``.

    For inspection and plots; the simulator streams instead of materialising.
    """
    base = base_dir if base_dir is not None else Path.cwd()

    def resolve(p: str) -> Path:
        q = Path(p).expanduser()
        return q if q.is_absolute() else base / q

    rng = np.random.default_rng(seed)
    parts = []
    for b in arrival_times(spec, rng, resolve, start=start, horizon_s=horizon_s):
        if b.size and b[0] >= horizon_s:
            break
        parts.append(b[b < horizon_s])
        if b.size and b[-1] >= horizon_s:
            break
    return np.concatenate(parts) if parts else np.empty(0)
