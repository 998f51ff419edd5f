"""Where tensors live and how runs are made repeatable (used by every chapter's setup cell)."""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch

__all__ = ["default_device", "seed_everything", "seeded", "by_device"]


def default_device() -> torch.device:
    """The device the book computes on: ``cuda``, then ``mps``, then ``cpu``.

    Set the environment variable ``VAE_LESSONS_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) to override.
    """
    name = os.environ.get("VAE_LESSONS_DEVICE")
    if name:
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch (all devices); return a CPU ``torch.Generator`` so seeded."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def seeded(seed: int, device: torch.device):
    """``with seeded(seed, device):`` seeds torch's global generator for ``device`` inside the
    block and restores it afterwards, so a seeded computation leaves the caller's stream alone.

    The generator gets ``seed`` + 2³¹, not ``seed``: data drawn right after
    ``torch.manual_seed(seed)`` (e.g. by ``vl.setup``) must not reappear as the block's noise.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    kind = device.type
    with torch.random.fork_rng(
        devices=[] if kind == "cpu" else None, device_type="cuda" if kind == "cpu" else kind
    ):
        torch.manual_seed(seed + 2**31)
        yield


def by_device(*, cpu, gpu, device: torch.device | str | None = None):
    """Pick an experiment size by device: ``EPOCHS = by_device(cpu=3, gpu=30)``.

    A notebook states its sizes once; on a CPU (the book's build machine) it uses the small
    value, on a GPU (Colab, a workstation) the paper-like one. ``mps`` counts as a GPU.
    """
    device = torch.device(device) if device is not None else default_device()
    return cpu if device.type == "cpu" else gpu
