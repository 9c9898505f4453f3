"""Results of replications and sweeps: the tidy table, confidence intervals, Parquet datasets.

:class:`SweepResult` wraps one tidy DataFrame, ``table``, with one row per grid point,
replication and function (stack.md §2.5). Its columns are, in this order:

* ``point`` (grid point number, Cartesian-product order of the grid), one column per grid
  parameter named by its dotted config path, ``rep``, ``seed`` (the root seed), ``function``,
  ``status`` (``ok`` or ``error``) and ``error`` (``"ExceptionType: message"``, empty when ok);
* the run's per-function metrics (``lambdasim run --json``) flattened to float64 columns by
  :func:`~lambdasim.results.schema.flatten_metrics`, e.g. ``latency_p99_s``,
  ``cold_start_rate``, ``cost_usd``, plus the derived ``throttle_rate`` and ``error_rate``.
  Failed runs have NaN metrics.

A Parquet *directory* holds one ``part-p<point>-r<first>-<last>.parquet`` file per finished task
and a ``_sweep.json`` manifest; every part carries the provenance (config YAML, root seed, grid,
lambdasim, numpy and pricing-table versions) in its pandas metadata (``DataFrame.attrs``).
Names starting with ``_`` or ``.`` are skipped by pyarrow's dataset reader, so
``pandas.read_parquet(dir)`` reads the parts too while they share their columns (a part of failed
runs only has no metric columns); :func:`read_results` unifies the columns and restores the order
and dtypes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lambdasim.results import plots
from lambdasim.results.schema import ADDITIVE_METRICS, ID_COLUMNS
from lambdasim.results.store import (
    MANIFEST,
    ResultsError,
    finished_reps,
    parse_part_name,
    read_manifest,
    set_attrs,
    sweep_id,
    tidy,
    write_manifest,
    write_part,
)

__all__ = ["SweepResult", "read_results"]


def _identity(attrs: Mapping[str, Any]) -> str | None:
    """The sweep a manifest or part belongs to (None: nothing to tell it by)."""
    if attrs.get("sweep_id"):
        return str(attrs["sweep_id"])
    if all(k in attrs for k in ("config", "grid", "seed")):  # written before sweep_id existed
        return sweep_id(str(attrs["config"]), attrs["grid"] or {}, int(attrs["seed"]))
    return None


def _read_part(path: Path, directory: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several types for a truncated or foreign file
        raise ResultsError(
            f"{path}: corrupt Parquet part ({type(exc).__name__}); delete it and run "
            f"`lambdasim sweep CONFIG -o {directory} --resume` to re-run that point"
        ) from None


def read_results(directory: str | Path) -> SweepResult:
    """Read a sweep's Parquet directory (written by ``sweep(out=...)``, ``to_parquet`` or the CLI).

    Every part must belong to the sweep of the manifest (the same ``sweep_id``: base config,
    grid and root seed), or, without a manifest, to the sweep of the first part.

    Parameters
    ----------
    directory : str or Path
        The results directory.

    Returns
    -------
    SweepResult

    Raises
    ------
    FileNotFoundError
        If the directory has neither a manifest nor any part.
    ResultsError
        A corrupt part or manifest, or a part of another sweep (one line naming the file).
    """
    d = Path(directory)
    if d.exists() and not d.is_dir():
        raise ResultsError(f"{d}: not a directory (a sweep's results directory is expected)")
    manifest = read_manifest(d)
    parts = (
        sorted(
            (parse_part_name(p.name), p) for p in d.iterdir() if parse_part_name(p.name) is not None
        )
        if d.is_dir()
        else []
    )
    if manifest is None and not parts:
        raise FileNotFoundError(f"{d}: no sweep results (no {MANIFEST} and no part-*.parquet)")
    frames = [_read_part(p, d) for _, p in parts]
    meta: dict[str, Any] = {str(k): v for k, v in (manifest or frames[0].attrs).items()}
    want = _identity(meta)
    origin = d / MANIFEST if manifest is not None else parts[0][1]
    for (_, path), frame in zip(parts, frames, strict=True):
        got = _identity({str(k): v for k, v in frame.attrs.items()})
        if want is not None and got != want:
            # Merging it would silently mix two experiments in one table.
            raise ResultsError(
                f"{path}: part of another sweep (sweep_id {got or 'missing'}, {origin.name} "
                f"has {want}: another config, grid or seed); move it out of {d}"
            )
    grid = {str(k): list(v) for k, v in meta.get("grid", {}).items()}
    if frames:
        table = pd.concat(frames, ignore_index=True)
    else:
        table = pd.DataFrame(columns=["point", *grid, *ID_COLUMNS])
    set_attrs(table, meta)
    return SweepResult(tidy(table, list(grid)), grid, meta)


# --------------------------------------------------------------------------------- result


def _t_halfwidth(sd: pd.DataFrame, n: pd.DataFrame, ci: float) -> pd.DataFrame:
    from scipy import stats

    dof = (n - 1).where(n > 1)
    t = pd.DataFrame(
        stats.t.ppf(0.5 + ci / 2.0, dof.to_numpy(dtype=np.float64)),
        index=sd.index,
        columns=sd.columns,
    )
    hw: pd.DataFrame = t * sd / n.where(n > 0) ** 0.5
    return hw


def _num(x: Any) -> float:
    """A pandas scalar as a float (pandas-stubs types ``.loc`` scalars as a wide union)."""
    return float(x)


@dataclass(frozen=True)
class SweepResult:
    """Replications of one scenario or of every point of a grid.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy: one row per (point, rep, function); see the module docstring for the columns.
    grid : dict
        ``{dotted.path: [values]}`` (empty for :func:`lambdasim.replicate`).
    attrs : dict
        Provenance: ``lambdasim_version``, ``numpy_version``, ``seed``, ``reps``, ``config``
        (YAML of the base scenario), ``grid``, ``pricing_table``, ``scenario``.
    """

    table: pd.DataFrame
    grid: dict[str, list[Any]] = field(default_factory=dict)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics(self) -> list[str]:
        """Names of the metric columns."""
        ident = {"point", *self.grid, *ID_COLUMNS}
        return [c for c in self.table.columns if c not in ident]

    @property
    def points(self) -> pd.DataFrame:
        """One row per grid point: ``point`` and the grid parameters' values."""
        cols = ["point", *self.grid]
        return self.table[cols].drop_duplicates("point").reset_index(drop=True)

    @property
    def failures(self) -> pd.DataFrame:
        """One row per failed run: point, grid values, rep and the error."""
        bad = self.table[self.table["status"] != "ok"]
        cols = ["point", *self.grid, "rep", "error"]
        return bad[cols].drop_duplicates(["point", "rep"]).reset_index(drop=True)

    @property
    def plot(self) -> Any:
        """Plots of this sweep (a :class:`lambdasim.plotting.SweepPlots`):
        ``sweep.plot.tradeoff(x_max=..., y_max=...)`` (feasible region shaded) and
        ``sweep.plot.cold_start_rate(x)``."""
        return plots.accessor("sweep", self)

    def summary(self, ci: float = 0.95, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean and Student-t confidence half-width over replications, per point and function.

        Parameters
        ----------
        ci : float
            Confidence level of the interval (0.95: mean ± t₀.₉₇₅,ₙ₋₁ · s/√n).
        metrics : sequence of str, optional
            Metric columns to summarise (default: all).

        Returns
        -------
        pandas.DataFrame
            One row per (point, function): ``point``, the grid parameters, ``function``, ``n``
            (successful replications), ``n_failed``, then per metric ``<metric>`` (mean) and
            ``<metric>_ci`` (half-width; NaN with fewer than two values). Replications where a
            metric is undefined (NaN, e.g. a latency without successful requests) do not count
            for that metric.
        """
        if not 0.0 < ci < 1.0:
            raise ValueError(f"ci must be in (0, 1), got {ci}")
        cols = list(self.metrics if metrics is None else metrics)
        unknown = [c for c in cols if c not in self.table.columns]
        if unknown:
            raise KeyError(f"unknown metric(s) {unknown}; known: {self.metrics}")
        t = self.table
        keys = ["point", "function"]
        ok = t[t["status"] == "ok"]
        g = ok.groupby(keys, sort=False)[cols]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        hw = _t_halfwidth(sd, n, ci)
        counts = t.groupby(keys, sort=False).agg(
            n=("status", lambda s: int((s == "ok").sum())),
            n_failed=("status", lambda s: int((s != "ok").sum())),
        )
        parts: dict[str, pd.Series] = {}
        for c in cols:
            parts[c] = mean[c]
            parts[f"{c}_ci"] = hw[c]
        stats_df = pd.DataFrame(parts) if parts else pd.DataFrame(index=counts.index)
        out = counts.join(stats_df, how="left").reset_index()
        out = self.points.merge(out, on="point", how="right")
        out = out.sort_values("point", kind="stable").reset_index(drop=True)
        out.attrs = {"ci": ci}
        return out

    def best(
        self,
        objective: str = "cost_usd",
        constraints: Mapping[str, float | tuple[float | None, float | None]] | None = None,
        *,
        function: str | None = None,
        minimize: bool = True,
        ci: float = 0.95,
        conservative: bool = False,
    ) -> pd.Series:
        """The grid point with the best mean objective among those meeting the constraints.

        Parameters
        ----------
        objective : str
            Metric to minimise (or maximise). With ``function=None`` it is summed over
            functions per replication, which requires an additive metric (costs, counts,
            billed GB-s).
        constraints : mapping, optional
            ``{metric: upper}`` or ``{metric: (lower, upper)}`` (None = unbounded), e.g.
            ``{"latency_p99_s": 0.5, "throttle_rate": 0.001}``. Each function's mean must satisfy
            it (only ``function`` if given); functions where the metric is undefined (NaN) are
            exempt, but a point where it is undefined for all of them fails.
        function : str, optional
            Restrict objective and constraints to one function.
        minimize : bool
            False to maximise the objective.
        ci : float
            Confidence level of the reported half-widths (and of ``conservative``).
        conservative : bool
            Require the whole confidence interval, not just the mean, inside the bounds.

        Returns
        -------
        pandas.Series
            ``point``, the grid values, ``n``, ``<objective>`` (mean), ``<objective>_ci`` and,
            per constraint metric, the worst function's mean and half-width. Points with a
            failed replication are never chosen.

        Raises
        ------
        ValueError
            If no point meets the constraints.
        """
        cons = dict(constraints or {})
        s = self.summary(ci=ci, metrics=sorted({objective, *cons}))
        if function is not None:
            if function not in set(s["function"]):
                raise KeyError(
                    f"unknown function '{function}'; known: {sorted(set(s['function']))}"
                )
            s = s[s["function"] == function]
            obj = s.set_index("point")[[objective, f"{objective}_ci", "n"]]
        else:
            if not (objective in ADDITIVE_METRICS or objective.endswith("_usd")):
                raise ValueError(
                    f"objective '{objective}' does not add up over functions; pass function=NAME"
                )
            obj = self._summed(objective, ci)
        worst: dict[int, dict[str, float]] = {}
        feasible: list[int] = []
        for point, rows in s.groupby("point", sort=True):
            p = int(_num(point))
            if p not in obj.index or not math.isfinite(_num(obj.loc[p, objective])):
                continue
            if rows["n_failed"].sum() > 0 or rows["n"].min() == 0:
                continue  # a point with a failed replication is not a safe choice
            meets = True
            worst[p] = {}
            for metric, bound in cons.items():
                lo, hi = bound if isinstance(bound, tuple) else (None, bound)
                defined = rows[rows[metric].notna()]
                if defined.empty:
                    meets = False  # cannot be verified
                    continue
                mean = defined[metric].to_numpy(dtype=np.float64)
                hw = defined[f"{metric}_ci"].to_numpy(dtype=np.float64)
                if conservative:
                    hw = np.where(np.isnan(hw), np.inf, hw)  # one replication: no interval
                else:
                    hw = np.zeros_like(hw)
                if hi is not None and np.any(mean + hw > hi):
                    meets = False
                if lo is not None and np.any(mean - hw < lo):
                    meets = False
                k = int(np.argmax(mean)) if hi is not None else int(np.argmin(mean))
                worst[p][metric] = float(mean[k])
                worst[p][f"{metric}_ci"] = float(defined[f"{metric}_ci"].iloc[k])
            if meets:
                feasible.append(p)
        if not feasible:
            raise ValueError(f"no grid point without failed runs meets the constraints {cons}")
        vals = obj.loc[feasible, objective]
        # ties go to the lowest point number (stable sort)
        p = int(vals.sort_values(ascending=minimize, kind="stable").index[0])
        pts = self.points
        row = pts[pts["point"] == p].iloc[0]
        out: dict[str, Any] = {"point": p}
        for key in self.grid:
            v = row[key]
            out[key] = v.item() if isinstance(v, np.generic) else v
        out["n"] = int(_num(obj.loc[p, "n"]))
        out[objective] = _num(obj.loc[p, objective])
        out[f"{objective}_ci"] = _num(obj.loc[p, f"{objective}_ci"])
        out.update(worst[p])
        return pd.Series(out, name=p, dtype=object)

    def _summed(self, metric: str, ci: float) -> pd.DataFrame:
        t = self.table
        ok = t[t["status"] == "ok"]
        per_rep = ok.groupby(["point", "rep"])[metric].sum(min_count=1).reset_index()
        g = per_rep.groupby("point")[[metric]]
        mean, sd, n = g.mean(), g.std(ddof=1), g.count()
        hw = _t_halfwidth(sd, n, ci)
        return pd.DataFrame({metric: mean[metric], f"{metric}_ci": hw[metric], "n": n[metric]})

    # ------------------------------------------------------------------ output

    def to_parquet(self, directory: str | Path) -> Path:
        """Write a Parquet directory dataset: one part per grid point and a manifest.

        Raises
        ------
        FileExistsError
            If the directory already holds sweep parts (another sweep's results).
        """
        d = Path(directory)
        if finished_reps(d):
            raise FileExistsError(f"{d} already holds sweep results; choose another directory")
        write_manifest(d, self.attrs)
        for point, frame in self.table.groupby("point", sort=True):
            part = frame.reset_index(drop=True)
            p = int(_num(point))
            set_attrs(part, {**self.attrs, "point": p})
            reps = part["rep"]
            write_part(part, d, p, int(_num(reps.min())), int(_num(reps.max())))
        return d

    def plot_tradeoff(
        self,
        x: str = "cost_usd",
        y: str = "latency_p99_s",
        *,
        function: str | None = None,
        ci: float = 0.95,
        ax: Any = None,
    ) -> Any:
        """Scatter of two metrics' means per point with confidence-interval bars.

        Parameters
        ----------
        x, y : str
            Metric columns (default: cost in USD against p99 latency in seconds).
        function : str, optional
            One function (default: every function, one series each).
        ci : float
            Confidence level of the bars.
        ax : matplotlib Axes, optional
            Draw into this Axes; default: a new figure.

        Returns
        -------
        matplotlib.axes.Axes
        """
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(7, 5))
        s = self.summary(ci=ci, metrics=[x, y])
        names = [function] if function is not None else list(dict.fromkeys(s["function"]))
        for name in names:
            rows = s[(s["function"] == name) & s[x].notna() & s[y].notna()]
            ax.errorbar(
                rows[x],
                rows[y],
                xerr=rows[f"{x}_ci"].fillna(0.0),
                yerr=rows[f"{y}_ci"].fillna(0.0),
                fmt="o",
                capsize=3,
                label=name,
            )
            for _, r in rows.iterrows():
                label = ", ".join(f"{k.rsplit('.', 1)[-1]}={r[k]}" for k in self.grid)
                if label:
                    ax.annotate(
                        label, (r[x], r[y]), fontsize=7, xytext=(4, 4), textcoords="offset points"
                    )
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(f"{self.attrs.get('scenario', 'sweep')}: means with {ci:.0%} CIs")
        if len(names) > 1:
            ax.legend()
        return ax

    def _repr_html_(self) -> str:
        s = self.summary()
        cols = [c for c in s.columns if not c.endswith("_ci")]
        html: str = s[cols].to_html(float_format=lambda v: f"{v:.4g}", index=False)
        return (
            f"<p><b>lambdasim</b> sweep of <code>{self.attrs.get('scenario', '')}</code>: "
            f"{len(self.points)} point(s) × {self.attrs.get('reps', '?')} rep(s), seed "
            f"{self.attrs.get('seed', '?')}; {len(self.failures)} failed run(s); "
            "means (half-widths in <code>.summary()</code>)</p>" + html
        )

    def __repr__(self) -> str:
        return (
            f"SweepResult(scenario={self.attrs.get('scenario')!r}, points={len(self.points)}, "
            f"reps={self.attrs.get('reps')}, rows={len(self.table)}, "
            f"failed_runs={len(self.failures)})"
        )
