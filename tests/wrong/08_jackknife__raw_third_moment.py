"""μ₃/μ³ taken as the raw moment E[(w/μ)³] − 1 instead of the central E[(w/μ − 1)³].

With r_n = E[(w/μ)ⁿ], the central moment is r₃ − 3r₂ + 2; r₃ − 1 is larger by 3(r₂ − 1), which
changes the 1/k² terms of (8.1)–(8.3) and even the sign of b. Chapter 8's checks of the two-term
expansion and of the jackknife's bias must catch it.
"""

import vae_lessons.jackknife as jackknife


def gaussian_weight_moments(posterior, q):
    r2, r3 = (jackknife.log_weight_moment(posterior, q, n).exp() for n in (2, 3))
    return jackknife.WeightMoments(r2 - 1, r3 - 1)


jackknife.gaussian_weight_moments = gaussian_weight_moments
