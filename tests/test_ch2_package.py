"""Chapter 2's package pieces: the closed-form ELBO of the linear-Gaussian model, the KL of a full
Gaussian to a factorised one, and EM on the Gaussian mixture as coordinate ascent on the ELBO."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

from vae_lessons import checks, objectives
from vae_lessons.models import LinearGaussian
from vae_lessons.toy import DiscreteModel, GaussianMixture, mixture_data


@pytest.fixture
def lg():
    model = LinearGaussian(5, 3, sigma=0.4, generator=torch.Generator().manual_seed(0))
    return model.double().requires_grad_(False)


def test_closed_form_elbo_is_log_px_minus_the_posterior_kl(lg):
    x = lg.marginal().sample((4,))
    log_px = lg.log_marginal(x)
    post = lg.posterior(x)
    torch.testing.assert_close(lg.elbo(x, post), log_px, atol=1e-10, rtol=0)
    for shift, scale in [(0.0, 1.0), (0.4, 0.6), (-0.3, 2.0)]:
        q = lg.mean_field_encoder(shift=shift, scale=scale)(x)
        torch.testing.assert_close(
            lg.elbo(x, q), log_px - kl_divergence(q, post), atol=1e-10, rtol=0
        )
    full = MultivariateNormal(post.mean + 0.2, covariance_matrix=2.0 * post.covariance_matrix)
    torch.testing.assert_close(lg.elbo(x, full), log_px - kl_divergence(full, post))


def test_closed_form_elbo_agrees_with_the_monte_carlo_elbo(lg):
    torch.manual_seed(0)
    x = lg.marginal().sample((1,))
    enc = lg.mean_field_encoder(shift=0.5, scale=1.5)
    repeats = objectives.elbo(x.expand(200, -1), enc, lg.decoder, lg.prior, samples=500)
    assert checks.mean_agrees(repeats, lg.elbo(x, enc(x)).item())
    # the closed form is not a wrong one that drops the spread penalty tr(W S Wᵀ)/(2σ²)
    q = enc(x)
    no_spread = lg.decoder(q.mean).log_prob(x) - kl_divergence(q, lg.prior)
    assert not checks.mean_agrees(repeats, no_spread.item())


def test_closed_form_elbo_refuses_what_it_cannot_compute(lg):
    x = torch.zeros(2, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"\bq\b"):
        lg.elbo(x, Independent(torch.distributions.Laplace(torch.zeros(2, 3), 1.0), 1))
    with pytest.raises(ValueError, match=r"\bq\b"):
        lg.elbo(x, lg.posterior(torch.zeros(3, 5, dtype=torch.float64)))
    with pytest.raises(ValueError, match=r"\bx\b"):
        lg.elbo(torch.zeros(2, 4), lg.posterior(x))


def test_kl_of_a_full_gaussian_to_a_factorised_one_is_registered(lg):
    x = lg.marginal().sample((2,))
    post, q = lg.posterior(x), lg.mean_field_encoder(shift=0.3, scale=1.2)(x)
    torch.manual_seed(0)
    z = post.sample((200_000,))
    log_ratio = post.log_prob(z) - q.log_prob(z)  # [S, B]
    assert checks.mean_agrees(log_ratio, kl_divergence(post, q))
    # elbo now takes KL(p(z|x) ‖ p(z)) in closed form for the exact encoder (no Monte Carlo KL)
    z = post.sample((200_000,))
    assert checks.mean_agrees(
        post.log_prob(z) - lg.prior.log_prob(z), kl_divergence(post, lg.prior)
    )
    repeats = objectives.elbo(x[:1].expand(400, -1), lg.encoder, lg.decoder, lg.prior)
    assert repeats.std() > 0.1  # reconstruction minus a closed-form KL: not tight sample by sample
    assert checks.mean_agrees(repeats, lg.log_marginal(x[:1]).item())
    bits = Independent(torch.distributions.Bernoulli(probs=torch.full((2, 3), 0.5)), 1)
    with pytest.raises(NotImplementedError):
        kl_divergence(post, bits)


def test_mean_field_variances_are_the_conditional_variances(lg):
    """argmin over factorised q of KL(q‖p) has variances 1/Λ_dd ≤ Σ_dd; KL(p‖q) gives Σ_dd."""
    x = lg.marginal().sample((1,))
    post = lg.posterior(x)
    cov = post.covariance_matrix[0]
    cond = 1 / torch.linalg.inv(cov).diagonal()
    q = lg.mean_field_encoder()(x)
    torch.testing.assert_close(q.variance[0], cond)
    assert (cond <= cov.diagonal()).all()
    mass_covering = Independent(Normal(post.mean, cov.diagonal().sqrt()), 1)
    for scale in (0.95, 1.05):
        wider = Independent(Normal(post.mean, scale * cov.diagonal().sqrt()), 1)
        assert (kl_divergence(post, wider) > kl_divergence(post, mass_covering)).all()


def test_em_is_coordinate_ascent_on_the_elbo():
    means = torch.tensor([[-2.5, -1.0], [2.5, -1.0], [0.0, 2.5]], dtype=torch.float64)
    x = mixture_data(300, means, 0.8, seed=0)[0].double()
    gm = GaussianMixture(0.5 * torch.randn(3, 2, generator=torch.Generator().manual_seed(0)), 2.0)
    gm = gm.double().requires_grad_(False)
    log_lik = [gm.log_prob(x).mean()]
    for _ in range(15):
        r = gm.responsibilities(x)  # E-step: the bound is tight
        before = gm.elbo(x, r).mean()
        torch.testing.assert_close(before, log_lik[-1], atol=1e-12, rtol=0)
        gm.m_step(x, r)
        after = gm.elbo(x, r).mean()
        log_lik.append(gm.log_prob(x).mean())
        assert before <= after + 1e-12 <= log_lik[-1] + 2e-12
        # the M-step is a stationary point of the ELBO for the fixed r
        gm.requires_grad_(True)
        grads = torch.autograd.grad(gm.elbo(x, r).sum(), [gm.means, gm.log_stds])
        gm.requires_grad_(False)
        assert all(g.abs().max() < 1e-8 for g in grads)
    assert log_lik[-1] > log_lik[0] + 0.5


def test_an_m_step_without_the_responsibility_weights_is_not_a_maximum():
    means = torch.tensor([[-2.0], [2.0]], dtype=torch.float64)
    x = mixture_data(200, means, 0.7, seed=1)[0].double()
    gm = GaussianMixture(torch.tensor([[-1.0], [1.0]]), 1.0).double().requires_grad_(False)
    r = gm.responsibilities(x)
    best = gm.m_step(x, r).elbo(x, r).mean()
    unweighted = GaussianMixture(x.mean(0).expand(2, 1), x.std(0)).double()
    assert unweighted.elbo(x, r).mean() < best - 0.1


def test_mixture_elbo_refuses_a_wrong_q():
    gm = GaussianMixture(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"\br\b"):
        gm.elbo(torch.zeros(4, 2), torch.full((4, 2), 0.5))
    with pytest.raises(ValueError, match=r"\br\b"):
        gm.m_step(torch.zeros(4, 2), -torch.ones(4, 3))


def test_discrete_model_sharpness_is_an_inverse_temperature():
    flat = DiscreteModel.random(3, 5, seed=0, sharpness=0.0)
    torch.testing.assert_close(flat.log_pz, torch.full((3,), -math.log(3), dtype=torch.float64))
    sharp, mild = (DiscreteModel.random(3, 5, seed=0, sharpness=s) for s in (4.0, 1.0))
    entropy = lambda t: -(t.exp() * t).sum(-1)  # noqa: E731
    assert (entropy(sharp.log_qz_x) < entropy(mild.log_qz_x)).all()
    with pytest.raises(ValueError, match="sharpness"):
        DiscreteModel.random(sharpness=-1.0)


def test_mixture_parameters_follow_the_default_dtype():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        gm = GaussianMixture([[0.0, 1.0]], 2.0)
    finally:
        torch.set_default_dtype(previous)
    assert gm.means.dtype == gm.log_stds.dtype == gm.prior.logits.dtype == torch.float64
