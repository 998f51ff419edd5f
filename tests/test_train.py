"""The training loop learns, is seeded, and takes every objective."""

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
