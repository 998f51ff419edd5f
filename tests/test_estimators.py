"""Likelihood and gradient estimators: unbiasedness, bias order, variance, bounded memory."""

import math
import resource

import pytest
import torch
from torch.distributions import Independent, Normal

from vae_lessons import checks, estimators, jackknife, objectives
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
    torch.testing.assert_close(fast.double(), brute_force_jackknife(log_w), rtol=0, atol=1e-5)


def brute_force_jackknife(log_w):
    """k·L_k − (k−1)·mean_i L_{k−1}^{(−i)} in float64, each leave-one-out sum formed anew: O(k²)."""
    log_w = log_w.double()
    k = len(log_w)
    l_k = torch.logsumexp(log_w, 0) - math.log(k)
    loo = []
    for rows in torch.arange(k).split(256):
        others = log_w.expand(len(rows), *log_w.shape).clone()  # [rows, k, B]
        others[torch.arange(len(rows)), rows] = -math.inf
        loo.append(torch.logsumexp(others, 1) - math.log(k - 1))
    return k * l_k - (k - 1) * torch.cat(loo).mean(0)


def test_jackknife_keeps_float32_precision_at_k_5000():
    # k·L_k and (k−1)·mean L^(−i) are ~k·|log p(x)| ≈ 10⁶ here: their float32 difference is off by
    # up to a nat, while the jackknife correction itself is ~10⁻⁴ nats
    model = LinearGaussian(100, 5, sigma=0.5, generator=torch.Generator().manual_seed(0))
    for p in model.parameters():
        p.requires_grad_(False)
    torch.manual_seed(0)
    x = model.marginal().sample((4,)) * torch.tensor([[1.0], [1.0], [2.0], [3.0]])  # far points
    enc = model.mean_field_encoder(shift=0.05)
    k = 5000
    torch.manual_seed(1)
    fast = estimators.jackknife_log_likelihood(x, enc, model.decoder, model.prior, k=k, chunk=k)
    torch.manual_seed(1)
    with torch.no_grad():
        log_w = objectives.log_importance_weights(x, enc, model.decoder, model.prior, k=k)
    assert fast.dtype == torch.float32 and model.log_marginal(x).min() < -500
    exact = brute_force_jackknife(log_w)
    assert (fast.double() - exact).abs().max() < 1e-3
    # the test has the power to see the cancellation: the textbook form in float32 misses
    l_k = torch.logsumexp(log_w, 0) - math.log(k)
    loo = (exact - k * l_k.double()) / -(k - 1)  # mean_i L^(−i), rounded to float32 below
    textbook = k * l_k - (k - 1) * loo.float()
    assert (textbook.double() - exact).abs().max() > 1e-2


def test_jackknife_when_one_weight_dominates():
    # w̃ rounds to 1 in float32: log(1 − w̃) must come from the other weights, not from 1 − w̃
    log_w = torch.zeros(6, 3)
    log_w[2, 0], log_w[0, 1], log_w[5, 2] = 60.0, 30.0, math.log(5.0)  # w̃ = 1, ~1, ½
    fast = jackknife.jvi(log_w)
    torch.testing.assert_close(fast.double(), brute_force_jackknife(log_w), rtol=0, atol=1e-5)


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


MU, SIGMA, A = 0.0, 0.5, 1.0  # q = N(μ, σ²), f(z) = (z − a)²: E f = (μ − a)² + σ²


def normal_example():
    mu = torch.tensor(MU, requires_grad=True)
    sd = torch.tensor(SIGMA, requires_grad=True)

    def f(z):
        return (z - A) ** 2

    return f, lambda: Normal(mu, sd), [mu, sd]


def test_each_row_is_the_chapter_3_formula_on_its_own_draws():
    f, q_fn, params = normal_example()
    for estimator, sf in [
        (estimators.score_function_grad, True),
        (estimators.pathwise_grad, False),
    ]:
        torch.manual_seed(0)
        g = estimator(f, q_fn, params, samples=3, repeats=4)
        torch.manual_seed(0)
        eps = torch.randn(4, 3)  # the draws, row by row
        z = MU + SIGMA * eps
        if sf:  # (f − b) · score, score = (ε/σ, (ε² − 1)/σ)
            rows = [f(z) * eps / SIGMA, f(z) * (eps**2 - 1) / SIGMA]
        else:  # f'(z) · (∂z/∂μ, ∂z/∂σ) = 2(z − a) · (1, ε)
            rows = [2 * (z - A), 2 * (z - A) * eps]
        torch.testing.assert_close(g, torch.stack([r.mean(1) for r in rows], 1))


