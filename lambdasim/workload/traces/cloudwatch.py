"""CloudWatch metrics as a workload (stack.md §2.2): ``Invocations`` Sum per period becomes a
piecewise-constant arrival process; ``Duration`` Average / p50 / p99 fit the duration.

Input: ``aws cloudwatch get-metric-data`` output — one JSON page, a JSON list of pages, pages
concatenated in one file, or several files (a glob such as ``pages/*.json``) — or a CSV with a
timestamp column and a value column (``value`` or ``Invocations``; optional ``Duration``,
``DurationAverage``, ``Duration_p50``, ``Duration_p99`` columns, milliseconds as CloudWatch
reports). Pages are concatenated, sorted ascending (CloudWatch returns newest first), duplicate
timestamps dropped; incomplete results (``StatusCode`` other than ``Complete``) and gaps warn,
and a missing period counts as 0 invocations. Metric results are recognised by their ``Id`` or
``Label``: one containing "invocation" is the Sum of Invocations; "duration" with "p99" / "p50"
those percentiles, other "duration" results the Average.

Per-period counts are spread like azure2019 minutes: ``poisson`` (default: a Poisson process at
Sum/period in each period), ``uniform`` or ``equidistant`` (the counts exactly). t = 0 is the
first period's timestamp (or ``origin``).
"""

from __future__ import annotations

import glob
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim import fit
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.base import (
    EventBlock,
    TraceError,
    TraceWarning,
    Window,
    spread_counts,
)

__all__ = ["CloudWatchSeries", "cloudwatch_events", "read_cloudwatch"]


@dataclass
class CloudWatchSeries:
    """Per-period CloudWatch data of one function, ascending, gaps filled.

    Attributes
    ----------
    period_s : float
        The period found in the data, seconds (60, 300, 3600...: retention sets it).
    start : datetime
        Timestamp of the first period (UTC).
    invocations : ndarray
        Sum of Invocations per period.
    duration_avg_ms, duration_p50_ms, duration_p99_ms : ndarray or None
        Duration statistics per period, ms (NaN where absent).
    notes : list of str
        Warnings raised while reading (incomplete data, gaps, duplicates).
    """

    period_s: float
    start: datetime
    invocations: NDArray[np.float64]
    duration_avg_ms: NDArray[np.float64] | None = None
    duration_p50_ms: NDArray[np.float64] | None = None
    duration_p99_ms: NDArray[np.float64] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def horizon_s(self) -> float:
        """Seconds covered: periods × period."""
        return float(self.invocations.size * self.period_s)

    def duration_fit(self) -> fit.FitResult | None:
        """A lognormal from the invocation-weighted mean of the per-period Average and p99
        (or p50 and p99), seconds; None without Duration data.

        The weighted mean of per-period percentiles is not the percentile of the whole
        window; it is the usual approximation when only per-period statistics exist.
        """
        w = self.invocations

        def avg(x: NDArray[np.float64] | None) -> float | None:
            if x is None:
                return None
            ok = np.isfinite(x) & (w > 0)
            return float(np.average(x[ok], weights=w[ok]) / 1000.0) if ok.any() else None

        a, p50, p99 = (
            avg(self.duration_avg_ms),
            avg(self.duration_p50_ms),
            avg(self.duration_p99_ms),
        )
        q: dict[str, float] = {}
        if p50 is not None:
            q["p50"] = p50
        if p99 is not None:
            q["p99"] = p99
        if a is not None and len(q) < 2:
            q["mean"] = a
        if not q:
            return None
        try:
            return fit.from_percentiles(q)
        except ValueError:
            return None


def _pages(text: str) -> list[dict[str, Any]]:
    text = text.strip()
    dec = json.JSONDecoder()
    out: list[Any] = []
    i = 0
    while i < len(text):
        obj, j = dec.raw_decode(text, i)
        out.extend(obj if isinstance(obj, list) else [obj])
        i = j
        while i < len(text) and text[i].isspace():
            i += 1
    return out


def _role(rid: str, label: str) -> str | None:
    s = f"{rid} {label}".lower()
    if "invocation" in s:
        return "invocations"
    if "duration" in s:
        if "p99" in s:
            return "p99"
        if "p50" in s:
            return "p50"
        return "avg"
    return None


def _files(path: Path) -> list[Path]:
    if any(ch in str(path) for ch in "*?["):
        hits = [Path(p) for p in sorted(glob.glob(str(path)))]
        if not hits:
            raise TraceError(f"{path}: no file matches")
        return hits
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    return [path]


