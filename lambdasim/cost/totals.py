"""Billing totals of one function over one run: the input record of the Lambda cost functions.

Units: ``*_ms`` milliseconds, ``seconds`` seconds, ``*_mb`` MB, ``*_gb_s`` GB-s
(memory MB / 1,024 × s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lambdasim.cost.tables import ARCHITECTURES

__all__ = ["EPHEMERAL_RANGE_MB", "FREE_EPHEMERAL_MB", "MEMORY_RANGE_MB", "BillingTotals"]

#: Configurable function memory, MB (aws-lambda-behaviour.md §3).
MEMORY_RANGE_MB: tuple[int, int] = (128, 10_240)
#: Configurable ``/tmp`` size, MB (§3).
EPHEMERAL_RANGE_MB: tuple[int, int] = (512, 10_240)
#: The first 512 MB of ``/tmp`` are included in the duration price (§3, §10.1).
FREE_EPHEMERAL_MB = 512


@dataclass(frozen=True, slots=True)
class BillingTotals:
    """Billing totals of one function over one run, the input of every cost function.

    Parameters
    ----------
    function : str
        Function name; one row of the cost frame.
    architecture : str
        ``"x86_64"`` or ``"arm64"``.
    memory_mb : int
        Configured memory in MB (128–10,240).
    requests : int
        Invocations that ran, i.e. billed requests; throttled requests are not billed.
    billed_ms : int
        Σ over invocations of the duration rounded up to 1 ms, in ms, INIT excluded.
    init_billed_ms_delta : int
        Σ over cold starts of ``ceil(init + duration) − ceil(duration)`` in ms: what billing
        INIT adds. Counted only under tables where on-demand INIT is billed
        (:func:`lambdasim.cost.init_billed`), or always with ``init_billed_always``.
    seconds : float
        Simulated seconds the totals cover (horizon − warm-up), in s.
    ephemeral_storage_mb : int, default 512
        Configured ``/tmp`` size in MB; only the part above 512 MB is charged.
    pc_allocated_gb_s : float, default 0
        Provisioned concurrency billed for the run, GB-s: configured PC × memory × time
        enabled, each configuration interval already rounded up to 5 minutes
        (aws-lambda-behaviour.md §9, §10.3; :func:`lambdasim.cost.provisioned.enabled_unit_s`).
    pc_billed_ms : int, default 0
        Σ billed ms of invokes that ran on provisioned environments (PC duration price; not in
        ``billed_ms``).
    pc_init_ms : int, default 0
        Billed INIT of provisioned environments (allocation and recycling), ms, at the PC
        duration price (the rate for PC inits is not stated by AWS, §10.3 [UNVERIFIED]).
        Billed under every table: AWS billed PC INIT before 2025-08-01 too (§10.2).
    pc_enabled_gb_s : float or None, default None
        The same PC GB-s before rounding. :func:`lambdasim.cost.monthly_projection` scales
        this, not ``pc_allocated_gb_s``: a month of the run's pattern is not a month of short
        runs each rounded up to 5 minutes. None = ``pc_allocated_gb_s`` (totals made by hand).
    init_billed_always : bool, default False
        The function paid for INIT before 2025-08-01 too: a custom runtime (``provided.*``)
        or a container image (AWS Compute Blog, "AWS Lambda standardizes billing for INIT
        phase", Apr 2025, §10.2). Then ``init_billed_ms_delta`` is billed under every table.
    """

    function: str
    architecture: str
    memory_mb: int
    requests: int
    billed_ms: int
    init_billed_ms_delta: int
    seconds: float
    ephemeral_storage_mb: int = 512
    pc_allocated_gb_s: float = 0.0
    pc_billed_ms: int = 0
    pc_init_ms: int = 0
    pc_enabled_gb_s: float | None = None
    init_billed_always: bool = False

    def __post_init__(self) -> None:
        # Validate here so that a bad total fails where it is made, not deep in a cost frame.
        if self.architecture not in ARCHITECTURES:
            raise ValueError(
                f"{self.function}: architecture {self.architecture!r} is not one of {ARCHITECTURES}"
            )
        lo, hi = MEMORY_RANGE_MB
        if not lo <= self.memory_mb <= hi:
            raise ValueError(f"{self.function}: memory_mb={self.memory_mb} outside {lo}–{hi} MB")
        lo, hi = EPHEMERAL_RANGE_MB
        if not lo <= self.ephemeral_storage_mb <= hi:
            raise ValueError(
                f"{self.function}: ephemeral_storage_mb={self.ephemeral_storage_mb} "
                f"outside {lo}–{hi} MB"
            )
        for name in ("requests", "billed_ms", "init_billed_ms_delta", "pc_billed_ms", "pc_init_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{self.function}: {name} must be >= 0")
        for name in ("pc_allocated_gb_s", "pc_enabled_gb_s"):
            v = getattr(self, name)
            if v is not None and not (v >= 0.0 and math.isfinite(v)):
                raise ValueError(f"{self.function}: {name} must be finite and >= 0")
        if not (self.seconds >= 0.0 and math.isfinite(self.seconds)):
            raise ValueError(f"{self.function}: seconds must be finite and >= 0")
