"""``lambdasim validate | run | schema | pricing show``: one scenario at a time.

``validate`` checks a scenario (errors exit 2, warnings on stderr), ``run`` simulates one
replication and prints a summary table (or ``--json``, or Parquet with ``--out``), ``schema``
prints the scenario file's JSON Schema and ``pricing show`` a pricing table. Registered on the
app of :mod:`lambdasim.cli._app`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lambdasim import config
from lambdasim.cli._app import ConfigArg, SetOpt, app, fail, load_checked, pricing_app
from lambdasim.config.errors import ConfigError
from lambdasim.errors import LambdasimError

if TYPE_CHECKING:  # imported by the commands that load a scenario, not for --help
    from lambdasim.config import Scenario

__all__ = ["preflight_checked", "pricing_show", "run", "schema", "validate"]


def preflight_checked(sc: Scenario, path: Path, *, traces: bool = True) -> None:
    """Open the pricing table and every trace's first rows; exit 2 with one line per problem.

    Parameters
    ----------
    sc
        The loaded scenario.
    path
        Its file (the problems get its line numbers when it reads).
    traces
        Also check traces (False: the pricing table only).

    Raises
    ------
    typer.Exit
        With code 2 on any problem.
    """
    from lambdasim.simulation import preflight

    try:
        preflight(sc, traces=traces)
    except ConfigError as exc:
        try:
            config.locate(exc.issues, path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            pass
        fail(exc.format().splitlines())


def output_checked(path: Path | None, kind: str, what: str = "-o") -> None:
    """Exit 2 (one line) if ``path`` cannot be written as a ``"dir"`` or ``"file"``."""
    from lambdasim.results.store import check_output

    if path is None:
        return
    try:
        check_output(path, "dir" if kind == "dir" else "file", what)
    except LambdasimError as exc:
        fail(str(exc))


@app.command()
def validate(config_file: ConfigArg, set_: SetOpt = None) -> None:
    """Check a scenario: errors (exit 2) and warnings a careful engineer would give.

    Also opens the pricing table and reads the header and first rows of every trace.
    """
    sc, warnings = load_checked(config_file, set_)
    preflight_checked(sc, config_file)
    typer.echo(
        f"{config_file}: ok: scenario '{sc.name}', {len(sc.functions)} function(s), "
        f"{len(sc.workloads)} workload(s), {len(warnings)} warning(s)"
    )


@app.command()
def run(
    config_file: ConfigArg,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the config's).")] = None,
    rep: Annotated[int, typer.Option(min=0, help="Replication number.")] = 0,
    set_: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write Parquet results to this directory.")
    ] = None,
    progress: Annotated[
        bool | None, typer.Option("--progress/--no-progress", help="Default: on for a TTY.")
    ] = None,
) -> None:
    """Simulate one replication and print a summary (or --json)."""
    import lambdasim as ls
    from lambdasim.workload.traces import TraceError

    output_checked(out, "dir")  # before simulating: a bad -o must not cost a whole run
    sc, _ = load_checked(config_file, set_)
    preflight_checked(sc, config_file)
    try:
        res = ls.run(sc, seed=seed, rep=rep, progress=progress)
    except TraceError as exc:
        fail(f"{config_file}: {exc}")
    except ConfigError as exc:
        fail(exc.format().splitlines())
    except LambdasimError as exc:
        fail(str(exc).splitlines())
    if out is not None:
        try:
            res.to_parquet(out)
        except LambdasimError as exc:
            fail(str(exc))
    if as_json:
        typer.echo(json.dumps(_jsonable(res.to_dict()), indent=2))
    else:
        _print_table(res)
        if out is not None:
            typer.echo(f"results written to {out}/")


def _jsonable(x: Any) -> Any:
    """``x`` with NumPy scalars as Python numbers and NaN/inf as None (valid JSON)."""
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return None
    if hasattr(x, "item"):
        return x.item()
    return x


def _fmt_s(x: float | None) -> str:
    """Seconds as ``12.3 ms`` below 1 s, ``4.56 s`` above, ``–`` for None."""
    if x is None:
        return "–"
    return f"{x * 1000:.1f} ms" if x < 1 else f"{x:.3g} s"


def _print_table(res: Any) -> None:
    """Print a run's summary tables (functions, async, queues, streams, account) to stdout."""
    from rich.console import Console
    from rich.table import Table

    d = res.to_dict()
    console = Console()
    sc = res.scenario
    console.print(
        f"[bold]{sc.name}[/]: {sc.horizon_s:g} s simulated (warm-up {sc.warmup_s:g} s), "
        f"seed {res.seed}, rep {res.rep}, {res.wall_s:.2f} s wall"
    )
    funcs = d["functions"]
    t = Table(title="By function (requests and events arriving after warm-up)")
    t.add_column("metric")
    for name in funcs:
        t.add_column(name, justify="right")

    def row(label: str, fmt: Any) -> None:
        t.add_row(label, *[fmt(f) for f in funcs.values()])

    row("invokes run (all types)", lambda f: f"{f['invocations_run']:,}")
    row("throttles (429s, every attempt)", lambda f: f"{f['throttle_events']:,}")
    row("cold starts", lambda f: f"{f['cold_starts']:,} ({(f['cold_start_rate'] or 0):.3%})")
    row(
        "duration p50 / p99",
        lambda f: f"{_fmt_s(f['duration_s']['p50'])} / {_fmt_s(f['duration_s']['p99'])}",
    )
    row(
        "concurrency mean / max",
        lambda f: f"{f['concurrency']['mean']:.2f} / {f['concurrency']['max']}",
    )
    row(
        "environments mean / max",
        lambda f: f"{f['environments']['mean']:.2f} / {f['environments']['max']}",
    )
    if any(w.invocation == "sync" for w in sc.workloads):
        row("sync requests", lambda f: f"{f['invocations']:,}")
        row("  succeeded", lambda f: f"{f['succeeded']:,}")
        row("  errors / timeouts", lambda f: f"{f['errors']:,} / {f['timeouts']:,}")
        row("  throttled (after retries)", lambda f: f"{f['throttled']:,}")
        row("  in flight at end", lambda f: f"{f['in_flight_end']:,}")
        row("  latency mean", lambda f: _fmt_s(f["latency_s"]["mean"]))
        for p in sc.output.percentiles:
            key = f"p{p:g}"
            row(f"  latency {key}", lambda f, key=key: _fmt_s(f["latency_s"][key]))
    if any("provisioned" in f for f in funcs.values()):

        def pc(f: dict[str, Any], fmt: Any) -> str:
            return fmt(f["provisioned"]) if "provisioned" in f else "–"

        row(
            "PC allocated mean / max",
            lambda f: pc(f, lambda p: f"{p['allocated_mean']:.1f} / {p['allocated_max']}"),
        )
        row(
            "PC utilization mean",
            lambda f: pc(
                f, lambda p: f"{p['utilization_mean']:.1%}" if p["utilization_mean"] else "–"
            ),
        )
        row(
            "PC / spillover invokes",
            lambda f: pc(f, lambda p: f"{p['invocations']:,} / {p['spillover_invocations']:,}"),
        )
        row("PC cost USD", lambda f: pc(f, lambda p: f"{p['cost_usd']:.4f}"))
    row("billed GB-s (on demand)", lambda f: f"{f['billed_gb_s']:,.1f}")
    row("cost USD", lambda f: f"{f['cost_usd']['total']:.4f}")
    console.print(t)
    asyn = {n: f["async"] for n, f in funcs.items() if "async" in f}
    if asyn:
        a = Table(title="Asynchronous events accepted after warm-up (internal queue)")
        a.add_column("metric")
        for name in asyn:
            a.add_column(name, justify="right")

        def arow(label: str, fmt: Any) -> None:
            a.add_row(label, *[fmt(x) for x in asyn.values()])

        arow(
            "events received (+ duplicates)",
            lambda x: f"{x['events_received']:,} (+{x['duplicates']:,})",
        )
        arow("attempts (retries)", lambda x: f"{x['attempts']:,} ({x['retries']:,})")
        arow("succeeded", lambda x: f"{x['succeeded']:,}")
        arow("to on-failure / DLQ", lambda x: f"{x['to_on_failure']:,} / {x['to_dlq']:,}")
        arow("dropped", lambda x: f"{x['dropped']:,}")
        arow(
            "in queue / in flight at end",
            lambda x: f"{x['in_queue_end']:,} / {x['in_flight_end']:,}",
        )
        arow(
            "event age p99 / max",
            lambda x: f"{_fmt_s(x['event_age_s']['p99'])} / {_fmt_s(x['event_age_s']['max'])}",
        )
        arow("queue depth max", lambda x: f"{x['queue_depth_max']:,}")
        arow(
            "latency p50 / p99",
            lambda x: f"{_fmt_s(x['latency_s']['p50'])} / {_fmt_s(x['latency_s']['p99'])}",
        )
        console.print(a)
    _print_queues(console, d)
    for name, st in d.get("streams", {}).items():
        age = st["iterator_age_s"]
        console.print(
            f"stream {name} ({st['kind']}, {st['shards']} shards) -> {st['function']}: "
            f"{st['records']:,} records, {st['processed']:,} processed, "
            f"{st['to_on_failure']:,} to on-failure, {st['expired']:,} expired, "
            f"{st['remaining']:,} remaining; iterator age p99 {_fmt_s(age['p99'])}, "
            f"max {_fmt_s(age['max'])}; {st['retries']:,} retries, "
            f"{st['bisections']:,} bisections"
        )
    m = d["cost_usd"]["monthly_projection"]
    console.print(
        f"account: max concurrency {d['account']['concurrency_max']}, "
        f"throttled requests {d['account']['throttled']:,}; "
        f"cost of the run ${d['cost_usd']['total']:.4f} ({d['pricing_table']}); "
        f"30-day projection ${m['total']:,.2f}" + (" with free tier" if m["free_tier"] else "")
    )


