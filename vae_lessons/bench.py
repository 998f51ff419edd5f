"""``python -m vae_lessons.bench``: how fast the book's reference model trains and is evaluated.

The reference model is the one of pytorch/examples ``vae/main.py`` (784-400-20 MLP, ReLU,
Bernoulli decoder, batch 128, Adam 1e-3). Printed: seconds per MNIST training epoch with
:func:`vae_lessons.train.fit`, images·samples per second of the k = 5000 likelihood estimate,
peak memory, and the median slider → new frame latency of every explorer registered in
:mod:`vae_lessons.explorers` (the book's bar: 150 ms). ``--reference`` also times an epoch
the way pytorch/examples feeds it (a per-sample ``Dataset`` converting each uint8 image through
PIL as torchvision's ``ToTensor`` does, and a ``DataLoader``), side by side on the same machine.
``--json`` prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import torch

from . import data, estimators, explorers, train
from .device import default_device, seed_everything
from .models import VAE


def _peak_mem_mb(device: torch.device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_epoch(x: torch.Tensor, device: torch.device, *, epochs: int = 2) -> float:
    """Seconds of the fastest of ``epochs`` training epochs of the reference model with ``fit``."""
    model = VAE.mlp(x.shape[1], 20, (400,))
    history = train.fit(
        model, x, epochs=epochs, batch_size=128, lr=1e-3, device=device, progress=False
    )
    return min(history.seconds)


def time_reference_epoch(images_uint8: np.ndarray) -> float:
    """One epoch fed as pytorch/examples ``vae/main.py`` does (CPU), in seconds."""
    from PIL import Image
    from torch import nn
    from torch.nn import functional as F

    class MNISTLike(torch.utils.data.Dataset):
        def __len__(self):
            return len(images_uint8)

        def __getitem__(self, i):  # torchvision: PIL image, then ToTensor()
            img = Image.fromarray(images_uint8[i], mode="L")
            return torch.from_numpy(np.array(img, np.float32) / 255.0).unsqueeze(0), 0

    d = images_uint8[0].size  # 784 for MNIST

    class ExampleVAE(nn.Module):  # pytorch/examples vae/main.py, the same layers and loss
        def __init__(self):
            super().__init__()
            self.fc1, self.fc21, self.fc22 = (
                nn.Linear(d, 400),
                nn.Linear(400, 20),
                nn.Linear(400, 20),
            )
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, d)

        def forward(self, x):
            h1 = F.relu(self.fc1(x.view(-1, d)))
            mu, logvar = self.fc21(h1), self.fc22(h1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar

    model = ExampleVAE()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(MNISTLike(), batch_size=128, shuffle=True)
    start = time.perf_counter()
    for x, _ in loader:
        optimizer.zero_grad()
        recon, mu, logvar = model(x)
        bce = F.binary_cross_entropy(recon, x.view(-1, d), reduction="sum")
        loss = bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def time_loglik(x: torch.Tensor, device: torch.device, *, k: int = 5000) -> float:
    """images·samples per second of the k-sample importance estimate on ``x`` (untrained model)."""
    model = VAE.mlp(x.shape[1], 20, (400,)).to(device)
    x = x.to(device)
    _sync(device)
    start = time.perf_counter()
    estimators.log_likelihood(x, model.encoder, model.decoder, model.prior, k=k)
    _sync(device)
    return len(x) * k / (time.perf_counter() - start)


def time_explorers(names: list[str] | None = None, *, moves: int = 20) -> dict[str, float]:
    """Median ms per slider move of each registered explorer (all of them by default)."""
    unknown = sorted(set(names or []) - set(explorers.BENCHMARKS))
    if unknown:
        raise ValueError(f"unknown explorers {unknown}; registered: {sorted(explorers.BENCHMARKS)}")
    chosen = names or list(explorers.BENCHMARKS)
    return {name: round(explorers.BENCHMARKS[name]().measure_latency(moves), 1) for name in chosen}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(
        prog="python -m vae_lessons.bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--reference", action="store_true", help="also time the pytorch/examples-style epoch (CPU)"
    )
    parser.add_argument(
        "--loglik-images",
        type=int,
        default=100,
        help="test images for the k=5000 estimate (default 100)",
    )
    parser.add_argument(
        "--subset", type=int, default=None, help="train on the first N images only (a smoke run)"
    )
    parser.add_argument(
        "--device", default=None, help="override the device (default: best available)"
    )
    parser.add_argument(
        "--explorers",
        nargs="*",
        default=None,
        metavar="NAME",
        help="time only these explorers (default: all); with no name, time no explorer",
    )
    args = parser.parse_args(argv)
    device = torch.device(args.device) if args.device else default_device()
    seed_everything(0)
    dataset = data.book_data("train")
    if args.subset is not None:
        dataset = dataset._replace(x=dataset.x[: args.subset])
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    result = {
        "device": str(device),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "dataset": dataset.name,
        "images": len(dataset.x),
        "epoch_s": round(time_epoch(dataset.x, device), 3),
        "loglik_image_samples_per_s": round(time_loglik(dataset.x[: args.loglik_images], device)),
        "peak_mem_mb": None,
    }
    result["explorer_ms"] = time_explorers(args.explorers or None) if args.explorers != [] else {}
    if args.reference:
        images = (
            (dataset.x.numpy().reshape(-1, *dataset.image_shape) * 255).round().astype(np.uint8)
        )
        result["reference_epoch_s"] = round(time_reference_epoch(images), 3)
        result["speedup"] = round(result["reference_epoch_s"] / result["epoch_s"], 2)
    result["peak_mem_mb"] = round(_peak_mem_mb(device), 1)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    return result


if __name__ == "__main__":
    main()