def read_cloudwatch(path: Path, time_column: str = "timestamp") -> CloudWatchSeries:
    """Read CloudWatch get-metric-data JSON (pages, newest first) or a CSV into a series.

    Raises
    ------
    TraceError
        No Invocations data, a bad value (file, line or result id, column and value).
    """
    files = _files(path)
    notes: list[str] = []
    series: dict[str, dict[pd.Timestamp, float]] = {}
    for f in files:
        if f.suffix.lower() == ".csv":
            _read_csv(f, time_column, series)
            continue
        try:
            pages = _pages(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise TraceError(f"{f}: not get-metric-data JSON ({exc})") from None
        for pi, page in enumerate(pages):
            results = page.get("MetricDataResults") if isinstance(page, dict) else None
            if results is None:
                raise TraceError(f"{f}: page {pi}: no 'MetricDataResults' (get-metric-data output)")
            for r in results:
                rid, label = str(r.get("Id", "")), str(r.get("Label", ""))
                role = _role(rid, label) or ("invocations" if len(results) == 1 else None)
                if role is None:
                    continue
                if r.get("StatusCode", "Complete") != "Complete":
                    notes.append(f"{f}: {rid}: StatusCode {r.get('StatusCode')} (data incomplete)")
                ts, vals = r.get("Timestamps", []), r.get("Values", [])
                if len(ts) != len(vals):
                    raise TraceError(f"{f}: {rid}: {len(ts)} Timestamps but {len(vals)} Values")
                dest = series.setdefault(role, {})
                for k, (t, v) in enumerate(zip(ts, vals, strict=True)):
                    x = _number(v)
                    if x is None or x < 0:
                        raise TraceError(
                            f"{f}: MetricDataResults '{rid}' Values[{k}] at {t}: must be a "
                            f"non-negative number (got {v!r})"
                        )
                    stamp = pd.Timestamp(t)
                    stamp = (
                        stamp.tz_localize("UTC")
                        if stamp.tzinfo is None
                        else stamp.tz_convert("UTC")
                    )
                    if stamp in dest and dest[stamp] != x:
                        notes.append(f"{f}: {rid}: two values at {t}; the first read is kept")
                        continue
                    dest.setdefault(stamp, x)
    inv = series.get("invocations")
    if not inv:
        raise TraceError(f"{path}: no Invocations data (a result whose Id or Label names it)")
    stamps = sorted(inv)
    if len(stamps) >= 2:
        diffs = np.diff(np.array([s.value for s in stamps], dtype=np.int64)) / 1e9
        period = float(diffs.min())
    else:
        period = 60.0
        notes.append(f"{path}: a single period; assumed 60 s")
    t0 = stamps[0]
    idx = np.array([round((s - t0).total_seconds() / period) for s in stamps], dtype=np.int64)
    n = int(idx[-1]) + 1
    gaps = n - len(stamps)
    if gaps:
        notes.append(f"{path}: {gaps} missing period(s) of {period:g} s, replayed as 0 invocations")

    def dense(role: str, fill: float) -> NDArray[np.float64] | None:
        d = series.get(role)
        if not d:
            return None
        out = np.full(n, fill)
        for s, v in d.items():
            k = round((s - t0).total_seconds() / period)
            if 0 <= k < n:
                out[k] = v
        return out

    for note in notes:
        warnings.warn(note, TraceWarning, stacklevel=2)
    counts = dense("invocations", 0.0)
    assert counts is not None
    return CloudWatchSeries(
        period,
        t0.to_pydatetime(),
        counts,
        dense("avg", np.nan),
        dense("p50", np.nan),
        dense("p99", np.nan),
        notes,
    )


def _number(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if np.isfinite(x) else None


_CSV_ROLES = {
    "value": "invocations",
    "invocations": "invocations",
    "sum": "invocations",
    "duration": "avg",
    "durationaverage": "avg",
    "duration_average": "avg",
    "duration_avg": "avg",
    "duration_p50": "p50",
    "duration_p99": "p99",
}


def _read_csv(path: Path, time_column: str, series: dict[str, dict[pd.Timestamp, float]]) -> None:
    # A CloudWatch export is per period (at most ~100k datapoints per query): read it whole.
    df = pd.read_csv(path, dtype=str)
    if time_column not in df:
        raise TraceError(f"{path}: no column '{time_column}' (columns: {list(df.columns)})")
    roles = {c: _CSV_ROLES[c.lower()] for c in df.columns if c.lower() in _CSV_ROLES}
    if "invocations" not in roles.values():
        raise TraceError(f"{path}: no 'value' or 'Invocations' column")
    stamps = pd.to_datetime(df[time_column], utc=True, errors="coerce", format="mixed")
    for i, s in enumerate(stamps):
        if pd.isna(s):
            raise TraceError(
                f"{path}:{i + 2}: column '{time_column}': not a timestamp "
                f"(got {df[time_column].iloc[i]!r})"
            )
    for col, role in roles.items():
        dest = series.setdefault(role, {})
        for i, (s, raw) in enumerate(zip(stamps, df[col], strict=True)):
            if role != "invocations" and (raw is None or raw != raw or raw == ""):
                continue  # duration columns may be empty in periods without invocations
            x = _number(raw)
            if x is None or x < 0:
                raise TraceError(
                    f"{path}:{i + 2}: column '{col}': must be a non-negative number (got {raw!r})"
                )
            dest.setdefault(s, x)


def cloudwatch_events(
    spec: TraceArrivals, path: Path, rng: np.random.Generator, *, durations: bool = True
) -> Iterator[EventBlock]:
    """Arrivals replaying the Invocations Sum per period (spread per ``spec.spread`` with
    ``rng``); ``durations`` is ignored (CloudWatch has per-period statistics, not durations)."""
    s = read_cloudwatch(path, spec.time_column)
    counts = np.rint(s.invocations).astype(np.int64)
    offset = 0.0
    if spec.origin is not None:
        o = pd.Timestamp(spec.origin)
        o = o.tz_localize("UTC") if o.tzinfo is None else o
        offset = (pd.Timestamp(s.start) - o).total_seconds()
    window = Window(spec)
    for t in spread_counts(counts, s.period_s, spec.spread_or_default, rng):
        rt, _, done = window.apply(t + offset, None)
        if rt.size:
            yield EventBlock(rt)
        if done:
            return
