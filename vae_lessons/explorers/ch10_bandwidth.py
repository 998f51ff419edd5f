"""The bandwidth explorer of chapter 10 (MMD): the RBF kernel's h in the two-sample test."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.layout_engine import TightLayoutEngine
from PIL import Image

from .. import mmd
from ..plots import tr
from ..widgets import Explorer, Slider, log
from ._canvas import Canvas, figure, steps
from .registry import benchmark

__all__ = ["bandwidth"]


def bandwidth(
    factor: Slider,
    *,
    n: int = 100,
    shift: float = 0.4,
    scale: float = 2.0,
    permutations: int = 199,
    seed: int = 0,
    dpi: float = 64,
) -> Explorer:
    """The bandwidth explorer of chapter 10: the RBF kernel's h in the MMD two-sample test.

    ``factor`` slides h as a multiple of the median heuristic h_med
    (:func:`vae_lessons.mmd.median_heuristic`); a second slider picks the alternative: n draws of
    x ~ N(0, 1) against n draws of y ~ N(``shift``, 1) (a mean shift) or y ~ N(0, ``scale``²)
    (a change of width), drawn once with ``seed``. Panels: the two samples' histograms with the
    witness function f(t) = (1/n) Σ_i k(x_i, t) − (1/n) Σ_j k(y_j, t) (rescaled) and the kernel
    k(·, 0); the Gram matrix k(z_i, z_j) of the pooled sample (x, then y, each sorted); and the
    permutation null of :func:`vae_lessons.mmd.permutation_test` in units of its standard
    deviation, with the observed U-statistic and the p-value.

    Every frame is computed when the explorer is built; a move draws the background (axes,
    ticks, labels, drawn once at ``dpi``), that frame's Gram image, histograms, lines and titles
    as figure-level artists.
    """
    alternatives = {
        tr(f"평균 이동 N({shift:g}, 1)", f"mean shift N({shift:g}, 1)"): (shift, 1.0),
        tr(f"폭 변화 N(0, {scale:g}²)", f"width change N(0, {scale:g}²)"): (0.0, scale),
    }
    difference = Slider(list(alternatives), label=tr("y의 분포", "y's distribution"))
    t = torch.linspace(-5, 5, 201)
    bins, z_bins = np.linspace(-5, 5, 31), np.linspace(-4, 12, 33)

    bg = figure((10.0, 3.4), dpi)
    ax_s, ax_g, ax_n = bg.subplots(1, 3, gridspec_kw={"width_ratios": [1.4, 0.9, 1.2]})
    for label, color in (("x ~ N(0, 1)", "C0"), ("y", "C1")):
        ax_s.fill_between([], [], color=color, alpha=0.35, label=label)
    ax_s.plot([], [], color="k", label=tr("위트니스 f (크기 조정)", "witness f (rescaled)"))
    ax_s.plot([], [], color="C2", ls="--", label=tr("커널 k(·, 0)", "kernel k(·, 0)"))
    ax_s.axhline(0, color="0.6", lw=0.8)
    ax_s.set(
        xlim=(-5, 5),
        ylim=(-0.75, 1.05),
        xlabel="t",
        ylabel=tr("밀도 / 위트니스", "density / witness"),
        title=tr("표본과 위트니스", "samples and witness"),
    )
    ax_s.legend(loc="upper left", fontsize="x-small")
    ax_g.set(
        xticks=[n / 2, 3 * n / 2],
        xticklabels=["x", "y"],
        yticks=[n / 2, 3 * n / 2],
        yticklabels=["x", "y"],
        xlim=(0, 2 * n),
        ylim=(2 * n, 0),
        title=tr(r"그램 행렬 $k(z_i, z_j)$", r"Gram matrix $k(z_i, z_j)$"),
    )
    ax_n.set(
        xlim=(z_bins[0], z_bins[-1]),
        ylim=(0, 0.9),
        xlabel=tr("MMD² (귀무 분포의 표준 편차 단위)", "MMD² (in null standard deviations)"),
        ylabel=tr("밀도", "density"),
        title="p",  # reserves the room of the per-frame title
    )
    ax_n.fill_between([], [], color="0.6", label=tr("순열 귀무 분포", "permutation null"))
    ax_n.plot([], [], color="C3", lw=2, label=tr("관측한 MMD²", "observed MMD²"))
    ax_n.legend(loc="upper right", fontsize="x-small")
    TightLayoutEngine().execute(bg)
    ax_s.set_title("")
    ax_n.set_title("")
    canvas = Canvas(bg, {"s": ax_s, "n": ax_n})
    box = ax_g.get_window_extent()  # pixels; the Gram image fills it inside the frame
    at, size = (int(box.x0) + 1, int(box.y0) + 1), (int(box.width) - 1, int(box.height) - 1)

    # every frame, once
    frames = {}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        for name, (mean_y, scale_y) in alternatives.items():
            x, y = torch.randn(n, 1), mean_y + scale_y * torch.randn(n, 1)
            pooled = torch.cat([x.sort(0).values, y.sort(0).values])
            h_med = float(mmd.median_heuristic(x, y))
            hists = [steps(v.numpy().ravel(), bins, 1 / (n * (bins[1] - bins[0]))) for v in (x, y)]
            for f in factor.values:
                h = f * h_med
                gram = mmd.kernel_matrix(pooled, pooled, bandwidth=h).numpy()
                k_t = mmd.kernel_matrix(t[:, None], torch.cat([x, y]), bandwidth=h)  # [T, 2n]
                witness = (k_t[:, :n].mean(1) - k_t[:, n:].mean(1)).numpy()
                test = mmd.permutation_test(x, y, bandwidth=h, permutations=permutations)
                null = test.null.numpy()
                sd = max(float(null.std()), 1e-12)
                frames[name, f] = {
                    "hists": hists,
                    "gram": np.asarray(Image.fromarray(np.uint8(255 * gram)).resize(size)),
                    "witness": 0.7 * witness / max(np.abs(witness).max(), 1e-12),
                    "kernel": np.exp(-(t.numpy() ** 2) / (2 * h**2)),
                    "null": steps(
                        (null - null.mean()) / sd, z_bins, 1 / (len(null) * (z_bins[1] - z_bins[0]))
                    ),
                    "z_obs": (float(test.statistic) - null.mean()) / sd,
                    "p": float(test.p_value),
                    "h": h,
                    "h_med": h_med,
                    "exact": mmd.gaussian_mmd2([0.0], 1.0, [mean_y], scale_y, bandwidth=h),
                }

    def effective(factor, alternative):
        fr = frames[alternative, factor]
        return tr(
            f"h = {factor:g} × 중앙값 휴리스틱 {fr['h_med']:.3g} = {fr['h']:.3g}: 식의 MMD² = "
            f"{fr['exact']:.3g}, 관측값은 귀무 분포의 평균에서 표준 편차 {fr['z_obs']:.1f}배",
            f"h = {factor:g} × median heuristic {fr['h_med']:.3g} = {fr['h']:.3g}: exact MMD² = "
            f"{fr['exact']:.3g}, observed {fr['z_obs']:.1f} null standard deviations from its mean",
        )

    def draw(fig, factor, alternative):
        fr = frames[alternative, factor]
        canvas.paste(fig, fr["gram"], at, cmap="viridis")
        for hist, color in zip(fr["hists"], ("C0", "C1"), strict=True):
            canvas.polygon(fig, "s", hist, color=color, alpha=0.35)
        canvas.line(fig, "s", t.numpy(), fr["witness"], color="k")
        canvas.line(fig, "s", t.numpy(), fr["kernel"], color="C2", ls="--")
        canvas.polygon(fig, "n", fr["null"], color="0.6")
        z_obs = float(np.clip(fr["z_obs"], z_bins[0], z_bins[-1]))
        canvas.line(fig, "n", [z_obs, z_obs], [0, 0.7], color="C3", lw=2)
        canvas.title(fig, "s", f"h = {factor:g} × h_med = {fr['h']:.3g}", pad=0.02)
        verdict = tr("기각", "reject") if fr["p"] <= 0.05 else tr("기각 못 함", "no rejection")
        canvas.title(fig, "n", f"p = {fr['p']:.3f} (α = 0.05: {verdict})", pad=0.02)

    return canvas.explorer(
        draw,
        {"factor": factor, "alternative": difference},
        tr("대역폭 탐색기", "bandwidth explorer"),
        effective,
    )


@benchmark("ch10 bandwidth")
def _bandwidth_benchmark() -> Explorer:
    """The chapter's bandwidth explorer: h from h_med/16 to 16 h_med, two alternatives, n = 100."""
    return bandwidth(log(1 / 16, 16, 9, label="h / h_med", default=1.0))
