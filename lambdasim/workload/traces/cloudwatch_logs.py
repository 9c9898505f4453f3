"""CloudWatch Logs of one Lambda function → invocations (``format: cloudwatch_logs``).

Lambda writes, per invocation, ``START RequestId: ID``, ``END RequestId: ID`` and ``REPORT
RequestId: ID  Duration: D ms  Billed Duration: B ms  Memory Size: M MB  Max Memory Used: U MB
[Init Duration: I ms]`` (or, with the JSON log format, ``platform.start`` / ``platform.report``
records with ``durationMs``, ``billedDurationMs``, ``memorySizeMB``, ``maxMemoryUsedMB``,
``initDurationMs``); one log stream is one execution environment (Lambda guide "Using
CloudWatch Logs with Lambda", "Lambda Telemetry API Event schema reference"). ``Init
Duration`` appears on the first invoke of an environment that initialised on demand.

An invocation's arrival is its START timestamp less its Init Duration (the request waited for
INIT: Lambda logs START once INIT is done); without a START line, the REPORT timestamp less
Duration and Init Duration. Its end is the END timestamp (else the REPORT's). Events are read
by :mod:`.log_events` (filter-log-events / get-log-events JSON, Logs Insights CSV / JSON, plain
text, gzip); a bad event is counted, the first few reported as ``file:line``. Replaying
(:func:`cloudwatch_logs_events`): t = arrival − ``origin`` (default: the first arrival), with
the recorded Duration of each invocation.
"""

from __future__ import annotations

import glob
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.base import EventBlock, TraceError, TraceWarning, Window
from lambdasim.workload.traces.log_events import Malformed, RawEvent, parse_time, read_events

__all__ = ["CloudWatchLogs", "cloudwatch_logs_events", "log_files", "read_logs"]

F64 = NDArray[np.float64]

_ID = r"RequestId:\s*(\S+)"
_START = re.compile(r"START " + _ID)
_END = re.compile(r"END " + _ID)
_REPORT = re.compile(r"REPORT " + _ID + r"\s*(.*)", re.S)
_FIELD = re.compile(
    r"(Duration|Billed Duration|Memory Size|Max Memory Used|Init Duration|"
    r"Restore Duration|Billed Restore Duration):\s*([0-9.]+)\s*(ms|MB)"
)
_STATUS = re.compile(r"Status:\s*(\w+)")
_RUNTIME = re.compile(r"Runtime Version:\s*([a-z]+):([0-9a-z.]+)")


@dataclass
class CloudWatchLogs:
    """The invocations of one function in CloudWatch Logs, sorted by arrival.

    Times are epoch seconds; durations milliseconds (as Lambda reports them); memory MB.

    Attributes
    ----------
    files : list of Path
        The exports read.
    request_id : list of str
        One per invocation.
    arrival_s, end_s : ndarray
        Arrival (START less INIT) and end (END) of each invocation.
    duration_ms, billed_ms, memory_mb, max_memory_mb, init_ms : ndarray
        ``Duration``, ``Billed Duration``, ``Memory Size``, ``Max Memory Used`` (NaN when
        absent) and ``Init Duration`` (NaN: a warm invoke).
    status : list of str
        ``success``, or the REPORT's ``Status`` (``timeout``, ``error``...).
    stream : ndarray of int
        Index into :attr:`streams` (-1: the export does not say).
    streams : list of str
        Log stream names (= execution environments).
    stream_first_s, stream_last_s : ndarray
        First and last event of each stream (any event, application lines included).
    runtime : str or None
        The runtime named by an ``INIT_START`` line (``python3.12``), if any.
    log_group : str or None
        The log group, when the export says (Logs Insights ``@log``).
    malformed : Malformed
        Bad events: count and the first few as ``file:line: what``.
    unfinished : int
        START lines without a REPORT (still running when the export ends, or cut off).
    formats : list of str
        The format of each file (``json``, ``insights-csv``, ``text``).
    """

    files: list[Path]
    request_id: list[str]
    arrival_s: F64
    end_s: F64
    duration_ms: F64
    billed_ms: NDArray[np.int64]
    memory_mb: NDArray[np.int64]
    max_memory_mb: F64
    init_ms: F64
    status: list[str]
    stream: NDArray[np.int64]
    streams: list[str]
    stream_first_s: F64
    stream_last_s: F64
    runtime: str | None = None
    log_group: str | None = None
    malformed: Malformed = field(default_factory=Malformed)
    unfinished: int = 0
    formats: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.request_id)

    @property
    def start(self) -> datetime:
        """The first arrival, UTC."""
        return datetime.fromtimestamp(float(self.arrival_s[0]), tz=UTC)

    @property
    def cold(self) -> NDArray[np.bool_]:
        """Invocations whose REPORT has an Init Duration."""
        return ~np.isnan(self.init_ms)

    def summary(self) -> str:
        """One line: invocations, span, environments, cold starts, memory, malformed."""
        if not len(self):
            return "no invocations"
        span = float(self.arrival_s[-1] - self.arrival_s[0])
        mem = sorted({int(m) for m in self.memory_mb})
        used = np.nanmax(self.max_memory_mb) if np.isfinite(self.max_memory_mb).any() else None
        return (
            f"{len(self):,} invocations over {span:.1f} s from "
            f"{self.start.isoformat(timespec='milliseconds').replace('+00:00', 'Z')}, "
            f"{len(self.streams)} log stream(s), {int(self.cold.sum())} cold start(s), "
            f"Memory Size {'/'.join(map(str, mem))} MB"
            + (f", Max Memory Used {used:g} MB" if used is not None else "")
            + (f"; {self.malformed.count} malformed event(s)" if self.malformed.count else "")
        )


