"""Checks that span several parts of a scenario: configurations AWS would reject.

Field-level rules live on the models; what needs two sections at once (the account's
concurrency and every function's reservation, a workload's target and the declared functions,
queues and streams, a mapping's queue and its function's timeout) is checked here, after the
models validate. Each check is a pure function of the scenario returning
:class:`~lambdasim.config.errors.ConfigIssue` objects; :meth:`Scenario.cross_check
<lambdasim.config.Scenario.cross_check>` runs them all, in the order below (the order of the
messages a user sees).

The checks read the scenario through :class:`ScenarioParts`, so that this module does not
import :mod:`.scenario` (which imports it).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Protocol

from lambdasim.config.account import Account
from lambdasim.config.errors import MISSING, ConfigIssue
from lambdasim.config.execution_checks import check_execution_models
from lambdasim.config.function import Function
from lambdasim.config.managed_instances import CapacityProvider
from lambdasim.config.queues import Queue
from lambdasim.config.streams import Stream
from lambdasim.config.tenancy import workload_tenancy_issues
from lambdasim.config.workload import Workload

__all__ = ["ScenarioParts", "cross_check"]


class ScenarioParts(Protocol):
    """The parts of a :class:`~lambdasim.config.Scenario` the cross-field checks read."""

    @property
    def horizon_s(self) -> float:
        """Simulated time, s."""
        ...

    @property
    def warmup_s(self) -> float:
        """Leading time left out of the statistics, s."""
        ...

    @property
    def account(self) -> Account:
        """Regional limits."""
        ...

    @property
    def queues(self) -> Mapping[str, Queue]:
        """Declared SQS queues and SNS topics."""
        ...

    @property
    def streams(self) -> Mapping[str, Stream]:
        """Declared Kinesis / DynamoDB streams."""
        ...

    @property
    def functions(self) -> Mapping[str, Function]:
        """Declared functions."""
        ...

    @property
    def capacity_providers(self) -> Mapping[str, CapacityProvider]:
        """Lambda Managed Instances fleets."""
        ...

    @property
    def workloads(self) -> Sequence[Workload]:
        """Request streams."""
        ...


def cross_check(sc: ScenarioParts) -> list[ConfigIssue]:
    """Every cross-field problem of ``sc`` (empty when AWS would accept the configuration).

    Parameters
    ----------
    sc : ScenarioParts
        A validated scenario.

    Returns
    -------
    list of ConfigIssue
        In a fixed order: horizon, concurrency, workloads, queues, stream and SQS mappings,
        async destinations.
    """
    issues = check_horizon(sc)
    issues += check_concurrency(sc)
    issues += check_workloads(sc)
    issues += check_redrive(sc)
    issues += check_stream_mappings(sc)
    issues += check_sqs_mappings(sc)
    issues += check_async_destinations(sc)
    # tenant isolation, SnapStart, Lambda Managed Instances (config/execution_checks.py)
    issues += check_execution_models(sc.functions, sc.capacity_providers, sc.workloads)
    issues += workload_tenancy_issues(sc.functions, sc.workloads)  # tenants need isolation mode
    return issues


def _hint(name: str, choices: list[str], template: str, otherwise: str = "") -> str:
    """``"; did you mean ..."`` with the closest of ``choices`` put into ``template``."""
    close = difflib.get_close_matches(name, choices, n=1)
    return template.format(close[0]) if close else otherwise


def check_horizon(sc: ScenarioParts) -> list[ConfigIssue]:
    """The warm-up must end before the horizon."""
    if sc.warmup_s >= sc.horizon_s:
        return [
            ConfigIssue("warmup_s", f"must be less than horizon_s ({sc.horizon_s})", sc.warmup_s)
        ]
    return []


def check_concurrency(sc: ScenarioParts) -> list[ConfigIssue]:
    """The unreserved floor fits the quota; provisioned and reserved concurrency leave it free.

    AWS rejects PutFunctionConcurrency and PutProvisionedConcurrencyConfig calls that would
    leave less than the unreserved minimum (aws-lambda-behaviour.md §4.1, §4.5, §9).
    """
    issues: list[ConfigIssue] = []
    acct = sc.account
    floor = acct.unreserved_floor
    if floor > acct.concurrency:
        issues.append(
            ConfigIssue(
                "account.min_unreserved",
                f"must be at most account.concurrency ({acct.concurrency})",
                floor,
            )
        )
    budget = acct.concurrency - floor
    issues += _check_provisioned(sc, budget)
    total = 0
    for fname, fn in sc.functions.items():
        rc = fn.reserved_concurrency
        if rc is None:
            continue
        total += rc
        if total > budget:
            issues.append(
                ConfigIssue(
                    f"functions.{fname}.reserved_concurrency",
                    f"reserved concurrency of all functions ({total}) must leave at least "
                    f"{floor} unreserved of account.concurrency {acct.concurrency}: "
                    f"allowed 0..{budget - (total - rc)}",
                    rc,
                )
            )
    return issues


def _check_provisioned(sc: ScenarioParts, budget: int) -> list[ConfigIssue]:
    """PC ≤ reserved concurrency; PC outside RC ≤ the unreserved pool − 100 (§4.5, §9)."""
    issues: list[ConfigIssue] = []
    free = budget - sum(f.reserved_concurrency or 0 for f in sc.functions.values())
    outside = 0
    for fname, fn in sc.functions.items():
        pc = fn.provisioned_concurrency
        if pc is None:
            continue
        peak = pc.peak()
        rc = fn.reserved_concurrency
        path = f"functions.{fname}.provisioned_concurrency"
        if rc is not None and peak > rc:
            issues.append(
                ConfigIssue(
                    path,
                    f"provisioned concurrency ({peak}) cannot exceed reserved concurrency ({rc})",
                    peak,
                )
            )
        elif rc is None:
            outside += peak
            if outside > free:
                issues.append(
                    ConfigIssue(
                        path,
                        f"provisioned concurrency outside reserved concurrency "
                        f"({outside} in all) must leave {sc.account.unreserved_floor} "
                        f"unreserved: allowed 0..{free - (outside - peak)}",
                        peak,
                    )
                )
    return issues


def check_workloads(sc: ScenarioParts) -> list[ConfigIssue]:
    """Targets name a declared function, SQS queue or stream; payloads within quota (§3);
    ``client_retry`` only on sync requests."""
    issues: list[ConfigIssue] = []
    names = list(sc.functions)
    for i, w in enumerate(sc.workloads):
        where = f"workloads.{i}"
        st = w.stream
        if st is not None:
            if st not in sc.streams:
                hint = _hint(st, list(sc.streams), "; did you mean 'stream:{}'?")
                issues.append(ConfigIssue(f"{where}.target", "unknown stream" + hint, w.target))
            continue
        q = w.queue
        if q is not None:
            if q not in sc.queues or sc.queues[q].kind == "topic":
                sqs = [n for n, c in sc.queues.items() if c.kind != "topic"]
                hint = _hint(q, sqs, "; did you mean 'queue:{}'?")
                issues.append(ConfigIssue(f"{where}.target", "unknown SQS queue" + hint, w.target))
            continue
        if w.target not in sc.functions:
            hint = _hint(w.target, names, "; did you mean '{}'?", f"; known: {names}")
            issues.append(ConfigIssue(f"{where}.target", "unknown function" + hint, w.target))
        limit = 1024.0 if w.invocation == "async" else 6144.0  # §3 payload quotas
        if w.payload_kb > limit:
            issues.append(
                ConfigIssue(
                    f"{where}.payload_kb",
                    f"{w.invocation} payloads are limited to {limit:g} KB "
                    "(aws-lambda-behaviour.md §3)",
                    w.payload_kb,
                )
            )
        if w.client_retry is not None and w.invocation != "sync":
            issues.append(
                ConfigIssue(
                    f"{where}.client_retry",
                    "client_retry applies to sync requests only; async events are retried "
                    "by Lambda (functions.<name>.async)",
                    MISSING,
                )
            )
    return issues


def check_redrive(sc: ScenarioParts) -> list[ConfigIssue]:
    """A redrive policy names another declared queue of the same kind (§7.3)."""
    issues: list[ConfigIssue] = []
    for qname, q in sc.queues.items():
        if q.redrive_to is not None and (
            q.redrive_to not in sc.queues
            or q.redrive_to == qname
            or sc.queues[q.redrive_to].kind != q.kind
        ):
            issues.append(
                ConfigIssue(
                    f"queues.{qname}.redrive_to",
                    f"must name another declared queue of the same kind ({q.kind})",
                    q.redrive_to,
                )
            )
    return issues


def check_stream_mappings(sc: ScenarioParts) -> list[ConfigIssue]:
    """Stream triggers read a declared stream, one mapping per stream, and fail over to a
    standard queue or topic (§8)."""
    issues: list[ConfigIssue] = []
    readers: dict[str, str] = {}
    for fname, fn in sc.functions.items():
        stt = fn.trigger.stream if fn.trigger is not None else None
        if stt is None:
            continue
        base = f"functions.{fname}.trigger.stream"
        if stt.name not in sc.streams:
            issues.append(ConfigIssue(f"{base}.name", "unknown stream", stt.name))
        elif stt.name in readers:
            issues.append(
                ConfigIssue(
                    f"{base}.name",
                    f"stream already read by function '{readers[stt.name]}' "
                    "(lambdasim models one event source mapping per stream)",
                    stt.name,
                )
            )
        readers[stt.name] = fname
        if stt.on_failure is not None and (
            stt.on_failure.queue not in sc.queues or sc.queues[stt.on_failure.queue].kind == "fifo"
        ):
            issues.append(
                ConfigIssue(
                    f"{base}.on_failure.queue",
                    "must name a declared standard queue or topic (FIFO queues cannot be "
                    "destinations)",
                    stt.on_failure.queue,
                )
            )
    return issues


def check_sqs_mappings(sc: ScenarioParts) -> list[ConfigIssue]:
    """SQS triggers poll a declared queue, one mapping per queue, FIFO batches ≤ 10 and no
    batching window on a FIFO queue (§7.2), and a visibility timeout at least the function
    timeout (§7.3)."""
    issues: list[ConfigIssue] = []
    consumers: dict[str, str] = {}
    for fname, fn in sc.functions.items():
        t = fn.trigger.sqs if fn.trigger is not None else None
        if t is None:
            continue
        base = f"functions.{fname}.trigger.sqs"
        q = sc.queues.get(t.queue)
        if q is None or q.kind == "topic":
            issues.append(ConfigIssue(f"{base}.queue", "unknown SQS queue", t.queue))
            continue
        if t.queue in consumers:
            issues.append(
                ConfigIssue(
                    f"{base}.queue",
                    f"queue already polled by function '{consumers[t.queue]}' (lambdasim "
                    "models one event source mapping per queue)",
                    t.queue,
                )
            )
        consumers[t.queue] = fname
        if q.kind == "fifo" and t.batch_size > 10:
            issues.append(
                ConfigIssue(f"{base}.batch_size", "FIFO queues allow 1..10 (§7.2)", t.batch_size)
            )
        if q.kind == "fifo" and t.max_batching_window_s > 0:
            # MaximumBatchingWindowInSeconds applies to standard queues only: "Batching window
            # is not supported for FIFO queues" (Lambda guide, services-sqs-parameters,
            # https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html; the
            # API reference: "(Streams and SQS standard queues)")
            issues.append(
                ConfigIssue(
                    f"{base}.max_batching_window_s",
                    f"must be 0: queue '{t.queue}' is FIFO and AWS applies a batching window "
                    "to standard queues only (§7.2)",
                    t.max_batching_window_s,
                )
            )
        if fn.timeout_s > q.visibility_timeout_s:
            # Lambda rejects the mapping (aws-lambda-behaviour.md §7.3)
            issues.append(
                ConfigIssue(
                    f"queues.{t.queue}.visibility_timeout_s",
                    f"must be at least the timeout of function '{fname}' "
                    f"({fn.timeout_s:g} s); AWS advises 6 x timeout + batching window",
                    q.visibility_timeout_s,
                )
            )
    return issues


def check_async_destinations(sc: ScenarioParts) -> list[ConfigIssue]:
    """Async destinations and dead-letter queues name declared queues and functions (§6)."""
    issues: list[ConfigIssue] = []
    names = list(sc.functions)
    for fname, fn in sc.functions.items():
        a = fn.async_
        if a is None:
            continue
        for key, dest in (
            ("on_failure", a.on_failure),
            ("on_success", a.on_success),
            ("dead_letter", a.dead_letter),
        ):
            if dest is None:
                continue
            qname = dest.queue
            func = getattr(dest, "function", None)  # a dead-letter queue has no function
            if qname is not None and qname not in sc.queues:
                hint = _hint(qname, list(sc.queues), "; did you mean '{}'?")
                issues.append(
                    ConfigIssue(
                        f"functions.{fname}.async.{key}.queue",
                        "unknown queue (declare it under queues:)" + hint,
                        qname,
                    )
                )
            if func is not None and func not in sc.functions:
                hint = _hint(func, names, "; did you mean '{}'?")
                issues.append(
                    ConfigIssue(
                        f"functions.{fname}.async.{key}.function", "unknown function" + hint, func
                    )
                )
    return issues
