"""The log events in a CloudWatch Logs export, whatever its format (the first half of
:mod:`.cloudwatch_logs`).

Formats, recognised from the content:

* the JSON of ``aws logs filter-log-events`` / ``get-log-events``: ``{"events": [{"timestamp",
  "message", "logStreamName"?...}], ...}`` (one page, pages concatenated, or a JSON list of pages),
  or a bare JSON list of such events;
* CloudWatch Logs Insights results: a console JSON export (a list of ``{"@timestamp",
  "@message", "@logStream", "@log"}`` objects), ``aws logs get-query-results`` JSON (``results``:
  lists of ``{"field", "value"}``), or a console CSV export with a header row;
* plain text, one event per line, optionally prefixed by a timestamp (ISO 8601 or epoch ms)
  and a log stream name (``aws logs tail``, S3 exports).

Any of them may be gzip-compressed (``.gz``). Each event keeps the line it starts on, so that a
malformed one is reported as ``file:line``. Nothing here raises on a bad event: it is counted
and described (:class:`Malformed`).
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lambdasim.workload.traces.base import TraceError, snippet

__all__ = ["MAX_LOG_BYTES", "Malformed", "RawEvent", "parse_time", "read_events"]

#: Largest export read, bytes (uncompressed). A day of a busy function's REPORT lines is a few
#: hundred MB; the bound stops a wrong file from exhausting memory.
MAX_LOG_BYTES = 2 * 1024**3


@dataclass(slots=True)
class RawEvent:
    """One log event: epoch seconds (None if the line has none), stream, message, origin."""

    time_s: float | None
    stream: str | None
    message: str
    file: str
    line: int
    group: str | None = None
    fields: dict[str, str] | None = None  # Logs Insights fields other than @message


@dataclass
class Malformed:
    """Bad events of a file: how many, and the first few as ``file:line: what``."""

    count: int = 0
    first: list[str] = field(default_factory=list)
    keep: int = 5

    def add(self, file: str, line: int | None, what: str) -> None:
        """Count one bad event (described when among the first :attr:`keep`)."""
        self.count += 1
        if len(self.first) < self.keep:
            self.first.append(f"{file}:{line}: {what}" if line else f"{file}: {what}")


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?")


def parse_time(v: Any) -> float | None:
    """Epoch seconds of a log timestamp: epoch ms (number or digits), or ISO 8601 (UTC when it
    has no offset, as Logs Insights writes ``2025-05-12 20:24:06.154``)."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return float(v) / 1000.0 if v > 1e11 else None
    s = str(v).strip()
    if s.isdigit() and len(s) >= 12:
        return int(s) / 1000.0
    if not _ISO.fullmatch(s):
        return None
    try:
        d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d.timestamp()


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TraceError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as g:
                raw = g.read(MAX_LOG_BYTES + 1)
        except (OSError, EOFError) as exc:
            raise TraceError(f"{path}: not a readable gzip file ({exc})") from None
    if len(raw) > MAX_LOG_BYTES:
        raise TraceError(f"{path}: above {MAX_LOG_BYTES // 2**30} GB uncompressed")
    if b"\x00" in raw[:65536]:
        raise TraceError(f"{path}: binary data, not a CloudWatch Logs export")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TraceError(f"{path}:{line}: not UTF-8 text") from None


class _Lines:
    """Offset → line number, by bisection over the newline offsets."""

    def __init__(self, text: str) -> None:
        self.nl = [m.start() for m in re.finditer("\n", text)]

    def __call__(self, offset: int) -> int:
        return bisect.bisect_left(self.nl, offset) + 1


_DEC = json.JSONDecoder()
_WS = re.compile(r"\s*")


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    return m.end() if m else i


def _array(text: str, i: int, out: list[tuple[Any, int]]) -> int:
    """Decode the JSON array at ``text[i] == '['`` element by element into ``out`` as
    ``(value, offset)``; returns the offset after it. Raises ValueError where it breaks."""
    i = _ws(text, i + 1)
    if text.startswith("]", i):
        return i + 1
    while True:
        if text.startswith("{", i):
            i = _object(text, i, out)
        else:
            v, j = _DEC.raw_decode(text, i)
            out.append((v, i))
            i = j
        i = _ws(text, i)
        if text.startswith(",", i):
            i = _ws(text, i + 1)
        elif text.startswith("]", i):
            return i + 1
        else:
            raise ValueError(i)


