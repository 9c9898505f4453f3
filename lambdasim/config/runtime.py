"""Config models of the measured cold-start model and the keep-alive presets (issue 9).

``cold_start: {model: measured}`` and ``keep_alive_s: {preset: aws-2025}``; the numbers behind
them are in :mod:`lambdasim.coldstart`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag

from lambdasim import coldstart, dists
from lambdasim.config.base import NUMBER, _Model
from lambdasim.config.distributions import ColdStartPreset, DistSpec

__all__ = [
    "FUNCTION_LIMITS",
    "IMAGE_LIMIT_MB",
    "WHOLE_SECONDS",
    "FunctionColdStartSpec",
    "KeepAlivePreset",
    "KeepAliveSpec",
    "MeasuredColdStart",
    "check_limit",
    "check_package_mb",
    "check_runtime",
]


class MeasuredColdStart(_Model):
    """INIT built from runtime, architecture, package size, memory and VPC.

    See :func:`lambdasim.coldstart.measured_init` for each factor and its source. Needs the
    function's ``runtime``.
    """

    model: Literal["measured"]
    #: ``aws-2018``: before the Hyperplane VPC rollout (Sept–Nov 2019), a VPC function's cold
    #: start also creates and attaches an ENI, +10–15 s (aws-lambda-behaviour.md §2.3).
    era: Literal["current", "aws-2018"] = "current"

    def build_for(
        self,
        runtime: str,
        architecture: str,
        memory_mb: float,
        package_mb: float | None,
        vpc: bool,
    ) -> dists.Distribution:
        """The INIT distribution (seconds) for a function with these settings."""
        return coldstart.measured_init(
            runtime, architecture, memory_mb, package_mb or 0.0, vpc, self.era
        )


class KeepAlivePreset(_Model):
    """Idle time before reclaim as measured in an era (aws-lambda-behaviour.md §1.4).

    ``aws-2019`` (cloudbench, 25–65 min), ``aws-2020`` (PACS, ≈ 640 s), ``aws-2025`` (CIRRUS,
    300–360 s).
    """

    preset: Literal["aws-2019", "aws-2020", "aws-2025"]

    def build(self) -> dists.Distribution:
        """The keep-alive distribution, seconds."""
        return coldstart.keep_alive_preset(self.preset)


def _keep_alive_tag(v: Any) -> str:
    if isinstance(v, Mapping):
        return "preset" if "preset" in v else "dist"
    if isinstance(v, BaseModel):
        return "preset" if isinstance(v, KeepAlivePreset) else "dist"
    return "dist"


#: ``keep_alive_s``: a distribution (a number is a constant) or ``{preset: ERA}``.
KeepAliveSpec = Annotated[
    Annotated[KeepAlivePreset, Tag("preset")] | Annotated[DistSpec, Tag("dist")],
    Discriminator(_keep_alive_tag),
]


def check_runtime(v: str | None) -> str | None:
    """Validate a runtime identifier (raises ValueError naming what is accepted)."""
    if v is not None:
        coldstart.runtime_family(v)
    return v


#: Container image code package size: 10 GB, "maximum uncompressed image size, including all
#: layers" (Lambda guide "gettingstarted-limits"; aws-lambda-behaviour.md §3), in MB.
IMAGE_LIMIT_MB = 10240.0


def check_package_mb(v: float | None, package_type: str = "zip") -> float | None:
    """Validate ``package_mb`` for the function's ``package_type`` (§3).

    A .zip is bounded by the 250 MB unzipped deployment-package limit; a container image by the
    10 GB image limit.
    """
    if v is None:
        return v
    if package_type == "image":
        if v > IMAGE_LIMIT_MB:
            raise ValueError(
                f"package_mb {v:g} MB exceeds the 10 GB ({IMAGE_LIMIT_MB:g} MB) container image "
                "limit (aws-lambda-behaviour.md §3)"
            )
        return v
    limit = coldstart.PACKAGE_LIMIT_UNZIPPED_MB
    if v > limit:
        raise ValueError(
            f"package_mb (zipped) {v:g} MB exceeds the {limit:g} MB unzipped deployment-package "
            "limit: a zip this large cannot unzip to 250 MB or less (aws-lambda-behaviour.md §3; "
            "use a container image, package_type: image, up to 10 GB)"
        )
    return v


#: ``package_mb``: zipped deployment package, MB (validated by :func:`check_package_mb`).
PackageMb = Annotated[float, Field(ge=0, allow_inf_nan=False), NUMBER]


def _cold_start_tag(v: Any) -> str:
    if isinstance(v, Mapping):
        if "model" in v:
            return "measured"
        return "preset" if "preset" in v else "dist"
    if isinstance(v, MeasuredColdStart):
        return "measured"
    if isinstance(v, ColdStartPreset):
        return "preset"
    return "dist"


#: ``cold_start``: a distribution, ``{preset: RUNTIME}`` or ``{model: measured}``.
FunctionColdStartSpec = Annotated[
    Annotated[ColdStartPreset, Tag("preset")]
    | Annotated[MeasuredColdStart, Tag("measured")]
    | Annotated[DistSpec, Tag("dist")],
    Discriminator(_cold_start_tag),
]

#: Lambda guide / aws-lambda-behaviour.md §3 limits checked with a message naming the limit:
#: field → (low, high, name of the limit).
FUNCTION_LIMITS: dict[str, tuple[float, float, str]] = {
    "memory_mb": (128, 10240, "Lambda memory limit (128–10240 MB, aws-lambda-behaviour.md §3)"),
    "timeout_s": (1, 900, "Lambda timeout limit (1–900 s, aws-lambda-behaviour.md §3)"),
    "ephemeral_storage_mb": (
        512,
        10240,
        "Lambda ephemeral storage (/tmp) limit (512–10240 MB, aws-lambda-behaviour.md §3)",
    ),
}


#: Fields set in whole seconds. Timeout: "you can adjust this in increments of 1 second up to
#: a maximum value of 900 seconds" (Lambda guide "configuration-timeout",
#: https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html); the API's
#: ``Timeout`` is an integer.
WHOLE_SECONDS: frozenset[str] = frozenset({"timeout_s"})


def check_limit(field: str | None, v: Any) -> Any:
    """Raise ValueError naming the AWS limit when a number is outside it; else return ``v``.

    Fields of :data:`WHOLE_SECONDS` must also be whole numbers (``10`` and ``10.0`` are both
    fine: the type stays a number so that dumped configs, which write ``10.0``, load again).
    """
    if isinstance(v, int | float) and not isinstance(v, bool) and field in FUNCTION_LIMITS:
        lo, hi, name = FUNCTION_LIMITS[field]
        if not lo <= v <= hi:
            raise ValueError(f"{v:g} is outside the {name}")
        if field in WHOLE_SECONDS and not float(v).is_integer():
            raise ValueError(
                f"{field} {v:g} is not a whole number of seconds: Lambda sets the timeout in "
                '1-s increments, 1–900 s (Lambda guide "configuration-timeout")'
            )
    return v
