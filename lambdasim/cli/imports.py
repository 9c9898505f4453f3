"""``lambdasim import cloudwatch | azure2019 | sam | logs``: write a runnable scenario.

The written config replays the trace file in place (its path relative to the config) and
carries what the trace says about each function (durations fitted with :mod:`lambdasim.fit`,
memory); a comment header lists what still deserves a look. Errors exit with code 2.
"""

from __future__ import annotations

import math
import os
import warnings
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from lambdasim.cli._app import fail, import_app
from lambdasim.errors import LambdasimError
from lambdasim.results.store import atomic_write_text, check_output

__all__ = ["azure2019", "cloudwatch", "logs", "sam"]

OutOpt = Annotated[
    Path | None, typer.Option("--out", "-o", help="Write the config here (default: stdout).")
]


def _rel(target: Path, out: Path | None) -> str:
    """``target`` relative to the directory of ``out`` (or the working directory), POSIX style."""
    # The config resolves paths against its own directory: write the trace path that way.
    base = (out.resolve().parent if out is not None else Path.cwd()).resolve()
    return Path(os.path.relpath(target.resolve(), base)).as_posix()


def _emit(cfg: dict[str, Any], header: list[str], out: Path | None) -> None:
    """Write ``cfg`` under a comment header to ``out`` (or stdout) once it validates."""
    import lambdasim as ls

    text = "".join(f"# {h}\n" if h else "#\n" for h in header)
    text += yaml.safe_dump(cfg, sort_keys=False, width=100)
    base = out.resolve().parent if out is not None else Path.cwd()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ls.loads(text, source=str(out or "<stdout>"), base_dir=base)  # runnable, or say why
        except ls.ConfigError as exc:
            fail(f"internal error: the written config does not validate:\n{exc}")
    if out is None:
        typer.echo(text, nl=False)
    else:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(out, text)  # a temporary name, renamed: never half a config
        except OSError as exc:
            fail(f"-o {out}: cannot write ({exc.strerror or exc})")
        except LambdasimError as exc:
            fail(str(exc))
        typer.echo(f"wrote {out}", err=True)


def _check_out(out: Path | None) -> None:
    """Exit 2 (one line) before reading the trace if ``out`` cannot be written as a file."""
    if out is None:
        return
    try:
        check_output(out, "file")
    except LambdasimError as exc:
        fail(str(exc))


def _ceil_memory(mb: int | None) -> int:
    """A memory size within Lambda's 128–10240 MB (128 when unknown)."""
    return 128 if mb is None else int(min(10240, max(128, mb)))


