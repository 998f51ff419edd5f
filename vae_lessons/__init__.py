"""vae_lessons — the tested PyTorch package behind the book *VAE Lessons (변분 오토인코더 실습)*.

Every chapter computes through this package: models and priors (`models`), training objectives
(`objectives`), likelihood and gradient estimators (`estimators`), diagnostics (`metrics`), data
loaders (`data`, `toy`), a training loop and slider grids (`train`, `sweeps`); Part II's
importance sampling (`importance`), IWAE (`iwae`) and jackknife (`jackknife`); Part III's
two-point model (`two_point`), MMD (`mmd`) and InfoVAE (`infovae`); figures and explorers
(`plots`, `widgets`, `explorers`), checks that can fail (`checks`, `report`) and paper
reproductions (`python -m vae_lessons.reproduce`).
"""

from __future__ import annotations

from . import (
    checks,
    data,
    estimators,
    explorers,
    importance,
    infovae,
    iwae,
    jackknife,
    metrics,
    mmd,
    models,
    objectives,
    plots,
    toy,
    train,
    two_point,
    widgets,
)
from .checks import report
from .device import by_device, default_device, seed_everything
from .plots import tr

__version__ = "0.1.0"
REPOSITORY = "https://github.com/vae-lessons/vae-lessons"

__all__ = [
    "checks",
    "data",
    "explorers",
    "estimators",
    "importance",
    "infovae",
    "iwae",
    "jackknife",
    "metrics",
    "mmd",
    "models",
    "objectives",
    "plots",
    "toy",
    "train",
    "two_point",
    "widgets",
    "by_device",
    "default_device",
    "report",
    "seed_everything",
    "setup",
    "tr",
    "__version__",
    "REPOSITORY",
]


def setup(lang: str = "ko", *, seed: int = 0):
    """The first cell of every chapter: language for figures, Hangul font, seed, device.

    Prints the device and the versions in use and returns the ``torch.device`` to compute on.
    """
    import platform

    import torch

    from . import plots

    plots.use_language(lang)
    seed_everything(seed)
    device = default_device()
    print(
        f"vae_lessons {__version__} | torch {torch.__version__} | "
        f"python {platform.python_version()} | device: {device} | lang: {lang}"
    )
    return device
