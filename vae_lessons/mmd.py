"""Maximum mean discrepancy (ch. 10): Gaussian closed forms and the permutation two-sample test.

The estimators themselves, the biased V-statistic and the unbiased U-statistic of
MMD² = E k(x, x') + E k(y, y') − 2 E k(x, y) (Gretton et al. 2012) with an RBF or an inverse
multiquadric (IMQ) kernel, are :func:`vae_lessons.objectives.mmd`. This module adds what
chapter 10 measures them against and builds on them:

- :func:`median_heuristic`: the default RBF bandwidth of :func:`~vae_lessons.objectives.mmd`,
  the median of the pairwise distances in the pooled sample;
- :func:`kernel_matrix`: k(a_i, b_j) for the same two kernels, batched;
- :func:`gaussian_rbf_mean`, :func:`gaussian_mmd2`, :func:`gaussian_v_bias`: E k(a, b), MMD² and
  the bias of the V-statistic in closed form for isotropic Gaussians and the RBF kernel;
- :func:`permutation_test`: the MMD two-sample test, its permutation null and p-value, batched
  over independent tests; :func:`rejection_rate`: its level (under the null) or its power.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch.distributions import Distribution

__all__ = [
    "median_heuristic",
    "kernel_matrix",
    "gaussian_rbf_mean",
    "gaussian_mmd2",
    "gaussian_v_bias",
    "PermutationTest",
    "permutation_test",
    "RejectionRate",
    "rejection_rate",
]

KERNELS = ("rbf", "imq")


def _check_samples(x, y) -> None:
    for name, t in (("x", x), ("y", y)):
        if not torch.is_tensor(t) or t.dim() < 2 or not torch.isfinite(t).all():
            raise ValueError(f"{name} must be a finite tensor [..., n, d], got {t!r:.60}")
    if x.shape[:-2] != y.shape[:-2] or x.shape[-1] != y.shape[-1]:
        raise ValueError(
            f"x and y must have shapes [..., n, d] and [..., m, d], got {tuple(x.shape)} and "
            f"{tuple(y.shape)}"
        )


def _check_kernel(kernel: str) -> None:
    if kernel not in KERNELS:
        raise ValueError(f"kernel must be 'rbf' or 'imq', got {kernel!r}")


def _check_positive(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return float(value)


def _sq_dists(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """‖a_i − b_j‖², ``[..., n, m]``, clamped at 0 against round-off."""
    d = a.pow(2).sum(-1, keepdim=True) + b.pow(2).sum(-1).unsqueeze(-2) - 2.0 * a @ b.mT
    return d.clamp_min(0.0)


def median_heuristic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The median of ‖z_i − z_j‖ over pairs i ≠ j of the pooled sample z = (x, y), ``[...]``.

    ``x [..., n, d]``, ``y [..., m, d]``. The default RBF bandwidth h of
    :func:`vae_lessons.objectives.mmd` (ch. 10): the lower median of the (n+m)(n+m−1) distances,
    as ``torch.median`` takes it, at least 1e-6. A permutation of the pooled sample leaves it
    unchanged, so a permutation test uses one h for the observed split and every permuted one.
    """
    _check_samples(x, y)
    pooled = torch.cat([x, y], -2)
    big = pooled.shape[-2]
    off_diag = ~torch.eye(big, dtype=torch.bool, device=pooled.device)
    d = _sq_dists(pooled, pooled)[..., off_diag]  # [..., N(N−1)]
    return d.sqrt().median(-1).values.clamp_min(1e-6)


def kernel_matrix(
    a: torch.Tensor, b: torch.Tensor, *, kernel: str = "rbf", bandwidth
) -> torch.Tensor:
    """k(a_i, b_j) for ``a [..., n, d]`` and ``b [..., m, d]``, ``[..., n, m]`` (ch. 10).

    ``kernel="rbf"``: exp(−‖a − b‖² / (2h²)), h = ``bandwidth``; ``kernel="imq"``:
    C / (C + ‖a − b‖²), C = ``bandwidth`` (Tolstikhin et al. 2018): the kernels of
    :func:`vae_lessons.objectives.mmd`. ``bandwidth`` is a positive number or a tensor ``[...]``
    with one value per batch element.
    """
    _check_kernel(kernel)
    h = torch.as_tensor(bandwidth, dtype=a.dtype, device=a.device)
    if not (h > 0).all() or not torch.isfinite(h).all():
        raise ValueError(f"bandwidth must be positive and finite, got {bandwidth!r}")
    h = h[..., None, None]
    d2 = _sq_dists(a, b)
    return torch.exp(-d2 / (2.0 * h**2)) if kernel == "rbf" else h / (h + d2)