def log_files(path: str | Path) -> list[Path]:
    """``path`` itself, or the files a glob pattern names (sorted)."""
    s = str(path)
    if any(c in s for c in "*?["):
        found = sorted(Path(p) for p in glob.glob(s))
        if not found:
            raise TraceError(f"{s}: no file matches")
        return found
    p = Path(s)
    if not p.is_file():
        raise TraceError(f"{p}: log file not found")
    return [p]


def _num(x: str) -> float:
    return float(x)


def _runtime(text: str) -> str | None:
    m = _RUNTIME.search(text)
    if m is None:
        return None
    lang, ver = m.group(1), re.sub(r"\.v\d+$", "", m.group(2).rstrip("."))
    if lang == "nodejs":
        return f"nodejs{ver.split('.')[0]}.x"
    if lang == "provided":
        return f"provided.{ver}"
    return f"{lang}{ver}"


@dataclass
class _Req:
    start: float | None = None
    end: float | None = None
    report: float | None = None
    fields: dict[str, float] = field(default_factory=dict)
    status: str = "success"
    stream: str | None = None
    where: str = ""


def _report_fields(ev: RawEvent, body: str) -> dict[str, float]:
    out = {m.group(1): _num(m.group(2)) for m in _FIELD.finditer(body)}
    f = ev.fields or {}
    # Logs Insights discovered fields (ms; memory in bytes there: 10^6 per MB)
    for key, name in (
        ("@duration", "Duration"),
        ("@billedDuration", "Billed Duration"),
        ("@initDuration", "Init Duration"),
        ("@memorySize", "Memory Size"),
        ("@maxMemoryUsed", "Max Memory Used"),
    ):
        if name not in out and f.get(key) not in (None, ""):
            try:
                v = float(f[key])
            except ValueError:
                continue
            out[name] = v / 1e6 if "Memory" in name and v > 20480 else v
    return out


def _json_message(ev: RawEvent, reqs: dict[str, _Req], bad: Malformed) -> str | None:
    """A JSON-format platform record; returns the runtime of an initStart."""
    try:
        rec = json.loads(ev.message)
    except json.JSONDecodeError:
        return None
    if not isinstance(rec, dict) or not str(rec.get("type", "")).startswith("platform."):
        return None
    rr = rec.get("record")
    r: dict[str, Any] = rr if isinstance(rr, dict) else {}
    t = parse_time(rec.get("time")) or ev.time_s
    kind = rec["type"]
    if kind == "platform.initStart":
        rv = str(r.get("runtimeVersion", ""))
        return _runtime(f"Runtime Version: {rv}")
    rid = r.get("requestId")
    if not isinstance(rid, str):
        return None
    q = reqs.setdefault(rid, _Req(where=f"{ev.file}:{ev.line}"))
    q.stream = q.stream or ev.stream
    if kind == "platform.start":
        q.start = t
    elif kind == "platform.runtimeDone":
        q.end = t
    elif kind == "platform.report":
        mm = r.get("metrics")
        m: dict[str, Any] = mm if isinstance(mm, dict) else {}
        names = {
            "durationMs": "Duration",
            "billedDurationMs": "Billed Duration",
            "memorySizeMB": "Memory Size",
            "maxMemoryUsedMB": "Max Memory Used",
            "initDurationMs": "Init Duration",
            "restoreDurationMs": "Restore Duration",
        }
        q.fields = {names[k]: float(v) for k, v in m.items() if k in names}
        q.report = t
        q.status = str(r.get("status", "success"))
        if "Duration" not in q.fields:
            bad.add(ev.file, ev.line, "a platform.report without durationMs")
    return None


