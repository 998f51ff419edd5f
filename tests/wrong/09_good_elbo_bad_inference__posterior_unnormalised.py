"""The quadrature posterior left unnormalised: log p(x, z) returned as log p(z|x), no − log p(x)."""

import vae_lessons.two_point as tp


def log_posterior(log_joint, z):
    return log_joint


tp.log_posterior = log_posterior
