"""objectives.iwae_bound averages the log-weights instead of taking logsumexp − log k.

mean_i log w_i has expectation E_q[log w] = L_1, the ELBO, whatever k: more samples only lower the
variance and the bound never tightens. Chapter 7's linear-Gaussian cell, where L_k must rise with
k and reach the exact log p(x), must catch it.
"""

import vae_lessons.objectives as objectives


def iwae_bound(x, encoder, decoder, prior, *, k):
    return objectives.log_importance_weights(x, encoder, decoder, prior, k=k).mean(0)


objectives.iwae_bound = iwae_bound
