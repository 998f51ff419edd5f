"""vae_lessons.mmd (ch. 10): Gaussian closed forms, the permutation test, its level and power.

Numbers, not shapes: the closed form E k(a, b) agrees with quadrature and with sampling, the
U-statistic of :func:`vae_lessons.objectives.mmd` averages to the closed-form MMD² and the
V-statistic to MMD² plus :func:`~vae_lessons.mmd.gaussian_v_bias` (within standard errors); the
permutation test's statistic is exactly ``objectives.mmd`` and its bandwidth its median
heuristic; its level is α within the binomial standard error and its power grows with n; and
plausible wrong implementations (the exponent d in place of d/2, a kernel with h in place of h²,
permutations that never mix x and y) fail these checks.
"""

import math

import pytest
import torch
from torch.distributions import Independent, Normal

from vae_lessons import checks, mmd, objectives


def gaussian(mean, scale):
    mean = torch.as_tensor(mean, dtype=torch.float64)
    return Independent(Normal(mean, torch.full_like(mean, scale)), 1)


def test_rbf_mean_agrees_with_quadrature_in_one_dimension():
    h, (m_a, s_a), (m_b, s_b) = 0.7, (0.3, 0.8), (-1.1, 1.3)
    u = torch.linspace(-15, 15, 30001, dtype=torch.float64)  # u = a − b ~ N(m_a − m_b, s_a² + s_b²)
    density = (
        Normal(torch.tensor(m_a - m_b, dtype=torch.float64), math.hypot(s_a, s_b)).log_prob(u).exp()
    )
    quad = torch.trapezoid(density * torch.exp(-(u**2) / (2 * h**2)), u).item()
    assert mmd.gaussian_rbf_mean([m_a], s_a, [m_b], s_b, bandwidth=h) == pytest.approx(quad, 1e-9)


def test_rbf_mean_agrees_with_sampling_in_three_dimensions():
    h, mean_a, mean_b = 1.3, [0.5, 0.0, -0.2], [0.0, 1.0, 0.4]
    g = torch.Generator().manual_seed(0)
    a = torch.tensor(mean_a) + 0.9 * torch.randn(200_000, 3, generator=g)
    b = torch.tensor(mean_b) + 0.6 * torch.randn(200_000, 3, generator=g)
    k = torch.exp(-(a - b).pow(2).sum(1) / (2 * h**2))
    exact = mmd.gaussian_rbf_mean(mean_a, 0.9, mean_b, 0.6, bandwidth=h)
    assert checks.mean_agrees(k, exact)
    # the exponent d instead of d/2 (a plausible slip) is many standard errors off
    v = h**2 + 0.9**2 + 0.6**2
    delta2 = sum((a - b) ** 2 for a, b in zip(mean_a, mean_b, strict=True))
    wrong = (h**2 / v) ** 3 * math.exp(-delta2 / (2 * v))
    assert not checks.mean_agrees(k, wrong)


@pytest.mark.parametrize("kernel_bandwidth", [0.6, 2.5])
def test_u_statistic_averages_to_closed_form_and_v_statistic_has_the_stated_bias(kernel_bandwidth):
    h, n, m, d = kernel_bandwidth, 20, 30, 2
    mean_x, mean_y, s_x, s_y = [0.0, 0.0], [0.5, 0.0], 1.0, 0.7
    torch.manual_seed(1)
    x = gaussian(mean_x, s_x).sample((3000, n)).float()
    y = gaussian(mean_y, s_y).sample((3000, m)).float()
    u = torch.stack([objectives.mmd(a, b, bandwidth=h) for a, b in zip(x, y, strict=True)])
    v = torch.stack(
        [objectives.mmd(a, b, bandwidth=h, unbiased=False) for a, b in zip(x, y, strict=True)]
    )
    exact = mmd.gaussian_mmd2(mean_x, s_x, mean_y, s_y, bandwidth=h)
    bias = mmd.gaussian_v_bias(mean_x, s_x, mean_y, s_y, bandwidth=h, n=n, m=m)
    assert d == x.shape[-1] and bias > 0
    assert checks.mean_agrees(u, exact)
    assert checks.mean_agrees(v, exact + bias)
    assert not checks.mean_agrees(v, exact)
    # a kernel with h in place of h² estimates another number
    assert not checks.mean_agrees(u, mmd.gaussian_mmd2(mean_x, s_x, mean_y, s_y, bandwidth=h**0.5))


def test_closed_form_mmd_is_zero_only_for_equal_gaussians():
    assert mmd.gaussian_mmd2([0.0, 1.0], 1.2, [0.0, 1.0], 1.2, bandwidth=0.8) == pytest.approx(
        0.0, abs=1e-15
    )
    shifts = [mmd.gaussian_mmd2([0.0], 1.0, [s], 1.0, bandwidth=1.0) for s in (0.1, 0.5, 1, 2)]
    assert all(0 < a < b for a, b in zip(shifts, shifts[1:], strict=False))
    assert mmd.gaussian_mmd2([0.0], 1.0, [0.0], 2.0, bandwidth=1.0) > 0


