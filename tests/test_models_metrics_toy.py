"""Models follow the protocol; diagnostics and toy models give their exact answers."""

import math

import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from vae_lessons import metrics, objectives
from vae_lessons.models import (
    VAE,
    BernoulliDecoder,
    GaussianDecoder,
    LinearGaussian,
    MLPEncoder,
    standard_normal_prior,
)
from vae_lessons.toy import DiscreteModel, GaussianMixture, mixture_data, moons, ring, two_points


def test_protocol_shapes_for_sample_dimensions():
    enc, dec = MLPEncoder(12, 3, (16,)), GaussianDecoder(3, 12, (16,))
    q = enc(torch.rand(5, 12))
    assert (q.batch_shape, q.event_shape) == ((5,), (3,))
    p = dec(q.rsample((7,)))
    assert (p.batch_shape, p.event_shape) == ((7, 5), (12,))
    assert standard_normal_prior(3).event_shape == (3,)


def test_gaussian_decoder_with_unit_std_is_squared_error_up_to_a_constant():
    dec = GaussianDecoder(2, 6, (8,), learn_std=False)
    z, x = torch.randn(4, 2), torch.randn(4, 6)
    mean = dec(z).mean
    expected = -0.5 * ((x - mean) ** 2).sum(-1) - 0.5 * 6 * math.log(2 * math.pi)
    torch.testing.assert_close(dec(z).log_prob(x), expected)


def test_bernoulli_decoder_is_minus_binary_cross_entropy():
    dec = BernoulliDecoder(2, 6, (8,))
    z, x = torch.randn(4, 2), torch.rand(4, 6).bernoulli()
    logits = dec.net(z)
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(-1)
    torch.testing.assert_close(dec(z).log_prob(x), -bce)


def test_learned_std_has_its_floor():
    dec = GaussianDecoder(2, 3, (4,), min_std=0.05)
    with torch.no_grad():
        dec.net[-1].bias[3:] = -1e3  # raw std → softplus → 0
    assert torch.allclose(dec(torch.randn(2, 2)).stddev, torch.full((2, 3), 0.05))


def test_vae_prior_moves_with_the_model_and_reference_sizes():
    vae = VAE.mlp(784, 20, (400,))
    assert (
        sum(p.numel() for p in vae.parameters())
        == 784 * 400 + 400 + 400 * 40 + 40 + 20 * 400 + 400 + 400 * 784 + 784
    )
    assert vae.double().prior.mean.dtype == torch.float64
    with pytest.raises(ValueError, match="likelihood"):
        VAE.mlp(likelihood="poisson")


def test_linear_gaussian_posterior_is_bayes_rule():
    lg = LinearGaussian(5, 3, generator=torch.Generator().manual_seed(0))
    x, z = torch.randn(4, 5), torch.randn(4, 3)
    lhs = lg.posterior(x).log_prob(z)
    rhs = lg.decoder(z).log_prob(x) + lg.prior.log_prob(z) - lg.log_marginal(x)
    torch.testing.assert_close(lhs, rhs, atol=1e-5, rtol=0)


