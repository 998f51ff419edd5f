"""``python -m vae_lessons.bench``: how fast the book's reference model trains and is evaluated.

The reference model is the one of pytorch/examples ``vae/main.py`` (784-400-20 MLP, ReLU,
Bernoulli decoder, batch 128, Adam 1e-3). Printed: seconds per MNIST training epoch with
:func:`vae_lessons.train.fit`, images·samples per second of the k = 5000 likelihood estimate,
peak memory, and the median slider → new frame latency of every explorer registered in
:mod:`vae_lessons.explorers` (the book's bar: 150 ms). ``--reference`` also times an epoch
the way pytorch/examples feeds it (a per-sample ``Dataset`` converting each uint8 image through
PIL as torchvision's ``ToTensor`` does, and a ``DataLoader``), side by side on the same machine.
It also times IWAE training (Part II) on the 1-layer model of Burda et al. (2015), Table 1
(784-200-200-50, :func:`vae_lessons.reproduce.iwae_model`): seconds per 6 000 images of
``fit(objective="iwae", k=50)``, next to that pass's arithmetic limit, its matmul FLOPs at the
machine's measured float32 matmul rate (:func:`time_iwae`; the bar is 1.3× the limit).
``--json`` prints one JSON object. ``--only-explorers`` times the explorers and nothing else
(no data, no training): ``python -m vae_lessons.bench --only-explorers --explorers "ch5 β"``.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
import torch
from torch import nn

from . import data, estimators, explorers, reproduce, train
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


def iwae_flops(model, *, k: int) -> int:
    """Matmul FLOPs of one IWAE training pass over one image: 3 · 2 · (Σ_enc + k · Σ_dec).

    Σ_enc and Σ_dec are the sums of d_in · d_out over the encoder's and the decoder's linear
    layers (multiply-adds, 2 FLOPs each); the encoder runs once per image, the decoder once per
    sample (k times), and forward + backward ≈ 3 × forward. For 784-200-200-50: Σ_enc =
    784·200 + 200·200 + 200·100 and Σ_dec = 50·200 + 200·200 + 200·784, so 63.3 MFLOP at k = 50.
    """

    def macs(module) -> int:
        return sum(
            m.in_features * m.out_features for m in module.modules() if isinstance(m, nn.Linear)
        )

    return 6 * (macs(model.encoder) + k * macs(model.decoder))


def matmul_gflops(
    rows: int, inner: int, cols: int, device: torch.device, *, repeats: int = 20
) -> float:
    """GFLOP/s of the fastest of ``repeats`` float32 ``[rows, inner] @ [inner, cols]``."""
    a = torch.randn(rows, inner, device=device)
    b = torch.randn(inner, cols, device=device)
    out = torch.empty(rows, cols, device=device)
    best = float("inf")
    for _ in range(repeats + 2):  # the first two warm up
        _sync(device)
        start = time.perf_counter()
        torch.mm(a, b, out=out)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * rows * inner * cols / best / 1e9


def time_iwae(
    x: torch.Tensor, device: torch.device, *, k: int = 50, batch_size: int = 128, epochs: int = 2
) -> dict:
    """IWAE training speed against its arithmetic limit on the 784-200-200-50 model (Part II).

    Trains ``reproduce.iwae_model`` with ``fit(objective="iwae", k=k, binarize=True)`` on x
    ``[N, 784]`` and takes the fastest of ``epochs`` epochs. The limit is
    N · :func:`iwae_flops` / the rate of :func:`matmul_gflops` on the decoder's output layer,
    ``[k·batch_size, 200] @ [200, 784]``. Returns seconds, GFLOP, limit (all per 6 000 images),
    the rate in GFLOP/s and ``iwae_ratio`` = seconds / limit.
    """
    model = reproduce.iwae_model(x.shape[1])
    history = train.fit(
        model,
        x,
        objective="iwae",
        k=k,
        epochs=epochs,
        batch_size=batch_size,
        binarize=True,
        device=device,
        progress=False,
    )
    seconds = min(history.seconds) * 6000 / len(x)
    gflop = iwae_flops(model, k=k) * 6000 / 1e9
    hidden = model.decoder.net[-1].in_features
    rate = matmul_gflops(k * batch_size, hidden, x.shape[1], device)
    return {
        "iwae_k": k,
        "iwae_batch_size": batch_size,
        "iwae_s_per_6000": round(seconds, 3),
        "iwae_gflop_per_6000": round(gflop, 1),
        "matmul_gflops": round(rate, 1),
        "iwae_limit_s_per_6000": round(gflop / rate, 3),
        "iwae_ratio": round(seconds * rate / gflop, 2),
    }


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
        "--iwae-images",
        type=int,
        default=6000,
        help="images for the IWAE k=50 training epochs (default 6000; 0: skip)",
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
    parser.add_argument(
        "--only-explorers",
        action="store_true",
        help="time the explorers only (those named by --explorers, else all): no data, no training",
    )
    args = parser.parse_args(argv)
    if args.only_explorers and args.explorers == []:
        parser.error("--only-explorers with an empty --explorers leaves nothing to time")
    device = torch.device(args.device) if args.device else default_device()
    seed_everything(0)
    if args.only_explorers:
        result = {"device": str(device), "torch": torch.__version__}
        result["threads"] = torch.get_num_threads()
        result["explorer_ms"] = time_explorers(args.explorers or None)
        _print(result, args.json)
        return result
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
    if args.iwae_images:
        x_iwae = dataset.x[: args.iwae_images]
        if x_iwae.shape[1] != 784:  # the digits fallback: random images of MNIST's shape
            x_iwae = torch.rand(args.iwae_images, 784)  # (the speed does not depend on values)
        result.update(time_iwae(x_iwae, device))
    result["explorer_ms"] = time_explorers(args.explorers or None) if args.explorers != [] else {}
    if args.reference:
        images = (
            (dataset.x.numpy().reshape(-1, *dataset.image_shape) * 255).round().astype(np.uint8)
        )
        result["reference_epoch_s"] = round(time_reference_epoch(images), 3)
        result["speedup"] = round(result["reference_epoch_s"] / result["epoch_s"], 2)
    result["peak_mem_mb"] = round(_peak_mem_mb(device), 1)
    _print(result, args.json)
    return result


def _print(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
