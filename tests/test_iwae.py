"""Chapter 7's package code: normalised weights, the IWAE gradient, L_k estimates, SNR."""

import math

import pytest
import torch

from vae_lessons import checks, iwae, objectives
from vae_lessons.models import LinearGaussian


def _model():
    g = torch.Generator().manual_seed(0)
    model = LinearGaussian(4, 2, sigma=0.7, generator=g).double()
    x = model.marginal().sample((3,)).detach()
    return model, x


def test_gradient_written_out_equals_autograd_through_logsumexp():
    model, x = _model()
    q = model.mean_field_encoder(shift=0.5, scale=1.4)
    params = [model.W, model.b]
    log_w = objectives.log_importance_weights(x, q, model.decoder, model.prior, k=8)
    written = iwae.gradient(log_w, params)
    bound = (torch.logsumexp(log_w, 0) - math.log(8)).mean()
    auto = torch.autograd.grad(bound, params, retain_graph=True)
    for a, b in zip(written, auto, strict=True):
        assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)
    # weighting by the unnormalised weights is a different (wrong) gradient
    wrong = torch.autograd.grad((log_w.exp().detach() * log_w).sum(0).mean(), params)
    assert not torch.allclose(wrong[0], auto[0], rtol=1e-3)


def test_bound_estimates_are_unbiased_for_l1_and_converge_to_log_px():
    model, x = _model()
    q = model.mean_field_encoder(shift=0.5, scale=1.4)
    torch.manual_seed(0)
    with torch.no_grad():
        log_w = objectives.log_importance_weights(x, q, model.decoder, model.prior, k=40_000)
        exact = model.log_marginal(x)
        l1 = iwae.bound_estimates(log_w, 1)
        assert l1.shape == (40_000, 3)
        assert checks.mean_agrees(l1, model.elbo(x, q(x)))
        l_big = iwae.bound_estimates(log_w, 4000)  # [10, 3]
        assert checks.agree(l_big.mean(0), exact, checks.standard_error(l_big) + 0.02)
        assert (iwae.bound_estimates(log_w, 16).mean(0) > l1.mean(0)).all()


def test_normalised_weights_and_snr_and_inputs():
    log_w = torch.tensor([[0.0, 1.0], [math.log(3.0), 1.0]])
    w = iwae.normalised_weights(log_w)
    assert torch.allclose(w, torch.tensor([[0.25, 0.5], [0.75, 0.5]]))
    rows = torch.tensor([[1.0, 0.0], [3.0, 2.0]])
    assert torch.allclose(iwae.gradient_snr(rows), torch.tensor([2.0, 1.0]) / math.sqrt(2))
    with pytest.raises(ValueError, match="log_w"):
        iwae.normalised_weights(torch.tensor([float("nan")]))
    with pytest.raises(ValueError, match="k must be"):
        iwae.bound_estimates(log_w, 3)
    with pytest.raises(ValueError, match="rows"):
        iwae.gradient_snr(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="params"):
        iwae.gradient(log_w, [])


def test_k_explorer_checks_its_inputs():
    from vae_lessons import explorers, widgets

    pools = {1: torch.zeros(10)}
    with pytest.raises(ValueError, match="one entry per value"):
        explorers.iwae_k(pools, {}, widgets.Slider((1, 5)), widgets.Slider((1,)))
    with pytest.raises(ValueError, match="no larger than every pool"):
        explorers.iwae_k(pools, {1: 0.0}, widgets.Slider((1, 50)), widgets.Slider((1,)))
