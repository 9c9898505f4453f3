"""Evaluating CloudFormation intrinsic functions, parameters and conditions where they can be.

What a template can say without being deployed is evaluated: ``Ref`` of a parameter or a
pseudo parameter, ``Fn::Sub``, ``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::FindInMap``,
``Fn::If`` with ``Conditions`` (``Fn::Equals``, ``Fn::Not``, ``Fn::And``, ``Fn::Or``,
``Condition``), ``Fn::Base64``, ``Fn::GetAZs``, ``Fn::Length``, ``Fn::ToJsonString``. A
reference to another resource stays a reference (:class:`Ref`, :class:`Attr`): the translator
follows it (an SQS event's ``Queue: !GetAtt MyQueue.Arn`` names the queue ``MyQueue``). What
only exists once deployed (``Fn::ImportValue``, ``Fn::GetAtt`` of a value inside a string,
``Fn::Transform`` / ``AWS::Include``, ``Fn::Cidr``) becomes :class:`Unresolved`, with a warning
naming the resource and property; nothing raises.

Pseudo parameters take placeholder values (``AWS::Region`` = the scenario's region,
``AWS::AccountId`` = ``123456789012``, ``AWS::StackName`` = ``lambdasim``) unless given with
``--parameter``; ``AWS::NoValue`` removes the property, as in CloudFormation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "NO_VALUE",
    "PSEUDO_DEFAULTS",
    "Attr",
    "Ref",
    "Resolver",
    "Unresolved",
    "Warnings",
]

#: Values of the pseudo parameters when not given with ``--parameter``.
PSEUDO_DEFAULTS: dict[str, Any] = {
    "AWS::Region": "us-east-1",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "lambdasim",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/lambdasim/0",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


#: ``Ref: AWS::NoValue``: the property is removed.
NO_VALUE: Any = _NoValue()


@dataclass(frozen=True)
class Ref:
    """``Ref`` of a resource (its logical id)."""

    logical_id: str


@dataclass(frozen=True)
class Attr:
    """``Fn::GetAtt`` of a resource attribute."""

    logical_id: str
    attribute: str


@dataclass(frozen=True)
class Unresolved:
    """A value only a deployment knows (the reason says why)."""

    reason: str

    def __str__(self) -> str:
        return f"<unresolved: {self.reason}>"


class Warnings:
    """Warnings naming the resource and property (``Resources.X.Properties.Y: ...``), once each."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        """Record ``where: message`` unless the same line was recorded already."""
        line = f"{where}: {message}" if where else message
        if line not in self.items:
            self.items.append(line)


_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_AZ_LETTERS = "abcdef"


class Resolver:
    """Evaluates intrinsic functions of one template.

    Parameters
    ----------
    parameters : mapping
        Parameter values (defaults already merged with overrides; strings or numbers), and
        pseudo parameters.
    missing : mapping
        Parameters without a value → why (a ``Ref`` to one is :class:`Unresolved`).
    mappings : mapping
        The template's ``Mappings``.
    conditions : mapping
        The template's ``Conditions`` (evaluated lazily, memoised).
    resources : set of str
        Logical ids of the resources.
    warnings : Warnings
        Where problems go.
    """

    def __init__(
        self,
        parameters: Mapping[str, Any],
        missing: Mapping[str, str],
        mappings: Mapping[str, Any],
        conditions: Mapping[str, Any],
        resources: set[str],
        warnings: Warnings,
    ) -> None:
        self.parameters = dict(parameters)
        self.missing = dict(missing)
        self.mappings = mappings if isinstance(mappings, Mapping) else {}
        self.conditions = conditions if isinstance(conditions, Mapping) else {}
        self.resources = resources
        self.warnings = warnings
        self._cond: dict[str, bool | None] = {}
        self._fns: dict[str, Callable[[Any, str], Any]] = {
            "Fn::GetAtt": self._getatt,
            "Fn::Sub": self._sub,
            "Fn::If": self._if,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._findinmap,
            "Fn::Base64": lambda v, w: self.resolve(v, w),
            "Fn::GetAZs": self._getazs,
            "Fn::Length": self._length,
            "Fn::ToJsonString": self._tojson,
        }

    # ------------------------------------------------------------------ values

    def resolve(self, value: Any, where: str) -> Any:
        """``value`` with every intrinsic evaluated (``where`` names it in warnings)."""
        if isinstance(value, list):
            out = [self.resolve(v, where) for v in value]
            return [v for v in out if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg, where)
            if key in self._fns:
                return self._fns[key](arg, where)
            if key in ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition"):
                return self.condition_value({key: arg}, where)
            if key.startswith("Fn::"):
                self.warnings.add(where, f"{key} cannot be evaluated without deploying; ignored")
                return Unresolved(key)
        out_d = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        return {k: v for k, v in out_d.items() if v is not NO_VALUE}

    def _ref(self, name: Any, where: str) -> Any:
        if not isinstance(name, str):
            self.warnings.add(where, f"Ref of a non-string {name!r}")
            return Unresolved("Ref")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.parameters[name]
        if name in self.missing:
            self.warnings.add(where, self.missing[name])
            return Unresolved(f"Ref {name}")
        if name in self.resources:
            return Ref(name)
        self.warnings.add(where, f"Ref to '{name}', which is neither a parameter nor a resource")
        return Unresolved(f"Ref {name}")

    def _getatt(self, arg: Any, where: str) -> Any:
        arg = self.resolve(arg, where)
        if isinstance(arg, str):
            arg = arg.split(".", 1)
        if (
            isinstance(arg, list)
            and len(arg) == 2
            and isinstance(arg[0], str)
            and isinstance(arg[1], str)
        ):
            if arg[0] in self.resources:
                return Attr(arg[0], arg[1])
            self.warnings.add(where, f"Fn::GetAtt of an unknown resource '{arg[0]}'")
        else:
            self.warnings.add(where, f"Fn::GetAtt takes [resource, attribute] (got {arg!r})")
        return Unresolved("Fn::GetAtt")

    def _sub(self, arg: Any, where: str) -> Any:
        variables: dict[str, Any] = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
            text, variables = arg[0], {k: self.resolve(v, where) for k, v in arg[1].items()}
        else:
            text = arg
        if not isinstance(text, str):
            self.warnings.add(where, "Fn::Sub needs a string")
            return Unresolved("Fn::Sub")
        unresolved: list[str] = []

        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"  # ${!Literal} is the literal ${Literal}
            if name in variables:
                v = variables[name]
            elif "." in name and name.split(".", 1)[0] in self.resources:
                lid, att = name.split(".", 1)
                v = Attr(lid, att)
            else:
                v = self._ref(name, where)
            if isinstance(v, Ref):
                return v.logical_id  # a resource's name stands for its physical name
            if isinstance(v, Attr):
                return (
                    v.logical_id
                    if v.attribute in ("Name", "QueueName", "TopicName")
                    else (f"{v.logical_id}.{v.attribute}")
                )
            if isinstance(v, Unresolved):
                unresolved.append(name)
                return m.group(0)
            return str(v)

        out = _SUB_VAR.sub(one, text)
        return Unresolved(f"Fn::Sub of {', '.join(unresolved)}") if unresolved else out

    def _if(self, arg: Any, where: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            self.warnings.add(where, "Fn::If takes [condition, value_if_true, value_if_false]")
            return Unresolved("Fn::If")
        c = self.condition(arg[0], where)
        if c is None:
            self.warnings.add(
                where, f"condition '{arg[0]}' cannot be evaluated; its true branch is used"
            )
            c = True
        return self.resolve(arg[1] if c else arg[2], where)

    def _join(self, arg: Any, where: str) -> Any:
        arg = self.resolve(arg, where)
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list)):
            self.warnings.add(where, "Fn::Join takes [delimiter, [values]]")
            return Unresolved("Fn::Join")
        parts = arg[1]
        if any(isinstance(p, Unresolved | dict | list) for p in parts):
            return Unresolved("Fn::Join of an unresolved value")
        return str(arg[0]).join(
            p.logical_id if isinstance(p, Ref | Attr) else str(p) for p in parts
        )

    def _select(self, arg: Any, where: str) -> Any:
        arg = self.resolve(arg, where)
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], list):
            try:
                return arg[1][int(arg[0])]
            except (ValueError, TypeError, IndexError):
                pass
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Unresolved):
            return arg[1]
        self.warnings.add(where, f"Fn::Select cannot be evaluated ({arg!r})")
        return Unresolved("Fn::Select")

    def _split(self, arg: Any, where: str) -> Any:
        arg = self.resolve(arg, where)
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], str):
            return arg[1].split(str(arg[0]))
        return Unresolved("Fn::Split")

    def _findinmap(self, arg: Any, where: str) -> Any:
        arg = self.resolve(arg, where)
        if isinstance(arg, list) and len(arg) >= 3:
            m, k1, k2 = arg[0], arg[1], arg[2]
            try:
                return self.resolve(self.mappings[m][k1][k2], where)
            except (KeyError, TypeError):
                if len(arg) == 4 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return arg[3]["DefaultValue"]
        self.warnings.add(where, f"Fn::FindInMap: no entry {arg!r} in Mappings")
        return Unresolved("Fn::FindInMap")

    def _getazs(self, arg: Any, where: str) -> Any:
        region = self.resolve(arg, where) or self.parameters.get("AWS::Region", "us-east-1")
        return [f"{region}{c}" for c in _AZ_LETTERS[:3]]

    def _length(self, arg: Any, where: str) -> Any:
        v = self.resolve(arg, where)
        return len(v) if isinstance(v, list) else Unresolved("Fn::Length")

    def _tojson(self, arg: Any, where: str) -> Any:
        v = self.resolve(arg, where)
        try:
            return json.dumps(v, separators=(",", ":"))
        except TypeError:
            return Unresolved("Fn::ToJsonString")

    # ------------------------------------------------------------------ conditions

    def condition(self, name: str, where: str) -> bool | None:
        """The value of condition ``name`` (None when it cannot be evaluated)."""
        if name in self._cond:
            return self._cond[name]
        if name not in self.conditions:
            self.warnings.add(where, f"unknown condition '{name}'")
            self._cond[name] = None
            return None
        self._cond[name] = None  # a condition that refers to itself stays unknown
        v = self.condition_value(self.conditions[name], f"Conditions.{name}")
        self._cond[name] = v
        return v

    def condition_value(self, expr: Any, where: str) -> bool | None:
        """Evaluate a condition expression (``Fn::Equals`` / ``Not`` / ``And`` / ``Or``)."""
        if isinstance(expr, bool):
            return expr
        if not (isinstance(expr, dict) and len(expr) == 1):
            return None
        ((key, arg),) = expr.items()
        if key == "Condition" and isinstance(arg, str):
            return self.condition(arg, where)
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self.resolve(x, where) for x in arg)
            if any(isinstance(x, Unresolved | Ref | Attr) for x in (a, b)):
                return None
            return bool(_scalar_text(a) == _scalar_text(b))
        if key in ("Fn::Not", "Fn::And", "Fn::Or") and isinstance(arg, list):
            vals = [self.condition_value(x, where) for x in arg]
            if key == "Fn::Not":
                return None if len(vals) != 1 or vals[0] is None else not vals[0]
            if key == "Fn::And":
                return False if False in vals else (None if None in vals else True)
            return True if True in vals else (None if None in vals else False)
        return None


def _scalar_text(x: Any) -> Any:
    # CloudFormation compares strings: "1" equals 1 once parameters are substituted
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int | float):
        return f"{x:g}"
    return x
