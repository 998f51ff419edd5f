"""InfoVAE (ch. 11): the aggregate posterior's density and one model's numbers for the λ explorer.

Zhao, Song & Ermon (2017) add a divergence between the aggregate posterior
q(z) = (1/N) Σ_n q(z|x_n) and the prior p(z) to the ELBO (their eq. 6; the objective itself is
:func:`vae_lessons.objectives.infovae_objective`). Chapter 11 looks at q(z) directly:

- :func:`aggregate_log_density`: log q(z) at given points, for the contours of their Figure 3;
- :func:`summarize`: the rate, the MMD between q(z) and p(z), the reconstruction term and
  log det Cov[q(z)] of one trained model, the four curves of the λ explorer.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from . import metrics, objectives
from .device import seeded
from .metrics import _encode

__all__ = ["aggregate_log_density", "InfoSummary", "summarize"]


def aggregate_log_density(
    encoder, x: torch.Tensor, z: torch.Tensor, *, batch: int = 4096
) -> torch.Tensor:
    """log q(z_g) for q(z) = (1/N) Σ_n q(z|x_n), the aggregate posterior of ``x`` (ch. 11).

    ``x`` ``[N, x_dim]``, ``z`` ``[G, z_dim]``; returns ``[G]`` (nats), computed as
    logsumexp_n log q(z_g|x_n) − log N, ``batch`` data points at a time, without autograd.
    Any encoder whose q(z|x) has batch ``[B]`` and event ``[z_dim]``.
    """
    objectives._check_finite("z", z)
    if z.dim() != 2:
        raise ValueError(f"z must have shape [G, z_dim], got {tuple(z.shape)}")
    parts, n = [], 0
    for q in _encode(encoder, x, batch):
        metrics._check_encoder_output(q)
        if q.event_shape != z.shape[1:]:
            raise ValueError(f"z must have z_dim = {q.event_shape[0]}, got {z.shape[1]}")
        log_q = q.log_prob(z.to(q.mean.device).unsqueeze(1))  # [G, B]
        parts.append(torch.logsumexp(log_q, 1))
        n += log_q.shape[1]
    return torch.logsumexp(torch.stack(parts, 1), 1) - math.log(n)


class InfoSummary(NamedTuple):
    """One model on a data set (ch. 11), nats per data point except ``log_det_cov``.

    ``rate`` = E_x KL(q(z|x) ‖ p(z)); ``mmd`` = the unbiased MMD² between one z ~ q(z|x) per data
    point and as many z ~ p(z) (RBF kernel, median heuristic); ``reconstruction`` =
    E_x E_q[log p(x|z)]; ``log_det_cov`` = log det Cov[q(z)], 0 for q(z) = p(z) = N(0, I).
    """

    rate: float
    mmd: float
    reconstruction: float
    log_det_cov: float


@torch.no_grad()
def summarize(model, x: torch.Tensor, *, seed: int = 0) -> InfoSummary:
    """The four numbers of :class:`InfoSummary` for ``model`` on ``x`` ``[N, x_dim]`` (ch. 11).

    ``model`` has ``encoder``, ``decoder`` and ``prior``; the draws z ~ q(z|x), z ~ p(z) are
    seeded by ``seed`` (:func:`vae_lessons.metrics.rate_decomposition`'s convention), so the
    numbers of a grid of models are measured on the same noise.
    """
    device = next(model.parameters()).device
    x = x.to(device)
    objectives._check_x(x)
    with seeded(seed, device):
        q = model.encoder(x)
        z = q.sample()
        z_prior = model.prior.sample((len(x),))
        log_px_z = model.decoder(z).log_prob(x)
        rate = objectives._kl(q, model.prior, z.unsqueeze(0), True)
    return InfoSummary(
        rate=float(rate.double().mean()),
        mmd=float(objectives.mmd(z, z_prior)),
        reconstruction=float(log_px_z.double().mean()),
        log_det_cov=float(metrics.log_det_cov_aggregate_posterior(model.encoder, x)),
    )
