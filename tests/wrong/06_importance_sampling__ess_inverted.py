"""The effective sample size inverted: (Σ w²)/(Σ w)² instead of (Σ w)²/Σ w².

Both are computed in log space from the same two logsumexps, so swapping them is an easy slip;
the result is 1/ESS, a number between 1/K and 1 that looks like a fraction. Chapter 6 checks
ESS/K against its limit 1/E_q[w²] for Gaussian proposals.
"""

import torch

import vae_lessons.estimators as estimators


def effective_sample_size(log_w):
    return torch.exp(torch.logsumexp(2 * log_w, 0) - 2 * torch.logsumexp(log_w, 0))


estimators.effective_sample_size = effective_sample_size
