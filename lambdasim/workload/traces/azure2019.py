"""Azure Functions 2019 traces: per-minute invocation counts of every function.

``azure2019`` (Shahrad et al., ATC 2020; the layout of the invitro samples): a directory with
``invocations.csv`` (``HashOwner,HashApp,HashFunction,Trigger`` then one column of invocation
counts per minute, headed by the minute number), ``durations.csv`` (execution-time percentiles,
ms) and ``memory.csv`` (allocated memory percentiles, MB). The original release's file names
(``invocations_per_function_md.anon.d01.csv``, ``function_durations_percentiles.anon.d01.csv``,
``app_memory_percentiles.anon.d01.csv``) are found too. Minute ``m`` of the file covers trace
seconds ``[(m − m0)·60, (m − m0 + 1)·60)`` where ``m0`` is the first minute column; its count is
spread ``uniform`` (sorted uniform times, the count kept exactly), ``equidistant`` (every
60/c s from the minute's start, exactly c) or ``poisson`` (a Poisson process of rate c/60 s, so
the count varies around c).

Functions are named by their hash; ``function:`` selects by a unique prefix of
``HashFunction``. The 2021 per-invocation rows are :mod:`.azure2021`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from lambdasim import dists, fit
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.base import (
    CHUNK_ROWS,
    AzureFunction,
    EventBlock,
    RowCheck,
    TraceError,
    Window,
    prefix_match,
    spread_counts,
)

__all__ = [
    "azure2019_counts",
    "azure2019_events",
    "azure2019_files",
    "azure2019_functions",
]

# A row of the 2019 file has up to 1,444 cells: read fewer rows at a time than for narrow CSVs.
_WIDE_CHUNK = 1024
_KEYS = ["HashOwner", "HashApp", "HashFunction", "Trigger"]


def azure2019_files(path: Path) -> tuple[Path, Path | None, Path | None]:
    """The invocations, durations and memory files of an azure2019 trace.

    ``path`` is the directory, or the invocations file itself (the others then sit next to it).
    """
    if path.is_file():
        d, inv = path.parent, path
    elif path.is_dir():
        d = path
        inv = _first(d, ["invocations.csv", "invocations_per_function*.csv"])  # type: ignore[assignment]
        if inv is None:
            raise TraceError(f"{path}: no invocations.csv (or invocations_per_function*.csv)")
    else:
        raise TraceError(f"{path}: trace directory not found")
    dur = _first(d, ["durations.csv", "function_durations_percentiles*.csv"])
    mem = _first(d, ["memory.csv", "app_memory_percentiles*.csv"])
    return inv, dur, mem


def _first(d: Path, patterns: list[str]) -> Path | None:
    for pat in patterns:
        hits = sorted(d.glob(pat))
        if hits:
            return hits[0]
    return None


def _minute_columns(path: Path) -> tuple[list[str], int]:
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (OSError, ValueError) as exc:
        raise TraceError(f"{path}: cannot read ({exc})") from None
    missing = [k for k in ("HashFunction",) if k not in header]
    if missing:
        raise TraceError(f"{path}: no column 'HashFunction' (columns: {list(header)[:6]}...)")
    minutes = [c for c in header if str(c).isdigit()]
    if not minutes:
        raise TraceError(f"{path}: no per-minute count columns (headed by minute numbers)")
    return minutes, int(minutes[0])


def _counts(
    chunk: pd.DataFrame, minutes: list[str], lines: NDArray[np.int64], checker: RowCheck
) -> NDArray[np.int64]:
    """Per-minute counts of the rows of ``chunk``; bad cells raise or count as 0 (skip)."""
    raw = chunk[minutes]
    if all(pd.api.types.is_numeric_dtype(t) for t in raw.dtypes):
        vals = raw.to_numpy(dtype=np.float64)  # the usual case: pandas parsed every cell
    else:
        vals = raw.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vals) | (vals < 0) | (vals != np.floor(vals))
    if bad.any():
        r, c = np.argwhere(bad)[0]
        col = minutes[c]
        # one message naming the first bad cell; skip mode zeroes every bad cell (counted)
        if not checker.skip:
            raise TraceError(
                f"{checker.path}:{int(lines[r])}: column '{col}': invocation counts must be "
                f"non-negative integers (got {raw.iloc[r, c]!r})"
            )
        checker.skipped += int(bad.sum())
        if checker.first is None:
            checker.first = f"{checker.path}:{int(lines[r])}: column '{col}': {raw.iloc[r, c]!r}"
        vals = np.where(bad, 0.0, vals)
    out: NDArray[np.int64] = vals.astype(np.int64)
    return out


#: Invocation files up to this size are parsed once per process and kept (a ``target: "*"``
#: replay reads the file once per function); larger ones are streamed every time.
CACHE_BYTES = 32 * 2**20
_cache: dict[tuple[str, int, int], pd.DataFrame] = {}


def _wide_chunks(inv: Path) -> Iterator[pd.DataFrame]:
    st = inv.stat()
    key = (str(inv.resolve()), st.st_mtime_ns, st.st_size)
    if st.st_size <= CACHE_BYTES:
        df = _cache.get(key)
        if df is None:
            _cache.clear()  # one file at a time: bounded memory
            df = _cache[key] = pd.read_csv(inv, dtype={k: str for k in _KEYS})
        yield df
        return
    with pd.read_csv(inv, chunksize=_WIDE_CHUNK, dtype={k: str for k in _KEYS}) as reader:
        yield from reader


def azure2019_counts(spec: TraceArrivals, path: Path) -> tuple[NDArray[np.int64], int]:
    """Per-minute counts of the selected function (all functions summed without
    ``function``) and the first minute number."""
    inv, _, _ = azure2019_files(path)
    minutes, m0 = _minute_columns(inv)
    checker = RowCheck(inv, spec.on_bad_row == "skip")
    total = np.zeros(len(minutes), dtype=np.int64)
    matched: set[str] = set()
    line0 = 2
    for chunk in _wide_chunks(inv):
        lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
        line0 += len(chunk)
        if spec.function is not None:
            sel = prefix_match(chunk["HashFunction"], spec.function)
            if not sel.any():
                continue
            chunk, lines = chunk[sel], lines[sel]
            matched.update(chunk["HashFunction"].astype(str))
        total += _counts(chunk, minutes, lines, checker).sum(axis=0)
    if spec.function is not None:
        if not matched:
            raise TraceError(f"{inv}: no function {spec.function!r} (HashFunction or a prefix)")
        if len(matched) > 1:
            raise TraceError(
                f"{inv}: function {spec.function!r} is ambiguous: {len(matched)} HashFunction "
                "values start with it; give more characters"
            )
    checker.finish()
    return total, m0


def azure2019_events(
    spec: TraceArrivals, path: Path, rng: np.random.Generator, *, durations: bool = True
) -> Iterator[EventBlock]:
    """Arrivals of one function (or of all, summed) of an azure2019 trace.

    ``rng`` spreads each minute's count; ``durations`` is ignored (the file has only counts).
    """
    counts, _ = azure2019_counts(spec, path)
    window = Window(spec)
    for t in spread_counts(counts, 60.0, spec.spread_or_default, rng):
        rt, _, done = window.apply(t, None)
        if rt.size:
            yield EventBlock(rt)
        if done:
            return


def azure2019_functions(
    path: Path, *, top: int | None = None, sample: int | None = None, seed: int = 0
) -> list[AzureFunction]:
    """The functions of an azure2019 trace with totals, fitted durations and memory.

    ``top`` keeps the N busiest (ties in file order); ``sample`` draws N at random with
    ``seed`` (file order kept). Durations: a lognormal through the p25/p50/p75/p99 of the
    durations file (ms → s, :func:`lambdasim.fit.from_percentiles`), constant when fewer than
    two are positive. Memory: the average allocation, rounded up to at least 128 MB.
    """
    inv, dur, mem = azure2019_files(path)
    minutes, _ = _minute_columns(inv)
    ids: list[str] = []
    trig: list[str] = []
    apps: list[str] = []
    totals: list[int] = []
    checker = RowCheck(inv, False)
    line0 = 2
    with pd.read_csv(inv, chunksize=_WIDE_CHUNK, dtype={k: str for k in _KEYS}) as reader:
        for chunk in reader:
            lines = np.arange(line0, line0 + len(chunk), dtype=np.int64)
            line0 += len(chunk)
            c = _counts(chunk, minutes, lines, checker)
            ids += chunk["HashFunction"].astype(str).tolist()
            apps += (
                chunk["HashApp"].astype(str) if "HashApp" in chunk else chunk["HashFunction"]
            ).tolist()
            trig += (
                chunk["Trigger"].astype(str) if "Trigger" in chunk else pd.Series([""] * len(chunk))
            ).tolist()
            totals += c.sum(axis=1).tolist()
    order = list(range(len(ids)))
    if top is not None:
        order = sorted(order, key=lambda i: -totals[i])[:top]
    elif sample is not None:
        pick = np.random.default_rng(seed).choice(
            len(ids), size=min(sample, len(ids)), replace=False
        )
        order = sorted(int(i) for i in pick)
    keep = {ids[i] for i in order}
    durs = _durations_2019(dur, keep) if dur is not None else {}
    mems = _memory_2019(mem, keep, {ids[i]: apps[i] for i in order}) if mem is not None else {}
    out = []
    for i in order:
        f = ids[i]
        dfit, dmax = durs.get(f, (None, None))
        out.append(
            AzureFunction(
                f,
                trig[i],
                int(totals[i]),
                dfit.to_config() if dfit is not None else None,
                dfit,
                mems.get(f),
                dmax,
            )
        )
    return out


def _durations_2019(path: Path, keep: set[str]) -> dict[str, tuple[fit.FitResult, float | None]]:
    out: dict[str, tuple[fit.FitResult, float | None]] = {}
    pct = {
        "p25": "percentile_Average_25",
        "p50": "percentile_Average_50",
        "p75": "percentile_Average_75",
        "p99": "percentile_Average_99",
    }
    with pd.read_csv(path, chunksize=CHUNK_ROWS, dtype={"HashFunction": str}) as reader:
        for chunk in reader:
            chunk = chunk[chunk["HashFunction"].isin(keep)]
            for _, row in chunk.iterrows():
                q = {
                    k: float(row[c]) / 1000.0
                    for k, c in pct.items()
                    if c in row and pd.notna(row[c])
                }
                mean = float(row["Average"]) / 1000.0 if pd.notna(row.get("Average")) else None
                if mean is not None:
                    q["mean"] = mean
                try:
                    r = fit.from_percentiles(q)
                except ValueError:
                    # no positive percentile and no mean: the function runs for under 1 ms
                    r = fit.FitResult("constant", {"value_s": 0.001}, dists.Constant(0.001), 0)
                dmax = float(row["Maximum"]) / 1000.0 if pd.notna(row.get("Maximum")) else None
                out[str(row["HashFunction"])] = (r, dmax)
    return out


def _memory_2019(path: Path, keep: set[str], app_of: dict[str, str]) -> dict[str, int]:
    # invitro's memory.csv is per function; the original release is per app (HashApp)
    out: dict[str, int] = {}
    by_app: dict[str, float] = {}
    with pd.read_csv(path, chunksize=CHUNK_ROWS, dtype={"HashFunction": str, "HashApp": str}) as r:
        for chunk in r:
            if "HashFunction" in chunk:
                sub = chunk[chunk["HashFunction"].isin(keep)]
                for f, mb in zip(sub["HashFunction"], sub["AverageAllocatedMb"], strict=True):
                    out[str(f)] = _lambda_memory(float(mb))
            elif "HashApp" in chunk:
                for a, mb in zip(chunk["HashApp"], chunk["AverageAllocatedMb"], strict=True):
                    by_app[str(a)] = float(mb)
    for f, a in app_of.items():
        if f not in out and a in by_app:
            out[f] = _lambda_memory(by_app[a])
    return out


def _lambda_memory(mb: float) -> int:
    """Lambda memory for an observed allocation: rounded up, within 128–10,240 MB (§3)."""
    if not math.isfinite(mb):
        return 128
    return int(min(10240, max(128, math.ceil(mb))))
