"""The ELBO draws z with sample() instead of rsample(): the graph is cut at z.

The reconstruction term log p(x|z) then sends no gradient to μ_φ(x) and σ_φ(x); the encoder
is trained by the closed-form KL alone, which only pulls q(z|x) towards the prior.
"""

import vae_lessons.objectives as objectives


def _elbo_terms(x, encoder, decoder, prior, samples, analytic_kl):
    q = encoder(x)
    z = q.sample((samples,))
    log_px_z = decoder(z).log_prob(x)
    return log_px_z, objectives._kl(q, prior, z, analytic_kl), z


objectives._elbo_terms = _elbo_terms
