"""Encoders, decoders and priors that follow the book's protocol (Part I, ch. 4; Part II).

The protocol every objective in :mod:`vae_lessons.objectives` relies on:

* an **encoder** is a callable ``encoder(x)`` returning a ``torch.distributions.Distribution``
  q(z|x) with ``batch_shape == [B]``, ``event_shape == [z_dim]``, supporting ``rsample`` and
  ``log_prob``;
* a **decoder** is a callable ``decoder(z)``; for ``z`` of shape ``[*S, B, z_dim]`` it returns
  p(x|z) with ``batch_shape == [*S, B]`` and ``event_shape == [x_dim]``;
* a **prior** is a Distribution p(z) with ``event_shape == [z_dim]``.

Anything that follows it works, including modules a reader writes with plain
``torch.distributions``. :class:`LinearGaussian` is the reference model with an exact
likelihood on which the book checks every bound against the true log p(x).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.distributions import (
    Bernoulli,
    Independent,
    MultivariateNormal,
    Normal,
    kl_divergence,
    register_kl,
)

__all__ = [
    "mlp",
    "MLPEncoder",
    "BernoulliDecoder",
    "GaussianDecoder",
    "standard_normal_prior",
    "VAE",
    "LinearGaussian",
]


def _check_dim(name: str, value: int) -> None:
    if not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, activation=nn.ReLU) -> nn.Sequential:
    """A multilayer perceptron ``in_dim → hidden… → out_dim`` (no activation on the output)."""
    dims = [in_dim, *hidden]
    layers: list[nn.Module] = []
    for d_in, d_out in zip(dims[:-1], dims[1:], strict=True):
        layers += [nn.Linear(d_in, d_out), activation()]
    layers.append(nn.Linear(dims[-1], out_dim))
    return nn.Sequential(*layers)


def diagonal_normal(loc: torch.Tensor, scale: torch.Tensor) -> Independent:
    """N(loc, diag(scale²)) as one event over the last dimension (validation off for speed)."""
    return Independent(Normal(loc, scale, validate_args=False), 1, validate_args=False)


@register_kl(Independent, MultivariateNormal)
def _kl_diagonal_full(q: Independent, p: MultivariateNormal) -> torch.Tensor:
    """KL(q ‖ p) for a factorised Gaussian q and a full-covariance p (ch. 2).

    torch registers no rule for this pair; the book needs it for the gap KL(q(z|x) ‖ p(z|x))
    between a mean-field encoder and :meth:`LinearGaussian.posterior`.
    """
    if not (isinstance(q.base_dist, Normal) and q.reinterpreted_batch_ndims == 1):
        raise NotImplementedError
    return kl_divergence(MultivariateNormal(q.mean, scale_tril=torch.diag_embed(q.stddev)), p)


@register_kl(MultivariateNormal, Independent)
def _kl_full_diagonal(q: MultivariateNormal, p: Independent) -> torch.Tensor:
    """KL(q ‖ p) for a full-covariance q and a factorised Gaussian p (ch. 2).

    Without it ``kl_divergence(posterior, prior)`` raises and :func:`objectives.elbo` silently
    falls back to a Monte Carlo KL for an encoder such as :meth:`LinearGaussian.encoder`; ch. 2
    also minimises KL(p(z|x) ‖ q) over factorised q (mass-covering: marginal variances).
    """
    if not (isinstance(p.base_dist, Normal) and p.reinterpreted_batch_ndims == 1):
        raise NotImplementedError
    return kl_divergence(q, MultivariateNormal(p.mean, scale_tril=torch.diag_embed(p.stddev)))


def _gaussian_covariance(q) -> torch.Tensor:
    """The covariance ``[B, z_dim, z_dim]`` of a Gaussian q(z|x): full or factorised."""
    if isinstance(q, MultivariateNormal):
        return q.covariance_matrix
    if (
        isinstance(q, Independent)
        and isinstance(q.base_dist, Normal)
        and q.reinterpreted_batch_ndims == 1
    ):
        return torch.diag_embed(q.variance)
    raise ValueError(
        f"q must be a MultivariateNormal or an Independent(Normal, 1), got {type(q).__name__}"
    )


class MLPEncoder(nn.Module):
    """Gaussian encoder q_φ(z|x) = N(μ_φ(x), diag σ²_φ(x)) (Kingma & Welling 2013, appendix C.2).

    ``forward(x)`` with x ``[B, x_dim]`` returns an ``Independent(Normal)`` with batch ``[B]`` and
    event ``[z_dim]``. :meth:`params` gives ``(mu, logvar)`` for the closed-form KL.
    """

    def __init__(self, x_dim: int, z_dim: int, hidden: Sequence[int] = (400,), activation=nn.ReLU):
        super().__init__()
        _check_dim("x_dim", x_dim)
        _check_dim("z_dim", z_dim)
        self.x_dim, self.z_dim = x_dim, z_dim
        self.net = mlp(x_dim, hidden, 2 * z_dim, activation)

    def params(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)``, each ``[B, z_dim]``."""
        mu, logvar = self.net(x).chunk(2, dim=-1)
        return mu, logvar

    def forward(self, x: torch.Tensor) -> Independent:
        mu, logvar = self.params(x)
        return diagonal_normal(mu, torch.exp(0.5 * logvar))


