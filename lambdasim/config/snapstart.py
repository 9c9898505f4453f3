"""``cold_start: {snapstart: true}``: a SnapStart restore instead of INIT.

The numbers and rules are in :mod:`lambdasim.coldstart.snapstart`. The model joins the existing
forms of ``cold_start`` (a distribution, ``{preset: ...}``, ``{model: measured}``) as a fourth,
chosen by its ``snapstart`` key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Tag

from lambdasim import dists
from lambdasim.coldstart.snapstart import (
    SNAPSTART_BILLED_FAMILIES,
    SNAPSTART_RESTORE_PRESETS,
    snapstart_family,
)
from lambdasim.config.base import _Model
from lambdasim.config.distributions import ColdStartPreset, DistSpec
from lambdasim.config.errors import register_models
from lambdasim.config.runtime import MeasuredColdStart

__all__ = ["ColdStartWithSnapStart", "SnapStartColdStart"]


class SnapStartColdStart(_Model):
    """SnapStart (``SnapStart.ApplyOn: PublishedVersions``): new environments restore a snapshot.

    Needs the function's ``runtime`` (Java 11+, Python 3.12+ or .NET 8+). The restore time is the
    family's preset lognormal unless ``restore`` gives a distribution (seconds).
    """

    snapstart: Literal[True]
    #: Restore Duration distribution, seconds; null = the family's preset.
    restore: DistSpec | None = None

    def build_for(self, runtime: str | None) -> dists.Distribution:
        """The restore-time distribution (seconds) for a function on ``runtime``."""
        if self.restore is not None:
            return self.restore.build()
        p50, p99 = SNAPSTART_RESTORE_PRESETS[snapstart_family(runtime)]
        return dists.LogNormal.from_percentiles(p50, p99)

    @staticmethod
    def billed(runtime: str | None) -> bool:
        """Whether the cache and restore charges apply (Python and .NET; not Java)."""
        return snapstart_family(runtime) in SNAPSTART_BILLED_FAMILIES


def _tag(v: Any) -> str:
    # The tag names are the ones config.errors drops from field paths ("function-..." too).
    if isinstance(v, Mapping):
        if "snapstart" in v:
            return "function-snapstart"
        if "model" in v:
            return "measured"
        return "preset" if "preset" in v else "dist"
    if isinstance(v, BaseModel):
        if isinstance(v, SnapStartColdStart):
            return "function-snapstart"
        if isinstance(v, MeasuredColdStart):
            return "measured"
        if isinstance(v, ColdStartPreset):
            return "preset"
    return "dist"


#: ``cold_start``: a distribution, ``{preset: RUNTIME}``, ``{model: measured}`` or
#: ``{snapstart: true}``.
ColdStartWithSnapStart = Annotated[
    Annotated[ColdStartPreset, Tag("preset")]
    | Annotated[MeasuredColdStart, Tag("measured")]
    | Annotated[SnapStartColdStart, Tag("function-snapstart")]
    | Annotated[DistSpec, Tag("dist")],
    Discriminator(_tag),
]

register_models(SnapStartColdStart)