def _as_mean(name: str, mean) -> torch.Tensor:
    m = torch.as_tensor(mean, dtype=torch.float64).cpu()
    if m.dim() != 1 or len(m) == 0 or not torch.isfinite(m).all():
        raise ValueError(f"{name} must be a finite vector [d], got {mean!r}")
    return m


def gaussian_rbf_mean(mean_a, scale_a: float, mean_b, scale_b: float, *, bandwidth: float) -> float:
    """E k(a, b) for independent a ~ N(mean_a, scale_a² I), b ~ N(mean_b, scale_b² I) (ch. 10).

    With the RBF kernel k = exp(−‖a − b‖²/(2h²)) and a − b ~ N(Δ, v I), v = s_a² + s_b², each of
    the d coordinates contributes √(2πh²) ∫ N(u; Δ_j, v) N(u; 0, h²) du, which gives
    (h² / (h² + v))^{d/2} · exp(−‖Δ‖² / (2(h² + v))). ``mean_a``, ``mean_b``: vectors ``[d]``.
    """
    mean_a, mean_b = _as_mean("mean_a", mean_a), _as_mean("mean_b", mean_b)
    if mean_a.shape != mean_b.shape:
        raise ValueError(
            f"mean_a and mean_b must have one length, got {len(mean_a)}, {len(mean_b)}"
        )
    s_a, s_b = _check_positive("scale_a", scale_a), _check_positive("scale_b", scale_b)
    h = _check_positive("bandwidth", bandwidth)
    v = h**2 + s_a**2 + s_b**2
    delta2 = float((mean_a - mean_b).pow(2).sum())
    return (h**2 / v) ** (len(mean_a) / 2) * math.exp(-delta2 / (2 * v))


def gaussian_mmd2(mean_x, scale_x: float, mean_y, scale_y: float, *, bandwidth: float) -> float:
    """MMD² between N(mean_x, scale_x² I) and N(mean_y, scale_y² I) under the RBF kernel (ch. 10).

    E k(x, x') + E k(y, y') − 2 E k(x, y), each term by :func:`gaussian_rbf_mean` (x, x'
    independent draws of the first distribution, y, y' of the second). Zero only when the two
    Gaussians are equal.
    """
    k_xx = gaussian_rbf_mean(mean_x, scale_x, mean_x, scale_x, bandwidth=bandwidth)
    k_yy = gaussian_rbf_mean(mean_y, scale_y, mean_y, scale_y, bandwidth=bandwidth)
    k_xy = gaussian_rbf_mean(mean_x, scale_x, mean_y, scale_y, bandwidth=bandwidth)
    return k_xx + k_yy - 2.0 * k_xy


def gaussian_v_bias(
    mean_x, scale_x: float, mean_y, scale_y: float, *, bandwidth: float, n: int, m: int
) -> float:
    """E[V-statistic] − MMD² for n and m draws of the two Gaussians, RBF kernel (ch. 10).

    The V-statistic's within-x mean keeps the n diagonal terms k(x_i, x_i) = 1 next to the
    n(n − 1) off-diagonal ones, so its expectation is 1/n + (1 − 1/n) E k(x, x'); likewise for y.
    The bias is (1 − E k(x, x'))/n + (1 − E k(y, y'))/m > 0; the U-statistic has none.
    """
    for name, count in (("n", n), ("m", m)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"{name} must be an int >= 1, got {count!r}")
    k_xx = gaussian_rbf_mean(mean_x, scale_x, mean_x, scale_x, bandwidth=bandwidth)
    k_yy = gaussian_rbf_mean(mean_y, scale_y, mean_y, scale_y, bandwidth=bandwidth)
    return (1.0 - k_xx) / n + (1.0 - k_yy) / m


def _split_mmd2(gram: torch.Tensor, in_x: torch.Tensor, n: int, m: int, unbiased: bool):
    """MMD² of each split of the pooled sample: ``gram [..., N, N]``, ``in_x [..., S, N]`` ∈ {0, 1}
    marking the n members of x in each of S splits -> ``[..., S]``; the estimators of
    :func:`vae_lessons.objectives.mmd` written as quadratic forms in ``in_x``."""
    k_in_x = in_x @ gram  # [..., S, N]; gram is symmetric
    xx = (k_in_x * in_x).sum(-1)
    xy = k_in_x.sum(-1) - xx
    yy = gram.sum((-2, -1)).unsqueeze(-1) - xx - 2.0 * xy
    if unbiased:
        diag = gram.diagonal(dim1=-2, dim2=-1).unsqueeze(-2)  # [..., 1, N]
        diag_x = (diag * in_x).sum(-1)
        xx = (xx - diag_x) / (n * (n - 1))
        yy = (yy - (diag.sum(-1) - diag_x)) / (m * (m - 1))
    else:
        xx, yy = xx / n**2, yy / m**2
    return xx + yy - 2.0 * xy / (n * m)


