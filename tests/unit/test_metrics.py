"""Streaming metrics against exact computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambdasim.metrics.core import Level, LogHistogram
from lambdasim.periods import Periods

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_histogram_quantiles_within_one_percent(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.lognormal(np.log(0.05), 0.8, 200_000)
    x[:400] = rng.uniform(1, 30, 400)  # a cold-start-like tail
    h = LogHistogram(alpha=0.01)
    for v in x[:1000]:
        h.add(float(v))
    h.add_many(x[1000:])
    qs = [0.5, 0.9, 0.99, 0.999, 0.9999]
    est = h.quantiles(qs)
    xs = np.sort(x)
    for q, e in zip(qs, est, strict=True):
        exact = xs[math.ceil(q * len(xs)) - 1]  # lower empirical quantile
        assert abs(e - exact) <= 0.01 * exact, (q, e, exact)
    assert h.count == len(x)


def test_histogram_merge_equals_single() -> None:
    rng = np.random.default_rng(5)
    x = rng.exponential(1.0, 10_000)
    a, b, c = LogHistogram(), LogHistogram(), LogHistogram()
    a.add_many(x[:4000])
    b.add_many(x[4000:])
    c.add_many(x)
    a.merge(b)
    assert np.array_equal(a.counts, c.counts)
    assert math.isnan(LogHistogram().quantiles([0.5])[0])
    zeros = LogHistogram()
    zeros.add_many([0.0, 0.0, 1.0])
    assert zeros.quantiles([0.5, 1.0])[0] == 0.0


def test_level_integral_and_max_match_brute_force() -> None:
    rng = np.random.default_rng(9)
    horizon, step, warmup = 100.0, 7.0, 13.0
    periods = Periods(horizon, step, warmup)
    edges, n = periods.edges, periods.n
    lv = Level(edges)
    t, level, changes = 0.0, 0, []
    while True:
        t += float(rng.exponential(0.3))
        if t >= horizon:
            break
        if level > 0 and rng.random() < 0.5:
            lv.down(t)
            level -= 1
        else:
            lv.up(t)
            level += 1
        changes.append((t, level))
    lv.roll(horizon)
    # exact integral and max of the step function, segment by segment
    assert len(lv.seg_area) == len(edges)
    starts = [0.0, *edges[:-1]]
    for a, b, area, mx in zip(starts, edges, lv.seg_area, lv.seg_max, strict=True):
        cur = 0
        for tc, lv_ in changes:
            if tc <= a:
                cur = lv_
        expect_area, expect_max, last = 0.0, cur, a
        for tc, lv_ in changes:
            if a < tc < b:
                expect_area += cur * (tc - last)
                cur, last = lv_, tc
                expect_max = max(expect_max, cur)
        expect_area += cur * (b - last)
        assert area == pytest.approx(expect_area, rel=1e-9, abs=1e-9)
        assert mx == expect_max
    assert n == math.ceil(horizon / step)


def test_histogram_memory_is_bounded_by_its_buffer() -> None:
    # One value at a time (async event ages, SQS latencies, INIT durations): the buffer is
    # binned whenever it fills, so it never holds more than `buffer` values.
    h = LogHistogram(buffer=100)
    values = np.random.default_rng(3).lognormal(0.0, 1.0, size=1050)
    for v in values.tolist():
        h.add(v)
        assert len(h._buf) < 100
    assert h.count == 1050
    exact = LogHistogram()
    exact.add_many(values)
    assert h.quantiles([0.5, 0.99]) == exact.quantiles([0.5, 0.99])


def test_row_buffer_folds_every_row_across_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows are packed into a fixed buffer of BATCH rows and folded when it fills and at close:
    # with a 4-row buffer, 10 invokes cross it twice and leave 2 for close; every counter must
    # equal the exact arithmetic over all 10 (durations are multiples of 1/8 s: exact sums)
    from types import SimpleNamespace

    from lambdasim.metrics.function import FunctionMetrics

    monkeypatch.setattr(FunctionMetrics, "BATCH", 4)
    m = FunctionMetrics("f", Periods(100.0, 10.0))
    assert m.row_end == 4 * 48  # six float64 per row
    invokes = []
    for i in range(10):
        e = SimpleNamespace(
            start=10.0 * i, arrival=10.0 * i, invoke_s=0.125 * (i + 1),
            outcome=1 if i == 3 else 0, caller=None if i % 2 else object(),
            cold=False,
        )  # fmt: skip
        invokes.append(e)
        m.finished(e, e.start + e.invoke_s)
        assert m.row_at == 48 * ((i + 1) % 4)  # folded at 4 and 8 rows
    m.close(100.0)
    assert m.row_at == 0
    assert m.started_n == 10
    assert m.duration_sum == sum(e.invoke_s for e in invokes)  # 6.875, exact
    sync = [e for e in invokes if e.caller is None]
    assert m.outcomes[:3] == [sum(e.outcome == k for e in sync) for k in range(3)]
    assert m.source_outcomes == [sum(e.outcome == k for e in invokes if e.caller) for k in range(3)]
    ok = [e for e in sync if e.outcome == 0]
    assert m.latency_sum == sum(e.invoke_s for e in ok)
    assert m.billed_ms == sum(math.ceil(e.invoke_s * 1000) for e in invokes)
    assert m.duration.count == 10 and m.latency.count == len(ok)
    assert list(m.ts_finished) == [1] * 10  # one finished invoke started in each 10-s period
