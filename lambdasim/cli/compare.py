"""``lambdasim compare SCENARIO --observed FILE...``: simulated against CloudWatch Logs.

Replays the observed arrivals through the scenario (``--reps`` replications) and prints, per
metric, the observed value, the simulated mean with its 95 % interval and range, and the
relative error; ``--json`` prints :meth:`lambdasim.observed.Comparison.to_dict`, ``--plot``
writes the concurrency / environments figure. Registered on the app of :mod:`._app`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from lambdasim.cli._app import ConfigArg, app, fail, load_checked
from lambdasim.errors import LambdasimError

__all__ = ["compare"]


def _fmt(x: Any) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 1e-3):
        return f"{x:.3e}"
    return f"{x:.4g}"


@app.command()
def compare(
    config_file: ConfigArg,
    observed: Annotated[
        list[str],
        typer.Option("--observed", help="CloudWatch Logs export(s) of the function (repeatable)."),
    ],
    function: Annotated[
        str | None, typer.Option("--function", help="The function of the logs.")
    ] = None,
    reps: Annotated[int, typer.Option(min=1, help="Replications.")] = 5,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the config's).")] = None,
    durations: Annotated[
        str, typer.Option(help="recorded (replay the logged Duration) or model.")
    ] = "recorded",
    step: Annotated[
        float | None, typer.Option("--step", help="Period of the time series, s.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write the over-time figure (PNG, SVG...).")
    ] = None,
) -> None:
    """Observed (CloudWatch Logs) against simulated, with the simulation's interval."""
    from lambdasim.observed import compare as run_compare
    from lambdasim.workload.traces import TraceError

    if durations not in ("recorded", "model"):
        fail(f"--durations: {durations!r} is not recorded or model")
    sc, _ = load_checked(config_file, None)
    try:
        cmp = run_compare(
            sc,
            observed,
            function=function,
            reps=reps,
            seed=seed,
            durations=durations,
            step_s=step,
        )
    except TraceError as exc:
        fail(str(exc).splitlines())
    except LambdasimError as exc:
        fail(str(exc).splitlines())
    if plot is not None:
        _plot(cmp, plot)
    if as_json:
        typer.echo(json.dumps(cmp.to_dict(), indent=2))
        return
    _print(cmp)
    if plot is not None:
        typer.echo(f"figure written to {plot}")


def _plot(cmp: Any, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    axes = cmp.plot.compare()
    try:
        axes[0].figure.savefig(path, dpi=120)
    except (OSError, ValueError) as exc:
        fail(f"--plot {path}: cannot write ({exc})")
    finally:
        plt.close(axes[0].figure)


def _print(cmp: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    d = cmp.to_dict()
    console = Console(width=max(100, Console().width))
    console.print(
        f"[bold]{d['function']}[/]: {d['reps']} replication(s) of {d['horizon_s']:g} s from "
        f"{d['start_time']} (seed {d['seed']}, {d['pricing_table']})"
    )
    t = Table(title="Observed (CloudWatch Logs) against simulated")
    for col in ("metric", "observed", "simulated", "95 % interval", "rel. error"):
        t.add_column(col, justify="left" if col == "metric" else "right", no_wrap=True)
    for name, m in d["metrics"].items():
        s = m["simulated"]
        lo, hi = s["ci_low"], s["ci_high"]
        interval = f"{_fmt(lo)}–{_fmt(hi)}" if lo is not None and lo != hi else "–"
        rel = m["rel_error"]
        t.add_row(
            name,
            _fmt(m["observed"]),
            _fmt(s["mean"]),
            interval,
            f"{rel * 100:+.1f} %" if rel is not None else "–",
        )
    console.print(t)
    for n in d["notes"]:
        console.print(f"note: {n}", highlight=False)
