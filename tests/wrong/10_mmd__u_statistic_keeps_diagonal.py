"""The "unbiased" MMD² that keeps the diagonal: the within-set sums include k(x_i, x_i) = 1.

Dividing by n(n − 1) without removing the n diagonal terms is an easy slip when turning the
V-statistic into the U-statistic; it adds about 1/n + 1/m, so two samples of one distribution no
longer average to 0. Chapter 10 checks E[U] = MMD² against the Gaussian closed form.
"""

import vae_lessons.objectives as objectives
from vae_lessons.mmd import kernel_matrix, median_heuristic


def mmd(x, y, *, kernel="rbf", bandwidth=None, unbiased=True):
    n, m = x.shape[0], y.shape[0]
    if bandwidth is None:
        bandwidth = median_heuristic(x, y).item() if kernel == "rbf" else 2.0 * x.shape[1]
    k_xx, k_yy, k_xy = (
        kernel_matrix(a, b, kernel=kernel, bandwidth=bandwidth) for a, b in ((x, x), (y, y), (x, y))
    )
    if unbiased:
        return k_xx.sum() / (n * (n - 1)) + k_yy.sum() / (m * (m - 1)) - 2.0 * k_xy.mean()
    return k_xx.mean() + k_yy.mean() - 2.0 * k_xy.mean()


objectives.mmd = mmd
