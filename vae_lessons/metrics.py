"""Diagnostics of a trained encoder (ch. 5; Part II: active units; Part III: InfoVAE's Figure 2)."""

from __future__ import annotations

import torch
from torch.distributions import Independent, Normal, kl_divergence

from .objectives import _check_x

__all__ = [
    "active_units",
    "kl_per_dimension",
    "aggregate_posterior_cov",
    "log_det_cov_aggregate_posterior",
]


def _encode(encoder, x: torch.Tensor, batch: int):
    """Yield q(z|x) for row blocks of x, without autograd, on the encoder's device."""
    _check_x(x)
    params = list(encoder.parameters()) if isinstance(encoder, torch.nn.Module) else []
    device = params[0].device if params else x.device
    with torch.no_grad():
        for xb in x.split(batch):
            yield encoder(xb.to(device))


def active_units(encoder, x: torch.Tensor, threshold: float = 0.01, *, batch: int = 4096) -> int:
    """Number of latent dimensions d with Cov_x(E_{q(z|x)}[z_d]) > ``threshold``.

    Burda et al. (2015), section 5.2: a unit is active when its posterior mean moves with x;
    an inactive one has collapsed to the prior. ``x`` is ``[N, x_dim]``.
    """
    if not threshold >= 0:
        raise ValueError(f"threshold must be >= 0, got {threshold!r}")
    means = torch.cat([q.mean for q in _encode(encoder, x, batch)])
    return int((means.var(0) > threshold).sum())


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
