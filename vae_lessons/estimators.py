"""Estimators of log p(x) and of gradients (ch. 1, 3, 4; Part II).

All log-likelihoods are in nats per example, ``[B]``. Nothing here exponentiates a
log-weight: every log-mean-exp is a logsumexp.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.distributions import Independent, Normal

from . import _validate
from .device import seeded
from .jackknife import jvi
from .objectives import _check_x, elbo, log_importance_weights

__all__ = [
    "log_likelihood",
    "naive_log_likelihood",
    "jackknife_log_likelihood",
    "effective_sample_size",
    "score_function_grad",
    "pathwise_grad",
    "fit_local_posterior",
]

_ELEMENTS_PER_CHUNK = 2**23  # samples × examples × width of the widest layer held at once (~32 MB)
_ELEMENTS_PER_GRAD_CHUNK = 2**14  # repeats × samples × z size × P per Jacobian (ch. 3)


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
    _validate.count("k", k)
    if chunk is None:
        chunk = max(1, _ELEMENTS_PER_CHUNK // (x.shape[0] * _widest_layer(decoder, x.shape[1])))
    _validate.count("chunk", chunk)
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
    of L_k is O(1/k); the jackknife removes its leading term, leaving O(1/k²). Formed in O(k) as
    L_k + (k−1)·mean_i (L_k − L_{k−1}^{(−i)}), L_k − L_{k−1}^{(−i)} = −log(1 − w̃_i) − log(k/(k−1))
    with w̃_i = w_i / Σ_j w_j, which keeps float32 precision at k = 5000 (the textbook difference
    of two numbers of size k·|log p(x)| loses up to a nat there; see :func:`jackknife.jvi`).
    Needs k ≥ 2; all k log-weights of a batch are held (k × batch floats).
    """
    if isinstance(k, int) and k < 2:
        raise ValueError(f"k must be an int >= 2 for the jackknife, got {k!r}")

    def one_batch(xb):
        return jvi(torch.cat(list(_log_weights_chunked(xb, encoder, decoder, prior, k, chunk))))

    return _by_example(x, batch, one_batch)


def effective_sample_size(log_w: torch.Tensor) -> torch.Tensor:
    """Kish's effective sample size (Σ w)² / Σ w² from log-weights ``[k, B]``, ``[B]`` (Part II).

    Computed in log space: exp(2·logsumexp(log w) − logsumexp(2·log w)); between 1 and k.
    """
    if not torch.is_tensor(log_w) or log_w.dim() < 1 or torch.isnan(log_w).any():
        raise ValueError("log_w must be a tensor [k, B] of log-weights without NaN")
    return torch.exp(2 * torch.logsumexp(log_w, 0) - torch.logsumexp(2 * log_w, 0))


