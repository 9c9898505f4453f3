"""The YAML loader of pricing tables: safe, no duplicate keys, bounds on aliases.

A table is read with PyYAML's safe loader (no Python object tags), and, as scenario files are
(lambdasim.config.loading), a duplicate key is an error naming both lines rather than the
silent "last one wins", and alias expansion is bounded so that a few hundred bytes of nested
aliases (a "billion laughs" file) fail at once.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent

__all__ = ["MAX_ALIASES", "MAX_NODES", "TableLoader"]

#: Alias uses allowed in one table (the shipped tables use none).
MAX_ALIASES = 1000
#: Nodes a table may have once its aliases are expanded (the shipped tables have about 200):
#: nine nested aliases of nine items each are 9^9 nodes in a few hundred bytes.
MAX_NODES = 100_000


def _expanded(node: Any, memo: dict[int, int]) -> int:
    """Nodes under ``node`` with every alias expanded (shared nodes counted each time)."""
    k = id(node)
    if k in memo:
        return memo[k]
    memo[k] = 1  # a node that contains itself counts once here; the constructor refuses it
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded(c, memo) for c in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded(a, memo) + _expanded(b, memo) for a, b in node.value)
    else:
        n = 1
    memo[k] = n
    return n


class TableLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate mapping keys and more than :data:`MAX_ALIASES` aliases."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise ConstructorError(
                    None, None, f"more than {MAX_ALIASES} aliases (not a pricing table)", mark
                )
        return super().compose_node(parent, index)

    def compose_document(self) -> Any:
        node = super().compose_document()
        if node is not None and _expanded(node, {}) > MAX_NODES:
            raise ConstructorError(
                None,
                None,
                f"its aliases expand to more than {MAX_NODES:,} nodes (not a pricing table)",
                node.start_mark,
            )
        return node

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=deep)
                if key in first:
                    raise ConstructorError(
                        None,
                        None,
                        f"duplicate key {key!r} (first at line {first[key] + 1})",
                        key_node.start_mark,
                    )
                first[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)
