"""Event sources of a template → triggers and workloads.

SAM ``Events`` of a function and the CloudFormation resources that invoke functions:

* ``SQS`` / ``Kinesis`` / ``DynamoDB`` events and ``AWS::Lambda::EventSourceMapping`` → a
  ``trigger`` (batch size, batching window, ``ScalingConfig.MaximumConcurrency``,
  ``ProvisionedPollerConfig``, partial batch responses; parallelization factor, bisect,
  retries, maximum record age, on-failure destination) and a workload of messages / records
  whose rate is a placeholder;
* ``Schedule`` / ``ScheduleV2``, ``AWS::Events::Rule`` with ``ScheduleExpression`` and
  ``AWS::Scheduler::Schedule`` → scheduled asynchronous invocations (EventBridge invokes
  asynchronously; aws-lambda-behaviour.md §6); rules with an ``EventPattern`` → an async
  workload at a placeholder rate;
* ``Api`` / ``HttpApi``, function URLs (``FunctionUrlConfig``, ``AWS::Lambda::Url``) → a
  synchronous workload; ``S3`` and ``SNS`` (events, bucket notifications, subscriptions) →
  asynchronous workloads, at placeholder rates.

A template says how a function is invoked, never how often: every rate is a placeholder
(``validate`` warns until it is set), except schedules, whose expression is the rate.
"""

from __future__ import annotations

from typing import Any

from lambdasim.config.sam.context import FUNCTION_TYPES, QUEUE_TYPE, STREAM_TYPES, Context
from lambdasim.config.sam.functions import _destination, _int
from lambdasim.config.sam.resources import queue_name, stream_of
from lambdasim.schedule import ScheduleError, parse

__all__ = ["translate_events"]

_RATE = {"rate_per_s": 1.0}
_NOT_MODELLED = {
    "CloudWatchLogs",
    "IoTRule",
    "AlexaSkill",
    "Cognito",
    "MQ",
    "MSK",
    "SelfManagedKafka",
    "DocumentDB",
}


def _placeholder_arrivals() -> dict[str, Any]:
    return {"kind": "poisson", **_RATE}


def _bool(v: Any) -> bool:
    return str(v).lower() == "true"


def _enabled(props: dict[str, Any]) -> bool:
    if "Enabled" in props and not _bool(props["Enabled"]):
        return False
    return str(props.get("State", "ENABLED")).upper() != "DISABLED"


def normalise_schedule(ctx: Context, expr: Any, where: str) -> str | None:
    """An EventBridge expression lambdasim parses, or None (warned).

    ``rate(5 minute)`` (a singular unit above 1, which the EventBridge guide does not allow)
    is read as ``rate(5 minutes)`` with a warning; ``at(...)`` one-time schedules are not
    modelled.
    """
    if not isinstance(expr, str):
        ctx.warnings.add(where, f"schedule expression {expr} cannot be resolved; ignored")
        return None
    e = expr.strip()
    try:
        parse(e)
        return e
    except ScheduleError as exc:
        if e.startswith("rate(") and e.endswith(")"):
            parts = e[5:-1].split()
            if len(parts) == 2 and parts[0].isdigit() and int(parts[0]) > 1:
                fixed = f"rate({parts[0]} {parts[1].rstrip('s')}s)"
                try:
                    parse(fixed)
                except ScheduleError:
                    pass
                else:
                    ctx.warnings.add(where, f"'{e}': {exc}; read as '{fixed}'")
                    return fixed
        ctx.warnings.add(where, f"'{e}' is not modelled ({exc}); ignored")
        return None


