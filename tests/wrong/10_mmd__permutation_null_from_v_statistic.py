"""The permutation null built from V-statistics while the observed statistic is the U-statistic.

When the observed MMD² comes from objectives.mmd (unbiased by default) and the permuted splits
from a quick Gram-matrix formula that keeps the diagonals, every permuted value is inflated by
about (1 − E k)(1/n + 1/m): the observed value rarely exceeds them and the test almost never
rejects. Chapter 10 checks the rejection rate under the null against α.
"""

import vae_lessons.mmd as mmd

correct = mmd._split_mmd2


def _split_mmd2(gram, in_x, n, m, unbiased):
    stats = correct(gram, in_x, n, m, False)  # the permuted splits: V-statistics
    stats[..., 0] = correct(gram, in_x[..., :1, :], n, m, unbiased)[..., 0]  # observed: U
    return stats


mmd._split_mmd2 = _split_mmd2
