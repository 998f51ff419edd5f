"""Device choice, experiment sizes by device, seeding, and the chapters' setup()."""

import random

import numpy as np
import pytest
import torch

import vae_lessons as vl


def test_env_var_overrides_the_device(monkeypatch):
    monkeypatch.setenv("VAE_LESSONS_DEVICE", "cpu")
    assert vl.default_device() == torch.device("cpu")
    monkeypatch.setenv("VAE_LESSONS_DEVICE", "cuda:1")
    assert vl.default_device() == torch.device("cuda:1")


def test_without_accelerators_the_device_is_cpu(monkeypatch):
    monkeypatch.delenv("VAE_LESSONS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert vl.default_device() == torch.device("cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert vl.default_device() == torch.device("cuda")


def test_by_device_picks_the_size_for_the_device():
    assert vl.by_device(cpu=3, gpu=30, device="cpu") == 3
    assert vl.by_device(cpu=3, gpu=30, device="cuda") == 30
    assert vl.by_device(cpu=3, gpu=30, device="mps") == 30


def test_seed_everything_makes_every_generator_repeat():
    def draw():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    g = vl.seed_everything(7)
    first, g_first = draw(), float(torch.rand((), generator=g))
    g = vl.seed_everything(7)
    assert draw() == first and float(torch.rand((), generator=g)) == g_first
    with pytest.raises(ValueError, match="seed"):
        vl.seed_everything(-1)


def test_setup_sets_language_seed_and_reports_the_device(monkeypatch, capsys):
    monkeypatch.setenv("VAE_LESSONS_DEVICE", "cpu")
    try:
        device = vl.setup("en", seed=3)
        out = capsys.readouterr().out
        assert device == torch.device("cpu")
        assert "device: cpu" in out and f"torch {torch.__version__}" in out
        assert vl.plots.current_language() == "en" and vl.tr("가", "a") == "a"
        assert float(torch.rand(())) == float(
            torch.rand((), generator=torch.Generator().manual_seed(3))
        )
        with pytest.raises(ValueError, match="lang"):
            vl.setup("fr")
    finally:
        vl.plots.use_language("en")


def test_seeded_repeats_its_draws_and_leaves_the_callers_stream_alone():
    cpu = torch.device("cpu")
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with vl.device.seeded(7, cpu):
        first = torch.rand(4)
    with vl.device.seeded(7, cpu):
        again = torch.rand(4)
    assert torch.equal(first, again)
    assert torch.equal(torch.rand(3), expected), "the caller's stream continues as if untouched"
    torch.manual_seed(7)
    assert not torch.equal(torch.rand(4), first), "offset from a plain manual_seed(7)"
    with pytest.raises(ValueError, match="seed"):
        with vl.device.seeded(-1, cpu):
            pass
