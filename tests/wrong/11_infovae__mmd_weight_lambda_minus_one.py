"""InfoVAE's objective with (λ − 1) in place of (α + λ − 1) as the weight of the MMD term.

Rewriting eq. (5) into eq. (6), the α·KL(q(z) ‖ p(z)) hidden in the mutual-information term joins
λ·D(q(z) ‖ p(z)), and the ELBO's own −KL(q(z) ‖ p(z)) subtracts one: the weight is α + λ − 1.
Forgetting the α gives λ − 1, which agrees only at α = 0; the MMD then enters where the
objective should be a β-VAE (α + λ − 1 = 0, α ≠ 0).
"""

import vae_lessons.objectives as objectives


def infovae_objective(x, encoder, decoder, prior, *, alpha=0.0, lam=1.0, kernel="rbf"):
    log_px_z, kl, z = objectives._elbo_terms(x, encoder, decoder, prior, 1, True)
    objective = (log_px_z[0] - (1.0 - alpha) * kl).mean()
    weight = lam - 1.0
    if weight != 0.0:
        pz = prior.sample((x.shape[0],))
        objective = objective - weight * objectives.mmd(z[0], pz, kernel=kernel)
    return objective


objectives.infovae_objective = infovae_objective
