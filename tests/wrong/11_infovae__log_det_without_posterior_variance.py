"""Cov[q(z)] of the aggregate posterior without the E_x Cov[z|x] term.

By the law of total covariance Cov_q(z)[z] = Cov_x(E[z|x]) + E_x Cov[z|x]; keeping only the
covariance of the encoder means (what metrics.encoder_mean_cov measures) makes log det Cov[q(z)]
too small, and for an exact posterior of data from the model it is no longer the prior's 0.
"""

import torch

import vae_lessons.metrics as metrics


def aggregate_posterior_cov(encoder, x, *, batch=4096):
    means = torch.cat([q.mean for q in metrics._encode(encoder, x, batch)])
    centred = means - means.mean(0)
    return centred.T @ centred / len(means)


metrics.aggregate_posterior_cov = aggregate_posterior_cov
