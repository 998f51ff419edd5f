"""objectives.iwae_bound returns logsumexp(log w) and forgets the − log k of the mean.

The bound is then log Σ_i w_i, log k nats above log (1/k) Σ_i w_i: it equals the ELBO at k = 1
but exceeds log p(x) for large k. Chapter 7's linear-Gaussian cell must catch it.
"""

import torch

import vae_lessons.objectives as objectives


def iwae_bound(x, encoder, decoder, prior, *, k):
    return torch.logsumexp(objectives.log_importance_weights(x, encoder, decoder, prior, k=k), 0)


objectives.iwae_bound = iwae_bound
