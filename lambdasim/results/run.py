"""Immutable results of one run: summary, time series, cost, JSON, HTML."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lambdasim import cost as costmod
from lambdasim.results import provisioned as pres
from lambdasim.results import queues as qres
from lambdasim.results import streams as sres
from lambdasim.config import Scenario
from lambdasim.results.frames import long_frame
from lambdasim.metrics.core import (
    AsyncMetrics,
    FunctionMetrics,
    Level,
    make_edges,
    period_stats,
    window_stats,
)
from lambdasim.service.destinations import TopicSink
from lambdasim.service.provisioned import ProvisionedPool
from lambdasim.service.sqs import SqsQueue
from lambdasim.service.sqs_mapping import SqsEventSourceMapping
from lambdasim.service.streams import StreamMapping

__all__ = ["RunResult"]

if TYPE_CHECKING:
    from lambdasim.plotting import RunPlots


def _pkey(p: float) -> str:
    return "p" + f"{p:g}"


def _nan_to_none(x: float) -> float | None:
    return None if isinstance(x, float) and math.isnan(x) else x


@dataclass(frozen=True)
class RunResult:
    """The outcome of one simulated replication.

    Attributes
    ----------
    scenario : Scenario
        The effective scenario.
    seed, rep : int
        Root seed and replication number (together they reproduce the run).
    summary : pandas.DataFrame
        One row per function.
    timeseries : pandas.DataFrame
        Long format: ``time_s`` (period start), ``function``, ``metric``, ``value``.
    totals : list of BillingTotals
        What cost is computed from (no re-run needed for another pricing table).
    invocations : pandas.DataFrame or None
        Per-invocation log when run with ``trace=True``.
    """

    scenario: Scenario
    seed: int
    rep: int
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    totals: list[costmod.BillingTotals]
    account: dict[str, Any]
    functions: dict[str, dict[str, Any]]
    queues: dict[str, dict[str, Any]]
    streams: dict[str, dict[str, Any]]
    wall_s: float
    invocations: pd.DataFrame | None = None
    _histograms: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        *,
        scenario: Scenario,
        seed: int,
        rep: int,
        metrics: Mapping[str, FunctionMetrics],
        account_level: Level | None,
        wall_s: float,
        async_metrics: Mapping[str, AsyncMetrics] | None = None,
        async_waiting: Mapping[str, int] | None = None,
        queues: Mapping[str, SqsQueue] | None = None,
        topics: Mapping[str, TopicSink] | None = None,
        mappings: Mapping[str, SqsEventSourceMapping] | None = None,
        provisioned: Mapping[str, ProvisionedPool] | None = None,
        streams: Mapping[str, StreamMapping] | None = None,
        invocations: pd.DataFrame | None,
    ) -> RunResult:
        horizon = scenario.horizon_s
        warmup = scenario.warmup_s
        window = horizon - warmup
        step = scenario.output.timeseries_step_s
        edges, n = make_edges(horizon, step, warmup)
        pcts = scenario.output.percentiles
        table = _table(scenario.pricing.table)
        totals = []
        funcs: dict[str, dict[str, Any]] = {}
        rows = []
        ts_frames = []
        times = np.arange(n, dtype=np.float64) * step
        for name, m in metrics.items():
            fn = scenario.functions[name]
            pcp = (provisioned or {}).get(name)
            t = costmod.BillingTotals(
                function=name,
                architecture=fn.architecture,
                memory_mb=fn.memory_mb,
                requests=m.invocations_run + m.extra_requests,
                # invokes on provisioned environments are billed at the PC duration price
                billed_ms=m.billed_ms - (pcp.pc_billed_ms if pcp is not None else 0),
                init_billed_ms_delta=m.init_billed_delta_ms,
                seconds=window,
                ephemeral_storage_mb=fn.ephemeral_storage_mb,
                pc_allocated_gb_s=(pcp.billed_unit_s * fn.memory_mb / 1024.0) if pcp else 0.0,
                pc_billed_ms=pcp.pc_billed_ms if pcp is not None else 0,
                pc_init_ms=pcp.init_ms if pcp is not None else 0,
            )
            totals.append(t)
            succ = m.outcomes[0]
            lat_q = m.latency.quantiles([p / 100 for p in pcts])
            dur_q = m.duration.quantiles([0.5, 0.99])
            init_q = m.init.quantiles([0.5, 0.99])
            c_mean, c_max = window_stats(m.concurrency, edges, warmup, horizon)
            e_mean, e_max = window_stats(m.environments, edges, warmup, horizon)
            ran = m.invocations_run
            funcs[name] = {
                "invocations": m.arrivals,
                "succeeded": succ,
                "errors": m.outcomes[1],
                "timeouts": m.outcomes[2],
                "throttled": m.outcomes[3],
                "in_flight_end": m.in_flight,
                "cold_starts": m.cold_starts,
                # share of finished invokes that were cold (both counted at completion)
                "cold_start_rate": m.cold_finished / ran if ran else None,
                "latency_s": {
                    "mean": m.latency_sum / succ if succ else None,
                    **{_pkey(p): _nan_to_none(q) for p, q in zip(pcts, lat_q, strict=True)},
                },
                "duration_s": {
                    "mean": m.duration_sum / ran if ran else None,
                    "p50": _nan_to_none(dur_q[0]),
                    "p99": _nan_to_none(dur_q[1]),
                },
                "init_s": {
                    "mean": m.init_sum / m.cold_starts if m.cold_starts else None,
                    "p50": _nan_to_none(init_q[0]),
                    "p99": _nan_to_none(init_q[1]),
                },
                "concurrency": {"mean": c_mean, "max": c_max},
                "environments": {"mean": e_mean, "max": e_max},
                "throttle_events": m.throttle_events,
                "throttles_by_reason": {
                    "ConcurrentInvocationLimitExceeded": m.throttle_reasons[0],
                    "ReservedFunctionConcurrentInvocationLimitExceeded": m.throttle_reasons[1],
                    "ScalingRateExceeded": m.throttle_reasons[2],
                },
                "suppressed_inits": m.suppressed_inits,
                "invocations_run": ran,
            }
            ts_frames.append(_function_series(name, m, times, edges, step, n, horizon))
            if pcp is not None:
                funcs[name]["provisioned"] = pres.provisioned_block(pcp, edges, warmup, horizon)
                ts_frames.append(pres.provisioned_series(name, pcp, times, edges, step, n, horizon))
            am = (async_metrics or {}).get(name)
            if am is not None:
                waiting = (async_waiting or {}).get(name, 0)
                funcs[name]["async"] = _async_block(am, waiting, edges, warmup, horizon)
                ts_frames.append(_async_series(name, am, times, edges, step, n, horizon))
        for t in totals:
            funcs[t.function]["billed_gb_s"] = costmod.billed_gb_s(t, table)
        cost_df = costmod.run_cost(totals, table, region=scenario.account.region)
        for fname, row in cost_df.iterrows():
            f = funcs[str(fname)]
            f["cost_usd"] = {
                "requests": float(row["requests_usd"]),
                "duration": float(row["duration_usd"] + row["ephemeral_usd"]),
                "provisioned": float(row["provisioned_usd"]),
                "total": float(row["total_usd"]),
            }
            if "provisioned" in f:
                f["provisioned"]["cost_usd"] = float(row["provisioned_usd"])
        for name, d in funcs.items():
            rows.append(_summary_row(name, d, pcts))
        if account_level is not None:
            a_mean, a_max = window_stats(account_level, edges, warmup, horizon)
            means, mx = period_stats(account_level, edges, step, n, horizon)
            ts_frames.append(
                long_frame(
                    "account",
                    times,
                    {"ConcurrentExecutions": mx, "ConcurrentExecutionsMean": means},
                )
            )
        else:
            only = next(iter(funcs.values()))
            a_mean, a_max = only["concurrency"]["mean"], only["concurrency"]["max"]
        region = scenario.account.region
        queue_block: dict[str, dict[str, Any]] = {}
        for qname in scenario.queues:
            if qname in (topics or {}):
                tsink = (topics or {})[qname]
                queue_block[qname] = {"kind": "topic", "sent": tsink.sent}
                ts_frames.append(
                    long_frame(
                        f"queue:{qname}", times, {"NumberOfMessagesPublished": tsink.ts_sent}
                    )
                )
                continue
            q = (queues or {})[qname]
            queue_block[qname] = qres.queue_block(q, table, region, edges, warmup, horizon)
            queue_block[qname]["monthly_cost_usd"] = qres.sqs_monthly_usd(
                q, table, region, window, scenario.pricing.free_tier
            )
            ts_frames.append(qres.queue_series(q, times, edges, step, n, horizon))
        stream_block: dict[str, dict[str, Any]] = {}
        for sname, sm in (streams or {}).items():
            stream_block[sname] = sres.stream_block(sm)
            ts_frames.append(sres.stream_series(sm, times, edges, step, n, horizon))
        for fname, esm in (mappings or {}).items():
            funcs[fname]["sqs"] = qres.esm_block(esm, table, region, edges, warmup, horizon)
            ts_frames.append(qres.esm_series(esm, times, edges, step, n, horizon))
        account = {
            "concurrency_max": a_max,
            "concurrency_mean": a_mean,
            "throttled": sum(d["throttled"] for d in funcs.values()),
            "throttle_events": sum(d["throttle_events"] for d in funcs.values()),
        }
        summary = pd.DataFrame(rows).set_index("function")
        timeseries = pd.concat(ts_frames, ignore_index=True)
        res = cls(
            scenario=scenario,
            seed=seed,
            rep=rep,
            summary=summary,
            timeseries=timeseries,
            totals=totals,
            account=account,
            functions=funcs,
            queues=queue_block,
            streams=stream_block,
            wall_s=wall_s,
            invocations=invocations,
            _histograms={n_: (m.latency, m.duration) for n_, m in metrics.items()},
        )
        res._stamp(summary)
        res._stamp(timeseries)
        return res

    def _stamp(self, df: pd.DataFrame) -> None:
        from lambdasim import __version__

        df.attrs.update(
            lambdasim_version=__version__,
            scenario=self.scenario.name,
            seed=self.seed,
            rep=self.rep,
            pricing_table=self.pricing_table,
            numpy_version=np.__version__,
        )

    @property
    def plot(self) -> RunPlots:
        """Plots of this run: ``res.plot.concurrency()``, ``.environments()``, ``.latency()``,
        ``.cost()``, ``.queue()``, ``.async_events()``, ``.dlq()``, ``.timeline()`` (see
        :mod:`lambdasim.plotting`); each returns a matplotlib Axes."""
        from lambdasim.plotting import RunPlots

        return RunPlots(self)

    # ------------------------------------------------------------------ cost

    @property
    def pricing_table(self) -> str:
        """Id of the pricing table the run's cost uses."""
        return costmod.load_table(self.scenario.pricing.table).id

    @property
    def cost(self) -> pd.DataFrame:
        """Cost of the simulated window per function (USD), under the scenario's table."""
        return self.cost_with()

    def cost_with(
        self, *, table: str | Path | None = None, region: str | None = None
    ) -> pd.DataFrame:
        """Cost of the run under another pricing table or region, from totals (no re-run).

        Raises
        ------
        ValueError
            If the table bills at another granularity than the 1 ms the totals were kept at.
        """
        t = _table(table if table is not None else self.scenario.pricing.table)
        return costmod.run_cost(self.totals, t, region=region or self.scenario.account.region)

    def monthly_cost(
        self, *, table: str | Path | None = None, free_tier: bool | None = None, days: float = 30
    ) -> pd.DataFrame:
        """Projection of the run's rates to ``days`` days, with monthly tiers and free tier."""
        t = _table(table if table is not None else self.scenario.pricing.table)
        ft = self.scenario.pricing.free_tier if free_tier is None else free_tier
        return costmod.monthly_projection(
            self.totals, t, free_tier=ft, days=days, region=self.scenario.account.region
        )

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """The ``lambdasim run --json`` document."""
        from lambdasim import __version__

        month = self.monthly_cost()
        lam = sum(d["cost_usd"]["total"] for d in self.functions.values())
        sqs = sum(q.get("cost_usd", 0.0) for q in self.queues.values())
        epu = sum(d["sqs"]["epu_cost_usd"] for d in self.functions.values() if "sqs" in d)
        days = 30.0
        window = self.scenario.horizon_s - self.scenario.warmup_s
        sqs_month = sum(q.get("monthly_cost_usd", 0.0) for q in self.queues.values())
        epu_month = epu * days * 86400.0 / window
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "rep": self.rep,
            "horizon_s": self.scenario.horizon_s,
            "warmup_s": self.scenario.warmup_s,
            "version": __version__,
            "pricing_table": self.pricing_table,
            "functions": self.functions,
            "account": self.account,
            "queues": self.queues,
            "streams": self.streams,
            "cost_usd": {
                "total": lam + sqs + epu,
                "lambda": lam,
                "sqs_requests": sqs,
                "sqs_pollers": epu,
                "monthly_projection": {
                    "days": days,
                    "free_tier": self.scenario.pricing.free_tier,
                    "total": float(month["total_usd"].sum()) + sqs_month + epu_month,
                    "lambda": float(month["total_usd"].sum()),
                    "sqs": sqs_month + epu_month,
                    "functions": {str(k): float(v) for k, v in month["total_usd"].items()},
                },
            },
            "wall_s": self.wall_s,
        }

    def to_parquet(self, path: str | Path) -> Path:
        """Write summary, time series and cost to ``path`` (a directory) as Parquet files."""
        out = Path(path)
        out.mkdir(parents=True, exist_ok=True)
        self.summary.reset_index().to_parquet(out / "summary.parquet")
        self.timeseries.to_parquet(out / "timeseries.parquet")
        self.cost.reset_index().to_parquet(out / "cost.parquet")
        (out / "scenario.yaml").write_text(self.scenario.to_yaml(), encoding="utf-8")
        return out

    def _repr_html_(self) -> str:
        cols = [c for c in self.summary.columns if c not in ("suppressed_inits",)]
        table = self.summary[cols].to_html(float_format=lambda x: f"{x:.4g}")
        total = sum(d["cost_usd"]["total"] for d in self.functions.values())
        head = (
            f"<p><b>lambdasim</b> run of <code>{html.escape(self.scenario.name)}</code>: "
            f"seed {self.seed}, rep {self.rep}, {self.scenario.horizon_s:g} simulated s "
            f"in {self.wall_s:.2f} wall s; cost ${total:.4f} "
            f"({html.escape(self.pricing_table)})</p>"
        )
        return head + table

    def __repr__(self) -> str:
        return (
            f"RunResult(scenario={self.scenario.name!r}, seed={self.seed}, rep={self.rep}, "
            f"functions={list(self.functions)})"
        )


