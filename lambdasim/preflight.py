"""Checks before a run: open the pricing table and read the first rows of every trace.

``validate``, ``run`` and ``sweep`` call :func:`preflight`, so a bad pricing table or trace is
reported at once, as a config error at the field naming the file, instead of after (or in the
middle of) a simulation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lambdasim.config import ConfigError, ConfigIssue, Scenario
from lambdasim.config.arrivals import TraceArrivals
from lambdasim.config.errors import MISSING
from lambdasim.cost import PricingError, PricingTable, load_table

__all__ = ["PreflightError", "preflight", "pricing_issues"]


class PreflightError(ConfigError, PricingError):
    """What :func:`preflight` finds, one issue per problem at the field naming the file; both a
    ConfigError (as ``validate`` reports it) and a :class:`~lambdasim.cost.PricingError`."""


def pricing_issues(scenario: Scenario) -> tuple[PricingTable | None, list[ConfigIssue]]:
    """The scenario's pricing table, or None and one issue per problem at ``pricing.table``."""
    # A relative pricing.table is resolved against the config file's directory, like traces.
    try:
        return load_table(scenario.pricing.table, base_dir=scenario.base_dir), []
    except PricingError as exc:
        return None, [ConfigIssue("pricing.table", line, MISSING) for line in str(exc).splitlines()]


def _binary(path: Path) -> bool:
    # Pandas parses nearly anything as CSV; a NUL byte or non-UTF-8 text means the wrong file.
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)  # enough to tell text from binary
        head.decode("utf-8")
    except OSError:
        return False  # the reader says what is wrong with opening it
    except UnicodeDecodeError as exc:
        return exc.start < len(head) - 4  # not just a multi-byte character cut at the end
    return b"\0" in head


def _trace_issues(scenario: Scenario) -> list[ConfigIssue]:
    from lambdasim.workload.traces import TraceError, trace_events

    issues = []
    traces = [(i, w.arrivals) for i, w in enumerate(scenario.workloads)]
    for i, spec in [(i, a) for i, a in traces if isinstance(a, TraceArrivals)]:
        field = f"workloads.{i}.arrivals.path"
        path = scenario.resolve_path(spec.path)
        if spec.format == "csv" and path.is_file() and _binary(path):
            issues.append(ConfigIssue(field, f"{path}: not a CSV trace (binary data)", MISSING))
            continue
        try:
            # The first block reads the header and the first chunk of rows through the same
            # reader the run uses, so the errors (file:line: column) are the run's.
            next(iter(trace_events(spec, path, np.random.default_rng(0))), None)
        except TraceError as exc:
            issues.append(ConfigIssue(field, str(exc), MISSING))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            # A parser's own message may quote the file: name the problem's type only.
            what = f"{path}: not a {spec.format} trace ({type(exc).__name__})"
            issues.append(ConfigIssue(field, what, MISSING))
    return issues


def preflight(scenario: Scenario, *, traces: bool = True) -> None:
    """Open the pricing table and every trace's first rows, so that ``validate``, ``run`` and
    ``sweep`` report a bad one at once (a config error at the field naming the file).

    Parameters
    ----------
    scenario : Scenario
        The scenario to check.
    traces : bool
        Also read every trace's header and first chunk (False: the pricing table only).

    Raises
    ------
    PreflightError
        One line per problem, naming the file.
    """
    _, issues = pricing_issues(scenario)
    if traces:
        issues += _trace_issues(scenario)
    if issues:
        raise PreflightError(issues, source=scenario._source)
