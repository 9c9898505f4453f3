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
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StrictInt, field_validator

from lambdasim.config.base import _Model

__all__ = ["SweepSpec"]


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
