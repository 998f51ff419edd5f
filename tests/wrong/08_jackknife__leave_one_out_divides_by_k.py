"""The leave-one-out log-mean-exp divides by k instead of k − 1.

L̂^{(−i)} = logsumexp_{j≠i} log w_j − log k drops log(k/(k − 1)) from every leave-one-out
estimate, so the jackknife k·L̂_k − (k − 1)·mean_i L̂^{(−i)} gains (k − 1)·log(k/(k − 1)) ≈ 1 nat
(for order m, Σ_j c_j log(k/(k − j))). Chapter 8's checks of the stable form, of the jackknife's
bias and of its slope must catch it.
"""

import math

import vae_lessons.jackknife as jackknife

correct_jvi = jackknife.jvi


def jvi(log_w, order=1):
    k = log_w.shape[0]
    c = jackknife.jvi_coefficients(k, order)
    return correct_jvi(log_w, order) - sum(
        c[j].item() * math.log(k / (k - j)) for j in range(1, order + 1)
    )


jackknife.jvi = jvi
