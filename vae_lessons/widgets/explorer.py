"""An explorer: a drawing function over a grid of slider values, shown live and as a static twin."""

from __future__ import annotations

import inspect
import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine

from ..device import default_device
from . import twin
from .live import LiveView
from .sliders import Slider
from .twin import StaticTwin

__all__ = ["MAX_FRAMES", "Explorer", "explorer"]

#: The largest slider grid (product of the sliders' sizes) a static twin may hold.
MAX_FRAMES = 60


def _check_accepts(fn, args: tuple, values: dict, what: str) -> None:
    try:
        inspect.signature(fn).bind(*args, **values)
    except TypeError as err:
        raise ValueError(f"{what} must accept the sliders {list(values)}: {err}") from None


class Explorer:
    """``fn(fig, **values)`` over its sliders; :attr:`live` and :attr:`twin` are its two views.

    Build it with :func:`explorer`. :meth:`draw` gives ``fn`` a new Agg figure with the shared
    layout; :attr:`live` (:class:`~vae_lessons.widgets.live.LiveView`) is the ipywidgets view,
    :attr:`twin` (:class:`~vae_lessons.widgets.twin.StaticTwin`) the precomputed HTML. ``figure``
    is the last frame drawn.
    """

    def __init__(self, fn, sliders, *, title, effective, device, figsize, dpi, twin_dpi):
        if not callable(fn):
            raise ValueError(f"fn must be callable, got {fn!r}")
        if not isinstance(sliders, dict) or not sliders:
            raise ValueError("sliders must be a non-empty dict: name -> Slider or list of values")
        self.sliders = {k: s if isinstance(s, Slider) else Slider(s) for k, s in sliders.items()}
        sizes = {name: len(s.values) for name, s in self.sliders.items()}
        if math.prod(sizes.values()) > MAX_FRAMES:
            shape = " × ".join(f"{n} ({name})" for name, n in sizes.items())
            raise ValueError(
                f"sliders span {shape} = {math.prod(sizes.values())} grid points, more than the "
                f"static twin's MAX_FRAMES = {MAX_FRAMES}; give the sliders fewer values"
            )
        _check_accepts(fn, (None,), self.defaults(), "fn(fig, **values)")
        if effective is not None:
            _check_accepts(effective, (), self.defaults(), "effective(**values)")
        self.fn, self.title, self.effective = fn, title, effective
        self.device = torch.device(device) if device is not None else default_device()
        self.figsize, self.dpi, self.twin_dpi = figsize, dpi, twin_dpi
        self.figure = None
        self._margins = None
        self.live, self.twin = LiveView(self), StaticTwin(self)

    def defaults(self) -> dict:
        """The default value of each slider."""
        return {name: s.default for name, s in self.sliders.items()}

    def grid(self) -> list[dict]:
        """Every grid point (slider values) in the twin's frame order: the last slider fastest."""
        names = list(self.sliders)
        return [
            dict(zip(names, combo, strict=True))
            for combo in itertools.product(*(s.values for s in self.sliders.values()))
        ]

    def effective_text(self, values: dict) -> str:
        """The line under the sliders for ``values`` (empty without ``effective``)."""
        return self.effective(**values) if self.effective is not None else ""

    def draw(self, **values) -> Figure:
        """Let ``fn`` draw ``values`` into a new figure with the shared layout; return it.

        A new Agg figure costs ~0.2 ms; clearing the previous one costs ~12 ms, because
        ``Figure.clear`` clears every Axes before removing it. The subplot margins are computed
        once, on the first frame, and reused, so panels do not jump and no layout engine runs
        per frame.
        """
        fig = self.figure = Figure(figsize=self.figsize, dpi=self.dpi)
        FigureCanvasAgg(fig)
        if self._margins is not None:
            fig.subplots_adjust(**self._margins)
        self.fn(fig, **values)
        if self._margins is None:
            # Not fig.tight_layout(): that leaves a layout engine on the figure, and savefig
            # then draws every frame twice.
            TightLayoutEngine().execute(fig)
            self._margins = {k: float(v) for k, v in vars(fig.subplotpars).items()}
        return fig

    def layout(self) -> None:
        """Fix the shared layout from the default frame, if no frame was drawn yet."""
        if self._margins is None:
            self.draw(**self.defaults())

    def render(self, **values) -> bytes:
        """PNG bytes of the figure for ``values`` (the live view's resolution)."""
        return twin._png(self.draw(**values), self.dpi, palette=False)

    # The two views, by the names chapters and the benchmark use.
    @property
    def widget(self):
        """The live ipywidgets explorer (built on first use)."""
        return self.live.widget

    def measure_latency(self, n: int = 20) -> float:
        """Median ms per slider move of the live view (see :meth:`LiveView.measure_latency`)."""
        return self.live.measure_latency(n)

    def twin_html(self) -> str:
        """The static twin's HTML fragment (see :class:`StaticTwin`)."""
        return self.twin.html()

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(s.values)} values" for k, s in self.sliders.items())
        return f"Explorer({sizes}; live in Jupyter or Colab, static twin in the HTML book)"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = repr(self)
        if twin.enabled():
            bundle["text/html"] = self.twin_html()
        return bundle


def explorer(
    fn: Callable[..., Any],
    sliders: dict[str, Slider | Sequence[Any]],
    *,
    title: str | None = None,
    effective: Callable[..., str] | None = None,
    device: torch.device | str | None = None,
    figsize: tuple[float, float] = (8.0, 3.2),
    dpi: float = 80,
    twin_dpi: float = 72,
) -> Explorer:
    """Build an explorer of ``fn(fig, **values)`` over ``sliders`` (see :mod:`vae_lessons.widgets`).

    - ``fn`` draws the figure for one choice of slider values into ``fig`` (a new, empty
      :class:`~matplotlib.figure.Figure` of size ``figsize``), e.g. with ``fig.subplots(1, 2)``.
    - ``sliders``: parameter name -> :class:`Slider` (or a plain list of values), e.g.
      ``{"beta": log(0.1, 10, 9, label="β"), "k": [1, 10, 100]}``; at most :data:`MAX_FRAMES`
      grid points in all.
    - ``effective(**values) -> str``: optional line shown under the sliders, e.g. the weight the
      current values put on each loss term (``"β·KL weight = 4"``).
    - ``device``: where ``fn`` computes, shown with the timing (default: ``default_device()``).
    - ``dpi`` of the live image, ``twin_dpi`` of the static twin's frames.
    """
    return Explorer(
        fn,
        sliders,
        title=title,
        effective=effective,
        device=device,
        figsize=figsize,
        dpi=dpi,
        twin_dpi=twin_dpi,
    )