class PermutationTest(NamedTuple):
    """The result of :func:`permutation_test`; ``[...]`` is the batch of independent tests."""

    statistic: torch.Tensor  #: MMD² of the observed split, ``[...]``
    null: torch.Tensor  #: MMD² of the permuted splits, ``[..., permutations]``
    p_value: torch.Tensor  #: (1 + #{null ≥ statistic}) / (1 + permutations), ``[...]``
    bandwidth: torch.Tensor  #: the kernel's h (RBF) or C (IMQ), ``[...]``


def permutation_test(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    permutations: int = 199,
    kernel: str = "rbf",
    bandwidth: float | None = None,
    unbiased: bool = True,
) -> PermutationTest:
    """The MMD two-sample test of H0: x and y come from one distribution (ch. 10).

    ``x [..., n, d]``, ``y [..., m, d]``: a batch ``[...]`` of independent tests. Under H0 the
    pooled n + m points are exchangeable, so the observed statistic is one draw from the
    distribution of MMD² over random re-splits of the pool into n and m points: ``permutations``
    such splits (drawn with the global torch generator) give the null and the p-value
    (1 + #{null ≥ observed}) / (1 + permutations). Rejecting when p ≤ α has level at most α,
    exactly α when α·(1 + permutations) is an integer. The statistic is
    :func:`vae_lessons.objectives.mmd` (U- or V-statistic) from one Gram matrix of the pool;
    ``bandwidth=None``: the median heuristic for the RBF kernel, C = 2d for the IMQ kernel.
    """
    _check_samples(x, y)
    _check_kernel(kernel)
    if isinstance(permutations, bool) or not isinstance(permutations, int) or permutations < 1:
        raise ValueError(f"permutations must be an int >= 1, got {permutations!r}")
    n, m = x.shape[-2], y.shape[-2]
    if min(n, m) < 2:
        raise ValueError(f"x and y must hold at least 2 points each, got n = {n}, m = {m}")
    batch = x.shape[:-2]
    if bandwidth is None:
        h = median_heuristic(x, y) if kernel == "rbf" else torch.full(batch, 2.0 * x.shape[-1])
    else:
        h = torch.full(batch, _check_positive("bandwidth", bandwidth))
    h = h.to(device=x.device, dtype=x.dtype)
    pooled = torch.cat([x, y], -2)
    gram = kernel_matrix(pooled, pooled, kernel=kernel, bandwidth=h)  # [..., N, N]
    order = torch.rand(*batch, permutations, n + m, device=x.device).argsort(-1)
    in_x = torch.zeros(*batch, 1 + permutations, n + m, dtype=x.dtype, device=x.device)
    in_x[..., 0, :n] = 1.0  # the observed split first
    in_x[..., 1:, :].scatter_(-1, order[..., :n], 1.0)
    stats = _split_mmd2(gram, in_x, n, m, unbiased)  # [..., 1 + permutations]
    statistic, null = stats[..., 0], stats[..., 1:]
    exceed = (null >= statistic.unsqueeze(-1)).sum(-1, dtype=torch.float64)
    p_value = (1.0 + exceed) / (1.0 + permutations)
    return PermutationTest(statistic, null, p_value, h)


class RejectionRate(NamedTuple):
    """The result of :func:`rejection_rate`."""

    rate: float  #: fraction of the tests with p ≤ α
    standard_error: float  #: binomial standard error √(rate (1 − rate) / tests)
    tests: int


def rejection_rate(
    p: Distribution,
    q: Distribution,
    n: int,
    *,
    tests: int,
    alpha: float = 0.05,
    chunk: int = 100,
    **test_options,
) -> RejectionRate:
    """How often :func:`permutation_test` rejects at level ``alpha`` for n draws of p and of q.

    ``tests`` independent tests, each on fresh samples ``x [n, d] ~ p``, ``y [n, d] ~ q``
    (a distribution with scalar events counts as d = 1), run ``chunk`` at a time. With p = q
    the rate estimates the level (at most α); otherwise the power at this n (ch. 10).
    ``test_options`` go to :func:`permutation_test` (``permutations``, ``kernel``,
    ``bandwidth``, ``unbiased``).
    """
    for name, count in (("n", n), ("tests", tests), ("chunk", chunk)):
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"{name} must be an int >= 1, got {count!r}")
    if not (isinstance(alpha, float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be a float in (0, 1), got {alpha!r}")
    rejected = 0
    for start in range(0, tests, chunk):
        size = min(chunk, tests - start)
        x, y = (d.sample((size, n)) for d in (p, q))
        if x.dim() == 2:
            x, y = x.unsqueeze(-1), y.unsqueeze(-1)
        result = permutation_test(x, y, **test_options)
        rejected += int((result.p_value <= alpha).sum())
    rate = rejected / tests
    return RejectionRate(rate, math.sqrt(rate * (1.0 - rate) / tests), tests)
