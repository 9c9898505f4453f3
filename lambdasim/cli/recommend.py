"""Command line: ``lambdasim recommend`` (the cheapest settings that meet the SLOs, proven).

Registered on the app of :mod:`lambdasim.cli._app`. Exit codes: 0 a proven recommendation (also
when the run budget ran out after one was proven: the output says so), 1 none (no feasible
point, or none proven within the budget), 2 bad input (one line per problem, no traceback).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from lambdasim.cli import sweep as _sweep  # noqa: F401  (registered first: --help lists it before)
from lambdasim.cli._app import ConfigArg, SchedulerOpt, SetOpt, app, fail, load_checked
from lambdasim.cli.run import output_checked, preflight_checked
from lambdasim.errors import LambdasimError

__all__ = ["recommend"]

#: Evaluated points shown in the evidence table (lowest objective first).
SHOWN = 8


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "null"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _evidence(rec: Any) -> None:
    """The chosen point and the cheapest others, with their intervals, as a table."""
    from rich.console import Console
    from rich.table import Table

    t = rec.table
    if t.empty:
        return
    console = Console()
    if not console.is_terminal:
        console.width = 160
    obj = rec.objective
    order = t[t["status"] != "error"].sort_values([obj, "point"], kind="stable")
    rows = order.head(SHOWN)
    chosen = t[t["chosen"]]
    if not chosen.empty and not chosen.index.isin(rows.index).any():
        import pandas as pd

        rows = pd.concat([rows.iloc[: SHOWN - 1], chosen])
    knob_cols = list(rec.knobs)
    slo_cols = [c[: -len("_verdict")] for c in t.columns if c.endswith("_verdict")]
    table = Table(
        title=f"Evaluated points, lowest {obj} first: mean ± {rec.confidence:.0%} CI half-width"
    )
    short = [k.rsplit(".", 1)[-1] for k in knob_cols]
    for k, name in zip(knob_cols, short, strict=True):
        table.add_column(name if short.count(name) == 1 else k, justify="right")
    for name in ("status", "reps", obj, *slo_cols):
        table.add_column(name, justify="right")
    for _, r in rows.iterrows():
        mark = " ◀ chosen" if r["chosen"] else ""
        table.add_row(
            *[_cell(r[k]) for k in knob_cols],
            f"{r['status']}{mark}",
            str(int(r["n"])),
            f"{_cell(r[obj])} ± {_cell(r[obj + '_ci'])}",
            *[f"{_cell(r[c])} ± {_cell(r[c + '_ci'])}" for c in slo_cols],
        )
    console.print(table)


@app.command()
def recommend(
    config_file: ConfigArg,
    knob: Annotated[
        list[str] | None,
        typer.Option(
            "--knob",
            "-k",
            help="PATH=SPEC to search (repeatable): a..b[:step], V1,V2, null (e.g. "
            "functions.api.memory_mb=128..3008).",
        ),
    ] = None,
    slo: Annotated[
        list[str] | None,
        typer.Option(
            "--slo",
            help="METRIC<=X or METRIC>=X on a sweep-table metric (repeatable; "
            "functions.NAME.METRIC for one function).",
        ),
    ] = None,
    objective: Annotated[
        str, typer.Option(help="Metric to minimise (summed over functions unless --function).")
    ] = "cost_usd",
    function: Annotated[
        str | None, typer.Option(help="Apply plain SLOs and the objective to this function.")
    ] = None,
    budget_runs: Annotated[
        int, typer.Option("--budget-runs", help="Simulation runs the search may use.")
    ] = 200,
    confidence: Annotated[
        float, typer.Option(help="Level of the intervals that must meet every SLO.")
    ] = 0.95,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Directory for the runs (resumable) and the answer."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    set_: SetOpt = None,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the config's).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Local processes; -1 = all.")] = -1,
    scheduler: SchedulerOpt = None,
    theory: Annotated[
        bool, typer.Option("--theory/--no-theory", help="Prune with closed forms first.")
    ] = True,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Default: on for a TTY.")
    ] = None,
) -> None:
    """Search knob values for the cheapest configuration that meets every SLO, and prove it."""
    from lambdasim.recommendation import RecommendError
    from lambdasim.recommendation import recommend as run_recommend

    if jobs == 0 or jobs < -1:
        fail(f"--jobs must be a positive number or -1 (all cores), got {jobs}")
    if not knob:
        fail("no --knob given (e.g. --knob functions.api.memory_mb=128..3008)")
    output_checked(out, "dir")
    sc, _ = load_checked(config_file, set_)
    preflight_checked(sc, config_file)
    try:
        rec = run_recommend(
            sc,
            list(knob),
            list(slo or []),
            objective,
            function=function,
            budget_runs=budget_runs,
            confidence=confidence,
            seed=seed,
            n_jobs=jobs,
            scheduler=scheduler,
            out=out,
            theory=theory,
            progress=progress,
        )
    except RecommendError as exc:
        fail(exc.lines)
    except (FileExistsError, ValueError, LambdasimError) as exc:
        fail(str(exc).splitlines())
    if as_json:
        typer.echo(json.dumps(rec.to_dict(), indent=2))
    else:
        over = ", ".join(f"{k} ({n:,} values)" for k, n in rec.knobs.items())
        typer.echo(f"{sc.name}: recommend over {over}; seed {rec.seed}, {rec.confidence:.0%} CIs")
        if rec.patch:
            typer.echo(str(rec.patch).rstrip())
        _evidence(rec)
        typer.echo(rec.why)
        if out is not None:
            typer.echo(f"results written to {out}/ (recommendation.json, patch.yaml, points.csv)")
    if not rec.ok:
        raise typer.Exit(1)
