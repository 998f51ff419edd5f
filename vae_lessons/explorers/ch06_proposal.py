"""The proposal explorer of chapter 6: importance sampling of N(0, 1) with q = N(m, s²)."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.layout_engine import TightLayoutEngine

from .. import importance
from ..estimators import effective_sample_size
from ..plots import tr
from ..widgets import Explorer, Slider, linear, log
from ._canvas import Canvas, figure, steps
from .registry import benchmark

__all__ = ["proposal"]


def proposal(
    mean: Slider, scale: Slider, *, k: int = 1000, seed: int = 0, dpi: float = 80
) -> Explorer:
    """The proposal explorer of chapter 6: importance sampling of p = N(0, 1) with q = N(m, s²).

    ``mean`` and ``scale`` slide m and s. Every frame reuses the same K = ``k`` standard-normal
    draws ε (z = m + s ε), so a move changes q and nothing else. Panels: the densities of p and q
    with the z drawn; the histogram of the normalised weights w_k / Σ_j w_j (log scale) with the
    effective sample size (Σ w)²/Σ w²; and the plain estimate Ẑ = (1/K) Σ w_k of ∫ p dz = 1 with
    its error bar ±2 sd(w)/√K, over the band ±2 √(Var_q w / K) of the closed form
    (:func:`vae_lessons.importance.gaussian_weight_second_moment`; no band when s² ≤ 1/2, where
    Var_q w = ∞), titled with PSIS's k̂ against :func:`vae_lessons.importance.pareto_k_threshold`.

    Built for a quick slider like :func:`vae_lessons.explorers.beta_vae`: the axes, ticks,
    labels, legends and p are rendered once into a background; a move draws q, the draws, the
    histogram, the estimate and the titles as figure-level artists.
    """
    float64 = {"dtype": torch.float64}
    eps = torch.randn(k, generator=torch.Generator().manual_seed(seed), **float64)
    p = torch.distributions.Normal(torch.tensor(0.0, **float64), torch.tensor(1.0, **float64))
    z_grid = torch.linspace(-5, 5, 201, **float64)
    bins = np.linspace(-7, 0, 29)  # log10 of the normalised weights
    threshold = importance.pareto_k_threshold(k)
    shown = min(k, 200)

    bg = figure((10.0, 3.6), dpi)
    ax_z, ax_w, ax_est = bg.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1.2, 0.8]})
    ax_z.plot(
        z_grid,
        p.log_prob(z_grid).exp(),
        color="k",
        label=tr("목표 p = N(0, 1)", "target p = N(0, 1)"),
    )
    ax_z.plot([], [], color="C1", label=tr("제안 분포 q = N(m, $s^2$)", "proposal q = N(m, $s^2$)"))
    ax_z.set(
        xlim=(-5, 5),
        ylim=(-0.08, 1.65),
        xlabel="z",
        ylabel=tr("밀도", "density"),
        title=tr(f"q에서 뽑은 z {k}개 (눈금: 처음 {shown}개)", f"{k} draws z ~ q ({shown} ticked)"),
    )
    ax_z.legend(loc="upper left", fontsize="small")
    ax_w.axvline(-np.log10(k), color="k", ls=":", lw=1)
    ax_w.set(
        xlim=(bins[0], bins[-1]),
        ylim=(0, k),
        yscale="symlog",
        xlabel=tr(
            r"$\log_{10}(w / \sum w)$  (점선: 1/K)", r"$\log_{10}(w / \sum w)$  (dotted: 1/K)"
        ),
        ylabel=tr("표본 수", "draws"),
        title=tr("정규화한 가중치", "normalised weights"),  # reserves the per-frame title's room
    )
    ax_est.axhspan(
        -2,
        -1,
        color="0.85",
        label=tr(
            r"$\pm 2\sqrt{\mathrm{Var}\,w / K}$ (식)",
            r"$\pm 2\sqrt{\mathrm{Var}\,w / K}$ (formula)",
        ),
    )
    ax_est.axhline(1.0, color="k", lw=1, label=tr("정확한 값 1", "exact value 1"))
    ax_est.errorbar(
        [],
        [],
        yerr=[],
        fmt="o",
        color="C3",
        capsize=4,
        label=r"$\hat Z \pm 2\,\mathrm{sd}(w) / \sqrt{K}$",
    )
    ax_est.set(
        xlim=(-1, 1),
        xticks=[],
        ylim=(0, 2),
        ylabel=tr(r"$\int p\,dz$의 추정", r"estimate of $\int p\,dz$"),
    )
    ax_est.set_title(r"$\hat k$")
    ax_est.legend(loc="upper center", fontsize="x-small")
    TightLayoutEngine().execute(bg)
    ax_w.set_title("")
    ax_est.set_title("")
    canvas = Canvas(bg, {"z": ax_z, "w": ax_w, "est": ax_est})

    def effective(mean, scale):
        second = importance.gaussian_weight_second_moment(float(mean), float(scale))
        var = f"{second - 1:.3g}" if np.isfinite(second) else "∞"
        return tr(
            f"q = N({mean:g}, {scale:g}²): Var_q[w] = {var} (s² > 1/2일 때만 유한), "
            f"k̂의 기준 {threshold:.2f}",
            f"q = N({mean:g}, {scale:g}²): Var_q[w] = {var} (finite only when s² > 1/2); "
            f"k̂ threshold {threshold:.2f}",
        )

    def draw(fig, mean, scale):
        canvas.paste(fig)
        q = torch.distributions.Normal(torch.tensor(float(mean), **float64), float(scale))
        z = mean + scale * eps
        log_w = p.log_prob(z) - q.log_prob(z)
        w = log_w.exp()
        canvas.line(fig, "z", z_grid, q.log_prob(z_grid).exp(), color="C1")
        ticks = {"ls": "", "marker": "|", "ms": 6, "color": "C1"}
        canvas.line(fig, "z", z[:shown], np.full(shown, -0.04), **ticks)
        # histogram of log10 of the normalised weights, one polygon
        share = ((log_w - torch.logsumexp(log_w, 0)) / np.log(10)).clamp(min=bins[0])
        canvas.polygon(fig, "w", steps(share.numpy(), bins), color="C0", alpha=0.8)
        ess = float(effective_sample_size(log_w))
        canvas.title(
            fig,
            "w",
            tr(
                f"정규화한 가중치: ESS = {ess:.0f} / {k}",
                f"normalised weights: ESS = {ess:.0f} of {k}",
            ),
            fontsize="large",
        )
        # the estimate with its error bar, over the band of the closed form
        second = importance.gaussian_weight_second_moment(float(mean), float(scale))
        if np.isfinite(second):
            half = 2 * np.sqrt((second - 1) / k)
            corners = [[-1, 1 - half], [1, 1 - half], [1, 1 + half], [-1, 1 + half]]
            band = np.clip(corners, [-1, 0], [1, 2])  # clipped to the axes
            canvas.polygon(fig, "est", band, color="0.85", zorder=0.5)
        z_hat, se = float(w.mean()), float(w.std() / np.sqrt(k))
        canvas.line(fig, "est", [0, 0], np.clip([z_hat - 2 * se, z_hat + 2 * se], 0, 2), color="C3")
        if 0 <= z_hat <= 2:
            canvas.line(fig, "est", [0], [z_hat], marker="o", color="C3")
        if float(log_w.max() - log_w.min()) > 1e-12:
            k_hat = float(importance.psis(log_w).k_hat)
            verdict = tr("믿을 수 없음", "unreliable") if k_hat > threshold else tr("양호", "fine")
            text = rf"$\hat k$ = {k_hat:.2f} ({verdict})"
        else:
            text = tr(r"$\hat k$: 가중치가 모두 같음", r"$\hat k$: all weights equal")
        canvas.title(fig, "est", text, fontsize="large")

    return canvas.explorer(
        draw, {"mean": mean, "scale": scale}, tr("제안 분포 탐색기", "proposal explorer"), effective
    )


@benchmark("ch6 proposal")
def _proposal_benchmark() -> Explorer:
    """The chapter's proposal explorer: 5 means × 9 scales, K = 1000 draws."""
    return proposal(
        linear(-2, 2, 5, label="m", default=1.0), log(0.25, 4, 9, label="s", default=0.5), k=1000
    )
