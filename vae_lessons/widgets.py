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

Displaying an :class:`Explorer` gives two views of the same function:

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

Latency (slider change -> new PNG in the Image widget, :meth:`Explorer.measure_latency`), on the
2-core development VM shared with other jobs: the representative evaluate-only explorer of
``tests/test_widgets.py`` (ch. 2 style: two line panels, legends, 8×3.2 in at 80 dpi) has a median
of 67-75 ms at load ≈ 2.4 and 110 ms at load 3.6 (requirement: < 150 ms); a log axis adds ≈ 30 ms
(its minor ticks). The time goes to creating the axes and their ticks and to Agg drawing text;
PNG encoding takes ≈ 5 ms. Its static twin: 45 frames, ≈ 11 kB each (72 dpi, 256-colour PNG).
"""

from __future__ import annotations

import base64
import hashlib
import html
import inspect
import io
import itertools
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine
from PIL import Image

from .device import default_device
from .plots import msg

__all__ = ["MAX_FRAMES", "Explorer", "Slider", "explorer", "linear", "log"]

#: The largest slider grid (product of the sliders' sizes) a static twin may hold.
MAX_FRAMES = 60


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


def _twin_enabled() -> bool:
    return "google.colab" not in sys.modules and os.environ.get("VAE_LESSONS_TWIN", "1") != "0"


def _png(fig: Figure, dpi: float, *, palette: bool) -> bytes:
    """Render ``fig`` with Agg; ``palette=True`` quantizes to 256 colours (about half the bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    if not palette:
        return buf.getvalue()
    out = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(256).save(out, format="png", optimize=True)
    return out.getvalue()


class Explorer:
    """A function ``fn(fig, **values)`` and its sliders, shown live and as a static twin.

    Build it with :func:`explorer`. Attributes: ``sliders`` (name -> :class:`Slider`), ``figure``
    (the last frame drawn), and after the live view is built (``widget``) ``controls`` (name ->
    ``ipywidgets.SelectionSlider``), ``image`` (``ipywidgets.Image``) and ``status``.
    """

    def __init__(self, fn, sliders, *, title, effective, device, figsize, dpi, twin_dpi):
        if not callable(fn):
            raise ValueError(f"fn must be callable, got {fn!r}")
        if not isinstance(sliders, dict) or not sliders:
            raise ValueError("sliders must be a non-empty dict: name -> Slider or list of values")
        self.sliders = {
            name: s if isinstance(s, Slider) else Slider(s) for name, s in sliders.items()
        }
        sizes = {name: len(s.values) for name, s in self.sliders.items()}
        frames = math.prod(sizes.values())
        if frames > MAX_FRAMES:
            shape = " × ".join(f"{n} ({name})" for name, n in sizes.items())
            raise ValueError(
                f"sliders span {shape} = {frames} grid points, more than the static twin's "
                f"MAX_FRAMES = {MAX_FRAMES}; give the sliders fewer values"
            )
        defaults = self.defaults()
        for check in (fn, effective):
            if check is None:
                continue
            args = (None,) if check is fn else ()
            try:
                inspect.signature(check).bind(*args, **defaults)
            except TypeError as err:
                which = "fn(fig, **values)" if check is fn else "effective(**values)"
                raise ValueError(
                    f"{which} must accept the sliders {list(defaults)}: {err}"
                ) from None
        self.fn, self.title, self.effective = fn, title, effective
        self.device = torch.device(device) if device is not None else default_device()
        self.figsize, self.dpi, self.twin_dpi = figsize, dpi, twin_dpi
        self.figure = None  # the last frame drawn
        self._margins = None
        self._widget = None
        self._twin = None

    # -- drawing -------------------------------------------------------------------------------
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

    def draw(self, **values) -> Figure:
        """Let ``fn`` draw ``values`` into a new figure with the shared layout; return it.

        A new Agg figure costs ~0.2 ms; clearing the previous one costs ~12 ms, because
        ``Figure.clear`` clears every Axes before removing it.
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

    def render(self, **values) -> bytes:
        """PNG bytes of the figure for ``values`` (the live view's resolution)."""
        return _png(self.draw(**values), self.dpi, palette=False)

    # -- live view -----------------------------------------------------------------------------
    @property
    def widget(self):
        """The live ipywidgets explorer (built on first use)."""
        if self._widget is None:
            self._widget = self._build_widget()
        return self._widget

    def _build_widget(self):
        import ipywidgets as w

        self.controls = {
            name: w.SelectionSlider(
                options=list(zip(s.labels, s.values, strict=True)),
                value=s.default,
                description=s.label or name,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=w.Layout(width="480px"),
            )
            for name, s in self.sliders.items()
        }
        self.image = w.Image(format="png")
        self.status = w.HTML()
        self._effective_label = w.HTML()
        self._errors = w.Output()
        for control in self.controls.values():
            control.observe(self._update, names="value")
        header = [w.HTML(f"<b>{html.escape(self.title)}</b>")] if self.title else []
        self._update()
        return w.VBox(
            [
                *header,
                *self.controls.values(),
                self._effective_label,
                self.image,
                self.status,
                self._errors,
            ]
        )

    def _update(self, change=None):
        with self._errors:
            values = {name: c.value for name, c in self.controls.items()}
            start = time.perf_counter()
            png = self.render(**values)
            ms = 1000 * (time.perf_counter() - start)
            self.image.value = png
            self.status.value = (
                f"<small>{html.escape(msg('timing', ms=ms, device=self.device))}</small>"
            )
            self._effective_label.value = html.escape(self._effective_text(values))

    def _effective_text(self, values) -> str:
        return self.effective(**values) if self.effective is not None else ""

    def measure_latency(self, n: int = 20) -> float:
        """Median milliseconds from a slider change to the new PNG in the live view's Image.

        Moves the first slider with more than one value ``n`` steps back and forth through its
        values (the other sliders stay where they are), then returns it to its default. Every
        step draws a new frame: nothing is cached. Wall-clock time, so other processes competing
        for the CPU inflate it.
        """
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        self.widget  # noqa: B018 (build the live view)
        name = next((k for k, s in self.sliders.items() if len(s.values) > 1), None)
        if name is None:
            raise ValueError("sliders must include one with more than one value to measure")
        control, values = self.controls[name], self.sliders[name].values
        cycle = list(values) + list(values[-2:0:-1])  # 0 1 2 … n-1 n-2 … 1
        start_index = values.index(control.value)
        times = []
        for i in range(1, n + 1):
            start = time.perf_counter()
            control.value = cycle[(start_index + i) % len(cycle)]
            times.append(1000 * (time.perf_counter() - start))
        control.value = self.sliders[name].default
        return statistics.median(times)

    # -- static twin ---------------------------------------------------------------------------
    def twin_frames(self) -> list[bytes]:
        """One palette PNG per grid point (order of :meth:`grid`), at ``twin_dpi``."""
        if self._margins is None:
            self.draw(**self.defaults())  # the layout comes from the default frame
        return [_png(self.draw(**v), self.twin_dpi, palette=True) for v in self.grid()]

    def twin_html(self) -> str:
        """The static twin: a self-contained HTML fragment (computed once, then cached)."""
        if self._twin is None:
            self._twin = self._build_twin()
        return self._twin

    def _build_twin(self) -> str:
        grid, frames = self.grid(), self.twin_frames()
        default_index = grid.index(self.defaults())
        uid = "vl-twin-" + hashlib.sha1(b"".join(frames)).hexdigest()[:12]
        controls = []
        for name, s in self.sliders.items():
            labels = s.labels
            idx = s.values.index(s.default)
            label = html.escape(s.label or name)
            controls.append(
                f'<label style="display:block">{label} '
                f'<input type="range" min="0" max="{len(labels) - 1}" step="1" value="{idx}" '
                f'data-labels="{html.escape(json.dumps(labels))}" '
                f'aria-label="{label}" style="vertical-align:middle;width:320px"> '
                f"<output>{html.escape(labels[idx])}</output></label>"
            )
        imgs = []
        for i, (values, png) in enumerate(zip(grid, frames, strict=True)):
            alt = ", ".join(
                f"{s.label or k} = {s.labels[s.values.index(values[k])]}"
                for k, s in self.sliders.items()
            )
            hidden = "" if i == default_index else "display:none;"
            imgs.append(
                f'<img alt="{html.escape(alt)}" '
                f'data-effective="{html.escape(self._effective_text(values))}" '
                f'style="{hidden}max-width:100%;height:auto" '
                f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
            )
        title = f"<div><b>{html.escape(self.title)}</b></div>" if self.title else ""
        effective = html.escape(self._effective_text(grid[default_index]))
        note = html.escape(msg("twin_note", n=len(frames)))
        return (
            f'<div class="vl-twin" id="{uid}">{title}{"".join(controls)}'
            f'<div class="vl-twin-effective">{effective}</div>'
            f'<div class="vl-twin-frames">{"".join(imgs)}</div>'
            f'<div class="vl-twin-note"><small>{note}</small></div>'
            f"<script>{_TWIN_JS.replace('UID', uid)}</script></div>"
        )

    # -- display -------------------------------------------------------------------------------
    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}: {len(s.values)} values" for k, s in self.sliders.items())
        return f"Explorer({sizes}; live in Jupyter or Colab, static twin in the HTML book)"

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = dict(self.widget._repr_mimebundle_())
        bundle["text/plain"] = repr(self)
        if _twin_enabled():
            bundle["text/html"] = self.twin_html()
        return bundle


# Frame index = the sliders' positions read as a mixed-radix number (last slider fastest).
_TWIN_JS = """(function () {
var root = document.getElementById("UID");
if (!root) { return; }
var inputs = root.querySelectorAll("input[type=range]");
var imgs = root.querySelectorAll(".vl-twin-frames img");
var effective = root.querySelector(".vl-twin-effective");
function show() {
  var k = 0;
  for (var i = 0; i < inputs.length; i++) {
    var labels = JSON.parse(inputs[i].getAttribute("data-labels"));
    k = k * labels.length + Number(inputs[i].value);
    inputs[i].nextElementSibling.textContent = labels[Number(inputs[i].value)];
  }
  for (var j = 0; j < imgs.length; j++) { imgs[j].style.display = j === k ? "" : "none"; }
  effective.textContent = imgs[k].getAttribute("data-effective");
}
for (var i = 0; i < inputs.length; i++) { inputs[i].addEventListener("input", show); }
})();"""


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
    """Build an explorer of ``fn(fig, **values)`` over ``sliders`` (see the module docstring).

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
