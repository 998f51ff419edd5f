"""β multiplies the reconstruction term instead of the KL: β·E_q[log p(x|z)] − KL.

A β-VAE objective written as ``beta * log_px_z.mean(0) - kl``: at β = 1 it is still the ELBO,
so a check at β = 1 alone would not see it.
"""

import vae_lessons.objectives as objectives


def elbo(x, encoder, decoder, prior, *, beta=1.0, samples=1, analytic_kl=True):
    objectives._check_x(x)
    objectives._check_nonnegative("beta", beta)
    log_px_z, kl, _ = objectives._elbo_terms(x, encoder, decoder, prior, samples, analytic_kl)
    return beta * log_px_z.mean(0) - kl


objectives.elbo = elbo
