"""GaussianMixture.m_step computes each component's weighted variance about the old means
instead of the new ones, so the M-step no longer maximises the ELBO for its fixed q."""

import torch

import vae_lessons.toy as toy


@torch.no_grad()
def m_step(self, x, r):
    n_j = r.sum(0).unsqueeze(-1)  # [K, 1]
    var = (r.unsqueeze(-1) * (x.unsqueeze(1) - self.means).pow(2)).sum(0) / n_j  # old means
    self.means.copy_(r.T @ x / n_j)
    self.log_stds.copy_(0.5 * var.log())
    return self


toy.GaussianMixture.m_step = m_step
