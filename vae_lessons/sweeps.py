"""A grid of models, one per value of an objective's weight: β (ch. 5), λ (Part III).

The β explorer of chapter 5 needs one trained β-VAE per slider value, L_β = E_q[log p(x|z)]
− β·KL(q(z|x) ‖ p(z)) (Higgins et al. 2017, eq. 4). :func:`train_grid` trains them once, with
:func:`vae_lessons.train.fit`, so the slider only looks models up; :func:`summarize` gives each
model's point on the rate–distortion plane::

    grid = train_grid(lambda: VAE.mlp(784, 10), x, "beta", [0.25, 1.0, 4.0], epochs=3)
    points = {beta: summarize(model, x_test) for beta, (model, history) in grid.items()}

Every model starts from the same seeded initialisation and sees the same batches (the same
seed for every value), so the models of a grid differ by the value alone. With ``cache_dir``
each trained ``state_dict`` is kept on disk under a hash of the settings passed (value, epochs,
seed, the other arguments of ``fit``), the architecture and the data, and a later run with the
same settings loads it instead of training.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import NamedTuple

import torch
from tqdm.auto import tqdm

from . import metrics, train
from .device import default_device, seed_everything

__all__ = ["Summary", "train_grid", "summarize"]


class Summary(NamedTuple):
    """One model's rate and distortion on a data set, in nats per example (ch. 5).

    ``rate`` = E_x KL(q(z|x) ‖ p(z)); ``distortion`` = −E_x E_{q(z|x)}[log p(x|z)], so that
    ELBO = −(rate + distortion); ``kl_per_dim [z_dim]`` sums to ``rate``; ``active_units`` counts
    the dimensions whose posterior mean varies with x (:func:`vae_lessons.metrics.active_units`).
    """

    rate: float
    distortion: float
    kl_per_dim: torch.Tensor
    active_units: int


def _name(value) -> str:
    """A run-independent description of a setting (callables by their qualified name)."""
    if callable(value) and hasattr(value, "__qualname__"):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def _data_digest(x: torch.Tensor) -> str:
    digest = hashlib.sha256(repr((tuple(x.shape), x.dtype)).encode())
    digest.update(x.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _cache_key(model, data_digest: str, settings: dict) -> str:
    """A hash of the settings, the architecture (the model's repr) and the data."""
    blob = json.dumps({k: _name(v) for k, v in sorted(settings.items())})
    return hashlib.sha256(f"{blob}|{model!r}|{data_digest}".encode()).hexdigest()[:20]


def train_grid(
    make_model: Callable[[], torch.nn.Module],
    x: torch.Tensor,
    param_name: str,
    values: Iterable[float],
    *,
    epochs: int,
    seed: int = 0,
    device=None,
    cache_dir: str | Path | None = None,
    progress: bool = True,
    **fit_kwargs,
) -> dict[float, tuple[torch.nn.Module, train.History]]:
    """Train one model per value of the objective's keyword ``param_name``.

    Returns ``{value: (model, history)}`` in the order of ``values``.

    For each value: seed with ``seed``, build ``make_model()`` and run
    ``fit(model, x, epochs=epochs, seed=seed, **{param_name: value}, **fit_kwargs)``, e.g.
    ``param_name="beta"`` for the β-VAE (ch. 5) or ``"lam"`` with ``objective="infovae"``
    (Part III). ``x [N, x_dim]`` is moved to the device once and shared by every run. Models are
    returned in eval mode on ``device``. With ``cache_dir``, a model trained before with the same
    settings is loaded from ``cache_dir/<hash>.pt`` (its history too) instead of trained again.
    """
    if not isinstance(param_name, str) or not param_name:
        raise ValueError(f"param_name must be a non-empty str, got {param_name!r}")
    if param_name in fit_kwargs:
        raise ValueError(f"{param_name!r} is set by values; do not pass it in fit_kwargs too")
    values = list(values)
    if not values or len(set(values)) != len(values):
        raise ValueError(f"values must be non-empty and distinct, got {values}")
    device = torch.device(device) if device is not None else default_device()
    x = x.to(device)
    folder = Path(cache_dir) if cache_dir is not None else None
    data_digest = _data_digest(x) if folder else ""
    grid = {}
    for value in tqdm(values, desc=param_name, unit="model", disable=not progress):
        seed_everything(seed)
        model = make_model().to(device)
        settings = dict(fit_kwargs, epochs=epochs, seed=seed, **{param_name: value})
        path = folder / f"{_cache_key(model, data_digest, settings)}.pt" if folder else None
        if path is not None and path.exists():
            saved = torch.load(path, map_location=device, weights_only=True)
            model.load_state_dict(saved["state_dict"])
            history = train.History(**saved["history"])
        else:
            history = train.fit(model, x, device=device, progress=False, **settings)
            if path is not None:
                folder.mkdir(parents=True, exist_ok=True)
                state = {"state_dict": model.state_dict(), "history": asdict(history)}
                partial = path.with_suffix(".part")  # never leave a half-written file
                torch.save(state, partial)
                partial.replace(path)
        grid[value] = (model.eval(), history)
    return grid


@torch.no_grad()
def summarize(model, x: torch.Tensor, *, threshold: float = 0.01, seed: int = 0) -> Summary:
    """Rate, distortion, KL per dimension and active units of ``model`` on ``x`` (ch. 5).

    The rate is the sum of :func:`vae_lessons.metrics.kl_per_dimension` (closed form); the
    distortion is minus the ELBO with β = 0, i.e. −E_q[log p(x|z)] with one seeded draw
    z ~ q(z|x) per example. ``x`` is used as given (binarize it beforehand for a Bernoulli
    decoder); ``threshold`` is that of :func:`vae_lessons.metrics.active_units`.
    """
    x = x.to(next(model.parameters()).device)
    kl_per_dim = metrics.kl_per_dimension(model.encoder, x, model.prior).cpu()
    seed_everything(seed)
    distortion = -train.evaluate(model, x, "elbo", beta=0.0)
    units = metrics.active_units(model.encoder, x, threshold)
    return Summary(float(kl_per_dim.sum()), distortion, kl_per_dim, units)