class BernoulliDecoder(nn.Module):
    """p_θ(x|z) = Π_i Bernoulli(x_i; sigmoid(logits_i(z))) for binary images (ch. 4).

    Its log-density is minus the binary cross-entropy; it also accepts grey values in [0, 1]
    (the continuous relaxation used by pytorch/examples).
    """

    def __init__(self, z_dim: int, x_dim: int, hidden: Sequence[int] = (400,), activation=nn.ReLU):
        super().__init__()
        _check_dim("z_dim", z_dim)
        _check_dim("x_dim", x_dim)
        self.z_dim, self.x_dim = z_dim, x_dim
        self.net = mlp(z_dim, hidden, x_dim, activation)

    def forward(self, z: torch.Tensor) -> Independent:
        return Independent(
            Bernoulli(logits=self.net(z), validate_args=False), 1, validate_args=False
        )


class GaussianDecoder(nn.Module):
    """p_θ(x|z) = N(μ_θ(z), diag σ²) for real-valued data such as Frey Face (ch. 4).

    With ``learn_std=True`` the decoder also outputs σ_θ(z) = ``min_std`` + softplus(·); the floor
    ``min_std`` > 0 keeps the likelihood bounded on data that sit on a grid (ch. 4, exercise 3:
    without it the ELBO grows without limit as σ → 0, and a σ that underflows to 0 in float32
    would make log p(x|z) NaN, so ``min_std=0`` is refused); with ``learn_std=False`` σ is the
    constant ``std`` and log p(x|z) is −‖x − μ‖²/(2σ²) up to a constant. ``bounded_mean=True``
    squashes μ into (0, 1) with a sigmoid, as Kingma & Welling did for Frey Face.
    """

    def __init__(
        self,
        z_dim: int,
        x_dim: int,
        hidden: Sequence[int] = (400,),
        *,
        learn_std: bool = True,
        std: float = 1.0,
        min_std: float = 1e-2,
        bounded_mean: bool = False,
        activation=nn.ReLU,
    ):
        super().__init__()
        _check_dim("z_dim", z_dim)
        _check_dim("x_dim", x_dim)
        if not std > 0:
            raise ValueError(f"std must be positive, got {std!r}")
        tiny = math.sqrt(torch.finfo(torch.float32).tiny)  # smallest σ whose σ² is normal
        if not (isinstance(min_std, (int, float)) and tiny <= min_std < math.inf):
            raise ValueError(
                f"min_std must be a number >= {tiny:.2g} (σ = min_std + softplus(·) and σ² must "
                f"stay > 0 in float32), got {min_std!r}"
            )
        self.z_dim, self.x_dim = z_dim, x_dim
        self.learn_std, self.std, self.min_std, self.bounded_mean = (
            learn_std,
            std,
            min_std,
            bounded_mean,
        )
        self.net = mlp(z_dim, hidden, 2 * x_dim if learn_std else x_dim, activation)

    def forward(self, z: torch.Tensor) -> Independent:
        out = self.net(z)
        if self.learn_std:
            mean, raw_std = out.chunk(2, dim=-1)
            std = self.min_std + nn.functional.softplus(raw_std)
        else:
            mean, std = out, torch.full_like(out, self.std)
        if self.bounded_mean:
            mean = torch.sigmoid(mean)
        return diagonal_normal(mean, std)


