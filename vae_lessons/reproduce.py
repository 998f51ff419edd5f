"""Full-size reproductions of a paper's table: ``python -m vae_lessons.reproduce iwae`` (ch. 7).

``iwae`` trains the one-stochastic-layer models of Burda, Grosse & Salakhutdinov (2015), Table 1
(784-200-200-50, tanh, Bernoulli decoder) on dynamically binarized MNIST: the VAE with k ∈ {1, 5,
50} samples and the IWAE with k ∈ {5, 50}, on the paper's schedule (section 5): stages
i = 0, …, 7 of 3^i epochs at learning rate 0.001·10^(−i/7), Adam with β = (0.9, 0.999) and
ε = 1e−4, batches of 20 (3280 epochs in all). It then estimates each model's test NLL with
k = 5000 samples (:func:`vae_lessons.estimators.log_likelihood`) with its standard error, counts
active units (:func:`vae_lessons.metrics.active_units`) and writes a Markdown table next to the
paper's numbers. That takes GPU-days; ``--smoke`` runs the same code in seconds on a few images
(one stage, k = 50 for the estimate) to show that it works, not what it finds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch
from torch import nn

from . import checks, data, estimators, metrics, train
from .device import default_device, seed_everything
from .models import VAE, BernoulliDecoder, MLPEncoder

__all__ = ["IWAE_PAPER_NLL", "iwae_schedule", "iwae_model", "reproduce_iwae", "main"]

#: Test NLL (nats) of the 1-stochastic-layer models on MNIST, Burda et al. (2015), Table 1:
#: (objective, k) -> NLL.
IWAE_PAPER_NLL = {
    ("VAE", 1): 86.76,
    ("VAE", 5): 86.47,
    ("VAE", 50): 86.35,
    ("IWAE", 5): 85.54,
    ("IWAE", 50): 84.78,
}


def iwae_schedule(stages: int = 8) -> list[tuple[int, float]]:
    """``[(epochs, lr)]`` of Burda et al. (2015), section 5: 3^i epochs at 0.001·10^(−i/7)."""
    if isinstance(stages, bool) or not isinstance(stages, int) or stages < 1:
        raise ValueError(f"stages must be an int >= 1, got {stages!r}")
    return [(3**i, 1e-3 * 10 ** (-i / 7)) for i in range(stages)]


def iwae_model(x_dim: int = 784) -> VAE:
    """The 1-stochastic-layer model of Table 1: x_dim-200-200-50 with tanh, Bernoulli decoder."""
    encoder = MLPEncoder(x_dim, 50, (200, 200), activation=nn.Tanh)
    decoder = BernoulliDecoder(50, x_dim, (200, 200), activation=nn.Tanh)
    return VAE(encoder, decoder, 50)


def _train(model, x, objective, kwargs, schedule, batch_size, device, seed) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-4)
    for stage, (epochs, lr) in enumerate(schedule):
        for group in optimizer.param_groups:
            group["lr"] = lr
        train.fit(
            model,
            x,
            objective=objective,
            epochs=epochs,
            batch_size=batch_size,
            lr=lr,
            optimizer=optimizer,
            binarize=True,
            device=device,
            seed=seed + stage,
            progress=False,
            **kwargs,
        )


def reproduce_iwae(
    *,
    n_train: int | None = None,
    n_test: int | None = None,
    stages: int = 8,
    k_eval: int = 5000,
    batch_size: int = 20,
    seed: int = 0,
    device=None,
    log=print,
) -> list[dict]:
    """Train and evaluate the five models of Table 1 (1 layer); one row per model (ch. 7).

    Each row: ``model``, ``k``, ``nll`` and ``nll_se`` (nats, k_eval-sample estimate over the
    test images, one fixed binarization), ``active_units``, ``paper_nll`` and ``seconds``.
    ``n_train`` / ``n_test`` (default: all) take the first images of each split.
    """
    device = torch.device(device) if device is not None else default_device()
    x_train, x_test = data.book_data("train").x, data.book_data("test").x
    x_train, x_test = x_train[:n_train], x_test[:n_test]
    x_test = data.binarize(x_test, generator=torch.Generator().manual_seed(seed)).to(device)
    schedule = iwae_schedule(stages)
    rows = []
    for (name, k), paper in IWAE_PAPER_NLL.items():
        start = time.perf_counter()
        seed_everything(seed)
        model = iwae_model(x_train.shape[1]).to(device)
        objective, kwargs = ("elbo", {"samples": k}) if name == "VAE" else ("iwae", {"k": k})
        _train(model, x_train, objective, kwargs, schedule, batch_size, device, seed)
        model.eval()
        with torch.no_grad():
            ll = estimators.log_likelihood(
                x_test, model.encoder, model.decoder, model.prior, k=k_eval
            ).double()
        row = {
            "model": name,
            "k": k,
            "nll": -float(ll.mean()),
            "nll_se": float(checks.standard_error(ll)),
            "active_units": metrics.active_units(model.encoder, x_test),
            "paper_nll": paper,
            "seconds": time.perf_counter() - start,
        }
        log(f"{name} k={k}: NLL {row['nll']:.2f} ± {row['nll_se']:.2f} ({row['seconds']:.0f} s)")
        rows.append(row)
    return rows


def table(rows: list[dict], *, note: str = "") -> str:
    """The rows of :func:`reproduce_iwae` as a Markdown table."""
    lines = [
        "| model | k | test NLL (nats) | ± SE | active units | paper NLL (Table 1) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['model']} | {r['k']} | {r['nll']:.2f} | {r['nll_se']:.2f} | "
            f"{r['active_units']} | {r['paper_nll']:.2f} |"
        )
    return "\n".join(lines) + (f"\n\n{note}\n" if note else "\n")


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(
        prog="python -m vae_lessons.reproduce", description=__doc__.splitlines()[0]
    )
    parser.add_argument("paper", choices=["iwae"], help="which paper's table to reproduce")
    parser.add_argument("--smoke", action="store_true", help="a few images, one stage: seconds")
    parser.add_argument("--out", default="reproduce_iwae.md", help="Markdown file for the table")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)
    sizes = (
        {"n_train": 100, "n_test": 10, "stages": 1, "k_eval": 50}
        if args.smoke
        else {"stages": 8, "k_eval": 5000}
    )
    rows = reproduce_iwae(device=args.device, **sizes)
    epochs = sum(e for e, _ in iwae_schedule(sizes["stages"]))
    note = (
        f"{'Smoke run' if args.smoke else 'Full run'}: {epochs} epochs, test NLL estimated with "
        f"k = {sizes['k_eval']} (one fixed binarization of the test images)."
    )
    Path(args.out).write_text(table(rows, note=note), encoding="utf-8")
    print(f"wrote {args.out}")
    return rows


if __name__ == "__main__":
    main()
