"""The validation cases: each runs the simulator on one data set or closed form and returns rows.

Parameters are taken from the data set itself (arrival times, durations, INIT as the measured
cold − warm response) or from the shipped presets, and each row says which. The keep-alive
presets were fitted to these same probe data by ``scripts/derive_calibration.py``, so the probe
rows check the engine's sampling of a preset (in-sample); the PACS run rows and the closed forms
are out-of-sample checks of the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import lambdasim.workload  # noqa: F401  (registers the trace expander that configs may use)
from lambdasim import theory
from lambdasim.validation.common import binomial_se, run_case
from lambdasim.validation.probes import cirrus_probes, cloudbench_probes
from lambdasim.validation.report import Row

__all__ = ["CASES", "default_data_dir", "run_validation"]

#: SimFaaS (2e7-s runs) at the PACS arrival rates, validation.md §1 item 4 (pacslab/simfaas).
SIMFAAS_P_COLD = {
    0.001863: 0.3332,
    0.002458: 0.2313,
    0.002882: 0.1805,
    0.003453: 0.1310,
    0.004248: 0.0858,
    0.005725: 0.0422,
    0.007851: 0.0230,
}
#: SimFaaS at λ = 0.9/s, warm 1.991 s, cold 2.244 s, T = 600 s (README of pacslab/simfaas).
SIMFAAS_STEADY = {"p_cold": 1213 / 898_469, "environments": 7.6612}

KA_2020 = "aws-2020 keep-alive preset (PACS 2020 probe boundary, warm ≤ 635.8 s, cold ≥ 645 s)"


def default_data_dir() -> Path:
    """``tests/data`` of the checkout lambdasim runs from, else of the working directory."""
    here = Path(__file__).resolve().parents[2] / "tests" / "data"
    return here if here.is_dir() else Path.cwd() / "tests" / "data"


def _simfaas(rate: float) -> float | None:
    for r, v in SIMFAAS_P_COLD.items():
        if abs(r - rate) < 5e-6:
            return v
    return None


# ------------------------------------------------------------------------------ PACS 2020


def pacs_logs(data: Path, quick: bool) -> list[Row]:
    """Replay each PACS per-request log exactly; P(cold) over the last 3/4 of the run."""
    rows = []
    for path in sorted((data / "pacs2020").glob("res-01-*.csv")):
        log = pd.read_csv(path)
        t = log["client_start_time"].to_numpy(dtype=float)
        t0, span = t.min(), t.max() - t.min()
        late = t - t0 >= span / 4.0  # the authors discard the first quarter as warm-up
        cold = log["is_cold"].astype(bool).to_numpy()
        rt = log["client_elapsed_time"].to_numpy(dtype=float)
        warm_s, cold_s = float(rt[~cold].mean()), float(rt[cold].mean())
        res = run_case(
            {
                "horizon_s": span + 60.0,
                "warmup_s": span / 4.0,
                "output": {"timeseries_step_s": 3600.0},
                "functions": {
                    "pacs": {
                        "memory_mb": 128,
                        "timeout_s": 900,
                        "duration": {"dist": "constant", "value_s": warm_s},
                        "cold_start": {"dist": "constant", "value_s": cold_s - warm_s},
                        "keep_alive_s": {"preset": "aws-2020"},
                    }
                },
                "workloads": [
                    {
                        "target": "pacs",
                        "arrivals": {"kind": "trace", "format": "pacs", "path": str(path)},
                    }
                ],
            },
            seed=2020,
        )
        f = res.functions["pacs"]
        n = int(late.sum())
        rate = len(t) / span
        model = theory.steady_state_cold_start(rate, warm_s, cold_s, 600.0)
        rows.append(
            Row(
                dataset=f"PACS 2020 per-request logs: {path.stem[7:]} (λ={rate:.5f}/s)",
                metric="P(cold), last 3/4",
                measured=float(cold[late].mean()),
                simulated=float(f["cold_starts"] / f["invocations"]),
                se=binomial_se(float(cold[late].mean()), n),
                simfaas=_simfaas(round(rate, 6)),
                pacsltk=model.p_cold,
                parameters=(
                    "arrival times and handler durations: the log (replayed exactly); INIT: "
                    "mean cold − warm client response of the log; " + KA_2020 + "; the ± SE "
                    "column is the measured proportion's binomial SE (one real run)"
                ),
            )
        )
    return rows


def pacs_summaries(data: Path, quick: bool) -> list[Row]:
    """The 20 PACS experiments of ``exp.csv``: Poisson at their rate, P(cold) and instances."""
    exp = pd.read_csv(data / "pacs2020" / "exp.csv", index_col=0).sort_values("ArrivalRate")
    if quick:
        exp = exp.iloc[::5]
    rows = []
    for name, e in exp.iterrows():
        rate = float(e["ArrivalRate"])
        warm_s = float(e["ServiceTimeWarm"]) / 1000.0
        cold_s = float(e["ServiceTimeCold"]) / 1000.0
        n_target = 5_000 if quick else 40_000
        horizon = max(28 * 3600.0, n_target / rate)
        res = run_case(
            {
                "horizon_s": horizon,
                "warmup_s": 7 * 3600.0,  # the authors' first quarter of a 28-h run
                "output": {"timeseries_step_s": horizon / 20},
                "functions": {
                    "pacs": {
                        "memory_mb": 128,
                        "timeout_s": 900,
                        "duration": {"dist": "exponential", "mean_s": warm_s},
                        "cold_start": {"dist": "constant", "value_s": cold_s - warm_s},
                        "keep_alive_s": {"preset": "aws-2020"},
                        "max_lifetime_s": None,
                    }
                },
                "account": {"scaling": {"mode": "none"}},
                "workloads": [
                    {"target": "pacs", "arrivals": {"kind": "poisson", "rate_per_s": rate}}
                ],
            },
            seed=2021,
        )
        f = res.functions["pacs"]
        model = theory.steady_state_cold_start(rate, warm_s, cold_s, 600.0)
        p = float(f["cold_starts"] / f["invocations"])
        params = (
            "Poisson arrivals at the experiment's rate; exponential handler with the measured "
            "mean warm response; INIT: measured mean cold − warm response; " + KA_2020 + "; "
            "measured instances assume a 10-min lifetime extension (exp.csv)"
        )
        label = f"PACS 2020 run summaries (exp.csv): {name} (λ={rate:.4f}/s)"
        rows.append(
            Row(
                dataset=label,
                metric="P(cold)",
                measured=float(e["ColdStartProbability"]),
                simulated=p,
                se=binomial_se(p, int(f["invocations"])),
                simfaas=_simfaas(round(rate, 6)),
                pacsltk=model.p_cold,
                parameters=params,
            )
        )
        rows.append(
            Row(
                dataset=label,
                metric="environments (mean)",
                measured=float(e["AverageInstanceCount"]),
                simulated=float(f["environments"]["mean"]),
                pacsltk=model.environments,
                parameters=params,
            )
        )
    return rows


# ------------------------------------------------------------------------------ Azure 2019


def azure_replay(data: Path, quick: bool) -> list[Row]:
    """Replay the Azure 2019 sample: invocations per function exactly, durations by fit."""
    d = data / "azure2019-sample100"
    inv = pd.read_csv(d / "invocations.csv")
    minutes = [c for c in inv.columns if c.isdigit()]
    counts = inv[minutes].sum(axis=1).to_numpy()
    dur = pd.read_csv(d / "durations.csv")
    arrivals: dict[str, Any] = {"kind": "trace", "format": "azure2019", "path": str(d)}
    if quick:
        arrivals.update(sample=20, sample_seed=1)  # 20 functions drawn at random
    res = run_case(
        {
            "horizon_s": 480 * 60.0,
            "output": {"timeseries_step_s": 600.0},
            "functions": {},
            "workloads": [{"target": "*", "arrivals": arrivals}],
        },
        seed=2019,
    )
    fs = res.functions
    sim_inv = sum(f["invocations"] for f in fs.values())
    # the same functions as the run's (their config names carry the start of the hash)
    mine = [any(name.removeprefix("fn-") in h for name in fs) for h in inv["HashFunction"]]
    ran = np.array([f["invocations_run"] for f in fs.values()], dtype=float)
    mean = np.array([f["duration_s"]["mean"] or 0.0 for f in fs.values()])
    sim_mean = float((ran * mean).sum() / ran.sum())
    # the trace's invocation-weighted mean duration over the same functions (ms → s)
    merged = inv.merge(dur, on=["HashOwner", "HashApp", "HashFunction"], how="left")
    keep = np.flatnonzero(mine)
    meas_inv = int(counts[keep].sum())
    w = merged[minutes].sum(axis=1).to_numpy()[keep]
    avg = merged["Average"].to_numpy(dtype=float)[keep] / 1000.0
    meas_mean = float((w * avg).sum() / w.sum())
    params = (
        "every function of the sample (azure2019 format, target '*'): per-minute counts spread "
        "as Poisson within each minute; durations: a lognormal through each function's "
        "percentiles; memory from memory.csv"
    )
    label = f"Azure Functions 2019 sample: {len(fs)} functions, 8 h"
    return [
        Row(label, "invocations", float(meas_inv), float(sim_inv), parameters=params),
        Row(
            label, "mean duration (s, invocation-weighted)", meas_mean, sim_mean, parameters=params
        ),
    ]


# ------------------------------------------------------------------------------ closed forms


def closed_forms(data: Path, quick: bool) -> list[Row]:
    """Erlang-B, M/G/∞ and the Mahmoudi–Khazaei steady state against the simulator."""
    k = 0.1 if quick else 1.0
    rows = []
    # Erlang-B: reserved concurrency 10, offered load 8 (λ = 80/s, exponential 0.1 s)
    res = run_case(
        {
            "horizon_s": 4000.0 * k,
            "warmup_s": 100.0,
            "account": {"scaling": {"mode": "none"}},
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": 0.1},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "reserved_concurrency": 10,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 80}}],
        },
        seed=1,
    )
    f = res.functions["f"]
    p = f["throttled"] / f["invocations"]
    rows.append(
        Row(
            "Closed forms: Erlang-B, A = 8, c = 10",
            "throttle fraction",
            theory.erlang_b(8.0, 10),
            p,
            se=binomial_se(p, f["invocations"]),
            parameters="theory rows: parameters as stated per case (no data)",
        )
    )
    # M/G/inf: λ = 50/s, lognormal p50 0.1 s, p99 0.5 s; mean concurrency λE[S]
    mu, sigma = math.log(0.1), math.log(5.0) / 2.326347874040841
    mean_s = math.exp(mu + sigma**2 / 2)
    res = run_case(
        {
            "horizon_s": 4000.0 * k,
            "warmup_s": 100.0,
            "account": {"concurrency": 10_000, "scaling": {"mode": "none"}},
            "functions": {
                "f": {
                    "duration": {"dist": "lognormal", "p50_s": 0.1, "p99_s": 0.5},
                    "cold_start": {"dist": "constant", "value_s": 0.0},
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 50}}],
        },
        seed=1,
    )
    rows.append(
        Row(
            "Closed forms: M/G/∞, λ = 50/s, lognormal p50 0.1 s / p99 0.5 s",
            "mean concurrency",
            theory.mg_inf_mean(50.0 * mean_s),
            float(res.functions["f"]["concurrency"]["mean"]),
            parameters="theory rows: parameters as stated per case (no data)",
        )
    )
    # Mahmoudi–Khazaei / SimFaaS: λ = 0.9/s, warm 1.991 s (exp.), INIT 0.253 s, T = 600 s
    model = theory.steady_state_cold_start(0.9, 1.991, 2.244, 600.0)
    horizon = 5.0e5 if quick else 5.0e6
    res = run_case(
        {
            "horizon_s": horizon + 20_000.0,
            "warmup_s": 20_000.0,
            "output": {"timeseries_step_s": 20_000.0},
            "account": {"concurrency": 10_000, "scaling": {"mode": "none"}},
            "functions": {
                "f": {
                    "duration": {"dist": "exponential", "mean_s": 1.991},
                    "cold_start": {"dist": "constant", "value_s": 0.253},
                    "keep_alive_s": 600.0,
                    "max_lifetime_s": None,
                    "init_limit_s": None,
                    "timeout_s": 900,
                }
            },
            "workloads": [{"target": "f", "arrivals": {"kind": "poisson", "rate_per_s": 0.9}}],
        },
        seed=1,
    )
    f = res.functions["f"]
    label = "Closed forms: steady state, λ = 0.9/s, warm 1.991 s, cold 2.244 s, T = 600 s"
    p = float(f["cold_start_rate"])
    rows.append(
        Row(
            label,
            "P(cold)",
            model.p_cold,
            p,
            se=binomial_se(p, f["invocations_run"]),
            simfaas=SIMFAAS_STEADY["p_cold"],
            parameters="theory rows: parameters as stated per case (no data)",
        )
    )
    rows.append(
        Row(
            label,
            "environments (mean)",
            model.environments,
            float(f["environments"]["mean"]),
            simfaas=SIMFAAS_STEADY["environments"],
            parameters="theory rows: parameters as stated per case (no data)",
        )
    )
    return rows


#: Case name → function(data_dir, quick) → rows, in report order.
CASES: dict[str, Callable[[Path, bool], list[Row]]] = {
    "pacs-logs": pacs_logs,
    "pacs-summaries": pacs_summaries,
    "cirrus2025": cirrus_probes,
    "cloudbench2019": cloudbench_probes,
    "azure2019": azure_replay,
    "theory": closed_forms,
}


def run_validation(
    data_dir: Path | None = None, *, quick: bool = False, cases: list[str] | None = None
) -> list[Row]:
    """Run the validation cases (all by default) and return their rows.

    Parameters
    ----------
    data_dir : Path, optional
        The test-data directory (default :func:`default_data_dir`).
    quick : bool
        Shorter runs and fewer probes (for CI); the rows are the same except where noted.
    cases : list of str, optional
        Names from :data:`CASES`.

    Raises
    ------
    FileNotFoundError
        If a data set is missing from ``data_dir``.
    """
    d = data_dir if data_dir is not None else default_data_dir()
    for sub in ("pacs2020", "cirrus2025-keepalive", "cloudbench2019", "azure2019-sample100"):
        if not (d / sub).is_dir():
            raise FileNotFoundError(f"{d / sub}: data set missing (use --data DIR)")
    rows: list[Row] = []
    for name in cases or list(CASES):
        rows.extend(CASES[name](d, quick))
    return rows
