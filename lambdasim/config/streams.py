"""Kinesis Data Streams and DynamoDB Streams, and their event source mappings.

aws-lambda-behaviour.md §8: one concurrent batch per shard × ParallelizationFactor (1–10);
BatchSize default 100, up to 10,000; MaximumBatchingWindowInSeconds 0–300;
MaximumRetryAttempts −1 (until the record expires, default) or 0–10,000;
MaximumRecordAgeInSeconds −1 (default) or 60–604,800; BisectBatchOnFunctionError;
ReportBatchItemFailures; an on-failure destination (SQS, SNS, S3).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from lambdasim.config.base import NUMBER, _Model

__all__ = ["OnFailure", "Stream", "StreamTrigger"]


class Stream(_Model):
    """A Kinesis data stream or a DynamoDB stream."""

    kind: Literal["kinesis", "dynamodb"] = "kinesis"
    shards: Annotated[StrictInt, Field(ge=1, le=10000)] = 1
    #: Retention: Kinesis 24 h default, up to 365 days; DynamoDB Streams 24 h (§8).
    retention_s: Annotated[float, Field(ge=3600, le=31_536_000, allow_inf_nan=False), NUMBER] = (
        86400.0
    )

    @model_validator(mode="after")
    def _dynamodb_retention(self) -> Stream:
        if self.kind == "dynamodb" and self.retention_s != 86400.0:
            raise ValueError("DynamoDB Streams keep records for 24 h (retention_s: 86400)")
        return self


class OnFailure(_Model):
    """On-failure destination of a stream mapping: an SQS queue or SNS topic."""

    queue: str


class StreamTrigger(_Model):
    """A Kinesis / DynamoDB Streams event source mapping (SAM ``Type: Kinesis|DynamoDB``)."""

    name: str
    batch_size: Annotated[StrictInt, Field(ge=1, le=10000)] = 100
    max_batching_window_s: Annotated[float, Field(ge=0, le=300, allow_inf_nan=False), NUMBER] = 0.0
    parallelization_factor: Annotated[StrictInt, Field(ge=1, le=10)] = 1
    #: −1 = retry until the record expires (AWS default), or 0–10,000.
    max_retry_attempts: Annotated[StrictInt, Field(ge=-1, le=10000)] = -1
    #: −1 = no limit (AWS default), or 60–604,800 s.
    max_record_age_s: Annotated[float, Field(ge=-1, le=604800, allow_inf_nan=False), NUMBER] = -1.0
    bisect_batch_on_error: StrictBool = False
    report_batch_item_failures: StrictBool = False
    on_failure: OnFailure | None = None

    @model_validator(mode="after")
    def _age(self) -> StreamTrigger:
        if self.max_record_age_s != -1 and self.max_record_age_s < 60:
            raise ValueError("max_record_age_s is -1 or 60..604800 (§8)")
        return self
