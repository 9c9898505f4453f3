"""Placeholders in written scenarios: values an importer had to invent, marked for the user.

An importer (``lambdasim import sam``, ``import logs``) writes a runnable scenario, but a template
cannot say how often a function is invoked or how long its handler runs. Those values are written
with a comment on their line::

    rate_per_s: 1.0  # PLACEHOLDER: requests per second to the API

and ``lambdasim validate`` (:func:`lambdasim.config.advice.scenario_warnings`) warns about each
marked field, naming it and its line, until the comment is gone: set the value, then delete the
comment. The marker is a YAML comment so that the file stays plain YAML for every other tool and
the schema needs no new key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from lambdasim.config.errors import MISSING, ConfigIssue, YamlLoader

__all__ = ["MARKER", "dump_marked", "mark", "placeholder_issues", "placeholder_warnings"]

#: The word that marks a placeholder comment.
MARKER = "PLACEHOLDER"
_COMMENT = re.compile(r"(?:^|\s)#\s*" + MARKER + r"\b:?\s*(.*)$")


def _key_nodes(root: yaml.Node | None) -> dict[str, yaml.Node]:
    """Dotted path → the node that starts its line (a mapping key, or a list item)."""
    out: dict[str, yaml.Node] = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    p = f"{path}.{k.value}" if path else str(k.value)
                    out[p] = k
                    stack.append((v, p))
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                p = f"{path}.{i}" if path else str(i)
                out[p] = v
                stack.append((v, p))
    return out


def mark(text: str, placeholders: Mapping[str, str]) -> str:
    """``text`` (block-style YAML) with ``# PLACEHOLDER: reason`` on the line of each path.

    Raises
    ------
    KeyError
        A path that is not in the document (a bug of the importer, not of its input).
    """
    nodes = _key_nodes(yaml.compose(text, Loader=YamlLoader))
    lines = text.split("\n")
    extra: dict[int, list[str]] = {}
    for path, reason in placeholders.items():
        line = nodes[path].start_mark.line
        extra.setdefault(line, []).append(" ".join(str(reason).split()))
    for line, reasons in extra.items():
        lines[line] += f"  # {MARKER}: " + "; ".join(reasons)
    return "\n".join(lines)


def dump_marked(cfg: Mapping[str, Any], placeholders: Mapping[str, str], header: list[str]) -> str:
    """YAML of ``cfg`` under a ``#`` comment header, placeholders marked (:func:`mark`)."""
    text = yaml.safe_dump(dict(cfg), sort_keys=False, width=100, default_flow_style=False)
    head = "".join(f"# {h}\n" if h else "#\n" for h in header)
    return head + mark(text, placeholders)


def _value(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node if not isinstance(node, dict | list) else MISSING


def placeholder_issues(text: str) -> list[ConfigIssue]:
    """One warning per ``# PLACEHOLDER`` comment of a scenario's YAML ``text``, with its path.

    A ``#`` inside a quoted value is not a comment and is not counted.
    """
    if MARKER not in text:
        return []
    try:
        root = yaml.compose(text, Loader=YamlLoader)
        data = yaml.load(text, Loader=YamlLoader)
    except yaml.YAMLError:
        return []
    by_line: dict[int, str] = {}
    ends: dict[int, int] = {}
    # the path of a line: its leftmost mapping key (``- c: 2`` is ``b.0.c``; a flow mapping
    # ``arrivals: {kind: ...}`` is ``arrivals``), else the list item that starts there
    best: dict[int, tuple[int, int, str]] = {}
    for path, node in _key_nodes(root).items():
        is_item = not isinstance(node, yaml.ScalarNode) or path.rsplit(".", 1)[-1].isdigit()
        rank = (int(is_item), node.start_mark.column, path)
        ln = node.start_mark.line
        if ln not in best or rank < best[ln]:
            best[ln] = rank
    by_line = {ln: r[2] for ln, r in best.items()}
    for node in _scalars(root):
        if node.end_mark.line == node.start_mark.line:
            ln = node.start_mark.line
            ends[ln] = max(ends.get(ln, 0), node.end_mark.column)
    out: list[ConfigIssue] = []
    for i, line in enumerate(text.split("\n")):
        m = _COMMENT.search(line)
        if m is None or i not in by_line or line.index("#", m.start()) < ends.get(i, 0):
            continue
        path = by_line[i]
        reason = m.group(1).strip() or "a value the importer could not know"
        out.append(
            ConfigIssue(
                path,
                f"placeholder ({reason}): set it, then delete the '# {MARKER}' comment",
                _value(data, path),
                i + 1,
                line.index("#", m.start()) + 1,
            )
        )
    return out


def _scalars(root: yaml.Node | None) -> list[yaml.ScalarNode]:
    out: list[yaml.ScalarNode] = []
    stack = [root] if root is not None else []
    while stack:
        n = stack.pop()
        if isinstance(n, yaml.ScalarNode):
            out.append(n)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
        elif isinstance(n, yaml.MappingNode):
            stack.extend(x for kv in n.value for x in kv)
    return out


def placeholder_warnings(sc: Any) -> list[ConfigIssue]:
    """:func:`placeholder_issues` of the file a scenario was loaded from (none without one)."""
    source = getattr(sc, "_source", None)
    if not source:
        return []
    p = Path(source)
    try:
        if not p.is_file():
            return []
        from lambdasim.config.loading import read_config_text

        return placeholder_issues(read_config_text(p))
    except Exception:  # a warning pass must never turn a valid scenario into an error
        return []
