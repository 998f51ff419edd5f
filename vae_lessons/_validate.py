"""Input checks shared by the package's public functions: each raises a ValueError naming the
parameter, so a wrong call fails at the surface instead of deep inside a computation."""

from __future__ import annotations

import torch


def count(name: str, value, smallest: int = 1) -> None:
    """``value`` must be an int ≥ ``smallest`` (a sample size, a number of repeats, k...)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < smallest:
        raise ValueError(f"{name} must be an int >= {smallest}, got {value!r}")


_SHAPES = {1: "[k]", 2: "[k, B]"}


def log_weights(log_w, dims: tuple[int, ...]) -> torch.Tensor:
    """``log_w`` must be log-weights ``[k]`` (dims 1) or ``[k, B]`` (dims 2) without NaN."""
    if not torch.is_tensor(log_w) or log_w.dim() not in dims or torch.isnan(log_w).any():
        shapes = " or ".join(_SHAPES[d] for d in dims)
        raise ValueError(f"log_w must be a tensor {shapes} of log-weights without NaN")
    return log_w
