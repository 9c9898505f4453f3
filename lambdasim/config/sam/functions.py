"""``AWS::Serverless::Function`` / ``AWS::Lambda::Function`` → a ``functions.NAME`` block.

Memory, timeout, architecture, runtime (→ the cold-start preset of its family), package type,
ephemeral storage, reserved concurrency, VPC, recursive-loop setting, SnapStart; provisioned
concurrency from ``ProvisionedConcurrencyConfig`` (with ``AutoPublishAlias``) and from
``AWS::Lambda::Version`` / ``AWS::Lambda::Alias`` resources; async settings from
``EventInvokeConfig`` / ``AWS::Lambda::EventInvokeConfig`` (retries, maximum age, destinations)
and ``DeadLetterQueue`` / ``DeadLetterConfig``. The handler duration is not in a template: it
is a placeholder the user must set. Defaults are AWS's (aws-lambda-behaviour.md §3, §13: 128 MB,
3 s). ``CapacityProviderConfig`` (Lambda Managed Instances) is :mod:`.managed`'s.
"""

from __future__ import annotations

import math
from typing import Any

from lambdasim import coldstart
from lambdasim.config.runtime import FUNCTION_LIMITS
from lambdasim.config.sam.context import (
    FUNCTION_TYPES,
    LAMBDA_FUNCTION,
    QUEUE_TYPE,
    TOPIC_TYPE,
    Context,
)
from lambdasim.config.sam.intrinsics import Unresolved
from lambdasim.config.sam.resources import queue_name

__all__ = ["PLACEHOLDER_DURATION", "translate_functions"]

#: The handler duration a template cannot give: p50 100 ms, p99 1 s (marked PLACEHOLDER).
PLACEHOLDER_DURATION: dict[str, Any] = {"dist": "lognormal", "p50_s": 0.1, "p99_s": 1.0}

#: Properties read by this module or by :mod:`.events`.
_READ = {
    "MemorySize",
    "Timeout",
    "Architectures",
    "Runtime",
    "PackageType",
    "EphemeralStorage",
    "ReservedConcurrentExecutions",
    "ProvisionedConcurrencyConfig",
    "AutoPublishAlias",
    "EventInvokeConfig",
    "DeadLetterQueue",
    "DeadLetterConfig",
    "VpcConfig",
    "RecursiveLoop",
    "SnapStart",
    "Events",
    "FunctionUrlConfig",
    "CapacityProviderConfig",
    "FunctionScalingConfig",
}
#: Properties that do not change scaling, latency or cost in the model: read silently.
_IRRELEVANT = {
    "CodeUri",
    "Code",
    "InlineCode",
    "ImageUri",
    "ImageConfig",
    "Handler",
    "Environment",
    "Policies",
    "Role",
    "RolePath",
    "Tracing",
    "TracingConfig",
    "Tags",
    "Description",
    "FunctionName",
    "KmsKeyArn",
    "VersionDescription",
    "AutoPublishCodeSha256",
    "Layers",
    "PermissionsBoundary",
    "AssumeRolePolicyDocument",
    "PropagateTags",
    "LoggingConfig",
    "CodeSigningConfigArn",
    "RuntimeManagementConfig",
    "DeploymentPreference",
    "AutoPublishAliasAllProperties",
    "Metadata",
    "VersionDeletionPolicy",
    "SourceKMSKeyArn",
    "FileSystemConfigs",
    "Publish",
}


def _int(ctx: Context, v: Any, where: str, what: str) -> int | None:
    """``v`` as an int (numbers and numeric strings); a warning and None otherwise."""
    if v is None:
        return None
    if isinstance(v, bool) or isinstance(v, Unresolved):
        ctx.warnings.add(where, f"{what} {v} cannot be read; AWS's default is used")
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        ctx.warnings.add(where, f"{what} {v!r} is not a number; AWS's default is used")
        return None
    if not math.isfinite(f):
        return None
    return math.ceil(f) if not f.is_integer() else int(f)


def _clamped(ctx: Context, field: str, v: int | None, where: str) -> int | None:
    if v is None:
        return None
    lo, hi, name = FUNCTION_LIMITS[field]
    if not lo <= v <= hi:
        c = int(min(hi, max(lo, v)))
        ctx.warnings.add(where, f"{v} is outside the {name}; {c} used")
        return c
    return v


def _queue_of(ctx: Context, value: Any, where: str) -> str | None:
    """The scenario queue for an SQS queue / SNS topic reference (added when external)."""
    lid = ctx.target(value, where, (QUEUE_TYPE, TOPIC_TYPE))
    if lid is not None:
        if ctx.rtype(lid) == TOPIC_TYPE:
            ctx.queues.setdefault(lid, {"kind": "topic"})
            return lid
        return queue_name(ctx, lid)
    name = ctx.external_name(value)
    if name is None:
        ctx.warnings.add(where, f"destination {value} cannot be resolved; ignored")
        return None
    kind = "topic" if isinstance(value, str) and ":sns:" in value else "standard"
    ctx.queues.setdefault(name, {"kind": kind})
    ctx.warnings.add(where, f"'{name}' is not declared in this template; a {kind} queue assumed")
    return name