def _table(table: str | Path | None) -> costmod.PricingTable:
    t = costmod.load_table(table)
    if t.billing_rules.duration_granularity_ms != 1:
        raise ValueError(
            f"pricing table {t.id} bills in {t.billing_rules.duration_granularity_ms} ms steps; "
            "lambdasim keeps billed totals at 1 ms (the rule since Dec 2020, "
            "aws-lambda-behaviour.md §10.1), so it cannot re-price this run with it"
        )
    return t


def _summary_row(name: str, d: dict[str, Any], pcts: Sequence[float]) -> dict[str, Any]:
    row: dict[str, Any] = {"function": name}
    for k in (
        "invocations",
        "succeeded",
        "errors",
        "timeouts",
        "throttled",
        "in_flight_end",
        "cold_starts",
        "cold_start_rate",
    ):
        row[k] = d[k]
    row["latency_mean_s"] = d["latency_s"]["mean"]
    for p in pcts:
        row[f"latency_{_pkey(p)}_s"] = d["latency_s"][_pkey(p)]
    row["duration_mean_s"] = d["duration_s"]["mean"]
    row["concurrency_mean"] = d["concurrency"]["mean"]
    row["concurrency_max"] = d["concurrency"]["max"]
    row["environments_mean"] = d["environments"]["mean"]
    row["environments_max"] = d["environments"]["max"]
    row["throttle_events"] = d["throttle_events"]
    row["suppressed_inits"] = d["suppressed_inits"]
    row["billed_gb_s"] = d["billed_gb_s"]
    row["cost_usd"] = d["cost_usd"]["total"]
    return row


