"""Dated AWS Lambda price tables and cost arithmetic on billing totals.

Prices live in versioned YAML tables shipped as package data (``lambdasim/cost/pricing/``), never in
code, and every result names the table it was priced with (stack.md §2.11). The package holds
pure functions of per-run totals; it knows nothing about the simulation and imports nothing from
lambdasim but :mod:`lambdasim.units` (and :mod:`lambdasim.errors`, for :class:`PricingError`).

Modules
-------
* :mod:`lambdasim.cost.tables` -- the table schema, :func:`available_tables`, :func:`load_table`,
  :class:`PricingError`;
* :mod:`lambdasim.cost.totals` -- :class:`BillingTotals`, the per-function input record;
* :mod:`lambdasim.cost.lambda_` -- Lambda requests, tiered duration, INIT rule, provisioned
  concurrency: :func:`run_cost`, :func:`monthly_projection`, :func:`cost_from_usage`;
* :mod:`lambdasim.cost.sqs` -- SQS request cost and event-poller-unit cost.

Units: prices in USD; ``*_ms`` milliseconds, ``seconds``/``*_s`` seconds, ``*_mb`` MB
(1 GB = 1,024 MB), ``gb_s`` = (memory MB / 1,024) × billed seconds. Nothing is rounded here;
callers round for display.
"""

from __future__ import annotations

from lambdasim.cost.lambda_ import (
    COST_COLUMNS,
    billed_gb_s,
    cost_from_usage,
    init_billed,
    monthly_projection,
    run_cost,
)
from lambdasim.cost.sqs import (
    SqsCostTotals,
    epu_cost_usd,
    epu_hours,
    monthly_scale,
    queue_request_cost_usd,
    sqs_cost_totals,
    sqs_monthly_usd,
    sqs_request_price,
)
from lambdasim.cost.tables import (
    ARCHITECTURES,
    DEFAULT_TABLE,
    ArchitecturePricing,
    BillingRules,
    DurationTier,
    FreeTier,
    PricingError,
    PricingTable,
    RegionPricing,
    SqsPricing,
    available_tables,
    load_table,
)
from lambdasim.cost.totals import BillingTotals

__all__ = [
    "ARCHITECTURES",
    "COST_COLUMNS",
    "DEFAULT_TABLE",
    "ArchitecturePricing",
    "BillingRules",
    "BillingTotals",
    "DurationTier",
    "FreeTier",
    "PricingError",
    "PricingTable",
    "RegionPricing",
    "SqsCostTotals",
    "SqsPricing",
    "available_tables",
    "billed_gb_s",
    "cost_from_usage",
    "epu_cost_usd",
    "epu_hours",
    "init_billed",
    "load_table",
    "monthly_projection",
    "monthly_scale",
    "queue_request_cost_usd",
    "run_cost",
    "sqs_cost_totals",
    "sqs_monthly_usd",
    "sqs_request_price",
]
