"""The importance-weighted autoencoder beyond its bound (ch. 7, Burda, Grosse & Salakhutdinov 2015).

:func:`vae_lessons.objectives.iwae_bound` is the bound L_k and :func:`~vae_lessons.objectives.
log_importance_weights` its log-weights ``[k, B]``; this module adds what chapter 7 measures on
them: the normalised weights w̃_i = w_i / Σ_j w_j, the gradient Σ_i w̃_i ∇ log w_i written out
(eq. 14 of the paper), repeated L_k estimates from one pool of log-weights, and the
signal-to-noise ratio of gradient estimates (Rainforth et al. 2018)::

    log_w = objectives.log_importance_weights(x, encoder, decoder, prior, k=50)   # [k, B]
    grads = iwae.gradient(log_w, params)        # the same as autograd through L_k
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from . import _validate

__all__ = ["normalised_weights", "gradient", "bound_estimates", "gradient_snr"]


def normalised_weights(log_w: torch.Tensor) -> torch.Tensor:
    """w̃_i = w_i / Σ_j w_j from log-weights ``[k, B]``, ``[k, B]`` (ch. 7, eq. 14 of Burda et al.).

    A softmax over the k samples: each column sums to 1; never exponentiates log w itself.
    """
    _validate.log_weights(log_w, (1, 2))
    return torch.softmax(log_w, 0)


def gradient(log_w: torch.Tensor, params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """∇ of the batch mean of L_k written out, mean_b Σ_i w̃_i ∇ log w_i (ch. 7).

    ``log_w [k, B]`` must carry gradients to ``params``. The log-derivative trick gives
    ∇ log Σ_i w_i = Σ_i (w_i / Σ_j w_j) ∇ log w_i, so the weights w̃_i are held fixed (detached)
    and multiply the per-sample gradients ∇ log w_i; at k = 1, w̃ = 1 and this is the gradient of
    the one-sample ELBO log w (the VAE's).
    """
    _validate.log_weights(log_w, (1, 2))
    params = list(params)
    if not params or not all(torch.is_tensor(p) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty sequence of tensors that require grad")
    surrogate = (normalised_weights(log_w).detach() * log_w).sum(0).mean()
    return list(torch.autograd.grad(surrogate, params, allow_unused=True, retain_graph=True))


def bound_estimates(log_w: torch.Tensor, k: int) -> torch.Tensor:
    """Independent estimates of L_k from a pool of log-weights ``[n, B]``, ``[n // k, B]`` (ch. 7).

    The pool is cut into n // k disjoint groups of k consecutive samples (the rest is dropped),
    and each group gives log (1/k) Σ_{i in group} w_i = logsumexp − log k. Their mean estimates
    L_k = E[log (1/k) Σ_i w_i] and their spread its standard error.
    """
    _validate.log_weights(log_w, (1, 2))
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= log_w.shape[0]:
        raise ValueError(f"k must be an int in [1, {log_w.shape[0]}] (the pool size), got {k!r}")
    groups = log_w.shape[0] // k
    blocks = log_w[: groups * k].reshape(groups, k, *log_w.shape[1:])
    return torch.logsumexp(blocks, 1) - math.log(k)


def gradient_snr(rows: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio |E g| / sd(g) of each gradient coordinate, ``[P]`` (ch. 7).

    ``rows [R, P]`` are R independent gradient estimates (e.g. from
    :func:`vae_lessons.train.gradient_samples`). Rainforth et al. (2018, eq. 4) show that for
    IWAE the encoder's SNR falls like 1/√k while the decoder's grows like √k.
    """
    if not torch.is_tensor(rows) or rows.dim() != 2 or rows.shape[0] < 2:
        raise ValueError("rows must be a tensor [R, P] with R >= 2 gradient estimates")
    return rows.mean(0).abs() / rows.std(0)
