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

__all__ = ["GaussianMixture", "mixture_data", "DiscreteModel", "two_points", "ring", "moons"]


class GaussianMixture(nn.Module):
    """p_θ(x) = Σ_z p(z) N(x; μ_z, diag σ_z²) with a uniform discrete z ∈ {1..K} (ch. 1).

    The sum over z is finite, so :meth:`log_prob` is the *exact* log-likelihood and can be
    maximised by gradient ascent. As a latent-variable model it also follows the book's protocol
    with a one-hot z: :attr:`prior` is ``OneHotCategorical`` (event ``[K]``) and
    ``decoder(z)`` maps one-hot z ``[*S, B, K]`` to p(x|z) (event ``[d]``).
    """

    def __init__(self, means: torch.Tensor, stds: torch.Tensor | float = 1.0):
        super().__init__()
        means = torch.as_tensor(means, dtype=torch.float32)
        if means.dim() != 2:
            raise ValueError(f"means must have shape [K, d], got {tuple(means.shape)}")
        stds = torch.as_tensor(stds, dtype=torch.float32).expand_as(means)
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
        return OneHotCategorical(logits=torch.zeros(self.k, device=self.means.device))

    def components(self) -> Independent:
        """The K Gaussians p(x|z=j) as one batch ``[K]`` of events ``[d]``."""
        return Independent(Normal(self.means, self.log_stds.exp()), 1)

    def decoder(self, z: torch.Tensor) -> Independent:
        """p(x|z) for one-hot z ``[*S, B, K]``."""
        return Independent(Normal(z @ self.means, z @ self.log_stds.exp()), 1)

    def distribution(self) -> MixtureSameFamily:
        return MixtureSameFamily(
            Categorical(logits=torch.zeros(self.k, device=self.means.device)), self.components()
        )

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p_θ(x) = logsumexp_z [log p(z) + log p_θ(x|z)], ``[B]`` nats."""
        return self.distribution().log_prob(x)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """The exact posterior p_θ(z|x), ``[B, K]`` (rows sum to 1)."""
        log_joint = self.components().log_prob(x.unsqueeze(-2)) - math.log(self.k)
        return torch.softmax(log_joint, dim=-1)


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
        cls, n_z: int = 3, n_x: int = 5, *, seed: int = 0, temperature: float = 1.0
    ) -> DiscreteModel:
        """Random tables with all entries positive; larger ``temperature`` gives sharper tables."""
        g = torch.Generator().manual_seed(seed)

        def table(*shape):
            return torch.log_softmax(
                temperature * torch.randn(*shape, generator=g, dtype=torch.float64), -1
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
