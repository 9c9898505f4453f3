"""Synthetic arrival processes against their rate functions, closed forms and exact instants."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

import lambdasim as ls
from lambdasim import workload as wl
from lambdasim.config import ConfigError
from lambdasim.workload.synthetic import arrival_times, diurnal_rate, merge, piecewise_rate
from tests.conftest import scenario

pytestmark = pytest.mark.unit

FN = {"f": {"duration": {"dist": "constant", "value_s": 0.01}, "timeout_s": 5}}


def _chi2_p(times: np.ndarray, edges: np.ndarray, rate) -> float:  # type: ignore[no-untyped-def]
    """p-value of Σ (O − E)² / E over bins, E = ∫ λ over each bin (unconditional Poisson counts:
    χ² with as many degrees of freedom as bins)."""
    obs, _ = np.histogram(times, edges)
    exp = np.empty(len(edges) - 1)
    for i in range(len(edges) - 1):
        g = np.linspace(edges[i], edges[i + 1], 401)
        exp[i] = np.trapezoid(rate(g), g)
    assert exp.min() > 20  # the χ² approximation needs sizeable expected counts
    stat = float(np.sum((obs - exp) ** 2 / exp))
    return float(stats.chi2.sf(stat, len(exp)))


@pytest.mark.parametrize(("shape", "r"), [("sine", 1.8), ("exp_sine", 4.0)])
def test_diurnal_matches_its_rate_function(shape: str, r: float) -> None:
    spec = wl.diurnal(
        mean_rate_per_s=30.0, peak_to_mean=r, period_s=3600.0, peak_at_s=900.0, shape=shape
    )
    t = wl.times(spec, 7200.0, seed=11)
    edges = np.linspace(0.0, 7200.0, 49)
    assert _chi2_p(t, edges, lambda g: diurnal_rate(spec, g)) > 1e-3
    # the mean over whole periods is mean_rate_per_s; peak and trough as configured
    assert diurnal_rate(spec, np.array([900.0]))[0] == pytest.approx(30.0 * r)
    g = np.linspace(0.0, 3600.0, 100001)
    assert np.trapezoid(diurnal_rate(spec, g), g) / 3600.0 == pytest.approx(30.0, rel=1e-6)


def test_diurnal_sine_rejects_a_negative_trough() -> None:
    with pytest.raises(ConfigError, match="exp_sine"):
        scenario(
            functions=FN,
            workloads=[
                {
                    "target": "f",
                    "arrivals": {"kind": "diurnal", "mean_rate_per_s": 1, "peak_to_mean": 3},
                }
            ],
        )


def test_piecewise_steps_ramps_and_spikes_match_the_rate() -> None:
    spec = wl.piecewise(
        [
            {"at_s": 100.0, "rate_per_s": 2.0},
            {"at_s": 400.0, "rate_per_s": 2.0, "ramp_to": 10.0},  # YAML alias of ramp_to_per_s
            {"at_s": 700.0, "rate_per_s": 40.0},  # a spike ...
            {"at_s": 760.0, "rate_per_s": 1.0},  # ... and back down
        ]
    )
    t = wl.times(spec, 1200.0, seed=3)
    assert t.min() >= 100.0  # nothing before the first step
    assert not np.any((t >= 0) & (t < 100))
    edges = np.concatenate(
        [np.linspace(100, 400, 6), np.linspace(460, 700, 5), [730, 760], np.linspace(850, 1200, 3)]
    )
    edges = np.unique(edges)
    assert _chi2_p(t, edges, lambda g: piecewise_rate(spec, g)) > 1e-3


def test_piecewise_validation() -> None:
    with pytest.raises(ValueError, match="increasing"):
        wl.piecewise([{"at_s": 5, "rate_per_s": 1}, {"at_s": 5, "rate_per_s": 2}])
    with pytest.raises(ValueError, match="last step cannot ramp"):
        wl.piecewise([{"at_s": 0, "rate_per_s": 1, "ramp_to_per_s": 3}])


def test_mmpp_long_run_rate_matches_closed_form() -> None:
    b, big, on, off = 2.0, 30.0, 20.0, 80.0
    spec = wl.bursty(base_rate_per_s=b, burst_rate_per_s=big, mean_on_s=on, mean_off_s=off)
    lam = (b * off + big * on) / (on + off)
    assert spec.long_run_rate_per_s == pytest.approx(lam)
    horizon = 200_000.0
    n = wl.times(spec, horizon, seed=5).size
    # Var N(T) ≈ T [λ̄ + 2 (B − b)² π_on π_off / (α + β)] for an MMPP-2 (α, β: leaving rates)
    p_on, p_off = on / (on + off), off / (on + off)
    var = horizon * (lam + 2 * (big - b) ** 2 * p_on * p_off / (1 / on + 1 / off))
    assert abs(n - lam * horizon) < 4 * math.sqrt(var)


def test_mmpp_is_overdispersed_against_poisson() -> None:
    spec = wl.bursty(base_rate_per_s=0.5, burst_rate_per_s=20, mean_on_s=30, mean_off_s=300)
    t = wl.times(spec, 100_000.0, seed=2)
    counts, _ = np.histogram(t, np.arange(0, 100_001, 60))
    assert counts.var() / counts.mean() > 10  # bursts: index of dispersion far above 1


def test_renewal_mean_gap() -> None:
    spec = wl.renewal({"dist": "gamma", "mean_s": 0.5, "cv": 0.5})
    t = wl.times(spec, 10_000.0, seed=1)
    # n ≈ T/mean; sd of a renewal count ≈ sqrt(T cv² / mean)
    assert abs(t.size - 20_000) < 4 * math.sqrt(10_000 * 0.25 / 0.5)
    assert np.all(np.diff(t) > 0)


START = datetime(2026, 1, 1, tzinfo=UTC)  # a Thursday


def _sched(expr: str, horizon: float, start: datetime = START) -> np.ndarray:
    return wl.times(wl.schedule(expr), horizon, start=start)


def test_cron_instants_across_days() -> None:
    day = 86400.0
    assert _sched("cron(0 8 * * ? *)", 3 * day).tolist() == [8 * 3600 + k * day for k in range(3)]
    # lists and ranges: 06:00, 06:30, 18:00, 18:30
    assert _sched("cron(0,30 6,18 * * ? *)", day).tolist() == [21600.0, 23400.0, 64800.0, 66600.0]
    # steps and a weekday range: every 15 min 09:00–17:45 on Mon–Fri, first week of 2026
    # (Thu 1, Fri 2, Mon 5, Tue 6, Wed 7 are weekdays; Sat 3 and Sun 4 are not)
    t = _sched("cron(0/15 9-17 ? * MON-FRI *)", 7 * day)
    assert t.size == 5 * 9 * 4
    days = sorted({int(x // day) for x in t})
    assert days == [0, 1, 4, 5, 6]
    assert t[0] == 9 * 3600 and t[35] == 17 * 3600 + 45 * 60
    # '?' in day-of-week with a day-of-month list
    assert _sched("cron(30 12 1,15 * ? *)", 31 * day).tolist() == [
        12.5 * 3600,
        14 * day + 12.5 * 3600,
    ]


def test_rate_fires_every_period_from_the_start() -> None:
    t = _sched("rate(5 minutes)", 86400.0)
    assert t.size == 288 and np.array_equal(t, np.arange(288) * 300.0)


def test_schedule_in_a_scenario_uses_start_time_and_count() -> None:
    sc = scenario(
        functions=FN,
        workloads=[
            {
                "target": "f",
                "arrivals": {"kind": "schedule", "expression": "cron(0 8 * * ? *)", "count": 3},
            }
        ],
        horizon_s=86400.0,
        start_time="2026-01-01T07:30:00",  # no offset: UTC
    )
    assert sc.start_time == datetime(2026, 1, 1, 7, 30, tzinfo=UTC)
    res = ls.run(sc, trace=True)
    assert res.invocations["arrival_s"].tolist() == [1800.0] * 3


def test_bad_cron_is_a_config_error_at_the_field() -> None:
    with pytest.raises(ConfigError, match=r"workloads\.0\.arrivals\.expression.*minutes"):
        scenario(
            functions=FN,
            workloads=[
                {
                    "target": "f",
                    "arrivals": {"kind": "schedule", "expression": "cron(61 8 * * ? *)"},
                }
            ],
        )


def test_superpose_sums_and_uses_one_stream_per_process() -> None:
    a = {
        "kind": "superpose",
        "processes": [{"kind": "poisson", "rate_per_s": 3}, {"kind": "constant", "rate_per_s": 2}],
    }
    short = {"superpose": a["processes"]}  # shorthand
    sc = scenario(functions=FN, workloads=[{"target": "f", "arrivals": a}], horizon_s=1000)
    sc2 = scenario(functions=FN, workloads=[{"target": "f", "arrivals": short}], horizon_s=1000)
    assert sc.workloads[0].arrivals == sc2.workloads[0].arrivals
    names: list[str] = []

    def stream(name: str) -> np.random.Generator:
        names.append(name)
        return np.random.default_rng(len(name) + 7)

    spec = sc.workloads[0].arrivals
    t = np.concatenate(
        list(_take(arrival_times(spec, np.random.default_rng(0), stream=stream), 1000.0))
    )
    assert names == ["0", "1"]
    assert np.all(np.diff(t) >= 0)
    assert np.count_nonzero(np.isclose(t % 0.5, 0.0) | np.isclose(t % 0.5, 0.5)) >= 1999
    # changing process 1 leaves process 0's draws untouched (its own stream)
    res1 = ls.run(sc, seed=4, trace=True).invocations["arrival_s"].to_numpy()
    sc3 = sc.replace({"workloads.0.arrivals.processes.1.rate_per_s": 0.001})
    res3 = ls.run(sc3, seed=4, trace=True).invocations["arrival_s"].to_numpy()
    # the log lists finished invokes in completion order: sort, and drop the last 10 s
    on_grid = np.abs(res1 * 2 - np.round(res1 * 2)) < 1e-9  # the constant process: k/2
    pois1 = np.sort(res1[~on_grid & (res1 < 990)])
    pois3 = np.sort(res3[res3 < 990])
    assert pois1.size > 2800 and np.array_equal(pois1, pois3)


def _take(blocks, horizon):  # type: ignore[no-untyped-def]
    for b in blocks:
        yield b[b < horizon]
        if b[-1] >= horizon:
            return


def test_merge_is_sorted_and_loses_nothing() -> None:
    rng = np.random.default_rng(1)
    streams = [
        iter(np.array_split(np.sort(rng.uniform(0, 100, n)), max(1, n // 7))) for n in (50, 3, 200)
    ]
    out = np.concatenate(list(merge(streams)))
    assert out.size == 253 and np.all(np.diff(out) >= 0)


def test_every_kind_from_yaml() -> None:
    """Each kind, written in YAML, delivers its expected number of invocations in 600 s.

    One function per kind, so each count is that process's: deterministic kinds exactly, the
    random ones within 4 standard deviations of their mean.
    """
    text = """