def standard_normal_prior(z_dim: int, device: torch.device | str | None = None) -> Independent:
    """p(z) = N(0, I) with event shape ``[z_dim]``."""
    _check_dim("z_dim", z_dim)
    zeros = torch.zeros(z_dim, device=device)
    return diagonal_normal(zeros, torch.ones_like(zeros))


class VAE(nn.Module):
    """A small container for an encoder, a decoder and a standard-normal prior (ch. 4).

    The prior's parameters are buffers, so ``vae.to(device)`` moves it along with the networks.
    ``VAE.mlp(x_dim, z_dim)`` builds the reference 784-400-20 model of pytorch/examples.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, z_dim: int):
        super().__init__()
        _check_dim("z_dim", z_dim)
        self.encoder, self.decoder, self.z_dim = encoder, decoder, z_dim
        self.register_buffer("prior_loc", torch.zeros(z_dim))
        self.register_buffer("prior_scale", torch.ones(z_dim))

    @classmethod
    def mlp(
        cls,
        x_dim: int = 784,
        z_dim: int = 20,
        hidden: Sequence[int] = (400,),
        *,
        likelihood: str = "bernoulli",
        **decoder_kwargs,
    ) -> VAE:
        """An MLP VAE; ``likelihood`` is ``"bernoulli"`` or ``"gaussian"``."""
        if likelihood == "bernoulli":
            decoder = BernoulliDecoder(z_dim, x_dim, tuple(reversed(hidden)), **decoder_kwargs)
        elif likelihood == "gaussian":
            decoder = GaussianDecoder(z_dim, x_dim, tuple(reversed(hidden)), **decoder_kwargs)
        else:
            raise ValueError(f"likelihood must be 'bernoulli' or 'gaussian', got {likelihood!r}")
        return cls(MLPEncoder(x_dim, z_dim, hidden), decoder, z_dim)

    @property
    def prior(self) -> Independent:
        return diagonal_normal(self.prior_loc, self.prior_scale)

    @torch.no_grad()
    def sample(self, n: int, *, mean: bool = True) -> torch.Tensor:
        """``[n, x_dim]`` images decoded from z ~ p(z): the decoder's mean or a sample of p(x|z)."""
        px_z = self.decoder(self.prior.sample((n,)))
        return px_z.mean if mean else px_z.sample()

    @torch.no_grad()
    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        """The decoder's mean at the encoder's mean, ``[B, x_dim]``."""
        return self.decoder(self.encoder(x).mean).mean


