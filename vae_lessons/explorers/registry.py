"""The explorers' benchmark registry: ``python -m vae_lessons.bench`` times every entry.

Each chapter's module (ch. 5, 6, 7, 10, 11) registers, with :func:`benchmark`, a factory that
builds its explorer at the chapter's sizes; the book's bar is a median of at most 150 ms per
slider move on its 2-core CPU.
"""

from __future__ import annotations

from collections.abc import Callable

from ..widgets import Explorer

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
