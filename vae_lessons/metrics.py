"""Diagnostics of a trained encoder (ch. 5; Part II: active units; Part III: InfoVAE's Figure 2).

Ch. 5 splits the rate E_x KL(q(z|x) ‖ p(z)) into the mutual information I_q(x; z) and
KL(q(z) ‖ p(z)) (:func:`rate_decomposition`), measures how correlated the codes are
(:func:`gaussian_total_correlation` of :func:`encoder_mean_cov`) and how well single codes follow
single ground-truth factors (:func:`mig`). All information quantities are in nats.
"""

from __future__ import annotations

import math

import torch
from torch.distributions import Distribution, Independent, Normal, kl_divergence

from . import _validate
from .device import seeded
from .objectives import _check_x, _kl

__all__ = [
    "active_units",
    "active_mask",
    "encoder_mean_cov",
    "kl_per_dimension",
    "aggregate_posterior_cov",
    "log_det_cov_aggregate_posterior",
    "rate_decomposition",
    "gaussian_total_correlation",
    "mig",
]

_ELEMENTS_PER_BLOCK = 2**22  # log q(z_n|x_m) terms held at once (× z_dim unless q is diagonal)


def _encode(encoder, x: torch.Tensor, batch: int):
    """Yield q(z|x) for row blocks of x, without autograd, on the encoder's device."""
    _check_x(x)
    params = list(encoder.parameters()) if isinstance(encoder, torch.nn.Module) else []
    device = params[0].device if params else x.device
    with torch.no_grad():
        for xb in x.split(batch):
            yield encoder(xb.to(device))


def encoder_mean_cov(encoder, x: torch.Tensor, *, batch: int = 4096) -> torch.Tensor:
    """Cov_x(μ(x)), the covariance of the encoder means μ(x) = E_{q(z|x)}[z] over x (ch. 5).

    ``x`` is ``[N, x_dim]`` (N ≥ 2); returns ``[z_dim, z_dim]`` float64, the sample covariance
    (divisor N − 1). Unlike :func:`aggregate_posterior_cov` it has no E_x Cov[z|x] term: it
    describes the codes a downstream user reads off, e.g. for
    :func:`gaussian_total_correlation` or the active units (its diagonal).
    """
    _validate.count("batch", batch)
    means = torch.cat([q.mean for q in _encode(encoder, x, batch)]).double()
    if len(means) < 2:
        raise ValueError(f"x must hold at least 2 data points, got {len(means)}")
    return torch.cov(means.T).reshape(means.shape[1], means.shape[1])


def active_mask(
    encoder, x: torch.Tensor, threshold: float = 0.01, *, batch: int = 4096
) -> torch.Tensor:
    """The active dimensions, bool ``[z_dim]``: Var_x(E_{q(z|x)}[z_d]) > ``threshold`` (ch. 5).

    Burda et al. (2015), section 5.2: a unit is active when its posterior mean moves with x;
    an inactive one has collapsed to the prior. ``x`` is ``[N, x_dim]``; the variance is the
    diagonal of :func:`encoder_mean_cov`.
    """
    if not (isinstance(threshold, (int, float)) and threshold >= 0):
        raise ValueError(f"threshold must be a number >= 0, got {threshold!r}")
    return encoder_mean_cov(encoder, x, batch=batch).diagonal() > threshold


def active_units(encoder, x: torch.Tensor, threshold: float = 0.01, *, batch: int = 4096) -> int:
    """Number of latent dimensions d with Var_x(E_{q(z|x)}[z_d]) > ``threshold`` (ch. 5, Part II).

    Burda et al. (2015), section 5.2; the count of :func:`active_mask`. ``x`` is ``[N, x_dim]``.
    """
    return int(active_mask(encoder, x, threshold, batch=batch).sum())


def kl_per_dimension(encoder, x: torch.Tensor, prior=None, *, batch: int = 4096) -> torch.Tensor:
    """E_x KL(q(z_d|x) ‖ p(z_d)) for each latent dimension, ``[z_dim]`` nats (ch. 5).

    Needs a factorised q (``Independent(Normal)``); the prior defaults to N(0, I). Summing the
    result gives the average KL term of the ELBO (the *rate*).
    """
    total, n = None, 0
    for q in _encode(encoder, x, batch):
        if not (isinstance(q, Independent) and isinstance(q.base_dist, Normal)):
            raise ValueError("encoder must return a factorised Independent(Normal) q(z|x)")
        p = Normal(torch.zeros_like(q.mean), 1.0) if prior is None else prior.base_dist
        kl = kl_divergence(q.base_dist, p).sum(0)
        total = kl if total is None else total + kl
        n += q.mean.shape[0]
    return total / n


