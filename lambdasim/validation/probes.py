"""Keep-alive probe experiments, run in the simulator the way they were run on AWS.

One request, an idle gap after it finishes, one probe request: the probe is cold exactly when the
environment was reclaimed in the gap. CIRRUS 2025 (fixed gaps) and cloudbench 2019 (random idle
times in 10-minute bins) against the keep-alive presets fitted to them.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from lambdasim.validation.common import binomial_se, run_case
from lambdasim.validation.report import Row

__all__ = ["cirrus_probes", "cloudbench_probes", "probe"]


INIT_S = 0.2
HANDLER_S = 0.1


def probe(era: str, gaps_s: np.ndarray, spacing_s: float, seed: int) -> np.ndarray:
    """One request, an idle gap, one probe, for every gap (s); the probes' cold flags.

    Pairs are ``spacing_s`` apart, more than the longest keep-alive, so every pair starts on a
    new environment: the probe is cold exactly when the environment was reclaimed in the gap.
    """
    t0 = np.arange(len(gaps_s)) * spacing_s + 1.0
    first_end = t0 + INIT_S + HANDLER_S
    times = np.sort(np.concatenate([t0, first_end + gaps_s]))
    with tempfile.TemporaryDirectory() as tmp:
        p = Path(tmp) / "probes.csv"
        p.write_text("timestamp\n" + "".join(f"{t!r}\n" for t in times.tolist()), encoding="utf-8")
        res = run_case(
            {
                "horizon_s": float(times[-1] + 10.0),
                "output": {"timeseries_step_s": float(times[-1] + 10.0) / 100},  # few periods
                "functions": {
                    "f": {
                        "duration": {"dist": "constant", "value_s": HANDLER_S},
                        "cold_start": {"dist": "constant", "value_s": INIT_S},
                        "keep_alive_s": {"preset": era},
                        "timeout_s": 10,
                    }
                },
                "workloads": [{"target": "f", "arrivals": {"kind": "trace", "path": str(p)}}],
            },
            seed=seed,
            trace=True,
        )
    log = res.invocations
    assert log is not None
    order = np.argsort(np.asarray(log["start_s"], dtype=float), kind="stable")
    cold = np.asarray(log["cold"], dtype=bool)[order]
    return cold[1::2]


def cirrus_probes(data: Path, quick: bool) -> list[Row]:
    """CIRRUS 2025 AWS keep-alive probes: P(cold | idle gap) with the aws-2025 preset."""
    measured: dict[float, tuple[int, int]] = {}
    for name in ("results_big_step.json", "results_small_step.json"):
        raw = json.loads((data / "cirrus2025-keepalive" / name).read_text(encoding="utf-8"))
        for k, v in raw.items():
            measured[float(k)] = (int(v["cold"]), int(v["cold"]) + int(v["warm"]))
    gaps = np.array(sorted(measured))
    n = 200 if quick else 1000
    x = np.repeat(gaps, n)
    np.random.default_rng(5).shuffle(x)
    cold = probe("aws-2025", x, spacing_s=1200.0, seed=11)
    rows = []
    for g in gaps:
        c, m = measured[g]
        p = float(cold[x == g].mean())
        rows.append(
            Row(
                dataset=f"CIRRUS 2025 keep-alive probes: idle {g:g} s ({m} probes)",
                metric="P(cold)",
                measured=c / m,
                simulated=p,
                se=binomial_se(p, n),
                parameters=(
                    f"aws-2025 keep-alive preset, fitted to these probes "
                    f"(scripts/derive_calibration.py); {n} simulated probes per gap"
                ),
            )
        )
    return rows


def cloudbench_probes(data: Path, quick: bool) -> list[Row]:
    """cloudbench 2019 idle-time scatter: P(cold) per 10-minute bin with the aws-2019 preset."""
    raw = json.loads(
        (data / "cloudbench2019" / "coldstart_aws_scatter.json").read_text(encoding="utf-8")
    )
    idle = np.array([p[0] for p in raw["points"]], dtype=float)  # minutes
    is_cold = np.array(["blue" in p[2] for p in raw["points"]])
    b = np.floor(idle / 10).astype(int)
    n_meas = np.bincount(b, minlength=9)[:9]
    c_meas = np.bincount(b, weights=is_cold, minlength=9)[:9]
    n = 1800 if quick else 9000
    x = np.random.default_rng(7).uniform(0.0, 90.0, n) * 60.0
    cold = probe("aws-2019", x, spacing_s=10300.0, seed=11)
    bins = np.floor(x / 600.0).astype(int)
    rows = []
    for i in range(9):
        sel = bins == i
        p = float(cold[sel].mean())
        rows.append(
            Row(
                dataset=f"cloudbench 2019 idle-time probes: {10 * i}–{10 * i + 10} min "
                f"({int(n_meas[i])} probes)",
                metric="P(cold)",
                measured=float(c_meas[i] / n_meas[i]),
                simulated=p,
                se=binomial_se(p, int(sel.sum())),
                parameters=(
                    "aws-2019 keep-alive preset, fitted to this scatter "
                    f"(scripts/derive_calibration.py); {n} simulated probes, uniform 0–90 min"
                ),
            )
        )
    return rows
