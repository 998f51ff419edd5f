"""The K explorer of chapter 7 (IWAE): the spread of L_K and the weights of one group of K."""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.layout_engine import TightLayoutEngine

from ..estimators import effective_sample_size
from ..iwae import bound_estimates, normalised_weights
from ..plots import tr
from ..widgets import Explorer, Slider
from ._canvas import Canvas, figure, steps
from .registry import benchmark

__all__ = ["iwae_k"]


def iwae_k(
    pools: dict,
    reference: dict,
    sample_count: Slider,
    trained_with: Slider,
    *,
    max_repeats: int = 200,
    dpi: float = 60,
) -> Explorer:
    """The K explorer of chapter 7: the estimate L_K of log p(x) for one image, K from 1 to 5000.

    ``pools`` maps each value of ``trained_with`` (the k a model was trained with) to a pool of
    log-weights ``[n]`` of one test image under that model; ``reference`` to its k = 5000 estimate
    of log p(x) in nats. For every K of ``sample_count`` the pool is cut into disjoint groups of K
    (at most ``max_repeats``; :func:`vae_lessons.iwae.bound_estimates`), all precomputed here, so
    a frame only draws: the histogram of the L_K estimates with their mean and the reference, and
    the sorted normalised weights w̃ of one group of K with its effective sample size.
    """
    if set(pools) != set(trained_with.values) or set(reference) != set(trained_with.values):
        raise ValueError("pools and reference must have one entry per value of trained_with")
    if any(not isinstance(k, int) or k > len(pools[m]) for k in sample_count.values for m in pools):
        raise ValueError("sample_count's values must be ints no larger than every pool")
    frames = {}
    for m, pool in pools.items():
        for k in sample_count.values:
            estimates = bound_estimates(pool.unsqueeze(-1), k)[:max_repeats, 0]
            group = pool[:k].unsqueeze(-1)
            w_sorted = normalised_weights(group)[:, 0].sort(descending=True).values
            frames[m, k] = (
                estimates.numpy(),
                w_sorted.numpy(),
                float(effective_sample_size(group)[0]),
            )
    lows = [float(f[0].min()) for f in frames.values()] + [float(r) for r in reference.values()]
    highs = [float(f[0].max()) for f in frames.values()] + [float(r) for r in reference.values()]
    x_range = (min(lows) - 1, max(highs) + 1)
    bins = np.linspace(*x_range, 31)

    bg = figure((10.0, 3.6), dpi)
    ax_l, ax_w = bg.subplots(1, 2)
    ax_l.plot([], [], color="C3", label=tr("추정의 평균", "mean of the estimates"))
    ax_l.plot([], [], color="k", ls="--", label=tr("k = 5000 기준값", "k = 5000 reference"))
    ax_l.set(
        xlim=x_range,
        ylim=(0, max_repeats),
        xlabel=tr(r"$L_K$ 추정 (nats)", r"estimate $L_K$ (nats)"),
        ylabel=tr("반복 수", "repeats"),
        title=" ",  # reserves the room of the per-frame title
    )
    ax_l.legend(loc="upper left", fontsize="small")
    ax_w.set(
        xscale="log",
        yscale="log",
        xlim=(0.8, max(sample_count.values) * 1.2),
        ylim=(1e-8, 1.5),
        xlabel=tr("순위", "rank"),
        ylabel=tr(r"정규화된 가중치 $\tilde w$", r"normalised weight $\tilde w$"),
        title=" ",
    )
    TightLayoutEngine().execute(bg)
    canvas = Canvas(bg, {"l": ax_l, "w": ax_w})

    def effective(k, trained):
        return tr(
            f"k = {trained}로 학습한 모델, 추정에 쓰는 표본 K = {k}",
            f"model trained with k = {trained}, K = {k} samples per estimate",
        )

    def draw(fig, k, trained):
        estimates, w_sorted, ess = frames[trained, k]
        canvas.paste(fig)
        canvas.polygon(fig, "l", steps(estimates, bins), color="C0", alpha=0.8)
        canvas.line(fig, "l", [estimates.mean()] * 2, [0, max_repeats], color="C3")
        canvas.line(fig, "l", [reference[trained]] * 2, [0, max_repeats], color="k", ls="--")
        canvas.title(
            fig,
            "l",
            tr(
                f"K = {k}: 추정 {len(estimates)}개, 평균 {estimates.mean():.1f} nats",
                f"K = {k}: {len(estimates)} estimates, mean {estimates.mean():.1f} nats",
            ),
        )
        ranks, shown = np.arange(1, k + 1), np.clip(w_sorted, 1e-8, None)
        canvas.line(fig, "w", ranks, shown, color="C2", marker="o" if k <= 50 else "", ms=3)
        canvas.title(
            fig, "w", tr(f"표본 K개 한 묶음: ESS = {ess:.1f}", f"one group of K: ESS = {ess:.1f}")
        )

    return canvas.explorer(
        draw, {"k": sample_count, "trained": trained_with}, tr("K 탐색기", "K explorer"), effective
    )


@benchmark("ch7 K")
def _iwae_k_benchmark() -> Explorer:
    """The chapter's K explorer: 5 values of K × 3 models, pools of 20 000 log-weights."""
    g = torch.Generator().manual_seed(0)
    pools = {m: -90.0 - 3.0 * torch.randn(20_000, generator=g).abs() for m in (1, 5, 50)}
    return iwae_k(
        pools,
        {m: -91.0 for m in pools},
        Slider((1, 5, 50, 500, 5000), label="K", default=50, log=True),
        Slider((1, 5, 50), label="k"),
    )
