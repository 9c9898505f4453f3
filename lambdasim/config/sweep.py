"""The optional ``sweep:`` block of a scenario: the grid ``lambdasim sweep CONFIG`` runs.

```yaml
sweep:
  grid:
    functions.api.memory_mb: [512, 1024, 2048]
    functions.api.reserved_concurrency: [null, 20]
  reps: 10
```

Grid keys are dotted config paths, as for ``--set`` and :meth:`Scenario.replace`; each point of
the Cartesian product is validated like any scenario when the sweep builds it.

:func:`replace_leaves` is how :meth:`Scenario.replace` builds a grid point quickly: a number
(or ``None``) set below one entry of the scenario (a function, a workload, the account, ...)
re-validates that entry only, then runs the scenario's cross-field checks; anything else, and
any value that does not validate, goes through the full validation of the whole scenario, which
reports the error (issue 16: a 10,000-point sweep spent minutes re-validating scenarios).
"""

from __future__ import annotations

import numbers
import typing
from collections.abc import Mapping
from typing import Annotated, Any

import annotated_types
from pydantic import BaseModel, Field, StrictInt, ValidationError, field_validator

from lambdasim.config.base import _Model

__all__ = ["SweepSpec", "replace_leaves"]


class SweepSpec(_Model):
    """A grid of dotted-path values and the number of replications per grid point."""

    #: ``{dotted.path: [value, ...]}``; the sweep runs the Cartesian product in key order.
    grid: dict[str, Annotated[list[Any], Field(min_length=1)]]
    #: Replications per grid point (rep numbers 0 … reps − 1).
    reps: Annotated[StrictInt, Field(ge=1, le=100_000)] = 10

    @field_validator("grid")
    @classmethod
    def _paths(cls, v: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path in v:
            if not path or any(not part for part in path.split(".")):
                raise ValueError(
                    f"'{path}' is not a dotted config path (e.g. functions.api.memory_mb)"
                )
        return v


def _entry_type(cls: type[BaseModel], top: str) -> tuple[type[BaseModel], str] | None:
    """The model class of the entries of field ``top`` and how they are held.

    ``("model", X)`` for a field ``X`` or ``X | None``, ``("dict", X)`` for ``dict[str, X]``,
    ``("list", X)`` for ``list[X]``; None when the entries are not one plain model class, or
    the field has validators of its own (they would see the whole field).
    """
    field = cls.model_fields.get(top)
    if field is None or field.alias not in (None, top):
        return None
    if any(
        not isinstance(m, annotated_types.MinLen | annotated_types.MaxLen) for m in field.metadata
    ):
        return None  # a validator on the field itself
    decorators = cls.__pydantic_decorators__
    if any(
        top in d.info.fields or "*" in d.info.fields for d in decorators.field_validators.values()
    ):
        return None
    ann = field.annotation
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    kind = "model"
    if origin is dict and len(args) == 2 and args[0] is str:
        kind, ann = "dict", args[1]
    elif origin is list and len(args) == 1:
        kind, ann = "list", args[0]
    elif args and type(None) in args:  # X | None
        rest = [a for a in args if a is not type(None)]
        ann = rest[0] if len(rest) == 1 else None
    if isinstance(ann, type) and issubclass(ann, BaseModel) and not typing.get_args(ann):
        return ann, kind
    return None


def _set_leaf(data: dict[str, Any], parts: list[str], value: Any) -> bool:
    """Set ``value`` at ``parts`` below ``data`` as :meth:`Scenario.replace` does; False when the
    path needs the full path's handling (or its error)."""
    node: Any = data
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                return False
            if last:
                node[int(part)] = value
                return True
            node = node[int(part)]
        elif isinstance(node, dict):
            if last:
                node[part] = value
                return True
            node = node.setdefault(part, {})
        else:
            return False
    return False


def replace_leaves(sc: Any, changes: Mapping[str, Any]) -> Any:
    """``sc`` with ``changes`` applied by re-validating only the entries they fall under.

    Parameters
    ----------
    sc : Scenario
        A validated scenario.
    changes : mapping of str to Any
        Dotted paths and values, as for :meth:`Scenario.replace`.

    Returns
    -------
    Scenario or None
        The new scenario — equal to what the full re-validation gives: each touched entry is
        validated from its own dump with the changes, as the full path validates it from the
        scenario's dump; the others are the same frozen objects — or None when the full path
        must decide: a change that is not a number, ``True``/``False`` or ``None`` (strings
        may be wildcards), a top-level field, a path through a missing entry, a model-level
        validator on the scenario, or any validation error or cross-field issue (the full path
        reports it with the file's name and the field's path).
    """
    cls = type(sc)
    if cls.__pydantic_decorators__.model_validators:
        return None  # a check of the whole scenario that an entry cannot run
    edits: dict[tuple[str, str | None], list[tuple[list[str], Any]]] = {}
    kinds: dict[str, tuple[type[BaseModel], str]] = {}
    for path, value in changes.items():
        if not (value is None or isinstance(value, numbers.Number)):
            return None
        parts = path.split(".")
        top = parts[0]
        entry = kinds.get(top) or _entry_type(cls, top)
        if entry is None or len(parts) < (2 if entry[1] == "model" else 3):
            return None
        kinds[top] = entry
        key = None if entry[1] == "model" else parts[1]
        edits.setdefault((top, key), []).append((parts[1 if key is None else 2 :], value))
    updates: dict[str, Any] = {}
    for (top, key), todo in edits.items():
        model_cls, kind = kinds[top]
        container = updates.get(top, getattr(sc, top))
        if kind == "dict":
            if key not in container:
                return None  # the full path names the entry that does not exist
            old = container[key]
        elif kind == "list":
            assert key is not None
            if not key.isdigit() or int(key) >= len(container):
                return None
            old = container[int(key)]
        else:
            old = container
        if type(old) is not model_cls:
            return None
        data = old.model_dump(mode="json", exclude_unset=True, by_alias=True)
        for parts, value in todo:
            if not _set_leaf(data, parts, value):
                return None
        try:
            new = model_cls.model_validate(data)
        except ValidationError:
            return None
        if kind == "dict":
            updates[top] = {**container, key: new}
        elif kind == "list":
            assert key is not None
            updates[top] = [*container[: int(key)], new, *container[int(key) + 1 :]]
        else:
            updates[top] = new
    out = sc.model_copy(update=updates)  # keeps base_dir and source
    if out.cross_check():
        return None
    return out
