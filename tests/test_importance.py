"""vae_lessons.importance (ch. 6): estimators, the Gaussian closed form, PSIS and its k̂.

Numbers, not shapes: the plain estimator is unbiased and the self-normalised one has the O(1/K)
bias −E_q[w²(f − μ)]/K (within standard errors); E_q[w²] for N(0, 1) against N(m, s²) agrees with
quadrature and with sampling; k̂ recovers known tail indices (generalized Pareto draws, Student-t
ratios); PSIS agrees with ArviZ (``arviz_stats``, the reference implementation, test-only); and
plausible wrong implementations (k̂ fitted to all weights, an unnormalised "self-normalised"
estimator, the inverted ESS) fail these checks.
"""

import math

import numpy as np
import pytest
import torch
from torch.distributions import Normal, StudentT

from vae_lessons import checks, estimators, importance


def gaussian_log_w(mean, scale, shape, seed=0):
    """z ~ N(mean, scale²) and log w = log N(z; 0, 1) − log N(z; mean, scale²), float64."""
    g = torch.Generator().manual_seed(seed)
    z = mean + scale * torch.randn(shape, generator=g, dtype=torch.float64)
    p, q = (Normal(*torch.tensor(ms, dtype=torch.float64)) for ms in ((0.0, 1.0), (mean, scale)))
    return z, p.log_prob(z) - q.log_prob(z)