def _destination(ctx: Context, d: Any, where: str) -> dict[str, Any] | None:
    """An EventInvokeConfig destination: ``{queue: ...}`` or ``{function: ...}``."""
    if not isinstance(d, dict):
        return None
    kind = str(d.get("Type", "")).upper()
    target = d.get("Destination")
    if kind in ("LAMBDA",) or ctx.target(target, where, FUNCTION_TYPES):
        fn = ctx.target(target, where, FUNCTION_TYPES)
        if fn is None:
            ctx.warnings.add(where, "a Lambda destination outside this template; ignored")
            return None
        return {"function": fn}
    if kind in ("EVENTBRIDGE", "S3"):
        ctx.warnings.add(where, f"{kind} destinations are not modelled; ignored")
        return None
    q = _queue_of(ctx, target, where)
    return {"queue": q} if q is not None else None


def async_block(ctx: Context, lid: str, eic: Any, where: str) -> dict[str, Any]:
    """The ``async`` block of an EventInvokeConfig (SAM property or CloudFormation resource)."""
    out: dict[str, Any] = {}
    if not isinstance(eic, dict):
        return out
    r = _int(ctx, eic.get("MaximumRetryAttempts"), f"{where}.MaximumRetryAttempts", "retries")
    if r is not None:
        out["max_retry_attempts"] = min(2, max(0, r))
        if out["max_retry_attempts"] != r:
            ctx.warnings.add(f"{where}.MaximumRetryAttempts", f"{r} is outside 0–2; clamped")
    a = _int(ctx, eic.get("MaximumEventAgeInSeconds"), f"{where}.MaximumEventAgeInSeconds", "age")
    if a is not None:
        out["max_event_age_s"] = float(min(21600, max(60, a)))
    dc = eic.get("DestinationConfig")
    if isinstance(dc, dict):
        for key, name in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
            d = _destination(ctx, dc.get(key), f"{where}.DestinationConfig.{key}")
            if d is not None:
                out[name] = d
    return out


def _cold_start(ctx: Context, lid: str, fn: dict[str, Any], props: dict[str, Any]) -> None:
    runtime = props.get("Runtime")
    snap = props.get("SnapStart")
    snap_on = isinstance(snap, dict) and str(snap.get("ApplyOn", "None")) == "PublishedVersions"
    family: str | None = None
    if isinstance(runtime, str):
        try:
            family = coldstart.runtime_family(runtime)
            fn["runtime"] = runtime
        except ValueError:
            ctx.warnings.add(
                ctx.where(lid, "Runtime"),
                f"runtime '{runtime}' has no cold-start preset in lambdasim; set cold_start",
            )
    if family == "java" and snap_on:
        family = "java-snapstart"
        fn["runtime"] = f"{runtime}-snapstart"
    elif snap_on:
        ctx.warnings.add(
            ctx.where(lid, "SnapStart"),
            f"SnapStart restore for {runtime} is not modelled; the {family} INIT preset is used",
        )
    if family is None:
        fn["cold_start"] = {"preset": "python"}
        why = "a container image" if fn.get("package_type") == "image" else "an unknown runtime"
        ctx.placeholder(f"functions.{lid}.cold_start", f"INIT of {why}: the python preset")
    else:
        fn["cold_start"] = {"preset": family}


