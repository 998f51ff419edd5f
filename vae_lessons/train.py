"""One training loop for every objective in the book (ch. 4, 5; Parts II, III).

The data stay as tensors on the device and are batched by indexing a seeded permutation: no
per-sample ``DataLoader``. Dynamic binarization (Burda et al. 2015) resamples each batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from . import objectives
from .device import default_device, seed_everything

__all__ = ["History", "fit", "evaluate", "make_objective"]


@dataclass
class History:
    """What :func:`fit` measured after each epoch; objectives in nats per example."""

    epoch: list[int] = field(default_factory=list)
    examples_seen: list[int] = field(default_factory=list)
    train: list[float] = field(default_factory=list)
    test: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


def make_objective(objective: str | Callable = "elbo", **kwargs) -> Callable:
    """``fn(x, encoder, decoder, prior) -> Tensor`` (per example ``[B]`` or a batch mean).

    ``"elbo"`` (kwargs ``beta``, ``samples``, ``analytic_kl``), ``"iwae"`` (``k``), ``"infovae"``
    (``alpha``, ``lam``, ``kernel``), or any callable with that signature.
    """
    table = {
        "elbo": objectives.elbo,
        "iwae": objectives.iwae_bound,
        "infovae": objectives.infovae_objective,
    }
    if callable(objective):
        fn = objective
    elif objective in table:
        fn = table[objective]
    else:
        raise ValueError(
            f"objective must be one of {sorted(table)} or a callable, got {objective!r}"
        )

    def bound(x, encoder, decoder, prior):
        return fn(x, encoder, decoder, prior, **kwargs)

    return bound


def _binarize(x: torch.Tensor, binarize: bool, generator: torch.Generator | None) -> torch.Tensor:
    return torch.bernoulli(x, generator=generator) if binarize else x


@torch.no_grad()
def evaluate(
    model,
    x: torch.Tensor,
    objective: str | Callable = "elbo",
    *,
    batch_size: int = 1000,
    binarize: bool = False,
    seed: int = 0,
    **objective_kwargs,
) -> float:
    """The objective's mean over x in nats per example (no autograd; seeded binarization)."""
    fn = make_objective(objective, **objective_kwargs)
    device = next(model.parameters()).device
    g = torch.Generator(device=device).manual_seed(seed) if binarize else None
    total = 0.0
    for xb in x.split(batch_size):
        xb = _binarize(xb.to(device), binarize, g)
        total += float(fn(xb, model.encoder, model.decoder, model.prior).mean()) * len(xb)
    return total / len(x)


def fit(
    model,
    x: torch.Tensor,
    *,
    objective: str | Callable = "elbo",
    epochs: int = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    optimizer: torch.optim.Optimizer | None = None,
    x_test: torch.Tensor | None = None,
    binarize: bool = False,
    device=None,
    seed: int = 0,
    progress: bool = True,
    **objective_kwargs,
) -> History:
    """Maximise ``objective`` on x ``[N, x_dim]`` with Adam (``lr``) and return a :class:`History`.

    ``model`` has ``encoder``, ``decoder`` and ``prior`` (e.g. :class:`~vae_lessons.models.VAE`).
    Each epoch visits every example once in a seeded random order, in batches of ``batch_size``;
    ``binarize=True`` draws x ~ Bernoulli(pixel intensities) afresh for every batch. ``train`` is
    the mean objective over the epoch's batches, ``test`` (if ``x_test``) the objective on x_test
    after the epoch, both in nats per example.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an int >= 0, got {epochs!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    objectives._check_x(x)
    fn = make_objective(objective, **objective_kwargs)
    device = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    model.to(device)
    x = x.to(device)
    g = torch.Generator(device=device).manual_seed(seed)
    if optimizer is None:  # one fused kernel per parameter where the device has it (cpu, cuda)
        fused = device.type in ("cpu", "cuda")
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=fused or None)
    history = History()
    n, seen = len(x), 0
    bar = tqdm(range(1, epochs + 1), desc="epoch", unit="epoch", disable=not progress)
    for epoch in bar:
        start, total = time.perf_counter(), torch.zeros((), device=device)
        model.train()
        for idx in torch.randperm(n, device=device, generator=g).split(batch_size):
            xb = _binarize(x[idx], binarize, g)
            value = fn(xb, model.encoder, model.decoder, model.prior).mean()
            optimizer.zero_grad(set_to_none=True)
            (-value).backward()
            optimizer.step()
            total += value.detach() * len(idx)
        seen += n
        model.eval()
        history.epoch.append(epoch)
        history.examples_seen.append(seen)
        history.train.append(float(total) / n)
        history.seconds.append(time.perf_counter() - start)
        if x_test is not None:
            history.test.append(evaluate(model, x_test, fn, binarize=binarize, seed=seed))
        bar.set_postfix(
            train=f"{history.train[-1]:.2f}",
            **({"test": f"{history.test[-1]:.2f}"} if history.test else {}),
        )
    return history
