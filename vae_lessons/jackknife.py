"""Jackknife variational inference (ch. 8): the O(1/k) bias of L_k and how to remove it.

With log-weights ``log_w [k, B]`` (log w_i = log p(x, z_i) − log q(z_i|x), z_i ~ q(z|x)) the
estimate L̂_k = log (1/k) Σ_i w_i has expectation L_k, the IWAE bound. Nowozin (2018):

- :func:`iwae_bias` and :func:`iwae_variance`: the delta-method expansions of E L̂_k − log p(x)
  and Var L̂_k in powers of 1/k (his Propositions 1 and 2), from the relative central moments
  of w (:class:`WeightMoments`), which :func:`gaussian_weight_moments` gives in closed form
  when p(z|x) and q(z|x) are Gaussian;
- :func:`leave_one_out`: the k estimates L̂_{k−1}^{(−i)} that leave sample i out;
- :func:`jvi`: the generalized jackknife of order m, Σ_j c(k, m, j) L̄_{k−j}
  (:func:`jvi_coefficients`), whose bias is O(k^−(m+1)); order 0 is L̂_k itself, order 1 the
  estimator of :func:`vae_lessons.estimators.jackknife_log_likelihood`;
- :func:`jvi_bias` and :func:`jvi_variance`: the leading bias and variance of the first-order
  jackknife;
- :func:`power_law_slope`: the slope of log |bias| against log k, with its standard error.

Every log-mean-exp is a logsumexp, and :func:`jvi` forms the small differences
L̄_{k−j} − L̂_k directly (never k·L̂_k − (k−1)·L̄_{k−1}), so float32 log-weights give float32
accuracy.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from . import _validate
from .models import _gaussian_covariance

__all__ = [
    "WeightMoments",
    "log_weight_moment",
    "gaussian_weight_moments",
    "iwae_bias",
    "iwae_variance",
    "jvi_bias",
    "jvi_variance",
    "power_law_slope",
    "leave_one_out",
    "jvi_coefficients",
    "jvi",
]

_ELEMENTS_PER_CHUNK = 2**22  # subsets × order × B held at once by :func:`jvi`


class WeightMoments(NamedTuple):
    """Relative central moments of an importance weight w with mean μ (ch. 8), each ``[B]``.

    ``m2`` = μ₂/μ² = Var w / (E w)² and ``m3`` = μ₃/μ³ = E(w − μ)³ / μ³. For w = p(x, z)/q(z|x),
    μ = p(x) and w/μ = p(z|x)/q(z|x), so m2 is the χ² divergence χ²(p(z|x) ‖ q(z|x)).
    """

    m2: torch.Tensor
    m3: torch.Tensor


def _check_order(order, k: int) -> None:
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order < k:
        raise ValueError(f"order must be an int with 0 <= order < k = {k}, got {order!r}")


def log_weight_moment(p, q, n: float) -> torch.Tensor:
    """log E_q[(p(z)/q(z))ⁿ] = log ∫ pⁿ q^(1−n) dz for Gaussians p and q, ``[B]`` (ch. 8).

    p and q are ``MultivariateNormal`` or ``Independent(Normal, 1)`` with batch ``[B]`` (or
    none) and event ``[d]``. Writing P = n Σ_p⁻¹ + (1 − n) Σ_q⁻¹ and h = n Σ_p⁻¹ μ_p +
    (1 − n) Σ_q⁻¹ μ_q, the integrand is an unnormalised Gaussian and

        log ∫ = ½ hᵀP⁻¹h − ½ n μ_pᵀΣ_p⁻¹μ_p − ½ (1 − n) μ_qᵀΣ_q⁻¹μ_q
                − ½ n log|Σ_p| − ½ (1 − n) log|Σ_q| − ½ log|P|.

    When P is not positive definite the integral diverges and the result is +inf (for n = 2
    that is a weight of infinite variance, as in chapter 6). Computed in float64.
    """
    if not (isinstance(n, (int, float)) and math.isfinite(n)):
        raise ValueError(f"n must be a finite number, got {n!r}")
    cov_p, cov_q = (_gaussian_covariance(d).double() for d in (p, q))
    mu_p, mu_q = (d.mean.double() for d in (p, q))
    if mu_p.shape[-1] != mu_q.shape[-1]:
        raise ValueError(
            f"p and q must have the same event size, got {mu_p.shape[-1]} and {mu_q.shape[-1]}"
        )
    prec_p, prec_q = torch.linalg.inv(cov_p), torch.linalg.inv(cov_q)
    precision = n * prec_p + (1 - n) * prec_q
    h = n * (prec_p @ mu_p.unsqueeze(-1)) + (1 - n) * (prec_q @ mu_q.unsqueeze(-1))

    def quad(prec, mu):
        return (mu.unsqueeze(-2) @ prec @ mu.unsqueeze(-1)).squeeze(-1).squeeze(-1)

    finite = torch.linalg.cholesky_ex(precision).info == 0
    safe = torch.where(
        finite[..., None, None],
        precision,
        torch.eye(precision.shape[-1], dtype=precision.dtype, device=precision.device),
    )
    chol = torch.linalg.cholesky(safe)
    solved = torch.cholesky_solve(h, chol)
    log_det_p = 2 * chol.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    value = (
        0.5 * (h.transpose(-2, -1) @ solved).squeeze(-1).squeeze(-1)
        - 0.5 * n * quad(prec_p, mu_p)
        - 0.5 * (1 - n) * quad(prec_q, mu_q)
        - 0.5 * n * torch.linalg.slogdet(cov_p)[1]
        - 0.5 * (1 - n) * torch.linalg.slogdet(cov_q)[1]
        - 0.5 * log_det_p
    )
    return torch.where(finite, value, torch.full_like(value, math.inf))


def gaussian_weight_moments(posterior, q) -> WeightMoments:
    """m2 = μ₂/μ² and m3 = μ₃/μ³ of w = p(x, z)/q(z|x), z ~ q, for Gaussian p(z|x) and q (ch. 8).

    With r_n = E_q[(w/μ)ⁿ] = exp(:func:`log_weight_moment` (posterior, q, n)): m2 = r₂ − 1 and
    m3 = r₃ − 3r₂ + 2, ``[B]`` each, float64 (inf where the moment diverges).
    """
    r2, r3 = (log_weight_moment(posterior, q, n).exp() for n in (2, 3))
    return WeightMoments(r2 - 1, r3 - 3 * r2 + 2)


def _check_moments(moments) -> WeightMoments:
    if not isinstance(moments, WeightMoments):
        raise ValueError(f"moments must be a WeightMoments, got {type(moments).__name__}")
    return moments


def _second_order(moments: WeightMoments) -> torch.Tensor:
    """The 1/k² coefficient of the bias of L̂_k: μ₃/(3μ³) − 3μ₂²/(4μ⁴) (ch. 8)."""
    return moments.m3 / 3 - 0.75 * moments.m2**2


def iwae_bias(k: int, moments: WeightMoments, *, terms: int = 2):
    """E L̂_k − log p(x) ≈ −m2/(2k) + (m3/3 − 3m2²/4)/k², nats (ch. 8, eq. 8.1).

    Nowozin (2018), Proposition 1. The delta method: with ε = Ȳ/μ − 1, Ȳ = (1/k) Σ w_i, expand
    log Ȳ = log μ + ε − ε²/2 + ε³/3 − ε⁴/4 + … and take expectations, E ε² = m2/k,
    E ε³ = m3/k², E ε⁴ = 3m2²/k² + O(1/k³). ``terms=1`` keeps the 1/k term only. Broadcasts
    over the moments' shape.
    """
    _validate.count("k", k)
    moments = _check_moments(moments)
    if terms not in (1, 2):
        raise ValueError(f"terms must be 1 or 2, got {terms!r}")
    bias = -moments.m2 / (2 * k)
    return bias + _second_order(moments) / k**2 if terms == 2 else bias


def iwae_variance(k: int, moments: WeightMoments, *, terms: int = 2):
    """Var L̂_k ≈ m2/k − (m3 − 5m2²/2)/k², nats² (ch. 8, eq. 8.2; Nowozin 2018, Prop. 2).

    Var(ε − ε²/2 + ε³/3) = E ε² − E ε³ + (11/12) E ε⁴ − (E ε²/2)² + O(1/k³). ``terms=1`` keeps
    the 1/k term only.
    """
    _validate.count("k", k)
    moments = _check_moments(moments)
    if terms not in (1, 2):
        raise ValueError(f"terms must be 1 or 2, got {terms!r}")
    variance = moments.m2 / k
    return variance - (moments.m3 - 2.5 * moments.m2**2) / k**2 if terms == 2 else variance


def jvi_bias(k: int, moments: WeightMoments):
    """E L̂^J_k − log p(x) ≈ −(m3/3 − 3m2²/4)/(k(k − 1)), nats (ch. 8, eq. 8.3).

    E L̂^J_k = k L_k − (k − 1) L_{k−1}: the 1/k terms of the two biases cancel, and the 1/k²
    terms leave b/k − b/(k − 1) = −b/(k(k − 1)) with b = m3/3 − 3m2²/4. Needs k ≥ 2.
    """
    _validate.count("k", k, 2)
    return -_second_order(_check_moments(moments)) / (k * (k - 1))


def jvi_variance(k: int, moments: WeightMoments):
    """Var L̂^J_k ≈ m2/k + m2²/(2k²), nats² (ch. 8, eq. 8.4).

    The jackknife adds s²/(2(k − 1)Ȳ²) to log Ȳ (s² = (1/k) Σ (w_i − Ȳ)²), whose covariance
    with ε is (m3 − 2m2²)/(2k²) to leading order, so Var L̂^J_k = Var L̂_k + (m3 − 2m2²)/k²: the
    price of the correction is of order 1/k², and negative when m3 < 2m2². Needs k ≥ 2.
    """
    _validate.count("k", k, 2)
    moments = _check_moments(moments)
    return moments.m2 / k + moments.m2**2 / (2 * k**2)


def power_law_slope(k, values, se) -> tuple[float, float]:
    """The slope s of log |value| = a + s log k, by weighted least squares, and its SE (ch. 8).

    ``k``, ``values`` and their standard errors ``se`` are 1-D of the same length (≥ 3); each
    log |value| gets the delta-method standard error se/|value| and weight |value|²/se². The
    slope's standard error is the usual (Σ wᵢ(uᵢ − ū)²)^(−1/2), u = log k, ū the weighted mean:
    it assumes the values follow the power law exactly, so use k large enough for the leading
    term to dominate. Returns floats (slope, standard error).
    """
    k, values, se = (torch.as_tensor(v, dtype=torch.float64).flatten() for v in (k, values, se))
    if not len(k) == len(values) == len(se) or len(k) < 3:
        raise ValueError("k, values and se must have the same length, at least 3")
    if (k <= 0).any() or (values == 0).any() or (se <= 0).any():
        raise ValueError("k and se must be > 0 and values nonzero")
    u, y, weight = k.log(), values.abs().log(), (values.abs() / se) ** 2
    u_bar = (weight * u).sum() / weight.sum()
    spread = (weight * (u - u_bar) ** 2).sum()
    slope = (weight * (u - u_bar) * y).sum() / spread
    return slope.item(), spread.rsqrt().item()


def leave_one_out(log_w: torch.Tensor) -> torch.Tensor:
    """L̂_{k−1}^{(−i)} = log (1/(k−1)) Σ_{j≠i} w_j for every i, ``[k, B]`` nats (ch. 8).

    Formed as L̂_k + log(1 − w̃_i) + log(k/(k − 1)) with w̃_i = w_i/Σ_j w_j (see :func:`jvi`
    for how log(1 − w̃_i) stays accurate when one weight dominates). Needs k ≥ 2.
    """
    log_w = _validate.log_weights(log_w, (2,))
    k = log_w.shape[0]
    _validate.count("k", k, 2)
    singles = torch.arange(k, device=log_w.device)[:, None]
    log1m = _log1m_subset_weights(_Ranked(log_w), singles)
    return torch.logsumexp(log_w, 0) + log1m - math.log(k - 1)


class _Ranked:
    """Log-weights ``[k, B]`` sorted in decreasing order and shifted so that the largest is 0,
    with the tail sums log T_t = log Σ_{rank≥t} w and each sample's rank."""

    def __init__(self, log_w: torch.Tensor):
        k = log_w.shape[0]
        self.sorted, order = log_w.sort(0, descending=True)
        self.sorted = self.sorted - self.sorted[:1]  # the largest is 0: w̃ keep float precision
        self.tail = torch.logcumsumexp(self.sorted.flip(0), 0).flip(0)  # log T_t, [k, B]
        self.ranks = torch.empty_like(order)
        self.ranks.scatter_(
            0, order, torch.arange(k, device=log_w.device)[:, None].expand_as(order)
        )