def _assemble(events: list[RawEvent], bad: Malformed) -> tuple[dict[str, _Req], str | None]:
    reqs: dict[str, _Req] = {}
    runtime: str | None = None
    for ev in events:
        msg = ev.message
        if msg.startswith("{"):
            runtime = _json_message(ev, reqs, bad) or runtime
            continue
        if msg.startswith("INIT_START"):
            runtime = _runtime(msg) or runtime
            continue
        kind = (ev.fields or {}).get("@type") if not msg else None
        m = _START.match(msg)
        if m or kind == "START":
            rid = m.group(1) if m else (ev.fields or {}).get("@requestId", "")
            q = reqs.setdefault(rid, _Req(where=f"{ev.file}:{ev.line}"))
            q.start, q.stream = ev.time_s, q.stream or ev.stream
            continue
        m = _END.match(msg)
        if m or kind == "END":
            rid = m.group(1) if m else (ev.fields or {}).get("@requestId", "")
            q = reqs.setdefault(rid, _Req(where=f"{ev.file}:{ev.line}"))
            q.end, q.stream = ev.time_s, q.stream or ev.stream
            continue
        m = _REPORT.match(msg)
        if m or kind == "REPORT" or (not msg and ev.fields and "@duration" in ev.fields):
            rid = m.group(1) if m else (ev.fields or {}).get("@requestId", "")
            body = m.group(2) if m else ""
            f = _report_fields(ev, body)
            missing = [k for k in ("Duration", "Billed Duration", "Memory Size") if k not in f]
            if not rid or missing:
                bad.add(ev.file, ev.line, f"a REPORT without {', '.join(missing) or 'RequestId'}")
                continue
            q = reqs.setdefault(rid, _Req(where=f"{ev.file}:{ev.line}"))
            if q.report is not None or "Duration" in q.fields:
                continue  # the same event from two overlapping pages
            q.fields, q.report, q.stream = f, ev.time_s, q.stream or ev.stream
            s = _STATUS.search(body)
            if s:
                q.status = s.group(1)
    return reqs, runtime


def _stream_spans(events: list[RawEvent]) -> dict[str, tuple[float, float]]:
    spans: dict[str, tuple[float, float]] = {}
    for ev in events:
        if ev.stream is None or ev.time_s is None:
            continue
        lo, hi = spans.get(ev.stream, (ev.time_s, ev.time_s))
        spans[ev.stream] = (min(lo, ev.time_s), max(hi, ev.time_s))
    return spans


def read_logs(
    paths: str | Path | Sequence[str | Path], *, log_group: str | None = None
) -> CloudWatchLogs:
    """Read the CloudWatch Logs of one function from one or more exports.

    Parameters
    ----------
    paths : path, glob pattern, or a sequence of them
        Exports in any format of :mod:`.log_events` (gzip too).
    log_group : str, optional
        Keep only events of this log group (``/aws/lambda/NAME``), when the export names groups.

    Returns
    -------
    CloudWatchLogs
        Invocations sorted by arrival. Malformed events are counted (:attr:`malformed`).

    Raises
    ------
    TraceError
        A file that cannot be read, or no REPORT line at all.
    """
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files = [f for p in items for f in log_files(p)]
    return _read(tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files), log_group)


@lru_cache(maxsize=8)
def _read(key: tuple[tuple[str, int, int], ...], log_group: str | None) -> CloudWatchLogs:
    # cached on (path, mtime, size): replications of one scenario read the same exports
    bad = Malformed()
    events: list[RawEvent] = []
    formats = []
    for name, _, _ in key:
        evs, fmt = read_events(Path(name), bad)
        if fmt == "text" or any(e.stream is None for e in evs[:1]):
            stem = Path(name).name  # get-log-events pages and bare lines: one stream per file
            for e in evs:
                e.stream = e.stream or stem
        events += evs
        formats.append(fmt)
    groups = {e.group for e in events if e.group}
    if log_group is not None and groups:
        events = [e for e in events if e.group is None or e.group.endswith(log_group)]
    reqs, runtime = _assemble(events, bad)
    return _build(key, reqs, runtime, events, bad, formats, groups)


