"""Command line for experiments: ``lambdasim sweep`` and ``lambdasim report``.

Registered on the app of :mod:`lambdasim.cli._app` (imported by :mod:`lambdasim.cli`). Same
conventions (stack.md §2.3): exit 2 with one line per problem for usage and configuration errors,
1 for runtime failures (here: some runs of the sweep failed; the others are still written and
reported).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml

from lambdasim.cli._app import ConfigArg, SchedulerOpt, SetOpt, app, fail, load_checked
from lambdasim.cli.run import output_checked, preflight_checked
from lambdasim.config.errors import ConfigError, YamlLoader
from lambdasim.errors import LambdasimError

if TYPE_CHECKING:  # imported by the commands that load a scenario, not for --help
    from lambdasim.config import Scenario

__all__ = ["check_grid", "parse_param", "report", "sweep"]

#: Metrics the report shows unless --metric is given (skipped when a sweep lacks them).
DEFAULT_METRICS = ("throttle_rate", "cold_start_rate", "latency_p99_s", "cost_usd")


def parse_param(item: str) -> tuple[str, list[Any]]:
    """Parse ``PATH=V1,V2,...`` (or ``PATH=[V1, V2]``); each value goes through YAML.

    Raises
    ------
    ValueError
        Without ``=``, without a path or without values.
    """
    if "=" not in item:
        raise ValueError(f"--param {item}: expected PATH=V1,V2,...")
    path, raw = (s.strip() for s in item.split("=", 1))
    if not path:
        raise ValueError(f"--param {item}: missing the config path before '='")
    values: list[Any] = []
    if raw.startswith("["):
        try:
            parsed = yaml.load(raw, Loader=YamlLoader)  # 1e3 is a float, as in configs
        except yaml.YAMLError:
            parsed = None
        if not isinstance(parsed, list):
            raise ValueError(f"--param {item}: not a YAML list")
        values = parsed
    else:
        for v in (v.strip() for v in raw.split(",")):
            if not v:
                raise ValueError(f"--param {item}: empty value (expected PATH=V1,V2,...)")
            try:
                values.append(yaml.load(v, Loader=YamlLoader))
            except yaml.YAMLError:
                values.append(v)
    if not values:
        raise ValueError(f"--param {item}: no values")
    return path, values


def check_grid(sc: Scenario, grid: dict[str, list[Any]], origin: str = "--param") -> list[str]:
    """One line per grid value with which the scenario does not load (empty: all load).

    Each value is tried alone on the base scenario (the other axes as in the config), and a
    ``pricing.table`` value must open as a pricing table: a typo in one value is reported
    before any run starts, not as a column of failed runs.

    Parameters
    ----------
    sc
        The base scenario.
    grid
        ``{path: [values]}``.
    origin
        How the axes were given, for the messages (``--param`` or the config's ``sweep:``).

    Returns
    -------
    list of str
        ``--param PATH=VALUE: field: what is wrong (got value)`` lines.
    """
    from lambdasim.simulation import preflight

    lines: list[str] = []
    for path, values in grid.items():
        for v in values:
            where = f"{origin} {path}={_value(v)}"
            try:
                point = sc.replace({path: v})
                if path.startswith("pricing"):
                    preflight(point, traces=False)
            except ConfigError as exc:
                for i in exc.issues:
                    lines.append(f"{where}: {i.format(None).removeprefix('<config>: ')}")
            except LambdasimError as exc:
                lines.extend(f"{where}: {line}" for line in str(exc).splitlines())
    return lines


def _fmt(metric: str, mean: float, hw: float) -> str:
    """``mean ± half-width`` in the metric's natural unit (ms below 1 s, % for rates)."""
    if math.isnan(mean):
        return "–"
    unit = ""
    if metric.endswith("_rate"):
        mean, hw, unit = mean * 100.0, hw * 100.0, " %"
    elif metric.endswith("_s") and abs(mean) < 1.0:
        mean, hw, unit = mean * 1e3, hw * 1e3, " ms"
    elif metric.endswith("_s"):
        unit = " s"
    if abs(mean) >= 1000.0:
        text = f"{mean:,.0f}"
        half = f"{hw:,.0f}"
    else:
        text = f"{mean:.4g}"
        half = f"{hw:.2g}"
    return text + unit if math.isnan(hw) else f"{text} ± {half}{unit}"


def _value(v: Any) -> str:
    """A grid value as the table shows it (``null``, ``1024`` rather than ``1024.0``)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "null"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def print_report(res: Any, *, metrics: list[str] | None = None, ci: float = 0.95) -> None:
    """Print a sweep's summary (means ± CI half-widths per point and function) to stdout."""
    from rich.console import Console
    from rich.table import Table

    chosen = [m for m in (metrics or DEFAULT_METRICS) if m in res.metrics]
    unknown = [m for m in (metrics or []) if m not in res.metrics]
    if unknown:
        fail(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(res.metrics)}")
    s = res.summary(ci=ci, metrics=chosen)
    a = res.attrs
    console = Console()
    if not console.is_terminal:
        console.width = 160  # pipes and files: do not squeeze the table into 80 columns
    console.print(
        f"[bold]{a.get('scenario', 'sweep')}[/]: {len(res.points)} point(s) × "
        f"{a.get('reps', '?')} rep(s), seed {a.get('seed', '?')}, lambdasim "
        f"{a.get('lambdasim_version', '?')}, {a.get('pricing_table', '?')}"
    )
    t = Table(title=f"Mean ± {ci:.0%} CI half-width (Student t) over replications")
    short = [k.rsplit(".", 1)[-1] for k in res.grid]
    for k, name in zip(res.grid, short, strict=True):
        t.add_column(name if short.count(name) == 1 else k, justify="right")
    t.add_column("function")
    t.add_column("reps ok", justify="right")
    for m in chosen:
        t.add_column(m, justify="right")
    for _, r in s.iterrows():
        ok = f"{int(r['n'])}" + (f" ({int(r['n_failed'])} failed)" if r["n_failed"] else "")
        t.add_row(
            *[_value(r[k]) for k in res.grid],
            str(r["function"]),
            ok,
            *[_fmt(m, float(r[m]), float(r[f"{m}_ci"])) for m in chosen],
        )
    console.print(t)


def _report_failures(res: Any) -> int:
    """One stderr line per failing point and error; returns the number of failed runs."""
    f = res.failures
    for (point, error), grp in f.groupby(["point", "error"], sort=True):
        row = grp.iloc[0]
        params = ", ".join(f"{k}={_value(row[k])}" for k in res.grid)
        reps = [int(r) for r in grp["rep"]]
        which = f"rep {reps[0]}" if len(reps) == 1 else f"{len(reps)} reps ({_ranges(reps)})"
        where = f"point {int(point)}" + (f" ({params})" if params else "")
        typer.echo(f"failed: {where}, {which}: {error}", err=True)
    return len(f)


def _ranges(values: list[int]) -> str:
    """``[0, 1, 2, 5]`` → ``0-2, 5``."""
    out = []
    start = prev = values[0]
    for v in [*values[1:], None]:
        if v is not None and v == prev + 1:
            prev = v
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if v is not None:
            start = prev = v
    return ", ".join(out)


def _plot(res: Any, path: Path, ci: float) -> None:
    """Write the cost vs p99 latency trade-off of a sweep to ``path`` (exit 2 without them)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, no GUI toolkit imported
    import matplotlib.pyplot as plt

    from lambdasim.results.store import atomic_path

    needed = {"cost_usd", "latency_p99_s"}
    if not needed <= set(res.metrics):
        fail(f"--plot needs the metrics {sorted(needed)} in the results")
    ax = res.plot_tradeoff("cost_usd", "latency_p99_s", ci=ci)
    ax.figure.tight_layout()
    try:
        with atomic_path(path) as tmp:  # a temporary name, renamed: never half a figure
            ax.figure.savefig(tmp, dpi=120, format=path.suffix.lstrip(".") or "png")
    except LambdasimError as exc:
        fail(str(exc))
    except ValueError as exc:  # matplotlib: an unknown format
        fail(f"--plot {path}: {exc}")
    finally:
        plt.close(ax.figure)
    typer.echo(f"plot written to {path}")


MetricOpt = Annotated[
    list[str] | None, typer.Option("--metric", "-m", help="Metric column to show (repeatable).")
]
CiOpt = Annotated[float, typer.Option(min=0.5, max=0.999, help="Confidence level.")]


@app.command()
def sweep(
    config_file: ConfigArg,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Grid axis PATH=V1,V2,... (repeatable)."),
    ] = None,
    set_: SetOpt = None,
    reps: Annotated[
        int | None, typer.Option(min=1, help="Replications per point (default: config or 10).")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local processes; -1 = all.")] = -1,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the config's).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Parquet directory for the results.")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Keep finished parts in --out, run the rest.")
    ] = False,
    scheduler: SchedulerOpt = None,
    chunk: Annotated[
        int | None, typer.Option(min=1, help="Replications per task (default: automatic).")
    ] = None,
    metric: MetricOpt = None,
    ci: CiOpt = 0.95,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Default: on for a TTY.")
    ] = None,
) -> None:
    """Run replications at every point of a grid; print means with confidence intervals."""
    from lambdasim.experiment import sweep as run_sweep

    if resume and out is None:
        fail("--resume needs --out DIR")
    if jobs == 0 or jobs < -1:
        fail(f"--jobs must be a positive number or -1 (all cores), got {jobs}")
    output_checked(out, "dir")
    sc, _ = load_checked(config_file, set_)
    preflight_checked(sc, config_file)
    grid: dict[str, list[Any]] = {}
    errors = []
    for item in param or []:
        try:
            path, values = parse_param(item)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if path in grid:
            errors.append(f"--param {path}: given twice")
        grid[path] = values
    if errors:
        fail(errors)
    origin = "--param"
    if not grid:
        if sc.sweep is None:
            fail(
                f"{config_file}: no --param given and the config has no sweep: block "
                "(sweep: {grid: {functions.NAME.memory_mb: [512, 1024]}, reps: 10})"
            )
        grid = {k: list(v) for k, v in sc.sweep.grid.items()}
        origin = f"{config_file}: sweep.grid"
    bad_values = check_grid(sc, grid, origin)
    if bad_values:
        fail(bad_values)
    try:
        res = run_sweep(
            sc,
            grid,
            reps=reps,
            seed=seed,
            n_jobs=jobs,
            scheduler=scheduler,
            chunk=chunk,
            out=out,
            resume=resume,
            progress=progress,
        )
    except ConfigError as exc:
        fail(exc.format().splitlines())
    except (FileExistsError, ValueError, LambdasimError) as exc:
        fail(str(exc).splitlines())
    print_report(res, metrics=metric, ci=ci)
    if out is not None:
        typer.echo(f"results written to {out}/")
    if _report_failures(res):
        raise typer.Exit(1)


@app.command()
def report(
    results: Annotated[Path, typer.Argument(help="Results directory of lambdasim sweep.")],
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a cost vs p99 latency plot (PNG, SVG).")
    ] = None,
    metric: MetricOpt = None,
    ci: CiOpt = 0.95,
) -> None:
    """Show a sweep's results: means ± confidence half-widths per point and function."""
    from lambdasim.results.sweep import read_results

    output_checked(plot, "file", "--plot")
    try:
        res = read_results(results)
    except (FileNotFoundError, NotADirectoryError, LambdasimError) as exc:
        fail(str(exc).splitlines())
    print_report(res, metrics=metric, ci=ci)
    _report_failures(res)
    if plot is not None:
        _plot(res, plot, ci)
