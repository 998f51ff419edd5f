"""Explorers: a plotting function plus sliders, live in a kernel and a static twin in the HTML book.

Chapters use it for the q mean/scale explorer (ch. 2: log p(x), ELBO and gap), the σ and
sample-count explorer (ch. 3: gradient-estimator variance) and the β explorer (ch. 5)::

    BETA = vl.widgets.log(0.1, 10, 9, label="β")
    models = {beta: train_beta_vae(beta) for beta in BETA.values}  # expensive: once per grid

    def draw(fig, beta):                  # draws one frame into the new, empty figure it is given
        ax1, ax2 = fig.subplots(1, 2)
        vl.plots.show_reconstructions(x, models[beta].reconstruct(x), (28, 28), ax=ax1)
        ...

    vl.widgets.explorer(draw, {"beta": BETA}, title=vl.tr("β 탐색기", "β explorer"),
                        effective=lambda beta: vl.tr(f"KL 가중치 β = {beta:g}",
                                                     f"KL weight β = {beta:g}"))

The package has one file per part: :mod:`.sliders` (:class:`Slider`, :func:`linear`, :func:`log`),
:mod:`.explorer` (:class:`Explorer`: the drawing function, its grid and shared layout),
:mod:`.live` (:class:`LiveView`) and :mod:`.twin` (:class:`StaticTwin`). Displaying an
:class:`Explorer` gives its two views of the same function:

- ``application/vnd.jupyter.widget-view+json``: the live ipywidgets explorer (Jupyter, Colab).
  Each slider change calls ``fn(fig, **values)`` with an empty Agg figure (no pyplot, nothing
  displayed or kept), renders it to PNG bytes into an ``ipywidgets.Image`` and shows the time it
  took ("23 ms on cpu").
- ``text/html``: the static twin for the HTML book (whose config prefers ``text/html``): ``fn``
  precomputed over the whole slider grid (at most :data:`MAX_FRAMES` points), each frame an
  inline PNG, one ``<input type="range">`` per slider and a few lines of inline script that show
  the matching frame. No CDN, no external file; without JavaScript the default frame still shows.
  It is skipped in Colab and when the environment sets ``VAE_LESSONS_TWIN=0``.

The page layout (subplot margins) is computed once, on the first frame drawn, and reused, so the
panels do not jump while a slider moves and no layout engine runs per frame. The function receives
slider *values*; anything expensive per value (the β-VAE models of ch. 5) is the caller's to
compute once for the grid and look up, which keeps the slider instant.

Latency (slider change -> new PNG in the Image widget, :meth:`Explorer.measure_latency`) is a
benchmark, not a test: ``python -m vae_lessons.bench`` reports it for every chapter's explorer
(:mod:`vae_lessons.explorers`); the bar is a median of 150 ms on the book's 2-core CPU. The time
goes to creating the axes and their ticks and to Agg drawing text (a log axis adds ≈ 30 ms for
its minor ticks); PNG encoding takes ≈ 5 ms. A 45-frame twin is ≈ 11 kB a frame (72 dpi,
256-colour PNG).
"""

from __future__ import annotations

from .explorer import MAX_FRAMES, Explorer, explorer
from .live import LiveView
from .sliders import Slider, linear, log
from .twin import StaticTwin

__all__ = [
    "MAX_FRAMES",
    "Explorer",
    "LiveView",
    "Slider",
    "StaticTwin",
    "explorer",
    "linear",
    "log",
]
