"""Service-level objectives (bounds on sweep-table metrics) and the objective to minimise.

Grammar (the CLI's ``--slo``): ``METRIC<=X``, ``METRIC>=X`` (``<`` and ``>`` read as ``<=`` and
``>=``: intervals decide, not ties), where METRIC is a per-function column of the sweep table
(``latency_p99_s``, ``throttle_rate``, ``async_to_dlq``, ``cost_usd``, ...). A plain metric
applies to the ``--function`` given, else to every function where it is defined (as
``SweepResult.best``); ``functions.NAME.METRIC`` applies to one function, so several functions
may each have their own. The Python API takes ``{"latency_p99_s": 0.3}`` (an upper bound),
``{"metric": (lo, hi)}`` (None = unbounded) or these strings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdasim.recommendation.knobs import RecommendError
from lambdasim.results.schema import ADDITIVE_METRICS  # SweepResult.best's rule

__all__ = ["Objective", "Slo", "check_metrics", "objective", "parse_slo", "slos"]

_SLO = re.compile(r"^\s*([A-Za-z_][\w.\-]*?)\s*(<=|>=|<|>|=<|=>)\s*(\S+)\s*$")
_SCOPED = re.compile(r"^functions\.([^.]+)\.(.+)$")


@dataclass(frozen=True)
class Slo:
    """``lo <= metric <= hi`` for ``function`` (None: every function where it is defined)."""

    metric: str
    function: str | None
    lo: float | None
    hi: float | None

    @property
    def name(self) -> str:
        """``latency_p99_s`` or ``functions.api.latency_p99_s``."""
        return self.metric if self.function is None else f"functions.{self.function}.{self.metric}"

    def text(self) -> str:
        """``latency_p99_s <= 0.3`` (both bounds when both are set)."""
        parts = []
        if self.lo is not None:
            parts.append(f"{self.name} >= {self.lo:g}")
        if self.hi is not None:
            parts.append(f"{self.name} <= {self.hi:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class Objective:
    """The metric to minimise: one function's, or the sum over functions (additive metrics)."""

    metric: str
    function: str | None

    @property
    def name(self) -> str:
        return self.metric if self.function is None else f"functions.{self.function}.{self.metric}"


def _split(name: str, function: str | None) -> tuple[str, str | None]:
    m = _SCOPED.match(name)
    if m:
        return m.group(2), m.group(1)
    return name, function