def _function_series(
    name: str,
    m: FunctionMetrics,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    inv = np.asarray(m.ts_invocations, dtype=np.float64)
    cold = np.asarray(m.ts_cold, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        dur = np.asarray(m.ts_duration_sum) / inv
        init = np.asarray(m.ts_init_sum) / cold
    c_mean, c_max = period_stats(m.concurrency, edges, step, n, horizon)
    e_mean, e_max = period_stats(m.environments, edges, step, n, horizon)
    return long_frame(
        name,
        times,
        {
            "Invocations": inv,
            "Errors": m.ts_errors,
            "Throttles": m.ts_throttles,
            "ColdStarts": cold,
            "Duration": dur,
            "InitDuration": init,
            "ConcurrentExecutions": c_max,
            "ConcurrentExecutionsMean": c_mean,
            "Environments": e_max,
            "EnvironmentsMean": e_mean,
        },
    )


def _async_block(
    am: AsyncMetrics, waiting: int, edges: Sequence[float], warmup: float, horizon: float
) -> dict[str, Any]:
    done = am.succeeded + am.to_dlq + am.to_on_failure + am.dropped
    age = am.age.quantiles([0.5, 0.99])
    lat = am.latency.quantiles([0.5, 0.99])
    _, depth_max = window_stats(am.depth, edges, warmup, horizon)
    return {
        "events_received": am.received,
        "duplicates": am.duplicates,
        "attempts": am.attempts,
        "retries": am.retries,
        "succeeded": am.succeeded,
        "to_dlq": am.to_dlq,
        "to_on_failure": am.to_on_failure,
        "dropped": am.dropped,
        "in_queue_end": waiting,
        "in_flight_end": am.received + am.duplicates - done - waiting,
        "failure_reasons": dict(am.reasons),
        "dead_letter_errors": am.dead_letter_errors,
        "destination_delivery_failures": am.destination_delivery_failures,
        "sources": dict(am.sources),
        "event_age_s": {
            "p50": _nan_to_none(age[0]),
            "p99": _nan_to_none(age[1]),
            "max": am.age_max if am.attempts else None,
        },
        "queue_depth_max": depth_max,
        "latency_s": {"p50": _nan_to_none(lat[0]), "p99": _nan_to_none(lat[1])},
    }


def _async_series(
    name: str,
    am: AsyncMetrics,
    times: np.ndarray,
    edges: Sequence[float],
    step: float,
    n: int,
    horizon: float,
) -> pd.DataFrame:
    with np.errstate(invalid="ignore", divide="ignore"):
        age = np.asarray(am.ts_age_sum) / np.asarray(am.ts_age_n, dtype=np.float64)
    d_mean, d_max = period_stats(am.depth, edges, step, n, horizon)
    return long_frame(
        name,
        times,
        {
            "AsyncEventsReceived": am.ts_received,
            "AsyncEventAge": age,
            "AsyncEventsDropped": am.ts_dropped,
            "DeadLetterErrors": am.ts_dlq_errors,
            "DestinationDeliveryFailures": am.ts_destination_failures,
            "AsyncQueueDepth": d_max,
            "AsyncQueueDepthMean": d_mean,
        },
    )
