"""The first-order delta-method bias with the wrong sign: +μ₂/(2kμ²) instead of −μ₂/(2kμ²).

Expanding log Ȳ = log μ + ε − ε²/2 + …, the ε² term enters with a minus sign (log is concave),
so E L̂_k lies below log p(x). Flipping it predicts a bias above log p(x); chapter 8's comparison
of the measured bias with (8.1) must catch it.
"""

import vae_lessons.jackknife as jackknife

correct_iwae_bias = jackknife.iwae_bias


def iwae_bias(k, moments, *, terms=2):
    first = -moments.m2 / (2 * k)
    return correct_iwae_bias(k, moments, terms=terms) - 2 * first


jackknife.iwae_bias = iwae_bias
