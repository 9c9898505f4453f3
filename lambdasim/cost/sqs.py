"""Amazon SQS request cost and SQS event-poller-unit (EPU) cost, on plain totals.

Pure functions of counts, seconds and a :class:`~lambdasim.cost.tables.PricingTable`; they know
nothing about queues or mappings. Results code extracts the totals (requests, empty receives,
poller-seconds) and calls these.

Units: prices and costs in USD; ``*_s`` seconds; ``requests`` are billed SQS API requests, each
64-KB payload chunk of a send already counted as one (aws-lambda-behaviour.md §10.5); an EPU-hour
is one event poller unit kept for one hour (§7.5).

Nothing is rounded here; callers round for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lambdasim.cost.tables import PricingTable, SqsPricing

__all__ = [
    "SqsCostTotals",
    "epu_cost_usd",
    "epu_hours",
    "monthly_scale",
    "queue_request_cost_usd",
    "sqs_cost_totals",
    "sqs_monthly_usd",
    "sqs_request_price",
]

_SECONDS_PER_HOUR = 3600.0
_SECONDS_PER_DAY = 86_400.0


def _sqs_prices(table: PricingTable, region: str) -> SqsPricing:
    # A missing region falls back to the table's `default` prices, as for Lambda; the fallback
    # warning is reported with the Lambda cost frame, so it is dropped here.
    return table.for_region(region)[0].sqs


def sqs_request_price(fifo: bool, table: PricingTable, region: str) -> float:
    """Price of one SQS request.

    Parameters
    ----------
    fifo : bool
        FIFO queue (``True``) or standard queue.
    table : PricingTable
        Price table.
    region : str
        AWS region; a region missing from the table uses its ``default`` prices.

    Returns
    -------
    float
        USD per request (standard: $0.40 per 1M = 4e-7 in the shipped tables).
    """
    sqs = _sqs_prices(table, region)
    return sqs.fifo_usd_per_request if fifo else sqs.standard_usd_per_request


def _billable(requests: int, empty_receives: int, sqs: SqsPricing) -> int:
    # The queue counts empty receives among its requests; a table that does not bill them
    # takes them out again. Every shipped table bills them (§10.5), so this is `requests`.
    if requests < 0 or not 0 <= empty_receives <= requests:
        raise ValueError(
            f"need 0 <= empty_receives <= requests, got {empty_receives=} and {requests=}"
        )
    return requests if sqs.empty_receives_billed else requests - empty_receives


def monthly_scale(amount: float, window_s: float, days: float = 30.0) -> float:
    """Project an amount counted over the statistics window to ``days`` days.

    Parameters
    ----------
    amount : float
        Count or cost over the window (any unit; the result has the same unit).
    window_s : float
        Length of the window the amount was counted over (horizon − warm-up), s; > 0.
    days : float, default 30.0
        Length of the projected month, days.

    Returns
    -------
    float
        ``amount × days × 86,400 / window_s``, multiplied in that order (so that projected
        numbers stay bit-identical to the ones results have always reported).
    """
    if not window_s > 0.0:
        raise ValueError(f"window_s must be > 0, got {window_s!r}")
    return amount * days * _SECONDS_PER_DAY / window_s


def queue_request_cost_usd(
    requests: int,
    fifo: bool,
    table: PricingTable,
    region: str,
    *,
    empty_receives: int = 0,
) -> float:
    """Request cost of one queue over the window, without the free tier.

    Parameters
    ----------
    requests : int
        Billed API requests counted over the window (sends in 64-KB chunks, receives,
        deletes, empty receives).
    fifo : bool
        FIFO queue (``True``) or standard queue.
    table : PricingTable
        Price table.
    region : str
        AWS region; a region missing from the table uses its ``default`` prices.
    empty_receives : int, default 0
        How many of ``requests`` were empty receives; taken out again if the table's
        ``sqs.empty_receives_billed`` is false.

    Returns
    -------
    float
        Cost in USD.
    """
    billable = _billable(requests, empty_receives, _sqs_prices(table, region))
    return billable * sqs_request_price(fifo, table, region)


def sqs_monthly_usd(
    requests: int,
    fifo: bool,
    table: PricingTable,
    region: str,
    *,
    window_s: float,
    free_tier: bool,
    days: float = 30.0,
    empty_receives: int = 0,
) -> float:
    """Request cost of one queue projected to ``days`` days.

    Parameters
    ----------
    requests : int
        Billed API requests counted over the window (see :func:`queue_request_cost_usd`).
    fifo : bool
        FIFO queue (``True``) or standard queue.
    table : PricingTable
        Price table.
    region : str
        AWS region; a region missing from the table uses its ``default`` prices.
    window_s : float
        Length of the window the requests were counted over, s; > 0.
    free_tier : bool
        Deduct the table's free SQS requests per month (``sqs.free_requests``) from this
        queue's projected requests.
    days : float, default 30.0
        Length of the projected month, days.
    empty_receives : int, default 0
        How many of ``requests`` were empty receives (see :func:`queue_request_cost_usd`).

    Returns
    -------
    float
        Projected monthly cost in USD, never negative.
    """
    sqs = _sqs_prices(table, region)
    reqs = monthly_scale(_billable(requests, empty_receives, sqs), window_s, days)
    if free_tier:
        reqs = max(0.0, reqs - sqs.free_requests)
    return reqs * sqs_request_price(fifo, table, region)


def epu_hours(poller_seconds: float) -> float:
    """Event-poller-unit hours of a provisioned-mode SQS event source mapping.

    Parameters
    ----------
    poller_seconds : float
        Σ over time of the pollers kept, in EPU-seconds.

    Returns
    -------
    float
        EPU-hours (``poller_seconds / 3,600``).
    """
    return poller_seconds / _SECONDS_PER_HOUR


def epu_cost_usd(poller_seconds: float, table: PricingTable, region: str) -> float:
    """Cost of the event pollers of a provisioned-mode SQS event source mapping.

    Parameters
    ----------
    poller_seconds : float
        Σ over time of the pollers kept, in EPU-seconds.
    table : PricingTable
        Price table (``sqs.provisioned_poller_usd_per_epu_hour``).
    region : str
        AWS region; a region missing from the table uses its ``default`` prices.

    Returns
    -------
    float
        Cost in USD: EPU-hours × price per EPU-hour.
    """
    price = _sqs_prices(table, region).provisioned_poller_usd_per_epu_hour
    return epu_hours(poller_seconds) * price


@dataclass(frozen=True, slots=True)
class SqsCostTotals:
    """SQS cost of a whole run: queue requests and event pollers, window and month.

    Attributes
    ----------
    requests_usd : float
        Σ of the queues' request cost over the window, USD.
    pollers_usd : float
        Σ of the mappings' EPU cost over the window, USD.
    requests_monthly_usd : float
        Σ of the queues' projected monthly request cost, USD.
    pollers_monthly_usd : float
        EPU cost projected to the month, USD.
    """

    requests_usd: float
    pollers_usd: float
    requests_monthly_usd: float
    pollers_monthly_usd: float


def sqs_cost_totals(
    *,
    queue_usd: Iterable[float],
    queue_monthly_usd: Iterable[float],
    poller_usd: Iterable[float],
    window_s: float,
    days: float = 30.0,
) -> SqsCostTotals:
    """Add up the SQS costs of a run and project the poller cost to a month.

    Parameters
    ----------
    queue_usd : iterable of float
        Each queue's request cost over the window (:func:`queue_request_cost_usd`), USD.
    queue_monthly_usd : iterable of float
        Each queue's projected monthly request cost (:func:`sqs_monthly_usd`), USD.
    poller_usd : iterable of float
        Each mapping's EPU cost over the window (:func:`epu_cost_usd`), USD.
    window_s : float
        Length of the statistics window, s; > 0.
    days : float, default 30.0
        Length of the projected month, days.

    Returns
    -------
    SqsCostTotals
        The four sums, USD. Plain left-to-right sums (not ``math.fsum``), so that totals stay
        bit-identical to the ones results have always reported; an empty input sums to 0.
    """
    pollers = sum(poller_usd)
    return SqsCostTotals(
        requests_usd=sum(queue_usd),
        pollers_usd=pollers,
        requests_monthly_usd=sum(queue_monthly_usd),
        pollers_monthly_usd=monthly_scale(pollers, window_s, days),
    )
