"""The ``lambdasim`` Typer application and what its command modules share.

Each command module (:mod:`~lambdasim.cli.run`, :mod:`~lambdasim.cli.sweep`,
:mod:`~lambdasim.cli.imports`) imports :data:`app` (or a sub-command group) from here and
registers its commands on it; :mod:`lambdasim.cli` imports the command modules. This module
imports none of them.

Exit codes (stack.md §2.3): 0 ok, 2 usage or configuration error (one line per problem, no
traceback), 1 runtime failure. Summaries go to stdout, warnings and progress to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from lambdasim import config
from lambdasim.config.errors import ConfigError, ConfigIssue
from lambdasim.errors import LambdasimError

if TYPE_CHECKING:  # the models are imported when a command loads a scenario, not for --help
    from lambdasim.config import Scenario

__all__ = [
    "ConfigArg",
    "SchedulerOpt",
    "SetOpt",
    "app",
    "fail",
    "import_app",
    "load_checked",
    "pricing_app",
]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Discrete-event simulator of AWS Lambda scaling, latency and cost.",
    pretty_exceptions_enable=False,
)
# The sub-command groups are declared here, in the order ``--help`` lists them; their commands
# are registered by run.py (``pricing show``) and imports.py (``import cloudwatch|azure2019``).
pricing_app = typer.Typer(no_args_is_help=True, help="Pricing tables shipped with lambdasim.")
import_app = typer.Typer(
    no_args_is_help=True, help="Write a runnable scenario from CloudWatch metrics or a trace."
)
app.add_typer(pricing_app, name="pricing")
app.add_typer(import_app, name="import")

#: The scenario file argument of ``validate``, ``run`` and ``sweep``.
ConfigArg = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
#: ``--set PATH=VALUE`` overrides (repeatable).
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override PATH=VALUE (repeatable).")
]
#: ``--scheduler``: run on Dask (``sweep``, ``recommend``).
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        envvar="DASK_SCHEDULER_ADDRESS",
        help="Run on Dask: tcp://host:8786, or 'local' for a LocalCluster of --jobs workers.",
    ),
]


def fail(lines: list[str] | str, code: int = 2) -> NoReturn:
    """Print one line per problem to stderr and exit.

    Parameters
    ----------
    lines
        The message, or one message per problem.
    code
        Exit code: 2 (the default) for usage and configuration errors, 1 for runtime failures.

    Raises
    ------
    typer.Exit
        Always, with ``code``.
    """
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def _load(path: Path, overrides: list[str] | None) -> Scenario:
    """Load a scenario and apply ``--set`` overrides; exit 2 on a configuration error."""
    try:
        sc = config.load(path)
        if overrides:
            changes = dict(config.parse_override(o) for o in overrides)
            sc = sc.replace(changes)
    except ConfigError as exc:
        # An error of an override has no line in the file; say which input it came from.
        if (
            overrides
            and exc.source in (None, str(path), "--set")
            and all(i.line is None for i in exc.issues)
        ):
            exc.source = f"{path} (with --set)"
        fail(exc.format().splitlines())
    except LambdasimError as exc:
        fail(str(exc).splitlines())
    return sc


def _warn(sc: Scenario, path: Path) -> list[ConfigIssue]:
    """Print validate's advice on ``sc`` to stderr (with line numbers when the file reads)."""
    from lambdasim.config import advice as checks

    issues = checks.scenario_warnings(sc)
    try:
        config.locate(issues, config.read_config_text(path))
    except ConfigError:
        pass  # the file changed since it loaded: warnings without line numbers
    for i in issues:
        typer.echo("warning: " + i.format(str(path)), err=True)
    return issues


def load_checked(path: Path, overrides: list[str] | None) -> tuple[Scenario, list[ConfigIssue]]:
    """Load, apply overrides, check trace files (exit 2 on any error), print warnings.

    Parameters
    ----------
    path
        The scenario file.
    overrides
        ``PATH=VALUE`` strings of ``--set``, or None.

    Returns
    -------
    tuple of Scenario and list of ConfigIssue
        The scenario and the warnings printed to stderr.

    Raises
    ------
    typer.Exit
        With code 2 on a configuration error or a missing trace file (one line per problem).
    """
    from lambdasim.config import advice as checks

    sc = _load(path, overrides)
    missing = checks.trace_errors(sc)
    if missing:
        fail([i.format(str(path)) for i in missing])
    return sc, _warn(sc, path)
