"""One training loop for every objective in the book (ch. 4, 5; Parts II, III).

The data stay as tensors on the device and are batched by indexing a seeded permutation: no
per-sample ``DataLoader``. Dynamic binarization (Burda et al. 2015) resamples each batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from . import _validate, objectives
from .device import default_device, seed_everything

__all__ = ["History", "fit", "evaluate", "gradient_samples", "make_objective"]


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
    reduction: str = "mean",
    **objective_kwargs,
) -> float | torch.Tensor:
    """The objective over a data set x ``[N, x_dim]``, ``batch_size`` examples at a time (ch. 4).

    Memory is bounded by the batch whatever N (and, for ``objective="elbo", samples=S``, holds
    ``[S, batch_size, x_dim]``), without autograd; ``binarize=True`` draws one seeded Bernoulli
    sample of x. ``reduction="mean"`` returns the mean in nats per example (a float);
    ``reduction="none"`` the per-example values ``[N]`` (float64, on the CPU), for standard
    errors. The objective must be per example (``[B]``) for ``"none"``.
    """
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
    objectives._check_x(x)
    fn = make_objective(objective, **objective_kwargs)
    device = next(model.parameters()).device
    g = torch.Generator(device=device).manual_seed(seed) if binarize else None
    values = []
    for xb in x.split(batch_size):
        xb = _binarize(xb.to(device), binarize, g)
        value = fn(xb, model.encoder, model.decoder, model.prior)
        if reduction == "none" and value.shape != (len(xb),):
            raise ValueError(
                f"reduction='none' needs a per-example objective [B], got shape "
                f"{tuple(value.shape)}"
            )
        values.append(value.double().cpu().expand(len(xb)))
    per_example = torch.cat(values)
    return per_example if reduction == "none" else float(per_example.mean())


def gradient_samples(
    model,
    x: torch.Tensor,
    objective: str | Callable = "elbo",
    *,
    repeats: int,
    params: Sequence[torch.Tensor] | None = None,
    **objective_kwargs,
) -> torch.Tensor:
    """``repeats`` independent draws of the minibatch gradient ∇ mean_x objective, ``[repeats, P]``.

    Each row is one stochastic gradient of the objective's mean over x ``[B, x_dim]`` (fresh
    reparameterized samples, x fixed), with respect to ``params`` (default: all of the model's),
    flattened and concatenated: P parameters. Chapter 4 compares the variance of the SGVB
    estimators A (``analytic_kl=False``) and B (``analytic_kl=True``) of Kingma & Welling
    (2013), section 2.3, with ``rows.var(0).sum()``.
    """
    objectives._check_x(x)
    _validate.count("repeats", repeats)
    fn = make_objective(objective, **objective_kwargs)
    params = list(model.parameters()) if params is None else list(params)
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad for p in params):
        raise ValueError("params must be a non-empty sequence of tensors that require grad")
    x = x.to(params[0].device)
    rows = []
    for _ in range(repeats):
        value = fn(x, model.encoder, model.decoder, model.prior).mean()
        grads = torch.autograd.grad(value, params, allow_unused=True)
        rows.append(
            torch.cat(
                [
                    (torch.zeros_like(p) if g is None else g).reshape(-1)
                    for p, g in zip(params, grads, strict=True)
                ]
            )
        )
    return torch.stack(rows)


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
