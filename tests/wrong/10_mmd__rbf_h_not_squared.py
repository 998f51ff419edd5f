"""The RBF kernel with h in place of h²: exp(−‖a − b‖² / (2h)) inside objectives.mmd.

The bandwidth is a length, so the kernel divides the squared distance by 2h²; dividing by 2h is
the same kernel only at h = 1 and otherwise silently uses the bandwidth √h. Chapter 10 computes
the witness with vae_lessons.mmd.kernel_matrix and MMD² in closed form at h ≠ 1.
"""

import vae_lessons.objectives as objectives
from vae_lessons.mmd import median_heuristic

correct = objectives.mmd


def mmd(x, y, *, kernel="rbf", bandwidth=None, unbiased=True):
    if kernel == "rbf":
        h = median_heuristic(x, y).item() if bandwidth is None else bandwidth
        bandwidth = h**0.5  # exp(−‖a − b‖²/(2h)) is the correct kernel at bandwidth √h
    return correct(x, y, kernel=kernel, bandwidth=bandwidth, unbiased=unbiased)


objectives.mmd = mmd