def _log1m_subset_weights(ranked: _Ranked, subsets: torch.Tensor) -> torch.Tensor:
    """log(1 − w̃_S), w̃_S = Σ_{i∈S} w̃_i, for each row S of ``subsets [C, j]``, ``[C, B]``.

    1 − w̃_S = Σ_{i∉S} w̃_i loses its precision only when S holds the largest weights. If S holds
    ranks 0..t−1 but not rank t, then 1 − w̃_S = (T_t − Σ_{i∈S, rank>t} w_i)/T_0, and the
    subtracted part is at most (j − t)/(j − t + 1) of T_t (each of its terms is ≤ w_(t)), so
    log T_t − log T_0 + log1p(−fraction) has no cancellation.
    """
    j = subsets.shape[1]
    subset_ranks = ranked.ranks[subsets].sort(1).values  # [C, j, B]
    steps = torch.arange(j, device=subsets.device)[None, :, None]
    t = (subset_ranks == steps).long().cumprod(1).sum(1)  # [C, B]: leading ranks 0..t−1 in S
    tail_t = ranked.tail.gather(0, t)  # [C, B] (t ≤ j < k)
    beyond = steps >= t[:, None, :]  # the members of S after the leading run
    member = ranked.sorted.gather(0, subset_ranks.flatten(0, 1)).view_as(subset_ranks)
    fraction = torch.where(beyond, (member - tail_t[:, None, :]).exp(), 0.0).sum(1)
    return tail_t - ranked.tail[0] + torch.log1p(-fraction)


