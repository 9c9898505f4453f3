"""Reading an AWS SAM or CloudFormation template (YAML or JSON) safely, short tags as data.

CloudFormation's YAML short forms (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``, ``!If [...]``,
...) are read as their long JSON forms (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``,
``{"Fn::Sub": ...}``) by a subclass of PyYAML's *safe* loader: no tag ever creates a Python
object. A short tag CloudFormation does not define becomes ``{"Fn::Name": value}`` and is
reported by the evaluator as an unknown intrinsic; Python tags (``!!python/...``) are refused.
Like scenario files, a template is bounded in size, nesting depth and alias expansion (a
"billion laughs" file is one clear error, not minutes of work).

AWS CloudFormation User Guide, "Intrinsic function reference"
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html):
the short form of ``Fn::GetAtt`` is ``!GetAtt logicalNameOfResource.attributeName``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lambdasim.config.errors import YamlLoader
from lambdasim.errors import LambdasimError

__all__ = ["INTRINSIC_TAGS", "MAX_TEMPLATE_BYTES", "Template", "TemplateError", "load_template"]

#: Largest template read, bytes. CloudFormation itself takes at most 1 MB from S3 (51,200 bytes
#: inline); SAM templates before the transform are smaller still. 16 MB, as for scenario files,
#: only stops a log or a binary given by mistake.
MAX_TEMPLATE_BYTES = 16 * 1024 * 1024
#: Most nodes after alias expansion (as :data:`lambdasim.config.loading.MAX_NODES`).
MAX_NODES = 1_000_000

#: Short tag → long form. ``!Condition`` is the condition reference inside ``Fn::And`` / ``Or``
#: / ``Not``; the others are ``Fn::<Name>`` (``!Ref`` is ``Ref``).
INTRINSIC_TAGS: dict[str, str] = {
    "!Ref": "Ref",
    "!Condition": "Condition",
    **{
        f"!{n}": f"Fn::{n}"
        for n in (
            "GetAtt",
            "Sub",
            "If",
            "Join",
            "Select",
            "Split",
            "FindInMap",
            "Equals",
            "Not",
            "And",
            "Or",
            "ImportValue",
            "Base64",
            "GetAZs",
            "Cidr",
            "Transform",
            "Length",
            "ToJsonString",
            "ForEach",
            "GetStackOutput",
        )
    },
}


class TemplateError(LambdasimError, ValueError):
    """A file that is not a readable YAML/JSON CloudFormation template (one line, with where)."""


@dataclass
class Template:
    """A parsed template: its sections as plain data, intrinsics in their long forms.

    Attributes
    ----------
    path : Path
        The file.
    data : dict
        The whole document.
    duplicates : list of str
        ``line N: key 'K' repeated`` for every repeated mapping key (the last one wins, as in
        PyYAML; CloudFormation rejects such templates).
    """

    path: Path
    data: dict[str, Any]
    duplicates: list[str] = field(default_factory=list)

    @property
    def resources(self) -> dict[str, Any]:
        """``Resources`` (logical id → resource)."""
        r = self.data.get("Resources")
        return r if isinstance(r, dict) else {}

    @property
    def is_sam(self) -> bool:
        """Whether the template declares the SAM transform."""
        t = self.data.get("Transform")
        names = t if isinstance(t, list) else [t]
        return any(isinstance(n, str) and n.startswith("AWS::Serverless") for n in names)


class _CfnLoader(YamlLoader):
    """The scenario loader's safe loader (depth bound), plus CloudFormation's short tags."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    tag = "!" + suffix
    name = INTRINSIC_TAGS.get(tag, f"Fn::{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt" and isinstance(value, str):
            # !GetAtt A.B.C is [A, "B.C"]: the logical id has no dots, attributes may
            head, _, tail = value.partition(".")
            value = [head, tail]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


# Every local tag ("!Name") is data; unknown names surface later as unknown intrinsics.
_CfnLoader.add_multi_constructor("!", _construct_tag)


def _check_nodes(root: yaml.Node, src: str) -> list[str]:
    """Duplicate keys (``line N: ...``) and a refusal of unbounded alias expansion."""
    dups: list[str] = []
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while stack:
        node, done = stack.pop()
        nid = id(node)
        kids: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            kids = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            kids = [n for kv in node.value for n in kv]
        if done:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in kids)
            if size[nid] > MAX_NODES:
                raise TemplateError(
                    f"{src}:{node.start_mark.line + 1}: YAML aliases expand to more than "
                    f"{MAX_NODES:,} nodes; not a template"
                )
            continue
        if nid in size:
            continue
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, _ in node.value:
                if isinstance(k, yaml.ScalarNode):
                    if k.value in seen:
                        dups.append(f"line {k.start_mark.line + 1}: key '{k.value}' repeated")
                    seen.add(k.value)
        on_path.add(nid)
        stack.append((node, True))
        for c in kids:
            if id(c) in on_path:
                raise TemplateError(
                    f"{src}:{c.start_mark.line + 1}: a YAML alias refers to a node that contains it"
                )
            if id(c) not in size:
                stack.append((c, False))
    return dups


