"""Small models and data with exact answers: mixtures (ch. 1), a tabular model (ch. 2), the
two-point data x ∈ {−1, 1} (Part III) and 2-D data sets for quick experiments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.distributions import (
    Categorical,
    Independent,
    MixtureSameFamily,
    Normal,
    OneHotCategorical,
    kl_divergence,
)

__all__ = [
    "GaussianMixture",
    "mixture_data",
    "DiscreteModel",
    "two_points",
    "ring",
    "moons",
    "sprites",
    "SPRITE_FACTORS",
]


class GaussianMixture(nn.Module):
    """p_θ(x) = Σ_z p(z) N(x; μ_z, diag σ_z²) with a uniform discrete z ∈ {1..K} (ch. 1).

    The sum over z is finite, so :meth:`log_prob` is the *exact* log-likelihood and can be
    maximised by gradient ascent. As a latent-variable model it also follows the book's protocol
    with a one-hot z: :attr:`prior` is ``OneHotCategorical`` (event ``[K]``) and
    ``decoder(z)`` maps one-hot z ``[*S, B, K]`` to p(x|z) (event ``[d]``).
    """

    def __init__(self, means: torch.Tensor, stds: torch.Tensor | float = 1.0):
        super().__init__()
        means = torch.as_tensor(means, dtype=torch.get_default_dtype())
        if means.dim() != 2:
            raise ValueError(f"means must have shape [K, d], got {tuple(means.shape)}")
        stds = torch.as_tensor(stds, dtype=means.dtype).expand_as(means)
        if not (stds > 0).all():
            raise ValueError("stds must be positive")
        self.means = nn.Parameter(means.clone())
        self.log_stds = nn.Parameter(stds.log().clone())

    @property
    def k(self) -> int:
        return self.means.shape[0]

    @property
    def prior(self) -> OneHotCategorical:
        """p(z): uniform over the K components, one-hot."""
        return OneHotCategorical(logits=self.means.new_zeros(self.k))

    def components(self) -> Independent:
        """The K Gaussians p(x|z=j) as one batch ``[K]`` of events ``[d]``."""
        return Independent(Normal(self.means, self.log_stds.exp()), 1)

    def decoder(self, z: torch.Tensor) -> Independent:
        """p(x|z) for one-hot z ``[*S, B, K]``."""
        return Independent(Normal(z @ self.means, z @ self.log_stds.exp()), 1)

    def distribution(self) -> MixtureSameFamily:
        return MixtureSameFamily(
            Categorical(logits=self.means.new_zeros(self.k)), self.components()
        )

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p_θ(x) = logsumexp_z [log p(z) + log p_θ(x|z)], ``[B]`` nats."""
        return self.distribution().log_prob(x)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """The exact posterior p_θ(z|x), ``[B, K]`` (rows sum to 1)."""
        log_joint = self.components().log_prob(x.unsqueeze(-2)) - math.log(self.k)
        return torch.softmax(log_joint, dim=-1)

    def elbo(self, x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """ELBO(x) = Σ_z q(z|x)[log p(z) + log p_θ(x|z) − log q(z|x)] with q = ``r`` (ch. 2).

        ``[B]`` nats, an exact sum over the K components (0 · log 0 = 0). With ``r`` the
        responsibilities it equals :meth:`log_prob`: the E-step makes the bound tight.
        """
        if r.shape != (x.shape[0], self.k) or (r < 0).any():
            raise ValueError(f"r must be >= 0 with shape [{x.shape[0]}, {self.k}], got {r.shape}")
        log_joint = self.components().log_prob(x.unsqueeze(-2)) - math.log(self.k)  # [B, K]
        return (r * log_joint).sum(-1) - torch.special.xlogy(r, r).sum(-1)

    @torch.no_grad()
    def m_step(self, x: torch.Tensor, r: torch.Tensor) -> GaussianMixture:
        """EM's M-step in place (ch. 2; Bishop 2006, §9.2.2): the θ maximising Σ_n ELBO(x_n; r).

        For a fixed q(z|x_n) = ``r`` [B, K], each component gets the responsibility-weighted mean
        and variance: μ_j = Σ_n r_nj x_n / N_j and σ_jd² = Σ_n r_nj (x_nd − μ_jd)² / N_j with
        N_j = Σ_n r_nj (the mixing weights stay uniform). Returns ``self``.
        """
        if r.shape != (x.shape[0], self.k) or (r < 0).any():
            raise ValueError(f"r must be >= 0 with shape [{x.shape[0]}, {self.k}], got {r.shape}")
        n_j = r.sum(0).unsqueeze(-1)  # [K, 1]
        means = r.T @ x / n_j  # [K, d]
        var = (r.unsqueeze(-1) * (x.unsqueeze(1) - means).pow(2)).sum(0) / n_j  # [K, d]
        self.means.copy_(means)
        self.log_stds.copy_(0.5 * var.log())
        return self


def mixture_data(n: int, means, stds=1.0, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """n points from a uniform mixture of Gaussians with the given means ``[K, d]``: ``(x, z)``."""
    g = torch.Generator().manual_seed(seed)
    means = torch.as_tensor(means, dtype=torch.float32)
    stds = torch.as_tensor(stds, dtype=torch.float32).expand_as(means)
    z = torch.randint(means.shape[0], (n,), generator=g)
    x = means[z] + stds[z] * torch.randn(n, means.shape[1], generator=g)
    return x, z


@dataclass
class DiscreteModel:
    """A latent-variable model on finite sets, where every expectation is an exact sum (ch. 2).

    Tables in log space: ``log_pz [Z]`` (prior), ``log_px_z [Z, X]`` (decoder), ``log_qz_x [X, Z]``
    (encoder) and ``log_pD [X]`` (the data distribution p_D). Rows normalise over the last axis.
    """

    log_pz: torch.Tensor
    log_px_z: torch.Tensor
    log_qz_x: torch.Tensor
    log_pD: torch.Tensor

    @classmethod
    def random(
        cls, n_z: int = 3, n_x: int = 5, *, seed: int = 0, sharpness: float = 1.0
    ) -> DiscreteModel:
        """Random tables with all entries positive: softmax(``sharpness`` · standard normal).

        ``sharpness`` multiplies the logits (an inverse temperature): larger is sharper, 0 uniform.
        """
        if not (
            isinstance(sharpness, (int, float)) and math.isfinite(sharpness) and sharpness >= 0
        ):
            raise ValueError(f"sharpness must be a finite number >= 0, got {sharpness!r}")
        g = torch.Generator().manual_seed(seed)

        def table(*shape):
            return torch.log_softmax(
                sharpness * torch.randn(*shape, generator=g, dtype=torch.float64), -1
            )

        return cls(table(n_z), table(n_z, n_x), table(n_x, n_z), table(n_x))

    def log_joint(self) -> torch.Tensor:
        """log p_θ(x, z), ``[X, Z]``."""
        return self.log_pz + self.log_px_z.T

    def log_px(self) -> torch.Tensor:
        """Exact log p_θ(x), ``[X]``."""
        return torch.logsumexp(self.log_joint(), -1)

    def log_pz_x(self) -> torch.Tensor:
        """Exact posterior log p_θ(z|x), ``[X, Z]``."""
        return self.log_joint() - self.log_px().unsqueeze(-1)

    def elbo(self) -> torch.Tensor:
        """ELBO(x) = Σ_z q(z|x)[log p(x, z) − log q(z|x)], ``[X]``."""
        return (self.log_qz_x.exp() * (self.log_joint() - self.log_qz_x)).sum(-1)

    def decompositions(self) -> dict[str, torch.Tensor]:
        """Every term of the three forms of E_{p_D}[ELBO], each an exact finite sum (scalars).

        With H the entropy of p_D, q(x, z) = p_D(x) q(z|x), q(z) = Σ_x q(x, z) and
        q(x|z) = q(x, z)/q(z):

        * ``elbo``            E_{p_D} ELBO(x)
        * ``kl_joint``        KL(q(x, z) ‖ p(x, z));               elbo = −kl_joint − H
        * ``kl_data``         KL(p_D(x) ‖ p(x))
        * ``kl_posterior``    E_{p_D} KL(q(z|x) ‖ p(z|x));      elbo = −kl_data − kl_posterior − H
        * ``kl_prior``        KL(q(z) ‖ p(z))
        * ``kl_decoder``      E_{q(z)} KL(q(x|z) ‖ p(x|z));     elbo = −kl_prior − kl_decoder − H
        * ``entropy_data``    H
        """
        pD = self.log_pD.exp()
        log_q_joint = self.log_pD.unsqueeze(-1) + self.log_qz_x  # [X, Z]
        log_qz = torch.logsumexp(log_q_joint, 0)  # [Z]
        log_qx_z = (log_q_joint - log_qz).T  # [Z, X]

        def kl(log_a, log_b):
            return kl_divergence(Categorical(logits=log_a), Categorical(logits=log_b))

        return {
            "elbo": (pD * self.elbo()).sum(),
            "kl_joint": kl(log_q_joint.flatten(), self.log_joint().flatten()),
            "kl_data": kl(self.log_pD, self.log_px()),
            "kl_posterior": (pD * kl(self.log_qz_x, self.log_pz_x())).sum(),
            "kl_prior": kl(log_qz, self.log_pz),
            "kl_decoder": (log_qz.exp() * kl(log_qx_z, self.log_px_z)).sum(),
            "entropy_data": Categorical(logits=self.log_pD).entropy(),
        }

    def rate(self) -> torch.Tensor:
        """The rate E_{p_D} KL(q(z|x) ‖ p(z)), an exact float64 scalar in nats (ch. 5).

        Hoffman & Johnson (2016): rate = :meth:`mutual_information` + KL(q(z) ‖ p(z)), the
        second term being ``decompositions()["kl_prior"]``.
        """
        kl = kl_divergence(Categorical(logits=self.log_qz_x), Categorical(logits=self.log_pz))
        return (self.log_pD.exp() * kl).sum()

    def mutual_information(self) -> torch.Tensor:
        """I_q(x; z) = Σ_x p_D(x) KL(q(z|x) ‖ q(z)) under q(x, z) = p_D(x) q(z|x) (ch. 5).

        q(z) = Σ_x p_D(x) q(z|x) is the aggregate posterior; exact float64 scalar in nats,
        between 0 and min(H(p_D), log Z).
        """
        log_qz = torch.logsumexp(self.log_pD.unsqueeze(-1) + self.log_qz_x, 0)  # [Z]
        kl = kl_divergence(Categorical(logits=self.log_qz_x), Categorical(logits=log_qz))
        return (self.log_pD.exp() * kl).sum()


def two_points(n: int = 2) -> torch.Tensor:
    """The data set x ∈ {−1, 1}, ``[n, 1]`` alternating −1, 1 (n even; Zhao et al. 2017, §3.1)."""
    if not isinstance(n, int) or n < 2 or n % 2:
        raise ValueError(f"n must be an even int >= 2, got {n!r}")
    return torch.tensor([-1.0, 1.0]).repeat(n // 2).unsqueeze(-1)


def ring(n: int, k: int = 8, *, radius: float = 2.0, std: float = 0.1, seed: int = 0):
    """``(x [n, 2], labels [n])``: a mixture of k Gaussians evenly spaced on a circle."""
    angles = 2 * math.pi * torch.arange(k) / k
    means = radius * torch.stack([angles.cos(), angles.sin()], -1)
    return mixture_data(n, means, std, seed=seed)


def moons(n: int, *, noise: float = 0.05, seed: int = 0):
    """``(x [n, 2], labels [n])``: scikit-learn's two interleaving half-moons, standardised."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n, noise=noise, random_state=seed)
    x = torch.as_tensor(x, dtype=torch.float32)
    return (x - x.mean(0)) / x.std(0), torch.as_tensor(y)


SPRITE_FACTORS = ("shape", "scale", "x", "y")


def sprites(*, size: int = 16, seed: int | None = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A dSprites-like data set drawn in code (Matthey et al. 2017; ch. 5): ``(x, factors)``.

    Every combination of the four factors :data:`SPRITE_FACTORS`, one binary image each:

    * ``shape`` 0 square, 1 circle, 2 triangle (pointing up);
    * ``scale`` 0, 1, 2: half-widths round(size · (2, 3, 4)/16) pixels (2, 3, 4 at size 16);
    * ``x``, ``y`` 0..7: the centre on an 8 × 8 grid of whole pixels, spread so the largest
      sprite touches both edges (at size 16 the centres are 4, 5, …, 11).

    N = 3 · 3 · 8 · 8 = 576 images. ``x`` is float32 ``[N, size·size]`` with values in {0, 1}
    (row-major: ``x.view(N, size, size)`` is ``[row = y, column = x]``); ``factors`` is long
    ``[N, 4]``. The factors are independent and uniform, so their entropies are log 3, log 3,
    log 8 and log 8 nats. The rows come in factorial order (shape slowest, y fastest) when
    ``seed`` is None, else shuffled by a permutation drawn with ``seed``. Deterministic.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise ValueError(f"size must be an int >= 16, got {size!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be None or a non-negative int, got {seed!r}")
    half_widths = [round(size * w / 16) for w in (2, 3, 4)]
    r_max = half_widths[-1]
    centres = torch.linspace(r_max, size - 1 - r_max, 8).round()
    factors = torch.cartesian_prod(
        torch.arange(3), torch.arange(3), torch.arange(8), torch.arange(8)
    )  # [N, 4]
    r = torch.tensor(half_widths, dtype=torch.float32)[factors[:, 1]].view(-1, 1, 1)
    grid = torch.arange(size, dtype=torch.float32)
    dx = grid.view(1, 1, -1) - centres[factors[:, 2]].view(-1, 1, 1)  # [N, 1, size]
    dy = grid.view(1, -1, 1) - centres[factors[:, 3]].view(-1, 1, 1)  # [N, size, 1]
    square = (dx.abs() <= r) & (dy.abs() <= r)
    circle = dx**2 + dy**2 <= r * (r + 1)
    triangle = (dy.abs() <= r) & (2 * dx.abs() <= dy + r)
    shape = factors[:, 0].view(-1, 1, 1)
    image = torch.where(shape == 0, square, torch.where(shape == 1, circle, triangle))
    x = image.reshape(len(factors), size * size).float()
    if seed is not None:
        order = torch.randperm(len(factors), generator=torch.Generator().manual_seed(seed))
        x, factors = x[order], factors[order]
    return x, factors
