"""Good ELBO, bad inference (ch. 9): exact 1-D quadrature for models with a scalar z, the two-point
path of Zhao, Song & Ermon (2017, §3.1, Proposition 1), the modelling-bias KL and a tiny
autoregressive decoder that can model p(x) without z (the information preference, §3.2).

All log-densities are in nats. The quadrature functions take a log-joint ``log p(x, z)`` on a
grid of z ``[G]`` and return exact answers up to the trapezoidal rule's error, so they serve as
the ground truth that Monte Carlo estimates and the ELBO are compared against.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.distributions import Bernoulli, Distribution, Independent, Normal, kl_divergence

__all__ = [
    "trapezoid_log_weights",
    "log_marginal",
    "log_posterior",
    "kl_to_posterior",
    "grid_log_joint",
    "grid_log_q",
    "TwoPointPath",
    "shift_kl",
    "AutoregressiveBernoulliDecoder",
]


def _check_grid(z: torch.Tensor) -> None:
    if not torch.is_tensor(z) or z.dim() != 1 or len(z) < 2:
        raise ValueError("z must be a 1-D tensor of at least 2 grid points")
    if not (z.diff() > 0).all():
        raise ValueError("z must be strictly increasing")


def trapezoid_log_weights(z: torch.Tensor) -> torch.Tensor:
    """log of the trapezoidal weights w_g of the grid ``z`` ``[G]``: ∫ f dz ≈ Σ_g w_g f(z_g)."""
    _check_grid(z)
    dz = z.diff()
    w = torch.zeros_like(z)
    w[:-1] += dz / 2
    w[1:] += dz / 2
    return w.log()


def log_marginal(log_joint: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """log p(x) = log ∫ p(x, z) dz by the trapezoidal rule in log space (ch. 9), ``[B]`` nats.

    ``log_joint`` ``[B, G]`` is log p(x_b, z_g) on the grid ``z`` ``[G]``; the sum is a logsumexp.
    """
    if log_joint.shape[-1] != len(z):
        raise ValueError(f"log_joint must end in the grid size {len(z)}, got {log_joint.shape}")
    return torch.logsumexp(log_joint + trapezoid_log_weights(z), -1)


def log_posterior(log_joint: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """The exact posterior density log p(z|x) = log p(x, z) − log p(x) on the grid, ``[B, G]``.

    Normalised: its trapezoidal integral over ``z`` is 1 for every row (ch. 9).
    """
    return log_joint - log_marginal(log_joint, z).unsqueeze(-1)


def kl_to_posterior(log_q: torch.Tensor, log_joint: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) ‖ p(z|x)) = ∫ q (log q − log p(z|x)) dz by quadrature (ch. 9), ``[B]`` nats.

    ``log_q`` and ``log_joint`` are ``[B, G]`` on the grid ``z`` ``[G]``. This is the gap
    log p(x) − ELBO(x); the grid must resolve q.
    """
    if log_q.shape != log_joint.shape:
        raise ValueError(f"log_q and log_joint must have the same shape, got {log_q.shape}")
    integrand = log_q.exp() * (log_q - log_posterior(log_joint, z))
    return (integrand * trapezoid_log_weights(z).exp()).sum(-1)


def grid_log_joint(x: torch.Tensor, decoder, prior, z: torch.Tensor) -> torch.Tensor:
    """log p(x_b, z_g) = log p(z_g) + log p(x_b|z_g) for a model with a scalar z, ``[B, G]``.

    ``decoder`` and ``prior`` follow the book's protocol with ``z_dim = 1``: the grid ``z`` ``[G]``
    is passed as a batch of G samples ``[G, 1, 1]``.
    """
    _check_grid(z)
    if x.dim() != 2:
        raise ValueError(f"x must have shape [B, x_dim], got {tuple(x.shape)}")
    zs = z.reshape(-1, 1, 1)
    log_pz = prior.log_prob(zs.squeeze(1))  # [G]
    return (decoder(zs).log_prob(x) + log_pz.unsqueeze(-1)).T


def grid_log_q(q, z: torch.Tensor) -> torch.Tensor:
    """log q(z_g|x_b) on the grid for an encoder output ``q`` with batch ``[B]``, event ``[1]``.

    Returns ``[B, G]``, the layout :func:`kl_to_posterior` takes (ch. 9).
    """
    _check_grid(z)
    if tuple(q.event_shape) != (1,):
        raise ValueError(f"q must have event shape [1], got {tuple(q.event_shape)}")
    return q.log_prob(z.reshape(-1, 1, 1)).T