def aggregate_posterior_cov(encoder, x: torch.Tensor, *, batch: int = 4096) -> torch.Tensor:
    """Cov[z] under the aggregate posterior q(z) = (1/N) Σ_n q(z|x_n), ``[z_dim, z_dim]``.

    Exact for the given x by the law of total covariance: Cov_x(E[z|x]) + E_x Cov[z|x].
    """
    means, covs = [], []
    for q in _encode(encoder, x, batch):
        means.append(q.mean)
        cov = getattr(q, "covariance_matrix", None)
        covs.append((cov if cov is not None else torch.diag_embed(q.variance)).sum(0))
    means = torch.cat(means)
    centred = means - means.mean(0)
    return centred.T @ centred / len(means) + torch.stack(covs).sum(0) / len(means)


def log_det_cov_aggregate_posterior(encoder, x: torch.Tensor, *, batch: int = 4096) -> torch.Tensor:
    """log det Cov[z] under the aggregate posterior q(z), a scalar (Zhao et al. 2017, Figure 2).

    Very negative values mean q(z) has shrunk far inside the prior (whose value is 0 for N(0, I)):
    the symptom InfoVAE reports when the ELBO is good but inference is not.
    """
    return torch.linalg.slogdet(aggregate_posterior_cov(encoder, x, batch=batch)).logabsdet


def _check_encoder_output(q) -> None:
    if not (isinstance(q, Distribution) and len(q.batch_shape) == 1 and len(q.event_shape) == 1):
        raise ValueError("encoder must return a Distribution with batch [B] and event [z_dim]")


