"""Keep-alive presets against the measured reclaim curves (validation.md §3 item 9) and the
low-rate closed form (validation.md §1 item 4).

Probe experiments are run in the simulator the way they were run on AWS: one request, an idle
gap ``x`` after it finishes, one probe request; the probe is cold iff the environment was
reclaimed. Pairs are separated by more than the longest keep-alive, so each pair starts on a new
environment. Every estimated proportion has a binomial standard error (SE); each test asserts
that 4 × SE fits inside its tolerance before it compares, so a pass is not luck and a failure
is not noise.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import lambdasim as ls
from lambdasim import coldstart, theory
from tests.conftest import scenario

pytestmark = pytest.mark.theory

DATA = Path(__file__).resolve().parent.parent / "data"
INIT_S = 0.2  # constant INIT and handler: the first request of a pair ends at t0 + 0.3 s
HANDLER_S = 0.1


def probe(trace_csv: Any, era: str, gaps_s: np.ndarray, spacing_s: float) -> np.ndarray:
    """Simulate one probe per gap; return the probes' cold flags (bool array)."""
    t0 = np.arange(len(gaps_s)) * spacing_s + 1.0
    first_end = t0 + INIT_S + HANDLER_S
    times = np.sort(np.concatenate([t0, first_end + gaps_s]))
    fn = {
        "duration": {"dist": "constant", "value_s": HANDLER_S},
        "cold_start": {"dist": "constant", "value_s": INIT_S},
        "keep_alive_s": {"preset": era},
        "timeout_s": 10,
    }
    sc = scenario(
        functions={"f": fn},
        workloads=[
            {
                "target": "f",
                "arrivals": {"kind": "trace", "path": trace_csv([float(t) for t in times])},
            }
        ],
        horizon_s=float(times[-1] + 10.0),
        output={"timeseries_step_s": float(times[-1] + 10.0) / 100},  # few periods: a long run
    )
    log = ls.run(sc, seed=11, trace=True, progress=False).invocations
    assert log is not None
    start = np.asarray(log["start_s"], dtype=float)
    cold = np.asarray(log["cold"], dtype=bool)
    order = np.argsort(start, kind="stable")
    start, cold = start[order], cold[order]
    assert len(start) == 2 * len(gaps_s)
    assert cold[0::2].all()  # every pair starts on a fresh environment
    assert np.allclose(start[1::2], first_end + gaps_s)
    return cold[1::2]


def cirrus_2025() -> dict[float, tuple[int, int]]:
    """{idle s: (cold, probes)} of the CIRRUS AWS keep-alive probes (both step files)."""
    out: dict[float, tuple[int, int]] = {}
    for name in ("results_big_step.json", "results_small_step.json"):
        raw = json.loads((DATA / "cirrus2025-keepalive" / name).read_text(encoding="utf-8"))
        for k, v in raw.items():
            out[float(k)] = (int(v["cold"]), int(v["cold"]) + int(v["warm"]))
    return out


@pytest.mark.slow  # 11,000 probe pairs
def test_aws_2025_probe_curve_within_10_points(trace_csv: Any) -> None:
    measured = cirrus_2025()
    gaps = np.array(sorted(measured))
    n = 1000  # probes per gap: SE <= 0.016, 4 SE < 0.10
    x = np.repeat(gaps, n)
    rng = np.random.default_rng(5)
    rng.shuffle(x)  # interleave the gaps over the run
    cold = probe(trace_csv, "aws-2025", x, spacing_s=1200.0)  # > 720 s gap + 360 s keep-alive
    ka = coldstart.keep_alive_preset("aws-2025")
    for g in gaps:
        c, m = measured[g]
        p_meas = c / m
        p_sim = float(cold[x == g].mean())
        se = math.sqrt(max(p_sim * (1 - p_sim), 0.25 / n) / n)
        assert 4 * se < 0.10
        assert abs(p_sim - p_meas) <= 0.10, (g, p_sim, p_meas)
        # and the engine samples the preset it was given: P(cold | x) = F(x)
        f = float(ka.cdf_at(g))
        assert abs(p_sim - f) <= 4 * math.sqrt(max(f * (1 - f), 0.25 / n) / n), (g, p_sim, f)


