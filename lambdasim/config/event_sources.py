"""Event source mappings (poll-based triggers) of a function: SQS, for now.

aws-lambda-behaviour.md §7: batch size 1–10,000 (FIFO ≤ 10), more than 10 needs a batching
window; window 0–300 s; ScalingConfig.MaximumConcurrency 2–1,000; provisioned mode with
2–200 minimum and up to 10,000 maximum pollers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from lambdasim.config.base import NUMBER, _Model
from lambdasim.config.streams import StreamTrigger

__all__ = ["ProvisionedPollers", "SqsTrigger", "Trigger"]


class ProvisionedPollers(_Model):
    """ProvisionedPollerConfig (SQS provisioned mode, Nov 2025, §7.5)."""

    min_pollers: Annotated[StrictInt, Field(ge=2, le=200)] = 2
    max_pollers: Annotated[StrictInt, Field(ge=2, le=10000)] = 200

    @model_validator(mode="after")
    def _ordered(self) -> ProvisionedPollers:
        if self.max_pollers < self.min_pollers:
            raise ValueError("max_pollers must be >= min_pollers")
        return self


class ProvisionedMode(_Model):
    """``mode: {provisioned: {...}}``."""

    provisioned: ProvisionedPollers = ProvisionedPollers()


class SqsTrigger(_Model):
    """An SQS event source mapping (SAM ``Events: Type: SQS``)."""

    queue: str
    #: BatchSize: default 10, 1–10,000 (FIFO 1–10) (§7.2).
    batch_size: Annotated[StrictInt, Field(ge=1, le=10000)] = 10
    #: MaximumBatchingWindowInSeconds: 0–300, default 0 (§7.2).
    max_batching_window_s: Annotated[float, Field(ge=0, le=300, allow_inf_nan=False), NUMBER] = 0.0
    #: ScalingConfig.MaximumConcurrency: 2–1,000, or null (§7.1).
    max_concurrency: Annotated[StrictInt, Field(ge=2, le=1000)] | None = None
    #: FunctionResponseTypes: ["ReportBatchItemFailures"] (§7.3).
    report_batch_item_failures: StrictBool = False
    #: ``on_demand`` pollers (5 to start, +300 invokes/min, 1,250 max) or ``{provisioned: ...}``.
    mode: Literal["on_demand"] | ProvisionedMode = "on_demand"
    #: The pre-Nov-2023 ramp: +60 invokes per minute, 1,000 max (§7.1).
    legacy_ramp: StrictBool = False

    @model_validator(mode="after")
    def _rules(self) -> SqsTrigger:
        if self.batch_size > 10 and self.max_batching_window_s < 1:
            raise ValueError("batch_size above 10 needs max_batching_window_s >= 1 (§7.2)")
        if isinstance(self.mode, ProvisionedMode) and self.max_concurrency is not None:
            raise ValueError("provisioned mode and max_concurrency are mutually exclusive (§7.5)")
        return self


class Trigger(_Model):
    """Poll-based triggers of a function."""

    sqs: SqsTrigger | None = None
    stream: StreamTrigger | None = None
