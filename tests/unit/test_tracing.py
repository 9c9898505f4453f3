"""The per-invocation log of ``trace=True`` (issue 16 target 5): same frame, columnar buffers.

The oracle is the log as it was: one Python list per column, turned into a DataFrame with the
documented dtypes and sorted by ``(end_s, start_s)`` with a stable sort. The columnar log must
give the identical frame (values, dtypes, order, index) for the same rows, including NumPy
scalars from the invoke path, invokes that end at the same instant out of start order, several
functions and rows recorded after a first ``frame()``. Memory is counted by ``tracemalloc``
(allocation sizes, not timings): NumPy's buffers, which hold the frame, are traced too.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import lambdasim as ls
from lambdasim import tracing
from lambdasim.tracing import InvocationLog
from tests.conftest import scenario

pytestmark = pytest.mark.unit

OUTCOMES = ("succeeded", "error", "timeout", "throttled")
DTYPES = {
    "function": "str",
    "env_id": "int64",
    "arrival_s": "float64",
    "start_s": "float64",
    "end_s": "float64",
    "cold": "bool",
    "init_s": "float64",
    "duration_s": "float64",
    "outcome": "str",
    "suppressed_init": "bool",
}


@dataclass
class Env:
    """What the tracer reads of an execution environment."""

    id: Any
    arrival: Any
    start: Any
    cold: Any
    init_s: Any
    suppressed: Any


def oracle(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """The frame of the list-of-objects log, from ``(function, env, end, outcome, invoke_s)``."""
    cols: dict[str, list[Any]] = {k: [] for k in DTYPES}
    for function, e, end, outcome, invoke_s in rows:
        for k, v in zip(
            DTYPES,
            (function, e.id, e.arrival, e.start, end, e.cold, e.init_s, invoke_s),
            strict=False,
        ):
            cols[k].append(v)
        cols["outcome"].append(OUTCOMES[outcome])
        cols["suppressed_init"].append(e.suppressed)
    df = pd.DataFrame(cols).astype(DTYPES)
    df["latency_s"] = df["end_s"] - df["arrival_s"]
    return df.sort_values(["end_s", "start_s"], kind="stable").reset_index(drop=True)


def random_rows(rng: np.random.Generator, n: int) -> list[tuple[Any, ...]]:
    """Rows in end-time order (as the invoke path records them), with many equal end times."""
    rows = []
    t = 0.0
    for i in range(n):
        t += float(rng.choice([0.0, 0.0, 0.25, 1.0]))  # ties are common
        e = Env(
            id=np.int64(rng.integers(0, 9)) if i % 2 else int(rng.integers(0, 9)),
            arrival=float(rng.uniform(0.0, t + 1.0)),
            start=np.float64(rng.choice([0.0, 0.5, t])),  # out of order within a tie
            cold=np.bool_(rng.integers(0, 2)) if i % 3 else bool(rng.integers(0, 2)),
            init_s=float(rng.uniform()),
            suppressed=np.bool_(rng.integers(0, 2)),
        )
        fn = str(rng.choice(["api", "wörker", "a-much-longer-function-name"]))
        rows.append((fn, e, t, int(rng.integers(0, 4)), float(rng.uniform())))
    return rows


@pytest.mark.parametrize("small_steps", [False, True])
def test_frame_equals_the_list_log(monkeypatch: pytest.MonkeyPatch, small_steps: bool) -> None:
    if small_steps:  # exercise the batch, chunk and string-building loops at their edges
        monkeypatch.setattr(tracing, "_BATCH", 3)
        monkeypatch.setattr(tracing, "_CHUNK", 5)
    rng = np.random.default_rng(16)
    for n in (0, 1, 2, 7, 50, 400):
        rows = random_rows(rng, n)
        log = InvocationLog()
        for r in rows:
            log.record(*r)
        assert len(log) == n
        got, want = log.frame(), oracle(rows)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
        assert log.frame() is got  # kept, not rebuilt


def test_rows_after_a_frame_are_added_in_order() -> None:
    rows = random_rows(np.random.default_rng(3), 60)
    log = InvocationLog()
    for r in rows[:25]:
        log.record(*r)
    pd.testing.assert_frame_equal(log.frame(), oracle(rows[:25]), check_exact=True)
    for r in rows[25:]:
        log.record(*r)
    assert len(log) == 60
    pd.testing.assert_frame_equal(log.frame(), oracle(rows), check_exact=True)


def test_a_traced_run_has_one_row_per_finished_invoke() -> None:
    # Arrivals 1/s from t = 1 s, constant 0.5-s handler, 0.2-s INIT, horizon 10.8 s: ten
    # arrivals, all finished (the last at 10.5 s); environment 0 is cold at t = 1 only.
    sc = scenario(
        functions={
            "f": {
                "duration": {"dist": "constant", "value_s": 0.5},
                "cold_start": {"dist": "constant", "value_s": 0.2},
            }
        },
        workloads=[{"target": "f", "arrivals": {"kind": "constant", "rate_per_s": 1.0}}],
        horizon_s=10.8,
    )
    log = ls.run(sc, trace=True).invocations
    assert log is not None and list(log.columns) == [*DTYPES, "latency_s"]
    assert log["arrival_s"].tolist() == [float(k) for k in range(1, 11)]
    assert log["cold"].tolist() == [True] + [False] * 9
    assert log["end_s"].tolist() == pytest.approx([1.7] + [k + 0.5 for k in range(2, 11)])
    assert set(log["function"]) == {"f"} and set(log["outcome"]) == {"succeeded"}


def test_bytes_per_row_at_peak() -> None:
    """Issue 16: ≤ 100 bytes a row at the log's peak, recording through the finished frame.

    The frame itself needs 6 float64 columns and ``env_id`` (56 bytes a row), two bools (2) and
    two Arrow strings (8-byte offsets each, plus the UTF-8 bytes: "f" and "succeeded", 10):
    86 bytes; the columns it is built from are freed as it grows.
    """
    n = 100_000
    e = Env(id=3, arrival=1.0, start=1.5, cold=False, init_s=0.0, suppressed=False)
    warm = InvocationLog()
    warm.record("f", e, 2.0, 0, 0.05)
    warm.frame()  # imports and first-call caches out of the measurement
    tracemalloc.start()
    try:
        log = InvocationLog()
        for i in range(n):
            log.record("f", e, 2.0 + i * 0.001, 0, 0.05)
        recorded, _ = tracemalloc.get_traced_memory()
        frame = log.frame()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(frame) == n
    assert recorded / n <= 64  # 55 bytes of columns, array growth and one batch of tuples
    assert peak / n <= 100


def test_result_builds_the_frame_from_the_log_on_first_access(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # RunResult.build also takes the tracer itself (frame built when .invocations is read):
    # make the run hand over the log object, then read the frame from it.
    sc = scenario(
        functions={"f": {"duration": {"dist": "constant", "value_s": 0.5}}},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 3.0}}],
        horizon_s=50.0,
    )
    eager = ls.run(sc, seed=2, trace=True).invocations
    real = InvocationLog.frame
    with monkeypatch.context() as mp:
        mp.setattr(InvocationLog, "frame", lambda self: self)
        res = ls.run(sc, seed=2, trace=True)
    assert isinstance(res._parts.invocations, InvocationLog)
    assert InvocationLog.frame is real
    lazy = res.invocations
    assert lazy is not None and eager is not None and len(lazy) > 100
    pd.testing.assert_frame_equal(lazy, eager, check_exact=True)
    assert res.invocations is lazy
