"""Every chapter's explorer, built from what the chapter computed (ch. 5, 6, 7, 10, 11).

A chapter calls one function here, e.g. ``explorers.beta_vae(grid, summary, x, z, shape, ...)``,
which returns a :class:`vae_lessons.widgets.Explorer` (live in Jupyter, a static twin in the
HTML book). Keeping the drawing code in the package lets ``python -m vae_lessons.bench`` time every
explorer's slider → new frame latency: each explorer registers, with :func:`benchmark`, a
factory that builds it at the chapter's sizes from inputs made in a few seconds (models trained
briefly or left untrained: the latency depends on what is drawn, not on how good the model is).
The book's bar is a median of at most 150 ms per slider move on its 2-core CPU.

One module per chapter — :mod:`.ch05_beta` (:func:`beta_vae`), :mod:`.ch06_proposal`
(:func:`proposal`), :mod:`.ch07_iwae` (:func:`iwae_k`), :mod:`.ch10_bandwidth`
(:func:`bandwidth`), :mod:`.ch11_infovae` (:func:`infovae_lambda`) — the registry
(:mod:`.registry`: :data:`BENCHMARKS`, :func:`benchmark`) and the blitting they share
(:mod:`._canvas`: a background drawn once, figure-level artists per frame).
"""

from __future__ import annotations

from .ch05_beta import beta_vae
from .ch06_proposal import proposal
from .ch07_iwae import iwae_k
from .ch10_bandwidth import bandwidth
from .ch11_infovae import infovae_lambda
from .registry import BENCHMARKS, benchmark

__all__ = [
    "BENCHMARKS",
    "benchmark",
    "bandwidth",
    "beta_vae",
    "infovae_lambda",
    "iwae_k",
    "proposal",
]