horizon_s: 600
functions:
  renewal: {duration: {dist: constant, value_s: 0.01}}
  diurnal: {duration: {dist: constant, value_s: 0.01}}
  piecewise: {duration: {dist: constant, value_s: 0.01}}
  bursty: {duration: {dist: constant, value_s: 0.01}}
  schedule: {duration: {dist: constant, value_s: 0.01}}
  superpose: {duration: {dist: constant, value_s: 0.01}}
workloads:
  - {target: renewal, arrivals: {kind: renewal, interarrival: {dist: exponential, mean_s: 1}}}
  - target: diurnal
    arrivals: {kind: diurnal, mean_rate_per_s: 1, peak_to_mean: 2, period_s: 600}
  - target: piecewise
    arrivals:
      kind: piecewise
      steps: [{at_s: 0, rate_per_s: 1, ramp_to: 2}, {at_s: 300, rate_per_s: 0}]
  - target: bursty
    arrivals: {kind: bursty, base_rate_per_s: 1, burst_rate_per_s: 5, mean_on_s: 10,
               mean_off_s: 50}
  - {target: schedule, arrivals: {kind: schedule, expression: "rate(1 minute)"}}
  - target: superpose
    arrivals: {superpose: [{kind: poisson, rate_per_s: 1}, {kind: constant, rate_per_s: 1}]}
