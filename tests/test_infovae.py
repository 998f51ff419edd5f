"""vae_lessons.infovae (ch. 11): the aggregate posterior's density and the λ explorer's numbers."""

import math

import pytest
import torch
from torch.distributions import MultivariateNormal, kl_divergence

from vae_lessons import checks, infovae
from vae_lessons.models import VAE, LinearGaussian, diagonal_normal


def test_aggregate_log_density_of_identical_posteriors_is_that_posterior():
    """All q(z|x_n) equal: the mixture is that one Gaussian (the − log N is needed for this)."""
    loc, scale = torch.tensor([0.5, -1.0]), torch.tensor([0.7, 1.3])

    def encoder(x):
        return diagonal_normal(loc.expand(len(x), 2), scale.expand(len(x), 2))

    z = torch.randn(50, 2, generator=torch.Generator().manual_seed(0))
    got = infovae.aggregate_log_density(encoder, torch.zeros(30, 1), z, batch=7)
    assert torch.allclose(got, diagonal_normal(loc, scale).log_prob(z), atol=1e-5)


def test_aggregate_log_density_integrates_to_one_and_matches_the_mixture():
    torch.manual_seed(0)
    model = VAE.mlp(5, 2, (8,))
    x = torch.rand(40, 5)
    grid = torch.linspace(-8, 8, 321)
    zz = torch.stack(torch.meshgrid(grid, grid, indexing="xy"), -1).reshape(-1, 2)
    density = infovae.aggregate_log_density(model.encoder, x, zz).exp().reshape(321, 321)
    mass = torch.trapezoid(torch.trapezoid(density, grid), grid)
    assert abs(float(mass) - 1.0) < 1e-3
    with torch.no_grad():
        q = model.encoder(x)
        by_hand = (q.log_prob(zz[:10].unsqueeze(1)).exp().mean(1)).log()
    assert torch.allclose(infovae.aggregate_log_density(model.encoder, x, zz[:10]), by_hand)


def test_aggregate_log_density_checks_its_inputs():
    model = VAE.mlp(5, 2, (8,))
    with pytest.raises(ValueError, match="z must have shape"):
        infovae.aggregate_log_density(model.encoder, torch.rand(4, 5), torch.zeros(3))
    with pytest.raises(ValueError, match="z_dim = 2"):
        infovae.aggregate_log_density(model.encoder, torch.rand(4, 5), torch.zeros(3, 3))


class _Exact(torch.nn.Module):
    """The linear-Gaussian model with its exact posterior as the encoder (q(z) = p(z) on p(x))."""

    def __init__(self):
        super().__init__()
        self.lg = LinearGaussian(4, 2, generator=torch.Generator().manual_seed(0)).double()
        self.encoder, self.decoder = self.lg.encoder, self.lg.decoder

    @property
    def prior(self):
        return self.lg.prior


def test_summarize_on_the_exact_posterior_of_data_from_the_model():
    """rate = exact mean KL; reconstruction = E[log p(x) + KL] within standard errors; q(z) = p(z),
    so log det Cov[q(z)] ≈ 0 and the MMD² is about 0 (its U-statistic has mean 0)."""
    model = _Exact()
    torch.manual_seed(1)
    with torch.no_grad():
        x = model.lg.marginal().sample((4000,))
        kl = kl_divergence(
            model.lg.posterior(x),
            MultivariateNormal(torch.zeros(2).double(), torch.eye(2).double()),
        )
        log_px = model.lg.log_marginal(x)
    s = infovae.summarize(model, x, seed=0)
    assert s.rate == pytest.approx(float(kl.mean()), rel=1e-9)
    # E_q[log p(x|z)] = log p(x) + KL per point; one draw each: compare within 3 standard errors
    with torch.no_grad():
        q = model.encoder(x)
        per_point_sd = model.decoder(q.sample()).log_prob(x).std()
    assert checks.agree(
        s.reconstruction, float((log_px + kl).mean()), per_point_sd / math.sqrt(len(x))
    )
    assert abs(s.log_det_cov) < 0.1
    assert abs(s.mmd) < 0.01
    assert infovae.summarize(model, x, seed=0) == s  # seeded


def test_summarize_sees_an_aggregate_posterior_that_misses_the_prior():
    """Shifting every q(z|x) by 2 moves q(z) off the prior: MMD² clearly positive."""
    model = _Exact()
    shifted = model.lg.mean_field_encoder(shift=2.0)
    model.encoder = shifted
    with torch.no_grad():
        x = model.lg.marginal().sample((1000,))
    s = infovae.summarize(model, x)
    assert s.mmd > 0.1


def test_lambda_explorer_checks_its_inputs():
    """The λ explorer (ch. 11): slider, grid, summary and codes must hold the same λ values."""
    from vae_lessons import explorers

    ex = explorers.BENCHMARKS["ch11 λ"]()
    with pytest.raises(ValueError, match="same λ values"):
        explorers.infovae_lambda({}, {}, None, None, {}, (28, 28), slider=ex.sliders["lam"])
