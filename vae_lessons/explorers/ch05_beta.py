"""The β explorer of chapter 5 (β-VAE): reconstructions, rate–distortion and KL per dimension."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.collections import PolyCollection
from matplotlib.layout_engine import TightLayoutEngine

from .. import sweeps
from ..device import seeded
from ..models import VAE
from ..plots import tr
from ..widgets import Explorer, Slider, log
from ._canvas import Canvas, decoded_panels, figure
from .registry import benchmark

__all__ = ["beta_vae"]


def beta_vae(
    grid, summary, x_show, z_prior, image_shape, *, slider: Slider, dpi: float = 80
) -> Explorer:
    """The β explorer of chapter 5 over a grid trained by :func:`vae_lessons.sweeps.train_grid`.

    ``grid``: β -> (model, history); ``summary``: β -> :class:`vae_lessons.sweeps.Summary` on
    the test images; ``x_show [n, x_dim]`` test images to reconstruct; ``z_prior [2n, z_dim]``
    draws z ~ p(z) decoded for every β; ``slider`` over the keys of ``grid``. A frame shows the
    reconstructions and the decoded prior draws, the grid's rate–distortion points with the
    current one and the line D + βR = const through it, and the KL of each latent dimension
    (nats per example) with the number of active units.

    Built for a quick slider (blitting, :mod:`vae_lessons.explorers._canvas`): what no slider
    move changes — axes, ticks, labels, the grid's rate–distortion curve — is rendered once into
    a background at ``dpi``, and each β's pictures are decoded and tiled once. A move draws the
    background, that β's pictures, the line, the point, the bars and the count: figure-level
    artists, no Axes.
    """
    betas = list(grid)
    if list(slider.values) != betas or set(summary) != set(betas):
        raise ValueError("slider, grid and summary must hold the same β values, in grid order")
    if len(z_prior) != 2 * len(x_show):
        raise ValueError("z_prior must hold twice as many draws as x_show holds images")
    rates = np.array([summary[b].rate for b in betas])
    distortions = np.array([summary[b].distortion for b in betas])
    kl = {b: summary[b].kl_per_dim.numpy() for b in betas}
    z_dim = len(kl[betas[0]])
    r_lim = (0.0, 1.05 * float(rates.max()) + 1e-3)
    d_lim = (0.97 * float(distortions.min()), 1.03 * float(distortions.max()) + 1e-3)
    kl_lim = (0.0, 1.05 * max(float(v.max()) for v in kl.values()) + 1e-3)
    nats = tr("데이터 포인트당 nats", "nats per example")

    bg = figure((9.0, 5.4), dpi)
    gs = bg.add_gridspec(2, 2, height_ratios=[1, 2])
    ax_img = bg.add_subplot(gs[0, :])
    ax_img.set_axis_off()
    ax_rd, ax_kl = bg.add_subplot(gs[1, 0]), bg.add_subplot(gs[1, 1])
    ax_rd.plot(rates, distortions, "o-", color="0.7")
    ax_rd.set(
        xlim=r_lim,
        ylim=d_lim,
        title=tr("율-왜곡: 회색 β 격자, 빨강 지금 β", "rate–distortion: grey the grid, red this β"),
        xlabel=tr(f"율 R ({nats})", f"rate R ({nats})"),
        ylabel=tr(f"왜곡 D ({nats})", f"distortion D ({nats})"),
    )
    ax_kl.set(
        xlim=(-0.6, z_dim - 0.4),
        ylim=kl_lim,
        xticks=np.arange(z_dim),
        title=tr("차원별 KL", "KL per dimension"),  # reserves the room of the per-β title
        xlabel=tr("잠재 차원 j", "latent dimension j"),
        ylabel=f"KL ({nats})",
    )
    TightLayoutEngine().execute(bg)
    ax_kl.set_title("")
    panels, at = decoded_panels(bg, ax_img, grid, x_show, z_prior, image_shape)
    canvas = Canvas(bg, {"rd": ax_rd, "kl": ax_kl})
    j = np.arange(z_dim)

    def draw(fig, beta):
        s = summary[beta]
        canvas.paste(fig, panels[beta], at)
        r = np.array(r_lim)
        canvas.line(
            fig, "rd", r, s.distortion - beta * (r - s.rate), clip=True, ls="--", color="C1"
        )
        canvas.line(fig, "rd", [s.rate], [s.distortion], marker="o", ms=9, color="C3")
        corners = [
            canvas.to_fig["kl"].transform(np.stack([j + dx, h], 1))
            for dx, h in (
                (-0.4, 0 * kl[beta]),
                (-0.4, kl[beta]),
                (0.4, kl[beta]),
                (0.4, 0 * kl[beta]),
            )
        ]
        fig.add_artist(PolyCollection(np.stack(corners, 1), color="C0", transform=fig.transFigure))
        canvas.title(
            fig,
            "kl",
            tr(
                f"차원별 KL · 활성 유닛 {s.active_units}/{z_dim}개",
                f"KL per dimension · {s.active_units}/{z_dim} active units",
            ),
            pad=0.01,
            fontsize="large",
        )

    def effective(beta):
        return tr(
            f"목적 함수 E[log p(x|z)] − {beta:g}·KL: KL 항의 가중치 {beta:g} "
            "(β = 1이면 VAE의 ELBO)",
            f"objective E[log p(x|z)] − {beta:g}·KL: the KL term's weight is {beta:g} "
            "(β = 1: the VAE's ELBO)",
        )

    return canvas.explorer(draw, {"beta": slider}, tr("β 탐색기", "β explorer"), effective)


@benchmark("ch5 β")
def _beta_vae_benchmark() -> Explorer:
    """The chapter's β explorer: nine untrained 784-400-10 models, 256 random binary images."""
    slider = log(0.125, 32, 9, label="β", default=1.0)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(256, 784, generator=g) < 0.2).float()
    grid = {}
    for beta in slider.values:
        with seeded(len(grid), torch.device("cpu")):  # the caller's random stream stays as it was
            grid[beta] = (VAE.mlp(784, 10).eval(), None)
    summary = {beta: sweeps.summarize(model, x) for beta, (model, _) in grid.items()}
    z_prior = torch.randn(16, 10, generator=g)
    return beta_vae(grid, summary, x[:8], z_prior, (28, 28), slider=slider)
