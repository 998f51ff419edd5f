"""The aggregate posterior without its − log N: log q(z_n) = logsumexp_m log q(z_n|x_m).

q(z) = (1/N) Σ_m q(z|x_m) is a mean, not a sum, over the N components. Dropping the − log N
makes log q(z_n) too large by log N, so every term of the mutual-information estimate in
``rate_decomposition`` is log N too small (each is then ≤ 0) and KL(q(z) ‖ p(z)) log N too large.
"""

import math

import vae_lessons.metrics as metrics

_rate_decomposition = metrics.rate_decomposition


def rate_decomposition(encoder, x, prior=None, **kwargs):
    parts = _rate_decomposition(encoder, x, prior, **kwargs)
    parts["mutual_information"] -= math.log(len(x))
    parts["kl_aggregate"] += math.log(len(x))
    return parts


metrics.rate_decomposition = rate_decomposition
