"""Checks on names and on the size of a run that no single field can make.

Names end up in result keys, in the ``function`` column of the time series (beside the
reserved ``account``, ``queue:NAME`` and ``stream:NAME`` rows) and on the terminal, where rich
reads ``[bold]`` as markup and a terminal obeys ANSI escapes; so they follow AWS's own naming
rules, which allow none of that. The number of time-series periods is bounded because every
series holds one value per period per function (memory grows with ``horizon / step``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from lambdasim.config.errors import ConfigIssue

__all__ = ["MAX_PERIODS", "RESERVED_FUNCTION_NAMES", "check_names", "check_periods"]

#: Most time-series periods (``ceil(horizon_s / output.timeseries_step_s)``) of one run. A day
#: at a 1 s step is 86,400; 1,000,000 periods is about 11.6 days at 1 s (or a year at 32 s)
#: and already hundreds of MB for a few functions; 1e7 periods took about 7 GB.
MAX_PERIODS = 1_000_000

#: Function names taken by the account-level rows of the time series.
RESERVED_FUNCTION_NAMES = frozenset({"account"})

# AWS Lambda function names: letters, digits, hyphens, underscores, at most 64 characters.
_FUNCTION = re.compile(r"[A-Za-z0-9_-]{1,64}")
# SQS queue names: the same characters, at most 80 including a ".fifo" suffix; SNS topic names
# allow 256.
_QUEUE = re.compile(r"[A-Za-z0-9_-]+(\.fifo)?")
# Kinesis stream names (and DynamoDB table names) also allow dots; Kinesis takes 128.
_STREAM = re.compile(r"[A-Za-z0-9_.-]{1,128}")
# The scenario's own name: a file-name-like label.
_SCENARIO = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def check_names(
    name: str,
    functions: Mapping[str, Any],
    queues: Mapping[str, Any],
    streams: Mapping[str, Any],
) -> list[ConfigIssue]:
    """One issue per scenario, function, queue or stream name that breaks the naming rules.

    Parameters
    ----------
    name : str
        The scenario's ``name``.
    functions, queues, streams : mapping
        The scenario's named parts; only the keys are read. ``queues`` values carry ``kind``.
    """
    issues: list[ConfigIssue] = []
    if not _SCENARIO.fullmatch(name):
        issues.append(
            ConfigIssue("name", "use letters, digits, '-', '_' and '.' only, 1–64 characters", name)
        )
    for fn in functions:
        if fn in RESERVED_FUNCTION_NAMES:
            issues.append(
                ConfigIssue(
                    f"functions.{fn}",
                    "function name 'account' is reserved (the account-level rows of the results)",
                    fn,
                )
            )
        elif not _FUNCTION.fullmatch(fn):
            issues.append(
                ConfigIssue(
                    f"functions.{fn}",
                    "function names use letters, digits, '-' and '_' only, 1–64 characters "
                    "(as AWS Lambda)",
                    fn,
                )
            )
    for qn, q in queues.items():
        limit = 256 if getattr(q, "kind", None) == "topic" else 80
        if not (_QUEUE.fullmatch(qn) and len(qn) <= limit):
            issues.append(
                ConfigIssue(
                    f"queues.{qn}",
                    "queue and topic names use letters, digits, '-' and '_' only (and an "
                    f"optional '.fifo' suffix), 1–{limit} characters (as SQS / SNS)",
                    qn,
                )
            )
    for sn in streams:
        if not _STREAM.fullmatch(sn):
            issues.append(
                ConfigIssue(
                    f"streams.{sn}",
                    "stream names use letters, digits, '-', '_' and '.' only, 1–128 characters "
                    "(as Kinesis)",
                    sn,
                )
            )
    return issues


def check_periods(horizon_s: float, step_s: float) -> list[ConfigIssue]:
    """An issue when the run would have more than :data:`MAX_PERIODS` time-series periods."""
    n = math.ceil(horizon_s / step_s)
    if n <= MAX_PERIODS:
        return []
    return [
        ConfigIssue(
            "output.timeseries_step_s",
            f"horizon_s / timeseries_step_s = {n:,} time-series periods, above the limit of "
            f"{MAX_PERIODS:,} (memory grows with the number of periods); set "
            f"output.timeseries_step_s to at least {horizon_s / MAX_PERIODS:.6g}",
            step_s,
        )
    ]
