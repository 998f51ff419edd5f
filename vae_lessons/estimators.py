"""Estimators of log p(x) and of gradients (ch. 1, 3, 4; Part II).

All log-likelihoods are in nats per example, ``[B]``. Nothing here exponentiates a
log-weight: every log-mean-exp is a logsumexp.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn

from .objectives import _check_count, _check_x, log_importance_weights

__all__ = [
    "log_likelihood",
    "naive_log_likelihood",
    "jackknife_log_likelihood",
    "effective_sample_size",
    "score_function_grad",
    "pathwise_grad",
]

_ELEMENTS_PER_CHUNK = 2**23  # samples × examples × width of the widest layer held at once (~32 MB)


def _chunks(total: int, size: int):
    for start in range(0, total, size):
        yield min(size, total - start)


def _widest_layer(decoder, x_dim: int) -> int:
    """The widest activation per sample of the decoder: its largest weight dimension, or x_dim."""
    module = decoder if isinstance(decoder, nn.Module) else getattr(decoder, "__self__", None)
    sizes = (
        [max(p.shape) for p in module.parameters() if p.dim()]
        if isinstance(module, nn.Module)
        else []
    )
    return max([x_dim, *sizes])


def _log_weights_chunked(x, encoder, decoder, prior, k: int, chunk: int | None):
    """Yield ``[chunk, B]`` blocks of log w whose sizes add up to k (no autograd)."""
    _check_x(x)
    _check_count("k", k)
    if chunk is None:
        chunk = max(1, _ELEMENTS_PER_CHUNK // (x.shape[0] * _widest_layer(decoder, x.shape[1])))
    _check_count("chunk", chunk)
    with torch.no_grad():
        q = encoder(x)  # once: every chunk samples the same q(z|x)
        for size in _chunks(k, chunk):
            yield log_importance_weights(x, lambda _: q, decoder, prior, k=size)


def _by_example(x: torch.Tensor, batch: int | None, fn) -> torch.Tensor:
    """Apply ``fn`` to row blocks of x (bounded memory whatever B is) and concatenate."""
    batch = batch or max(1, min(len(x), 2**10))
    return torch.cat([fn(xb) for xb in x.split(batch)])


def log_likelihood(
    x, encoder, decoder, prior, *, k: int = 5000, chunk: int | None = None, batch: int | None = None
) -> torch.Tensor:
    """The k-sample importance-sampling estimate log (1/k) Σ_i p(x, z_i)/q(z_i|x), ``[B]`` nats.

    z_i ~ q(z|x). This is L_k of Burda et al. (2015); with k = 5000 it is their test
    log-likelihood (section 5). The k samples are drawn ``chunk`` at a time and the examples
    ``batch`` at a time, and the running log-sum-exp is merged, so memory stays bounded (by default
    a few hundred MB) whatever k and the number of examples. Runs without autograd.
    """

    def one_batch(xb):
        lse = torch.stack(
            [
                torch.logsumexp(log_w, 0)
                for log_w in _log_weights_chunked(xb, encoder, decoder, prior, k, chunk)
            ]
        )
        return torch.logsumexp(lse, 0) - math.log(k)

    return _by_example(x, batch, one_batch)


def naive_log_likelihood(
    x, decoder, prior, *, k: int = 1000, chunk: int | None = None, batch: int | None = None
) -> torch.Tensor:
    """log (1/k) Σ_i p(x|z_i), z_i ~ p(z): importance sampling with the prior as proposal (ch. 1).

    Unbiased for p(x) but hopeless when the posterior is much narrower than the prior: most
    prior samples explain nothing.
    """

    def prior_as_encoder(xb):
        return prior.expand(torch.Size([xb.shape[0]]))

    return log_likelihood(x, prior_as_encoder, decoder, prior, k=k, chunk=chunk, batch=batch)


def jackknife_log_likelihood(
    x, encoder, decoder, prior, *, k: int = 5000, chunk: int | None = None, batch: int | None = None
) -> torch.Tensor:
    """First-order jackknife variational inference (JVI, Nowozin 2018, eq. 12), ``[B]`` nats.

    L^J = k·L_k − (k−1)·mean_i L_{k−1}^{(−i)}, where L_{k−1}^{(−i)} leaves sample i out. The bias
    of L_k is O(1/k); the jackknife removes its leading term, leaving O(1/k²). The leave-one-out
    log-sum-exps come from prefix and suffix log-cumsum-exps, so the cost is O(k), not O(k²).
    Needs k ≥ 2; all k log-weights of a batch are held (k × batch floats).
    """
    if isinstance(k, int) and k < 2:
        raise ValueError(f"k must be an int >= 2 for the jackknife, got {k!r}")

    def one_batch(xb):
        log_w = torch.cat(list(_log_weights_chunked(xb, encoder, decoder, prior, k, chunk)))
        l_k = torch.logsumexp(log_w, 0) - math.log(k)
        pad = torch.full_like(log_w[:1], -math.inf)
        prefix = torch.cat([pad, torch.logcumsumexp(log_w, 0)[:-1]])  # lse of w_1..w_{i-1}
        suffix = torch.cat([torch.logcumsumexp(log_w.flip(0), 0).flip(0)[1:], pad])  # w_{i+1}..w_k
        l_loo = torch.logaddexp(prefix, suffix) - math.log(k - 1)  # [k, B]
        return k * l_k - (k - 1) * l_loo.mean(0)

    return _by_example(x, batch, one_batch)


def effective_sample_size(log_w: torch.Tensor) -> torch.Tensor:
    """Kish's effective sample size (Σ w)² / Σ w² from log-weights ``[k, B]``, ``[B]`` (Part II).

    Computed in log space: exp(2·logsumexp(log w) − logsumexp(2·log w)); between 1 and k.
    """
    if not torch.is_tensor(log_w) or log_w.dim() < 1 or torch.isnan(log_w).any():
        raise ValueError("log_w must be a tensor [k, B] of log-weights without NaN")
    return torch.exp(2 * torch.logsumexp(log_w, 0) - torch.logsumexp(2 * log_w, 0))


def _grad_estimates(
    surrogate: Callable[[], torch.Tensor], params: Sequence[torch.Tensor], repeats: int
) -> torch.Tensor:
    """``[repeats, P]``: ∇ of ``repeats`` independent draws of a surrogate, params flattened."""
    _check_count("repeats", repeats)
    rows = []
    for _ in range(repeats):
        grads = torch.autograd.grad(surrogate(), params)
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def score_function_grad(
    f: Callable,
    q_fn: Callable,
    params: Sequence[torch.Tensor],
    *,
    samples: int = 1,
    repeats: int = 1,
    baseline: float = 0.0,
) -> torch.Tensor:
    """Score-function (REINFORCE, log-derivative) estimates of ∇_φ E_{q_φ}[f(z)] (ch. 3).

    Each estimate is (1/S) Σ_s (f(z_s) − b) ∇_φ log q_φ(z_s) with z_s ~ q_φ (no gradient through
    z), S = ``samples``, b = ``baseline``. ``q_fn()`` builds q_φ from ``params``; ``f`` maps
    ``[S, *event]`` samples to ``[S]`` values. Returns ``[repeats, P]``, P = total parameter size.
    """
    _check_count("samples", samples)

    def surrogate():
        q = q_fn()
        z = q.sample((samples,))
        return ((f(z).detach() - baseline) * q.log_prob(z)).mean()

    return _grad_estimates(surrogate, params, repeats)


def pathwise_grad(
    f: Callable,
    q_fn: Callable,
    params: Sequence[torch.Tensor],
    *,
    samples: int = 1,
    repeats: int = 1,
) -> torch.Tensor:
    """Pathwise (reparameterization) estimates of ∇_φ E_{q_φ}[f(z)] (ch. 3).

    Each estimate is (1/S) Σ_s ∇_φ f(g_φ(ε_s)), z = g_φ(ε) = μ + σ ⊙ ε via ``rsample``.
    Same arguments and ``[repeats, P]`` result as :func:`score_function_grad`.
    """
    _check_count("samples", samples)

    def surrogate():
        return f(q_fn().rsample((samples,))).mean()

    return _grad_estimates(surrogate, params, repeats)