def test_kl_of_a_factorised_q_to_a_full_gaussian_is_registered():
    lg = LinearGaussian(5, 3, sigma=0.4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(2, 5)
    q, post = lg.mean_field_encoder(shift=0.3, scale=1.2)(x), lg.posterior(x)
    torch.manual_seed(0)
    z = q.sample((200_000,))
    monte_carlo = (q.log_prob(z) - post.log_prob(z)).mean(0)
    torch.testing.assert_close(kl_divergence(q, post), monte_carlo, atol=0.01, rtol=0)
    bits = Independent(torch.distributions.Bernoulli(probs=torch.full((2, 3), 0.5)), 1)
    with pytest.raises(NotImplementedError):
        kl_divergence(bits, post)


def test_mean_field_encoder_is_the_best_factorised_q():
    lg = LinearGaussian(5, 3, sigma=0.4, generator=torch.Generator().manual_seed(0))
    x = torch.randn(2, 5)
    post = lg.posterior(x)
    best = kl_divergence(lg.mean_field_encoder()(x), post)
    for kw in ({"scale": 0.9}, {"scale": 1.1}, {"shift": 0.05}):
        assert (kl_divergence(lg.mean_field_encoder(**kw)(x), post) > best).all()


def test_active_units_count_the_dimensions_that_move():
    class Half(torch.nn.Module):  # z_0, z_1 follow x; z_2, z_3 sit at the prior
        def forward(self, x):
            mu = torch.cat([x[:, :2], torch.zeros(len(x), 2)], -1)
            return Independent(Normal(mu, torch.ones_like(mu)), 1)

    x = torch.randn(500, 2)
    assert metrics.active_units(Half(), x) == 2
    assert metrics.active_units(Half(), 0.05 * x) == 0  # variance 0.0025 < 0.01


def test_kl_per_dimension_sums_to_the_mean_kl():
    enc = MLPEncoder(6, 4, (8,))
    x = torch.rand(50, 6)
    per_dim = metrics.kl_per_dimension(enc, x)
    mu, logvar = enc.params(x)
    torch.testing.assert_close(per_dim.sum(), objectives.gaussian_kl(mu, logvar).mean().detach())


def test_aggregate_posterior_covariance_matches_samples():
    lg = LinearGaussian(4, 2, sigma=0.3, generator=torch.Generator().manual_seed(0))
    x = lg.marginal().sample((4000,)).detach()
    with torch.no_grad():
        z = lg.encoder(x).sample()
    emp = torch.cov(z.T)
    torch.testing.assert_close(
        metrics.aggregate_posterior_cov(lg.encoder, x), emp, atol=0.06, rtol=0
    )
    # the aggregate posterior of the exact model is the prior: log det Cov = 0
    assert abs(metrics.log_det_cov_aggregate_posterior(lg.encoder, x).item()) < 0.1


def test_mixture_exact_likelihood_and_responsibilities():
    means = torch.tensor([[-2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
    gm = GaussianMixture(means, 0.7)
    x, _ = mixture_data(6, means, 0.7, seed=1)
    comp = Independent(Normal(means, 0.7), 1).log_prob(x.unsqueeze(1))  # [B, K]
    torch.testing.assert_close(gm.log_prob(x), torch.logsumexp(comp, -1) - math.log(3))
    torch.testing.assert_close(gm.responsibilities(x), torch.softmax(comp, -1))
    # one-hot protocol: the decoder picks the component
    onehot = torch.eye(3)[[2]].expand(6, 3)
    torch.testing.assert_close(gm.decoder(onehot).log_prob(x), comp[:, 2])


def test_three_forms_of_the_elbo_on_a_discrete_model():
    for seed in range(5):
        m = DiscreteModel.random(3, 6, seed=seed)
        t = m.decompositions()
        h = t["entropy_data"]
        for rhs in (
            -t["kl_joint"],
            -t["kl_data"] - t["kl_posterior"],
            -t["kl_prior"] - t["kl_decoder"],
        ):
            torch.testing.assert_close(t["elbo"] + h, rhs)
        gap = (m.log_pD.exp() * (m.log_px() - m.elbo())).sum()
        torch.testing.assert_close(gap, t["kl_posterior"])
        assert all(t[k] > 0 for k in t if k.startswith("kl"))


def test_toy_data():
    x = two_points(4)
    assert x.flatten().tolist() == [-1.0, 1.0, -1.0, 1.0]
    with pytest.raises(ValueError, match="n"):
        two_points(3)
    xr, yr = ring(800, 8, radius=2.0, std=0.05)
    assert torch.allclose(xr.norm(dim=1).mean(), torch.tensor(2.0), atol=0.02)
    assert set(yr.tolist()) == set(range(8))
    xm, ym = moons(200)
    torch.testing.assert_close(xm.mean(0), torch.zeros(2), atol=1e-5, rtol=0)
    assert set(ym.tolist()) == {0, 1}


@pytest.mark.parametrize("min_std", [0, 0.0, -0.1, 1e-30, math.nan, math.inf])
def test_gaussian_decoder_refuses_a_floor_that_lets_sigma_vanish(min_std):
    with pytest.raises(ValueError, match="min_std"):
        GaussianDecoder(2, 3, (4,), min_std=min_std)


def test_tiny_std_floor_gives_a_large_finite_log_density_not_nan():
    # Ch. 4, exercise 3: as σ → its floor the log-density at the mean grows like −D log σ.
    dec = GaussianDecoder(2, 3, (4,), min_std=1e-6)
    with torch.no_grad():
        dec.net[-1].bias[3:] = -1e4  # softplus underflows to 0: σ is the floor
    px_z = dec(torch.randn(5, 2))
    log_px_z = px_z.log_prob(px_z.mean)
    assert torch.isfinite(log_px_z).all()
    torch.testing.assert_close(
        log_px_z, torch.full((5,), 3 * (-math.log(1e-6) - 0.5 * math.log(2 * math.pi)))
    )
