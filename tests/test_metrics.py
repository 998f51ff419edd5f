"""Ch. 5 diagnostics and their exact answers: the rate split into I_q(x; z) + KL(q(z) ‖ p(z)),
total correlation, MIG, the sprites data set, and the per-data-point q of ch. 4."""

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import mutual_info_score
from torch.distributions import Independent, MultivariateNormal, Normal, kl_divergence

from vae_lessons import metrics
from vae_lessons.estimators import fit_local_posterior
from vae_lessons.models import LinearGaussian
from vae_lessons.toy import SPRITE_FACTORS, DiscreteModel, sprites


class LinearEncoder(torch.nn.Module):
    """q(z|x) = N(a ⊙ x, diag s²): with x ~ N(0, I), I(x; z) = Σ_d ½ log(1 + a_d²/s_d²)."""

    def __init__(self, a, s):
        super().__init__()
        self.a, self.s = torch.tensor(a), torch.tensor(s)

    def forward(self, x):
        mu = self.a * x
        return Independent(Normal(mu, self.s.expand_as(mu)), 1)


def within(result, target, bias_bound):
    """The estimate agrees with a target it may undershoot by at most ``bias_bound``."""
    mi, se = result["mutual_information"], result["mutual_information_se"]
    return target - bias_bound - 3 * se <= mi <= target + 3 * se


# --- DiscreteModel: exact rate and mutual information ---------------------------------------


def test_discrete_model_rate_is_mutual_information_plus_kl_to_the_prior():
    m = DiscreteModel.random(n_z=3, n_x=5, seed=0)
    assert round(m.rate().item(), 3) == 1.420
    assert round(m.mutual_information().item(), 3) == 0.255
    for seed in range(5):
        m = DiscreteModel.random(4, 6, seed=seed)
        rate, mi = m.rate(), m.mutual_information()
        assert abs(rate - (mi + m.decompositions()["kl_prior"])) < 1e-12
        # I = H(q(z)) − E_{p_D} H(q(z|x)), computed another way
        q_xz = (m.log_pD.unsqueeze(-1) + m.log_qz_x).exp()
        qz = q_xz.sum(0)
        h_z = -(qz * qz.log()).sum()
        h_z_x = -(q_xz * m.log_qz_x).sum()
        assert abs(mi - (h_z - h_z_x)) < 1e-12
        assert 0 < mi < min(-(m.log_pD.exp() * m.log_pD).sum(), math.log(4))


# --- rate_decomposition ---------------------------------------------------------------------


def test_rate_decomposition_recovers_the_mutual_information_of_a_linear_gaussian_encoder():
    a, s = [1.0, 0.5], [0.5, 1.0]
    n = 2000
    x = torch.randn(n, 2, generator=torch.Generator().manual_seed(1))
    encoder = LinearEncoder(a, s)
    result = metrics.rate_decomposition(encoder, x, seed=0)
    info = sum(0.5 * math.log(1 + ai**2 / si**2) for ai, si in zip(a, s, strict=True))
    # E[estimate] ≤ I, and I − E[estimate] = E KL(q_N(z) ‖ q(z)) ≤ E χ² = (e^{2I} − 1)/N
    bias_bound = (math.exp(2 * info) - 1) / n
    assert within(result, info, bias_bound)
    assert result["mutual_information_se"] < 0.03
    # a plausible mistake, log q(z_n) without its − log N, is caught
    wrong = {**result, "mutual_information": result["mutual_information"] + math.log(n)}
    assert not within(wrong, info, bias_bound)
    rate = metrics.kl_per_dimension(encoder, x).sum().item()  # closed form
    assert abs(result["rate"] - rate) < 1e-6
    assert result["kl_aggregate"] == result["rate"] - result["mutual_information"]
    assert result["mutual_information"] <= math.log(n)

    # the seed fixes the draws; another seed moves the estimate by about a standard error
    assert metrics.rate_decomposition(encoder, x, seed=0) == result
    other = metrics.rate_decomposition(encoder, x, batch=300, seed=1)
    assert other["rate"] == pytest.approx(result["rate"], abs=1e-9)
    assert abs(other["mutual_information"] - result["mutual_information"]) < 5 * 0.03


