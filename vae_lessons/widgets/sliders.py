"""Sliders over fixed grids of values: the controls of every explorer (and of its static twin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Slider", "linear", "log"]


def _fmt(value, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Slider:
    """A slider over a fixed list of ``values``; its position is the index into that list.

    ``label`` is what the reader sees (default: the parameter name), ``default`` the starting
    value (default: the middle one). ``log=True`` marks values spaced by a constant ratio (all
    positive), so equal slider steps multiply the value; see :func:`log`.
    """

    values: Sequence[Any]
    label: str | None = None
    default: Any = None
    log: bool = False

    def __post_init__(self):
        values = tuple(self.values)
        object.__setattr__(self, "values", values)
        if not values:
            raise ValueError("values must hold at least one value")
        if len(set(map(repr, values))) != len(values):
            raise ValueError(f"values must be distinct, got {values}")
        if self.default is None:
            object.__setattr__(self, "default", values[len(values) // 2])
        elif self.default not in values:
            raise ValueError(f"default must be one of values {values}, got {self.default!r}")
        if self.log and not all(isinstance(v, (int, float)) and v > 0 for v in values):
            raise ValueError(f"values of a log slider must be positive numbers, got {values}")

    @property
    def labels(self) -> list[str]:
        """The values as the reader sees them: 3 significant digits, more where needed to differ."""
        for digits in range(3, 17):
            labels = [_fmt(v, digits) for v in self.values]
            if len(set(labels)) == len(labels):
                return labels
        return [repr(v) for v in self.values]

    def label_of(self, value) -> str:
        """The label shown for ``value``."""
        return self.labels[self.values.index(value)]


def _grid(lo, hi, n, spacing) -> list[float]:
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not hi > lo:
        raise ValueError(f"hi must be greater than lo, got lo={lo!r}, hi={hi!r}")
    return [float(f"{v:.4g}") for v in spacing(lo, hi, n)]


def linear(lo: float, hi: float, n: int, *, label=None, default=None) -> Slider:
    """A slider over ``n`` evenly spaced values from ``lo`` to ``hi`` (4 significant digits)."""
    return Slider(_grid(lo, hi, n, np.linspace), label=label, default=default)


def log(lo: float, hi: float, n: int, *, label=None, default=None) -> Slider:
    """A log-scale slider: ``n`` values from ``lo`` to ``hi`` with a constant ratio.

    For parameters whose range spans decades (β, λ, σ, the sample count K). Values keep 4
    significant digits, so ``log(0.1, 10, 9)`` holds ``1.0`` exactly.
    """
    if not lo > 0:
        raise ValueError(f"lo must be positive for a log slider, got {lo!r}")
    return Slider(_grid(lo, hi, n, np.geomspace), label=label, default=default, log=True)
