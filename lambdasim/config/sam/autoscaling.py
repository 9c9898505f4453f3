"""Application Auto Scaling of provisioned concurrency → ``provisioned_concurrency`` blocks.

An ``AWS::ApplicationAutoScaling::ScalableTarget`` with ``ScalableDimension:
lambda:function:ProvisionedConcurrency`` and ``ResourceId: function:NAME:ALIAS`` gives the
range (``MinCapacity`` / ``MaxCapacity``) and scheduled actions; an
``AWS::ApplicationAutoScaling::ScalingPolicy`` of type ``TargetTrackingScaling`` on
``LambdaProvisionedConcurrencyUtilization`` gives the target (aws-lambda-behaviour.md §9). A
scheduled action's ``MinCapacity`` becomes the PC the schedule sets (Application Auto Scaling
keeps the capacity at least there).
"""

from __future__ import annotations

from typing import Any

from lambdasim.config.sam.context import FUNCTION_TYPES, Context
from lambdasim.config.sam.events import normalise_schedule
from lambdasim.config.sam.functions import _int
from lambdasim.config.sam.intrinsics import Ref

__all__ = ["translate_autoscaling"]

_DIMENSION = "lambda:function:ProvisionedConcurrency"


def _function(ctx: Context, resource_id: Any, where: str) -> str | None:
    if not isinstance(resource_id, str) or not resource_id.startswith("function:"):
        ctx.warnings.add(where, f"ResourceId {resource_id} is not function:NAME:ALIAS; ignored")
        return None
    name = resource_id.split(":")[1]
    fn = ctx.target(name, where, FUNCTION_TYPES)
    if fn is None:
        ctx.warnings.add(where, f"function {name} is not declared in this template; ignored")
    return fn


def translate_autoscaling(ctx: Context) -> None:
    """Set ``provisioned_concurrency`` of functions whose PC is auto scaled."""
    targets: dict[str, tuple[str, dict[str, Any]]] = {}
    for lid in ctx.of_type("AWS::ApplicationAutoScaling::ScalableTarget"):
        p = ctx.props(lid)
        if p.get("ScalableDimension") != _DIMENSION:
            continue
        fn = _function(ctx, p.get("ResourceId"), ctx.where(lid, "ResourceId"))
        if fn is None or fn not in ctx.functions:
            continue
        lo = _int(ctx, p.get("MinCapacity"), ctx.where(lid, "MinCapacity"), "MinCapacity") or 0
        hi = _int(ctx, p.get("MaxCapacity"), ctx.where(lid, "MaxCapacity"), "MaxCapacity") or lo
        current = ctx.functions[fn].get("provisioned_concurrency")
        initial = current if isinstance(current, int) else lo
        pc: dict[str, Any] = {"initial": max(lo, min(hi, initial))}
        sched = []
        for i, a in enumerate(p.get("ScheduledActions") or []):
            w = ctx.where(lid, "ScheduledActions", str(i))
            if not isinstance(a, dict):
                continue
            tz = a.get("Timezone")
            if tz not in (None, "UTC", "Etc/UTC"):
                ctx.warnings.add(f"{w}.Timezone", f"{tz}: lambdasim schedules are UTC")
            expr = normalise_schedule(ctx, a.get("Schedule"), f"{w}.Schedule")
            act = a.get("ScalableTargetAction")
            v = (
                _int(
                    ctx,
                    act.get("MinCapacity"),
                    f"{w}.ScalableTargetAction.MinCapacity",
                    "MinCapacity",
                )
                if isinstance(act, dict)
                else None
            )
            if expr is not None and expr.startswith("cron(") and v is not None:
                sched.append({"cron": expr, "value": v})
            elif expr is not None:
                ctx.warnings.add(w, "only cron(...) actions with a MinCapacity are modelled")
        if sched:
            pc["schedule"] = sched
        pc["_range"] = (lo, hi)
        ctx.functions[fn]["provisioned_concurrency"] = pc
        targets[lid] = (fn, pc)
    for lid in ctx.of_type("AWS::ApplicationAutoScaling::ScalingPolicy"):
        p = ctx.props(lid)
        tid = p.get("ScalingTargetId")
        entry = targets.get(tid.logical_id) if isinstance(tid, Ref) else None
        if entry is None:
            if p.get("ScalableDimension") == _DIMENSION:
                ctx.warnings.add(
                    ctx.where(lid, "ScalingTargetId"),
                    "its scalable target is not in this template; ignored",
                )
            continue
        cfg = p.get("TargetTrackingScalingPolicyConfiguration")
        if p.get("PolicyType") != "TargetTrackingScaling" or not isinstance(cfg, dict):
            ctx.warnings.add(ctx.where(lid, "PolicyType"), "only target tracking is modelled")
            continue
        try:
            tv = float(cfg["TargetValue"])
        except (KeyError, TypeError, ValueError):
            ctx.warnings.add(ctx.where(lid, "TargetValue"), "cannot be read; ignored")
            continue
        fn, pc = entry
        lo, hi = pc["_range"]
        u = min(0.9, max(0.1, tv))
        if u != tv:
            ctx.warnings.add(ctx.where(lid, "TargetValue"), f"{tv:g} is outside 0.1–0.9; {u:g}")
        pc["target_tracking"] = {"target_utilization": u, "min": lo, "max": max(1, hi)}
    for _, pc in targets.values():
        pc.pop("_range", None)
