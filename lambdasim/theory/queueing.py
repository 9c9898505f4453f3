"""Queueing closed forms: Erlang-B loss (M/G/c/c) and M/G/∞ concurrency.

validation.md §1 items 1–2. λ is the arrival rate in requests per second, E[S] the mean
execution time in seconds, c a concurrency limit (environments) and A = λ·E[S] the offered load
in Erlangs.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import numpy.typing as npt

from lambdasim.theory._checks import check_count, check_nonnegative

__all__ = ["erlang_b", "mg_inf_mean", "mg_inf_pmf"]


# --------------------------------------------------------------------------------------------
# Erlang-B and M/G/∞
# --------------------------------------------------------------------------------------------


def erlang_b(offered_load: float, servers: int) -> float:
    """Erlang-B blocking (throttle) probability B(A, c) of an M/G/c/c loss system.

    Poisson arrivals, any i.i.d. service-time distribution, ``servers`` environments and no
    queue: the fraction of requests that find every environment busy and are rejected
    (HTTP 429 for synchronous Lambda invokes).

    Computed with the numerically stable recursion B(A, 0) = 1,
    B(A, k) = A·B(A, k−1) / (k + A·B(A, k−1)), which never overflows.

    Parameters
    ----------
    offered_load : float
        A = λ·E[S], in Erlangs (dimensionless; mean number of busy environments without a
        limit). Must be finite and >= 0.
    servers : int
        c, the number of environments (concurrency limit). Must be an integer >= 0.

    Returns
    -------
    float
        Blocking probability in [0, 1] (dimensionless). B(A, 0) = 1; B(0, c) = 0 for c >= 1.

    Raises
    ------
    ValueError
        If ``offered_load`` is negative or not finite, or ``servers`` is not an integer >= 0.

    Examples
    --------
    >>> erlang_b(1.0, 1)
    0.5
    """
    a = check_nonnegative("offered_load", offered_load)
    c = check_count("servers", servers, 0)
    b = 1.0
    for k in range(1, c + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


@overload
def mg_inf_pmf(offered_load: float, k: int) -> float: ...


@overload
def mg_inf_pmf(offered_load: float, k: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.float64]: ...


def mg_inf_pmf(
    offered_load: float, k: int | npt.NDArray[np.integer[Any]]
) -> float | npt.NDArray[np.float64]:
    """Stationary distribution of the number of busy environments in an M/G/∞ system.

    With Poisson arrivals and unlimited environments (no concurrency limit, no cold-start
    delay) the number N of busy environments is Poisson with mean A = λ·E[S], whatever the
    service-time distribution: P(N = k) = e^{−A} A^k / k!.

    Parameters
    ----------
    offered_load : float
        A = λ·E[S] in Erlangs (λ in requests/s, E[S] in s). Must be finite and >= 0.
    k : int or numpy.ndarray of int
        Number(s) of busy environments. Negative values have probability 0.

    Returns
    -------
    float or numpy.ndarray
        P(N = k) (dimensionless); a float for scalar ``k``, a float64 array of the same shape
        for array ``k``.

    Raises
    ------
    ValueError
        If ``offered_load`` is negative or not finite.
    """
    # Imported here, not at module level, so that ``import lambdasim`` does not load SciPy.
    from scipy import stats

    a = check_nonnegative("offered_load", offered_load)
    if isinstance(k, np.ndarray):
        return np.asarray(stats.poisson.pmf(k, a), dtype=np.float64)
    return float(stats.poisson.pmf(k, a))


def mg_inf_mean(offered_load: float) -> float:
    """Mean number of busy environments in an M/G/∞ system (Little's law).

    Parameters
    ----------
    offered_load : float
        A = λ·E[S] in Erlangs (λ in requests/s, E[S] in s). Must be finite and >= 0.

    Returns
    -------
    float
        E[N] = A, the time-average number of busy environments (environments).

    Raises
    ------
    ValueError
        If ``offered_load`` is negative or not finite.
    """
    return check_nonnegative("offered_load", offered_load)
