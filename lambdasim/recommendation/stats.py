"""What the replications of one point say: each SLO met, missed or undecided, the objective.

An SLO is **met** at a point when, for every function it applies to, the whole two-sided
Student-t interval of its mean at level ``confidence`` is inside the bound (the upper end below
an upper bound); **missed** when the whole interval is outside; otherwise undecided. Each SLO is
therefore checked one-sided at (1 + confidence) / 2, so with up to two SLOs a point meets them
all jointly with at least ``confidence`` (Bonferroni). A rate observed as 0 in every replication
uses the exact binomial upper bound 1 − α^(1/N) over its N requests (α = (1 − confidence) / 2)
instead of a zero-width interval.

A point is ``feasible`` (every SLO met), ``infeasible`` (one missed), ``unsure`` or ``error``
(a replication failed: never chosen). ``likely`` says whether the means alone meet every SLO:
the search follows the likely points and replicates them until they are decided.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.recommendation.slos import Objective, Slo

__all__ = ["PointStats", "SloStat", "identical", "paired", "summarize"]

#: Denominators of the rates (for the zero-count bound).
_DENOMINATOR = {
    "throttle_rate": "invocations",
    "error_rate": "invocations",
    "cold_start_rate": "invocations_run",
}


def _t(confidence: float, n: int) -> float:
    if n < 2:
        return math.inf
    from scipy import stats

    return float(stats.t.ppf(0.5 + confidence / 2.0, n - 1))


def _mean_hw(values: np.ndarray, confidence: float) -> tuple[float, float]:
    n = values.size
    if n == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if n < 2:
        return mean, math.inf
    return mean, _t(confidence, n) * float(values.std(ddof=1)) / math.sqrt(n)


@dataclass(frozen=True)
class SloStat:
    """One SLO at one point: the worst function's mean, half-width and the verdict."""

    slo: Slo
    function: str | None
    mean: float
    hw: float
    state: str  # "met", "missed", "undecided", "undefined"

    @property
    def upper(self) -> float:
        return self.mean + self.hw

    @property
    def lower(self) -> float:
        return self.mean - self.hw

    def slack(self) -> float:
        """Relative room left by the interval (negative: the interval crosses the bound)."""
        s = self.slo
        out = math.inf
        if s.hi is not None:
            out = min(out, (s.hi - self.upper) / max(abs(s.hi), 1e-12))
        if s.lo is not None:
            out = min(out, (self.lower - s.lo) / max(abs(s.lo), 1e-12))
        return out

    def violation(self) -> float:
        """Relative distance of the mean beyond the bound (0 when the mean meets it)."""
        s = self.slo
        if math.isnan(self.mean):
            return math.inf
        v = 0.0
        if s.hi is not None and self.mean > s.hi:
            v += (self.mean - s.hi) / max(abs(s.hi), 1e-12)
        if s.lo is not None and self.mean < s.lo:
            v += (s.lo - self.mean) / max(abs(s.lo), 1e-12)
        return v


@dataclass(frozen=True)
class PointStats:
    """The verdict on one point."""

    n: int
    n_failed: int
    status: str  # "feasible", "infeasible", "unsure", "error"
    likely: bool
    objective: float
    objective_hw: float
    per_rep: Mapping[tuple[int, int], float]
    slos: tuple[SloStat, ...]
    error: str = ""
    #: block -> hash of every metric of its runs (equal: identical runs under common numbers)
    prints: Mapping[int, int] = field(default_factory=dict)

    def violation(self) -> float:
        return sum(s.violation() for s in self.slos)

    def missed(self) -> list[SloStat]:
        return [s for s in self.slos if s.state in ("missed", "undefined")]

    def binding(self) -> SloStat | None:
        """The SLO with the least slack (None without SLOs)."""
        return min(self.slos, key=lambda s: s.slack()) if self.slos else None