"""
    sc = ls.loads(text)
    assert [w.arrivals.kind for w in sc.workloads] == [
        "renewal",
        "diurnal",
        "piecewise",
        "bursty",
        "schedule",
        "superpose",
    ]
    n = {name: f["invocations"] for name, f in ls.run(sc, seed=1).functions.items()}
    horizon = 600.0
    # rate(1 minute) fires at 0, 60, ..., 540; the constant 1/s process at 1, 2, ..., 599
    assert n["schedule"] == 10
    # Poisson counts: mean = variance = ∫ λ (exponential renewal = Poisson of rate 1; the
    # diurnal rate over one whole period averages its mean; the ramp 1 → 2 over 300 s then 0)
    for name, mean in (
        ("renewal", horizon),
        ("diurnal", horizon),
        ("piecewise", 300 * 1.5),
        ("superpose", horizon + 599),
    ):
        var = mean - 599 if name == "superpose" else mean
        assert abs(n[name] - mean) < 4 * math.sqrt(var), (name, n[name], mean)
    # MMPP-2 started in the base state: E N(T) = bT + (B − b) π_on (T − (1 − e^{−γT}) / γ),
    # γ = 1/on + 1/off; variance below the stationary T [λ̄ + 2 (B − b)² π_on π_off / γ]
    b, big, on, off = 1.0, 5.0, 10.0, 50.0
    gamma, p_on = 1 / on + 1 / off, on / (on + off)
    mean = b * horizon + (big - b) * p_on * (horizon - (1 - math.exp(-gamma * horizon)) / gamma)
    lam = b * (1 - p_on) + big * p_on
    var = horizon * (lam + 2 * (big - b) ** 2 * p_on * (1 - p_on) / gamma)
    assert abs(n["bursty"] - mean) < 4 * math.sqrt(var), (n["bursty"], mean)


def test_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(ConfigError, match=r"kind must be one of poisson, .*diurnal"):
        scenario(functions=FN, workloads=[{"target": "f", "arrivals": {"kind": "spiky"}}])
