"""What every trace format shares: errors, the event block, bad-row policy, windowing.

A bad row (a value that is not a number, a negative time or duration, a timestamp earlier than
the previous one) raises :class:`TraceError` naming the file, line, column and value; with
``on_bad_row: skip`` it is left out and counted, and a :class:`TraceWarning` reports how many.
Every format reader has the :class:`TraceReader` signature, and
:data:`lambdasim.workload.traces.FORMATS` maps format names to them. The format modules import
this one and nothing else of the package.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim import fit
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.errors import LambdasimError
from lambdasim.rng import BLOCK

__all__ = [
    "CHUNK_ROWS",
    "AzureFunction",
    "EventBlock",
    "Monotone",
    "RowCheck",
    "TraceError",
    "TraceReader",
    "TraceWarning",
    "Window",
    "prefix_match",
    "snippet",
    "spread_counts",
]

#: Rows read at a time from narrow CSV files (memory stays flat however long the trace).
CHUNK_ROWS = 65536

Times = NDArray[np.float64]


#: Longest cell value an error message quotes, characters (a message names the problem; it
#: must not print the content of a file that is not a trace, e.g. ``path: /etc/passwd``).
SNIPPET_CHARS = 24
#: Longest trace error message, characters (the file's path and the problem fit easily).
MESSAGE_CHARS = 400


def snippet(value: Any) -> str:
    """``value`` as an error message quotes it: ``repr`` (non-printable characters escaped),
    at most :data:`SNIPPET_CHARS` characters, cut with ``...``."""
    text = repr(value.item() if isinstance(value, np.generic) else value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 3] + "..."


class TraceError(LambdasimError, ValueError):
    """A trace file that cannot be replayed (missing, wrong column, bad value, not sorted...).

    The message is one line per problem, naming ``file:line: column``. It is sanitised here, so
    that whatever a reader puts in it (a header, a parser's message) cannot flood the terminal
    with another file's content: non-printable characters become ``?`` and each line is cut at
    :data:`MESSAGE_CHARS` characters.
    """

    def __init__(self, message: str) -> None:
        lines = []
        for line in str(message).splitlines() or [""]:
            clean = "".join(c if c.isprintable() else "?" for c in line)
            if len(clean) > MESSAGE_CHARS:
                clean = clean[: MESSAGE_CHARS - 3] + "..."
            lines.append(clean)
        super().__init__("\n".join(lines))


class TraceWarning(UserWarning):
    """Something in a trace worth knowing (skipped rows, gaps, incomplete CloudWatch data)."""


@dataclass(frozen=True, slots=True)
class EventBlock:
    """Consecutive arrivals: times (s from the start of the run) and recorded durations (s)."""

    times: Times
    durations: Times | None = None
    #: Tenant ids (Python strings) of a trace with a ``tenant_column``, else None.
    tenants: NDArray[np.object_] | None = None


class RowCheck:
    """Bad-row policy of one trace: raise at the first bad row, or skip and count.

    Parameters
    ----------
    path : Path
        The file, for messages.
    skip : bool
        ``on_bad_row: skip``.
    """

    def __init__(self, path: Path, skip: bool) -> None:
        self.path = path
        self.skip = skip
        self.skipped = 0
        self.first: str | None = None

    def check(
        self, bad: NDArray[np.bool_], lines: NDArray[np.int64], column: str, values: Any, what: str
    ) -> NDArray[np.bool_]:
        """Handle rows flagged ``bad``; return the mask of rows to keep.

        ``lines`` are the rows' line numbers in the file (the header is line 1), ``values``
        the raw cells of ``column`` (for the message), ``what`` the rule they broke.
        """
        if not bad.any():
            return ~bad
        i = int(np.argmax(bad))
        raw = values.iloc[i] if hasattr(values, "iloc") else values[i]
        msg = f"{self.path}:{int(lines[i])}: column '{column}': {what} (got {_raw(raw)})"
        if not self.skip:
            raise TraceError(msg)
        self.skipped += int(bad.sum())
        if self.first is None:
            self.first = msg
        return ~bad

    def finish(self) -> None:
        """Warn how many rows were skipped (``on_bad_row: skip``)."""
        if self.skipped:
            warnings.warn(
                f"{self.path}: skipped {self.skipped} bad row(s) (on_bad_row: skip); "
                f"first: {self.first}",
                TraceWarning,
                stacklevel=2,
            )


def _raw(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "an empty cell"
    return snippet(v)


class Window:
    """Maps trace seconds to run seconds: keep ``start_s <= t < end_s``, then
    ``(t - start_s) / speedup``."""

    def __init__(self, spec: TraceArrivals) -> None:
        self.start = spec.start_s
        self.end = spec.end_s if spec.end_s is not None else np.inf
        self.speedup = spec.speedup

    def apply(self, t: Times, d: Times | None) -> tuple[Times, Times | None, bool]:
        """Windowed run times, durations, and whether the end of the window was passed."""
        done = bool(t.size) and t[-1] >= self.end
        keep = (t >= self.start) & (t < self.end)
        if not keep.all():
            t = t[keep]
            d = d[keep] if d is not None else None
        if self.start != 0.0 or self.speedup != 1.0:
            t = (t - self.start) / self.speedup
        return t, d, done


class Monotone:
    """Checks that selected timestamps never decrease, across chunks."""

    def __init__(self) -> None:
        self.last = -np.inf

    def bad(self, t: Times) -> NDArray[np.bool_]:
        """Rows earlier than some row before them (NaNs are not flagged here)."""
        if not t.size:
            return np.zeros(0, dtype=bool)
        prev = np.maximum.accumulate(
            np.concatenate(([self.last], np.nan_to_num(t[:-1], nan=-np.inf)))
        )
        return t < prev

    def advance(self, t: Times) -> None:
        """Remember the latest of the kept timestamps ``t`` (s) for the next chunk."""
        if t.size:
            self.last = max(self.last, float(np.nanmax(t)))


class TraceReader(Protocol):
    """A trace format: blocks of arrivals (and recorded durations) of a ``kind: trace`` block.

    Parameters
    ----------
    spec : TraceArrivals
        The arrivals block.
    path : Path
        ``spec.path`` resolved against the config file.
    rng : numpy.random.Generator
        The workload's stream (spreading per-period counts); formats of per-request rows
        ignore it.
    durations : bool
        Read recorded durations, s (formats without them ignore it).
    """

    def __call__(
        self, spec: TraceArrivals, path: Path, rng: np.random.Generator, *, durations: bool
    ) -> Iterator[EventBlock]: ...


def spread_counts(
    counts: NDArray[np.int64],
    bin_s: float,
    spread: str,
    rng: np.random.Generator,
    block: int = BLOCK,
) -> Iterator[Times]:
    """Arrival times (s) for per-bin counts: bin ``j`` covers ``[j·bin_s, (j+1)·bin_s)``.

    ``uniform`` and ``equidistant`` keep every count exactly; ``poisson`` draws a Poisson
    process of rate ``counts[j]/bin_s`` in bin ``j``.
    """
    counts = np.asarray(counts, dtype=np.int64)
    if spread == "poisson":
        counts = rng.poisson(counts.astype(np.float64))
    cum = np.cumsum(counts)
    j0 = 0
    nbins = counts.size
    while j0 < nbins:
        # bins j0..j1-1 hold about one block of arrivals (at least one bin)
        base = cum[j0 - 1] if j0 else 0
        j1 = int(np.searchsorted(cum, base + block, side="right"))
        j1 = min(max(j1, j0 + 1), nbins)
        c = counts[j0:j1]
        n = int(c.sum())
        if n:
            starts = np.arange(j0, j1, dtype=np.float64) * bin_s
            rs = np.repeat(starts, c)
            if spread == "equidistant":
                first = np.cumsum(c) - c  # index of each bin's first arrival in this block
                k = np.arange(n) - np.repeat(first, c)
                t = rs + k * np.repeat(bin_s / np.maximum(c, 1), c)
            else:
                t = rs + rng.random(n) * bin_s
                t.sort()  # bins are disjoint: one sort orders within each
            yield t
        j0 = j1


def prefix_match(ids: pd.Series, want: str) -> NDArray[np.bool_]:
    """Rows whose id starts with ``want`` (Azure traces select functions by a hash prefix)."""
    return ids.astype(str).str.startswith(want).to_numpy()


@dataclass(frozen=True)
class AzureFunction:
    """One function of an Azure trace, with what the trace says about it.

    Attributes
    ----------
    id : str
        ``HashFunction`` (2019) or ``APP:FUNC`` (2021).
    trigger : str
        2019 ``Trigger`` (http, timer, queue, ...); ``""`` for 2021.
    total : int
        Invocations in the file.
    duration : dict or None
        A ``duration`` config block fitted to the trace (seconds), if the trace has durations.
    fit : FitResult or None
        The fit behind ``duration``.
    memory_mb : int or None
        Memory for a Lambda function: the trace's average allocation rounded up, 128–10,240.
    max_duration_s : float or None
        Longest recorded execution, seconds.
    """

    id: str
    trigger: str
    total: int
    duration: dict[str, Any] | None = None
    fit: fit.FitResult | None = None
    memory_mb: int | None = None
    max_duration_s: float | None = None