def _one(ctx: Context, lid: str) -> dict[str, Any]:
    props = ctx.props(lid)
    fn: dict[str, Any] = {}
    arch = props.get("Architectures")
    if isinstance(arch, list) and arch:
        if arch[0] in ("x86_64", "arm64"):
            fn["architecture"] = arch[0]
        else:
            ctx.warnings.add(ctx.where(lid, "Architectures"), f"unknown {arch[0]!r}; x86_64 used")
    mem = _int(ctx, props.get("MemorySize"), ctx.where(lid, "MemorySize"), "MemorySize")
    fn["memory_mb"] = _clamped(ctx, "memory_mb", mem, ctx.where(lid, "MemorySize")) or 128
    t = _int(ctx, props.get("Timeout"), ctx.where(lid, "Timeout"), "Timeout")
    fn["timeout_s"] = float(_clamped(ctx, "timeout_s", t, ctx.where(lid, "Timeout")) or 3)
    es = props.get("EphemeralStorage")
    if isinstance(es, dict) and "Size" in es:
        w = ctx.where(lid, "EphemeralStorage", "Size")
        v = _clamped(ctx, "ephemeral_storage_mb", _int(ctx, es["Size"], w, "Size"), w)
        if v is not None:
            fn["ephemeral_storage_mb"] = v
    rc = _int(
        ctx,
        props.get("ReservedConcurrentExecutions"),
        ctx.where(lid, "ReservedConcurrentExecutions"),
        "ReservedConcurrentExecutions",
    )
    if rc is not None:
        fn["reserved_concurrency"] = max(0, rc)
    pt = props.get("PackageType")
    if isinstance(pt, str) and pt.lower() in ("zip", "image"):
        fn["package_type"] = pt.lower()
    if props.get("VpcConfig"):
        fn["vpc"] = True
    rl = props.get("RecursiveLoop")
    if isinstance(rl, str) and rl.lower() in ("allow", "terminate"):
        fn["recursive_loop"] = rl.lower()
    _cold_start(ctx, lid, fn, props)
    fn["duration"] = dict(PLACEHOLDER_DURATION)
    ctx.placeholder(
        f"functions.{lid}.duration",
        "handler duration: a template cannot say it; set it, or calibrate with --logs or --metrics",
    )
    pcc = props.get("ProvisionedConcurrencyConfig")
    if isinstance(pcc, dict):
        w = ctx.where(lid, "ProvisionedConcurrencyConfig", "ProvisionedConcurrentExecutions")
        n = _int(ctx, pcc.get("ProvisionedConcurrentExecutions"), w, "provisioned concurrency")
        if n is not None and not props.get("AutoPublishAlias"):
            ctx.warnings.add(w, "needs AutoPublishAlias (SAM publishes PC on the alias); ignored")
        elif n:
            fn["provisioned_concurrency"] = n
    a = async_block(ctx, lid, props.get("EventInvokeConfig"), ctx.where(lid, "EventInvokeConfig"))
    dlq = props.get("DeadLetterQueue") or props.get("DeadLetterConfig")
    if isinstance(dlq, dict) and dlq.get("TargetArn") is not None:
        key = "DeadLetterQueue" if "DeadLetterQueue" in props else "DeadLetterConfig"
        q = _queue_of(ctx, dlq["TargetArn"], ctx.where(lid, key, "TargetArn"))
        if q is not None:
            a["dead_letter"] = {"queue": q}
    if a:
        fn["async"] = a
    for k in props:
        if k not in _READ and k not in _IRRELEVANT:
            ctx.warnings.add(ctx.where(lid, k), "not understood; ignored")
    return fn


def _function_of(ctx: Context, value: Any, where: str) -> str | None:
    lid = ctx.target(value, where, FUNCTION_TYPES)
    if lid is None:
        ctx.warnings.add(where, f"function {value} is not declared in this template; ignored")
    return lid


def _versions_and_aliases(ctx: Context) -> None:
    """PC on ``AWS::Lambda::Version`` / ``Alias`` and ``AWS::Lambda::EventInvokeConfig``."""
    pc: dict[str, int] = {}
    for lid in ctx.of_type("AWS::Lambda::Version", "AWS::Lambda::Alias"):
        p = ctx.props(lid)
        fn = _function_of(ctx, p.get("FunctionName"), ctx.where(lid, "FunctionName"))
        pcc = p.get("ProvisionedConcurrencyConfig")
        if fn is None or not isinstance(pcc, dict):
            continue
        w = ctx.where(lid, "ProvisionedConcurrencyConfig", "ProvisionedConcurrentExecutions")
        n = _int(ctx, pcc.get("ProvisionedConcurrentExecutions"), w, "provisioned concurrency")
        if n:
            if fn in pc:
                ctx.warnings.add(w, f"a second PC configuration of {fn}: the two are added")
            pc[fn] = pc.get(fn, 0) + n
    for fn, n in pc.items():
        if fn in ctx.functions:
            ctx.functions[fn]["provisioned_concurrency"] = (
                ctx.functions[fn].get("provisioned_concurrency", 0) + n
            )
    for lid in ctx.of_type("AWS::Lambda::EventInvokeConfig"):
        p = ctx.props(lid)
        fn = _function_of(ctx, p.get("FunctionName"), ctx.where(lid, "FunctionName"))
        if fn is None or fn not in ctx.functions:
            continue
        a = async_block(ctx, fn, p, f"Resources.{lid}.Properties")
        ctx.functions[fn].setdefault("async", {}).update(a)


def translate_functions(ctx: Context) -> None:
    """Fill ``ctx.functions`` from the template (one block per function resource)."""
    for lid in ctx.of_type(*FUNCTION_TYPES):
        ctx.functions[lid] = _one(ctx, lid)
        if ctx.rtype(lid) == LAMBDA_FUNCTION and ctx.props(lid).get("Events"):
            ctx.warnings.add(ctx.where(lid, "Events"), "Events is a SAM property; ignored")
    _versions_and_aliases(ctx)
    for lid, fn in ctx.functions.items():
        rc, pc = fn.get("reserved_concurrency"), fn.get("provisioned_concurrency")
        if rc is not None and pc is not None and pc > rc:
            ctx.warnings.add(
                f"Resources.{lid}",
                f"provisioned concurrency {pc} above reserved concurrency {rc}: AWS rejects "
                f"this; {rc} used",
            )
            fn["provisioned_concurrency"] = rc