def test_rate_decomposition_of_the_exact_posterior_has_an_aggregate_equal_to_the_prior():
    lg = LinearGaussian(3, 2, sigma=1.0, generator=torch.Generator().manual_seed(0))
    n = 2000
    with torch.no_grad():
        torch.manual_seed(0)
        x = lg.marginal().sample((n,))
        result = metrics.rate_decomposition(lg.encoder, x, lg.prior, seed=0)
        info = 0.5 * torch.logdet(torch.eye(2) + lg.W.T @ lg.W / lg.log_sigma.exp() ** 2).item()
    assert within(result, info, (math.exp(2 * info) - 1) / n)
    # q(z) = p(z) for the exact posterior: the rate is all mutual information
    bias_bound = (math.exp(2 * info) - 1) / n
    assert abs(result["kl_aggregate"]) < bias_bound + 3 * result["mutual_information_se"]


def test_the_diagonal_fast_path_agrees_with_log_prob():
    def diagonal(x):  # σ depends on x, so every component has its own normaliser
        return Independent(Normal(x, torch.exp(0.5 * x)), 1)

    def full(x):
        return MultivariateNormal(x, scale_tril=torch.diag_embed(torch.exp(0.5 * x)))

    x = torch.randn(300, 3, generator=torch.Generator().manual_seed(0))
    fast, slow = metrics.rate_decomposition(diagonal, x), metrics.rate_decomposition(full, x)
    for key in fast:
        assert fast[key] == pytest.approx(slow[key], abs=1e-5), key


def test_an_encoder_that_ignores_x_has_no_mutual_information():
    class Constant(torch.nn.Module):
        def forward(self, x):
            mu = torch.full((len(x), 3), 0.7)
            return Independent(Normal(mu, torch.full_like(mu, 0.4)), 1)

    x = torch.randn(500, 4)
    result = metrics.rate_decomposition(Constant(), x)
    assert abs(result["mutual_information"]) < 1e-6
    kl = 3 * kl_divergence(Normal(0.7, 0.4), Normal(0.0, 1.0)).item()
    assert result["rate"] == pytest.approx(kl, rel=1e-6)
    assert result["kl_aggregate"] == pytest.approx(kl, rel=1e-5)


def test_rate_decomposition_rejects_bad_input():
    encoder = LinearEncoder([1.0], [1.0])
    with pytest.raises(ValueError, match="x"):
        metrics.rate_decomposition(encoder, torch.randn(10))
    with pytest.raises(ValueError, match="batch"):
        metrics.rate_decomposition(encoder, torch.randn(10, 1), batch=0)
    with pytest.raises(ValueError, match="seed"):
        metrics.rate_decomposition(encoder, torch.randn(10, 1), seed=-1)
    with pytest.raises(ValueError, match="prior"):
        metrics.rate_decomposition(encoder, torch.randn(10, 1), Normal(0.0, 1.0))


# --- total correlation, encoder means, active units -----------------------------------------