def _print_queues(console: Any, d: dict[str, Any]) -> None:
    """Print the SQS queue table, the event-source mappings and the topics of ``d``."""
    from rich.table import Table

    sqs = {n: q for n, q in d["queues"].items() if q["kind"] != "topic"}
    topics = {n: q for n, q in d["queues"].items() if q["kind"] == "topic"}
    if sqs:
        t = Table(title="SQS queues (messages sent after warm-up)")
        t.add_column("metric")
        for name in sqs:
            t.add_column(name, justify="right")

        def row(label: str, fmt: Any) -> None:
            t.add_row(label, *[fmt(q) for q in sqs.values()])

        row("sent", lambda q: f"{q['sent']:,}")
        row("deleted (processed)", lambda q: f"{q['deleted']:,}")
        row("to DLQ / expired", lambda q: f"{q['to_dlq']:,} / {q['expired']:,}")
        row(
            "in queue / in flight at end",
            lambda q: f"{q['in_queue_end']:,} / {q['in_flight_end']:,}",
        )
        row("visible max", lambda q: f"{q['visible_max']:,}")
        row("oldest message max", lambda q: _fmt_s(q["age_of_oldest_s_max"] or None))
        row(
            "send to delete p50 / p99",
            lambda q: f"{_fmt_s(q['latency_s']['p50'])} / {_fmt_s(q['latency_s']['p99'])}",
        )
        row("requests (empty receives)", lambda q: f"{q['requests']:,} ({q['empty_receives']:,})")
        row("cost USD", lambda q: f"{q['cost_usd']:.4f}")
        console.print(t)
    esm = {n: f["sqs"] for n, f in d["functions"].items() if "sqs" in f}
    for name, e in esm.items():
        console.print(
            f"{name} <- {e['queue']} ({e['mode']}): {e['batches']:,} batches of "
            f"{(e['batch_size_mean'] or 0):.2f} messages, concurrency max "
            f"{e['concurrency_max']}, throttled batches {e['throttled_batches']:,}, "
            f"failed batches {e['failed_batches']:,}"
        )
    if topics:
        console.print(
            "topics: " + ", ".join(f"{n} published {q['sent']:,}" for n, q in topics.items())
        )