def gpd_draws(xi, shape, seed=0):
    """Generalized Pareto draws (shape ξ, scale 1) by inversion: ((1 − u)^(−ξ) − 1)/ξ."""
    u = torch.rand(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return torch.expm1(-xi * torch.log1p(-u)) / xi


def t_ratio_log_w(nu_p, nu_q, shape, seed=0):
    """Target Student-t ν_p, proposal Student-t ν_q > ν_p: weights with tail index 1 − ν_p/ν_q."""
    torch.manual_seed(seed)
    z = StudentT(float(nu_q)).sample(shape).double()
    return StudentT(float(nu_p)).log_prob(z) - StudentT(float(nu_q)).log_prob(z)


# -- PSIS against the reference implementation -------------------------------------------------
@pytest.mark.parametrize("k", [25, 100, 226, 4000])
@pytest.mark.parametrize("spread", [0.5, 3.0])
def test_psis_matches_arviz(k, spread):
    g = torch.Generator().manual_seed(k)
    log_w = spread * torch.randn(k, 4, generator=g, dtype=torch.float64) + 7.0
    smoothed, k_hat = importance.psis(log_w)
    arviz_array_stats = pytest.importorskip("arviz_stats.base").array_stats  # test-only dependency
    # arviz_stats' psislw takes minus the log-weights (its PSIS-LOO convention: log-likelihoods)
    ref_log_w, ref_k = arviz_array_stats.psislw(-log_w.T.numpy(), axis=-1)
    np.testing.assert_allclose(k_hat.numpy(), ref_k, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(smoothed.T.numpy(), ref_log_w, rtol=1e-10, atol=1e-10)
    assert torch.allclose(torch.logsumexp(smoothed, 0), torch.zeros(4, dtype=torch.float64))


def test_psis_of_one_column_equals_the_batched_column():
    _, log_w = gaussian_log_w(0.3, 0.6, (500, 3))
    one = importance.psis(log_w[:, 1])
    assert one.k_hat.dim() == 0 and one.log_w.shape == (500,)
    batch = importance.psis(log_w)
    assert torch.equal(one.log_w, batch.log_w[:, 1]) and float(one.k_hat) == batch.k_hat[1]


def test_tail_size_and_threshold():
    # M = ⌊min(K/5, 3√K)⌋: K/5 up to K = 225, 3√K beyond
    assert [importance.tail_size(k) for k in (25, 100, 225, 226, 1000, 10_000)] == [
        5,
        20,
        45,
        45,
        94,
        300,
    ]
    assert importance.pareto_k_threshold(1000) == pytest.approx(2 / 3)
    assert importance.pareto_k_threshold(100_000) == 0.7


# -- k̂ recovers known tail indices ---------------------------------------------------------------
@pytest.mark.parametrize("xi", [0.2, 0.5, 0.8])
def test_k_hat_of_generalized_pareto_weights(xi):
    """GPD weights: every tail is GPD(ξ); mean k̂ = (Mξ + 10·0.5)/(M + 10) within 3 SE."""
    k, repeats = 4000, 60
    w = gpd_draws(xi, (k, repeats), seed=int(10 * xi))
    k_hat = importance.psis(w.log()).k_hat
    m = importance.tail_size(k)
    assert checks.mean_agrees(k_hat, (m * xi + 5) / (m + 10))


@pytest.mark.parametrize(("nu_p", "nu_q"), [(3, 6), (4, 5), (2, 10)])
def test_k_hat_of_student_t_ratios_within_its_sampling_error(nu_p, nu_q):
    """The body of these weights is not GPD, only the tail: one k̂ within 3 of its std of ξ."""
    k_hat = importance.psis(t_ratio_log_w(nu_p, nu_q, (10_000, 30))).k_hat
    assert checks.agree(k_hat.mean(), 1 - nu_p / nu_q, k_hat.std())


def test_k_hat_fitted_to_all_weights_is_wrong(monkeypatch):
    """A plausible mistake: the GPD fitted to every weight instead of the M largest."""
    monkeypatch.setattr(importance, "tail_size", lambda k: k - 1)
    k_hat = importance.psis(t_ratio_log_w(3, 6, (10_000, 30))).k_hat
    assert not checks.agree(k_hat.mean(), 0.5, k_hat.std())


def test_k_hat_flags_the_narrow_gaussian_proposal():
    """N(0, 1) against N(0, s²): tail index 1 − s²; s = 0.3 has k̂ > 0.7, s = 0.9 has k̂ < 0.5."""
    narrow = importance.psis(gaussian_log_w(0.0, 0.3, (10_000, 20))[1]).k_hat
    wide = importance.psis(gaussian_log_w(0.0, 0.9, (10_000, 20), seed=1)[1]).k_hat
    assert narrow.median() > 0.7 and wide.median() < 0.5
    assert wide.max() < narrow.min()


def test_gpd_fit_is_scale_invariant_in_shape():
    x = gpd_draws(0.4, (2000,)).sort().values
    k1, s1 = importance.gpd_fit(x)
    k2, s2 = importance.gpd_fit(7.0 * x)
    assert k1 == pytest.approx(k2, rel=1e-9) and s2 == pytest.approx(7.0 * s1, rel=1e-9)


# -- the Gaussian closed form ------------------------------------------------------------------
@pytest.mark.parametrize(("m", "s"), [(0.0, 0.8), (1.0, 1.0), (0.5, 2.0), (-1.5, 1.3)])
def test_gaussian_second_moment_against_quadrature(m, s):
    z = torch.linspace(-40, 40, 400_001, dtype=torch.float64)
    integrand = (2 * Normal(0.0, 1.0).log_prob(z) - Normal(m, s).log_prob(z)).exp()  # p²/q
    assert torch.trapezoid(integrand, z).item() == pytest.approx(
        importance.gaussian_weight_second_moment(m, s), rel=1e-6
    )


def test_gaussian_second_moment_against_sampling_and_ess():
    """E_q[w²] by sampling (finite 4th moment: s² > 3/4), and ESS/K -> 1/E_q[w²]."""
    m, s = 0.5, 1.2
    exact = importance.gaussian_weight_second_moment(m, s)
    _, log_w = gaussian_log_w(m, s, (1000, 400))
    assert checks.mean_agrees((2 * log_w).exp().flatten(), exact)
    ess_fraction = estimators.effective_sample_size(log_w) / 1000
    assert checks.mean_agrees(ess_fraction, 1 / exact, n_se=4)  # O(1/K) bias ≪ 1 SE here
    inverted = (torch.logsumexp(2 * log_w, 0) - 2 * torch.logsumexp(log_w, 0)).exp()
    assert not checks.mean_agrees(inverted, 1 / exact)  # the mistake (Σw²)/(Σw)² fails


def test_gaussian_second_moment_is_infinite_for_a_narrow_proposal():
    assert importance.gaussian_weight_second_moment(0.0, 1.0) == 1.0
    assert importance.gaussian_weight_second_moment(0.3, math.sqrt(0.5)) == math.inf
    assert importance.gaussian_weight_second_moment(0.0, 0.5) == math.inf
    assert importance.gaussian_weight_second_moment(0.0, 0.7072) < math.inf


# -- the two estimators --------------------------------------------------------------------------
def test_plain_estimate_is_unbiased_and_self_normalised_has_its_1_over_k_bias():
    """f(z) = z, μ = 0: SNIS bias −E_q[w²(f − μ)]/K = E_q[w²] m/((2s² − 1) K)."""
    m, s, k, repeats = 0.5, 1.0, 16, 40_000
    z, log_w = gaussian_log_w(m, s, (k, repeats), seed=3)
    plain = importance.plain_estimate(log_w, z)
    assert checks.mean_agrees(plain, 0.0)
    snis = importance.self_normalised_estimate(log_w, z)
    bias = importance.gaussian_weight_second_moment(m, s) * m / ((2 * s**2 - 1) * k)
    assert checks.mean_agrees(snis, bias)
    assert not checks.mean_agrees(snis, 0.0)
    # an unknown constant in log w cancels (a posterior known up to p(x))
    shifted = importance.self_normalised_estimate(log_w - 123.0, z)
    assert torch.allclose(shifted, snis, atol=1e-12)
    unnormalised = ((log_w - 123.0).exp() * z).mean(0)  # the mistake: no division by Σ w
    assert not torch.allclose(unnormalised, snis, atol=1e-3)


def test_zero_variance_proposal():
    """f(z) = e^{az}: q* ∝ p f = N(a, 1) makes every w f equal to E_p[f] = e^{a²/2}."""
    a = 1.3
    z, log_w = gaussian_log_w(a, 1.0, (50, 3))
    values = (log_w + a * z).exp()
    assert torch.allclose(values, torch.full_like(values, math.exp(a**2 / 2)), rtol=1e-12)


# -- input validation ----------------------------------------------------------------------------
def test_inputs_are_validated():
    with pytest.raises(ValueError, match="log_w"):
        importance.psis(torch.tensor([0.0, float("nan")] * 20))
    with pytest.raises(ValueError, match="log_w"):
        importance.psis(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="k must be"):
        importance.psis(torch.randn(20))
    with pytest.raises(ValueError, match="log_w"):
        importance.psis(torch.zeros(100))  # equal weights: no tail
    with pytest.raises(ValueError, match="f must"):
        importance.plain_estimate(torch.zeros(5, 2), torch.zeros(5))
    with pytest.raises(ValueError, match="scale"):
        importance.gaussian_weight_second_moment(0.0, 0.0)
    with pytest.raises(ValueError, match="mean"):
        importance.gaussian_weight_second_moment(float("inf"), 1.0)
    with pytest.raises(ValueError, match="x must"):
        importance.gpd_fit(torch.tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="k must"):
        importance.pareto_k_threshold(1)
