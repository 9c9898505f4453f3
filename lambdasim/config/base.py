"""Shared building blocks of the configuration models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = ["NUMBER", "Fraction", "NonNegFloat", "PosFloat"]

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def _number(v: Any) -> Any:
    """Refuse booleans and strings before pydantic's lax float parsing sees them.

    Lax mode reads ``true`` as 1.0 and ``"60"`` as 60.0, so a quoted or mistyped value would
    silently become a number. Strict mode would refuse NumPy integers too (sweep grids built
    with ``np.arange``), so everything else still goes through the lax float parser.
    """
    if isinstance(v, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(v, str | bytes):
        raise ValueError("must be a number, not a string (remove the quotes)")
    return v


#: Put last in ``Annotated[float, Field(...), NUMBER]``: every float field of the configuration
#: takes ints and floats only. Last, so that pydantic still applies the ``Field`` bounds to the
#: float schema itself and the JSON Schema keeps ``minimum`` / ``exclusiveMinimum``.
NUMBER = BeforeValidator(_number)

PosFloat = Annotated[float, Field(gt=0, allow_inf_nan=False), NUMBER]
NonNegFloat = Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), NUMBER]


class _Model(BaseModel):
    """Frozen, strict about unknown keys (typos are errors)."""

    model_config = _FROZEN