def jvi_coefficients(k: int, order: int) -> torch.Tensor:
    """c(k, m, j) = (−1)ʲ (k − j)ᵐ / (j! (m − j)!), j = 0..m, float64 ``[m + 1]`` (ch. 8).

    The generalized jackknife (Nowozin 2018): Σ_j c_j = 1 and
    Σ_j c_j (k − j)^−p = 0 for p = 1..m, so Σ_j c_j L_{k−j} cancels the terms 1/k, …, 1/kᵐ of
    the bias. Order 1 gives (k, −(k − 1)).
    """
    _validate.count("k", k)
    _check_order(order, k)
    return torch.tensor(
        [
            (-1) ** j * (k - j) ** order / (math.factorial(j) * math.factorial(order - j))
            for j in range(order + 1)
        ],
        dtype=torch.float64,
    )


def jvi(log_w: torch.Tensor, order: int = 1) -> torch.Tensor:
    """The jackknife estimate of order m, L̂^{J,m}_k = Σ_j c(k, m, j) L̄_{k−j}, ``[B]`` nats (ch. 8).

    L̄_{k−j} is the mean of L̂_{k−j} over all C(k, j) ways of leaving j of the k samples out, and
    c are :func:`jvi_coefficients`. Order 0 is L̂_k; order 1 is k L̂_k − (k − 1) mean_i
    L̂_{k−1}^{(−i)} (ch. 8, eq. 8.3); its bias is O(k^−(m+1)).

    Since Σ_j c_j = 1, the value is formed as L̂_k + Σ_{j≥1} c_j (L̄_{k−j} − L̂_k), where
    L̂_{k−j}^{(−S)} − L̂_k = log(1 − w̃_S) + log(k/(k − j)) is small: subtracting the two
    numbers of size k·|log p(x)| of the textbook form would lose float32 precision. The cost is
    Σ_j C(k, j)·j·B: fine for order ≤ 2 (order 2 at k = 64 enumerates 2016 pairs).
    """
    log_w = _validate.log_weights(log_w, (2,))
    k = log_w.shape[0]
    _check_order(order, k)
    value = torch.logsumexp(log_w, 0) - math.log(k)
    if order == 0:
        return value
    ranked = _Ranked(log_w)
    coefficients = jvi_coefficients(k, order)
    for j in range(1, order + 1):
        subsets = torch.combinations(torch.arange(k, device=log_w.device), j)  # [C(k, j), j]
        per_chunk = max(1, _ELEMENTS_PER_CHUNK // (j * log_w.shape[1]))
        total = sum(
            _log1m_subset_weights(ranked, chunk).sum(0) for chunk in subsets.split(per_chunk)
        )
        mean_gap = total / len(subsets) + math.log(k / (k - j))  # L̄_{k−j} − L̂_k
        value = value + coefficients[j].item() * mean_gap
    return value
