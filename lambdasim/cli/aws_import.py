"""The bodies of ``lambdasim import sam`` and ``import logs`` (registered in :mod:`.imports`);
``import sam --metrics`` calibration (:func:`calibrate_metrics`).

Both write a scenario that validates (checked before writing), atomically, with a comment
header and the placeholders marked; warnings go to stderr; a bad input exits 2 with one line
per problem.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import typer

from lambdasim.cli._app import fail
from lambdasim.errors import LambdasimError

__all__ = ["calibrate_metrics", "import_logs", "import_sam", "parse_parameters"]


def parse_parameters(items: list[str] | None) -> dict[str, str]:
    """``KEY=VALUE`` strings of ``--parameter`` → a dict (exit 2 on one without ``=``)."""
    out: dict[str, str] = {}
    for it in items or []:
        key, sep, value = it.partition("=")
        if not sep or not key.strip():
            fail(f"--parameter {it!r}: expected KEY=VALUE")
        out[key.strip()] = value
    return out


def _rel(target: Path, out: Path | None) -> str:
    # the scenario resolves paths against its own directory: write them that way
    base = out.resolve().parent if out is not None else Path.cwd()
    return Path(os.path.relpath(target.resolve(), base)).as_posix()


def _write(text: str, out: Path | None, summary: str) -> None:
    """Validate ``text`` as a scenario, then print it or write it atomically."""
    import lambdasim as ls
    from lambdasim.results.store import atomic_write_text, check_output

    base = out.resolve().parent if out is not None else Path.cwd()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ls.loads(text, source=str(out or "<stdout>"), base_dir=base)
        except ls.ConfigError as exc:
            fail(
                [
                    "internal error: the written scenario does not validate:",
                    *exc.format().split("\n"),
                ]
            )
    if out is None:
        typer.echo(text, nl=False)
        typer.echo(summary, err=True)
        return
    try:
        check_output(out, "file")
        out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out, text)
    except OSError as exc:
        fail(f"-o {out}: cannot write ({exc.strerror or exc})")
    except LambdasimError as exc:
        fail(str(exc))
    typer.echo(f"wrote {out}: {summary}", err=True)


def _check_out(out: Path | None) -> None:
    from lambdasim.results.store import check_output

    if out is not None:
        try:
            check_output(out, "file")
        except LambdasimError as exc:
            fail(str(exc))


def _logs(files: list[str]) -> Any:
    from lambdasim.workload.traces import TraceError, read_logs

    try:
        logs = read_logs(files)
    except TraceError as exc:
        fail(str(exc).splitlines())
    if logs.malformed.count:
        typer.echo(
            f"warning: {logs.malformed.count} malformed log event(s) left out; first:", err=True
        )
        for line in logs.malformed.first:
            typer.echo(f"warning:   {line}", err=True)
    return logs


def _summary(n_placeholders: int) -> str:
    if not n_placeholders:
        return "no placeholders"
    return (
        f"{n_placeholders} placeholder(s) to set (marked '# PLACEHOLDER'; "
        "`lambdasim validate` lists them)"
    )


def import_sam(
    template: Path,
    out: Path | None,
    parameters: list[str] | None,
    logs: list[str] | None,
    function: str | None,
    region: str | None,
    *,
    metrics: str | None = None,
    spread: str = "poisson",
) -> None:
    """``lambdasim import sam``: see :func:`lambdasim.config.sam.import_template`; ``--logs``
    calibrates with :func:`lambdasim.observed.calibrate`, ``--metrics`` with
    :func:`calibrate_metrics`."""
    from lambdasim.config.sam import TemplateError, import_template

    if logs and metrics:
        fail("give --logs or --metrics, not both (each sets the arrivals of the function)")
    if spread not in _SPREADS:
        fail(f"--spread: {spread!r} is not poisson, uniform or equidistant")
    _check_out(out)
    params = parse_parameters(parameters)
    try:
        imp = import_template(template, params, region=region)
    except TemplateError as exc:
        fail(str(exc).splitlines())
    command = f"lambdasim import sam {template.name}" + "".join(
        f" --parameter {k}={v}" for k, v in params.items()
    )
    for w in imp.warnings:
        typer.echo(f"warning: {w}", err=True)
    if logs:
        from lambdasim.observed import calibrate

        recs = _logs(logs)
        fn = _which(imp, recs, function)
        paths = [_rel(f, out) for f in recs.files]
        cfg, ph, notes = calibrate(imp.config, imp.placeholders, fn, recs, paths)
        imp.config, imp.placeholders = cfg, ph
        imp.notes += notes
        command += " --logs " + " ".join(logs)
    elif metrics:
        series = _metrics(metrics)
        fn = _which(imp, None, function, "--metrics")
        path = metrics if any(ch in metrics for ch in "*?[") else _rel(Path(metrics), out)
        cfg, ph, notes = calibrate_metrics(imp.config, imp.placeholders, fn, series, path, spread)
        imp.config, imp.placeholders = cfg, ph
        imp.notes += notes
        command += f" --metrics {metrics}" + (f" --spread {spread}" if spread != "poisson" else "")
    _write(imp.to_yaml(command), out, _summary(len(imp.placeholders)))


def _which(imp: Any, logs: Any, function: str | None, flag: str = "--logs") -> str:
    names = list(imp.config["functions"])
    if function is not None:
        if function not in names:
            fail(f"--function {function}: not a function of the template ({', '.join(names)})")
        return function
    if len(names) == 1:
        return str(names[0])
    group = ((logs.log_group if logs is not None else None) or "").rsplit("/", 1)[-1]
    if group in imp.function_names:
        return str(imp.function_names[group])
    if group in names:
        return group
    fail(
        f"{flag}: the template has {len(names)} functions ({', '.join(names)}); say which one "
        f"the {flag.lstrip('-')} belong to with --function NAME"
    )


_SPREADS = ("poisson", "uniform", "equidistant")


def _metrics(file: str) -> Any:
    """Read the CloudWatch metrics export (exit 2 on a bad one; its warnings to stderr)."""
    from lambdasim.workload.traces import TraceError, read_cloudwatch

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            series = read_cloudwatch(Path(file))
        except TraceError as exc:
            fail(str(exc).splitlines())
    for w in caught:
        typer.echo(f"warning: {w.message}", err=True)
    return series


def _remap(placeholders: dict[str, str], keep: list[int]) -> dict[str, str]:
    """Placeholders of workload ``keep[j]`` renumbered ``j``; those of dropped ones removed."""
    new = {old: j for j, old in enumerate(keep)}
    out: dict[str, str] = {}
    for path, why in placeholders.items():
        parts = path.split(".")
        if parts[0] != "workloads":
            out[path] = why
        elif int(parts[1]) in new:
            out[".".join(["workloads", str(new[int(parts[1])]), *parts[2:]])] = why
    return out


def calibrate_metrics(
    cfg: dict[str, Any],
    placeholders: dict[str, str],
    function: str,
    series: Any,
    path: str,
    spread: str = "poisson",
) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """Calibrate ``function`` of a scenario (plain data) with its CloudWatch metrics.

    * arrivals: the ``Invocations`` Sum per period replayed as a trace (``format:
      cloudwatch``, spread within each period by ``spread``), in place of the workloads that
      invoke the function directly (their invocation type is kept); a function polled from a
      queue or stream keeps the queue's or stream's arrivals (its Invocations count batches);
    * duration: the lognormal of ``CloudWatchSeries.duration_fit`` (invocation-weighted
      Average / p50 / p99 of the periods), at the template's memory (CloudWatch measured it
      there); without Duration data the placeholder stays;
    * horizon, start time, time-series step (the metrics' period) and the pricing table in
      force at the metrics' first period.

    Parameters
    ----------
    cfg, placeholders : dict
        The scenario (plain data, changed in place) and its placeholders.
    function : str
        The scenario function the metrics belong to.
    series : CloudWatchSeries
        The metrics (:func:`lambdasim.workload.traces.read_cloudwatch`).
    path : str
        The export as the written scenario names it (relative to it).
    spread : str
        How a period's invocations are spread: ``poisson``, ``uniform`` or ``equidistant``.

    Returns
    -------
    tuple
        ``(cfg, placeholders, notes)``.
    """
    from lambdasim.observed.calibrate import table_for

    total = int(series.invocations.sum())
    notes = [
        f"metrics: {series.invocations.size} period(s) of {series.period_s:g} s from "
        f"{series.start.isoformat()}, {total:,} invocations"
    ]
    fn = cfg["functions"][function]
    f = series.duration_fit()
    if f is None:
        notes.append("no Duration data in the metrics: the duration placeholder stays")
    else:
        fn["duration"] = f.to_config()
        placeholders.pop(f"functions.{function}.duration", None)
        notes.append(f"duration: {f.summary()} (from the metrics' Duration statistics)")
    old = cfg.get("workloads", [])
    direct = [i for i, w in enumerate(old) if w.get("target") == function]
    if fn.get("trigger"):
        notes.append(
            f"{function} is triggered by {', '.join(fn['trigger'])}: its Invocations count "
            "batches, not messages; the arrivals of its queue or stream stay to be set"
        )
        keep = list(range(len(old)))
        new: list[dict[str, Any]] = []
    else:
        kinds = sorted({str(old[i].get("invocation", "sync")) for i in direct})
        if len(kinds) > 1:
            notes.append(
                f"{function} is invoked {' and '.join(kinds)} in the template; the metrics do "
                f"not say which invocation is which: all replayed {kinds[0]}"
            )
        keep = [i for i in range(len(old)) if i not in direct]
        new = [
            {
                "name": f"{function}-metrics",
                "target": function,
                "invocation": kinds[0] if kinds else "sync",
                "arrivals": {
                    "kind": "trace",
                    "format": "cloudwatch",
                    "path": path,
                    "spread": spread,
                },
            }
        ]
    placeholders = _remap(placeholders, keep)
    cfg["workloads"] = [old[i] for i in keep] + new
    if new and not direct:
        placeholders[f"workloads.{len(keep)}.invocation"] = (
            "the metrics do not say how the function is invoked"
        )
    start = series.start.isoformat().replace("+00:00", "Z")
    cfg["horizon_s"] = series.horizon_s
    cfg["start_time"] = start
    table, why = table_for(series.start)
    cfg["pricing"] = {**cfg.get("pricing", {}), "table": table}
    notes.append(why.replace("the logs", "the metrics"))
    cfg["output"] = {**cfg.get("output", {}), "timeseries_step_s": series.period_s}
    if f is not None and f.to_config().get("p99_s", 0.0) > fn.get("timeout_s", 3.0):
        notes.append(f"the metrics' Duration p99 is above timeout_s {fn.get('timeout_s', 3.0):g}")
    order = ("version", "name", "seed", "horizon_s", "start_time", "account", "pricing")
    head = {k: cfg[k] for k in order if k in cfg}
    return head | {k: v for k, v in cfg.items() if k not in head}, placeholders, notes


def import_logs(files: list[str], function: str, out: Path | None) -> None:
    """``lambdasim import logs``: see :func:`lambdasim.observed.from_logs`."""
    from lambdasim.config.limits import check_names
    from lambdasim.observed import from_logs

    _check_out(out)
    bad = check_names("x", {function: None}, {}, {})
    if bad:
        fail(f"--function {function!r}: {bad[0].message}")
    recs = _logs(files)
    draft = from_logs(recs, function, [_rel(f, out) for f in recs.files])
    command = f"lambdasim import logs {' '.join(files)} --function {function}"
    _write(draft.to_yaml(command), out, _summary(len(draft.placeholders)))
