"""What the translation of one template shares: resolved properties, references, the output.

:class:`Context` holds the template, its :class:`~.intrinsics.Resolver`, the scenario blocks
being built (functions, queues, streams, workloads), the placeholders the user must set and the
warnings. The translators (:mod:`.functions`, :mod:`.events`) read and fill it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from lambdasim.config.sam.intrinsics import Attr, Ref, Resolver, Unresolved, Warnings
from lambdasim.config.sam.template import Template

__all__ = [
    "CAPACITY_PROVIDER_TYPES",
    "LAMBDA_FUNCTION",
    "SERVERLESS_FUNCTION",
    "Context",
    "merge_globals",
]

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
LAMBDA_FUNCTION = "AWS::Lambda::Function"
FUNCTION_TYPES = (SERVERLESS_FUNCTION, LAMBDA_FUNCTION)
QUEUE_TYPE = "AWS::SQS::Queue"
TOPIC_TYPE = "AWS::SNS::Topic"
STREAM_TYPES = ("AWS::Kinesis::Stream", "AWS::DynamoDB::Table")
CAPACITY_PROVIDER_TYPES = ("AWS::Serverless::CapacityProvider", "AWS::Lambda::CapacityProvider")

#: Properties never read by the translation (code, IAM, tags...): not evaluated, so that their
#: intrinsics cause no warnings.
NOT_EVALUATED = frozenset(
    {
        "Policies",
        "Environment",
        "Tags",
        "Description",
        "Metadata",
        "Code",
        "CodeUri",
        "InlineCode",
        "AssumeRolePolicyDocument",
        "PolicyDocument",
        "Layers",
        "Role",
        "ManagedPolicyArns",
        "ImageUri",
        "ImageConfig",
        "KmsKeyArn",
        "KmsMasterKeyId",
    }
)

_ARN = re.compile(r"arn:aws[a-z-]*:([a-z0-9-]+):[^:]*:[^:]*:(.+)")


def merge_globals(glob: Any, props: Any) -> dict[str, Any]:
    """SAM's rule for ``Globals``: the resource's primitives replace, maps merge, lists add.

    AWS SAM Developer Guide, "Globals section of the AWS SAM template"
    (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-specification-template-anatomy-globals.html).
    """
    if not isinstance(glob, dict):
        return dict(props) if isinstance(props, dict) else {}
    out: dict[str, Any] = dict(glob)
    for k, v in (props or {}).items():
        g = out.get(k)
        if isinstance(g, dict) and isinstance(v, dict) and not _intrinsic(g) and not _intrinsic(v):
            out[k] = merge_globals(g, v)
        elif isinstance(g, list) and isinstance(v, list):
            out[k] = [*g, *v]
        else:
            out[k] = v
    return out


def _intrinsic(d: dict[str, Any]) -> bool:
    return (len(d) == 1 and next(iter(d)) in ("Ref", "Condition")) or any(
        str(k).startswith("Fn::") for k in d
    )


@dataclass
class Context:
    """The state of one translation (see the module docstring)."""

    template: Template
    resolver: Resolver
    warnings: Warnings
    region: str
    functions: dict[str, dict[str, Any]] = field(default_factory=dict)
    queues: dict[str, dict[str, Any]] = field(default_factory=dict)
    streams: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Lambda Managed Instances capacity providers (``capacity_providers.NAME``)
    capacity_providers: dict[str, dict[str, Any]] = field(default_factory=dict)
    workloads: list[dict[str, Any]] = field(default_factory=list)
    #: dotted path of the scenario → why it is a placeholder
    placeholders: dict[str, str] = field(default_factory=dict)
    #: facts worth a line in the header of the written scenario
    notes: list[str] = field(default_factory=list)
    #: logical ids of resources skipped by their Condition
    skipped: set[str] = field(default_factory=set)
    _props: dict[str, dict[str, Any]] = field(default_factory=dict)
    _names: dict[str, str] | None = None

    # ------------------------------------------------------------------ resources

    @property
    def resources(self) -> dict[str, Any]:
        """Logical id → resource, without those whose Condition is false."""
        return {k: v for k, v in self.template.resources.items() if k not in self.skipped}

    def rtype(self, lid: str) -> str | None:
        """The Type of resource ``lid`` (None if there is none)."""
        r = self.resources.get(lid)
        return r.get("Type") if isinstance(r, dict) else None

    def of_type(self, *types: str) -> list[str]:
        """Logical ids of the resources of these types, in template order."""
        return [k for k, r in self.resources.items() if r.get("Type") in types]

    def props(self, lid: str) -> dict[str, Any]:
        """The resolved Properties of ``lid`` (SAM functions merged with Globals.Function)."""
        if lid not in self._props:
            r = self.template.resources[lid]
            raw = r.get("Properties") or {}
            if not isinstance(raw, dict):
                self.warnings.add(f"Resources.{lid}.Properties", "not a mapping; ignored")
                raw = {}
            if r.get("Type") == SERVERLESS_FUNCTION:
                g = self.template.data.get("Globals")
                gf = g.get("Function") if isinstance(g, dict) else None
                raw = merge_globals(gf, raw)
            raw = {k: v for k, v in raw.items() if k not in NOT_EVALUATED}
            out = self.resolver.resolve(raw, f"Resources.{lid}.Properties")
            self._props[lid] = out if isinstance(out, dict) else {}
        return self._props[lid]

    def where(self, lid: str, *path: str) -> str:
        """``Resources.LID.Properties.A.B`` for warnings."""
        return ".".join(("Resources", lid, "Properties", *path))

    def physical_names(self) -> dict[str, str]:
        """Physical names given in the template (FunctionName, QueueName, ...) → logical id."""
        if self._names is None:
            names: dict[str, str] = {}
            keys = (
                "FunctionName",
                "QueueName",
                "TopicName",
                "Name",
                "TableName",
                "CapacityProviderName",
            )
            for lid in self.resources:
                raw = self.template.resources[lid].get("Properties")
                if not isinstance(raw, dict):
                    continue
                for k in keys:
                    if k in raw:
                        v = self.resolver.resolve(raw[k], self.where(lid, k))
                        if isinstance(v, str):
                            names[v] = lid
            self._names = names
        return self._names

    def target(self, value: Any, where: str, types: tuple[str, ...]) -> str | None:
        """The logical id a property refers to (``!Ref X``, ``!GetAtt X.Arn``, an ARN or a
        name), if it is a resource of one of ``types``; None otherwise (no warning)."""
        lid: str | None = None
        if isinstance(value, Ref | Attr):
            lid = value.logical_id
        elif isinstance(value, str):
            name = value
            m = _ARN.fullmatch(value)
            if m is not None:
                rest = m.group(2)
                # function:NAME[:qualifier], stream/NAME, table/NAME/stream/...,
                # capacity-provider:NAME, or NAME
                for prefix in ("function:", "stream/", "table/", "capacity-provider:"):
                    if rest.startswith(prefix):
                        rest = rest[len(prefix) :]
                name = rest.split(":")[0].split("/")[0]
            lid = name if name in self.resources else self.physical_names().get(name)
        if lid is not None and self.rtype(lid) in types:
            return lid
        return None

    def external_name(self, value: Any) -> str | None:
        """A usable name for a resource the template does not declare (from its ARN)."""
        if isinstance(value, str):
            m = _ARN.fullmatch(value)
            tail = m.group(2) if m else value
            name = re.sub(r"[^A-Za-z0-9_-]", "-", tail.split("/")[-1].split(":")[-1])[:64]
            return name.strip("-") or None
        if isinstance(value, Unresolved):
            return None
        return None

    # ------------------------------------------------------------------ output

    def placeholder(self, path: str, reason: str) -> None:
        """Mark the scenario field ``path`` as a placeholder the user must set."""
        self.placeholders[path] = reason

    def add_workload(self, wl: dict[str, Any], placeholder: str | None) -> int:
        """Append a workload; with ``placeholder``, mark its arrivals rate. Returns the index."""
        self.workloads.append(wl)
        i = len(self.workloads) - 1
        if placeholder is not None:
            a = wl["arrivals"]
            key = "rate_per_s" if "rate_per_s" in a else "arrivals"
            path = f"workloads.{i}.arrivals" + (f".{key}" if key != "arrivals" else "")
            self.placeholder(path, placeholder)
        return i
