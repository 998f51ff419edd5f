"""iwae.normalised_weights returns the raw weights w_i = exp(log w_i), not w_i / Σ_j w_j.

The IWAE gradient Σ_i w̃_i ∇ log w_i then becomes Σ_i w_i ∇ log w_i = ∇ Σ_i w_i, the gradient of
the unlogged estimate, scaled by p(x). Chapter 7's gradient cell, which compares the formula with
autograd of L_k, must catch it.
"""

import torch

import vae_lessons.iwae as iwae


def normalised_weights(log_w):
    return torch.exp(log_w)


iwae.normalised_weights = normalised_weights