@import_app.command("cloudwatch")
def cloudwatch(
    file: Annotated[str, typer.Argument(help="get-metric-data JSON (or a glob of pages) or CSV.")],
    function: Annotated[str, typer.Option("--function", help="Function name in the config.")],
    out: OutOpt = None,
    memory_mb: Annotated[int, typer.Option(help="MemorySize of the function.")] = 128,
    spread: Annotated[
        str, typer.Option(help="Arrivals within a period: poisson, uniform or equidistant.")
    ] = "poisson",
) -> None:
    """CloudWatch Invocations (Sum per period) → a piecewise-constant arrival process;
    Duration Average/p50/p99 → a lognormal duration."""
    from lambdasim.workload.traces import TraceError, read_cloudwatch

    if spread not in ("poisson", "uniform", "equidistant"):
        fail(f"--spread: {spread!r} is not poisson, uniform or equidistant")
    _check_out(out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            s = read_cloudwatch(Path(file))
        except TraceError as exc:
            fail(str(exc))
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    f = s.duration_fit()
    todo = []
    if f is None:
        duration: dict[str, Any] = {"dist": "lognormal", "p50_s": 0.1, "p99_s": 1.0}
        todo.append(
            f"functions.{function}.duration: no Duration data found; placeholder p50 0.1 s, p99 1 s"
        )
    else:
        duration = f.to_config()
    header = [
        f"Imported by `lambdasim import cloudwatch {file} --function {function}`",
        f"{s.invocations.size} periods of {s.period_s:g} s from {s.start.isoformat()}, "
        f"{int(s.invocations.sum()):,} invocations; duration: "
        + (f.summary() if f is not None else "none in the data"),
        "Check: memory_mb, timeout_s, cold_start (CloudWatch has no INIT duration here).",
        *[f"TODO {t}" for t in todo],
    ]
    timeout = 3.0
    if f is not None and f.family == "lognormal":
        from lambdasim import dists

        p99 = math.exp(f.params["mu"] + dists.Z99 * f.params["sigma"])
        timeout = float(min(900, max(3, math.ceil(3 * p99))))
    cfg = {
        "version": 1,
        "name": f"{function}-cloudwatch",
        "seed": 1,
        "horizon_s": s.horizon_s,
        "start_time": s.start.isoformat().replace("+00:00", "Z"),
        "functions": {
            function: {
                "memory_mb": _ceil_memory(memory_mb),
                "timeout_s": timeout,
                "duration": duration,
            }
        },
        "workloads": [
            {
                "target": function,
                "invocation": "sync",
                "arrivals": {
                    "kind": "trace",
                    "format": "cloudwatch",
                    "path": _rel(Path(file), out) if "*" not in file else file,
                    "spread": spread,
                },
            }
        ],
        "output": {"timeseries_step_s": s.period_s},
    }
    _emit(cfg, header, out)


@import_app.command("azure2019")
def azure2019(
    directory: Annotated[Path, typer.Argument(help="Directory with invocations.csv etc.")],
    out: OutOpt = None,
    top: Annotated[int | None, typer.Option(help="Keep the N busiest functions.")] = None,
    sample: Annotated[int | None, typer.Option(help="Keep N functions drawn at random.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    spread: Annotated[
        str, typer.Option(help="Arrivals within a minute: uniform, equidistant or poisson.")
    ] = "uniform",
    invocation: Annotated[str, typer.Option(help="sync or async.")] = "sync",
) -> None:
    """Azure Functions 2019 trace → one Lambda function per trace function (durations fitted
    to the percentiles, memory from the memory file) and its per-minute arrivals."""
    from lambdasim.workload.expand import _timeout
    from lambdasim.workload.traces import TraceError, azure2019_counts, azure2019_functions

    if top is not None and sample is not None:
        fail("give --top or --sample, not both")
    if spread not in ("poisson", "uniform", "equidistant"):
        fail(f"--spread: {spread!r} is not uniform, equidistant or poisson")
    if invocation not in ("sync", "async"):
        fail(f"--invocation: {invocation!r} is not sync or async")
    _check_out(out)
    from lambdasim.config.arrivals import TraceArrivals

    try:
        fs = azure2019_functions(directory, top=top, sample=sample, seed=seed)
        counts, _ = azure2019_counts(
            TraceArrivals(kind="trace", format="azure2019", path=str(directory)), directory
        )
    except TraceError as exc:
        fail(str(exc))
    functions: dict[str, Any] = {}
    workloads: list[dict[str, Any]] = []
    path = _rel(directory, out)
    for f in fs:
        name = "fn-" + f.id[:8]
        cfg: dict[str, Any] = {
            "memory_mb": _ceil_memory(f.memory_mb),
            "duration": f.duration or {"dist": "constant", "value_s": 0.001},
            "cold_start": {"preset": "nodejs"},
        }
        t = _timeout(f.max_duration_s, f.fit)
        if t is not None:
            cfg["timeout_s"] = t
        functions[name] = cfg
        workloads.append(
            {
                "target": name,
                "invocation": invocation,
                "arrivals": {
                    "kind": "trace",
                    "format": "azure2019",
                    "path": path,
                    "function": f.id[:16],
                    "spread": spread,
                },
            }
        )
    total = sum(f.total for f in fs)
    sel = f"top {top}" if top else (f"sample {sample} (seed {seed})" if sample else "all")
    header = [
        f"Imported by `lambdasim import azure2019 {directory}` ({sel}): {len(fs)} function(s), "
        f"{total:,} invocations in {counts.size} minutes",
        "Azure Functions Trace 2019 (Shahrad et al., ATC 2020), CC BY 4.0: cite it.",
        "Durations: lognormals through the p25/p50/p75/p99 of 30-s averages",
        "(lambdasim.fit.from_percentiles); memory: the trace's allocation, at least 128 MB.",
        "Check: cold_start (Azure's trace has none; nodejs preset assumed), keep_alive_s.",
    ]
    cfg_all = {
        "version": 1,
        "name": "azure2019-import",
        "seed": 1,
        "horizon_s": float(counts.size * 60),
        "functions": functions,
        "workloads": workloads,
        "output": {"timeseries_step_s": 60},
    }
    _emit(cfg_all, header, out)


@import_app.command("sam")
def sam(
    template: Annotated[Path, typer.Argument(help="SAM or CloudFormation template (YAML/JSON).")],
    out: OutOpt = None,
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", help="Override a template parameter KEY=VALUE (repeatable)."),
    ] = None,
    logs: Annotated[
        list[str] | None,
        typer.Option("--logs", help="CloudWatch Logs export of a function (repeatable)."),
    ] = None,
    metrics: Annotated[
        str | None,
        typer.Option(
            "--metrics",
            help="CloudWatch get-metric-data JSON (or a glob of pages) or CSV of a function, "
            "as `import cloudwatch` reads.",
        ),
    ] = None,
    function: Annotated[
        str | None,
        typer.Option("--function", help="The function --logs / --metrics belong to."),
    ] = None,
    spread: Annotated[
        str,
        typer.Option(help="--metrics: arrivals within a period: poisson, uniform or equidistant."),
    ] = "poisson",
    region: Annotated[
        str | None, typer.Option(help="account.region (default AWS::Region).")
    ] = None,
) -> None:
    """SAM / CloudFormation template → a scenario: functions, queues, streams, event sources;
    arrival rates and durations are placeholders (or come from --logs or --metrics)."""
    from lambdasim.cli.aws_import import import_sam

    import_sam(template, out, parameter, logs, function, region, metrics=metrics, spread=spread)


@import_app.command("logs")
def logs(
    files: Annotated[
        list[str], typer.Argument(help="CloudWatch Logs exports (JSON, Insights CSV/JSON, text).")
    ],
    function: Annotated[str, typer.Option("--function", help="Function name in the config.")],
    out: OutOpt = None,
) -> None:
    """CloudWatch Logs of one function → a scenario replaying its invocations, with fitted
    duration and INIT, on the pricing table of the logs' date."""
    from lambdasim.cli.aws_import import import_logs

    import_logs(files, function, out)
