"""Cold-start models: the low-rate single-environment approximation and the Mahmoudi–Khazaei
steady state of a scale-per-request platform with a fixed idle timeout.

validation.md §1 items 3–4. λ is the arrival rate in requests per second, S the execution time
in seconds, T the idle timeout (keep-alive) in seconds.

The Mahmoudi–Khazaei model (N. Mahmoudi and H. Khazaei, "Performance Modeling of Serverless
Computing Platforms", IEEE Transactions on Cloud Computing, 2020; reference implementation
``pacsltk.perfmodel.get_sls_warm_count_dist``, MIT licence) here is an independent
re-implementation of the restatement in validation.md. It reproduces the pacsltk reference
outputs quoted there to the printed digits (e.g. λ = 100/s, warm 2 s, cold 25 s, T = 600 s →
251.0439 environments, P(cold) = 6.47e-5). Note that the birth rate must include the cold
service rate in series (U_n = λB·μ_c / (λB + μ_c)), as validation.md states: with the plain
cold-start rate λB as birth rate (which some copies of the pacsltk source use) the first
reference case gives 251.408 environments and P(cold) = 5.94e-5 instead.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lambdasim.theory._checks import check_count, check_nonnegative, check_positive

__all__ = [
    "MAX_STATES",
    "TAIL_MASS_TOLERANCE",
    "SteadyState",
    "low_rate_cold_probability",
    "low_rate_environments",
    "steady_state_cold_start",
]

#: Probability mass that :func:`steady_state_cold_start` may leave out of the truncated chain.
TAIL_MASS_TOLERANCE = 1e-12

#: Hard limit on the number of states explored by :func:`steady_state_cold_start`.
MAX_STATES = 10_000_000

# Below this argument the lifetime helper h(y) is evaluated by its Taylor series.
_SERIES_THRESHOLD = 1e-4
# Above this value of λ_m·T the lifetime is handled in log space (e^{λ_m T} would overflow).
_LOG_SPACE_THRESHOLD = 50.0


# --------------------------------------------------------------------------------------------
# Low-rate single-environment approximation
# --------------------------------------------------------------------------------------------


def low_rate_cold_probability(
    rate_per_s: float, mean_service_s: float, idle_timeout_s: float
) -> float:
    """Approximate cold-start probability at low request rates (single environment).

    Valid when λ·T is O(1) and λ·E[S] ≪ 1: a request is cold if the previous one ended more
    than T ago, or if the only environment is busy:

        P(cold) ≈ p + (1 − p)·ρ / (1 + ρ),  p = e^{−λ(T + E[S])},  ρ = λ·E[S].

    Parameters
    ----------
    rate_per_s : float
        λ, Poisson arrival rate in requests per second (>= 0).
    mean_service_s : float
        E[S], mean execution time in seconds (>= 0).
    idle_timeout_s : float
        T, idle timeout (keep-alive) in seconds (>= 0).

    Returns
    -------
    float
        Approximate probability (dimensionless) that a request starts cold.

    Raises
    ------
    ValueError
        If any argument is negative or not finite.
    """
    lam = check_nonnegative("rate_per_s", rate_per_s)
    s = check_nonnegative("mean_service_s", mean_service_s)
    t = check_nonnegative("idle_timeout_s", idle_timeout_s)
    p = math.exp(-lam * (t + s))
    rho = lam * s
    return p + (1.0 - p) * rho / (1.0 + rho)


def low_rate_environments(rate_per_s: float, mean_service_s: float, idle_timeout_s: float) -> float:
    """Rough mean number of environments at low request rates: 1 − e^{−λT} + ρ.

    The first term is the probability that the (single) kept-alive environment has received
    a request within the last T seconds; ρ = λ·E[S] adds the occasional second, busy one.

    Parameters
    ----------
    rate_per_s : float
        λ, Poisson arrival rate in requests per second (>= 0).
    mean_service_s : float
        E[S], mean execution time in seconds (>= 0).
    idle_timeout_s : float
        T, idle timeout (keep-alive) in seconds (>= 0).

    Returns
    -------
    float
        Approximate time-average number of live environments (environments).

    Raises
    ------
    ValueError
        If any argument is negative or not finite.
    """
    lam = check_nonnegative("rate_per_s", rate_per_s)
    s = check_nonnegative("mean_service_s", mean_service_s)
    t = check_nonnegative("idle_timeout_s", idle_timeout_s)
    return -math.expm1(-lam * t) + lam * s


# --------------------------------------------------------------------------------------------
# Mahmoudi–Khazaei steady-state model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SteadyState:
    """Steady-state averages of the Mahmoudi–Khazaei model (see :func:`steady_state_cold_start`).

    Attributes
    ----------
    p_cold : float
        Fraction of arriving requests that start cold (dimensionless).
    environments : float
        Time-average number of live (warm) environments, E[n] (environments).
    running : float
        Time-average number of requests being executed, warm plus cold:
        Σ π_n λ((1 − B_n)E[S_warm] + B_n E[S_cold]) (environments). This is pacsltk's
        ``avg_running_count``; the warm part alone is :attr:`running_warm`.
    idle : float
        environments − running_warm (environments). As in pacsltk, environments that are
        still cold-starting are not subtracted, so ``idle != environments - running`` in
        general.
    utilisation : float
        running_warm ÷ environments (dimensionless).
    mean_response_s : float
        Mean response time of served requests in seconds:
        P(cold)·E[S_cold] + (1 − P(cold))·E[S_warm] when nothing is rejected.
    p_reject : float
        Fraction of arriving requests rejected because ``max_environments`` was reached
        (dimensionless); 0 without a limit.
    """

    p_cold: float
    environments: float
    running: float
    idle: float
    utilisation: float
    mean_response_s: float
    p_reject: float = 0.0

    @property
    def running_warm(self) -> float:
        """Time-average number of warm environments executing a request (environments)."""
        return self.environments - self.idle


def _log_erlang_b_step(log_rho: float, rho: float, log_b_prev: float, k: int) -> float:
    """log B(ρ, k) from log B(ρ, k−1): log ρ + log B_{k−1} − log(k + ρ·B_{k−1})."""
    return log_rho + log_b_prev - math.log(k + rho * math.exp(log_b_prev))


def _h(y: float) -> float:
    """h(y) = (1 − e^{−y})/y − e^{−y} (so that g_m = T'·h(λ_m T')), cancellation-free."""
    if y < _SERIES_THRESHOLD:
        # Σ_{k≥1} (−1)^{k+1} k y^k / (k+1)!  = y/2 − y²/3 + y³/8 − y⁴/30 + ...
        return y * (0.5 - y * (1.0 / 3.0 - y * (0.125 - y / 30.0)))
    return -math.expm1(-y) / y - math.exp(-y)


def _log_lifetime(lam_m: float, idle_timeout: float, warm_mean: float) -> float:
    """Natural log of L_m, the mean lifetime (s) of an environment receiving rate ``lam_m``.

    L_m = T + (1/q_m − 1)·g_m with q_m = e^{−λ_m T} and
    g_m = (1 − e^{−λ_m T'})/λ_m − T'·e^{−λ_m T'} = T'·h(λ_m T'), T' = T + E[S_warm].

    * λ_m → 0 (an environment that almost never gets a warm request): g_m → 0 and
      1/q_m − 1 → 0, so L_m → T -- it serves the cold start that created it, idles for T and
      dies. The Taylor series in :func:`_h` keeps this limit exact (no 0/0).
    * λ_m·T ≫ 1 (a busy environment): 1/q_m = e^{λ_m T} overflows, so the log of the lifetime
      is returned instead; its death rate 1/L_m = exp(−log L_m) then underflows harmlessly to
      0, i.e. such an environment practically never expires.
    """
    t_prime = idle_timeout + warm_mean
    x = lam_m * idle_timeout
    g = t_prime * _h(lam_m * t_prime)
    if x <= _LOG_SPACE_THRESHOLD:
        return math.log(idle_timeout + math.expm1(x) * g)
    # log(e^x − 1) = x + log1p(−e^{−x}); g > 0 here because λ_m > 0.
    log_growth = x + math.log1p(-math.exp(-x)) + math.log(g)
    return float(np.logaddexp(math.log(idle_timeout), log_growth))


def steady_state_cold_start(
    rate_per_s: float,
    warm_mean_s: float,
    cold_mean_s: float,
    idle_timeout_s: float,
    *,
    max_environments: int | None = None,
) -> SteadyState:
    """Steady state of the Mahmoudi–Khazaei model of a scale-per-request serverless platform.

    Implements the birth–death chain restated in validation.md §1 item 3 (IEEE TCC 2020;
    pacsltk ``get_sls_warm_count_dist``). The state n is the number of warm environments.
    With ρ = λ·E[S_warm] and B_n = B(ρ, n) (Erlang-B):

    * cold-start probability in state n is B_n; environment m (requests go to the lowest-
      numbered free one) receives the overflow rate λ_m = λ(B_{m−1} − B_m);
    * its mean lifetime is L_m = T + (1/q_m − 1)·g_m with q_m = e^{−λ_m T},
      g_m = (1 − e^{−λ_m T'})/λ_m − T'e^{−λ_m T'}, T' = T + E[S_warm];
    * death rate D_n = Σ_{m≤n} 1/L_m, birth rate U_n = λB_n·μ_c/(λB_n + μ_c), μ_c = 1/E[S_cold];
    * π_{n+1}/π_n = U_n / D_{n+1}.

    Averages: P(cold) = Σ π_n B_n; running = Σ π_n λ((1 − B_n)E[S_warm] + B_n E[S_cold]);
    environments = Σ π_n n; idle = environments − Σ π_n λ(1 − B_n)E[S_warm];
    utilisation = warm running ÷ environments; mean response =
    P(cold)·E[S_cold] + (1 − P(cold))·E[S_warm].

    Parameters
    ----------
    rate_per_s : float
        λ, Poisson arrival rate in requests per second (> 0).
    warm_mean_s : float
        E[S_warm], mean warm execution time in seconds (> 0).
    cold_mean_s : float
        E[S_cold], mean cold-start response time (init + execution) in seconds (> 0).
    idle_timeout_s : float
        T, idle timeout (keep-alive) in seconds (> 0).
    max_environments : int or None, optional
        Concurrency limit c (>= 1). In state c there are no more births: requests that find
        all c environments busy are rejected (counted in ``p_reject``, not in ``p_cold``), and
        ``mean_response_s`` is averaged over served requests only. ``None`` (default) means
        unlimited.

    Returns
    -------
    SteadyState
        Time averages (environments, seconds, probabilities; see :class:`SteadyState`).

    Raises
    ------
    ValueError
        If a rate or time is not finite and > 0, or ``max_environments`` is not an int >= 1.
    RuntimeError
        If the chain does not reach the tail tolerance within ``MAX_STATES`` states.

    Notes
    -----
    Everything is carried in log space: log B_n by the Erlang recursion, log λ_m through the
    cancellation-free identity B_{m−1} − B_m = B_{m−1}(m − ρ(1 − B_{m−1}))/(m + ρB_{m−1})
    (the factor m − ρ(1 − B_{m−1}) is >= 1 because the carried load of m − 1 servers is below
    m − 1), log L_m (see :func:`_log_lifetime`: λ_m → 0 gives L_m → T, λ_m T ≫ 1 gives a
    lifetime so long its death rate is 0 to double precision), log D_n by log-sum-exp and
    log π_n by the product of ratios, so nothing overflows for large λT or ρ.

    Truncation: U_n decreases in n and D_n does not, so the ratios r_n = π_{n+1}/π_n are
    non-increasing and the tail beyond state N is at most π_N·r_N/(1 − r_N). States are added
    until that bound is below ``TAIL_MASS_TOLERANCE`` (1e-12) of the mass kept, or until
    ``max_environments`` is reached.
    """
    lam = check_positive("rate_per_s", rate_per_s)
    warm = check_positive("warm_mean_s", warm_mean_s)
    cold = check_positive("cold_mean_s", cold_mean_s)
    timeout = check_positive("idle_timeout_s", idle_timeout_s)
    cap = None if max_environments is None else check_count("max_environments", max_environments, 1)

    rho = lam * warm
    log_rho = math.log(rho)
    log_lam = math.log(lam)
    log_mu_c = -math.log(cold)
    log_tol = math.log(TAIL_MASS_TOLERANCE)

    log_b = [0.0]  # log B(ρ, n); B(ρ, 0) = 1
    log_pi = [0.0]  # unnormalised log π_n
    log_mass = 0.0  # log Σ_{k≤n} π_k (unnormalised)
    log_death = -math.inf  # log D_n
    rejecting = False

    n = 0
    while True:
        if cap is not None and n == cap:
            rejecting = True
            break
        if n + 1 >= MAX_STATES:
            raise RuntimeError(
                f"steady_state_cold_start did not converge within {MAX_STATES} states"
            )
        # Birth rate out of state n: cold starts λB_n in series with cold service μ_c.
        log_cold_rate = log_lam + log_b[n]
        log_birth = log_cold_rate + log_mu_c - float(np.logaddexp(log_cold_rate, log_mu_c))

        # Environment m = n + 1: its overflow arrival rate, lifetime and the new death rate.
        m = n + 1
        b_prev = math.exp(log_b[n])
        log_lam_m = (
            log_lam + log_b[n] + math.log(m - rho * (1.0 - b_prev)) - math.log(m + rho * b_prev)
        )
        log_life = _log_lifetime(math.exp(log_lam_m), timeout, warm)
        log_death = float(np.logaddexp(log_death, -log_life))

        log_ratio = log_birth - log_death  # log(π_{n+1}/π_n)
        if log_ratio < 0.0:
            # Geometric bound on the tail: Σ_{k>n} π_k <= π_n r / (1 − r).
            log_tail = log_pi[n] + log_ratio - math.log(-math.expm1(log_ratio))
            if log_tail - log_mass < log_tol:
                break
        log_b.append(_log_erlang_b_step(log_rho, rho, log_b[n], m))
        log_pi.append(log_pi[n] + log_ratio)
        log_mass = float(np.logaddexp(log_mass, log_pi[m]))
        n = m

    lp = np.asarray(log_pi)
    pi = np.exp(lp - lp.max())
    pi /= pi.sum()
    blocking = np.exp(np.asarray(log_b))
    states = np.arange(pi.size, dtype=np.float64)

    cold_frac = blocking.copy()  # per-state probability that an arrival starts cold
    reject_frac = np.zeros_like(blocking)
    if rejecting:
        reject_frac[-1] = cold_frac[-1]
        cold_frac[-1] = 0.0

    p_cold = float(pi @ cold_frac)
    p_reject = float(pi @ reject_frac)
    environments = float(pi @ states)
    running_warm = float(pi @ (lam * (1.0 - blocking) * warm))
    running = running_warm + float(pi @ (lam * cold_frac * cold))
    served = 1.0 - p_reject
    mean_response = (p_cold * cold + (served - p_cold) * warm) / served
    return SteadyState(
        p_cold=p_cold,
        environments=environments,
        running=running,
        idle=environments - running_warm,
        utilisation=running_warm / environments if environments > 0.0 else 0.0,
        mean_response_s=mean_response,
        p_reject=p_reject,
    )
