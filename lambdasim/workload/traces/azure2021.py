"""Azure Functions 2021 traces (Zhang et al., SOSP 2021): one row per invocation.

Columns ``app,func,end_timestamp,duration`` in seconds; an invocation starts at
``end_timestamp − duration`` and its recorded duration is used. Functions are named
``APP:FUNC`` by their hashes; ``function:`` selects by ``APP:FUNC`` prefixes, or by a ``FUNC``
prefix alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim import dists, fit
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.base import (
    CHUNK_ROWS,
    AzureFunction,
    EventBlock,
    Monotone,
    RowCheck,
    TraceError,
    Window,
    prefix_match,
)

__all__ = ["azure2021_events", "azure2021_functions"]

_COLS_2021 = ["app", "func", "end_timestamp", "duration"]


def _select_2021(chunk: pd.DataFrame, want: str | None) -> NDArray[np.bool_]:
    if want is None:
        return np.ones(len(chunk), dtype=bool)
    if ":" in want:
        a, f = want.split(":", 1)
        return prefix_match(chunk["app"], a) & prefix_match(chunk["func"], f)
    return prefix_match(chunk["func"], want)


def _read_2021(path: Path) -> Any:
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    try:
        return pd.read_csv(
            path, usecols=_COLS_2021, chunksize=CHUNK_ROWS, dtype={"app": str, "func": str}
        )
    except ValueError as exc:
        raise TraceError(f"{path}: expected columns {_COLS_2021} ({exc})") from None


def azure2021_events(
    spec: TraceArrivals,
    path: Path,
    rng: np.random.Generator | None = None,
    *,
    durations: bool = True,
) -> Iterator[EventBlock]:
    """Invocations of one function (``APP:FUNC`` prefixes) or of all, with their durations (s).

    ``rng`` is not used: every row is one invocation.
    """
    checker = RowCheck(path, spec.on_bad_row == "skip")
    window = Window(spec)
    mono = Monotone()
    line0 = 2
    seen: set[tuple[str, str]] = set()
    with _read_2021(path) as reader:
        for chunk in reader:
            lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
            line0 += len(chunk)
            sel = _select_2021(chunk, spec.function)
            if not sel.all():
                chunk, lines = chunk[sel], lines[sel]
            if not len(chunk):
                continue
            if spec.function is not None and len(seen) < 2:
                seen.update(zip(chunk["app"], chunk["func"], strict=True))
            end = pd.to_numeric(chunk["end_timestamp"], errors="coerce").to_numpy(np.float64)
            dur = pd.to_numeric(chunk["duration"], errors="coerce").to_numpy(np.float64)
            keep = checker.check(
                ~np.isfinite(end),
                lines,
                "end_timestamp",
                chunk["end_timestamp"],
                "must be a number of seconds",
            )
            keep &= checker.check(
                (~np.isfinite(dur) | (dur < 0)) & keep,
                lines,
                "duration",
                chunk["duration"],
                "must be a non-negative number of seconds",
            )
            t = (end - dur) * spec.time_scale
            if not keep.all():
                t, dur, lines = t[keep], dur[keep], lines[keep]
                chunk = chunk[keep]
            dec = mono.bad(t)
            if dec.any():
                k2 = checker.check(
                    dec,
                    lines,
                    "end_timestamp",
                    chunk["end_timestamp"],
                    "start times (end_timestamp − duration) must not decrease",
                )
                t, dur = t[k2], dur[k2]
            mono.advance(t)
            rt, rd, done = window.apply(t, dur * spec.time_scale if durations else None)
            if rt.size:
                yield EventBlock(rt, rd)
            if done:
                break
    if spec.function is not None and len(seen) > 1:
        raise TraceError(f"{path}: function {spec.function!r} matches several (app, func) pairs")
    checker.finish()


def azure2021_functions(path: Path, max_samples: int = 2000) -> list[AzureFunction]:
    """The (app, func) pairs of an azure2021 trace in order of first appearance, with totals
    and a duration fit (:func:`lambdasim.fit.duration` on up to ``max_samples`` durations)."""
    totals: dict[str, int] = {}
    samples: dict[str, list[float]] = {}
    with _read_2021(path) as reader:
        for chunk in reader:
            keys = (chunk["app"].astype(str) + ":" + chunk["func"].astype(str)).tolist()
            d = pd.to_numeric(chunk["duration"], errors="coerce").tolist()
            for k, v in zip(keys, d, strict=True):
                totals[k] = totals.get(k, 0) + 1
                s = samples.setdefault(k, [])
                if len(s) < max_samples and v == v and v > 0:  # v == v: not NaN
                    s.append(float(v))
    out = []
    for k, n in totals.items():
        s = samples[k]
        r = None
        if len(s) >= 2:
            r = fit.duration(s)
        elif s:
            r = fit.FitResult("constant", {"value_s": s[0]}, dists.Constant(s[0]), 1)
        out.append(
            AzureFunction(k, "", n, r.to_config() if r else None, r, None, max(s) if s else None)
        )
    return out
