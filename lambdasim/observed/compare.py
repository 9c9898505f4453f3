"""Observed (CloudWatch Logs) against simulated: ``lambdasim compare`` and ``ls.compare``.

The observed arrivals are replayed through the scenario: the workloads of the function are
replaced by the logs (``format: cloudwatch_logs``, each invocation at its logged arrival, with
its recorded ``Duration`` unless ``durations="model"``), the run covers the logs' window (t = 0
at the first arrival, :func:`lambdasim.workload.observed.window`) and is repeated ``reps``
times; replication ``r`` is exactly ``ls.run(replay, seed=seed, rep=r)``. What stays random is
what the model decides: INIT durations, keep-alive, which environment serves a request.

The comparison (:class:`Comparison`) has one row per metric (:data:`METRICS`): the observed
value, the simulated mean with its 95 % Student-t interval over the replications and the range,
and the relative error (simulated mean − observed) / observed.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from lambdasim.config import Scenario
from lambdasim.config.loading import load
from lambdasim.errors import LambdasimError
from lambdasim.results.run import RunResult
from lambdasim.workload.observed import iso_ms, observed_series, observed_summary, window
from lambdasim.workload.traces import CloudWatchLogs, read_logs

__all__ = ["METRICS", "Comparison", "compare"]

#: Metric → description (units in the name). The keys of ``Comparison.to_dict()["metrics"]``.
METRICS: dict[str, str] = {
    "invocations": "invocations (REPORT lines; simulated: invokes started)",
    "cold_starts": "cold starts (REPORTs with Init Duration)",
    "cold_start_rate": "cold starts / invocations",
    "environments_distinct": "execution environments (log streams; simulated: created)",
    "environments_mean": "environments alive, time-weighted mean",
    "concurrency_mean": "concurrent executions, time-weighted mean",
    "concurrency_max": "concurrent executions, maximum",
    "duration_p50_s": "handler Duration, median (s)",
    "duration_p99_s": "handler Duration, 99th percentile (s)",
    "billed_gb_s": "billed duration × memory (GB-s)",
    "cost_usd": "requests + duration cost of the window (USD)",
}
_SERIES = ("ConcurrentExecutions", "ConcurrentExecutionsMean", "Environments", "EnvironmentsMean")


@dataclass(frozen=True)
class Comparison:
    """Observed against simulated for one function (see the module docstring).

    Attributes
    ----------
    function : str
        The scenario function the logs belong to.
    table : pandas.DataFrame
        Index ``metric``; columns ``observed``, ``simulated`` (mean over replications),
        ``ci_low`` / ``ci_high`` (95 % t-interval of the mean; NaN with one replication),
        ``sim_min`` / ``sim_max``, ``rel_error``.
    observed : dict
        :func:`lambdasim.workload.observed.observed_summary` plus ``cost_usd``.
    runs : list of RunResult
        The replications.
    observed_series, simulated_series : pandas.DataFrame
        ``time_s, metric, value`` (simulated: also ``rep``) for concurrency and environments.
    scenario : Scenario
        The replay scenario.
    notes : list of str
        What the replay changed or could not reproduce.
    """

    function: str
    table: pd.DataFrame
    observed: dict[str, Any]
    runs: list[RunResult]
    observed_series: pd.DataFrame
    simulated_series: pd.DataFrame
    scenario: Scenario
    files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def horizon_s(self) -> float:
        """Seconds compared (the logs' window)."""
        return self.scenario.horizon_s

    @property
    def plot(self) -> Any:
        """``cmp.plot.compare()``: observed vs simulated concurrency and environments."""
        from lambdasim.plotting.compare import ComparePlots

        return ComparePlots(self)

    def to_dict(self) -> dict[str, Any]:
        """The ``lambdasim compare --json`` document.

        Keys: ``function``, ``reps``, ``seed``, ``horizon_s``, ``start_time``, ``files``,
        ``pricing_table``, ``metrics`` (metric → ``observed``, ``simulated`` {``mean``,
        ``ci_low``, ``ci_high``, ``min``, ``max``}, ``rel_error``), ``notes``.
        """
        metrics = {}
        for m, row in self.table.iterrows():
            metrics[str(m)] = {
                "observed": _num(row["observed"]),
                "simulated": {
                    "mean": _num(row["simulated"]),
                    "ci_low": _num(row["ci_low"]),
                    "ci_high": _num(row["ci_high"]),
                    "min": _num(row["sim_min"]),
                    "max": _num(row["sim_max"]),
                },
                "rel_error": _num(row["rel_error"]),
            }
        return {
            "function": self.function,
            "reps": len(self.runs),
            "seed": self.runs[0].seed if self.runs else None,
            "horizon_s": self.horizon_s,
            "start_time": self.scenario.start_time.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "files": self.files,
            "pricing_table": self.runs[0].pricing_table if self.runs else None,
            "metrics": metrics,
            "notes": self.notes,
        }

    def _repr_html_(self) -> str:
        head = (
            f"<p><b>lambdasim compare</b> of <code>{html.escape(self.function)}</code>: "
            f"{len(self.runs)} replication(s) of {self.horizon_s:g} s</p>"
        )
        return head + self.table.to_html(float_format=lambda x: f"{x:.4g}")

    def __repr__(self) -> str:
        return f"Comparison(function={self.function!r}, reps={len(self.runs)})"


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _pick_function(sc: Scenario, logs: CloudWatchLogs, function: str | None) -> str:
    names = list(sc.functions)
    if function is not None:
        if function not in sc.functions:
            raise LambdasimError(f"--function {function}: not a function of the scenario {names}")
        return function
    if len(names) == 1:
        return names[0]
    group = (logs.log_group or "").rsplit("/", 1)[-1]
    if group in sc.functions:
        return group
    raise LambdasimError(
        f"the scenario has {len(names)} functions ({', '.join(names)}): say which one the logs "
        "belong to (--function NAME / function=)"
    )


def _replay(
    sc: Scenario,
    fn: str,
    logs: CloudWatchLogs,
    files: list[Path],
    durations: str,
    step_s: float | None,
) -> tuple[Scenario, list[str]]:
    """The scenario with ``fn``'s arrivals replaced by the logs, on the logs' window."""
    from lambdasim.observed.calibrate import nice_step

    notes = []
    origin, horizon = window(logs)
    data = sc.model_dump(mode="json", by_alias=True, exclude_unset=True)
    f = sc.functions[fn]
    feeders = {f"queue:{f.trigger.sqs.queue}"} if f.trigger and f.trigger.sqs else set()
    if f.trigger and f.trigger.stream:
        feeders.add(f"stream:{f.trigger.stream.name}")
    old = data["workloads"]
    keep = [w for w in old if w["target"] != fn and w["target"] not in feeders]
    direct = [w for w in old if w["target"] == fn]
    if feeders:
        notes.append(f"{fn}'s logged invocations replay directly; {', '.join(feeders)} left idle")
    invocation = direct[0].get("invocation", "sync") if direct else "sync"
    start = iso_ms(origin)
    mem = int(logs.memory_mb[-1])
    for i, p in enumerate(files):
        keep.append(
            {
                "name": f"observed-{i}",
                "target": fn,
                "invocation": invocation,
                "arrivals": {
                    "kind": "trace",
                    "format": "cloudwatch_logs",
                    "path": str(p.resolve()),
                    "origin": start,
                    "memory_mb": min(10240, max(128, mem)),
                    "use_durations": durations == "recorded",
                    "on_bad_row": "skip",
                },
            }
        )
    data["workloads"] = keep
    data["horizon_s"] = horizon
    data["warmup_s"] = 0.0
    data["start_time"] = start
    data["output"] = {**data.get("output", {}), "timeseries_step_s": step_s or nice_step(horizon)}
    if f.memory_mb != mem:
        notes.append(
            f"the logs ran at {mem} MB, the scenario at {f.memory_mb} MB: recorded "
            "durations are scaled by the function's cpu_bound"
        )
    replay = Scenario.from_dict(data, base_dir=sc.base_dir, source=sc._source)
    return replay, notes


def _observed_cost(sc: Scenario, fn: str, logs: CloudWatchLogs, horizon_s: float) -> float:
    """Requests and duration cost of the logged invocations under the scenario's table."""
    import numpy as np

    from lambdasim import cost as costmod

    f = sc.functions[fn]
    table = costmod.load_table(sc.pricing.table, base_dir=sc.base_dir)
    totals = []
    for m in sorted({int(x) for x in logs.memory_mb}):
        sel = logs.memory_mb == m
        totals.append(
            costmod.BillingTotals(
                function=f"{fn}@{m}",
                architecture=f.architecture,
                memory_mb=int(min(10240, max(128, m))),
                requests=int(sel.sum()),
                billed_ms=int(np.sum(logs.billed_ms[sel])),  # as logged: INIT in it when billed
                init_billed_ms_delta=0,
                seconds=horizon_s,
                ephemeral_storage_mb=f.ephemeral_storage_mb,
            )
        )
    frame = costmod.run_cost(totals, table, region=sc.account.region)
    return float(frame["total_usd"].sum())


def _simulated(res: RunResult, fn: str) -> dict[str, float]:
    d = res.functions[fn]
    pc = d.get("provisioned") or {}
    envs = d["cold_starts"] + (pc.get("allocated_max") or 0) + (pc.get("recycled") or 0)
    return {
        # every invoke started (sync, async, batches, retries): one REPORT line each
        "invocations": d["invocations_run"],
        "cold_starts": d["cold_starts"],
        "cold_start_rate": d["cold_start_rate"],
        "environments_distinct": envs,
        "environments_mean": d["environments"]["mean"],
        "concurrency_mean": d["concurrency"]["mean"],
        "concurrency_max": d["concurrency"]["max"],
        "duration_p50_s": d["duration_s"]["p50"],
        "duration_p99_s": d["duration_s"]["p99"],
        "billed_gb_s": d["billed_gb_s"],
        "cost_usd": d["cost_usd"]["total"],
    }


def _table(obs: dict[str, Any], sims: list[dict[str, float]]) -> pd.DataFrame:
    from scipy import stats

    rows = []
    n = len(sims)
    for m in METRICS:
        vals = pd.Series([s[m] for s in sims], dtype="float64")
        mean = float(vals.mean())
        if n > 1 and vals.notna().all():
            half = float(stats.t.ppf(0.975, n - 1) * vals.std(ddof=1) / math.sqrt(n))
        else:
            half = math.nan
        o = obs.get(m)
        o = math.nan if o is None else float(o)
        rel = (mean - o) / o if o not in (0.0,) and not math.isnan(o) else math.nan
        rows.append(
            {
                "metric": m,
                "observed": o,
                "simulated": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "sim_min": float(vals.min()),
                "sim_max": float(vals.max()),
                "rel_error": rel,
            }
        )
    return pd.DataFrame(rows).set_index("metric")


def compare(
    scenario: Scenario | str | Path,
    observed: str | Path | Sequence[str | Path] | CloudWatchLogs,
    *,
    function: str | None = None,
    reps: int = 5,
    seed: int | None = None,
    durations: str = "recorded",
    step_s: float | None = None,
) -> Comparison:
    """Replay observed arrivals through ``scenario`` and compare with what the logs show.

    Parameters
    ----------
    scenario : Scenario or path
        The model of the system.
    observed : path(s) or CloudWatchLogs
        The function's CloudWatch Logs exports (any format of ``import logs``; globs too).
    function : str, optional
        The scenario function of the logs (default: the only one, or the log group's name).
    reps : int
        Replications (≥ 1).
    seed : int, optional
        Root seed; default the scenario's (a fresh one, stored, when it has none).
    durations : {"recorded", "model"}
        Replay each invocation's logged Duration, or draw from the function's distribution.
    step_s : float, optional
        Period of the time series (default: a round step giving at most 120 periods).

    Returns
    -------
    Comparison

    Raises
    ------
    LambdasimError
        Unreadable logs, a function not in the scenario, ``reps`` < 1 or a bad ``durations``.
    """
    from lambdasim.simulation import run

    if reps < 1:
        raise LambdasimError(f"reps must be at least 1 (got {reps})")
    if durations not in ("recorded", "model"):
        raise LambdasimError(f"durations must be 'recorded' or 'model' (got {durations!r})")
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    logs = observed if isinstance(observed, CloudWatchLogs) else read_logs(observed)
    fn = _pick_function(sc, logs, function)
    replay, notes = _replay(sc, fn, logs, logs.files, durations, step_s)
    origin, horizon = window(logs)
    obs = observed_summary(logs, origin, horizon)
    obs["cost_usd"] = _observed_cost(replay, fn, logs, horizon)
    runs = [run(replay, seed=seed, rep=0)]
    runs += [run(replay, seed=runs[0].seed, rep=r) for r in range(1, reps)]
    sim_frames = []
    for r in runs:
        ts = r.timeseries
        part = ts[(ts["function"] == fn) & ts["metric"].isin(_SERIES)][
            ["time_s", "metric", "value"]
        ]
        sim_frames.append(part.assign(rep=r.rep))
    o_series = observed_series(logs, origin, horizon, replay.output.timeseries_step_s)
    o_series = o_series[o_series["metric"].isin(_SERIES)].reset_index(drop=True)
    if logs.malformed.count:
        notes.append(
            f"{logs.malformed.count} malformed log event(s) left out; first: "
            + "; ".join(logs.malformed.first)
        )
    if logs.unfinished:
        notes.append(f"{logs.unfinished} START line(s) without a REPORT left out")
    return Comparison(
        function=fn,
        table=_table(obs, [_simulated(r, fn) for r in runs]),
        observed=obs,
        runs=runs,
        observed_series=o_series,
        simulated_series=pd.concat(sim_frames, ignore_index=True),
        scenario=replay,
        files=[str(p) for p in logs.files],
        notes=notes,
    )
