"""Immutable results of one run: summary, time series, cost, JSON, HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lambdasim import cost as costmod
from lambdasim._version import __version__
from lambdasim.config import Function, Scenario
from lambdasim.cost.lambda_ import CostRows, monthly_rows, run_cost_rows
from lambdasim.cost.provisioned import enabled_unit_s, enabled_unit_s_unrounded
from lambdasim.metrics import RunMetrics, window_stats
from lambdasim.results import blocks, plots, series
from lambdasim.results.execution_models import (
    add_execution_model_charges,
    add_execution_model_costs,
    add_execution_models,
)
from lambdasim.results.schema import summary_row
from lambdasim.results.store import OutputError, atomic_path, atomic_write_text, check_output

__all__ = ["RunResult"]


@dataclass(frozen=True)
class _Parts:
    """What the lazy attributes of a :class:`RunResult` are built from (issue 16: a run's fixed
    cost was half pandas frames that sweeps never read)."""

    table: costmod.PricingTable
    region: str
    pcts: tuple[float, ...]
    #: ``functions.NAME`` blocks without cost, ``provisioned`` and ``async`` included
    blocks: dict[str, dict[str, Any]]
    #: ``functions.NAME.sqs`` blocks, which the document lists after the cost
    sqs: dict[str, dict[str, Any]]
    #: the time-series frames, as (series function, arguments), in the frame's row order
    series: list[tuple[Callable[..., pd.DataFrame], tuple[Any, ...]]]
    #: the per-invocation log: a frame, something with ``frame()`` (the tracer), or None
    invocations: Any


@dataclass(frozen=True, eq=False)
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
    functions, account, queues, streams : dict
        The blocks of the ``--json`` document (:meth:`to_dict`).
    invocations : pandas.DataFrame or None
        Per-invocation log when run with ``trace=True``.

    ``summary``, ``timeseries``, ``invocations``, ``cost`` and the cost in ``functions`` are
    computed on first access and kept: a run that is only turned into sweep rows never builds
    a DataFrame it does not need (the cost arithmetic gives lists, :class:`CostRows
    <lambdasim.cost.lambda_.CostRows>`, that the blocks and :meth:`to_dict` read; ``cost``
    and :meth:`monthly_cost` make frames of them).
    """

    scenario: Scenario
    seed: int
    rep: int
    totals: list[costmod.BillingTotals]
    account: dict[str, Any]
    queues: dict[str, dict[str, Any]]
    streams: dict[str, dict[str, Any]]
    wall_s: float
    _parts: _Parts = field(repr=False)
    _histograms: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------ construction

    @classmethod
    def build(
        cls,
        *,
        scenario: Scenario,
        seed: int,
        rep: int,
        metrics: RunMetrics,
        wall_s: float,
        invocations: Any,
    ) -> RunResult:
        """Assemble the result of a run from its closed collectors (nothing else is read).

        ``invocations`` is the trace frame, or the tracer itself (anything with a ``frame()``
        method, built on first access of :attr:`invocations`), or None.
        """
        periods = metrics.periods
        window = periods.window_s
        pcts = tuple(scenario.output.percentiles)
        table = _table(scenario.pricing.table, scenario.base_dir)
        region = scenario.account.region
        pc_rounding_s = float(table.billing_rules.provisioned_rounding_s)
        totals = []
        funcs: dict[str, dict[str, Any]] = {}
        ts: list[tuple[Callable[..., pd.DataFrame], tuple[Any, ...]]] = []
        for name, m in metrics.functions.items():
            fn = scenario.functions[name]
            pm = metrics.provisioned.get(name)
            mem_gb = fn.memory_mb / 1024.0
            pc_gb_s = pc_exact_gb_s = 0.0
            if pm is not None:
                pc_gb_s = enabled_unit_s(pm.enabled, pc_rounding_s) * mem_gb
                pc_exact_gb_s = enabled_unit_s_unrounded(pm.enabled) * mem_gb
            totals.append(
                costmod.BillingTotals(
                    function=name,
                    architecture=fn.architecture,
                    memory_mb=fn.memory_mb,
                    requests=m.invocations_run + m.extra_requests,
                    # invokes on provisioned environments are billed at the PC duration price
                    billed_ms=m.billed_ms - (pm.pc_billed_ms if pm is not None else 0),
                    init_billed_ms_delta=m.init_billed_delta_ms,
                    seconds=window,
                    ephemeral_storage_mb=fn.ephemeral_storage_mb,
                    pc_allocated_gb_s=pc_gb_s,
                    pc_billed_ms=pm.pc_billed_ms if pm is not None else 0,
                    pc_init_ms=pm.init_ms if pm is not None else 0,
                    pc_enabled_gb_s=pc_exact_gb_s,
                    init_billed_always=_init_billed_always(fn),
                )
            )
            funcs[name] = blocks.function_block(m, periods, pcts)
            ts.append((series.function_series, (name, m, periods)))
            if pm is not None:
                funcs[name]["provisioned"] = blocks.provisioned_block(pm, periods, pc_rounding_s)
                ts.append((series.provisioned_series, (name, pm, periods)))
            am = metrics.async_.get(name)
            if am is not None:
                funcs[name]["async"] = blocks.async_block(am, periods)
                ts.append((series.async_series, (name, am, periods)))
        add_execution_models(funcs, ts, metrics, scenario)  # LMI, tenant isolation, SnapStart
        if metrics.account is not None:
            a_mean, a_max = window_stats(metrics.account, periods)
            ts.append((series.account_series, (metrics.account, periods)))
        else:
            only = next(iter(funcs.values()))
            a_mean, a_max = only["concurrency"]["mean"], only["concurrency"]["max"]
        queue_blocks: dict[str, dict[str, Any]] = {}
        for qname in scenario.queues:
            if qname in metrics.topics:
                tm = metrics.topics[qname]
                queue_blocks[qname] = blocks.topic_block(tm)
                ts.append((series.topic_series, (tm, periods)))
                continue
            qm = metrics.queues[qname]
            queue_blocks[qname] = blocks.queue_block(qm, table, region, periods)
            queue_blocks[qname]["monthly_cost_usd"] = costmod.sqs_monthly_usd(
                qm.requests,
                qm.fifo,
                table,
                region,
                window_s=window,
                free_tier=scenario.pricing.free_tier,
                empty_receives=qm.empty_receives,
            )
            ts.append((series.queue_series, (qm, periods)))
        stream_blocks: dict[str, dict[str, Any]] = {}
        for sname, sm in metrics.streams.items():
            stream_blocks[sname] = blocks.stream_block(sm)
            ts.append((series.stream_series, (sm, periods)))
        sqs_blocks: dict[str, dict[str, Any]] = {}
        for fname, em in metrics.mappings.items():
            sqs_blocks[fname] = blocks.mapping_block(em, table, region, periods)
            ts.append((series.mapping_series, (em, periods)))
        account = {
            "concurrency_max": a_max,
            "concurrency_mean": a_mean,
            "throttled": sum(d["throttled"] for d in funcs.values()),
            "throttle_events": sum(d["throttle_events"] for d in funcs.values()),
        }
        return cls(
            scenario=scenario,
            seed=seed,
            rep=rep,
            totals=totals,
            account=account,
            queues=queue_blocks,
            streams=stream_blocks,
            wall_s=wall_s,
            _parts=_Parts(table, region, pcts, funcs, sqs_blocks, ts, invocations),
            _histograms={n_: (m.latency, m.duration) for n_, m in metrics.functions.items()},
        )

    def _stamp(self, df: pd.DataFrame) -> None:
        df.attrs.update(
            lambdasim_version=__version__,
            scenario=self.scenario.name,
            seed=self.seed,
            rep=self.rep,
            pricing_table=self.pricing_table,
            numpy_version=np.__version__,
        )

    # ------------------------------------------------------------------ lazy attributes

    @property
    def functions(self) -> dict[str, dict[str, Any]]:
        """``functions.NAME`` blocks of the ``--json`` document, cost included."""
        funcs: dict[str, dict[str, Any]] | None = self._cache.get("functions")
        if funcs is not None:
            return funcs
        parts = self._parts
        rows = self._cost_rows()
        funcs = parts.blocks
        for t in self.totals:
            funcs[t.function]["billed_gb_s"] = costmod.billed_gb_s(t, parts.table)
        c = rows.columns  # lists of floats, no frame
        for i, fname in enumerate(rows.functions):
            f = funcs[fname]
            f["cost_usd"] = {
                "requests": float(c["requests_usd"][i]),
                "duration": float(c["duration_usd"][i] + c["ephemeral_usd"][i]),
                "provisioned": float(c["provisioned_usd"][i]),
                "total": float(c["total_usd"][i]),
            }
            if "provisioned" in f:
                f["provisioned"]["cost_usd"] = float(c["provisioned_usd"][i])
        add_execution_model_costs(funcs)  # their charges (results/execution_models.py)
        for fname, block in parts.sqs.items():
            funcs[fname]["sqs"] = block
        self._cache["functions"] = funcs
        return funcs

    @property
    def summary(self) -> pd.DataFrame:
        """One row per function (columns: :func:`lambdasim.results.schema.summary_columns`)."""
        df: pd.DataFrame | None = self._cache.get("summary")
        if df is None:
            pcts = self._parts.pcts
            rows = [summary_row(name, d, pcts) for name, d in self.functions.items()]
            df = pd.DataFrame(rows).set_index("function")
            self._stamp(df)
            self._cache["summary"] = df
        return df

    @property
    def timeseries(self) -> pd.DataFrame:
        """Long format: ``time_s`` (period start), ``function``, ``metric``, ``value``."""
        df: pd.DataFrame | None = self._cache.get("timeseries")
        if df is None:
            df = pd.concat([fn(*args) for fn, args in self._parts.series], ignore_index=True)
            self._stamp(df)
            self._cache["timeseries"] = df
        return df

    @property
    def invocations(self) -> pd.DataFrame | None:
        """Per-invocation log when run with ``trace=True`` (ordered by end time), else None."""
        if "invocations" not in self._cache:
            src = self._parts.invocations
            lazy = src is not None and not isinstance(src, pd.DataFrame)
            self._cache["invocations"] = src.frame() if lazy else src
        out: pd.DataFrame | None = self._cache["invocations"]
        return out

    @property
    def plot(self) -> Any:
        """Plots of this run (a :class:`lambdasim.plotting.RunPlots`): ``res.plot.concurrency()``,
        ``.environments()``, ``.latency()``, ``.cost()``, ``.queue()``, ``.async_events()``,
        ``.dlq()``, ``.timeline()``; each returns a matplotlib Axes."""
        return plots.accessor("run", self)

    # ------------------------------------------------------------------ cost

    @property
    def pricing_table(self) -> str:
        """Id of the pricing table the run's cost uses."""
        return _table(self.scenario.pricing.table, self.scenario.base_dir).id

    def _pricing(self, table: str | Path | None) -> costmod.PricingTable:
        # The scenario's own table is relative to its config file; one passed here, to the cwd.
        if table is not None:
            return _table(table)
        return _table(self.scenario.pricing.table, self.scenario.base_dir)

    def _cost_rows(self) -> CostRows:
        """The run's Lambda cost under its own table and region, computed once (no frame)."""
        rows: CostRows | None = self._cache.get("cost_rows")
        if rows is None:
            rows = self._cache["cost_rows"] = run_cost_rows(
                self.totals, self._parts.table, region=self._parts.region
            )
        return rows

    @property
    def cost(self) -> pd.DataFrame:
        """Cost of the simulated window per function (USD), under the scenario's table.

        The Lambda columns of :func:`lambdasim.cost.run_cost`, then a column per charge of the
        execution models some function uses (``managed_instances_usd``,
        ``tenant_isolation_usd``, ``snapstart_usd``), and ``total_usd`` with them: each row's
        total is the ``cost_usd.total`` of the ``--json`` document. Built on first access
        from the numbers ``functions`` reads, once; each access returns a copy of it, as
        :meth:`cost_with` returns a new frame.
        """
        df: pd.DataFrame | None = self._cache.get("cost")
        if df is None:
            rows = add_execution_model_charges(self._cost_rows(), self.functions)
            df = self._cache["cost"] = rows.frame()
        return df.copy()

    def cost_with(
        self, *, table: str | Path | None = None, region: str | None = None
    ) -> pd.DataFrame:
        """Cost of the run under another pricing table or region, from totals (no re-run).

        The frame of :attr:`cost`. The execution models' charges (LMI, tenant isolation,
        SnapStart) come from their own price table, so they are the same under any table.

        Raises
        ------
        ValueError
            If the table bills at another granularity than the 1 ms the totals were kept at.
        """
        t = self._pricing(table)
        rows = run_cost_rows(self.totals, t, region=region or self.scenario.account.region)
        return add_execution_model_charges(rows, self.functions).frame()

    def monthly_cost(
        self, *, table: str | Path | None = None, free_tier: bool | None = None, days: float = 30
    ) -> pd.DataFrame:
        """Projection of the run's rates to ``days`` days, with monthly tiers and free tier.

        The columns of :func:`lambdasim.cost.monthly_projection` and, as in :attr:`cost`, a
        column per execution-model charge (projected), included in ``total_usd``.
        """
        return self._monthly_rows(table=table, free_tier=free_tier, days=days).frame()

    def _monthly_rows(
        self, *, table: str | Path | None = None, free_tier: bool | None = None, days: float = 30
    ) -> CostRows:
        # monthly_cost without the frame (to_dict, and so every sweep row, reads this)
        t = self._pricing(table)
        ft = self.scenario.pricing.free_tier if free_tier is None else free_tier
        rows = monthly_rows(
            self.totals, t, free_tier=ft, days=days, region=self.scenario.account.region
        )
        return add_execution_model_charges(rows, self.functions, days=days)  # LMI, SnapStart

    # ------------------------------------------------------------------ output

    def to_dict(self) -> dict[str, Any]:
        """The ``lambdasim run --json`` document."""
        month = self._monthly_rows()
        month_total = month.columns["total_usd"]
        # the sum a float64 column's .sum() gives (NumPy's pairwise summation), without a frame
        month_lam = float(np.sum(np.asarray(month_total, dtype=np.float64)))
        lam = sum(d["cost_usd"]["total"] for d in self.functions.values())
        days = 30.0
        sq = costmod.sqs_cost_totals(
            queue_usd=[q.get("cost_usd", 0.0) for q in self.queues.values()],
            queue_monthly_usd=[q.get("monthly_cost_usd", 0.0) for q in self.queues.values()],
            poller_usd=[d["sqs"]["epu_cost_usd"] for d in self.functions.values() if "sqs" in d],
            window_s=self.scenario.horizon_s - self.scenario.warmup_s,
            days=days,
        )
        sqs, epu = sq.requests_usd, sq.pollers_usd
        sqs_month, epu_month = sq.requests_monthly_usd, sq.pollers_monthly_usd
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
                    "total": month_lam + sqs_month + epu_month,
                    "lambda": month_lam,
                    "sqs": sqs_month + epu_month,
                    "functions": dict(zip(month.functions, map(float, month_total), strict=True)),
                },
            },
            "wall_s": self.wall_s,
        }

    def to_parquet(self, path: str | Path) -> Path:
        """Write summary, time series and cost to ``path`` (a directory) as Parquet files."""
        out = check_output(path, "dir", "output directory")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{out}: cannot create ({exc.strerror or exc})") from None
        # Each file goes to a temporary name and is renamed: an interrupted write leaves whole
        # files (of this run or the previous one), never a truncated one.
        frames = {
            "summary.parquet": self.summary.reset_index(),
            "timeseries.parquet": self.timeseries,
            "cost.parquet": self.cost.reset_index(),
        }
        for name, frame in frames.items():
            with atomic_path(out / name) as tmp:
                frame.to_parquet(tmp)
        atomic_write_text(out / "scenario.yaml", self.scenario.to_yaml())
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