def _sqs_trigger(ctx: Context, fn: str, p: dict[str, Any], where: str, qname: str) -> None:
    t: dict[str, Any] = {"queue": qname}
    fifo = ctx.queues[qname]["kind"] == "fifo"
    bs = _int(ctx, p.get("BatchSize"), f"{where}.BatchSize", "BatchSize")
    win = _int(
        ctx,
        p.get("MaximumBatchingWindowInSeconds"),
        f"{where}.MaximumBatchingWindowInSeconds",
        "window",
    )
    if win is not None:
        t["max_batching_window_s"] = float(min(300, max(0, win)))
    if bs is not None:
        t["batch_size"] = int(min(10 if fifo else 10000, max(1, bs)))
        if t["batch_size"] > 10 and t.get("max_batching_window_s", 0) < 1:
            ctx.warnings.add(
                f"{where}.BatchSize",
                "above 10 needs a batching window of at "
                "least 1 s (AWS rejects it otherwise); 1 s used",
            )
            t["max_batching_window_s"] = 1.0
    sc = p.get("ScalingConfig")
    mc = (
        _int(ctx, sc.get("MaximumConcurrency"), f"{where}.ScalingConfig", "MaximumConcurrency")
        if isinstance(sc, dict)
        else None
    )
    ppc = p.get("ProvisionedPollerConfig")
    if isinstance(ppc, dict):
        lo = _int(ctx, ppc.get("MinimumPollers"), f"{where}.ProvisionedPollerConfig", "min") or 2
        hi = _int(ctx, ppc.get("MaximumPollers"), f"{where}.ProvisionedPollerConfig", "max") or 200
        lo, hi = min(200, max(2, lo)), min(10000, max(2, hi))
        t["mode"] = {"provisioned": {"min_pollers": lo, "max_pollers": max(lo, hi)}}
    elif mc is not None:
        t["max_concurrency"] = int(min(1000, max(2, mc)))
    if "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []):
        t["report_batch_item_failures"] = True
    if p.get("FilterCriteria"):
        ctx.warnings.add(
            f"{where}.FilterCriteria",
            "event filtering is not modelled: every message invokes the function",
        )
    f = ctx.functions[fn]
    if "sqs" in f.get("trigger", {}):
        ctx.warnings.add(
            where,
            f"{fn} already polls queue {f['trigger']['sqs']['queue']}; "
            "lambdasim models one SQS trigger per function; ignored",
        )
        return
    for other, g in ctx.functions.items():
        if g.get("trigger", {}).get("sqs", {}).get("queue") == qname:
            ctx.warnings.add(
                where,
                f"queue {qname} is already polled by {other}; lambdasim "
                "models one consumer per queue; ignored",
            )
            return
    q = ctx.queues[qname]
    if q.get("visibility_timeout_s", 30.0) < f["timeout_s"]:
        ctx.warnings.add(
            f"Resources.{qname.removesuffix('.fifo')}.Properties.VisibilityTimeout",
            f"below the timeout of {fn} ({f['timeout_s']:g} s): AWS rejects the "
            "mapping; raised to it",
        )
        q["visibility_timeout_s"] = f["timeout_s"]
    f.setdefault("trigger", {})["sqs"] = t
    _queue_workload(ctx, qname, "messages per second sent to the queue")


def _queue_workload(ctx: Context, qname: str, why: str) -> None:
    target = f"queue:{qname}"
    if not any(w["target"] == target for w in ctx.workloads):
        ctx.add_workload({"target": target, "arrivals": _placeholder_arrivals()}, why)


def _stream_trigger(ctx: Context, fn: str, p: dict[str, Any], where: str, sname: str) -> None:
    t: dict[str, Any] = {"name": sname}
    for key, name, lo, hi in (
        ("BatchSize", "batch_size", 1, 10000),
        ("ParallelizationFactor", "parallelization_factor", 1, 10),
        ("MaximumRetryAttempts", "max_retry_attempts", -1, 10000),
    ):
        v = _int(ctx, p.get(key), f"{where}.{key}", key)
        if v is not None:
            t[name] = int(min(hi, max(lo, v)))
    win = _int(
        ctx,
        p.get("MaximumBatchingWindowInSeconds"),
        f"{where}.MaximumBatchingWindowInSeconds",
        "window",
    )
    if win is not None:
        t["max_batching_window_s"] = float(min(300, max(0, win)))
    age = _int(ctx, p.get("MaximumRecordAgeInSeconds"), f"{where}.MaximumRecordAgeInSeconds", "age")
    if age is not None:
        t["max_record_age_s"] = -1.0 if age == -1 else float(min(604800, max(60, age)))
    if _bool(p.get("BisectBatchOnFunctionError")):
        t["bisect_batch_on_error"] = True
    if "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []):
        t["report_batch_item_failures"] = True
    dc = p.get("DestinationConfig")
    if isinstance(dc, dict) and isinstance(dc.get("OnFailure"), dict):
        d = _destination(ctx, dc["OnFailure"], f"{where}.DestinationConfig.OnFailure")
        if d is not None and "queue" in d:
            t["on_failure"] = {"queue": d["queue"]}
    for k in ("TumblingWindowInSeconds", "FilterCriteria"):
        if p.get(k):
            ctx.warnings.add(f"{where}.{k}", "not modelled; ignored")
    f = ctx.functions[fn]
    readers = [
        o
        for o, g in ctx.functions.items()
        if g.get("trigger", {}).get("stream", {}).get("name") == sname
    ]
    if "stream" in f.get("trigger", {}) or readers:
        ctx.warnings.add(
            where,
            "lambdasim models one stream trigger per function and one reader per stream; ignored",
        )
        return
    f.setdefault("trigger", {})["stream"] = t
    target = f"stream:{sname}"
    if not any(w["target"] == target for w in ctx.workloads):
        ctx.add_workload(
            {"target": target, "arrivals": _placeholder_arrivals()},
            "records per second written to the stream",
        )


