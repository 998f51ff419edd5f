"""PSIS's k̂ fitted to all the weights instead of the M = ⌊min(K/5, 3√K)⌋ largest.

The generalized Pareto distribution describes only the tail of the weights (the excess over a
high threshold); fitted to the whole sample, its shape reflects the body of the distribution.
Chapter 6 checks k̂ against the known tail index of Student-t ratios.
"""

import vae_lessons.importance as importance

importance.tail_size = lambda k: k - 1  # every weight but the smallest, which becomes the cutoff
