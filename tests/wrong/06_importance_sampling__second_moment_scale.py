"""E_q[w²] for p = N(0, 1), q = N(m, s²) with s in place of s²: s/√(2s² − 1)·exp(m²/(2s² − 1)).

The prefactor comes from √(π/α) with α = (2s² − 1)/(2s²) times s/√(2π), which is s²/√(2s² − 1);
dropping one power of s is a plausible algebra slip. Chapter 6 checks the closed form against
quadrature (and uses it for the bias of the self-normalised estimator and for ESS/K).
"""

import math

import vae_lessons.importance as importance


def gaussian_weight_second_moment(mean, scale):
    a = 2 * scale**2 - 1
    return math.inf if a <= 0 else scale / math.sqrt(a) * math.exp(mean**2 / a)


importance.gaussian_weight_second_moment = gaussian_weight_second_moment
