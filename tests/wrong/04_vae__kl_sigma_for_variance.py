"""gaussian_kl uses σ where the closed form has σ²: ½ Σ (μ² + σ − 1 − log σ²).

A slip when the encoder's output is read as a standard deviation instead of a log-variance;
chapter 4's comparison with the Monte Carlo KL (within 4 standard errors) must catch it.
"""

import vae_lessons.objectives as objectives


def gaussian_kl(mu, logvar):
    return 0.5 * (mu.pow(2) + (0.5 * logvar).exp() - 1.0 - logvar).sum(-1)


objectives.gaussian_kl = gaussian_kl