@pytest.mark.parametrize("kernel", ["rbf", "imq"])
@pytest.mark.parametrize("unbiased", [True, False])
def test_permutation_statistic_is_objectives_mmd_and_bandwidth_its_default(kernel, unbiased):
    g = torch.Generator().manual_seed(2)
    x, y = torch.randn(3, 15, 2, generator=g), 0.5 + torch.randn(3, 25, 2, generator=g)
    result = mmd.permutation_test(x, y, kernel=kernel, unbiased=unbiased, permutations=9)
    for i in range(3):
        expected = objectives.mmd(x[i], y[i], kernel=kernel, unbiased=unbiased)
        torch.testing.assert_close(result.statistic[i], expected, rtol=1e-5, atol=1e-6)
        if kernel == "rbf":
            torch.testing.assert_close(
                objectives.mmd(x[i], y[i], bandwidth=result.bandwidth[i].item()),
                objectives.mmd(x[i], y[i]),
            )
    assert result.null.shape == (3, 9) and result.p_value.shape == (3,)
    assert ((result.p_value >= 0.1) & (result.p_value <= 1)).all()


def test_each_permuted_split_is_the_statistic_of_some_split():
    """Every null value equals objectives.mmd of a re-split of the pool into n and m points."""
    g = torch.Generator().manual_seed(3)
    x, y = torch.randn(4, 1, generator=g), torch.randn(3, 1, generator=g)
    pooled = torch.cat([x, y])
    torch.manual_seed(0)
    result = mmd.permutation_test(x, y, permutations=30, bandwidth=0.9)
    import itertools

    splits = []
    for idx in itertools.combinations(range(7), 4):
        rest = [i for i in range(7) if i not in idx]
        splits.append(objectives.mmd(pooled[list(idx)], pooled[rest], bandwidth=0.9).item())
    splits = torch.tensor(splits)
    assert all((splits - v).abs().min() < 1e-5 for v in result.null)
    assert len({round(v, 5) for v in result.null.tolist()}) > 5  # the pool is really re-split


def test_level_is_alpha_and_power_grows_with_n():
    torch.manual_seed(4)
    p, q = gaussian([0.0, 0.0], 1.0), gaussian([0.6, 0.0], 1.0)
    alpha, tests = 0.05, 2000
    level = mmd.rejection_rate(p, p, 12, tests=tests, alpha=alpha, permutations=19)
    assert checks.agree(level.rate, alpha, math.sqrt(alpha * (1 - alpha) / tests))
    powers = [mmd.rejection_rate(p, q, n, tests=300, permutations=19) for n in (10, 30, 90)]
    assert powers[0].rate > alpha and powers[-1].rate > 0.8
    assert all(
        b.rate - a.rate > 3 * math.hypot(a.standard_error, b.standard_error)
        for a, b in zip(powers, powers[1:], strict=False)
    )


def test_permutations_that_never_mix_the_samples_would_never_reject():
    """A plausible slip, shuffling x and y each within itself, leaves MMD² unchanged: p = 1."""
    torch.manual_seed(5)
    x, y = torch.randn(20, 1), 3.0 + torch.randn(20, 1)
    assert mmd.permutation_test(x, y, permutations=99).p_value.item() == pytest.approx(0.01)
    same = objectives.mmd(x[torch.randperm(20)], y[torch.randperm(20)])
    assert same.item() == pytest.approx(objectives.mmd(x, y).item(), rel=1e-5)


def test_inputs_are_validated_with_the_parameter_named():
    x, y = torch.zeros(5, 2), torch.ones(6, 2)
    with pytest.raises(ValueError, match="kernel"):
        mmd.permutation_test(x, y, kernel="gauss")
    with pytest.raises(ValueError, match="permutations"):
        mmd.permutation_test(x, y, permutations=0)
    with pytest.raises(ValueError, match="x and y"):
        mmd.permutation_test(x, torch.ones(6, 3))
    with pytest.raises(ValueError, match="at least 2"):
        mmd.permutation_test(x[:1], y)
    with pytest.raises(ValueError, match="bandwidth"):
        mmd.kernel_matrix(x, y, bandwidth=0.0)
    with pytest.raises(ValueError, match="bandwidth"):
        mmd.gaussian_mmd2([0.0], 1.0, [0.0], 1.0, bandwidth=-1.0)
    with pytest.raises(ValueError, match="scale_a"):
        mmd.gaussian_rbf_mean([0.0], 0.0, [0.0], 1.0, bandwidth=1.0)
    with pytest.raises(ValueError, match="mean_a and mean_b"):
        mmd.gaussian_rbf_mean([0.0], 1.0, [0.0, 1.0], 1.0, bandwidth=1.0)
    with pytest.raises(ValueError, match="alpha"):
        mmd.rejection_rate(gaussian([0.0], 1.0), gaussian([0.0], 1.0), 5, tests=2, alpha=5)
    with pytest.raises(ValueError, match=r"\bn\b"):
        mmd.gaussian_v_bias([0.0], 1.0, [0.0], 1.0, bandwidth=1.0, n=0, m=3)
