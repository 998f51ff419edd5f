"""Likelihood and gradient estimators: unbiasedness, bias order, variance, bounded memory."""

import math
import resource

import pytest
import torch
from torch.distributions import Independent, Normal

from vae_lessons import estimators, objectives
from vae_lessons.models import VAE, LinearGaussian
from vae_lessons.toy import GaussianMixture, mixture_data


@pytest.fixture
def lg():
    model = LinearGaussian(4, 2, sigma=0.5, generator=torch.Generator().manual_seed(3))
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def test_jackknife_has_smaller_bias_than_the_plain_estimate(lg):
    torch.manual_seed(0)
    x = lg.marginal().sample((256,))
    enc = lg.mean_field_encoder(shift=0.5, scale=1.5)
    log_px = lg.log_marginal(x).mean()
    reps, k = 10, 8
    plain = torch.stack(
        [estimators.log_likelihood(x, enc, lg.decoder, lg.prior, k=k).mean() for _ in range(reps)]
    )
    jack = torch.stack(
        [
            estimators.jackknife_log_likelihood(x, enc, lg.decoder, lg.prior, k=k).mean()
            for _ in range(reps)
        ]
    )
    bias_plain, bias_jack = (log_px - plain.mean()).abs(), (log_px - jack.mean()).abs()
    assert bias_plain > 0.1  # L_k is biased low by O(1/k)
    assert bias_jack < bias_plain / 3


def test_jackknife_leave_one_out_matches_brute_force(lg):
    torch.manual_seed(1)
    x = lg.marginal().sample((3,))
    enc = lg.mean_field_encoder(shift=0.3)
    k = 6
    torch.manual_seed(2)
    fast = estimators.jackknife_log_likelihood(x, enc, lg.decoder, lg.prior, k=k, chunk=4)
    torch.manual_seed(2)
    log_w = torch.cat(
        [objectives.log_importance_weights(x, enc, lg.decoder, lg.prior, k=n) for n in (4, 2)]
    )
    l_k = torch.logsumexp(log_w, 0) - math.log(k)
    loo = torch.stack(
        [
            torch.logsumexp(torch.cat([log_w[:i], log_w[i + 1 :]]), 0) - math.log(k - 1)
            for i in range(k)
        ]
    )
    torch.testing.assert_close(fast, k * l_k - (k - 1) * loo.mean(0))


def test_chunks_are_merged_into_one_k_sample_estimate(lg):
    x = lg.marginal().sample((100,))
    enc = lg.mean_field_encoder(shift=0.6, scale=1.5)
    torch.manual_seed(4)
    whole = torch.stack(
        [estimators.log_likelihood(x, enc, lg.decoder, lg.prior, k=12).mean() for _ in range(30)]
    )
    chunked = torch.stack(
        [
            estimators.log_likelihood(x, enc, lg.decoder, lg.prior, k=12, chunk=5, batch=40).mean()
            for _ in range(30)
        ]
    )
    l_5 = torch.stack(
        [estimators.log_likelihood(x, enc, lg.decoder, lg.prior, k=5).mean() for _ in range(30)]
    )
    se = whole.std() / math.sqrt(len(whole))
    assert (whole.mean() - chunked.mean()).abs() < 4 * se
    assert whole.mean() - l_5.mean() > 8 * se  # chunks of 5 are not mistaken for L_5


def test_naive_estimate_is_unbiased_for_p_x_and_fails_for_narrow_posteriors():
    means = [[-4.0], [0.0], [4.0]]
    gm = GaussianMixture(torch.tensor(means), 0.5)
    x, _ = mixture_data(4, means, 0.5, seed=0)
    exact = gm.log_prob(x).detach()
    torch.manual_seed(0)
    est = estimators.naive_log_likelihood(x.repeat(4000, 1), gm.decoder, gm.prior, k=3)
    p_hat = est.view(4000, -1).exp()  # 4000 draws per point; the estimator of p(x) is unbiased
    se = p_hat.std(0) / math.sqrt(len(p_hat))
    assert ((p_hat.mean(0) - exact.exp()).abs() < 4 * se).all()
    # a narrow posterior: the prior-sample estimate is far worse than sampling q = posterior
    lg = LinearGaussian(8, 2, sigma=0.05, generator=torch.Generator().manual_seed(0))
    xs = lg.marginal().sample((20,)).detach()
    with torch.no_grad():
        naive = estimators.naive_log_likelihood(xs, lg.decoder, lg.prior, k=100)
        good = estimators.log_likelihood(xs, lg.encoder, lg.decoder, lg.prior, k=100)
        truth = lg.log_marginal(xs)
    assert (truth - naive).mean() > 5.0
    torch.testing.assert_close(good, truth, atol=1e-3, rtol=0)


def test_effective_sample_size_in_log_space():
    log_w = torch.tensor([[0.0, 0.0], [0.0, -1e4], [0.0, -1e4]])
    torch.testing.assert_close(estimators.effective_sample_size(log_w), torch.tensor([3.0, 1.0]))
    log_w = torch.tensor(
        [[1e4], [1e4 + math.log(3.0)]], dtype=torch.float64
    )  # w ∝ (1, 3): ESS = 16 / 10
    torch.testing.assert_close(
        estimators.effective_sample_size(log_w), torch.tensor([1.6], dtype=torch.float64)
    )


def test_score_function_and_pathwise_agree_in_mean_and_pathwise_has_lower_variance():
    mu = torch.tensor([0.7, -1.2], requires_grad=True)
    log_sigma = torch.tensor([0.1, -0.5], requires_grad=True)

    def q_fn():
        return Independent(Normal(mu, log_sigma.exp()), 1)

    def f(z):
        return (z**2).sum(-1)  # E f = Σ μ² + σ²: ∇_μ = 2μ, ∇_{log σ} = 2σ²

    exact = torch.cat([2 * mu, 2 * (2 * log_sigma).exp()]).detach()
    torch.manual_seed(0)
    sf = estimators.score_function_grad(f, q_fn, [mu, log_sigma], samples=10, repeats=2000)
    pw = estimators.pathwise_grad(f, q_fn, [mu, log_sigma], samples=10, repeats=2000)
    for est in (sf, pw):
        se = est.std(0) / math.sqrt(len(est))
        assert ((est.mean(0) - exact).abs() < 4 * se).all()
    assert (pw.var(0) < sf.var(0)).all()
    # more samples, less variance (1/S)
    sf100 = estimators.score_function_grad(f, q_fn, [mu, log_sigma], samples=100, repeats=500)
    assert (sf100.var(0) < sf.var(0) / 4).all()


def test_log_likelihood_memory_stays_bounded_whatever_the_number_of_images():
    torch.manual_seed(0)
    model = VAE.mlp(784, 20, (400,))
    x = torch.rand(2000, 784).bernoulli()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KiB)
    value = estimators.log_likelihood(x, model.encoder, model.decoder, model.prior, k=40)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert torch.isfinite(value).all()
    assert grown < 2048
