"""Template → scenario: parameters, conditions, translation, placeholders, validation.

``Parameters`` take their ``Default`` unless overridden (``--parameter KEY=VALUE``); a name the
template does not declare is an error, as in CloudFormation ("Parameters: [X] do not exist in
the template"). ``Number`` parameters become numbers, list types lists. A resource whose
``Condition`` is false is left out; a condition that cannot be evaluated keeps the resource,
with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdasim.config.errors import ConfigError
from lambdasim.config.placeholders import dump_marked
from lambdasim.config.sam.autoscaling import translate_autoscaling
from lambdasim.config.sam.context import CAPACITY_PROVIDER_TYPES, FUNCTION_TYPES, Context
from lambdasim.config.sam.events import translate_events
from lambdasim.config.sam.functions import translate_functions
from lambdasim.config.sam.intrinsics import PSEUDO_DEFAULTS, Resolver, Warnings
from lambdasim.config.sam.managed import translate_managed_instances
from lambdasim.config.sam.template import Template, TemplateError, load_template

__all__ = ["DEFAULT_HORIZON_S", "SamImport", "import_template"]

#: Simulated time of an imported scenario: one hour (a template says nothing about it).
DEFAULT_HORIZON_S = 3600.0

#: Resource types that invoke or host Lambda functions but are not modelled: a warning each.
_MATTERS = (
    "AWS::Serverless::StateMachine",
    "AWS::StepFunctions::StateMachine",
    "AWS::Pipes::Pipe",
    "AWS::Serverless::Application",
    "AWS::CloudFormation::Stack",
    "AWS::IoT::TopicRule",
    "AWS::AppSync::DataSource",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::Serverless::GraphQLApi",
    "AWS::Lambda::CodeSigningConfig",
)
#: Resource types the translators read.
_HANDLED = {
    *FUNCTION_TYPES,
    *CAPACITY_PROVIDER_TYPES,
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::SNS::Subscription",
    "AWS::Kinesis::Stream",
    "AWS::DynamoDB::Table",
    "AWS::Events::Rule",
    "AWS::Scheduler::Schedule",
    "AWS::S3::Bucket",
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    *_MATTERS,
}


@dataclass
class SamImport:
    """A translated template.

    Attributes
    ----------
    config : dict
        The scenario, as plain data (validated).
    placeholders : dict
        Dotted scenario path → why the value is a placeholder the user must set.
    warnings : list of str
        ``Resources.X.Properties.Y: message`` for everything not understood.
    notes : list of str
        Other facts (resources left out by a condition, ignored resource types).
    template : Template
        The template read.
    function_names : dict
        Physical ``FunctionName`` (when the template sets one) → scenario function.
    """

    config: dict[str, Any]
    placeholders: dict[str, str]
    warnings: list[str]
    notes: list[str]
    template: Template
    function_names: dict[str, str] = field(default_factory=dict)

    def header(self, command: str) -> list[str]:
        """The comment lines the written scenario starts with."""
        t = self.template
        head = [
            f"Imported by `{command}`",
            f"from {t.path.name}: {len(self.config['functions'])} function(s), "
            f"{len(self.config['workloads'])} workload(s), "
            f"{len(self.placeholders)} placeholder(s) to set (lines marked PLACEHOLDER; "
            "`lambdasim validate` lists them).",
        ]
        if self.warnings:
            head.append(f"{len(self.warnings)} warning(s) while importing:")
            head += [f"  {w}" for w in self.warnings]
        head += [f"note: {n}" for n in self.notes]
        return head

    def to_yaml(self, command: str = "lambdasim import sam") -> str:
        """The scenario as YAML: a comment header, placeholders marked."""
        return dump_marked(self.config, self.placeholders, self.header(command))


def _parameters(
    t: Template, overrides: Mapping[str, Any], w: Warnings
) -> tuple[dict[str, Any], dict[str, str]]:
    declared = t.data.get("Parameters") or {}
    if not isinstance(declared, dict):
        w.add("Parameters", "not a mapping; ignored")
        declared = {}
    unknown = [k for k in overrides if k not in declared and k not in PSEUDO_DEFAULTS]
    if unknown:
        raise TemplateError(
            f"{t.path}: --parameter {', '.join(unknown)}: not a parameter of the template "
            f"(parameters: {', '.join(declared) or 'none'})"
        )
    values: dict[str, Any] = {k: v for k, v in PSEUDO_DEFAULTS.items()}
    missing: dict[str, str] = {}
    for name, spec in declared.items():
        spec = spec if isinstance(spec, dict) else {}
        ptype = str(spec.get("Type", "String"))
        where = f"Parameters.{name}"
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            missing[name] = f"parameter {name} has no Default; give --parameter {name}=VALUE"
            continue
        if ptype.startswith("AWS::SSM::Parameter::Value") and name not in overrides:
            missing[name] = f"parameter {name} is read from SSM at deploy time; give --parameter"
            continue
        values[name] = _typed(raw, ptype, where, spec, w)
    for k, v in overrides.items():
        if k in PSEUDO_DEFAULTS:
            values[k] = v
    return values, missing


def _typed(raw: Any, ptype: str, where: str, spec: dict[str, Any], w: Warnings) -> Any:
    if ptype == "Number":
        try:
            f = float(raw)
        except (TypeError, ValueError):
            w.add(where, f"{raw!r} is not a Number")
            return raw
        v: Any = int(f) if f.is_integer() else f
        for key, sign in (("MinValue", 1.0), ("MaxValue", -1.0)):
            try:
                broken = key in spec and sign * (f - float(spec[key])) < 0
            except (TypeError, ValueError):
                broken = False
            if broken:
                w.add(where, f"{raw} breaks {key} {spec[key]} (CloudFormation rejects it)")
        return v
    if ptype in ("CommaDelimitedList", "List<Number>") or ptype.startswith("List<"):
        items = raw if isinstance(raw, list) else [s.strip() for s in str(raw).split(",")]
        return items
    allowed = spec.get("AllowedValues")
    if isinstance(allowed, list) and str(raw) not in [str(a) for a in allowed]:
        w.add(where, f"{raw!r} is not one of AllowedValues {allowed} (CloudFormation rejects it)")
    return raw if isinstance(raw, str) else str(raw)


def _skip_by_condition(ctx: Context) -> None:
    for lid, r in ctx.template.resources.items():
        cond = r.get("Condition")
        if isinstance(cond, str):
            v = ctx.resolver.condition(cond, f"Resources.{lid}.Condition")
            if v is False:
                ctx.skipped.add(lid)
                ctx.notes.append(f"Resources.{lid}: condition {cond} is false; left out")
            elif v is None:
                ctx.warnings.add(
                    f"Resources.{lid}.Condition",
                    f"condition {cond} cannot be evaluated; the resource is kept",
                )


def _scenario_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", path.stem)[:64].strip("-.")
    return name or "sam-import"


def _assemble(ctx: Context, name: str) -> dict[str, Any]:
    for fn, block in ctx.functions.items():
        if not any(w["target"] == fn for w in ctx.workloads) and not block.get("trigger"):
            ctx.add_workload(
                {
                    "name": f"{fn}-direct",
                    "target": fn,
                    "invocation": "sync",
                    "arrivals": {"kind": "poisson", "rate_per_s": 1.0},
                },
                "nothing in the template invokes this function: requests per second",
            )
    cfg: dict[str, Any] = {"version": 1, "name": name, "seed": 1, "horizon_s": DEFAULT_HORIZON_S}
    reserved = sum(f.get("reserved_concurrency") or 0 for f in ctx.functions.values())
    account: dict[str, Any] = {"region": ctx.region}
    if reserved > 900:
        # the account quota is a soft limit: keep AWS's 100 unreserved above the reservations
        account["concurrency"] = reserved + 100
        ctx.notes.append(
            f"reserved concurrency adds up to {reserved}: account.concurrency set to "
            f"{reserved + 100} (AWS keeps 100 unreserved; the default quota is 1,000)"
        )
    cfg["account"] = account
    if ctx.queues:
        cfg["queues"] = ctx.queues
    if ctx.streams:
        cfg["streams"] = ctx.streams
    if ctx.capacity_providers:
        cfg["capacity_providers"] = ctx.capacity_providers
    cfg["functions"] = ctx.functions
    cfg["workloads"] = ctx.workloads
    return cfg


def import_template(
    path: str | Path,
    parameters: Mapping[str, Any] | None = None,
    *,
    region: str | None = None,
) -> SamImport:
    """Translate a SAM / CloudFormation template into a validated draft scenario.

    Parameters
    ----------
    path : str or Path
        The template (YAML or JSON).
    parameters : mapping, optional
        Parameter overrides (``--parameter KEY=VALUE``); pseudo parameters such as
        ``AWS::Region`` too.
    region : str, optional
        ``account.region`` of the scenario (default ``AWS::Region``, else us-east-1).

    Returns
    -------
    SamImport
        The scenario data with its placeholders, warnings and notes.

    Raises
    ------
    TemplateError
        Not a YAML/JSON template, an unknown ``--parameter``, no function to simulate, or a
        translation that AWS itself would reject in a way lambdasim cannot repair.
    """
    t = load_template(path)
    overrides = dict(parameters or {})
    w = Warnings()
    for d in t.duplicates:
        w.add("", f"{t.path.name} {d} (CloudFormation rejects duplicate keys; the last is used)")
    values, missing = _parameters(t, overrides, w)
    reg = region or str(values.get("AWS::Region", "us-east-1"))
    values["AWS::Region"] = reg
    resolver = Resolver(
        values,
        missing,
        t.data.get("Mappings") or {},
        t.data.get("Conditions") or {},
        set(t.resources),
        w,
    )
    ctx = Context(t, resolver, w, reg)
    _skip_by_condition(ctx)
    if not ctx.of_type(*FUNCTION_TYPES):
        raise TemplateError(
            f"{t.path}: no AWS::Serverless::Function or AWS::Lambda::Function resource: "
            "nothing to simulate"
        )
    translate_functions(ctx)
    translate_events(ctx)
    translate_autoscaling(ctx)
    translate_managed_instances(ctx)  # last: it drops what LMI functions cannot have (PC...)
    ignored: dict[str, int] = {}
    for lid, r in ctx.resources.items():
        rt = r["Type"]
        if rt in _MATTERS:
            w.add(f"Resources.{lid}", f"{rt} invokes or hosts functions but is not modelled")
        elif rt not in _HANDLED and not rt.startswith("AWS::Lambda::"):
            ignored[rt] = ignored.get(rt, 0) + 1
    if ignored:
        ctx.notes.append(
            "resources outside the model (no effect on scaling, latency or cost here): "
            + ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(ignored.items()))
        )
    cfg = _assemble(ctx, _scenario_name(t.path))
    names = {
        v: k for v, k in ctx.physical_names().items() if k in ctx.functions and isinstance(v, str)
    }
    imp = SamImport(cfg, ctx.placeholders, w.items, ctx.notes, t, names)
    _validate(imp)
    return imp


def _validate(imp: SamImport) -> None:
    """The scenario must validate; a problem AWS would reject too is reported, not a crash."""
    from lambdasim.config.scenario import Scenario

    try:
        Scenario.from_dict(imp.config, source=str(imp.template.path))
    except ConfigError as exc:
        lines = [f"{imp.template.path}: the translated scenario does not validate:"]
        lines += [f"  {i.format('scenario')}" for i in exc.issues]
        raise TemplateError("\n".join(lines)) from None
