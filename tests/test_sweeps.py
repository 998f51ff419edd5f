"""The grid of models behind the β explorer (ch. 5): trained as fit would, cached, summarized."""

import pytest
import torch

from vae_lessons import metrics, objectives, sweeps, train
from vae_lessons.device import seed_everything
from vae_lessons.models import VAE


@pytest.fixture(scope="module")
def data():
    """400 noisy copies (5% of 20 bits flipped) of 4 random binary prototypes: encoding which
    prototype (log 4 nats of rate) saves about 9 nats of distortion, worth it for small β only."""
    g = torch.Generator().manual_seed(0)
    prototypes = torch.rand(4, 20, generator=g).round()
    which = torch.randint(0, 4, (400,), generator=g)
    flips = (torch.rand(400, 20, generator=g) < 0.05).float()
    return (prototypes[which] - flips).abs()


def make_model():
    return VAE.mlp(20, 2, (32,))


FIT = dict(epochs=6, batch_size=64, lr=1e-2, device="cpu")


def grid_of(data, betas, **kwargs):
    return sweeps.train_grid(make_model, data, "beta", betas, progress=False, **FIT, **kwargs)


def same_weights(a, b):
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return all(torch.equal(p, q) for p, q in pairs)


def test_each_model_is_the_one_fit_trains_with_that_value(data):
    grid = grid_of(data, [4.0, 0.5], seed=3)
    assert list(grid) == [4.0, 0.5]
    for beta, (model, history) in grid.items():
        seed_everything(3)
        expected = make_model()
        h = train.fit(expected, data, seed=3, progress=False, beta=beta, **FIT)
        assert same_weights(model, expected)
        assert history.train == h.train
        assert not model.training
    assert not same_weights(grid[4.0][0], grid[0.5][0])


def test_rate_falls_and_distortion_rises_with_beta(data):
    grid = grid_of(data, [0.1, 1.0, 10.0])
    s = {beta: sweeps.summarize(model, data) for beta, (model, _) in grid.items()}
    assert s[0.1].rate > s[1.0].rate > s[10.0].rate
    assert s[10.0].distortion > s[0.1].distortion + 5.0
    assert s[10.0].active_units == 0 < s[0.1].active_units


def test_cache_loads_the_same_models_without_training(data, tmp_path, monkeypatch):
    first = grid_of(data, [0.5, 2.0], cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*.pt"))) == 2

    def no_training(*args, **kwargs):
        raise AssertionError("fit was called although the models are cached")

    monkeypatch.setattr(train, "fit", no_training)
    again = grid_of(data, [2.0, 0.5], cache_dir=tmp_path)
    for beta in (0.5, 2.0):
        assert same_weights(first[beta][0], again[beta][0])
        assert first[beta][1] == again[beta][1]
    monkeypatch.undo()
    grid_of(data, [0.5], cache_dir=tmp_path, seed=1)  # other settings: another entry
    grid_of(data[:200], [0.5], cache_dir=tmp_path)  # other data: another entry
    assert len(list(tmp_path.glob("*.pt"))) == 4


def test_summarize_is_rate_plus_distortion_with_exact_parts(data):
    torch.manual_seed(0)
    model = VAE.mlp(20, 3, (8,)).eval()
    enc = model.encoder.net[-1]  # outputs (mu, logvar), 3 each
    with torch.no_grad():  # unit 0 ignores x and is the prior itself: KL 0, inactive
        enc.weight[[0, 3]] = 0.0
        enc.bias[[0, 3]] = 0.0
    s = sweeps.summarize(model, data, threshold=1e-6, seed=5)
    with torch.no_grad():
        mu, logvar = model.encoder.params(data)
        kl = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)
        torch.testing.assert_close(s.kl_per_dim, kl.mean(0))
        assert s.kl_per_dim[0] == 0.0
        assert s.rate == pytest.approx(float(kl.sum(1).mean()), rel=1e-5)
    assert s.active_units == metrics.active_units(model.encoder, data, 1e-6) == 2
    seed_everything(5)
    with torch.no_grad():
        elbo = objectives.elbo(data, model.encoder, model.decoder, model.prior).mean()
    assert -(s.rate + s.distortion) == pytest.approx(float(elbo), rel=1e-5)


def test_bad_arguments(data):
    with pytest.raises(ValueError, match="param_name"):
        sweeps.train_grid(make_model, data, "", [1.0], epochs=1)
    with pytest.raises(ValueError, match="values"):
        sweeps.train_grid(make_model, data, "beta", [1.0, 1.0], epochs=1)
    with pytest.raises(ValueError, match="beta"):
        sweeps.train_grid(make_model, data, "beta", [1.0], epochs=1, beta=2.0)