def _mapping(ctx: Context, fn: str, p: dict[str, Any], where: str, source: Any) -> None:
    """An SQS or stream event source mapping of ``fn`` (SAM event or ESM resource)."""
    if not _enabled(p):
        ctx.notes.append(f"{where}: disabled mapping, left out")
        return
    ql = ctx.target(source, where, (QUEUE_TYPE,))
    if ql is not None:
        _sqs_trigger(ctx, fn, p, where, queue_name(ctx, ql))
        return
    if ctx.target(source, where, STREAM_TYPES) is not None:
        s = stream_of(ctx, source, where)
        if s is not None:
            _stream_trigger(ctx, fn, p, where, s)
        return
    if isinstance(source, str) and (":sqs:" in source or ":kinesis:" in source):
        ctx.warnings.add(where, f"{source} is not declared in this template; ignored")
        return
    ctx.warnings.add(where, f"event source {source} is not an SQS queue or a stream; ignored")


def _schedule(ctx: Context, target: str, expr: Any, where: str) -> None:
    e = normalise_schedule(ctx, expr, where)
    if e is None:
        return
    wl: dict[str, Any] = {"target": target, "arrivals": {"kind": "schedule", "expression": e}}
    if not target.startswith("queue:"):
        wl.update(invocation="async", source="eventbridge")
    ctx.add_workload(wl, None)


def _direct(ctx: Context, fn: str, invocation: str, source: str, name: str, why: str) -> None:
    wl = {
        "name": name,
        "target": fn,
        "invocation": invocation,
        "source": source,
        "arrivals": _placeholder_arrivals(),
    }
    ctx.add_workload(wl, why)


def _sam_events(ctx: Context, fn: str) -> None:
    events = ctx.props(fn).get("Events")
    if not isinstance(events, dict):
        return
    for ev, e in events.items():
        where = ctx.where(fn, "Events", ev)
        if not isinstance(e, dict):
            continue
        kind, p = e.get("Type"), e.get("Properties") or {}
        if kind == "SQS":
            _mapping(ctx, fn, p, f"{where}.Properties", p.get("Queue"))
        elif kind in ("Kinesis", "DynamoDB"):
            _mapping(ctx, fn, p, f"{where}.Properties", p.get("Stream"))
        elif kind in ("Schedule", "ScheduleV2"):
            if _enabled(p):
                key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
                _schedule(ctx, fn, p.get(key), f"{where}.Properties.{key}")
                ftw = p.get("FlexibleTimeWindow")
                if isinstance(ftw, dict) and str(ftw.get("Mode", "OFF")).upper() != "OFF":
                    ctx.warnings.add(
                        f"{where}.Properties.FlexibleTimeWindow",
                        "flexible time windows are not modelled",
                    )
        elif kind in ("Api", "HttpApi"):
            _direct(ctx, fn, "sync", "api", f"{fn}-{ev}", "requests per second to the API")
        elif kind in ("EventBridgeRule", "CloudWatchEvent"):
            _direct(ctx, fn, "async", "eventbridge", f"{fn}-{ev}", "matching events per second")
        elif kind in ("S3", "SNS"):
            src = kind.lower()
            _direct(ctx, fn, "async", src, f"{fn}-{ev}", f"{kind} notifications per second")
        elif kind in _NOT_MODELLED:
            ctx.warnings.add(where, f"{kind} event sources are not modelled; ignored")
        else:
            ctx.warnings.add(where, f"event type {kind!r} not understood; ignored")
    if ctx.props(fn).get("FunctionUrlConfig"):
        _direct(ctx, fn, "sync", "api", f"{fn}-url", "requests per second to the function URL")


def _target_of(ctx: Context, arn: Any, where: str) -> str | None:
    """``NAME`` of a function or ``queue:NAME`` of a queue a rule / schedule targets."""
    fn = ctx.target(arn, where, FUNCTION_TYPES)
    if fn is not None:
        return fn
    q = ctx.target(arn, where, (QUEUE_TYPE,))
    return f"queue:{queue_name(ctx, q)}" if q is not None else None


def _rules_and_schedules(ctx: Context) -> None:
    for lid in ctx.of_type("AWS::Events::Rule"):
        p = ctx.props(lid)
        if not _enabled(p):
            continue
        for i, t in enumerate(p.get("Targets") or []):
            where = ctx.where(lid, "Targets", str(i), "Arn")
            target = _target_of(ctx, t.get("Arn") if isinstance(t, dict) else None, where)
            if target is None:
                continue
            if p.get("ScheduleExpression") is not None:
                _schedule(
                    ctx, target, p["ScheduleExpression"], ctx.where(lid, "ScheduleExpression")
                )
            elif target.startswith("queue:"):
                _queue_workload(ctx, target[6:], "matching events per second (EventBridge)")
            else:
                _direct(
                    ctx, target, "async", "eventbridge", f"{lid}-{i}", "matching events per second"
                )
    for lid in ctx.of_type("AWS::Scheduler::Schedule"):
        p = ctx.props(lid)
        t = p.get("Target")
        target = _target_of(
            ctx, t.get("Arn") if isinstance(t, dict) else None, ctx.where(lid, "Target", "Arn")
        )
        if target is not None and _enabled(p):
            _schedule(
                ctx, target, p.get("ScheduleExpression"), ctx.where(lid, "ScheduleExpression")
            )
            ftw = p.get("FlexibleTimeWindow")
            if isinstance(ftw, dict) and str(ftw.get("Mode", "OFF")).upper() != "OFF":
                ctx.warnings.add(ctx.where(lid, "FlexibleTimeWindow"), "not modelled")


