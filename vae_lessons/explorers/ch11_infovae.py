"""The λ explorer of chapter 11 (InfoVAE): q(z) against p(z), pictures, and the curves over λ."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.layout_engine import TightLayoutEngine

from .. import infovae
from ..device import seeded
from ..models import VAE
from ..plots import tr
from ..widgets import Explorer, Slider, log
from ._canvas import Canvas, decoded_panels, figure
from .registry import benchmark

__all__ = ["infovae_lambda"]


def infovae_lambda(
    grid, summary, x_show, z_prior, codes, image_shape, *, slider: Slider, dpi: float = 64
) -> Explorer:
    """The λ explorer of chapter 11 over InfoVAE models trained by :func:`sweeps.train_grid`.

    ``grid``: λ -> (model, history); ``summary``: λ -> :class:`vae_lessons.infovae.InfoSummary`
    on the test images; ``x_show [n, x_dim]`` test images to reconstruct; ``z_prior [2n, z_dim]``
    draws z ~ p(z) decoded for every λ; ``codes``: λ -> ``[M, z_dim]`` draws z ~ q(z|x) of the
    test images (the first two dimensions are drawn over as many prior draws, in grey); ``slider``
    over the keys of ``grid`` (log scale). A frame shows q(z) against p(z), the reconstructions
    and decoded prior draws, and the current λ marked on the curves of the rate KL, the MMD, the
    reconstruction term and log det Cov[q(z)] over the grid.

    Blits like :func:`vae_lessons.explorers.beta_vae`: axes, curves and the prior's draws are a
    background rendered once at ``dpi``; each λ's pictures are tiled once; a move draws the
    codes, the pictures and four markers as figure-level artists.
    """
    lams = list(grid)
    if list(slider.values) != lams or set(summary) != set(lams) or set(codes) != set(lams):
        raise ValueError("slider, grid, summary and codes must hold the same λ values, in order")
    if len(z_prior) != 2 * len(x_show):
        raise ValueError("z_prior must hold twice as many draws as x_show holds images")
    curves = {
        "rate": (tr("율 KL(q(z|x) ‖ p(z))", "rate KL(q(z|x) ‖ p(z))"), "nats"),
        "mmd": ("MMD²(q(z), p(z))", tr("MMD² (단위 없음)", "MMD² (unitless)")),
        "reconstruction": (tr("재구성 E log p(x|z)", "reconstruction E log p(x|z)"), "nats"),
        "log_det_cov": (tr("log det Cov q(z) (사전 분포: 0)", "log det Cov q(z) (prior: 0)"), ""),
    }
    lim = 3.5
    prior_2d = torch.randn(
        len(next(iter(codes.values()))), 2, generator=torch.Generator().manual_seed(0)
    )

    bg = figure((10.0, 5.6), dpi)
    gs = bg.add_gridspec(2, 4, height_ratios=[1.5, 1])
    ax_z = bg.add_subplot(gs[0, 0])
    ax_img = bg.add_subplot(gs[0, 1:])
    ax_img.set_axis_off()
    ax_z.plot(*prior_2d.T.numpy(), ".", ms=2, color="0.7", label="z ~ p(z)")
    ax_z.plot([], [], ".", ms=4, color="C3", label=tr("z ~ q(z|x), 테스트", "z ~ q(z|x), test"))
    ax_z.set(
        xlim=(-lim, lim),
        ylim=(-lim, lim),
        xlabel="$z_1$",
        ylabel="$z_2$",
        title=tr("q(z)와 p(z) (처음 두 차원)", "q(z) and p(z) (first two dims)"),
    )
    ax_z.set_aspect("equal")
    ax_z.legend(loc="upper right", fontsize="x-small", markerscale=2)
    axes = {"z": ax_z}
    for i, (name, (title, unit)) in enumerate(curves.items()):
        ax = axes[name] = bg.add_subplot(gs[1, i])
        ax.plot(lams, [getattr(summary[lam], name) for lam in lams], "o-", color="0.6", ms=3)
        ax.set(xscale="log", xlabel="λ", ylabel=unit)
        ax.set_title(title, fontsize="small")
        if name == "log_det_cov":
            ax.axhline(0.0, color="k", lw=0.8, ls=":")
    TightLayoutEngine().execute(bg)
    panels, at = decoded_panels(bg, ax_img, grid, x_show, z_prior, image_shape)
    canvas = Canvas(bg, axes)
    shown = {lam: np.clip(c[:, :2].cpu().numpy(), -lim, lim) for lam, c in codes.items()}

    def effective(lam):
        return tr(
            f"α = 1, λ = {lam:g}: 목적 함수 E[log p(x|z)] − {lam:g}·MMD²(q(z), p(z)) "
            "(KL 항의 가중치 1 − α = 0)",
            f"α = 1, λ = {lam:g}: objective E[log p(x|z)] − {lam:g}·MMD²(q(z), p(z)) "
            "(the KL term's weight 1 − α = 0)",
        )

    def draw(fig, lam):
        canvas.paste(fig, panels[lam], at)
        canvas.line(fig, "z", *shown[lam].T, clip=True, ls="", marker=".", ms=3, color="C3")
        for name in curves:
            value = getattr(summary[lam], name)
            canvas.line(fig, name, [lam], [value], marker="o", ms=7, color="C3")

    return canvas.explorer(
        draw, {"lam": slider}, tr("λ 탐색기 (InfoVAE)", "λ explorer (InfoVAE)"), effective
    )


@benchmark("ch11 λ")
def _infovae_lambda_benchmark() -> Explorer:
    """The chapter's λ explorer: seven untrained 784-256-8 models, 500 random binary images."""
    slider = log(1, 1000, 7, label="λ", default=100.0)
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(500, 784, generator=g) < 0.2).float()
    grid, summary, codes = {}, {}, {}
    for lam in slider.values:
        with seeded(len(grid), torch.device("cpu")):  # the caller's random stream stays as it was
            model = VAE.mlp(784, 8, (256,)).eval()
        grid[lam] = (model, None)
        summary[lam] = infovae.summarize(model, x)
        with torch.no_grad():
            codes[lam] = model.encoder(x).sample()
    z_prior = torch.randn(16, 8, generator=g)
    return infovae_lambda(grid, summary, x[:8], z_prior, codes, (28, 28), slider=slider)
