"""The blitting the explorers of ch. 5, 6, 7, 10 and 11 share: a background drawn once.

What no slider move changes — axes, ticks, labels, legends — is rendered once into a background
image (:func:`figure`, then :class:`Canvas`), which keeps each axes' data → figure transform and
box. A frame pastes that image with ``fig.figimage`` and adds figure-level artists only (no Axes,
no layout, no tick): :meth:`Canvas.line`, :meth:`Canvas.polygon`, :meth:`Canvas.title`. The live
view and the static twin draw at the background's ``dpi``, so it is shown pixel for pixel.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Polygon
from matplotlib.transforms import TransformedBbox
from PIL import Image

from ..plots import _images, _mosaic, tr
from ..widgets import Explorer, Slider, explorer

__all__ = ["Canvas", "decoded_panels", "figure", "steps"]


def figure(figsize: tuple[float, float], dpi: float) -> Figure:
    """A new Agg figure for a background (no pyplot: nothing is displayed or kept)."""
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


class Canvas:
    """``background`` (laid out, with its axes ``axes``: name -> Axes) rendered once, for blitting.

    Build it when the background is final: it draws ``background`` into :attr:`image` and freezes
    each named axes' data → figure transform and its box (figure coordinates), so frames place
    figure-level artists exactly where those axes' data would be drawn.
    """

    def __init__(self, background: Figure, axes: dict[str, Axes]):
        background.canvas.draw()
        self.image = np.asarray(background.canvas.buffer_rgba()).copy()
        to_figure = background.transFigure.inverted()
        self.to_fig = {name: (ax.transData + to_figure).frozen() for name, ax in axes.items()}
        self.boxes = {name: ax.get_position() for name, ax in axes.items()}
        self.figsize, self.dpi = tuple(background.get_size_inches()), background.dpi

    def paste(self, fig: Figure, picture=None, at=(0, 0), cmap: str = "gray") -> None:
        """Draw the background into ``fig``, then ``picture`` (uint8 ``[h, w]``) with its upper
        left corner ``at`` pixels ``(x, y)`` from the lower left, coloured by ``cmap``."""
        fig.figimage(self.image, origin="upper")
        if picture is not None:
            fig.figimage(picture, *at, origin="upper", cmap=cmap, vmin=0, vmax=255)

    def line(self, fig: Figure, name: str, x, y, *, clip: bool = False, **style) -> None:
        """Add to ``fig`` the line through ``(x, y)`` in the data coordinates of axes ``name``
        (``style``: Line2D keywords); ``clip`` cuts it to that axes' box."""
        xy = self.to_fig[name].transform(np.stack([x, y], 1))
        line = Line2D(*xy.T, transform=fig.transFigure, **style)
        if clip:
            line.set_clip_box(TransformedBbox(self.boxes[name], fig.transFigure))
        fig.add_artist(line)

    def polygon(self, fig: Figure, name: str, xy, **style) -> None:
        """Add to ``fig`` the polygon of corners ``xy [n, 2]`` in axes ``name``'s data units."""
        corners = self.to_fig[name].transform(xy)
        fig.add_artist(Polygon(corners, transform=fig.transFigure, **style))

    def title(self, fig: Figure, name: str, text: str, *, pad: float = 0.015, **style) -> None:
        """Write ``text`` centred ``pad`` (figure fraction) over axes ``name``: a per-frame title
        in the room the background's placeholder title reserved."""
        box = self.boxes[name]
        fig.text((box.x0 + box.x1) / 2, box.y1 + pad, text, ha="center", va="bottom", **style)

    def explorer(self, draw, sliders: dict[str, Slider], title: str, effective) -> Explorer:
        """:func:`vae_lessons.widgets.explorer` of ``draw(fig, **values)`` over ``sliders``, with
        ``title`` and ``effective(**values)``, at the background's size and ``dpi`` (live view
        and static twin alike)."""
        return explorer(
            draw,
            sliders,
            title=title,
            effective=effective,
            figsize=self.figsize,
            dpi=self.dpi,
            twin_dpi=self.dpi,
        )


def steps(values, edges, height: float = 1) -> np.ndarray:
    """The histogram of ``values`` over ``edges`` as one closed polygon, ``height`` × counts high:
    ``[2 len(edges), 2]`` data coordinates."""
    counts, _ = np.histogram(values, edges)
    ys = np.concatenate([[0], np.repeat(height * counts, 2), [0]])
    return np.stack([np.repeat(edges, 2), ys], 1)


def _beta_panels(grid, x_show: torch.Tensor, z_prior: torch.Tensor, image_shape) -> dict:
    """One image per β (ch. 5) or λ (ch. 11): originals over reconstructions, a gap, decoded
    prior draws (2 rows)."""
    originals = _images(x_show.cpu(), image_shape)
    ncol = len(originals)
    panels = {}
    with torch.no_grad():
        for beta, (model, _) in grid.items():
            device = next(model.parameters()).device
            recons = _images(model.reconstruct(x_show.to(device)).cpu(), image_shape)
            samples = _images(model.decoder(z_prior.to(device)).mean.cpu(), image_shape)
            left = _mosaic(np.concatenate([originals, recons]), ncol)
            right = _mosaic(samples, -(-len(samples) // 2))
            gap = np.ones((left.shape[0], image_shape[1]), dtype=np.float32)
            panels[beta] = np.clip(np.concatenate([left, gap, right[: len(left)]], 1), 0, 1)
    return panels


def _fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` (values in [0, 1]) resized to fit ``width × height`` pixels, as uint8 grey."""
    scale = min(width / image.shape[1], height / image.shape[0])
    size = (max(1, round(scale * image.shape[1])), max(1, round(scale * image.shape[0])))
    grey = Image.fromarray(np.uint8(255 * image)).resize(size, Image.Resampling.BILINEAR)
    return np.asarray(grey)


def decoded_panels(
    background: Figure, ax: Axes, grid, x_show, z_prior, image_shape
) -> tuple[dict, tuple[int, int]]:
    """Each grid value's reconstructions and decoded prior draws (ch. 5 β, ch. 11 λ), fitted
    into the box of ``ax`` (laid out, axis off) with two headings written on ``background``.

    ``grid``: value -> (model, history); ``x_show [n, x_dim]``; ``z_prior [2n, z_dim]``. Returns
    value -> uint8 picture and the pixel position of its upper left corner, for
    :meth:`Canvas.paste`.
    """
    box = ax.get_window_extent()  # pixels
    panels = {
        value: _fit(p, int(box.width), int(box.height) - 20)  # 20 px for the headings
        for value, p in _beta_panels(grid, x_show, z_prior, image_shape).items()
    }
    height, width = next(iter(panels.values())).shape
    xo, yo = int(box.x0 + (box.width - width) / 2), int(box.y0)
    w = image_shape[1] + 1  # a tile and its padding
    left = (len(x_show) * w + 1) / (2 * len(x_show) * w + 1 + image_shape[1] + 1)
    headings = (
        tr("원본 / 재구성", "originals / reconstructions"),
        tr("사전 분포의 표본 z를 디코딩", "decoded draws z ~ p(z)"),
    )
    for centre, text in zip((left / 2, 1 - left / 2), headings, strict=True):
        x = (xo + centre * width) / background.bbox.width
        y = (yo + height + 4) / background.bbox.height
        background.text(x, y, text, ha="center", va="bottom")
    return panels, (xo, yo)
