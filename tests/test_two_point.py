"""Tests for vae_lessons.two_point (ch. 9): quadrature against closed forms, the path's ELBO."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from vae_lessons import checks, models, objectives
from vae_lessons import two_point as tp

X = torch.tensor([[-1.0], [1.0]])


def test_quadrature_matches_linear_gaussian():
    """log p(x), the posterior and KL(q ‖ p(z|x)) against the linear-Gaussian closed forms."""
    torch.manual_seed(0)
    model = models.LinearGaussian(2, 1, sigma=0.7).double()
    x = torch.randn(5, 2, dtype=torch.float64)
    z = torch.linspace(-12, 12, 20_001, dtype=torch.float64)
    log_joint = tp.grid_log_joint(x, model.decoder, model.prior, z)
    assert torch.allclose(tp.log_marginal(log_joint, z), model.log_marginal(x), atol=1e-8)
    post = model.posterior(x)
    exact = Normal(post.mean.squeeze(-1).unsqueeze(-1), post.stddev.squeeze(-1).unsqueeze(-1))
    assert torch.allclose(tp.log_posterior(log_joint, z), exact.log_prob(z), atol=1e-6)
    q = Normal(post.mean.squeeze(-1) + 0.3, 0.5 * post.stddev.squeeze(-1))
    log_q = Normal(q.loc.unsqueeze(-1), q.scale.unsqueeze(-1)).log_prob(z)
    kl = kl_divergence(q, Normal(post.mean.squeeze(-1), post.stddev.squeeze(-1)))
    assert torch.allclose(tp.kl_to_posterior(log_q, log_joint, z), kl, atol=1e-6)


def test_posterior_is_normalised_and_unnormalised_is_not():
    path = tp.TwoPointPath(1.0, 0.3)
    w = tp.trapezoid_log_weights(path.z).exp()
    mass = (path.log_posterior(X).exp() * w).sum(-1)
    assert torch.allclose(mass, torch.ones(2, dtype=torch.float64), atol=1e-10)
    assert not torch.allclose((path.log_joint(X).exp() * w).sum(-1), mass, atol=1e-3)


def test_optimal_decoder_mean_is_posterior_mean_of_x():
    """E_q[x|z] = q(1|z) − q(−1|z) = tanh(μz/σ²) by Bayes' rule under q(x, z) = q(z|x)/2."""
    path = tp.TwoPointPath(0.8, 0.6, points=101)
    z = torch.linspace(-3, 3, 61, dtype=torch.float64)
    log_q = torch.stack([Normal(-0.8, 0.6).log_prob(z), Normal(0.8, 0.6).log_prob(z)])
    q_x_given_z = torch.softmax(log_q, 0)
    assert torch.allclose(q_x_given_z[1] - q_x_given_z[0], path.decoder_mean(z), atol=1e-12)


@pytest.mark.parametrize("sigma", [1.0, 0.5, 0.3])
def test_path_elbo_matches_monte_carlo_and_bounds(sigma):
    path = tp.TwoPointPath(1.0, sigma)
    torch.manual_seed(0)
    samples = objectives.elbo(X.double().repeat(20_000, 1), path.encoder, path.decoder, path.prior)
    assert checks.mean_agrees(samples, path.elbo())
    gap = path.log_marginal(X) - path.inference_kl(X)  # log p(x) − KL = ELBO
    assert torch.allclose(gap, torch.full_like(gap, path.elbo()), atol=1e-5)
    assert (path.inference_kl(X) > 0).all()


def test_path_goes_to_infinity():
    sigmas = [0.5, 0.25, 0.12]
    paths = [tp.TwoPointPath(1.0, s) for s in sigmas]
    elbos = [p.elbo() for p in paths]
    kls = [p.inference_kl(X)[1].item() for p in paths]
    assert elbos[0] < elbos[1] < elbos[2] and elbos[2] > 10
    assert kls[0] < kls[1] < kls[2]


def test_shift_kl_matches_torch():
    for n, eps in [(1, 0.3), (784, 0.1), (2, -1.5)]:
        p = Independent(Normal(torch.zeros(n, dtype=torch.float64), 1.0), 1)
        q = Independent(Normal(torch.full((n,), eps, dtype=torch.float64), 1.0), 1)
        assert math.isclose(tp.shift_kl(n, eps), kl_divergence(p, q).item(), rel_tol=1e-12)
    with pytest.raises(ValueError, match="n"):
        tp.shift_kl(0, 0.1)


def test_autoregressive_decoder_is_autoregressive_and_normalised():
    torch.manual_seed(0)
    dec = tp.AutoregressiveBernoulliDecoder(2, 4, 8)
    z = torch.randn(3, 1, 2)
    x = torch.cartesian_prod(*[torch.tensor([0.0, 1.0])] * 4)  # all 16 sequences
    log_p = dec(z).log_prob(x)  # [3, 16]
    assert log_p.shape == (3, 16)
    assert torch.allclose(torch.logsumexp(log_p, -1), torch.zeros(3), atol=1e-5)
    x1 = x[:1].clone().requires_grad_()
    logits = dec.logits(x1.expand(3, 4), z.squeeze(1))
    for i in range(4):  # logit i depends only on x_<i
        (g,) = torch.autograd.grad(logits[:, i].sum(), x1, retain_graph=True)
        assert (g[0, i:] == 0).all()


def test_validation():
    with pytest.raises(ValueError, match="sigma"):
        tp.TwoPointPath(1.0, 0.0)
    with pytest.raises(ValueError, match="x"):
        tp.TwoPointPath(1.0, 0.5, points=11).log_marginal(torch.tensor([[0.5]]))
    with pytest.raises(ValueError, match="z"):
        tp.trapezoid_log_weights(torch.tensor([1.0, 0.0]))