def _build(
    key: tuple[tuple[str, int, int], ...],
    reqs: dict[str, _Req],
    runtime: str | None,
    events: list[RawEvent],
    bad: Malformed,
    formats: list[str],
    groups: set[str],
) -> CloudWatchLogs:
    files = [Path(k[0]) for k in key]
    done = [(rid, q) for rid, q in reqs.items() if "Duration" in q.fields]
    unfinished = sum(1 for q in reqs.values() if "Duration" not in q.fields and q.start)
    if not done:
        raise TraceError(
            f"{', '.join(map(str, files))}: no REPORT line (is this the log of a Lambda function?)"
            + (f"; {bad.count} malformed event(s), first: {bad.first[0]}" if bad.count else "")
        )
    arrival, end = [], []
    for rid, q in done:
        d, init = q.fields["Duration"], q.fields.get("Init Duration", 0.0)
        if q.start is not None:
            a = q.start - init / 1000.0
        elif q.report is not None:
            a = q.report - (d + init) / 1000.0
        else:
            bad.add(q.where.split(":")[0], None, f"REPORT {rid} has no timestamp; left out")
            a = np.nan
        arrival.append(a)
        end.append(q.end if q.end is not None else (q.report if q.report is not None else np.nan))
    arr = np.asarray(arrival, dtype=np.float64)
    keep = np.isfinite(arr)
    order = np.argsort(arr[keep], kind="stable")
    sel = [done[i] for i in np.flatnonzero(keep)[order]]
    spans = _stream_spans(events)
    streams = sorted(spans, key=lambda s: spans[s][0])
    index = {s: i for i, s in enumerate(streams)}

    def col(name: str) -> F64:
        return np.array([q.fields.get(name, np.nan) for _, q in sel], dtype=np.float64)

    return CloudWatchLogs(
        files=files,
        request_id=[rid for rid, _ in sel],
        arrival_s=arr[keep][order],
        end_s=np.asarray(end, dtype=np.float64)[keep][order],
        duration_ms=col("Duration"),
        billed_ms=col("Billed Duration").astype(np.int64),
        memory_mb=col("Memory Size").round().astype(np.int64),
        max_memory_mb=col("Max Memory Used"),
        init_ms=col("Init Duration"),
        status=[q.status for _, q in sel],
        stream=np.array([index.get(q.stream or "", -1) for _, q in sel], dtype=np.int64),
        streams=streams,
        stream_first_s=np.array([spans[s][0] for s in streams], dtype=np.float64),
        stream_last_s=np.array([spans[s][1] for s in streams], dtype=np.float64),
        runtime=runtime,
        log_group=next(iter(g for g in groups if g), None) if len(groups) == 1 else None,
        malformed=bad,
        unfinished=unfinished,
        formats=formats,
    )


def _origin_s(spec: TraceArrivals, logs: CloudWatchLogs) -> float:
    if spec.origin is not None:
        o = spec.origin if spec.origin.tzinfo else spec.origin.replace(tzinfo=UTC)
        return o.timestamp()
    return float(logs.arrival_s[0])


def cloudwatch_logs_events(
    spec: TraceArrivals, path: Path, rng: np.random.Generator, *, durations: bool
) -> Iterator[EventBlock]:
    """Arrivals (s after ``origin``) and recorded handler durations (s) of a log export.

    ``spec.function`` keeps the events of one log group (when the export names groups).
    Malformed events raise :class:`TraceError` unless ``on_bad_row: skip`` (then a
    :class:`TraceWarning` says how many).
    """
    logs = read_logs(path, log_group=spec.function)
    bad = logs.malformed
    if bad.count:
        msg = f"{path}: {bad.count} malformed log event(s); first: {'; '.join(bad.first)}"
        if spec.on_bad_row == "error":
            raise TraceError(msg + " (on_bad_row: skip leaves them out)")
        warnings.warn(msg, TraceWarning, stacklevel=2)
    t = logs.arrival_s - _origin_s(spec, logs)
    d: F64 | None = logs.duration_ms / 1000.0 if durations else None
    keep = t >= 0.0
    t, d = t[keep], (d[keep] if d is not None else None)
    t, d, _ = Window(spec).apply(t, d)
    yield EventBlock(t, d)