def _slo_stat(s: Slo, ok: pd.DataFrame, confidence: float) -> SloStat:
    funcs = [s.function] if s.function is not None else list(dict.fromkeys(ok["function"]))
    per: list[tuple[str, float, float, str]] = []
    for f in funcs:
        rows = ok[ok["function"] == f]
        if s.metric not in rows.columns:
            continue
        vals = rows[s.metric].to_numpy(dtype=np.float64)
        keep = ~np.isnan(vals)
        vals = vals[keep]
        if vals.size == 0:
            continue
        mean, hw = _mean_hw(vals, confidence)
        den = _DENOMINATOR.get(s.metric)
        if vals.size >= 2 and mean == 0.0 and den is not None and den in rows.columns:
            n_req = float(np.nansum(rows[den].to_numpy(dtype=np.float64)[keep]))
            if n_req > 0:
                alpha = (1.0 - confidence) / 2.0
                hw = 1.0 - alpha ** (1.0 / n_req)  # exact binomial bound for 0 of N
        state = "undecided"
        if math.isfinite(hw):
            inside = (s.hi is None or mean + hw <= s.hi) and (s.lo is None or mean - hw >= s.lo)
            outside = (s.hi is not None and mean - hw > s.hi) or (
                s.lo is not None and mean + hw < s.lo
            )
            state = "met" if inside else ("missed" if outside else "undecided")
        per.append((f, mean, hw, state))
    if not per:
        return SloStat(s, s.function, math.nan, math.nan, "undefined")
    worst = min(per, key=lambda t: SloStat(s, t[0], t[1], t[2], t[3]).slack())
    states = {t[3] for t in per}
    state = "missed" if "missed" in states else ("undecided" if "undecided" in states else "met")
    return SloStat(s, worst[0], worst[1], worst[2], state)


def summarize(
    obs: pd.DataFrame, slo_list: Sequence[Slo], obj: Objective, confidence: float
) -> PointStats:
    """The verdict on one point from its runs (``Evaluator.observations``)."""
    if obs.empty:
        return PointStats(0, 0, "unsure", False, math.nan, math.inf, {}, ())
    runs = obs.drop_duplicates(["block", "rep"])
    failed = runs[runs["status"] != "ok"]
    n_failed = len(failed)
    ok = obs[obs["status"] == "ok"]
    n = len(runs) - n_failed
    if obj.metric in ok.columns:
        rows = ok if obj.function is None else ok[ok["function"] == obj.function]
        sums = rows.groupby(["block", "rep"])[obj.metric].sum(min_count=1)
    else:
        sums = pd.Series(dtype=np.float64)
    per_rep: dict[tuple[int, int], float] = {}
    keys: list[tuple[Any, Any]] = list(sums.index)  # (block, rep) MultiIndex
    for (b, r), v in zip(keys, sums.to_numpy(dtype=np.float64), strict=True):
        if not math.isnan(v):
            per_rep[(int(b), int(r))] = float(v)
    mean, hw = _mean_hw(np.array(list(per_rep.values()), dtype=np.float64), confidence)
    stats = tuple(_slo_stat(s, ok, confidence) for s in slo_list)
    prints = _prints(obs)
    if n_failed:
        err = str(failed["error"].iloc[0])
        return PointStats(n, n_failed, "error", False, mean, hw, per_rep, stats, err, prints)
    states = {s.state for s in stats}
    if "missed" in states or ("undefined" in states and n >= 3):
        status = "infeasible"
    elif states <= {"met"}:
        status = "feasible" if not math.isnan(mean) else "unsure"
    else:
        status = "unsure"
    likely = all(s.violation() == 0.0 for s in stats) and not math.isnan(mean)
    return PointStats(n, 0, status, likely, mean, hw, per_rep, stats, "", prints)


def _prints(obs: pd.DataFrame) -> dict[int, int]:
    """One hash per block of every metric value (sorted by rep and function)."""
    metrics = [c for c in obs.columns if c not in ("block", "seed", "rep", "function", "error")]
    out: dict[int, int] = {}
    blocks = obs["block"].to_numpy(dtype=np.int64)
    for b in sorted(set(blocks.tolist())):
        rows = obs[blocks == b].sort_values(["rep", "function"], kind="stable")
        out[b] = hash(tuple(rows[metrics].astype(str).to_numpy().ravel().tolist()))
    return out


def identical(a: PointStats, b: PointStats) -> bool:
    """Whether two points ran identically in every block both have (at least one)."""
    common = set(a.prints) & set(b.prints)
    return bool(common) and all(a.prints[k] == b.prints[k] for k in common)


def paired(a: PointStats, b: PointStats, confidence: float) -> tuple[float, float, int]:
    """Mean and half-width of objective(a) − objective(b) over their common replications.

    Common random numbers make this interval much narrower than either point's own.
    """
    keys = sorted(set(a.per_rep) & set(b.per_rep))
    d = np.array([a.per_rep[k] - b.per_rep[k] for k in keys], dtype=np.float64)
    mean, hw = _mean_hw(d, confidence)
    return mean, hw, len(keys)
