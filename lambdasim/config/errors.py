"""Configuration errors with file, line, column, field path, value and allowed range."""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from lambdasim.errors import LambdasimError

__all__ = [
    "KNOWN_FIELDS",
    "MAX_DEPTH",
    "MISSING",
    "ConfigError",
    "ConfigIssue",
    "YamlDepthError",
    "YamlLoader",
    "locate",
    "register_models",
]


class ConfigIssue:
    """One problem in a configuration: where, what, and the offending value."""

    __slots__ = ("col", "line", "message", "path", "value")

    def __init__(
        self,
        path: str,
        message: str,
        value: Any = None,
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.path = path
        self.message = message
        self.value = value
        self.line = line
        self.col = col

    def format(self, source: str | None = None) -> str:
        """``file:line:col: path: message (got value)`` (no ``path:`` for a file-level problem)."""
        where = source or "<config>"
        if self.line is not None:
            where += f":{self.line}:{self.col}"
        got = "" if self.value is MISSING else f" (got {_short(self.value)})"
        # A problem of the whole file (encoding, YAML syntax) has no field path.
        field = f"{self.path}: " if self.path else ""
        return _printable(f"{where}: {field}{self.message}{got}")

    def __repr__(self) -> str:
        return f"ConfigIssue({self.format()!r})"


MISSING: Any = object()


def _printable(line: str) -> str:
    """``line`` with control characters escaped (``\\x1b``), so that a name or path holding an
    ANSI escape or a newline cannot restyle the terminal or split the one-line message."""
    if line.isprintable():
        return line
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in line)


def _short(v: Any) -> str:
    s = repr(v) if isinstance(v, str) else yaml.safe_dump(v, default_flow_style=True).strip()
    if s.endswith("\n..."):
        s = s[:-4].strip()
    if s.endswith("..."):
        s = s[:-3].strip()
    return s if len(s) <= 80 else s[:77] + "..."


#: Field names of every configuration model, for "did you mean" hints (filled by
#: :func:`register_models`).
KNOWN_FIELDS: set[str] = set()


def register_models(*models: type[BaseModel]) -> None:
    """Make the fields of ``models`` known to the "did you mean" hints."""
    for m in models:
        KNOWN_FIELDS.update(m.model_fields)


class ConfigError(LambdasimError, ValueError):
    """A configuration that cannot be simulated; holds one :class:`ConfigIssue` per problem."""

    def __init__(self, issues: list[ConfigIssue], *, source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        super().__init__(self.format())

    def format(self) -> str:
        """All issues, one per line."""
        return "\n".join(i.format(self.source) for i in self.issues)

    def locate(self, text: str) -> ConfigError:
        """Fill in line and column of each issue from the YAML ``text``; returns self."""
        locate(self.issues, text)
        self.args = (self.format(),)
        return self

    @classmethod
    def from_validation(cls, exc: ValidationError, *, source: str | None = None) -> ConfigError:
        """Turn pydantic's errors into issues with dotted paths and bounds."""
        issues = []
        known = KNOWN_FIELDS
        for err in exc.errors(include_url=False):
            loc = [str(p) for p in err["loc"]]
            # Drop discriminator tags (e.g. "lognormal", "function-after[...]") pydantic puts in
            # loc: they are not keys of the user's file.
            path = [p for p in loc if not _is_tag(p)]
            msg = err["msg"]
            value = err.get("input", MISSING)
            etype = err["type"]
            if etype == "extra_forbidden":
                key = path[-1] if path else ""
                hint = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
                msg = "unknown key" + (f"; did you mean '{hint[0]}'?" if hint else "")
                value = MISSING
            elif etype == "missing":
                msg = "required field is missing"
                value = MISSING
            elif etype == "union_tag_invalid" or etype == "union_tag_not_found":
                msg = msg.replace("Input tag", "value")
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if isinstance(value, dict | list) and etype not in ("missing",):
                value = MISSING if len(str(value)) > 80 else value
            issues.append(ConfigIssue(".".join(path), msg, value))
        return cls(issues, source=source)


def _is_tag(part: str) -> bool:
    return (
        part in _TAGS
        or part.startswith("function-")
        or part.startswith("constrained-")
        or part.startswith("lax-")
        or part.startswith("json-")
    )


_TAGS = {
    "constant",
    "exponential",
    "uniform",
    "lognormal",
    "gamma",
    "empirical",
    "preset",
    "measured",
    "dist",
    "poisson",
    "trace",
    "renewal",
    "diurnal",
    "piecewise",
    "bursty",
    "schedule",
    "superpose",
    "weibull",
    "int",
    "float",
    "str",
    "none",
    "bool",
}


#: Deepest nesting of mappings and lists a scenario file may have. The shipped configs stay
#: below 10 levels; the bound keeps PyYAML's recursive composer far from Python's recursion
#: limit (a file of 10,000 ``[`` would otherwise end in a RecursionError).
MAX_DEPTH = 100


class YamlDepthError(yaml.MarkedYAMLError):
    """Nesting beyond :data:`MAX_DEPTH`, raised while composing (before any recursion blows)."""

    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__(
            problem=f"nested deeper than {MAX_DEPTH} levels of mappings and lists (the limit); "
            "a scenario needs far fewer",
            problem_mark=mark,
        )


class YamlLoader(yaml.SafeLoader):
    """PyYAML's safe loader, with YAML 1.2 exponent floats and a bound on nesting depth.

    A subclass, so that the changes have no side effects on :class:`yaml.SafeLoader`. Python
    object tags (``!!python/object``) have no constructor here: they are rejected (see
    :func:`lambdasim.config.loading.loads`, which says so before constructing anything).
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, counting the nesting depth on the way down."""
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise YamlDepthError(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.1 (PyYAML) reads ``1e3`` as the *string* "1e3" because its float pattern needs a dot;
# float fields refuse strings, so read exponent floats the YAML 1.2 way (``1e3``, ``-2E-4``).
# An integer pattern and dotted floats are left to PyYAML's own resolvers (tried first).
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def locate(issues: list[ConfigIssue], text: str) -> None:
    """Set ``line``/``col`` of each issue from the YAML ``text`` (where its path is found)."""
    try:
        root = yaml.compose(text, Loader=YamlLoader)
    except yaml.YAMLError:
        return
    for issue in issues:
        node = _find_node(root, issue.path.split(".") if issue.path else [])
        if node is not None:
            issue.line = node.start_mark.line + 1
            issue.col = node.start_mark.column + 1


def _find_node(node: yaml.Node | None, path: list[str]) -> yaml.Node | None:
    """Walk a composed YAML node tree along ``path``; return the deepest node reached.

    An unknown key is not in the tree, so the error points at the mapping that holds it.
    """
    for i, part in enumerate(path):
        nxt: yaml.Node | None = None
        key: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == part:
                    nxt, key = v, k
                    break
        elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
            nxt = node.value[int(part)]
        if nxt is None:
            return node
        if i == len(path) - 1 and key is not None and _is_block(nxt):
            # A block mapping or list starts on the line after its key: point at the key.
            return key
        node = nxt
    return node


def _is_block(node: yaml.Node) -> bool:
    return isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style