def _bound(text: str, where: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise RecommendError(f"{where}: bound '{text}' is not a number") from None
    if not math.isfinite(x):
        raise RecommendError(f"{where}: bound must be finite, got {text}")
    return x


def parse_slo(item: str, function: str | None = None) -> Slo:
    """Parse ``METRIC<=X`` / ``METRIC>=X`` / ``functions.NAME.METRIC<=X``."""
    where = f"--slo {item}"
    m = _SLO.match(item)
    if m is None:
        raise RecommendError(
            f"{where}: expected METRIC<=BOUND or METRIC>=BOUND (e.g. latency_p99_s<=0.3)"
        )
    metric, fn = _split(m.group(1), function)
    x = _bound(m.group(3), where)
    upper = m.group(2) in ("<=", "<", "=<")
    return Slo(metric, fn, None if upper else x, x if upper else None)


def slos(spec: Mapping[str, Any] | Iterable[str] | None, function: str | None = None) -> list[Slo]:
    """SLOs from the API's mapping or strings; bounds on one metric and function are merged.

    Raises
    ------
    RecommendError
        A malformed SLO, a non-numeric bound or contradictory bounds (``lo > hi``).
    """
    out: list[Slo] = []
    if spec is None:
        return out
    if isinstance(spec, Mapping):
        for key, bound in spec.items():
            metric, fn = _split(str(key), function)
            where = f"--slo {key}"
            if isinstance(bound, str):
                out.append(
                    parse_slo(
                        f"{key}{bound}" if bound[:1] in "<>=" else f"{key}<={bound}", function
                    )
                )
                continue
            if isinstance(bound, tuple | list):
                if len(bound) != 2:
                    raise RecommendError(f"{where}: expected (lower, upper), got {bound!r}")
                lo, hi = bound
            else:
                lo, hi = None, bound
            lo = None if lo is None else _bound(str(lo), where)
            hi = None if hi is None else _bound(str(hi), where)
            if lo is None and hi is None:
                raise RecommendError(f"{where}: no bound")
            out.append(Slo(metric, fn, lo, hi))
    else:
        out = [parse_slo(s, function) for s in spec]
    merged: dict[tuple[str, str | None], Slo] = {}
    for s in out:
        key = (s.metric, s.function)
        if key in merged:
            old = merged[key]
            lo = max((b for b in (old.lo, s.lo) if b is not None), default=None)
            hi = min((b for b in (old.hi, s.hi) if b is not None), default=None)
            s = Slo(s.metric, s.function, lo, hi)
        merged[key] = s
    return list(merged.values())


def objective(name: str, function: str | None = None) -> Objective:
    """The objective from ``cost_usd`` or ``functions.NAME.cost_usd`` (minimised)."""
    metric, fn = _split(name.strip(), function)
    return Objective(metric, fn)


def _impossible(s: Slo) -> str | None:
    """Why no run can meet ``s`` (every sweep metric is a count, rate, time or cost >= 0)."""
    if s.lo is not None and s.hi is not None and s.lo > s.hi:
        return f"lower bound {s.lo:g} above upper bound {s.hi:g}"
    m = s.metric
    if s.hi is not None and s.hi < 0:
        return f"{m} is never negative (bound {s.hi:g})"
    if s.hi is not None and s.hi == 0 and (m.endswith("_s") or m.endswith("_usd")):
        return f"{m} is always > 0 when anything runs (bound 0; use a small positive bound)"
    if m.endswith("_rate") and s.lo is not None and s.lo > 1:
        return f"{m} is a fraction in [0, 1] (bound {s.lo:g})"
    return None


def check_metrics(
    slo_list: Sequence[Slo],
    obj: Objective,
    known: Mapping[str, set[str]],
    *,
    percentiles_hint: bool = True,
) -> list[str]:
    """One line per SLO or objective naming an unknown function or metric, or impossible.

    Parameters
    ----------
    slo_list : sequence of Slo
    obj : Objective
    known : mapping
        Function name → metric columns it reports (from a probe run of the scenario).
    percentiles_hint : bool
        Add "add P to output.percentiles" to an unknown ``latency_pP_s``.

    Returns
    -------
    list of str
    """
    lines: list[str] = []
    every = set().union(*known.values()) if known else set()

    def unknown(metric: str, fn: str | None, where: str) -> str | None:
        if fn is not None and fn not in known:
            return f"{where}: no function '{fn}' (functions: {', '.join(sorted(known))})"
        pool = known[fn] if fn is not None else every
        if metric in pool:
            return None
        import difflib

        close = difflib.get_close_matches(metric, sorted(pool), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        pm = re.match(r"^latency_p([0-9.]+)_s$", metric)
        if pm and percentiles_hint:
            hint += f" (add {pm.group(1)} to output.percentiles to report it)"
        scope = f"function '{fn}'" if fn is not None else "the sweep table"
        return f"{where}: unknown metric '{metric}' for {scope}{hint}"

    for s in slo_list:
        where = f"--slo {s.text()}"
        msg = unknown(s.metric, s.function, where)
        if msg is None:
            why = _impossible(s)
            msg = f"{where}: impossible bound: {why}" if why else None
        if msg:
            lines.append(msg)
    where = f"--objective {obj.name}"
    msg = unknown(obj.metric, obj.function, where)
    if msg:
        lines.append(msg)
    elif obj.function is None and not (
        obj.metric in ADDITIVE_METRICS or obj.metric.endswith("_usd")
    ):
        if len(known) > 1:
            lines.append(
                f"{where}: '{obj.metric}' does not add up over functions; name one "
                f"(--function NAME or functions.NAME.{obj.metric})"
            )
    return lines