def _notifications(ctx: Context) -> None:
    for lid in ctx.of_type("AWS::S3::Bucket"):
        nc = ctx.props(lid).get("NotificationConfiguration")
        if not isinstance(nc, dict):
            continue
        for i, c in enumerate(nc.get("LambdaConfigurations") or []):
            w = ctx.where(lid, "NotificationConfiguration", "LambdaConfigurations", str(i))
            fn = ctx.target(c.get("Function") if isinstance(c, dict) else None, w, FUNCTION_TYPES)
            if fn is not None:
                _direct(ctx, fn, "async", "s3", f"{lid}-{i}", "S3 notifications per second")
        for i, c in enumerate(nc.get("QueueConfigurations") or []):
            w = ctx.where(lid, "NotificationConfiguration", "QueueConfigurations", str(i))
            q = ctx.target(c.get("Queue") if isinstance(c, dict) else None, w, (QUEUE_TYPE,))
            if q is not None:
                _queue_workload(ctx, queue_name(ctx, q), f"S3 notifications per second ({lid})")
    subs: list[tuple[str, Any, Any]] = []
    for lid in ctx.of_type("AWS::SNS::Subscription"):
        p = ctx.props(lid)
        subs.append((ctx.where(lid, "Endpoint"), p.get("Protocol"), p.get("Endpoint")))
    for lid in ctx.of_type("AWS::SNS::Topic"):
        for i, s in enumerate(ctx.props(lid).get("Subscription") or []):
            if isinstance(s, dict):
                subs.append(
                    (ctx.where(lid, "Subscription", str(i)), s.get("Protocol"), s.get("Endpoint"))
                )
    for where, proto, endpoint in subs:
        if str(proto).lower() == "lambda":
            fn = ctx.target(endpoint, where, FUNCTION_TYPES)
            if fn is not None:
                _direct(ctx, fn, "async", "sns", f"{fn}-sns", "SNS messages per second")
        elif str(proto).lower() == "sqs":
            q = ctx.target(endpoint, where, (QUEUE_TYPE,))
            if q is not None:
                _queue_workload(ctx, queue_name(ctx, q), "SNS messages per second")


def _urls_and_permissions(ctx: Context) -> None:
    for lid in ctx.of_type("AWS::Lambda::Url"):
        w = ctx.where(lid, "TargetFunctionArn")
        fn = ctx.target(ctx.props(lid).get("TargetFunctionArn"), w, FUNCTION_TYPES)
        if fn is not None:
            _direct(ctx, fn, "sync", "api", f"{fn}-url", "requests per second to the URL")
    for lid in ctx.of_type("AWS::Lambda::Permission"):
        p = ctx.props(lid)
        if str(p.get("Principal")) not in (
            "apigateway.amazonaws.com",
            "elasticloadbalancing.amazonaws.com",
        ):
            continue
        fn = ctx.target(p.get("FunctionName"), ctx.where(lid, "FunctionName"), FUNCTION_TYPES)
        if fn is not None and not any(
            w.get("target") == fn and w.get("invocation") == "sync" for w in ctx.workloads
        ):
            _direct(
                ctx,
                fn,
                "sync",
                "api",
                f"{fn}-{lid}",
                f"requests per second (the {p['Principal'].split('.')[0]} permission {lid})",
            )


def translate_events(ctx: Context) -> None:
    """Fill triggers and workloads from SAM events and CloudFormation event resources."""
    for fn in list(ctx.functions):
        _sam_events(ctx, fn)
    for lid in ctx.of_type("AWS::Lambda::EventSourceMapping"):
        p = ctx.props(lid)
        owner = ctx.target(p.get("FunctionName"), ctx.where(lid, "FunctionName"), FUNCTION_TYPES)
        if owner is None:
            ctx.warnings.add(ctx.where(lid, "FunctionName"), "not a function of this template")
            continue
        _mapping(ctx, owner, p, f"Resources.{lid}.Properties", p.get("EventSourceArn"))
    _rules_and_schedules(ctx)
    _notifications(ctx)
    _urls_and_permissions(ctx)