class TwoPointPath:
    """The two-point model of Proposition 1 (Zhao et al. 2017, §3.1) at one point of its path.

    Data x ∈ {−1, 1} with p_D uniform, prior p(z) = N(0, 1), encoder q(z|x) = N(μx, σ²) and the
    decoder that is optimal for this q among Gaussians with one variance (ch. 9, eq. decoder):
    mean m(z) = E_q[x|z] = tanh(μz/σ²) and variance s² = E_q[(x − m(z))²], computed by quadrature.
    As σ → 0, s² → 0, the ELBO → +∞ and KL(q(z|x) ‖ p_θ(z|x)) → +∞. ``points`` is the size of the
    z grid on [−``half_width``, ``half_width``] used by every quadrature (float64).
    """

    def __init__(self, mu: float, sigma: float, *, points: int = 200_001, half_width: float = 12.0):
        for name, value in (("mu", mu), ("sigma", sigma), ("half_width", half_width)):
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        if not isinstance(points, int) or points < 3:
            raise ValueError(f"points must be an int >= 3, got {points!r}")
        self.mu, self.sigma = float(mu), float(sigma)
        self.z = torch.linspace(-half_width, half_width, points, dtype=torch.float64)
        q1 = Normal(self.mu, self.sigma).log_prob(self.z)  # q(z|x=1); q(z|x=−1) is its mirror
        residual = 2 * torch.sigmoid(-2 * self.mu * self.z / self.sigma**2)  # 1 − m(z)
        self.variance = float((q1.exp() * residual**2 * trapezoid_log_weights(self.z).exp()).sum())

    @property
    def prior(self) -> Independent:
        """p(z) = N(0, 1), event ``[1]``."""
        return Independent(Normal(torch.zeros(1, dtype=torch.float64), 1.0), 1)

    def encoder(self, x: torch.Tensor) -> Independent:
        """q(z|x) = N(μx, σ²) for x ``[B, 1]``: batch ``[B]``, event ``[1]``."""
        return Independent(Normal(self.mu * x.double(), self.sigma), 1)

    def decoder_mean(self, z: torch.Tensor) -> torch.Tensor:
        """m(z) = E_q[x|z] = tanh(μz/σ²), the mean of the optimal decoder, same shape as z."""
        return torch.tanh(self.mu * z / self.sigma**2)

    def decoder(self, z: torch.Tensor) -> Independent:
        """p_θ(x|z) = N(m(z), s²) for z ``[*S, B, 1]``, event ``[1]``."""
        return Independent(Normal(self.decoder_mean(z), math.sqrt(self.variance)), 1)

    def _check_x(self, x: torch.Tensor) -> None:
        if x.dim() != 2 or x.shape[-1] != 1 or not ((x == 1) | (x == -1)).all():
            raise ValueError("x must have shape [B, 1] with values in {-1, 1}")

    def log_joint(self, x: torch.Tensor) -> torch.Tensor:
        """log p(z) + log p_θ(x|z) on the grid, ``[B, G]``, for x ``[B, 1]`` in {−1, 1}.

        The residual x − tanh(a) is computed as x · 2 sigmoid(−2xa), exact for x = ±1 even when
        s is far below float64's resolution of tanh near ±1.
        """
        self._check_x(x)
        a = self.mu * self.z / self.sigma**2  # [G]
        residual = x.double() * 2 * torch.sigmoid(-2 * x.double() * a)  # [B, G]
        log_px_z = Normal(0.0, math.sqrt(self.variance)).log_prob(residual)
        return log_px_z + Normal(0.0, 1.0).log_prob(self.z)

    def log_q(self, x: torch.Tensor) -> torch.Tensor:
        """log q(z|x) on the grid, ``[B, G]``."""
        self._check_x(x)
        return Normal(self.mu * x.double(), self.sigma).log_prob(self.z)

    def elbo(self) -> float:
        """The ELBO in closed form, the same for x = ±1 (ch. 9), nats.

        E_q[log p_θ(x|z)] = −½ log(2π e s²) since E_q[(x − m)²] = s², minus
        KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²) (torch.distributions' registered KL).
        """
        reconstruction = -0.5 * math.log(2 * math.pi * math.e * self.variance)
        x = torch.ones(1, 1, dtype=torch.float64)  # x = 1; x = −1 mirrors it
        return reconstruction - float(kl_divergence(self.encoder(x), self.prior))

    def log_marginal(self, x: torch.Tensor) -> torch.Tensor:
        """The model's exact log p_θ(x) by quadrature, ``[B]`` nats."""
        return log_marginal(self.log_joint(x), self.z)

    def log_posterior(self, x: torch.Tensor) -> torch.Tensor:
        """The model's exact posterior log p_θ(z|x) on the grid :attr:`z`, ``[B, G]``."""
        return log_posterior(self.log_joint(x), self.z)

    def inference_kl(self, x: torch.Tensor) -> torch.Tensor:
        """KL(q(z|x) ‖ p_θ(z|x)) by quadrature, ``[B]`` nats."""
        return kl_to_posterior(self.log_q(x), self.log_joint(x), self.z)


