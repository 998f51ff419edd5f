"""naive_log_likelihood returns log Σ_i p(x|z_i) without the − log k of the mean.

The estimate of p(x) is k times too large: log p̂ is biased up by log k nats, so E[p̂/p(x)] = k
instead of 1.
"""

import torch

import vae_lessons.estimators as estimators


def naive_log_likelihood(x, decoder, prior, *, k=1000, chunk=None, batch=None):
    z = prior.sample((k, x.shape[0]))  # [k, B, z_dim]
    return torch.logsumexp(decoder(z).log_prob(x), dim=0)  # forgot − log k


estimators.naive_log_likelihood = naive_log_likelihood