class LinearGaussian(nn.Module):
    """The linear-Gaussian latent model with an exact likelihood (ch. 2, Part II).

    p(z) = N(0, I), p(x|z) = N(Wz + b, σ²I), hence p(x) = N(b, WWᵀ + σ²I) and the posterior
    p(z|x) = N(Σ Wᵀ(x − b)/σ², Σ) with Σ = (I + WᵀW/σ²)⁻¹. ``encoder`` returns this exact
    posterior, so every bound it gives equals log p(x).
    """

    def __init__(self, x_dim: int, z_dim: int, *, sigma: float = 0.5, generator=None):
        super().__init__()
        _check_dim("x_dim", x_dim)
        _check_dim("z_dim", z_dim)
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma!r}")
        self.x_dim, self.z_dim = x_dim, z_dim
        self.W = nn.Parameter(torch.randn(x_dim, z_dim, generator=generator) / math.sqrt(z_dim))
        self.b = nn.Parameter(torch.randn(x_dim, generator=generator))
        self.log_sigma = nn.Parameter(torch.tensor(math.log(sigma)))

    @property
    def prior(self) -> Independent:
        zeros = torch.zeros(self.z_dim, dtype=self.W.dtype, device=self.W.device)
        return diagonal_normal(zeros, torch.ones_like(zeros))

    def decoder(self, z: torch.Tensor) -> Independent:
        """p(x|z) for z ``[*S, B, z_dim]``: batch ``[*S, B]``, event ``[x_dim]``."""
        loc = z @ self.W.T + self.b
        return diagonal_normal(loc, self.log_sigma.exp().expand_as(loc))

    def marginal(self) -> MultivariateNormal:
        """p(x) = N(b, WWᵀ + σ²I)."""
        eye = torch.eye(self.x_dim, dtype=self.W.dtype, device=self.W.device)
        cov = self.W @ self.W.T + self.log_sigma.exp() ** 2 * eye
        return MultivariateNormal(self.b, covariance_matrix=cov)

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats, ``[B]``."""
        return self.marginal().log_prob(x)

    def posterior(self, x: torch.Tensor) -> MultivariateNormal:
        """The exact posterior p(z|x): batch ``[B]``, event ``[z_dim]``, full covariance."""
        var = self.log_sigma.exp() ** 2
        eye = torch.eye(self.z_dim, dtype=self.W.dtype, device=self.W.device)
        cov = torch.linalg.inv(eye + self.W.T @ self.W / var)
        loc = (x - self.b) @ self.W @ cov / var  # Σ symmetric: (Σ Wᵀ (x-b))ᵀ = (x-b)ᵀ W Σ
        return MultivariateNormal(loc, covariance_matrix=cov.expand(x.shape[0], -1, -1))

    def encoder(self, x: torch.Tensor) -> MultivariateNormal:
        """The encoder whose q(z|x) *is* the exact posterior."""
        return self.posterior(x)

    def elbo(self, x: torch.Tensor, q) -> torch.Tensor:
        """The ELBO of a Gaussian q(z|x) in closed form, ``[B]`` nats (ch. 2).

        ELBO = E_q[log p(x|z)] + E_q[log p(z)] + H(q) with q = N(μ_q, S_q) (batch ``[B]``, event
        ``[z_dim]``, full or factorised covariance) and, writing z = μ_q + e:

        * E_q[log p(x|z)] = log p(x | z = μ_q) − tr(W S_q Wᵀ) / (2σ²)
        * E_q[log p(z)]   = log p(z = μ_q) − tr(S_q) / 2

        It equals log p(x) − KL(q ‖ p(z|x)) exactly, and log p(x) when q is :meth:`posterior`.
        """
        if x.dim() != 2 or x.shape[-1] != self.x_dim:
            raise ValueError(f"x must have shape [B, {self.x_dim}], got {tuple(x.shape)}")
        cov = _gaussian_covariance(q)
        if q.batch_shape != x.shape[:1] or q.event_shape != (self.z_dim,):
            raise ValueError(
                f"q must have batch [{x.shape[0]}] and event [{self.z_dim}], got batch "
                f"{list(q.batch_shape)} and event {list(q.event_shape)}"
            )
        var = self.log_sigma.exp() ** 2
        spread = torch.einsum("ij,bjk,ik->b", self.W, cov, self.W)  # tr(W S_q Wᵀ)
        log_px_z = self.decoder(q.mean).log_prob(x) - spread / (2 * var)
        log_pz = self.prior.log_prob(q.mean) - cov.diagonal(dim1=-2, dim2=-1).sum(-1) / 2
        return log_px_z + log_pz + q.entropy()

    def mean_field_encoder(self, *, shift: float = 0.0, scale: float = 1.0):
        """The best factorised q(z|x), optionally moved away: N(m(x) + shift, diag(scale² / Λ_dd)).

        m(x) is the posterior mean and Λ = Σ⁻¹ = I + WᵀW/σ² its precision; with ``shift=0`` and
        ``scale=1`` this is the mean-field q that minimises KL(q ‖ p(z|x)). Used to show the
        ELBO gap as q moves away from the posterior.
        """
        if not scale > 0:
            raise ValueError(f"scale must be positive, got {scale!r}")

        def encoder(x: torch.Tensor) -> Independent:
            post = self.posterior(x)
            precision_diag = torch.linalg.inv(post.covariance_matrix[0]).diagonal()
            std = scale * precision_diag.rsqrt().expand_as(post.mean)
            return diagonal_normal(post.mean + shift, std)

        return encoder