@pytest.mark.parametrize("samples", [1, 10])
def test_gradient_estimates_are_unbiased_independent_with_the_closed_form_variances(samples):
    # ch. 3's table at d = μ − a, divided by K = samples; R = 20000 rows come in several chunks.
    # 18 comparisons per case, so 4 standard errors (a correct estimator misses 4 rarely)
    f, q_fn, params = normal_example()
    d, s2 = MU - A, SIGMA**2
    cases = {
        "score function": (
            estimators.score_function_grad,
            {},
            (d**4 / s2 + 14 * d**2 + 15 * s2, 2 * d**4 / s2 + 60 * d**2 + 74 * s2),
        ),
        "baseline f(μ)": (
            estimators.score_function_grad,
            {"baseline": d**2},
            (8 * d**2 + 15 * s2, 40 * d**2 + 74 * s2),
        ),
        "pathwise": (estimators.pathwise_grad, {}, (4 * s2, 4 * d**2 + 8 * s2)),
    }
    exact = torch.tensor([2 * d, 2 * SIGMA])
    torch.manual_seed(samples)
    for estimator, kwargs, var in cases.values():
        g = estimator(f, q_fn, params, samples=samples, repeats=20_000, **kwargs).double()
        assert checks.mean_agrees(g, exact, n_se=4)
        sq = (g - g.mean(0)) ** 2
        assert checks.mean_agrees(sq, torch.tensor(var) / samples, n_se=4)
        assert consecutive_correlation_is_zero(g)
        assert not consecutive_correlation_is_zero(g.repeat_interleave(2, 0))  # the test's power


def consecutive_correlation_is_zero(g):
    """corr(g_r, g_{r+1}) of each column within 4 standard errors (1/√R if independent) of 0."""
    a, b = g[:-1] - g[:-1].mean(0), g[1:] - g[1:].mean(0)
    corr = (a * b).mean(0) / (a.std(0) * b.std(0))
    return checks.agree(corr, 0.0, 1 / math.sqrt(len(a)), n_se=4)


def test_score_function_and_pathwise_in_several_dimensions():
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
    assert sf.shape == pw.shape == (2000, 4)
    assert checks.mean_agrees(sf, exact) and checks.mean_agrees(pw, exact)
    assert (pw.var(0) < sf.var(0)).all()


def test_rows_equal_plain_autograd_for_an_encoder_network():
    # P = 180 parameters, q with a batch of 4 data points: each row is the gradient of its own
    # surrogate, the mean over its samples and q's batch
    torch.manual_seed(0)
    model = VAE.mlp(6, 2, (16,))
    x = torch.rand(4, 6).bernoulli()
    params = list(model.encoder.parameters())

    def f(z):
        return model.decoder(z).log_prob(x)  # [n, S, 4]

    torch.manual_seed(1)
    g = estimators.pathwise_grad(f, lambda: model.encoder(x), params, samples=3, repeats=2)
    torch.manual_seed(1)
    z = model.encoder(x).rsample((2, 3))
    for row, z_r in zip(g, z, strict=True):
        grads = torch.autograd.grad(f(z_r).mean(), params, retain_graph=True)
        torch.testing.assert_close(row, torch.cat([t.reshape(-1) for t in grads]))


def test_a_piecewise_constant_f_has_a_zero_pathwise_gradient_and_an_unbiased_score_function():
    # f = 1[z > a]: ∂/∂μ Φ((μ − a)/σ) = φ((μ − a)/σ)/σ, which rsample cannot see (ch. 3, exercise)
    _, q_fn, params = normal_example()

    def f(z):
        return (z - A).sign().clamp(min=0)

    torch.manual_seed(0)
    pw = estimators.pathwise_grad(f, q_fn, params, repeats=100)
    assert (pw == 0).all()
    sf = estimators.score_function_grad(f, q_fn, params, repeats=20_000)
    exact_mu = Normal(0.0, 1.0).log_prob(torch.tensor((MU - A) / SIGMA)).exp() / SIGMA
    assert checks.mean_agrees(sf[:, 0], exact_mu)


def test_gradient_estimators_validate_their_arguments():
    f, q_fn, params = normal_example()
    for kwargs, name in [({"repeats": 0}, "repeats"), ({"samples": 0}, "samples")]:
        with pytest.raises(ValueError, match=name):
            estimators.pathwise_grad(f, q_fn, params, **kwargs)
    with pytest.raises(ValueError, match="params"):
        estimators.score_function_grad(f, q_fn, [p.detach() for p in params])


def test_log_likelihood_memory_stays_bounded_whatever_the_number_of_images():
    torch.manual_seed(0)
    model = VAE.mlp(784, 20, (400,))
    x = torch.rand(2000, 784).bernoulli()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB (Linux: KiB)
    value = estimators.log_likelihood(x, model.encoder, model.decoder, model.prior, k=40)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert torch.isfinite(value).all()
    assert grown < 2048