@app.command()
def schema(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Write to this file.")] = None,
) -> None:
    """Print the JSON Schema of the scenario file (for editor completion)."""
    from lambdasim.results.store import atomic_write_text

    output_checked(out, "file")
    from lambdasim.config import Scenario

    text = json.dumps(Scenario.model_json_schema(), indent=2)
    if out is None:
        typer.echo(text)
    else:
        try:
            atomic_write_text(out, text + "\n")  # never a half-written schema
        except LambdasimError as exc:
            fail(str(exc))
        typer.echo(f"schema written to {out}", err=True)


@pricing_app.command("show")
def pricing_show(
    table_arg: Annotated[
        str | None, typer.Argument(metavar="[TABLE]", help="Table id or YAML path.")
    ] = None,
    table: Annotated[str | None, typer.Option(help="Table id or YAML path.")] = None,
    region: Annotated[str, typer.Option(help="Region.")] = "us-east-1",
) -> None:
    """Show a pricing table's prices and billing rules; list the shipped tables.

    A relative path is resolved against the working directory (in a scenario, against the
    config file's directory).
    """
    from lambdasim import cost

    if table_arg is not None and table is not None and table_arg != table:
        fail(f"pricing show: give the table once (got {table_arg!r} and --table {table!r})")
    try:
        t = cost.load_table(table_arg if table_arg is not None else table)
    except cost.PricingError as exc:
        fail(str(exc).splitlines())
    prices, notes = t.for_region(region)
    typer.echo(f"shipped tables: {', '.join(cost.available_tables())}")
    typer.echo(
        f"table {t.id} (effective {t.effective_from}, retrieved {t.retrieved_on}), region {region}"
    )
    for n in notes:
        typer.echo(f"note: {n}", err=True)
    typer.echo(
        f"on-demand INIT billed: {cost.init_billed(t)}; duration granularity "
        f"{t.billing_rules.duration_granularity_ms} ms"
    )
    for arch, p in prices.architectures.items():
        tiers = ", ".join(
            f"${tier.usd_per_gb_s:.10f}/GB-s"
            + (
                f" up to {tier.up_to_gb_s_per_month:,.0f} GB-s/month"
                if tier.up_to_gb_s_per_month
                else " beyond"
            )
            for tier in p.duration_tiers
        )
        typer.echo(f"  {arch}: ${p.usd_per_request * 1e6:.2f} per 1M requests; {tiers}")
    typer.echo(
        f"  free tier: {prices.free_tier.requests:,} requests and "
        f"{prices.free_tier.gb_s:,.0f} GB-s per month"
    )