#: Runtimes that are custom runtimes: AWS's OS-only ``provided``, ``provided.al2`` and
#: ``provided.al2023``, and the family names ``go`` and ``rust`` that lambdasim accepts for
#: functions built on them (``go1.x``, the retired managed Go runtime, is not one).
_CUSTOM_RUNTIME = re.compile(r"provided(\.al2|\.al2023)?|go|rust")


def _init_billed_always(fn: Function) -> bool:
    """Whether ``fn`` paid for on-demand INIT before 2025-08-01 as well.

    AWS Compute Blog, "AWS Lambda standardizes billing for INIT phase" (Apr 2025,
    aws-lambda-behaviour.md §10.2): the change "specifically affects on-demand invocations of
    Lambda functions packaged as ZIP files that use managed runtimes"; custom runtimes
    (``provided.*``) and container (OCI) images were billed for INIT already. Provisioned
    concurrency was too: its INIT is in ``pc_init_ms``, billed under every table.
    """
    runtime = (fn.runtime or "").strip().lower()
    return fn.package_type == "image" or _CUSTOM_RUNTIME.fullmatch(runtime) is not None


def _table(table: str | Path | None, base_dir: Path | None = None) -> costmod.PricingTable:
    t = costmod.load_table(table, base_dir=base_dir)
    if t.billing_rules.duration_granularity_ms != 1:
        raise ValueError(
            f"pricing table {t.id} bills in {t.billing_rules.duration_granularity_ms} ms steps; "
            "lambdasim keeps billed totals at 1 ms (the rule since Dec 2020, "
            "aws-lambda-behaviour.md §10.1), so it cannot re-price this run with it"
        )
    return t
