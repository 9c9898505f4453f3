"""Opt-in per-invocation log (``ls.run(..., trace=True)``), for teaching and exact tests.

Off by default: the invoke path then pays one ``is not None`` test per invocation. When on, each
finished invoke appends one tuple to a short batch; every :data:`_BATCH` rows the batch moves
into ten typed columns (``array('d')`` for times, ``array('q')`` for environment ids,
``array('b')`` for flags and outcome codes, ``array('i')`` for the function, interned as a small
int): 55 bytes a row, instead of ~320 for lists of Python floats, so a 10M-invocation log fits
in about 1 GB at its peak (issue 16). One tuple per row keeps :meth:`InvocationLog.record` as
cheap as the lists were; the batch bounds the Python objects held to a few MB.
:meth:`InvocationLog.frame` turns the columns into the DataFrame column by column, freeing each
buffer as its column is built, so the peak is about the frame itself.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

__all__ = ["InvocationLog"]

_OUTCOMES = ("succeeded", "error", "timeout", "throttled")
#: Rows per step of the order check and of the string columns (bounds their temporaries).
_CHUNK = 1 << 16
#: Rows held as tuples before they move into the typed columns.
_BATCH = 4096


class InvocationLog:
    """Columns of finished invokes: one row per admitted attempt.

    :meth:`record` is the :class:`~lambdasim.records.Tracer` the invoke path calls; :meth:`frame`
    builds the DataFrame (columns ``function``, ``env_id``, ``arrival_s``, ``start_s``,
    ``end_s``, ``cold``, ``init_s``, ``duration_s``, ``outcome``, ``suppressed_init``,
    ``latency_s``; seconds), ordered by end then start time.
    """

    def __init__(self) -> None:
        self._names: list[str] = []  # function id -> name
        self._ids: dict[str, int] = {}
        self._frame: pd.DataFrame | None = None  # the rows already handed to frame()
        self._rows: list[tuple[Any, ...]] = []  # the batch not yet in the columns
        self._new_buffers()

    def _new_buffers(self) -> None:
        self._function = array("i")
        self._env_id = array("q")
        self._arrival = array("d")
        self._start = array("d")
        self._end = array("d")
        self._cold = array("b")
        self._init = array("d")
        self._duration = array("d")
        self._outcome = array("b")
        self._suppressed = array("b")

    def __len__(self) -> int:
        """Rows recorded (including those already in a frame)."""
        done = len(self._frame) if self._frame is not None else 0
        return len(self._end) + len(self._rows) + done

    def record(self, function: str, e: Any, end: float, outcome: int, invoke_s: float) -> None:
        """Append the invoke that environment ``e`` just finished at ``end``."""
        rows = self._rows
        rows.append(
            (
                function,
                e.id,
                e.arrival,
                e.start,
                end,
                e.cold,
                e.init_s,
                invoke_s,
                outcome,
                e.suppressed,
            )
        )
        if len(rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        """Move the batch of row tuples into the typed columns."""
        rows = self._rows
        if not rows:
            return
        n = len(rows)
        fn, env, arrival, start, end, cold, init, dur, outcome, supp = zip(*rows, strict=True)
        self._rows = []
        ids = self._ids
        for name in dict.fromkeys(fn):  # new names get ids in order of first appearance
            if name not in ids:
                ids[name] = len(self._names)
                self._names.append(name)
        # struct converts a whole column in one C call, at a fraction of array.append's cost
        # per value (which parses each item as a function argument); "?" stores truth values,
        # so NumPy bools are fine. Native sizes, as array's type codes.
        self._function.frombytes(struct.pack(f"{n}i", *map(ids.__getitem__, fn)))
        self._env_id.frombytes(struct.pack(f"{n}q", *env))
        self._arrival.frombytes(struct.pack(f"{n}d", *arrival))
        self._start.frombytes(struct.pack(f"{n}d", *start))
        self._end.frombytes(struct.pack(f"{n}d", *end))
        self._cold.frombytes(struct.pack(f"{n}?", *cold))
        self._init.frombytes(struct.pack(f"{n}d", *init))
        self._duration.frombytes(struct.pack(f"{n}d", *dur))
        self._outcome.frombytes(struct.pack(f"{n}b", *outcome))
        self._suppressed.frombytes(struct.pack(f"{n}?", *supp))

    def frame(self) -> pd.DataFrame:
        """The log as a DataFrame, ordered by end time (then start time; stable).

        The typed buffers are turned into columns one by one and then released, so the peak is
        about one frame, not a frame and a log; the frame is kept, and rows recorded after
        this call are added to it by the next one.
        """
        import pandas as pd

        self._flush()
        if self._frame is not None and len(self._end) == 0:
            return self._frame
        new = self._take_frame()
        if self._frame is None:
            self._frame = new
        else:  # rows after an earlier frame(): the old rows first, then one stable sort
            both = pd.concat([self._frame, new], ignore_index=True)
            self._frame = both.sort_values(["end_s", "start_s"], kind="stable").reset_index(
                drop=True
            )
        return self._frame

    def _take_frame(self) -> pd.DataFrame:
        """A frame of the rows in the buffers, which are emptied."""
        import numpy as np
        import pandas as pd

        end = np.frombuffer(self._end, dtype=np.float64)
        start = np.frombuffer(self._start, dtype=np.float64)
        # Rows are appended as invokes end, so end times never decrease: only invokes that end
        # at the same instant can be out of start order. Sort only then (same permutation as a
        # stable sort_values(["end_s", "start_s"])).
        order = None if _ordered(end, start) else np.lexsort((start, end))
        del end, start  # release the views: the buffers can be freed below
        cols: dict[str, Any] = {}
        cols["function"] = _labels(self._names, self._take("_function", np.int32, order))
        cols["env_id"] = self._take("_env_id", np.int64, order)
        cols["arrival_s"] = self._take("_arrival", np.float64, order)
        cols["start_s"] = self._take("_start", np.float64, order)
        cols["end_s"] = self._take("_end", np.float64, order)
        cols["cold"] = self._take("_cold", np.int8, order).astype(bool)
        cols["init_s"] = self._take("_init", np.float64, order)
        cols["duration_s"] = self._take("_duration", np.float64, order)
        cols["outcome"] = _labels(_OUTCOMES, self._take("_outcome", np.int8, order))
        cols["suppressed_init"] = self._take("_suppressed", np.int8, order).astype(bool)
        del order
        cols["latency_s"] = cols["end_s"] - cols["arrival_s"]
        # copy=False: one block per column, no consolidated copy of the float columns
        return pd.DataFrame(cols, copy=False)

    def _take(self, name: str, dtype: type[np.generic], order: np.ndarray | None) -> np.ndarray:
        """Buffer ``name`` as a NumPy column (rows in ``order``), and a fresh empty buffer."""
        import numpy as np

        buf = getattr(self, name)
        view = np.frombuffer(buf, dtype=dtype)
        col = view[order] if order is not None else view.copy()
        del view
        setattr(self, name, array(buf.typecode))  # frees the old buffer
        return col


def _labels(labels: Sequence[str], codes: np.ndarray) -> Any:
    """A pandas ``str`` column of ``labels[codes]``, built without Python strings.

    pandas' ``str`` dtype is Arrow-backed (``large_string``: 8-byte offsets and the UTF-8
    bytes); the two buffers are filled with NumPy, chunk by chunk, and handed to Arrow and
    pandas without a copy. An object array, or Arrow's own ``take`` (whose string builder grows
    by reallocation, and whose pool keeps the freed pages), would each add about 8 bytes a row
    to the log's peak.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    raw = [s.encode("utf-8") for s in labels]
    lens = np.array([len(b) for b in raw], dtype=np.int64)
    width = int(lens.max()) if raw else 0
    table = np.zeros((len(raw), max(width, 1)), dtype=np.uint8)
    for i, b in enumerate(raw):
        table[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    n = codes.size
    offsets = np.zeros(n + 1, dtype=np.int64)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        np.cumsum(lens[codes[lo:hi]], out=offsets[lo + 1 : hi + 1])
        offsets[lo + 1 : hi + 1] += offsets[lo]
    data = np.empty(int(offsets[-1]), dtype=np.uint8)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        c = codes[lo:hi]
        keep = np.arange(table.shape[1]) < lens[c][:, None]  # each label's own bytes
        data[offsets[lo] : offsets[hi]] = table[c][keep]
    arr = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.array(arr, dtype="str")


def _ordered(end: np.ndarray, start: np.ndarray) -> bool:
    """Whether rows are sorted by (end, start), compared in chunks (small temporaries)."""
    n = end.size
    for lo in range(0, max(n - 1, 0), _CHUNK):
        hi = min(n, lo + _CHUNK + 1)
        e0, e1 = end[lo : hi - 1], end[lo + 1 : hi]
        s0, s1 = start[lo : hi - 1], start[lo + 1 : hi]
        if not bool(((e1 > e0) | ((e1 == e0) & (s1 >= s0))).all()):
            return False
    return True