def _mixture_log_densities(qs: list, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(log q(z_n|x_n), log q(z_n))``, each ``[N]``, for z ``[N, z_dim]`` and q(z|x) in blocks.

    log q(z_n) = logsumexp_m log q(z_n|x_m) − log N over all N components, a row block of the
    N × N matrix at a time; the own term log q(z_n|x_n) is read off the same matrix, so
    log q(z_n|x_n) − log q(z_n) ≤ log N holds exactly. For a diagonal Gaussian q the block is one
    matrix product, −½ Σ_d (z_d − μ_md)²/σ_md² − Σ_d log σ_md − (d/2) log 2π expanded in z
    (float64, where the device has it); any other q goes through ``log_prob`` (O(N² z_dim)).
    """
    n, z_dim = z.shape
    diagonal = all(
        isinstance(q, Independent)
        and isinstance(q.base_dist, Normal)
        and q.reinterpreted_batch_ndims == 1
        for q in qs
    )
    if diagonal:
        dtype = torch.float32 if z.device.type == "mps" else torch.float64
        loc = torch.cat([q.mean for q in qs]).to(dtype)
        precision = torch.cat([q.variance for q in qs]).to(dtype).reciprocal()  # [N, z_dim]
        log_norm = 0.5 * z_dim * math.log(2 * math.pi)
        const = 0.5 * (precision.log() - loc**2 * precision).sum(-1) - log_norm  # [N]

        def log_q_block(zr):  # [rows, N]
            zr = zr.to(dtype)
            return -0.5 * zr**2 @ precision.T + zr @ (loc * precision).T + const

    else:

        def log_q_block(zr):
            return torch.cat([q.log_prob(zr.unsqueeze(-2)) for q in qs], -1)

    rows = max(1, _ELEMENTS_PER_BLOCK // (n * (1 if diagonal else z_dim)))
    own, mixture = [], []
    for start, zr in zip(range(0, n, rows), z.split(rows), strict=True):
        block = log_q_block(zr)
        rows_here = torch.arange(len(zr), device=block.device)
        own.append(block[rows_here, rows_here + start])
        mixture.append(torch.logsumexp(block, -1))
    return torch.cat(own), torch.cat(mixture) - math.log(n)


def rate_decomposition(
    encoder, x: torch.Tensor, prior=None, *, batch: int = 4096, seed: int = 0
) -> dict[str, float]:
    """The rate and its two parts: E_x KL(q(z|x) ‖ p(z)) = I_q(x; z) + KL(q(z) ‖ p(z)) (ch. 5).

    Hoffman & Johnson (2016, "ELBO surgery"); Alemi et al. (2018). The data distribution is
    uniform over the N rows of ``x`` ``[N, x_dim]``, q(x, z) = q(z|x)/N and the aggregate
    posterior is the N-component mixture q(z) = (1/N) Σ_m q(z|x_m). Returns, in nats per data
    point:

    * ``"rate"``: (1/N) Σ_n KL(q(z|x_n) ‖ p(z)), in closed form where ``kl_divergence`` knows
      the pair, else the Monte Carlo term log q(z_n|x_n) − log p(z_n);
    * ``"mutual_information"``: I_q(x; z) = (1/N) Σ_n [log q(z_n|x_n) − log q(z_n)] with one
      z_n ~ q(z|x_n) per data point (seeded by ``seed``) and
      log q(z_n) = logsumexp_m log q(z_n|x_m) − log N over all N components. Unbiased for the
      mutual information of this finite data set, which is at most log N. For x drawn from a
      continuous p(x) it is biased downward as an estimate of I under p(x): the bias is
      E KL(q_N(z) ‖ q(z)) ≤ (E_x ∫ q(z|x)²/q(z) dz − 1)/N, which is (e^{2I} − 1)/N when x and z
      are jointly Gaussian;
    * ``"mutual_information_se"``: its standard error, std_n(term) / √N;
    * ``"kl_aggregate"``: KL(q(z) ‖ p(z)) = rate − mutual_information.

    ``prior`` defaults to N(0, I); ``x`` needs N ≥ 2 rows. The N × N log-densities are computed in
    blocks of bounded memory (a few tens of MB): for a diagonal Gaussian q as one matrix product
    per block (N = 10 000, z_dim = 20: about a second on one CPU core), otherwise through
    ``log_prob`` in O(N² z_dim).
    """
    _validate.count("batch", batch)
    if torch.is_tensor(x) and len(x) < 2:
        raise ValueError(f"x must hold at least 2 data points, got {len(x)}")
    qs = list(_encode(encoder, x, batch))
    for q in qs:
        _check_encoder_output(q)
    loc = qs[0].mean
    if prior is None:
        zeros = torch.zeros(qs[0].event_shape, dtype=loc.dtype, device=loc.device)
        prior = Independent(Normal(zeros, torch.ones_like(zeros)), 1)
    elif not (isinstance(prior, Distribution) and prior.event_shape == qs[0].event_shape):
        raise ValueError(f"prior must be a Distribution with event {tuple(qs[0].event_shape)}")
    with seeded(seed, loc.device):
        zs = [q.sample() for q in qs]
    kl = [_kl(q, prior, z.unsqueeze(0), analytic=True) for q, z in zip(qs, zs, strict=True)]
    log_qz_x, log_qz = _mixture_log_densities(qs, torch.cat(zs))
    n = len(log_qz)
    terms = (log_qz_x - log_qz).double()
    rate = torch.cat(kl).double().mean()
    mutual_information = terms.mean()
    return {
        "rate": float(rate),
        "mutual_information": float(mutual_information),
        "mutual_information_se": float(terms.std() / math.sqrt(n)),
        "kl_aggregate": float(rate - mutual_information),
    }


def gaussian_total_correlation(cov: torch.Tensor) -> torch.Tensor:
    """Total correlation of N(0, Σ): KL(N(0, Σ) ‖ N(0, diag Σ)) = −½ log det R (ch. 5), nats.

    R = D^{-1/2} Σ D^{-1/2} is the correlation matrix of ``cov`` ``[d, d]`` (D = diag Σ). Zero
    exactly when Σ is diagonal; it does not depend on the scale of each coordinate. Returns a
    float64 scalar. Applied to :func:`encoder_mean_cov` it measures how correlated the codes are.
    """
    if not (torch.is_tensor(cov) and cov.dim() == 2 and cov.shape[0] == cov.shape[1]):
        shape = tuple(cov.shape) if torch.is_tensor(cov) else type(cov).__name__
        raise ValueError(f"cov must be a square tensor [d, d], got {shape}")
    cov = cov.double()
    if not torch.isfinite(cov).all():
        raise ValueError("cov contains NaN or infinite values")
    if not torch.allclose(cov, cov.T, rtol=1e-6, atol=1e-6 * float(cov.abs().max())):
        raise ValueError("cov must be symmetric")
    std = cov.diagonal().clamp_min(0.0).sqrt()
    chol, info = torch.linalg.cholesky_ex(cov / torch.outer(std, std))
    if info.item() != 0 or not (std > 0).all():
        raise ValueError("cov must be positive definite")
    return -chol.diagonal().log().sum()


def _histogram_bins(codes: torch.Tensor, bins: int) -> torch.Tensor:
    """Each column of ``codes`` ``[N, z_dim]`` in ``bins`` equal-width bins over its range.

    Returns long ``[N, z_dim]`` in 0..bins−1; the maximum falls in the last bin (as
    ``np.digitize(c, np.histogram(c, bins)[1][:-1]) − 1`` in disentanglement_lib).
    """
    lo, hi = codes.min(0).values, codes.max(0).values
    inner = lo + (hi - lo) * torch.arange(1, bins, dtype=codes.dtype).unsqueeze(-1) / bins
    return (codes.unsqueeze(1) >= inner.unsqueeze(0)).sum(1)  # [N, bins − 1, z_dim] → [N, z_dim]


def _discrete_mutual_information(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """I(a; b) of the empirical joint distribution of two label vectors ``[N]``, float64 nats."""
    a, b = a.unique(return_inverse=True)[1], b.unique(return_inverse=True)[1]
    n_b = int(b.max()) + 1
    joint = torch.bincount(a * n_b + b).double()
    joint = torch.cat([joint, joint.new_zeros((int(a.max()) + 1) * n_b - len(joint))])
    joint = joint.reshape(-1, n_b) / len(a)
    outer = joint.sum(1, keepdim=True) * joint.sum(0, keepdim=True)
    nonzero = joint > 0
    return (joint[nonzero] * (joint[nonzero].log() - outer[nonzero].log())).sum()


def mig(
    codes: torch.Tensor, factors: torch.Tensor, *, bins: int = 20
) -> tuple[float, torch.Tensor]:
    """The Mutual Information Gap (Chen et al. 2018 [chen2018isolating], §4.1; ch. 5).

    MIG = (1/F) Σ_k [I(z_{j_k}; v_k) − max_{j ≠ j_k} I(z_j; v_k)] / H(v_k), where j_k is the code
    with the largest mutual information with factor v_k. Computed as in disentanglement_lib:
    each code (column of ``codes`` ``[N, z_dim]``, e.g. the encoder means) is discretised into
    ``bins`` equal-width bins over its range, and I and H are those of the empirical joint
    distribution of the N rows (nats; their ratio is unit-free). ``factors`` ``[N, F]`` are the
    integer ground-truth factors. A gap of 1 means one code determines the factor and no other
    code carries information about it; 0 means the two most informative codes tie.

    Returns ``(mig, gaps)``: the mean over factors (float) and the per-factor gaps ``[F]``
    (float64). The discretised estimate of I is biased upward by about
    (bins − 1)(K_k − 1)/(2N) nats for a code independent of a factor with K_k values.
    """
    if not (torch.is_tensor(codes) and codes.dim() == 2 and codes.is_floating_point()):
        raise ValueError("codes must be a float tensor [N, z_dim]")
    if codes.shape[1] < 2:
        raise ValueError(f"codes must have at least 2 columns for a gap, got {codes.shape[1]}")
    if not torch.isfinite(codes).all():
        raise ValueError("codes contains NaN or infinite values")
    if not (
        torch.is_tensor(factors)
        and factors.dim() == 2
        and not factors.is_floating_point()
        and not factors.is_complex()
        and len(factors) == len(codes)
    ):
        raise ValueError(f"factors must be an integer tensor [N, F] with N = {len(codes)}")
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ValueError(f"bins must be an int >= 2, got {bins!r}")
    binned = _histogram_bins(codes.detach().double().cpu(), bins)
    factors = factors.detach().long().cpu()
    gaps = []
    for k, v in enumerate(factors.T):
        entropy = _discrete_mutual_information(v, v)
        if entropy <= 0:
            raise ValueError(f"factors column {k} is constant: its entropy is 0")
        info = torch.stack([_discrete_mutual_information(c, v) for c in binned.T])
        top2 = info.topk(2).values
        gaps.append((top2[0] - top2[1]) / entropy)
    gaps = torch.stack(gaps)
    return float(gaps.mean()), gaps
