"""SQS queues, SNS topics, Kinesis streams and DynamoDB streams of a template → scenario blocks.

``AWS::SQS::Queue``: ``VisibilityTimeout`` (default 30 s), ``MessageRetentionPeriod`` (4 days),
``FifoQueue``, ``RedrivePolicy`` (``deadLetterTargetArn``, ``maxReceiveCount``; also as the JSON
string older templates use). ``AWS::Kinesis::Stream``: ``ShardCount``, ``RetentionPeriodHours``
(on-demand streams have no shard count in the template: a placeholder).
``AWS::DynamoDB::Table`` with ``StreamSpecification``: a DynamoDB stream, whose shard count
DynamoDB decides (a placeholder). Defaults: aws-lambda-behaviour.md §7.6, §8.
"""

from __future__ import annotations

import json
from typing import Any

from lambdasim.config.sam.context import QUEUE_TYPE, STREAM_TYPES, Context
from lambdasim.config.sam.intrinsics import Unresolved

__all__ = ["queue_name", "stream_name"]


def _num(v: Any) -> float | None:
    if isinstance(v, bool) or v is None or isinstance(v, Unresolved):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _in(ctx: Context, v: float | None, lo: float, hi: float, where: str) -> float | None:
    if v is not None and not lo <= v <= hi:
        c = min(hi, max(lo, v))
        ctx.warnings.add(where, f"{v:g} is outside {lo:g}–{hi:g}; {c:g} used")
        return c
    return v


def queue_name(ctx: Context, lid: str) -> str:
    """The scenario name of queue ``lid`` (``LID`` or ``LID.fifo``), translating it once."""
    props = ctx.props(lid)
    fifo = str(props.get("FifoQueue", "false")).lower() == "true"
    name = f"{lid}.fifo" if fifo else lid
    if name in ctx.queues:
        return name
    q: dict[str, Any] = {"kind": "fifo" if fifo else "standard"}
    ctx.queues[name] = q  # before the redrive target: a queue that redrives to itself ends here
    vt = _in(
        ctx, _num(props.get("VisibilityTimeout")), 0, 43200, ctx.where(lid, "VisibilityTimeout")
    )
    if vt is not None:
        q["visibility_timeout_s"] = vt
    rp = _in(
        ctx,
        _num(props.get("MessageRetentionPeriod")),
        60,
        1_209_600,
        ctx.where(lid, "MessageRetentionPeriod"),
    )
    if rp is not None:
        q["retention_s"] = rp
    delay = _num(props.get("DelaySeconds"))
    if delay:
        ctx.warnings.add(ctx.where(lid, "DelaySeconds"), "delivery delay is not modelled")
    red = props.get("RedrivePolicy")
    if isinstance(red, str):
        try:
            red = json.loads(red)
        except json.JSONDecodeError:
            ctx.warnings.add(ctx.where(lid, "RedrivePolicy"), "not JSON; ignored")
            red = None
    if isinstance(red, dict):
        w = ctx.where(lid, "RedrivePolicy")
        target = red.get("deadLetterTargetArn")
        tl = ctx.target(target, w, (QUEUE_TYPE,))
        mrc = _num(red.get("maxReceiveCount"))
        if tl is None or mrc is None:
            ctx.warnings.add(w, "the dead-letter queue or maxReceiveCount cannot be resolved")
        else:
            dlq = queue_name(ctx, tl)
            if ctx.queues[dlq]["kind"] != q["kind"]:
                ctx.warnings.add(
                    w, "a FIFO queue needs a FIFO DLQ (and standard, standard); redrive ignored"
                )
            else:
                q["max_receive_count"] = int(min(1000, max(1, mrc)))
                q["redrive_to"] = dlq
    return name


def stream_name(ctx: Context, lid: str, where: str) -> str | None:
    """The scenario name of the Kinesis stream / DynamoDB table stream ``lid``."""
    if lid in ctx.streams:
        return lid
    props = ctx.props(lid)
    if ctx.rtype(lid) == "AWS::DynamoDB::Table":
        if not props.get("StreamSpecification"):
            ctx.warnings.add(where, f"table {lid} has no StreamSpecification; ignored")
            return None
        ctx.streams[lid] = {"kind": "dynamodb", "shards": 1}
        ctx.placeholder(
            f"streams.{lid}.shards",
            "DynamoDB decides the number of stream shards (one per table partition)",
        )
        return lid
    s: dict[str, Any] = {"kind": "kinesis"}
    shards = _num(props.get("ShardCount"))
    mode = props.get("StreamModeDetails")
    on_demand = isinstance(mode, dict) and str(mode.get("StreamMode", "")).upper() == "ON_DEMAND"
    if shards is None:
        s["shards"] = 4 if on_demand else 1
        ctx.placeholders[f"streams.{lid}.shards"] = (
            "an on-demand stream scales its shards itself (4 at first)"
            if on_demand
            else "ShardCount is not in the template"
        )
    else:
        s["shards"] = int(min(10000, max(1, shards)))
    hours = _num(props.get("RetentionPeriodHours"))
    if hours is not None:
        s["retention_s"] = float(min(31_536_000, max(3600, hours * 3600)))
    ctx.streams[lid] = s
    return lid


def stream_of(ctx: Context, value: Any, where: str) -> str | None:
    """The scenario stream a mapping's ``Stream`` / ``EventSourceArn`` names (None: warned)."""
    lid = ctx.target(value, where, STREAM_TYPES)
    if lid is None:
        ctx.warnings.add(where, f"stream {value} is not declared in this template; ignored")
        return None
    return stream_name(ctx, lid, where)