def shift_kl(n: int, eps: float) -> float:
    """KL(N(0, I_n) ‖ N(ε·1, I_n)) = nε²/2 nats, the modelling bias of a shift ε (ch. 9)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if not (isinstance(eps, (int, float)) and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number, got {eps!r}")
    return n * eps**2 / 2


class _AutoregressiveBernoulli(Distribution):
    """Π_i Bernoulli(x_i | x_<i, z) for z ``[*S, B, z_dim]``: batch ``[*S, B]``, event [x_dim]."""

    arg_constraints: dict = {}

    def __init__(self, decoder: AutoregressiveBernoulliDecoder, z: torch.Tensor):
        self.decoder, self.z = decoder, z
        super().__init__(z.shape[:-1], torch.Size([decoder.x_dim]), validate_args=False)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        shape = torch.broadcast_shapes(self.batch_shape, x.shape[:-1])
        x = x.expand(*shape, self.decoder.x_dim).to(self.z.dtype)
        logits = self.decoder.logits(x, self.z.expand(*shape, self.decoder.z_dim))
        return Bernoulli(logits=logits, validate_args=False).log_prob(x).sum(-1)


class AutoregressiveBernoulliDecoder(nn.Module):
    """p_θ(x|z) = Π_i Bernoulli(x_i; sigmoid(f_i(x_<i, z))), a one-hidden-layer MADE (ch. 9).

    Germain et al. (2015): position i has its own ``hidden`` units, which see x_<i and z through a
    masked linear layer; its logit sees only those units. With enough units it can model any
    distribution of short binary sequences without using z at all, which is what makes the
    ELBO's optimum ignore z (the information preference). ``forward(z)`` returns a distribution
    whose ``log_prob(x)`` teacher-forces x ``[B, x_dim]``.
    """

    def __init__(self, z_dim: int, x_dim: int, hidden: int = 16):
        super().__init__()
        for name, value in (("z_dim", z_dim), ("x_dim", x_dim), ("hidden", hidden)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        self.z_dim, self.x_dim, self.hidden = z_dim, x_dim, hidden
        position = torch.arange(x_dim).repeat_interleave(hidden)  # the position of each unit
        mask_x = (torch.arange(x_dim).unsqueeze(0) < position.unsqueeze(1)).float()  # [D·H, D]
        mask_out = (torch.arange(x_dim).unsqueeze(1) == position.unsqueeze(0)).float()  # [D, D·H]
        self.register_buffer("mask_x", mask_x)
        self.register_buffer("mask_out", mask_out)
        self.inp_x = nn.Linear(x_dim, x_dim * hidden, bias=False)
        self.inp_z = nn.Linear(z_dim, x_dim * hidden)
        self.out = nn.Linear(x_dim * hidden, x_dim)

    def logits(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """The logits f_i(x_<i, z), ``[*S, B, x_dim]`` for x and z with the same batch shape."""
        h = torch.relu(nn.functional.linear(x, self.inp_x.weight * self.mask_x) + self.inp_z(z))
        return nn.functional.linear(h, self.out.weight * self.mask_out, self.out.bias)

    def forward(self, z: torch.Tensor) -> _AutoregressiveBernoulli:
        return _AutoregressiveBernoulli(self, z)
