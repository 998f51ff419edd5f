"""Numbers, not shapes: the identities behind every objective, checked on exact models."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.distributions import Independent, Normal, kl_divergence

from vae_lessons import estimators, objectives
from vae_lessons.models import BernoulliDecoder, LinearGaussian, MLPEncoder, standard_normal_prior


@pytest.fixture
def lg():
    torch.manual_seed(0)
    model = LinearGaussian(6, 3, sigma=0.6, generator=torch.Generator().manual_seed(1))
    for p in model.parameters():
        p.requires_grad_(False)
    return model


@pytest.fixture
def x(lg):
    return lg.marginal().sample((16,))


# --- KL --------------------------------------------------------------------------------------


def test_gaussian_kl_matches_torch_and_monte_carlo():
    g = torch.Generator().manual_seed(0)
    mu, logvar = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    q = Independent(Normal(mu, (0.5 * logvar).exp()), 1)
    p = standard_normal_prior(4)
    closed = objectives.gaussian_kl(mu, logvar)
    torch.testing.assert_close(closed, kl_divergence(q, p))
    z = q.sample((200_000,))
    mc = (q.log_prob(z) - p.log_prob(z)).mean(0)
    torch.testing.assert_close(mc, closed, atol=0.03, rtol=0.01)


NONZERO_OR_ZERO = st.one_of(st.just(0.0), st.floats(1e-3, 3), st.floats(-3, -1e-3))


@settings(max_examples=50, deadline=None)
@given(st.lists(NONZERO_OR_ZERO, min_size=1, max_size=6), NONZERO_OR_ZERO)
def test_gaussian_kl_nonnegative_and_zero_only_at_prior(mus, lv):
    mu = torch.tensor([mus], dtype=torch.float64)
    logvar = torch.full_like(mu, lv)
    kl = objectives.gaussian_kl(mu, logvar)
    assert kl.item() >= 0
    if all(m == 0 for m in mus) and lv == 0:
        assert kl.item() == 0
    else:
        assert kl.item() > 0


# --- ELBO and L_k on the exact model ------------------------------------------------------------


def test_exact_posterior_makes_every_bound_tight_for_every_sample(lg, x):
    log_px = lg.log_marginal(x)
    for samples in (1, 7):
        b = objectives.elbo(  # log p(x|z) + log p(z) − log q(z|x) for the same z: tight per sample
            x, lg.encoder, lg.decoder, lg.prior, samples=samples, analytic_kl=False
        )
        torch.testing.assert_close(b, log_px, atol=2e-4, rtol=0)
    log_w = objectives.log_importance_weights(x, lg.encoder, lg.decoder, lg.prior, k=64)
    torch.testing.assert_close(log_w, log_px.expand_as(log_w), atol=2e-4, rtol=0)
    for k in (1, 5, 500):
        torch.testing.assert_close(
            objectives.iwae_bound(x, lg.encoder, lg.decoder, lg.prior, k=k),
            log_px,
            atol=2e-4,
            rtol=0,
        )


def test_bounds_in_order_and_gap_is_posterior_kl(lg, x):
    torch.manual_seed(0)
    enc = lg.mean_field_encoder(shift=0.4, scale=1.6)
    log_px = lg.log_marginal(x)
    elbo = objectives.elbo(x, enc, lg.decoder, lg.prior, samples=200_000)
    gap = kl_divergence(enc(x), lg.posterior(x))
    torch.testing.assert_close(log_px - elbo, gap, atol=0.03, rtol=0.01)
    reps = 200
    l5 = torch.stack(
        [objectives.iwae_bound(x, enc, lg.decoder, lg.prior, k=5) for _ in range(reps)]
    ).mean()
    l50 = torch.stack(
        [objectives.iwae_bound(x, enc, lg.decoder, lg.prior, k=50) for _ in range(reps // 4)]
    ).mean()
    l5000 = estimators.log_likelihood(x, enc, lg.decoder, lg.prior, k=5000).mean()
    assert elbo.mean() < l5 < l50 < l5000 < log_px.mean()
    assert log_px.mean() - l5000 < 0.03
    assert gap.mean() > 0.5  # the perturbation is large enough for the ordering to mean something


def test_analytic_and_monte_carlo_kl_give_the_same_elbo(lg, x):
    torch.manual_seed(0)
    enc = lg.mean_field_encoder(shift=0.2, scale=0.8)
    a = objectives.elbo(x, enc, lg.decoder, lg.prior, samples=50_000, analytic_kl=True)
    m = objectives.elbo(x, enc, lg.decoder, lg.prior, samples=50_000, analytic_kl=False)
    torch.testing.assert_close(a, m, atol=0.03, rtol=0)


def test_beta_weights_only_the_kl(lg, x):
    enc = lg.mean_field_encoder(shift=0.3)
    torch.manual_seed(3)
    b1 = objectives.elbo(x, enc, lg.decoder, lg.prior, beta=1.0)
    torch.manual_seed(3)
    b4 = objectives.elbo(x, enc, lg.decoder, lg.prior, beta=4.0)
    kl = kl_divergence(enc(x), lg.prior)
    torch.testing.assert_close(b1 - b4, 3.0 * kl)


def test_l1_equals_elbo_in_expectation(lg, x):
    torch.manual_seed(0)
    enc = lg.mean_field_encoder(shift=0.4, scale=1.4)
    exact_elbo = lg.log_marginal(x) - kl_divergence(enc(x), lg.posterior(x))
    log_w = objectives.log_importance_weights(x, enc, lg.decoder, lg.prior, k=40_000)
    l1 = log_w  # each row is one draw of L_1 = log w
    se = l1.std(0) / math.sqrt(len(l1))
    assert ((l1.mean(0) - exact_elbo).abs() < 4 * se).all()
    l2 = torch.logsumexp(log_w.view(20_000, 2, -1), 1) - math.log(2)  # 20 000 draws of L_2
    assert ((l2.mean(0) - exact_elbo) > 4 * se).all()  # L_2 is already strictly above the ELBO


def test_iwae_gradient_is_the_normalized_weight_gradient():
    torch.manual_seed(0)
    enc, dec, prior = MLPEncoder(5, 2, (8,)), BernoulliDecoder(2, 5, (8,)), standard_normal_prior(2)
    x = torch.bernoulli(torch.full((3, 5), 0.5))
    params = [*enc.parameters(), *dec.parameters()]
    k = 6
    torch.manual_seed(42)
    bound = objectives.iwae_bound(x, enc, dec, prior, k=k).sum()
    grad = torch.autograd.grad(bound, params)
    torch.manual_seed(42)  # the same z
    log_w = objectives.log_importance_weights(x, enc, dec, prior, k=k)
    w_tilde = torch.softmax(log_w.detach(), 0)  # w_i / Σ_j w_j, from log-weights
    expected = [torch.zeros_like(p) for p in params]
    for i in range(k):
        for b in range(x.shape[0]):
            gi = torch.autograd.grad(log_w[i, b], params, retain_graph=True)
            for e, g in zip(expected, gi, strict=True):
                e += w_tilde[i, b] * g
    for g, e in zip(grad, expected, strict=True):
        torch.testing.assert_close(g, e, atol=1e-5, rtol=1e-4)
    # weighting by the wrong sign (the worst samples most) is a different gradient
    wrong = torch.autograd.grad((torch.softmax(-log_w.detach(), 0) * log_w).sum(), params)
    assert not all(torch.allclose(g, w, atol=1e-4) for g, w in zip(grad, wrong, strict=True))


def test_iwae_stays_finite_with_extreme_logits():
    class Extreme(torch.nn.Module):
        def forward(self, z):
            logits = 1e4 * torch.sign(z[..., :1]).expand(*z.shape[:-1], 4)
            return Independent(torch.distributions.Bernoulli(logits=logits, validate_args=False), 1)

    x = torch.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
    enc = lambda x: Independent(Normal(torch.zeros(len(x), 2), torch.ones(len(x), 2)), 1)  # noqa: E731
    torch.manual_seed(0)
    value = estimators.log_likelihood(x, enc, Extreme(), standard_normal_prior(2), k=5000)
    assert torch.isfinite(value).all()
    torch.testing.assert_close(value, torch.full((2,), math.log(0.5)), atol=0.05, rtol=0)
    assert torch.isfinite(
        objectives.iwae_bound(x, enc, Extreme(), standard_normal_prior(2), k=5000)
    ).all()


def test_fused_bernoulli_log_density_matches_torch_in_value_and_gradient():
    """iwae_bound's fast Bernoulli path equals torch's Bernoulli.log_prob on the same noise."""
    torch.manual_seed(0)
    enc, dec = MLPEncoder(784, 50, (200,)), BernoulliDecoder(50, 784, (200,))
    prior, params, k = standard_normal_prior(50), [*enc.parameters(), *dec.parameters()], 7
    for x in (torch.bernoulli(torch.full((4, 784), 0.2)), torch.rand(4, 784)):  # binary, grey
        torch.manual_seed(1)
        bound = objectives.iwae_bound(x, enc, dec, prior, k=k)
        torch.manual_seed(1)  # the same z
        q = enc(x)
        z = q.rsample((k,))
        log_w = dec(z).log_prob(x) + prior.log_prob(z) - q.log_prob(z)
        expected = torch.logsumexp(log_w, 0) - math.log(k)
        torch.testing.assert_close(bound, expected, atol=2e-4, rtol=1e-6)
        grads = torch.autograd.grad(bound.sum(), params)
        for g, e in zip(grads, torch.autograd.grad(expected.sum(), params), strict=True):
            torch.testing.assert_close(g, e, atol=1e-4 * e.abs().max(), rtol=1e-4)
    for batch, x_dim in [(2, 6), (2**17, 2)]:  # the second is summed a sample at a time
        logits = (5 * torch.randn(3, batch, x_dim)).requires_grad_()
        x = torch.rand(batch, x_dim, requires_grad=True)
        px_z = Independent(torch.distributions.Bernoulli(logits=logits, validate_args=False), 1)
        fused, plain = objectives._log_px_z(px_z, x), px_z.log_prob(x)
        torch.testing.assert_close(fused, plain)
        weights = torch.randn(3, batch)
        for g, e in zip(
            torch.autograd.grad((weights * fused).sum(), (logits, x)),
            torch.autograd.grad((weights * plain).sum(), (logits, x)),
            strict=True,
        ):
            torch.testing.assert_close(g, e)


# --- MMD -------------------------------------------------------------------------------------


def _rbf_expectation(delta2: float, var: float, h: float, d: int) -> float:
    """E exp(-|a-b|^2 / 2h^2) for a - b ~ N(delta, var I_d)."""
    return (h**2 / (h**2 + var)) ** (d / 2) * math.exp(-delta2 / (2 * (h**2 + var)))


def test_unbiased_mmd_of_one_distribution_averages_to_zero():
    g = torch.Generator().manual_seed(0)
    vals = torch.stack(
        [
            objectives.mmd(
                torch.randn(30, 2, generator=g), torch.randn(40, 2, generator=g), bandwidth=1.0
            )
            for _ in range(600)
        ]
    )
    assert abs(vals.mean()) < 3 * vals.std() / math.sqrt(len(vals))
    biased = torch.stack(
        [
            objectives.mmd(
                torch.randn(30, 2, generator=g),
                torch.randn(40, 2, generator=g),
                bandwidth=1.0,
                unbiased=False,
            )
            for _ in range(200)
        ]
    )
    assert biased.mean() > 10 * biased.std() / math.sqrt(
        len(biased)
    )  # the V-statistic is biased up


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
def test_mmd_grows_with_mean_shift(kernel):
    g = torch.Generator().manual_seed(1)
    x, y0 = torch.randn(300, 3, generator=g), torch.randn(300, 3, generator=g)
    values = [objectives.mmd(x, y0 + s, kernel=kernel).item() for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    assert all(a < b for a, b in zip(values, values[1:], strict=False))


def test_rbf_mmd_matches_closed_form_for_two_gaussians():
    d, h, s1, s2, shift = 2, 1.3, 1.0, 0.7, 0.8
    delta2 = d * shift**2
    exact = (
        _rbf_expectation(0, 2 * s1**2, h, d)
        + _rbf_expectation(0, 2 * s2**2, h, d)
        - 2 * _rbf_expectation(delta2, s1**2 + s2**2, h, d)
    )
    g = torch.Generator().manual_seed(2)
    vals = torch.stack(
        [
            objectives.mmd(
                s1 * torch.randn(50, d, generator=g),
                shift + s2 * torch.randn(60, d, generator=g),
                bandwidth=h,
            )
            for _ in range(400)
        ]
    )
    assert abs(vals.mean().item() - exact) < 4 * vals.std().item() / math.sqrt(len(vals))


def test_mmd_u_statistic_removes_only_within_set_diagonals():
    x, y = torch.tensor([[0.0], [1.0]]), torch.tensor([[0.0], [3.0]])
    k = lambda a, b: math.exp(-((a - b) ** 2) / 2)  # noqa: E731
    expected = k(0, 1) + k(0, 3) - 2 * (k(0, 0) + k(0, 3) + k(1, 0) + k(1, 3)) / 4
    assert objectives.mmd(x, y, bandwidth=1.0).item() == pytest.approx(expected, rel=1e-6)


# --- InfoVAE ---------------------------------------------------------------------------------


def test_infovae_special_cases(lg, x):
    enc = lg.mean_field_encoder(shift=0.3, scale=1.2)
    torch.manual_seed(5)
    info = objectives.infovae_objective(x, enc, lg.decoder, lg.prior, alpha=0.0, lam=1.0)
    torch.manual_seed(5)
    torch.testing.assert_close(info, objectives.elbo(x, enc, lg.decoder, lg.prior).mean())
    for alpha in (-2.0, 0.5):
        torch.manual_seed(6)
        info = objectives.infovae_objective(
            x, enc, lg.decoder, lg.prior, alpha=alpha, lam=1.0 - alpha
        )
        torch.manual_seed(6)
        beta_vae = objectives.elbo(x, enc, lg.decoder, lg.prior, beta=1.0 - alpha).mean()
        torch.testing.assert_close(info, beta_vae)
    # with alpha + lam - 1 > 0 the MMD of q(z) against p(z) is subtracted
    torch.manual_seed(7)
    info = objectives.infovae_objective(x, enc, lg.decoder, lg.prior, alpha=0.0, lam=11.0)
    torch.manual_seed(7)
    base = objectives.elbo(x, enc, lg.decoder, lg.prior).mean()
    assert info < base


# --- input validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda a: objectives.iwae_bound(*a, k=0), "k"),
        (lambda a: objectives.log_importance_weights(*a, k=-3), "k"),
        (lambda a: objectives.elbo(*a, beta=-0.1), "beta"),
        (lambda a: objectives.elbo(*a, samples=0), "samples"),
        (lambda a: objectives.infovae_objective(*a, lam=-1.0), "lam"),
        (lambda a: objectives.infovae_objective(*a, alpha=float("nan")), "alpha"),
        (lambda a: estimators.log_likelihood(*a, k=0), "k"),
        (lambda a: estimators.jackknife_log_likelihood(*a, k=1), "k"),
    ],
)
def test_bad_arguments_name_the_parameter(lg, x, call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call((x, lg.encoder, lg.decoder, lg.prior))


@settings(max_examples=30, deadline=None)
@given(
    st.sampled_from([float("nan"), float("inf"), -float("inf")]),
    st.integers(0, 15),
    st.integers(0, 5),
)
def test_non_finite_x_is_refused(bad, i, j):
    lg = LinearGaussian(6, 3, generator=torch.Generator().manual_seed(1))
    x = torch.zeros(16, 6)
    x[i, j] = bad
    with pytest.raises(ValueError, match=r"\bx\b"):
        objectives.elbo(x, lg.encoder, lg.decoder, lg.prior)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4))
def test_mismatched_shapes_are_refused(n, d1, d2):
    if d1 != d2:
        with pytest.raises(ValueError, match=r"\bx\b.*\by\b"):
            objectives.mmd(torch.zeros(n + 1, d1), torch.zeros(n + 1, d2))
    with pytest.raises(ValueError, match="mu and logvar"):
        objectives.gaussian_kl(torch.zeros(n, d1), torch.zeros(n, d1 + d2))
    with pytest.raises(ValueError, match=r"\bx\b"):
        objectives.elbo(torch.zeros(d1), None, None, None)
