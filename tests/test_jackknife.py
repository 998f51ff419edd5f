"""Jackknife variational inference (ch. 8): estimators against brute force, expansions against
exact sums.

- :func:`jvi` and :func:`leave_one_out` agree with the definition evaluated subset by subset in
  float64, stay accurate in float32 where the textbook form k·L̂_k − (k − 1)·L̄_{k−1} does not,
  and order 1 is the package's :func:`estimators.jackknife_log_likelihood`.
- The delta-method expansions are checked on a two-point weight, for which E L̂_k, Var L̂_k and
  the jackknife's moments are exact binomial sums: the errors must shrink one power of k faster
  than the last term kept.
- :func:`log_weight_moment` agrees with chapter 6's closed form and with Monte Carlo.
"""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.distributions import Independent, MultivariateNormal, Normal

from vae_lessons import estimators, importance
from vae_lessons import jackknife as jk
from vae_lessons.checks import mean_agrees
from vae_lessons.models import LinearGaussian
from vae_lessons.objectives import log_importance_weights


def brute_jvi(log_w: torch.Tensor, order: int) -> torch.Tensor:
    """Σ_j c_j · mean over subsets S of size j of log mean_{i∉S} w_i, float64, O(C(k, j)·k)."""
    log_w = log_w.double()
    k = log_w.shape[0]
    c = jk.jvi_coefficients(k, order)
    total = 0
    for j in range(order + 1):
        kept = [
            torch.logsumexp(log_w[[i for i in range(k) if i not in drop]], 0) - math.log(k - j)
            for drop in itertools.combinations(range(k), j)
        ]
        total = total + c[j] * torch.stack(kept).mean(0)
    return total


def dominated_log_w(k: int, seed: int = 0) -> torch.Tensor:
    """[k, 4] log-weights, columns 1–3 with one or two weights dominating the rest."""
    g = torch.Generator().manual_seed(seed)
    log_w = 3 * torch.randn(k, 4, generator=g, dtype=torch.float64)
    log_w[0, 1] += 40
    log_w[1, 2] += 30
    log_w[-1, 2] += 30
    log_w[:, 3] -= 500
    return log_w


@pytest.mark.parametrize(("k", "order"), [(2, 0), (2, 1), (3, 2), (6, 1), (9, 2), (7, 3)])
def test_jvi_matches_brute_force(k, order):
    log_w = dominated_log_w(k, seed=k)
    torch.testing.assert_close(jk.jvi(log_w, order), brute_jvi(log_w, order), rtol=0, atol=1e-10)
    assert jk.jvi(log_w, order).shape == (4,)


def test_leave_one_out_matches_brute_force():
    log_w = dominated_log_w(7)
    expected = torch.stack(
        [torch.logsumexp(torch.cat([log_w[:i], log_w[i + 1 :]]), 0) - math.log(6) for i in range(7)]
    )
    torch.testing.assert_close(jk.leave_one_out(log_w), expected, rtol=0, atol=1e-10)
    # the first-order jackknife is k L̂_k − (k − 1) mean_i L̂^{(−i)}
    first = 7 * jk.jvi(log_w, 0) - 6 * jk.leave_one_out(log_w).mean(0)
    torch.testing.assert_close(jk.jvi(log_w, 1), first, rtol=0, atol=1e-9)


def test_float32_is_accurate_where_the_textbook_form_is_not():
    g = torch.Generator().manual_seed(1)
    log_w = (torch.randn(500, 8, generator=g, dtype=torch.float64) - 500).float()
    exact = brute_jvi(log_w.double(), 1)
    assert (jk.jvi(log_w, 1).double() - exact).abs().max() < 1e-4
    textbook = 500 * jk.jvi(log_w, 0) - 499 * jk.leave_one_out(log_w).mean(0)
    assert (textbook.double() - exact).abs().max() > 1e-3


def test_order_one_is_the_package_estimator():
    model = LinearGaussian(4, 2, generator=torch.Generator().manual_seed(0)).double()
    encoder = model.mean_field_encoder(shift=0.3, scale=1.5)
    x = model.marginal().sample((5,)).detach()
    torch.manual_seed(3)
    package = estimators.jackknife_log_likelihood(x, encoder, model.decoder, model.prior, k=64)
    torch.manual_seed(3)
    with torch.no_grad():
        log_w = log_importance_weights(x, encoder, model.decoder, model.prior, k=64)
    torch.testing.assert_close(package, jk.jvi(log_w, 1), rtol=0, atol=1e-8)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_coefficients_cancel_the_first_powers_of_one_over_k(order):
    k = 10
    c = jk.jvi_coefficients(k, order)
    assert c.sum().item() == pytest.approx(1.0, abs=1e-12)
    for p in range(1, order + 1):
        moments = sum(c[j].item() / (k - j) ** p for j in range(order + 1))
        assert moments == pytest.approx(0.0, abs=1e-12)
    assert sum(c[j].item() / (k - j) ** (order + 1) for j in range(order + 1)) != pytest.approx(
        0.0, abs=1e-6
    )
    assert jk.jvi_coefficients(k, 1).tolist() == [10.0, -9.0]


# -- the expansions on a two-point weight: every moment is an exact binomial sum ----------------
A, B, PI = 3.0, 0.5, 0.2  # w = A with probability PI, else B; E w = 1
MOMENTS = jk.WeightMoments(
    torch.tensor(PI * (A - 1) ** 2 + (1 - PI) * (B - 1) ** 2, dtype=torch.float64),
    torch.tensor(PI * (A - 1) ** 3 + (1 - PI) * (B - 1) ** 3, dtype=torch.float64),
)