def _object(text: str, i: int, out: list[tuple[Any, int]]) -> int:
    """A JSON object: a page (``events`` / ``results`` decoded element-wise) or one value."""
    v, j = _DEC.raw_decode(text, i)
    if isinstance(v, dict) and any(k in v for k in ("events", "results")):
        # re-walk the page so that each event keeps its own line
        k = _ws(text, i + 1)
        while not text.startswith("}", k):
            key, k = _DEC.raw_decode(text, k)
            k = _ws(text, k)
            k = _ws(text, k + 1)  # past ':'
            if key in ("events", "results") and text.startswith("[", k):
                k = _array(text, k, out)
            else:
                _, k = _DEC.raw_decode(text, k)
            k = _ws(text, k)
            if text.startswith(",", k):
                k = _ws(text, k + 1)
        return j
    out.append((v, i))
    return j


def _json_events(text: str, src: str, bad: Malformed) -> list[RawEvent]:
    lines = _Lines(text)
    items: list[tuple[Any, int]] = []
    i = _ws(text, 0)
    try:
        while i < len(text):
            if text.startswith("[", i):
                i = _array(text, i, items)
            elif text.startswith("{", i):
                i = _object(text, i, items)
            else:
                raise ValueError(i)
            i = _ws(text, i)
    except (ValueError, json.JSONDecodeError) as exc:
        at = exc.pos if isinstance(exc, json.JSONDecodeError) else int(exc.args[0])
        if not items:
            raise TraceError(
                f"{src}:{lines(at)}: not valid JSON (truncated or not a log export)"
            ) from None
        bad.add(src, lines(at), "the JSON breaks here (truncated?); the rest is skipped")
    out: list[RawEvent] = []
    for v, off in items:
        ln = lines(off)
        if isinstance(v, list) and v and all(isinstance(c, dict) and "field" in c for c in v):
            v = {c["field"]: c.get("value") for c in v}  # a get-query-results row
        if not isinstance(v, dict):
            bad.add(src, ln, f"not a log event (got {snippet(v)})")
            continue
        ev = _event(v, src, ln, bad)
        if ev is not None:
            out.append(ev)
    return out


def _event(v: dict[str, Any], src: str, ln: int, bad: Malformed) -> RawEvent | None:
    msg = v.get("message", v.get("@message"))
    ts = v.get("timestamp", v.get("@timestamp"))
    t = parse_time(ts)
    if ts is not None and t is None:
        bad.add(src, ln, f"timestamp {snippet(ts)} is neither epoch ms nor ISO 8601")
        return None
    fields = {k: str(x) for k, x in v.items() if isinstance(k, str) and k.startswith("@")}
    if not isinstance(msg, str):
        if "@type" in fields or "@duration" in fields:
            msg = ""  # Logs Insights discovered fields only
        else:
            bad.add(src, ln, "an event without a message")
            return None
    stream = v.get("logStreamName", v.get("@logStream"))
    group = v.get("@log", v.get("logGroupName"))
    return RawEvent(
        t,
        str(stream) if stream is not None else None,
        msg,
        src,
        ln,
        str(group) if group is not None else None,
        fields or None,
    )


def _csv_events(text: str, src: str, bad: Malformed) -> list[RawEvent]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, [])
    out: list[RawEvent] = []
    for n, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(header):
            bad.add(src, n, f"{len(row)} cells for {len(header)} columns")
            continue
        ev = _event(dict(zip(header, row, strict=True)), src, n, bad)
        if ev is not None:
            out.append(ev)
    return out


_KEYS = ("START RequestId:", "END RequestId:", "REPORT RequestId:", "INIT_START", '{"time"')
_STREAM = re.compile(r"\d{4}/\d{2}/\d{2}/\[[^\]]*\]\S+")


def _text_events(text: str, src: str) -> list[RawEvent]:
    out: list[RawEvent] = []
    for n, line in enumerate(text.splitlines(), start=1):
        idx = min((i for i in (line.find(k) for k in _KEYS) if i >= 0), default=-1)
        head = line[:idx] if idx >= 0 else line
        tokens = head.split()
        t: float | None = None
        stream: str | None = None
        for tok in tokens[:3]:
            if t is None and (tt := parse_time(tok)) is not None:
                t = tt
            elif stream is None and _STREAM.fullmatch(tok):
                stream = tok
        if idx >= 0:
            out.append(RawEvent(t, stream, line[idx:], src, n))
        elif t is not None and stream is not None:
            out.append(RawEvent(t, stream, "", src, n))  # an application line: a stream lives
    return out


def read_events(path: Path, bad: Malformed) -> tuple[list[RawEvent], str]:
    """The events of one export file and the name of its format.

    Raises
    ------
    TraceError
        The file cannot be read, is binary, or is JSON broken before its first event.
    """
    text = _text(path)
    src = str(path)
    head = text.lstrip()[:1]
    if head in ("[", "{"):
        return _json_events(text, src, bad), "json"
    first = text.split("\n", 1)[0]
    if first.startswith(("@timestamp", '"@timestamp"')) or "@message" in first.split(",")[0:3]:
        return _csv_events(text, src, bad), "insights-csv"
    return _text_events(text, src), "text"