def test_gaussian_total_correlation_is_the_kl_to_the_diagonal_gaussian():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(4, 4, generator=g, dtype=torch.float64)
    cov = a @ a.T + 0.5 * torch.eye(4, dtype=torch.float64)
    zeros = torch.zeros(4, dtype=torch.float64)
    kl = kl_divergence(
        MultivariateNormal(zeros, cov), MultivariateNormal(zeros, torch.diag(cov.diagonal()))
    )
    tc = metrics.gaussian_total_correlation(cov)
    assert tc.dtype == torch.float64 and abs(tc - kl) < 1e-10
    scaled = torch.diag(torch.tensor([1.0, 10.0, 0.1, 3.0], dtype=torch.float64))
    assert abs(metrics.gaussian_total_correlation(scaled @ cov @ scaled) - kl) < 1e-10
    assert (
        abs(metrics.gaussian_total_correlation(torch.diag(torch.tensor([0.1, 2.0, 30.0])))) < 1e-15
    )
    for bad, match in (
        (torch.ones(2, 3), "square"),
        (torch.tensor([[1.0, 0.5], [0.0, 1.0]]), "symmetric"),
        (torch.tensor([[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
    ):
        with pytest.raises(ValueError, match=match):
            metrics.gaussian_total_correlation(bad)


def test_encoder_mean_cov_and_active_mask():
    mix = torch.tensor([[1.0, 0.5, 0.0], [0.0, 1.0, 0.0]])  # z_2 does not move with x

    class Mixing(torch.nn.Module):
        def forward(self, x):
            mu = x @ mix
            return Independent(Normal(mu, torch.ones_like(mu)), 1)

    x = torch.randn(400, 2, generator=torch.Generator().manual_seed(0))
    cov = metrics.encoder_mean_cov(Mixing(), x, batch=64)
    expected = mix.double().T @ torch.cov(x.double().T) @ mix.double()
    torch.testing.assert_close(cov, expected, atol=1e-6, rtol=0)
    assert metrics.active_mask(Mixing(), x).tolist() == [True, True, False]
    assert metrics.active_units(Mixing(), x) == 2
    with pytest.raises(ValueError, match="threshold"):
        metrics.active_mask(Mixing(), x, -1.0)


# --- MIG ------------------------------------------------------------------------------------


def reference_mig(codes, factors, bins):
    """disentanglement_lib's recipe with NumPy and scikit-learn, written independently."""
    codes, factors = codes.numpy(), factors.numpy()
    binned = [np.digitize(c, np.histogram(c, bins)[1][:-1]) for c in codes.T]
    gaps = []
    for v in factors.T:
        info = sorted((mutual_info_score(v, c) for c in binned), reverse=True)
        gaps.append((info[0] - info[1]) / mutual_info_score(v, v))
    return np.mean(gaps), np.array(gaps)


def test_mig_is_one_when_each_factor_has_its_own_code():
    # factors with 2, 4, 8 values and a hidden nuisance with 10 values, every combination twice.
    # K − 1 is coprime to the 20 bins, so no bin edge falls on a value ± the tiny noise: each
    # code's bins are a function of its factor, the nuisance codes are exactly independent of
    # the factors, and every gap is exactly 1
    grid = torch.cartesian_prod(*(torch.arange(k) for k in (2, 4, 8, 10))).repeat(2, 1)
    g = torch.Generator().manual_seed(0)
    nuisance = grid[:, 3:].double()
    codes = torch.cat([grid[:, :3].double(), nuisance, 0.3 * nuisance], 1)
    codes = codes + 1e-3 * torch.randn(codes.shape, generator=g, dtype=torch.float64)
    value, gaps = metrics.mig(codes, grid[:, :3])
    assert abs(value - 1) < 1e-12 and gaps.shape == (3,)
    # with random noise codes the gap is 1 − max_j I(noise_j; v_k)/H(v_k) in the binned estimate
    noisy = torch.cat(
        [codes[:, :3], torch.randn(len(grid), 2, generator=g, dtype=torch.float64)], 1
    )
    value, gaps = metrics.mig(noisy, grid[:, :3], bins=10)
    expected, expected_gaps = reference_mig(noisy, grid[:, :3], 10)
    assert abs(value - expected) < 1e-12 and np.abs(gaps.numpy() - expected_gaps).max() < 1e-12
    assert 0.9 < value < 1


def test_mig_matches_the_reference_recipe_on_random_codes():
    g = torch.Generator().manual_seed(1)
    factors = torch.randint(0, 4, (3000, 3), generator=g)
    codes = factors[:, [0, 0, 1]].float() + torch.randn(3000, 3, generator=g)
    codes = torch.cat([codes, torch.randn(3000, 2, generator=g)], 1)
    value, gaps = metrics.mig(codes, factors)
    expected, expected_gaps = reference_mig(codes.double(), factors, 20)
    assert abs(value - expected) < 1e-9 and np.abs(gaps.numpy() - expected_gaps).max() < 1e-9


def test_mig_is_near_zero_for_codes_independent_of_the_factors():
    n, bins = 5000, 20
    g = torch.Generator().manual_seed(2)
    factors = torch.randint(0, 5, (n, 2), generator=g)
    codes = torch.randn(n, 4, generator=g)
    value, _ = metrics.mig(codes, factors, bins=bins)
    # each binned I(z_j; v_k) is biased upward by about (bins − 1)(K − 1)/(2N) nats
    assert 0 <= value < (bins - 1) * (5 - 1) / (2 * n) / math.log(5)


def test_two_codes_copying_one_factor_leave_it_no_gap():
    grid = torch.cartesian_prod(torch.arange(4), torch.arange(3)).repeat(5, 1)
    codes = grid[:, [0, 0, 1]].double()
    codes[:, 1] = 2 * codes[:, 1] + 1  # a rescaled copy: the same bins
    _, gaps = metrics.mig(codes, grid)
    assert gaps.tolist() == [0.0, 1.0]


def test_mig_rejects_bad_input():
    codes, factors = torch.randn(20, 3), torch.randint(0, 2, (20, 2))
    factors[0] = torch.tensor([0, 1])
    factors[1] = torch.tensor([1, 0])
    for kwargs, match in (
        ({"codes": codes[:, :1]}, "codes"),
        ({"factors": factors.float()}, "factors"),
        ({"factors": factors[:10]}, "factors"),
        ({"factors": torch.zeros(20, 1, dtype=torch.long)}, "factors column 0"),
        ({"bins": 1}, "bins"),
    ):
        with pytest.raises(ValueError, match=match):
            metrics.mig(**{"codes": codes, "factors": factors, **kwargs})


# --- sprites --------------------------------------------------------------------------------


def test_sprites_are_the_full_factorial_of_distinct_binary_images():
    x, factors = sprites(seed=None)
    assert SPRITE_FACTORS == ("shape", "scale", "x", "y")
    assert x.shape == (576, 256) and x.dtype == torch.float32 and factors.dtype == torch.long
    assert set(x.unique().tolist()) == {0.0, 1.0}
    sizes = (3, 3, 8, 8)
    assert torch.equal(factors, torch.cartesian_prod(*(torch.arange(k) for k in sizes)))
    assert len(x.unique(dim=0)) == len(x)  # no two factor tuples give the same image
    assert (x.view(-1, 16, 16).amax((1, 2)) == 1).all()
    # the centre of mass follows the position factors; the area grows with the scale
    images = x.view(-1, 16, 16)
    cols = (images.sum(1) * torch.arange(16.0)).sum(-1) / images.sum((1, 2))
    rows = (images.sum(2) * torch.arange(16.0)).sum(-1) / images.sum((1, 2))
    for shape in range(3):
        for scale in range(3):
            block = (factors[:, 0] == shape) & (factors[:, 1] == scale)
            col_by_x = cols[block].view(8, 8).mean(1)  # mean over y for each x
            row_by_y = rows[block].view(8, 8).mean(0)
            assert (col_by_x.diff() > 0).all() and (row_by_y.diff() > 0).all()
        areas = x.sum(1)[factors[:, 0] == shape].view(3, 64)
        assert (areas.diff(dim=0) > 0).all()
    # seeded: a fixed permutation of the same rows
    xs, fs = sprites(seed=3)
    xs2, fs2 = sprites(seed=3)
    assert torch.equal(xs, xs2) and torch.equal(fs, fs2) and not torch.equal(fs, factors)
    index = (fs * torch.tensor([192, 64, 8, 1])).sum(1)
    assert torch.equal(xs, x[index])
    big, _ = sprites(size=32, seed=None)
    assert big.shape == (576, 1024) and len(big.unique(dim=0)) == 576
    with pytest.raises(ValueError, match="size"):
        sprites(size=8)
    with pytest.raises(ValueError, match="seed"):
        sprites(seed=-1)


# --- fit_local_posterior (ch. 4) ------------------------------------------------------------


def test_fit_local_posterior_finds_the_best_factorised_q():
    lg = LinearGaussian(5, 2, sigma=0.4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.manual_seed(0)
        x = lg.marginal().sample((6,))
    bad = lg.mean_field_encoder(shift=1.5, scale=3.0)
    q = fit_local_posterior(x, lg.decoder, lg.prior, init=bad, steps=300, lr=0.03, samples=64)
    assert (q.batch_shape, q.event_shape) == ((6,), (2,))
    assert all(p.grad is None for p in lg.parameters())  # the model stays fixed
    with torch.no_grad():
        best, post = lg.mean_field_encoder()(x), lg.posterior(x)
        assert ((q.mean - best.mean).abs() < 0.1 * best.stddev).all()
        assert ((q.stddev / best.stddev - 1).abs() < 0.05).all()
        # ELBO(q) = log p(x) − KL(q ‖ p(z|x)) exactly: the local q is within 0.005 nats of the
        # best factorised one, far above the start
        gap, best_gap = kl_divergence(q, post), kl_divergence(best, post)
        assert (gap - best_gap < 0.005).all()
        assert (kl_divergence(bad(x), post) - gap > 10).all()
    from_prior = fit_local_posterior(x, lg.decoder, lg.prior, steps=100, samples=4)
    with torch.no_grad():
        assert (kl_divergence(from_prior, post) < kl_divergence(lg.prior.expand((6,)), post)).all()
    for kwargs, match in (
        ({"steps": 0}, "steps"),
        ({"lr": -1.0}, "lr"),
        ({"samples": 0}, "samples"),
    ):
        with pytest.raises(ValueError, match=match):
            fit_local_posterior(x, lg.decoder, lg.prior, **kwargs)
