"""gaussian_kl with the sign of the log-variance flipped: ½ Σ (μ² + σ² − 1 + log σ²).

The entropy term of q enters with the wrong sign; chapter 4's comparison of the closed form
with the Monte Carlo KL (within 4 standard errors) must catch it.
"""

import vae_lessons.objectives as objectives


def gaussian_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 + logvar).sum(-1)


objectives.gaussian_kl = gaussian_kl
