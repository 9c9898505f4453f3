"""Replay of recorded arrival timestamps, streamed in chunks (memory flat however long)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["TraceError", "csv_timestamps"]

CHUNK_ROWS = 65536


class TraceError(ValueError):
    """A trace file that cannot be replayed (missing, wrong column, not sorted...)."""


def csv_timestamps(path: Path, time_column: str = "timestamp") -> Iterator[NDArray[np.float64]]:
    """Yield arrival times (seconds from the start of the run) from a CSV, chunk by chunk.

    Raises
    ------
    TraceError
        If the file or column is missing, a value is not a finite non-negative number, or the
        timestamps decrease.
    """
    if not path.is_file():
        raise TraceError(f"{path}: trace file not found")
    last = -np.inf
    row = 0
    try:
        reader = pd.read_csv(path, usecols=[time_column], chunksize=CHUNK_ROWS)
    except ValueError as exc:
        raise TraceError(f"{path}: no column '{time_column}' ({exc})") from None
    with reader:
        for chunk in reader:
            t = pd.to_numeric(chunk[time_column], errors="coerce").to_numpy(dtype=np.float64)
            bad = ~np.isfinite(t) | (t < 0)
            if bad.any():
                i = int(np.argmax(bad))
                raise TraceError(
                    f"{path}: row {row + i + 2}: {time_column} must be a non-negative number "
                    f"of seconds (got {chunk[time_column].iloc[i]!r})"
                )
            dec = np.diff(np.concatenate(([last], t))) < 0
            if dec.any():
                i = int(np.argmax(dec))
                raise TraceError(
                    f"{path}: row {row + i + 2}: timestamps must not decrease "
                    f"(got {t[i]} after {last if i == 0 else t[i - 1]})"
                )
            last = float(t[-1]) if t.size else last
            row += len(t)
            yield t
