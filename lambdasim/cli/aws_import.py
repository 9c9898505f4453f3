"""The bodies of ``lambdasim import sam`` and ``import logs`` (registered in :mod:`.imports`).

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

__all__ = ["import_logs", "import_sam", "parse_parameters"]


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
) -> None:
    """``lambdasim import sam``: see :func:`lambdasim.config.sam.import_template`."""
    from lambdasim.config.sam import TemplateError, import_template

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
    _write(imp.to_yaml(command), out, _summary(len(imp.placeholders)))


def _which(imp: Any, logs: Any, function: str | None) -> str:
    names = list(imp.config["functions"])
    if function is not None:
        if function not in names:
            fail(f"--function {function}: not a function of the template ({', '.join(names)})")
        return function
    if len(names) == 1:
        return str(names[0])
    group = (logs.log_group or "").rsplit("/", 1)[-1]
    if group in imp.function_names:
        return str(imp.function_names[group])
    if group in names:
        return group
    fail(
        f"--logs: the template has {len(names)} functions ({', '.join(names)}); say which one "
        "the logs belong to with --function NAME"
    )


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
