"""The self-normalised estimator without the normalisation: (1/K) Σ w̃_k f(z_k).

With unnormalised weights w̃ = p̃/q this estimates Z·E_p[f], not E_p[f]: the division by Σ w̃
is what removes the unknown constant. Chapter 6 measures the O(1/K) bias of the correct
estimator, which this one does not have.
"""

import vae_lessons.importance as importance


def self_normalised_estimate(log_w, f):
    return (log_w.exp() * f).mean(0)


importance.self_normalised_estimate = self_normalised_estimate