def cloudbench_bins() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measured 10-minute bins of the 2019 scatter: (lower edge min, cold fraction, probes)."""
    raw = json.loads((DATA / "cloudbench2019" / "coldstart_aws_scatter.json").read_text("utf-8"))
    idle = np.array([p[0] for p in raw["points"]])
    cold = np.array(["blue" in p[2] for p in raw["points"]])
    b = np.floor(idle / 10).astype(int)
    n = np.bincount(b, minlength=9)[:9]
    c = np.bincount(b, weights=cold, minlength=9)[:9]
    return np.arange(9) * 10.0, c / n, n


@pytest.mark.slow  # 9,000 probe pairs
def test_aws_2019_probe_curve_shape(trace_csv: Any) -> None:
    edges, p_meas, n_meas = cloudbench_bins()
    # validation.md §3: 0-10 min 1.1 %, 20-30 12.7 %, ..., 60-70 89.4 %, 70-80 99.7 %
    assert p_meas[2] == pytest.approx(0.127, abs=0.001) and p_meas[6] == pytest.approx(
        0.894, abs=0.001
    )
    rng = np.random.default_rng(7)
    n = 9000  # about 1,000 per 10-minute bin, more than the 2019 sample has
    x = rng.uniform(0.0, 90.0, n) * 60.0  # random idle times, as cloudbench did (1-120 min)
    cold = probe(trace_csv, "aws-2019", x, spacing_s=5400.0 + 4900.0)
    b = np.floor(x / 600.0).astype(int)
    for i in range(9):
        sel = b == i
        p_sim = float(cold[sel].mean())
        m = int(sel.sum())
        se_sim = math.sqrt(max(p_sim * (1 - p_sim), 0.01) / m)
        se_meas = math.sqrt(max(p_meas[i] * (1 - p_meas[i]), 0.01) / n_meas[i])
        assert se_sim <= se_meas  # the run is long enough: the 2019 sample sets the tolerance
        se = math.hypot(se_sim, se_meas)
        assert abs(p_sim - p_meas[i]) <= 4 * se, (edges[i], p_sim, p_meas[i], se)
    # the shape the issue asks for: near 0 below 20 min, near 1 above 70 min
    assert cold[x < 20 * 60].mean() <= 0.01
    assert cold[x > 70 * 60].mean() >= 0.99


#: PACS arrival rates of validation.md §1 item 4 where the approximation holds to 5 % (λ ≤ 0.005).
PACS_RATES = (0.001863, 0.002458, 0.002882, 0.003453, 0.004248)
PACS_MEAN_S = 1.98


@pytest.mark.slow  # 1e4–1e5 arrivals per rate
@pytest.mark.parametrize("rate", PACS_RATES)
def test_aws_2020_preset_matches_low_rate_closed_form(rate: float) -> None:
    expected = theory.low_rate_cold_probability(rate, PACS_MEAN_S, 640.0)
    # run length for 4 SE <= 3 % of P(cold), leaving 2 % for the approximation itself
    n_req = math.ceil((1 - expected) / expected / (0.03 / 4) ** 2)
    fn = {
        "duration": {"dist": "exponential", "mean_s": PACS_MEAN_S},
        "cold_start": {"dist": "constant", "value_s": 0.0},  # the closed form has no INIT
        "keep_alive_s": {"preset": "aws-2020"},
        "max_lifetime_s": None,  # nor a lifetime cap
        "timeout_s": 900,
    }
    sc = scenario(
        functions={"f": fn},
        workloads=[{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": rate}}],
        horizon_s=n_req / rate,
        seed=2020,
    )
    f = ls.run(sc, progress=False).functions["f"]
    p = f["cold_starts"] / f["invocations"]
    se = math.sqrt(p * (1 - p) / f["invocations"])
    assert 4 * se <= 0.031 * expected
    assert abs(p - expected) <= 0.05 * expected, (rate, p, expected)


def test_aws_2020_preset_brackets_the_pacs_boundary() -> None:
    # validation.md §3: warm up to 635.8 s, expired from 645.0 s (PACS probe, June 2020)
    ka = coldstart.keep_alive_preset("aws-2020")
    assert float(ka.cdf_at(635.8)) < 0.02
    assert float(ka.cdf_at(645.0)) == 1.0
    assert 630.0 < ka.mean < 645.0
