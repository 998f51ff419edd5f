"""Importance sampling and its reliability check (ch. 6): estimators and Pareto-smoothed weights.

With draws z_k ~ q and weights w_k = p(z_k)/q(z_k) (log-weights ``log_w [k, B]``):

- :func:`plain_estimate`: (1/K) Σ_k w_k f(z_k), unbiased for E_p[f] when p is normalised;
- :func:`self_normalised_estimate`: Σ_k w_k f(z_k) / Σ_j w_j, for a p known up to a constant;
  consistent, with a bias of order 1/K;
- :func:`gaussian_weight_second_moment`: E_q[w²] in closed form for p = N(0, 1), q = N(m, s²),
  finite only when s² > 1/2 (a proposal too narrow gives weights of infinite variance);
- :func:`psis`: Pareto-smoothed importance sampling (Vehtari et al. 2015/2024): a generalized
  Pareto distribution fitted to the M = ⌊min(K/5, 3√K)⌋ largest weights (:func:`tail_size`) by
  the method of Zhang and Stephens (2009) (:func:`gpd_fit`); its shape k̂ says how many moments
  the weights have (1/k̂), and k̂ above :func:`pareto_k_threshold` (0.7 for large K) flags an
  estimate that cannot be trusted.

The effective sample size (Σ w)²/Σ w² is :func:`vae_lessons.estimators.effective_sample_size`.
The PSIS code follows ArviZ (``arviz_stats`` 0.8.0, ``psislw``), which tests/test_importance.py
uses as the reference implementation.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch.distributions import Independent, Normal

from . import _validate
from .jackknife import log_weight_moment

__all__ = [
    "plain_estimate",
    "self_normalised_estimate",
    "gaussian_weight_second_moment",
    "tail_size",
    "gpd_fit",
    "PSIS",
    "psis",
    "pareto_k_threshold",
]

#: Zhang & Stephens' prior on θ scales with the first quartile of the tail (their "3").
_PRIOR_BS = 3
#: Vehtari et al. (2024): k̂ is pulled towards 0.5 as if 10 more tail draws had shape 0.5.
_PRIOR_K, _PRIOR_K_MEAN = 10, 0.5


def _check_f(log_w: torch.Tensor, f) -> torch.Tensor:
    f = torch.as_tensor(f, dtype=log_w.dtype, device=log_w.device)
    if f.shape != log_w.shape:
        raise ValueError(
            f"f must have the shape of log_w {tuple(log_w.shape)}, got {tuple(f.shape)}"
        )
    return f


def plain_estimate(log_w: torch.Tensor, f) -> torch.Tensor:
    """(1/K) Σ_k w_k f(z_k) over dim 0 of ``log_w`` and ``f`` ``[k, B]`` -> ``[B]`` (ch. 6).

    Unbiased for E_p[f] = E_q[(p/q) f] when w = p/q with p and q normalised; its variance is
    Var_q[w f]/K. The weights are exponentiated, so ``log_w`` must be log(p/q) of moderate size
    (for log p(x) itself use :func:`vae_lessons.estimators.log_likelihood`, a logsumexp).
    """
    log_w = _validate.log_weights(log_w, (1, 2))
    return (log_w.exp() * _check_f(log_w, f)).mean(0)


def self_normalised_estimate(log_w: torch.Tensor, f) -> torch.Tensor:
    """Σ_k w_k f(z_k) / Σ_j w_j over dim 0 of ``log_w`` and ``f`` ``[k, B]`` -> ``[B]`` (ch. 6).

    The normalised weights are a softmax of ``log_w``, so any constant in log w (an unknown
    normalising constant of p, as for a posterior) cancels. Consistent, with bias
    −E_q[w̄²(f − μ)]/K + O(1/K²), w̄ = w / E_q[w], μ = E_p[f].
    """
    log_w = _validate.log_weights(log_w, (1, 2))
    return (torch.softmax(log_w, 0) * _check_f(log_w, f)).sum(0)


def gaussian_weight_second_moment(mean: float, scale: float) -> float:
    """E_q[w²] for the target p = N(0, 1) and the proposal q = N(mean, scale²) (ch. 6).

    E_q[w²] = ∫ p²/q dz = s²/√(2s² − 1) · exp(m²/(2s² − 1)) when s² > 1/2, else ∞: a proposal
    narrower than 1/√2 gives weights of infinite variance. Var_q[w] = E_q[w²] − 1, and the
    effective sample size of K draws tends to K / E_q[w²]. The 1-D case of
    :func:`vae_lessons.jackknife.log_weight_moment` with n = 2, which computes it.
    """
    if not (isinstance(mean, (int, float)) and math.isfinite(mean)):
        raise ValueError(f"mean must be a finite number, got {mean!r}")
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be a positive number, got {scale!r}")
    p, q = (
        Independent(
            Normal(torch.tensor([m], dtype=torch.float64), torch.tensor([s], dtype=torch.float64)),
            1,
        )
        for m, s in ((0.0, 1.0), (mean, scale))
    )
    log_moment = float(log_weight_moment(p, q, 2))  # +inf when the integral diverges
    return (
        math.exp(log_moment) if log_moment < math.log(torch.finfo(torch.float64).max) else math.inf
    )


def tail_size(k: int) -> int:
    """M = ⌊min(K/5, 3√K)⌋, the number of largest weights PSIS fits (Vehtari et al. 2024)."""
    if not isinstance(k, int) or k < 25:
        raise ValueError(f"k must be an int >= 25 (a tail of at least 5 weights), got {k!r}")
    return math.floor(min(k / 5, 3 * math.sqrt(k)))


def gpd_fit(x: torch.Tensor) -> tuple[float, float]:
    """Shape k̂ and scale σ̂ of a generalized Pareto fit to sorted exceedances ``x [M]`` (ch. 6).

    GPD(k, σ): P(X > x) = (1 + k x/σ)^(−1/k). Zhang & Stephens (2009) write θ = −k/σ; for a
    given θ the likelihood is maximised by k(θ) = −mean log(1 − θ x) (here with the sign of
    Vehtari et al., k(θ) = mean log1p(−θ x)), which leaves a profile likelihood
    ℓ(θ) = M (log(−θ/k(θ)) − k(θ) − 1). θ̂ is its posterior mean over 30 + ⌊√M⌋ grid points,
    k̂ = k(θ̂), σ̂ = −k̂/θ̂; then the weakly informative prior of Vehtari et al. (2024) pulls k̂
    towards 0.5: k̂ ← (M k̂ + 10 · 0.5)/(M + 10). ``x`` must be ascending and non-negative.
    """
    if not torch.is_tensor(x) or x.dim() != 1 or len(x) < 5 or (x < 0).any():
        raise ValueError("x must be a 1-D tensor of at least 5 non-negative sorted exceedances")
    x = x.double()
    n = len(x)
    m = 30 + int(math.sqrt(n))
    theta = 1 - torch.sqrt(m / (torch.arange(1, m + 1, dtype=x.dtype, device=x.device) - 0.5))
    theta = theta / (_PRIOR_BS * x[int(n / 4 + 0.5) - 1]) + 1 / x[-1]
    k = torch.log1p(-theta.unsqueeze(1) * x).mean(1)  # k(θ) for each grid point
    log_lik = n * (torch.log(-theta / k) - k - 1)  # the profile log-likelihood ℓ(θ)
    weights = torch.softmax(log_lik, 0)
    weights = torch.where(weights >= 10 * torch.finfo(x.dtype).eps, weights, 0.0)
    theta_hat = (theta * weights).sum() / weights.sum()
    k_hat = float(torch.log1p(-theta_hat * x).mean())
    sigma = -k_hat / float(theta_hat)
    return (n * k_hat + _PRIOR_K * _PRIOR_K_MEAN) / (n + _PRIOR_K), sigma


def _gpd_quantile(p: torch.Tensor, k: float, sigma: float) -> torch.Tensor:
    if sigma <= 0:
        return torch.full_like(p, math.nan)
    if k == 0:
        return -sigma * torch.log1p(-p)
    return sigma * torch.expm1(-k * torch.log1p(-p)) / k


class PSIS(NamedTuple):
    """Pareto-smoothed log-weights (normalised: Σ exp = 1) and the tail shape k̂."""

    log_w: torch.Tensor
    k_hat: torch.Tensor


def _psis_1d(log_w: torch.Tensor) -> tuple[torch.Tensor, float]:
    k = len(log_w)
    m = tail_size(k)
    log_w = log_w - log_w.max()
    order = torch.argsort(log_w)
    tail_idx = order[k - m :]
    tail, log_cutoff = log_w[tail_idx], log_w[order[k - m - 1]]
    if float(tail[-1] - tail[0]) < torch.finfo(log_w.dtype).tiny:
        raise ValueError("log_w: the largest weights are all equal; there is no tail to fit")
    cutoff = log_cutoff.exp()
    k_hat, sigma = gpd_fit(tail.exp() - cutoff)
    if math.isfinite(k_hat):
        p = (torch.arange(m, dtype=log_w.dtype, device=log_w.device) + 0.5) / m
        smoothed = torch.log(_gpd_quantile(p, k_hat, sigma) + cutoff)
        log_w = log_w.clone()
        log_w[tail_idx] = torch.minimum(smoothed, tail[-1])
    return log_w - torch.logsumexp(log_w, 0), k_hat


def psis(log_w: torch.Tensor) -> PSIS:
    """Pareto-smoothed importance sampling of ``log_w [k]`` or ``[k, B]`` (ch. 6, Vehtari et al.).

    For each column: the M = :func:`tail_size` (K) largest weights, less the next largest (the
    cutoff), are fitted by :func:`gpd_fit`; k̂ is the fitted shape (the weights have finite
    moments of order < 1/k̂: variance when k̂ < 1/2), and the tail weights are replaced by the
    fitted quantiles at (i − ½)/M, capped at the largest raw weight. Returns the smoothed
    log-weights, normalised to Σ exp = 1 (same shape, float64), and k̂ (``[B]``, or a 0-d tensor
    for ``[k]``). Columns are fitted one at a time; the result matches ArviZ's ``psislw``.
    """
    log_w = _validate.log_weights(log_w, (1, 2)).double()
    columns = log_w.unsqueeze(1) if log_w.dim() == 1 else log_w
    fitted = [_psis_1d(col) for col in columns.T]
    smoothed = torch.stack([s for s, _ in fitted], 1)
    k_hat = torch.tensor([k for _, k in fitted], dtype=log_w.dtype, device=log_w.device)
    if log_w.dim() == 1:
        return PSIS(smoothed.squeeze(1), k_hat.squeeze(0))
    return PSIS(smoothed, k_hat)


def pareto_k_threshold(k: int) -> float:
    """min(1 − 1/log10 K, 0.7): k̂ above it makes K draws unreliable (Vehtari et al. 2024, §3)."""
    if not isinstance(k, int) or k < 2:
        raise ValueError(f"k must be an int >= 2, got {k!r}")
    return min(1 - 1 / math.log10(k), 0.7)