def _grad_estimates(
    surrogate: Callable, q_fn: Callable, params: Sequence[torch.Tensor], samples: int, repeats: int
) -> torch.Tensor:
    """``[repeats, P]``: the gradients of ``repeats`` independent surrogates, params flattened.

    ``surrogate(q, n)`` returns ``[n]`` values, the r-th from its own ``samples`` draws of q, so the
    rows of the Jacobian J = ∂s/∂φ ``[n, P]`` are n independent estimates. J takes two backward
    passes instead of n: v(u) = Jᵀu (one pass with create_graph) is linear in u, and its gradients
    with respect to u along the P unit vectors, batched with ``is_grads_batched``, are the columns
    of J. The work grows with P, not n: meant for few parameters (P ≪ repeats). The repeats are
    drawn n at a time, n·samples·(numbers per draw)·P ≤ 2¹⁴: memory stays bounded, and every
    operation stays below torch's intra-op grain size (2¹⁵), since on a small shared CPU splitting
    such operations across threads costs far more than it saves.
    """
    _validate.count("samples", samples)
    _validate.count("repeats", repeats)
    params = list(params)
    if not params or not all(torch.is_tensor(p) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty sequence of tensors with requires_grad=True")
    size = sum(p.numel() for p in params)
    q = q_fn()
    per_estimate = samples * (q.batch_shape + q.event_shape).numel() * size
    rows = []
    for n in _chunks(repeats, max(1, _ELEMENTS_PER_GRAD_CHUNK // per_estimate)):
        s = surrogate(q_fn(), n)
        u = torch.zeros_like(s, requires_grad=True)
        vjp = torch.autograd.grad(s, params, grad_outputs=u, create_graph=True)  # Jᵀu
        flat = torch.cat([g.reshape(-1) for g in vjp])
        if flat.requires_grad:
            eye = torch.eye(size, dtype=flat.dtype, device=flat.device)
            rows.append(torch.autograd.grad(flat, u, eye, is_grads_batched=True)[0].T)
        else:  # Jᵀu does not depend on u, so J = 0 (f piecewise constant, say)
            rows.append(s.new_zeros(n, size))
    return torch.cat(rows)


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
    z), S = ``samples``, b = ``baseline``; it is averaged over q's batch too. ``q_fn()`` builds q_φ
    from ``params``; ``f`` maps samples ``[n, S, *batch, *event]`` to values ``[n, S, *batch]``.
    Returns ``[repeats, P]`` (P = total parameter size): independent estimates, all computed at
    once (see :func:`_grad_estimates`).
    """

    def surrogate(q, n):
        z = q.sample((n, samples))
        return ((f(z).detach() - baseline) * q.log_prob(z)).reshape(n, -1).mean(1)

    return _grad_estimates(surrogate, q_fn, params, samples, repeats)


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

    def surrogate(q, n):
        return f(q.rsample((n, samples))).reshape(n, -1).mean(1)

    return _grad_estimates(surrogate, q_fn, params, samples, repeats)


def fit_local_posterior(
    x: torch.Tensor,
    decoder,
    prior,
    *,
    init=None,
    steps: int = 500,
    lr: float = 0.05,
    samples: int = 8,
    seed: int = 0,
) -> Independent:
    """The best diagonal Gaussian q(z|x_n) for each data point, found by optimisation (ch. 4).

    Cremer, Li & Duvenaud (2018): the gap log p(x) − ELBO(q_encoder) splits into the
    approximation gap log p(x) − ELBO(q_local) (the family is too poor) and the amortization gap
    ELBO(q_local) − ELBO(q_encoder) (one network must serve every x). Here each x_n in ``x``
    ``[B, x_dim]`` gets its own μ_n and log σ_n (``[B, z_dim]``), started at the mean and standard
    deviation of ``init(x)`` when an encoder ``init`` is given, else at the prior's, and
    Σ_n ELBO(x_n) is maximised with Adam (learning rate ``lr``, decayed linearly to 0 over
    ``steps`` so the last iterates settle) with ``samples`` reparameterized draws per step and
    :func:`vae_lessons.objectives.elbo` (closed-form KL where registered). The decoder and prior
    stay fixed: no gradient reaches their parameters. The draws are seeded by ``seed``.

    Returns the optimised q as an ``Independent(Normal)``, batch ``[B]``, event ``[z_dim]``.
    ELBO(q_local) ≥ ELBO(q_encoder) holds up to the optimisation's noise.
    """
    _check_x(x)
    _validate.count("steps", steps)
    _validate.count("samples", samples)
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    with torch.no_grad():
        start = init(x) if init is not None else prior.expand(torch.Size([x.shape[0]]))
        loc, scale = start.mean.expand(x.shape[0], -1), start.stddev.expand(x.shape[0], -1)
    loc = loc.detach().clone().requires_grad_(True)
    log_scale = scale.detach().log().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([loc, log_scale], lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1 - t / steps)

    def local_q(_):
        return Independent(Normal(loc, log_scale.exp()), 1)

    with seeded(seed, x.device):
        for _ in range(steps):
            loss = -elbo(x, local_q, decoder, prior, samples=samples).sum()
            loc.grad, log_scale.grad = torch.autograd.grad(loss, [loc, log_scale])
            optimizer.step()
            schedule.step()
    return Independent(Normal(loc.detach(), log_scale.detach().exp()), 1)
