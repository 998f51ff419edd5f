"""InfoVAE's objective with (1 − α) on the reconstruction term instead of on the KL term.

Eq. (6) of Zhao et al. weighs the KL term by (1 − α): E_q[log p(x|z)] − (1 − α)·KL − (α + λ − 1)
·D(q(z) ‖ p(z)). Moving the factor to the first term keeps α = 0 (the ELBO) right but breaks
every other special case, e.g. α + λ − 1 = 0 is then no longer the β-VAE with β = 1 − α.
"""

import vae_lessons.objectives as objectives


def infovae_objective(x, encoder, decoder, prior, *, alpha=0.0, lam=1.0, kernel="rbf"):
    log_px_z, kl, z = objectives._elbo_terms(x, encoder, decoder, prior, 1, True)
    objective = ((1.0 - alpha) * log_px_z[0] - kl).mean()
    weight = alpha + lam - 1.0
    if weight != 0.0:
        pz = prior.sample((x.shape[0],))
        objective = objective - weight * objectives.mmd(z[0], pz, kernel=kernel)
    return objective


objectives.infovae_objective = infovae_objective
