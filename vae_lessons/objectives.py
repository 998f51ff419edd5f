"""Training objectives: ELBO (ch. 2, 4), β-VAE (ch. 5), IWAE (Part II), MMD, InfoVAE (Part III).

All log-densities are in nats; per-example objectives return ``[B]``. Every function works with
any encoder/decoder/prior that follows the protocol in :mod:`vae_lessons.models`.
"""

from __future__ import annotations

import math

import torch
from torch.distributions import Bernoulli, Distribution, Independent, kl_divergence
from torch.nn import functional as F

from . import _validate
from .mmd import kernel_matrix, median_heuristic

__all__ = [
    "gaussian_kl",
    "elbo",
    "log_importance_weights",
    "iwae_bound",
    "mmd",
    "infovae_objective",
]


def _check_finite(name: str, x: torch.Tensor) -> None:
    if not torch.is_tensor(x):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError(f"{name} contains NaN or infinite values")


def _check_x(x: torch.Tensor) -> None:
    _check_finite("x", x)
    if x.dim() != 2:
        raise ValueError(f"x must have shape [B, x_dim], got {tuple(x.shape)}")


def _check_nonnegative(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag exp(logvar)) ‖ N(0, I)) = ½ Σ_d (μ_d² + σ_d² − 1 − log σ_d²), ``[B]`` nats.

    The closed form of Kingma & Welling (2013), appendix B (ch. 4).
    """
    _check_finite("mu", mu)
    _check_finite("logvar", logvar)
    if mu.shape != logvar.shape:
        raise ValueError(
            f"mu and logvar must have the same shape, got {tuple(mu.shape)} and "
            f"{tuple(logvar.shape)}"
        )
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).sum(-1)


def _kl(q: Distribution, prior: Distribution, z: torch.Tensor, analytic: bool) -> torch.Tensor:
    """KL(q(z|x) ‖ p(z)), ``[B]``: closed form where registered, else a Monte Carlo mean over z."""
    if analytic:
        try:
            return kl_divergence(q, prior)
        except NotImplementedError:
            pass
    return (q.log_prob(z) - prior.log_prob(z)).mean(0)


def _elbo_terms(x, encoder, decoder, prior, samples: int, analytic_kl: bool):
    """``(log_px_z [S, B], kl [B], z [S, B, z_dim])`` with z ~ q(z|x) reparameterized."""
    q = encoder(x)
    z = q.rsample((samples,))
    log_px_z = decoder(z).log_prob(x)
    return log_px_z, _kl(q, prior, z, analytic_kl), z


def elbo(
    x, encoder, decoder, prior, *, beta: float = 1.0, samples: int = 1, analytic_kl: bool = True
) -> torch.Tensor:
    """The (β-weighted) evidence lower bound per example, ``[B]`` in nats (ch. 2, 4, 5).

    L(x) = E_{q(z|x)}[log p(x|z)] − β · KL(q(z|x) ‖ p(z)), the expectation estimated with
    ``samples`` reparameterized draws; the KL is in closed form through
    ``torch.distributions.kl_divergence`` where registered (``analytic_kl=True``) and the Monte
    Carlo average of log q(z|x) − log p(z) otherwise. β = 1 is the VAE; β > 1 the β-VAE.
    """
    _check_x(x)
    _check_nonnegative("beta", beta)
    _validate.count("samples", samples)
    log_px_z, kl, _ = _elbo_terms(x, encoder, decoder, prior, samples, analytic_kl)
    return log_px_z.mean(0) - beta * kl


class _BernoulliLogProb(torch.autograd.Function):
    """Σ_d log Bernoulli(x_d; σ(l_d)) = Σ_d [x_d·l_d − softplus(l_d)], logits l ``[..., x_dim]``.

    ``Independent(Bernoulli(logits=l), 1).log_prob(x)`` (minus the binary cross-entropy, ch. 4)
    to float32 round-off, in less fresh memory (where IWAE training, Part II, spent much of its
    time): the forward pass forms −log p(x_d|z) per pixel a few samples at a time in a ~1 MB
    buffer, the backward pass the gradient g·(x − σ(l)) in one ``[k, B, x_dim]`` buffer.
    """

    @staticmethod
    def forward(ctx, logits, x):
        ctx.save_for_backward(logits, x)

        def neg_log_px_z(part):  # Σ_d [softplus(l_d) − x_d·l_d] through one per-pixel buffer
            return F.softplus(part).addcmul_(part, x, value=-1).sum(-1)

        if logits.dim() > x.dim():  # slices of the sample dims: a ~1 MB buffer, reused
            rows = max(1, 2**18 // max(1, logits[0].numel()))
            return torch.cat([neg_log_px_z(part) for part in logits.split(rows)]).neg()
        return neg_log_px_z(logits).neg()

    @staticmethod
    def backward(ctx, grad):
        logits, x = ctx.saved_tensors
        g = grad.unsqueeze(-1)
        grad_logits = grad_x = None
        if ctx.needs_input_grad[1]:
            grad_x = (logits * g).sum_to_size(x.shape)
        if ctx.needs_input_grad[0]:
            sigma = torch.sigmoid(logits)
            grad_logits = torch.sub(x, sigma, out=sigma).mul_(g)
        return grad_logits, grad_x


def _log_px_z(px_z: Distribution, x: torch.Tensor) -> torch.Tensor:
    """``px_z.log_prob(x)``; a non-validating ``Independent(Bernoulli, 1)`` goes the fused way."""
    base = getattr(px_z, "base_dist", None)
    if (
        type(px_z) is Independent
        and type(base) is Bernoulli
        and px_z.reinterpreted_batch_ndims == 1
        and not (px_z._validate_args or base._validate_args)
        and base.logits.dtype == x.dtype
        and torch.broadcast_shapes(base.logits.shape, x.shape) == base.logits.shape
    ):
        return _BernoulliLogProb.apply(base.logits, x)
    return px_z.log_prob(x)


def log_importance_weights(x, encoder, decoder, prior, *, k: int) -> torch.Tensor:
    """log w = log p(x|z) + log p(z) − log q(z|x) for k draws z ~ q(z|x), ``[k, B]`` (Part II).

    z is reparameterized, so gradients flow to both encoder and decoder. A q without ``rsample``
    (e.g. a discrete z) is sampled plainly; then only the densities carry gradients.
    """
    _check_x(x)
    _validate.count("k", k)
    q = encoder(x)
    z = q.rsample((k,)) if q.has_rsample else q.sample((k,))  # [k, B, z_dim]
    return _log_px_z(decoder(z), x) + prior.log_prob(z) - q.log_prob(z)


def iwae_bound(x, encoder, decoder, prior, *, k: int) -> torch.Tensor:
    """L_k = log (1/k) Σ_i w_i, computed as logsumexp(log w) − log k, ``[B]`` nats.

    Burda et al. (2015), eq. 8. Its gradient is Σ_i w̃_i ∇ log w_i with the normalized weights
    w̃_i = w_i / Σ_j w_j (eq. 14): autograd through logsumexp yields exactly that.
    """
    log_w = log_importance_weights(x, encoder, decoder, prior, k=k)
    return torch.logsumexp(log_w, 0) - math.log(k)


def mmd(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    kernel: str = "rbf",
    bandwidth: float | None = None,
    unbiased: bool = True,
) -> torch.Tensor:
    """Squared maximum mean discrepancy between samples ``x [n, d]`` and ``y [m, d]`` (Part III).

    Gretton et al. (2012): MMD² = E k(x, x') + E k(y, y') − 2 E k(x, y).

    * ``kernel="rbf"``: k(a, b) = exp(−‖a − b‖² / (2h²)), h = ``bandwidth``; default: the median
      heuristic, h = median of the pairwise distances in the pooled sample (no gradient).
    * ``kernel="imq"``: k(a, b) = C / (C + ‖a − b‖²), C = ``bandwidth``; default C = 2·d, the
      choice of InfoVAE/WAE for a standard-normal prior.

    ``unbiased=True`` gives the U-statistic (eq. 3 of Gretton et al.): the diagonals of the two
    within-set terms are removed and those sums divided by n(n−1) and m(m−1); the cross term keeps
    all n·m pairs. ``unbiased=False`` is the biased V-statistic (all terms are plain means).
    """
    _check_finite("x", x)
    _check_finite("y", y)
    if x.dim() != 2 or y.dim() != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(
            f"x and y must have shapes [n, d] and [m, d], got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    n, m = x.shape[0], y.shape[0]
    if unbiased and min(n, m) < 2:
        raise ValueError("the unbiased MMD needs at least 2 samples in x and in y")
    if kernel not in ("rbf", "imq"):
        raise ValueError(f"kernel must be 'rbf' or 'imq', got {kernel!r}")
    if bandwidth is not None and not (math.isfinite(bandwidth) and bandwidth > 0):
        raise ValueError(f"bandwidth must be a positive number, got {bandwidth!r}")
    if bandwidth is None:  # the median heuristic (no gradient) or InfoVAE's C = 2·d
        with torch.no_grad():
            bandwidth = median_heuristic(x, y).item() if kernel == "rbf" else 2.0 * x.shape[1]
    k_xx, k_yy, k_xy = (
        kernel_matrix(a, b, kernel=kernel, bandwidth=bandwidth) for a, b in ((x, x), (y, y), (x, y))
    )
    if unbiased:
        within_x = (k_xx.sum() - k_xx.diagonal().sum()) / (n * (n - 1))
        within_y = (k_yy.sum() - k_yy.diagonal().sum()) / (m * (m - 1))
    else:
        within_x, within_y = k_xx.mean(), k_yy.mean()
    return within_x + within_y - 2.0 * k_xy.mean()


def infovae_objective(
    x, encoder, decoder, prior, *, alpha: float = 0.0, lam: float = 1.0, kernel: str = "rbf"
) -> torch.Tensor:
    """InfoVAE's objective (Zhao, Song & Ermon 2017, eq. 6 with an MMD divergence), a scalar.

    batch mean of E_q[log p(x|z)] − (1 − α)·KL(q(z|x) ‖ p(z)), minus (α + λ − 1)·MMD(q(z), p(z)),
    the MMD estimated between the batch's z ~ q(z|x) (one per example) and as many prior samples.
    α = 0, λ = 1 is the ELBO; α + λ − 1 = 0 is a β-VAE with β = 1 − α; α = 1 is an MMD-regularised
    autoencoder in the spirit of the AAE. λ ≥ 0 weighs the divergence of the aggregate posterior.
    """
    _check_x(x)
    _check_nonnegative("lam", lam)
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha)):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    log_px_z, kl, z = _elbo_terms(x, encoder, decoder, prior, 1, True)
    objective = (log_px_z[0] - (1.0 - alpha) * kl).mean()
    weight = alpha + lam - 1.0
    if weight != 0.0:
        pz = prior.sample((x.shape[0],))
        objective = objective - weight * mmd(z[0], pz, kernel=kernel)
    return objective
