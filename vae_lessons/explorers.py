"""Every chapter's explorer, built from what the chapter computed (ch. 2, 3, 5; Parts II, III).

A chapter calls one function here, e.g. ``explorers.beta_vae(grid, summary, x_show)``, which
returns a :class:`vae_lessons.widgets.Explorer` (live in Jupyter, a static twin in the HTML
book). Keeping the drawing code in the package lets ``python -m vae_lessons.bench`` time every
explorer's slider → new frame latency: each explorer registers, with :func:`benchmark`, a
factory that builds it at the chapter's sizes from inputs made in a few seconds (models trained
briefly or left untrained: the latency depends on what is drawn, not on how good the model is).
The book's bar is a median of at most 150 ms per slider move on its 2-core CPU.
"""

from __future__ import annotations

from collections.abc import Callable

from .widgets import Explorer

__all__ = ["BENCHMARKS", "benchmark"]

#: name -> factory of a representative explorer, timed by ``python -m vae_lessons.bench``.
BENCHMARKS: dict[str, Callable[[], Explorer]] = {}


def benchmark(name: str):
    """Register ``factory() -> Explorer`` under ``name`` (e.g. ``"ch5 β"``) for the benchmark."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str, got {name!r}")

    def register(factory: Callable[[], Explorer]) -> Callable[[], Explorer]:
        if name in BENCHMARKS:
            raise ValueError(f"an explorer benchmark named {name!r} is registered already")
        BENCHMARKS[name] = factory
        return factory

    return register
