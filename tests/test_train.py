"""The training loop learns, is seeded, and takes every objective."""

import math

import pytest
import torch

from vae_lessons import train
from vae_lessons.models import VAE
from vae_lessons.toy import ring


@pytest.fixture
def data():
    x, _ = ring(600, 4, radius=0.3, std=0.05, seed=0)
    return (x + 0.5).clamp(0, 1)


def test_fit_improves_the_elbo_and_is_reproducible(data):
    def run():
        torch.manual_seed(3)  # the initial weights
        model = VAE.mlp(2, 2, (32,), likelihood="gaussian", min_std=0.02)
        return train.fit(
            model,
            data,
            epochs=8,
            batch_size=64,
            lr=3e-3,
            device="cpu",
            seed=3,
            x_test=data[:100],
            progress=False,
        )

    h1, h2 = run(), run()
    assert h1.train == h2.train and h1.test == h2.test
    assert h1.train[-1] > h1.train[0] + 1.0
    assert h1.examples_seen == [600 * e for e in range(1, 9)]


@pytest.mark.parametrize(
    "objective, kwargs", [("iwae", {"k": 5}), ("infovae", {"lam": 10.0}), ("elbo", {"beta": 4.0})]
)
def test_every_objective_trains(data, objective, kwargs):
    torch.manual_seed(0)
    model = VAE.mlp(2, 2, (16,), likelihood="bernoulli")
    h = train.fit(
        model,
        data,
        objective=objective,
        epochs=10,
        lr=1e-2,
        device="cpu",
        binarize=True,
        progress=False,
        **kwargs,
    )
    assert all(torch.isfinite(torch.tensor(h.train)))
    assert h.train[-1] > h.train[0]


def test_bad_arguments(data):
    model = VAE.mlp(2, 2, (8,))
    with pytest.raises(ValueError, match="objective"):
        train.fit(model, data, objective="elbow", progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        train.fit(model, data, batch_size=0, progress=False)
    with pytest.raises(ValueError, match="beta"):
        train.fit(model, data, beta=-1.0, epochs=1, progress=False)


def test_evaluate_per_example_in_batches_is_exact_on_a_model_with_exact_likelihood():
    # LinearGaussian's encoder is the exact posterior: log p(x, z) − log q(z|x) = log p(x) for
    # every z, so the ELBO with a Monte Carlo KL (same draws) is exact whatever the draws.
    from vae_lessons.models import LinearGaussian

    torch.manual_seed(0)
    lg = LinearGaussian(5, 2).double()
    x = lg.marginal().sample((23,))
    exact = lg.log_marginal(x).detach()
    per_example = train.evaluate(
        lg, x, samples=3, analytic_kl=False, batch_size=7, reduction="none"
    )
    assert per_example.shape == (23,) and per_example.dtype == torch.float64
    torch.testing.assert_close(per_example, exact)
    mean = train.evaluate(lg, x, analytic_kl=False, batch_size=4)
    assert isinstance(mean, float) and math.isclose(mean, exact.mean().item(), rel_tol=1e-9)
    # the k-sample bound of the exact posterior is exact too (a missing − log k would show)
    torch.testing.assert_close(
        train.evaluate(lg, x, "iwae", k=50, batch_size=10, reduction="none"), exact
    )


def test_evaluate_refuses_bad_reduction_and_batch(data):
    model = VAE.mlp(2, 2, (8,))
    with pytest.raises(ValueError, match="reduction"):
        train.evaluate(model, data, reduction="sum")
    with pytest.raises(ValueError, match="batch_size"):
        train.evaluate(model, data, batch_size=0)
    with pytest.raises(ValueError, match="per-example"):
        train.evaluate(model, data, "infovae", reduction="none")


def test_gradient_samples_of_sgvb_estimators_a_and_b():
    torch.manual_seed(1)
    model = VAE.mlp(6, 3, (16,), likelihood="bernoulli")
    x = torch.rand(32, 6).bernoulli()
    decoder_params = list(model.decoder.parameters())
    # The KL does not involve θ: with the same draws, A and B give the same decoder gradient.
    grads = []
    for analytic_kl in (False, True):
        torch.manual_seed(2)
        grads.append(
            train.gradient_samples(
                model, x, repeats=5, params=decoder_params, analytic_kl=analytic_kl
            )
        )
    assert grads[0].shape == (5, sum(p.numel() for p in decoder_params))
    torch.testing.assert_close(grads[0], grads[1])
    assert not torch.allclose(grads[0][0], grads[0][1])  # fresh draws in every row
    # Encoder gradient: both are unbiased for the same gradient, and B (closed-form KL) has
    # the smaller total variance.
    enc = list(model.encoder.parameters())
    g_a = train.gradient_samples(model, x, repeats=400, params=enc, analytic_kl=False)
    g_b = train.gradient_samples(model, x, repeats=400, params=enc, analytic_kl=True)
    direction = torch.randn(g_a.shape[1], generator=torch.Generator().manual_seed(0))
    proj_a, proj_b = g_a @ direction, g_b @ direction
    se = math.sqrt(proj_a.var() / 400 + proj_b.var() / 400)
    assert abs(proj_a.mean() - proj_b.mean()) < 4 * se
    assert g_b.var(0).sum() < g_a.var(0).sum()
    with pytest.raises(ValueError, match="repeats"):
        train.gradient_samples(model, x, repeats=0)
    with pytest.raises(ValueError, match="params"):
        train.gradient_samples(model, x, repeats=1, params=[])
