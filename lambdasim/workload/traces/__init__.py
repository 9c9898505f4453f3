"""Replay of recorded traces, streamed in chunks (memory flat however long the trace).

:func:`trace_events` turns a ``kind: trace`` arrivals block into blocks of arrival times
(seconds from the start of the run) and, when the trace records them, handler durations
(seconds). One module per format, all with the :class:`~.base.TraceReader` signature and found
through :data:`FORMATS`: ``csv`` and ``parquet`` (:mod:`.tabular`), ``azure2019``
(:mod:`.azure2019`), ``azure2021`` (:mod:`.azure2021`), ``cloudwatch`` (:mod:`.cloudwatch`),
``pacs`` (:mod:`.pacs`) and ``cloudwatch_logs`` (:mod:`.cloudwatch_logs`, events read by
:mod:`.log_events`). What they share is in :mod:`.base`; the formats import only that, and
only this module imports the formats (callers outside the package import from here).

A bad row (a value that is not a number, a negative time or duration, a timestamp earlier than
the previous one) raises :class:`TraceError` naming the file, line, column and value; with
``on_bad_row: skip`` it is left out and counted, and a :class:`TraceWarning` reports how many.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from lambdasim.config.arrivals import TraceArrivals
from lambdasim.workload.traces.azure2019 import (
    azure2019_counts,
    azure2019_events,
    azure2019_files,
    azure2019_functions,
)
from lambdasim.workload.traces.azure2021 import azure2021_events, azure2021_functions
from lambdasim.workload.traces.base import (
    CHUNK_ROWS,
    AzureFunction,
    EventBlock,
    RowCheck,
    TraceError,
    TraceReader,
    TraceWarning,
    spread_counts,
)
from lambdasim.workload.traces.cloudwatch import (
    CloudWatchSeries,
    cloudwatch_events,
    read_cloudwatch,
)
from lambdasim.workload.traces.cloudwatch_logs import (
    CloudWatchLogs,
    cloudwatch_logs_events,
    read_logs,
)
from lambdasim.workload.traces.pacs import PACS_MEMORY_MB, pacs_events
from lambdasim.workload.traces.tabular import csv_timestamps, table_chunks, tabular_events

__all__ = [
    "CHUNK_ROWS",
    "FORMATS",
    "PACS_MEMORY_MB",
    "AzureFunction",
    "CloudWatchLogs",
    "CloudWatchSeries",
    "EventBlock",
    "RowCheck",
    "TraceError",
    "TraceReader",
    "TraceWarning",
    "azure2019_counts",
    "azure2019_events",
    "azure2019_files",
    "azure2019_functions",
    "azure2021_events",
    "azure2021_functions",
    "cloudwatch_events",
    "cloudwatch_logs_events",
    "csv_timestamps",
    "pacs_events",
    "read_cloudwatch",
    "read_logs",
    "spread_counts",
    "table_chunks",
    "tabular_events",
    "trace_events",
]

#: The reader of each ``format:`` of a ``kind: trace`` block (the names TraceArrivals allows).
FORMATS: dict[str, TraceReader] = {
    "csv": tabular_events,
    "parquet": tabular_events,
    "azure2019": azure2019_events,
    "azure2021": azure2021_events,
    "cloudwatch": cloudwatch_events,
    "pacs": pacs_events,
    "cloudwatch_logs": cloudwatch_logs_events,
}


def trace_events(
    spec: TraceArrivals,
    path: Path,
    rng: np.random.Generator,
    *,
    use_durations: bool = True,
) -> Iterator[EventBlock]:
    """Blocks of arrivals (and recorded durations) of a ``kind: trace`` workload.

    Parameters
    ----------
    spec : TraceArrivals
        The arrivals block.
    path : Path
        ``spec.path`` resolved against the config file.
    rng : numpy.random.Generator
        The workload's stream (spreading per-minute counts, Poisson periods).
    use_durations : bool
        Read recorded durations (when the format has them and ``spec.use_durations``).

    Raises
    ------
    TraceError
        An unknown format (at once); the readers raise theirs while iterating.
    """
    reader = FORMATS.get(spec.format)
    if reader is None:
        raise TraceError(f"unknown trace format {spec.format!r}")
    return reader(spec, path, rng, durations=use_durations and spec.use_durations)