def exact_moments(k: int, order: int) -> tuple[float, float]:
    """E and Var of the jackknife of ``order`` (0: L̂_k) over the Binomial(k, PI) count of A's."""
    n = torch.arange(k + 1, dtype=torch.float64)
    log_prob = (
        (math.lgamma(k + 1.0) - torch.lgamma(n + 1) - torch.lgamma(k - n + 1))
        + n * math.log(PI)
        + (k - n) * math.log(1 - PI)
    )
    rows = (torch.arange(k, dtype=torch.float64)[:, None] < n).double()  # [k, k + 1]
    log_w = rows * math.log(A) + (1 - rows) * math.log(B)
    values = jk.jvi(log_w, order)
    prob = log_prob.exp()
    mean = (prob * values).sum()
    return mean.item(), (prob * (values - mean) ** 2).sum().item()


def error_ratio(fn, k: int) -> float:
    """error(k) / error(2k): about 2^p when the error is O(k^−p)."""
    return fn(k) / fn(2 * k)


def test_iwae_bias_expansion_is_exact_to_second_order():
    def error(k, terms):
        return abs(exact_moments(k, 0)[0] - jk.iwae_bias(k, MOMENTS, terms=terms).item())

    assert 3.4 < error_ratio(lambda k: error(k, 1), 200) < 4.6  # O(1/k²) left
    assert 7 < error_ratio(lambda k: error(k, 2), 200) < 9.2  # O(1/k³) left


def test_iwae_variance_expansion_is_exact_to_second_order():
    def error(k, terms):
        return abs(exact_moments(k, 0)[1] - jk.iwae_variance(k, MOMENTS, terms=terms).item())

    assert 3.4 < error_ratio(lambda k: error(k, 1), 200) < 4.6
    assert 7 < error_ratio(lambda k: error(k, 2), 200) < 9.2


def test_jvi_bias_and_variance_expansions():
    bias = exact_moments(200, 1)[0]
    assert 3.4 < exact_moments(100, 1)[0] / bias < 4.6  # O(1/k²)
    assert bias == pytest.approx(jk.jvi_bias(200, MOMENTS).item(), rel=0.05)

    def error(k):
        return abs(exact_moments(k, 1)[1] - jk.jvi_variance(k, MOMENTS).item())

    assert 7 < error_ratio(error, 200) < 9.2
    # order 2 removes the 1/k² term too
    assert 7 < exact_moments(100, 2)[0] / exact_moments(200, 2)[0] < 9.2


# -- closed-form weight moments ---------------------------------------------------------------
def test_second_moment_matches_chapter_6():
    def normal(m, s):
        full = torch.full((1, 1), 0.0, dtype=torch.float64)
        return Independent(Normal(full + m, full + s), 1)

    p = normal(0.0, 1.0)
    for m, s in [(0.5, 1.0), (1.0, 0.8), (-0.3, 2.0)]:
        q = normal(m, s)
        expected = importance.gaussian_weight_second_moment(m, s)
        assert jk.log_weight_moment(p, q, 2).exp().item() == pytest.approx(expected, rel=1e-10)
    assert jk.log_weight_moment(p, normal(0.0, 0.7), 2).item() == math.inf
    assert jk.log_weight_moment(p, p, 3).item() == pytest.approx(0.0, abs=1e-12)


def test_third_moment_matches_monte_carlo_in_two_dimensions():
    cov = torch.tensor([[1.0, 0.6], [0.6, 0.8]], dtype=torch.float64)
    p = MultivariateNormal(torch.tensor([[0.2, -0.1]], dtype=torch.float64), cov)
    q = Independent(Normal(torch.tensor([[0.4, 0.0]]).double(), torch.tensor([[1.6, 1.5]])), 1)
    torch.manual_seed(0)
    z = q.sample((200_000,))
    w3 = (3 * (p.log_prob(z) - q.log_prob(z))).exp()[:, 0]
    assert mean_agrees(w3, jk.log_weight_moment(p, q, 3).exp().item())
    m = jk.gaussian_weight_moments(p, q)
    w = (p.log_prob(z) - q.log_prob(z)).exp()[:, 0]
    assert mean_agrees((w - 1) ** 2, m.m2.item()) and mean_agrees((w - 1) ** 3, m.m3.item())


def test_power_law_slope_recovers_a_power_law():
    k = torch.tensor([4.0, 8.0, 16.0, 32.0])
    slope, se = jk.power_law_slope(k, 0.3 * k**-2, 0.01 * k**-2)
    assert slope == pytest.approx(-2.0, abs=1e-10)
    spread = (k.log() - k.log().mean()).pow(2).sum().sqrt().item()
    assert se == pytest.approx(0.01 / 0.3 / spread, rel=1e-6)


def test_inputs_are_validated():
    with pytest.raises(ValueError, match="log_w"):
        jk.jvi(torch.zeros(5))
    with pytest.raises(ValueError, match="order"):
        jk.jvi(torch.zeros(3, 2), order=3)
    with pytest.raises(ValueError, match="k must"):
        jk.leave_one_out(torch.zeros(1, 2))
    with pytest.raises(ValueError, match="k must"):
        jk.jvi_bias(1, MOMENTS)
    with pytest.raises(ValueError, match="terms"):
        jk.iwae_bias(4, MOMENTS, terms=3)
    with pytest.raises(ValueError, match="moments"):
        jk.iwae_variance(4, (1.0, 2.0))
    with pytest.raises(ValueError, match="same length"):
        jk.power_law_slope([1, 2], [1, 2], [1, 1])