def _read_text(path: Path) -> str:
    src = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_TEMPLATE_BYTES:
            raise TemplateError(
                f"{src}: {size / 1e6:.1f} MB is above the {MAX_TEMPLATE_BYTES // 2**20} MB "
                "limit; not a template"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"{src}: cannot read ({exc.strerror or exc})") from None
    if b"\x00" in data:
        raise TemplateError(f"{src}: binary data (a NUL byte), not a YAML or JSON template")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise TemplateError(f"{src}:{line}: not UTF-8 text; not a template") from None


def _parse_json(text: str, src: str) -> tuple[Any, list[str]]:
    dups: list[str] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                dups.append(f"key '{k}' repeated")
            out[k] = v
        return out

    try:
        return json.loads(text, object_pairs_hook=pairs), dups
    except json.JSONDecodeError as exc:
        raise TemplateError(f"{src}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})") from None
    except RecursionError:
        raise TemplateError(f"{src}: JSON nested too deeply; not a template") from None


def _parse_yaml(text: str, src: str) -> tuple[Any, list[str]]:
    loader = _CfnLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, []
        dups = _check_nodes(root, src)
        return loader.construct_document(root), dups
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise TemplateError(
            f"{src}{where}: {exc.problem} (templates are read with a safe loader that never "
            "creates Python objects)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise TemplateError(f"{src}{where}: not valid YAML ({problem})") from None
    finally:
        loader.dispose()


def load_template(path: str | Path) -> Template:
    """Read a SAM / CloudFormation template from a YAML or JSON file.

    Parameters
    ----------
    path : str or Path
        The template file.

    Returns
    -------
    Template
        The document, with the short tags in their long forms.

    Raises
    ------
    TemplateError
        The file cannot be read, is binary or not UTF-8, is not YAML/JSON (``file:line:col``),
        or is not a template (not a mapping, or without a ``Resources`` mapping).
    """
    p = Path(path)
    src = str(path)
    text = _read_text(p)
    if text.lstrip().startswith("{"):
        data, dups = _parse_json(text, src)
    else:
        data, dups = _parse_yaml(text, src)
    if not isinstance(data, dict):
        raise TemplateError(
            f"{src}: not a CloudFormation template (the document is not a mapping with a "
            "Resources section)"
        )
    res = data.get("Resources")
    if not isinstance(res, dict) or not res:
        raise TemplateError(
            f"{src}: not a CloudFormation template: no Resources mapping (every template "
            "declares at least one resource)"
        )
    for lid, r in res.items():
        if not isinstance(r, dict) or not isinstance(r.get("Type"), str):
            raise TemplateError(f"{src}: Resources.{lid}: a resource needs a Type (a string)")
    return Template(p, data, dups)
